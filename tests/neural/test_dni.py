"""DNI: the synthesizer learns the true gradient, a DNI-trained pair of modules learns, and the
upstream module steps before the downstream side has seen its batch; in parallel (two
processes) it still trains, makes the serial updates without lag, keeps its lag bound, and a
failing worker makes the caller raise."""

import multiprocessing
import os
import re
import time

import pytest

torch = pytest.importorskip("torch")

from hylo.core.program import parse  # noqa: E402
from hylo.domains.digits import load_domain  # noqa: E402
from hylo.domains.digits.experiment import to_data  # noqa: E402
from hylo.domains.digits.tasks import make_task  # noqa: E402
from hylo.neural import dni, dni_parallel, kinds  # noqa: E402
from hylo.neural.train import accuracy  # noqa: E402

torch.set_num_threads(1)

SOFT = load_domain().soft_semantics
READ = "(lam (nn:new:classify $0))"
# a narrow MLP: 8 features between the two modules, so random (untrained) upstream features
# are not enough and the upstream module must learn from the synthetic gradient
NARROW = {"arch": "mlp", "hidden": 8, "depth": 2}


def _classify(budget=300, seed=0):
    task = make_task("classify", budget, seed, n_test=200)
    return task, to_data(task, task.train), to_data(task, task.test)


def _model(text=READ, spec=NARROW, seed=0, request=None):
    task = make_task("classify", 10, 0)
    return dni.cut_model(parse(text), request or task.request, SOFT, spec, seed)


def test_a_cut_classifier_computes_what_the_whole_module_does():
    module = kinds.build("classify", {"depth": 2}, seed=1)
    up, down = dni.split_classifier(module, dni.hidden_cut(module))
    assert isinstance(list(up)[-1], torch.nn.ReLU)  # features come out of the hidden layer
    x = torch.rand(5, 8, 8)
    assert torch.equal(down(up(x)), module(x))
    assert {id(p) for p in module.parameters()} == (
        {id(p) for p in up.parameters()} | {id(p) for p in down.parameters()})


def test_the_synthesizer_moves_toward_the_true_gradient():
    _, train, _ = _classify()
    model, text, _ = _model()
    cfg = dni.DNIConfig(steps=240, batch_size=32, every=2, augment=False, lr=5e-3,
                        synth_lr=3e-3)
    hist = dni.fit_dni(model, text, train, cfg, labels=10)
    n = len(hist.synth_loss) // 5
    first, last = hist.synth_relative[:n], hist.synth_relative[-n:]
    assert sum(last) / n < 0.8 * sum(first) / n  # relative error (scale-free) falls
    assert sum(hist.synth_cosine[-n:]) / n > 0.3  # the prediction points the true way
    assert abs(hist.synth_cosine[0]) < 0.1  # from a zero start (it learns within steps)
    # and an untrained synthesizer (learning rate 0) never learns the direction
    model, text, _ = _model()
    frozen = dni.fit_dni(model, text, train, dni.DNIConfig(
        steps=40, batch_size=32, every=2, augment=False, synth_lr=0.0), labels=10)
    assert max(abs(c) for c in frozen.synth_cosine) < 1e-6


def test_a_dni_trained_pair_beats_chance_and_untrained_features():
    _, train, test = _classify()
    cfg = dni.DNIConfig(steps=400, batch_size=32, every=2, augment=False, lr=5e-3,
                        synth_lr=3e-3)
    model, text, module = _model(seed=3)
    before = [p.detach().clone() for p in model.net(text).upstream.parameters()]
    dni.fit_dni(model, text, train, cfg, labels=10)
    acc = accuracy(model, test)
    moved = max(float((p.detach() - q).abs().max())
                for p, q in zip(model.net(text).upstream.parameters(), before, strict=True))
    # the same pair with the synthesizer frozen at zero: only the downstream module learns
    control, ctext, _ = _model(seed=3)
    dni.fit_dni(control, ctext, train, dni.DNIConfig(**{**cfg.as_dict(), "synth_lr": 0.0,
                                                        "weight_decay": 0.0}), labels=10)
    base = accuracy(control, test)
    assert moved > 0.05
    assert acc > 0.6, acc  # chance: 0.1
    assert acc > base + 0.05, (acc, base)
    # the trained halves are one storable classify module
    again = kinds.from_bytes("classify", kinds.full_spec("classify", NARROW),
                             kinds.to_bytes(module))
    x = torch.rand(4, 8, 8)
    assert torch.equal(again(x), model.net(text)(x))


def _counting(model, text):
    """Downstream forward calls so far, recorded at each upstream optimizer step."""
    calls = {"down": 0}
    seen: list[int] = []
    model.net(text).downstream.register_forward_pre_hook(
        lambda _m, _i: calls.__setitem__("down", calls["down"] + 1))
    return calls, seen, lambda *_: seen.append(calls["down"])


def test_upstream_steps_do_not_wait_for_the_downstream_pass():
    _, train, _ = _classify(budget=40)
    for every in (1, 3):
        model, text, _ = _model()
        cfg = dni.DNIConfig(steps=7, batch_size=8, every=every, augment=False)
        trainer = dni.DNITrainer(model, text, cfg, labels=10)
        _, seen, record = _counting(model, text)
        trainer.opt_up.register_step_post_hook(record)
        trainer.fit(train)
        # upstream step t happens before the downstream pass of its own batch: only the
        # batches of earlier drains have been through the downstream module
        assert seen == [(t // every) * every for t in range(cfg.steps)], (every, seen)
        order = [e for e in trainer.history.events if e[0] != "synth"]
        for what, step in order:
            if what == "downstream":  # its batch's upstream step came first
                assert order.index(("upstream", step)) < order.index((what, step))
        assert trainer.history.upstream_steps == trainer.history.downstream_steps == 7
        assert trainer.history.synth_steps == 7
    # end-to-end backprop, by contrast, runs the downstream module before every upstream step
    model, text, _ = _model()
    opt_seen = []
    calls, _, _ = _counting(model, text)
    original = torch.optim.Adam.step

    def spy(self, *args, **kwargs):
        opt_seen.append(calls["down"])
        return original(self, *args, **kwargs)

    torch.optim.Adam.step = spy
    try:
        dni.fit_backprop(model, train, dni.DNIConfig(steps=4, batch_size=8, augment=False))
    finally:
        torch.optim.Adam.step = original
    assert opt_seen == [1, 2, 3, 4]


def test_dni_trains_through_a_program_over_lists():
    task = make_task("sum", 30, 0, n_test=20, lengths=(2, 2))
    data = to_data(task, task.train)
    model, text, _ = _model("(lam (sum (map nn:new:classify $0)))", request=task.request)
    hist = dni.fit_dni(model, text, data, dni.DNIConfig(steps=6, batch_size=4, every=2,
                                                        augment=False), labels=19)
    assert hist.downstream_steps == 6 and all(loss == loss for loss in hist.loss)
    # features per image (two per list), labels per list broadcast to its images
    x, origin, valid = dni.module_input(data.take(torch.arange(3)).values())
    assert x.shape[0] == 6 and origin.tolist() == [0, 0, 1, 1, 2, 2] and bool(valid.all())


# ----------------------------------------------------------------------------- in parallel
class _Wrapped(torch.nn.Module):
    """The downstream module with a side effect on its `at`-th forward pass and after (a
    pause, an exception, or the process's death); the side effect runs in the worker only."""

    def __init__(self, inner, effect, at=1):
        super().__init__()
        self.inner, self.effect, self.at, self.calls = inner, effect, at, 0
        self.parent = os.getpid()

    def forward(self, h):
        self.calls += 1
        if self.calls >= self.at and os.getpid() != self.parent:
            self.effect()
        return self.inner(h)


def _wrap(model, text, effect, at=1):
    cut = model.net(text)
    cut.downstream = _Wrapped(cut.downstream, effect, at)


def _no_worker_left():
    return not [p for p in multiprocessing.active_children() if p.name == "dni-downstream"]


def test_parallel_dni_trains_with_every_module_taking_every_step():
    _, train, test = _classify()
    cfg = dni.DNIConfig(steps=400, batch_size=32, augment=False, lr=5e-3, synth_lr=3e-3)
    model, text, module = _model(seed=3)
    down = [p.detach().clone() for p in model.net(text).downstream.parameters()]
    torch.manual_seed(0)
    hist = dni_parallel.fit_dni_parallel(model, text, train, cfg, labels=10, max_lag=2)
    assert hist.upstream_steps == hist.downstream_steps == hist.synth_steps == 400
    assert len(hist.loss) == len(hist.synth_loss) == len(hist.in_flight) == 400
    assert sorted(hist.events) == sorted((w, t) for w in ("upstream", "downstream", "synth")
                                         for t in range(400))
    # the downstream weights trained in the worker are back in the parent's model
    assert max(float((p.detach() - q).abs().max()) for p, q in
               zip(model.net(text).downstream.parameters(), down, strict=True)) > 0.05
    acc = accuracy(model, test)
    assert acc > 0.5, acc  # chance: 0.1 (0.69-0.83 over synthesizer seeds 0-3)
    x = torch.rand(4, 8, 8)  # ... and in the storable classify module they are views of
    assert torch.equal(module(x), model.net(text)(x))
    assert hist.summary()["method"] == "dni-parallel" and _no_worker_left()


def test_parallel_dni_without_lag_makes_the_serial_updates():
    _, train, _ = _classify(budget=60)
    cfg = dni.DNIConfig(steps=9, batch_size=8, every=1)
    serial, text, _ = _model()
    torch.manual_seed(1)  # the synthesizer's initial weights
    hist = dni.fit_dni(serial, text, train, cfg, labels=10)
    parallel, ptext, _ = _model()
    torch.manual_seed(1)
    phist = dni_parallel.fit_dni_parallel(parallel, ptext, train, cfg, labels=10, max_lag=0)
    for p, q in zip(serial.parameters(), parallel.parameters(), strict=True):
        assert torch.equal(p, q)
    assert phist.loss == hist.loss and phist.events == hist.events
    assert phist.in_flight == [0] * 9


def test_the_lag_bound_holds_while_the_upstream_side_runs_ahead():
    _, train, _ = _classify(budget=60)
    cfg = dni.DNIConfig(steps=12, batch_size=8, augment=False)
    for lag in (0, 2):
        model, text, _ = _model()
        _wrap(model, text, lambda: time.sleep(0.05))  # a slow downstream side
        hist = dni_parallel.fit_dni_parallel(model, text, train, cfg, labels=10, max_lag=lag)
        assert max(hist.in_flight) == lag and hist.downstream_steps == 12
        order = hist.events
        ahead = [t for t in range(11)
                 if order.index(("upstream", t + 1)) < order.index(("downstream", t))]
        # without lag, upstream step t + 1 waits for the downstream step of batch t; with a lag
        # of 2 it does not (the upstream steps are fast, the downstream ones slow)
        assert (ahead == []) if lag == 0 else (len(ahead) >= 6), (lag, ahead)
        if lag:
            assert hist.wait_seconds > 0.1  # it did wait at the bound
    assert _no_worker_left()


def test_a_failing_worker_makes_the_caller_raise_not_hang():
    _, train, _ = _classify(budget=60)
    cfg = dni.DNIConfig(steps=50, batch_size=8, augment=False)

    def boom():
        raise ValueError("boom in the downstream module")

    cases = [(boom, "boom in the downstream module", 60.0),
             (lambda: os._exit(3), "exited (code 3)", 60.0),  # dies without a word
             (lambda: time.sleep(30), "no word", 1.0)]  # goes silent
    for effect, message, timeout in cases:
        model, text, _ = _model()
        _wrap(model, text, effect, at=3)
        t0 = time.perf_counter()
        with pytest.raises(dni_parallel.DNIWorkerError, match=re.escape(message)):
            dni_parallel.fit_dni_parallel(model, text, train, cfg, labels=10, max_lag=1,
                                          timeout=timeout)
        assert time.perf_counter() - t0 < 10
        assert _no_worker_left()
    # an error on the upstream side ends the worker too
    model, text, _ = _model()
    up = model.net(text).upstream
    up.register_forward_pre_hook(lambda _m, _i: (_ for _ in ()).throw(KeyError("upstream")))
    with pytest.raises(KeyError, match="upstream"):
        dni_parallel.fit_dni_parallel(model, text, train, cfg, labels=10)
    assert _no_worker_left()
