"""DNI with the two sides in two OS processes, running at the same time.

`dni.DNITrainer` runs the upstream and downstream sides one after the other in one thread, so
it cannot be faster than end-to-end backprop. `ParallelDNITrainer` keeps its update rules (it
subclasses it and calls the same `synthetic_step`, `true_step` and `synth_step`) and splits
the work:

- the *upstream process* (the caller's) draws each batch, steps the upstream module along the
  synthesizer's prediction at once, and sends (step, features h detached, what the program
  needs of the batch) to the downstream process; whenever true gradients have arrived it
  regresses the synthesizer on them (without waiting for them), and it waits only when
  `max_lag` batches are in flight (sent, their true gradient not yet back), so neither queue
  can grow without bound;
- the *downstream process* (forked; one torch thread) runs the program from the stored
  features, steps the downstream module on the true loss, and sends back the true gradient
  B * dL/dh of each batch, in order.

At the end the downstream module's weights (and its optimizer's state) come back to the caller
and are loaded into the model's `Cut` in place, so the trained pair sits in the program exactly
as after `DNITrainer.fit`. Every module takes `cfg.steps` steps (upstream, downstream,
synthesizer). With `max_lag = 0` the order of updates is that of the serial trainer with
`every = 1` (tested: the same weights).

The worker is forked, not spawned: the model holds the domain's soft semantics (closures, which
do not pickle), and a fork starts in milliseconds. Messages are pickled to bytes by the sender,
tensors as numpy arrays (copied, not moved to shared memory one file descriptor at a time). A
worker that raises sends its traceback and the caller raises `DNIWorkerError`; a worker that
dies without a word, or says nothing for `timeout` seconds, also makes the caller raise; the
worker is terminated whenever the caller leaves `fit` by an exception.
"""

from __future__ import annotations

import io
import pickle
import queue as queue_errors
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.multiprocessing as mp

from hylo.neural.dni import DNIConfig, DNIHistory, DNITrainer, Queued, draw_batch
from hylo.neural.hybrid import Data, HybridModel, Lst, Tens

Tensor = torch.Tensor
_POLL = 0.05  # seconds between checks that the worker is still alive while waiting


_AS_NUMPY = {torch.float32, torch.float64, torch.float16, torch.int64, torch.int32,
             torch.int16, torch.int8, torch.uint8, torch.bool}


class _Pickler(pickle.Pickler):
    """Pickles CPU tensors as numpy arrays: about ten times cheaper than torch's own pickling
    of a storage (which goes through `torch.save`), and a copy, not shared memory."""

    def reducer_override(self, obj: Any) -> Any:
        if (isinstance(obj, Tensor) and obj.device.type == "cpu" and not obj.requires_grad
                and obj.dtype in _AS_NUMPY):
            return torch.from_numpy, (obj.numpy(),)
        return NotImplemented


def _pack(obj: Any) -> bytes:
    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


_unpack = pickle.loads


class DNIWorkerError(RuntimeError):
    """The downstream worker failed (raised, died, or went silent)."""


@dataclass
class ParallelHistory(DNIHistory):
    max_lag: int = 0
    in_flight: list[int] = field(default_factory=list)  # batches awaiting their gradient, per
    # upstream step (taken just before it)
    timeline: list[tuple[float, str, int]] = field(default_factory=list)  # (seconds, what, step)
    wait_seconds: float = 0.0  # the upstream process blocked on the lag bound
    drain_seconds: float = 0.0  # after the last upstream step, until every gradient was back
    downstream_seconds: float = 0.0  # the downstream process busy with its steps
    upstream_cpu_seconds: float = 0.0  # CPU time of each process (load-independent, unlike
    downstream_cpu_seconds: float = 0.0  # wall time): the work on each side

    def summary(self) -> dict[str, Any]:
        return super().summary() | {
            "method": "dni-parallel", "max_lag": self.max_lag,
            "mean_in_flight": sum(self.in_flight) / len(self.in_flight) if self.in_flight
            else None, "wait_seconds": self.wait_seconds, "drain_seconds": self.drain_seconds,
            "downstream_busy_seconds": self.downstream_seconds,
            "upstream_cpu_seconds": self.upstream_cpu_seconds,
            "downstream_cpu_seconds": self.downstream_cpu_seconds}


def _without_images(values: list[Any]) -> list[Any]:
    """The batch as the downstream side needs it: the module's input images are replaced by
    empty rows (it reads the stored features instead; `Cut` checks only the row count)."""
    def strip(v: Any) -> Any:
        if isinstance(v, Tens):
            return Tens(torch.empty(v.x.shape[0], 0), v.origin, v.valid)
        if isinstance(v, Lst):
            return Lst(strip(v.elem), v.mask)
        return v

    return [strip(v) for v in values]


def _downstream_worker(trainer: DNITrainer, inbox: Any, outbox: Any, steps: int,
                       timeout: float, t0: float) -> None:
    """The downstream process: `steps` true-loss steps, one per batch received, each answered
    with the true gradient; then the module's weights. Any failure is reported, not hidden."""
    try:
        cpu0 = time.process_time()
        torch.set_num_threads(1)
        busy = 0.0
        times: list[tuple[float, int]] = []
        for _ in range(steps):
            try:  # a parent that died leaves the worker here: it exits instead of waiting
                item: Queued = _unpack(inbox.get(timeout=timeout))
            except queue_errors.Empty:
                raise DNIWorkerError(f"no batch from the upstream process in {timeout} s"
                                     ) from None
            start = time.perf_counter()
            target = trainer.true_step(item)
            busy += time.perf_counter() - start
            times.append((time.perf_counter() - t0, item.step))
            outbox.put(_pack(("grad", item.step, target, trainer.history.loss[-1])))
        down = trainer.cut.downstream
        state = {k: v.detach().clone() for k, v in down.state_dict().items()}
        outbox.put(_pack(("done", state, trainer.opt_down.state_dict(),
                                 trainer.history.downstream_steps, trainer.history.loss,
                                 times, busy, time.process_time() - cpu0)))
    except BaseException:  # everything, even KeyboardInterrupt, is reported
        outbox.put(_pack(("error", traceback.format_exc())))
        raise SystemExit(1) from None


class ParallelDNITrainer(DNITrainer):
    """`DNITrainer`'s updates with the downstream side in a forked process (see the module's
    text). `max_lag`: the most batches the upstream process may have sent without their true
    gradient back (0: it waits for each, as the serial trainer with `every = 1`). `timeout`:
    the longest either process waits for the other's next message, in seconds."""

    def __init__(self, model: HybridModel, text: str, cfg: DNIConfig, labels: int,
                 max_lag: int = 4, timeout: float = 60.0):
        if max_lag < 0:
            raise ValueError("max_lag is a number of batches, at least 0")
        if "fork" not in mp.get_all_start_methods():
            raise RuntimeError("the parallel DNI trainer forks its worker; this platform "
                               "cannot fork")
        super().__init__(model, text, cfg, labels)
        self.max_lag, self.timeout = max_lag, timeout
        self.history: ParallelHistory = ParallelHistory(max_lag=max_lag)
        self._pending: dict[int, Queued] = {}  # sent, true gradient not yet back
        self._t0 = 0.0

    def _mark(self) -> None:
        what, step = self.history.events[-1]
        self.history.timeline.append((time.perf_counter() - self._t0, what, step))

    def _get(self, outbox: Any, worker: Any) -> tuple[Any, ...]:
        """The worker's next message; raises if it reports an error, dies or stays silent."""
        deadline = time.perf_counter() + self.timeout
        while True:
            try:
                msg = _unpack(outbox.get(timeout=_POLL))
                break
            except queue_errors.Empty:
                if worker.exitcode is not None:
                    try:  # its last words may still be in the pipe
                        msg = _unpack(outbox.get(timeout=1.0))
                        break
                    except queue_errors.Empty:
                        raise DNIWorkerError("the downstream worker exited (code "
                                             f"{worker.exitcode}) without a result") from None
                if time.perf_counter() > deadline:
                    raise DNIWorkerError(f"no word from the downstream worker in "
                                         f"{self.timeout} s") from None
        if msg[0] == "error":
            raise DNIWorkerError("the downstream worker failed:\n" + msg[1])
        return msg

    def _on_gradient(self, msg: tuple[Any, ...]) -> None:
        if msg[0] != "grad" or msg[1] not in self._pending:
            raise DNIWorkerError(f"unexpected message from the downstream worker: {msg[0]}")
        self.synth_step(self._pending.pop(msg[1]), msg[2])
        self._mark()

    def _receive_ready(self, outbox: Any) -> None:
        """Regress the synthesizer on every true gradient that has arrived; never waits."""
        while True:
            try:
                raw = outbox.get_nowait()
            except queue_errors.Empty:
                return
            msg = _unpack(raw)
            if msg[0] == "error":
                raise DNIWorkerError("the downstream worker failed:\n" + msg[1])
            self._on_gradient(msg)

    def fit(self, data: Data) -> ParallelHistory:
        cfg, hist = self.cfg, self.history
        self._pending.clear()  # (left over only by a failed fit)
        gen = torch.Generator().manual_seed(cfg.seed)
        self.model.train()
        ctx = mp.get_context("fork")
        inbox, outbox = ctx.Queue(), ctx.Queue()  # to the worker, from it
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # one torch thread per process (also what the fork inherits)
        self._t0 = t0 = time.perf_counter()
        cpu0 = time.process_time()
        worker = ctx.Process(target=_downstream_worker, name="dni-downstream", daemon=True,
                             args=(self, inbox, outbox, cfg.steps, self.timeout, t0))
        try:
            worker.start()
            for step in range(cfg.steps):
                values, y = draw_batch(data, cfg, gen)
                self._receive_ready(outbox)
                if len(self._pending) > self.max_lag:
                    start = time.perf_counter()
                    while len(self._pending) > self.max_lag:
                        self._on_gradient(self._get(outbox, worker))
                    hist.wait_seconds += time.perf_counter() - start
                hist.in_flight.append(len(self._pending))
                item = self.synthetic_step(step, values, y)
                self._mark()
                self._pending[step] = item
                sent = Queued(step, item.h, _without_images(values), y, item.label, item.valid)
                inbox.put(_pack(sent))
            start = time.perf_counter()
            while self._pending:
                self._on_gradient(self._get(outbox, worker))
            hist.drain_seconds = time.perf_counter() - start
            done = self._get(outbox, worker)
            if done[0] != "done":
                raise DNIWorkerError(f"unexpected message from the downstream worker: {done[0]}")
            _, state, opt_state, steps, losses, times, busy, cpu = done
            worker.join(self.timeout)
        finally:
            torch.set_num_threads(threads)
            if worker.is_alive():  # an error on either side, or a worker that did not exit
                worker.terminate()
                worker.join(5.0)
            for q in (inbox, outbox):  # never block on unsent data at exit
                q.cancel_join_thread()
                q.close()
        self.cut.downstream.load_state_dict(state)
        self.opt_down.load_state_dict(opt_state)
        hist.downstream_steps, hist.loss, hist.downstream_seconds = steps, losses, busy
        hist.downstream_cpu_seconds = cpu
        hist.upstream_cpu_seconds = time.process_time() - cpu0
        hist.timeline = sorted(hist.timeline + [(t, "downstream", s) for t, s in times])
        hist.events = [(what, step) for _, what, step in hist.timeline]
        hist.seconds = time.perf_counter() - t0
        return hist


def fit_dni_parallel(model: HybridModel, text: str, data: Data, cfg: DNIConfig, labels: int,
                     max_lag: int = 4, timeout: float = 60.0) -> ParallelHistory:
    """`dni.fit_dni` with the upstream and downstream sides in two processes at once."""
    return ParallelDNITrainer(model, text, cfg, labels, max_lag, timeout).fit(data)
