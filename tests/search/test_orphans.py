"""The pool's hostile cases: a killed parent (while its workers run, and while they still start),
a killed worker, and Ctrl-C in the coordinator. No worker outlives its run; only the job of a
dead worker fails."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

SCRIPT = textwrap.dedent(
    """
    import multiprocessing, sys, threading, time
    from hylo.core.grammar import Grammar
    from hylo.core.task import Example, Task
    from hylo.core.types import parse_type
    from hylo.domains import get_domain
    from hylo.search.base import Budget
    from hylo.search.executor import SearchConfig, iter_solve

    if __name__ == "__main__":
        mode = sys.argv[1]
        dsl = get_domain("lists").dsl
        # Unsolvable tasks (one input, two outputs: no program fits, whatever constants the
        # task lends the grammar) keep both workers busy for the whole (long) budget.
        tasks = [Task(f"t{i}", parse_type("list(int) -> int"),
                      (Example(([1],), 982451653 + i), Example(([1],), -7)))
                 for i in range(2)]
        config = SearchConfig.from_grammar("lists", Grammar.uniform(dsl))

        def report():
            # "start": as soon as both workers exist (they are still importing);
            # otherwise once they are busy searching.
            while len(multiprocessing.active_children()) < 2:
                time.sleep(0.002)
            if mode != "start":
                time.sleep(3)
            pids = [p.pid for p in multiprocessing.active_children()]
            print(" ".join(map(str, pids)), flush=True)

        threading.Thread(target=report, daemon=True).start()
        try:
            for _ in iter_solve(tasks, config, Budget(seconds=60), workers=2):
                pass
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(130)
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped) counts as gone
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _sigint_as_in_a_terminal() -> None:
    """The child gets SIGINT's default action, as a terminal's foreground job has: a parent
    that ignores SIGINT (a background job, as CI may run) passes SIG_IGN on, and Python keeps
    an inherited SIG_IGN, so Ctrl-C would never reach the code under test."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(mode: str) -> tuple[subprocess.Popen, list[int]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True, preexec_fn=_sigint_as_in_a_terminal,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    pids = [int(p) for p in line.split()]
    if len(pids) != 2:  # say what the coordinator did instead (it ended, or it raised)
        proc.kill()
        out, err = proc.communicate(timeout=10)
        raise AssertionError(f"no worker processes were reported: {line!r}; exit code "
                             f"{proc.returncode}; stdout {out[-2000:]!r}; stderr {err[-4000:]!r}")
    return proc, pids


def _all_gone(pids: list[int], seconds: float) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    return not any(_alive(p) for p in pids)


@pytest.mark.parametrize("mode", ["running", "start"])
def test_workers_exit_when_the_parent_is_killed(mode: str) -> None:
    """`start`: the parent dies while its workers are still importing. The watchdog compares
    `getppid()` with the parent's PID passed in, so it cannot adopt init as its parent."""
    proc, pids = _start(mode)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _all_gone(pids, 15), "workers outlived their killed parent"


def test_ctrl_c_stops_the_pool_at_once() -> None:
    """SIGINT to the whole process group, as a terminal sends it: the coordinator stops its
    workers (which ignore SIGINT themselves) and exits; no traceback from any worker."""
    proc, pids = _start("running")
    t0 = time.time()
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert time.time() - t0 < 10, "the interrupted run took too long to stop"
    assert proc.returncode == 130 and "interrupted" in out, (proc.returncode, out, err)
    assert _all_gone(pids, 5), "workers outlived the interrupted run"
    assert "Traceback" not in err, err


def test_a_killed_worker_fails_only_its_own_task() -> None:
    import multiprocessing
    import threading

    from hylo.core.grammar import Grammar
    from hylo.core.task import Example, Task
    from hylo.core.types import parse_type
    from hylo.domains import get_domain
    from hylo.search.base import Budget
    from hylo.search.executor import SearchConfig, iter_solve

    dsl = get_domain("lists").dsl
    tasks = [
        Task(f"t{i}", parse_type("list(int) -> int"),
             (Example(([1],), 982451653 + i), Example(([1],), -7)))  # unsolvable
        for i in range(4)
    ]
    config = SearchConfig.from_grammar("lists", Grammar.uniform(dsl))

    def kill_one_worker() -> None:
        deadline = time.time() + 30
        while time.time() < deadline:
            children = [p for p in multiprocessing.active_children() if p.pid]
            if len(children) >= 2:
                time.sleep(1.0)  # let both start their first task
                os.kill(children[0].pid, signal.SIGKILL)
                return
            time.sleep(0.05)

    threading.Thread(target=kill_one_worker, daemon=True).start()
    results = list(iter_solve(tasks, config, Budget(seconds=3), workers=2))
    assert sorted(r.task for r in results) == ["t0", "t1", "t2", "t3"]
    died = [r for r in results if r.stopped == "error: worker process died"]
    # The healthy worker's task, running at the same moment, is not touched.
    assert len(died) == 1, [(r.task, r.stopped) for r in results]
    assert all(r.stopped == "timeout" for r in results if r not in died)
