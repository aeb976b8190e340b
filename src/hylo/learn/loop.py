"""The wake-sleep loop over a domain's training split, checkpointed in the library store.

One iteration `i`:

1. **sleep** (skipped at the very first iteration, whose frontiers are empty): compress the
   frontiers into new abstractions (`hylo.learn.compress`), rewrite them, and refit the grammar's
   weights (`hylo.learn.refit`). This gives the library `G_i` of iteration `i`.
2. **dream** (with `LearnConfig.guide`, once there are frontiers): train a recognition model on
   the frontiers (replays) and on dreams sampled from `G_i` (`hylo.learn.guide`), within a
   stated share of the previous iteration's time. Wake and test then send each task the
   weights the model predicts for it (`SearchJob.weights`).
3. **wake**: search the training tasks under `G_i` (an executor, `hylo.search.executor`);
   tasks not solved yet get `train_timeout(i)`, tasks already solved are searched again with the
   short `resolve_timeout` (their new, library-using solutions are what the next sleep builds
   on; if the search misses, the old solutions stay). The best `keep` solutions per task make
   its frontier.
4. **test**: search the held-out test split under `G_i` at `test_timeout` (the benchmark's
   per-task timeout). A cheaper schedule may set `probe_timeout` for the iterations between the
   first and the last (0 skips the test there). Test tasks never feed the frontiers.
5. **checkpoint**: one store transaction writes the iteration's attempts and solutions, the new
   abstractions (with provenance), the grammar `G_i`, the recognition model of the iteration
   (a library module, `recognition:<domain>`), the frontiers, and the iteration's metrics.

A killed process loses at most the iteration in progress: nothing of it is written before step 4,
and the next `learn` on the same library resumes after the last finished iteration, from exactly
the library and frontiers that iteration checkpointed. Iterations are numbered across the
library: a new run on a library that already learned continues the numbering.

So `load_grammar(store, dsl, domain)` gives the library the last iteration tested, and
`load_grammar(store, dsl, domain, iteration=i)` the one iteration `i` searched with.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from hylo.core.grammar import Grammar, NotDerivable
from hylo.core.program import show
from hylo.core.task import Task
from hylo.core.types import show_type
from hylo.learn.compress import CompressConfig, sleep_abstraction
from hylo.learn.frontier import Frontiers
from hylo.learn.refit import RefitConfig, frontier_weights, refit
from hylo.library import open_store
from hylo.library.exchange import library_iteration_key
from hylo.library.grammar_store import load_grammar, save_grammar, save_invention
from hylo.library.lock import exclusive
from hylo.library.runs import put_task_of, record_result
from hylo.library.sqlite_store import SQLiteStore
from hylo.library.store import Store
from hylo.search.base import Budget, SearchResult

RUN_KIND = "learn"


@dataclass(frozen=True)
class LearnConfig:
    """Everything a learning run depends on; stored with the run and reused on resume."""

    domain: str  # a registered domain's name (the engine has no default domain)
    suite: str  # one of that domain's suites
    iterations: int = 10
    workers: int = 2
    executor: str | None = None  # inline, pool or ray (None: pool; inline when workers is 0)
    address: str | None = None  # the Ray cluster's, for executor "ray"
    searcher: dict | None = None  # a searcher spec (None: the domain's default)
    test_timeout: float = 20.0
    probe_timeout: float | None = None  # test timeout between first and last (None: same)
    train_timeouts: tuple[float, ...] = (5.0, 10.0)
    resolve_timeout: float = 1.0
    keep: int = 3
    search_keep: int = 3
    max_lambda_depth: int = 2
    train_limit: int | None = None  # use only the first N training tasks (tests, quick runs)
    test_limit: int | None = None
    train_names: tuple[str, ...] | None = None  # use only these training tasks (by name)
    test_names: tuple[str, ...] | None = None
    compress: CompressConfig = field(default_factory=CompressConfig)
    refit: RefitConfig = field(default_factory=RefitConfig)
    params: dict[str, Any] = field(default_factory=dict)  # a domain learner's own settings
    guide: dict | None = None  # a `GuideConfig` as JSON: train and use a recognition model

    def train_timeout(self, i: int) -> float:
        ts = self.train_timeouts
        return ts[min(i, len(ts) - 1)] if ts else self.test_timeout

    def to_json(self) -> dict:
        d = asdict(self)
        for key in ("train_timeouts", "train_names", "test_names"):
            if d[key] is not None:
                d[key] = list(d[key])
        return d

    @classmethod
    def from_json(cls, data: dict) -> LearnConfig:
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in data.items() if k in known}
        if "compress" in d:
            d["compress"] = CompressConfig(**d["compress"])
        if "refit" in d:
            d["refit"] = RefitConfig(**d["refit"])
        for key in ("train_timeouts", "train_names", "test_names"):
            if d.get(key) is not None:
                d[key] = tuple(d[key])
        return cls(**d)


class Reporter:
    """Progress callbacks (the CLI draws rich progress bars with them); all optional."""

    def phase(self, name: str, total: int) -> None: ...

    def advance(self, result: SearchResult | None = None) -> None: ...

    def message(self, text: str) -> None: ...


def frontier_key(domain: str) -> str:
    return f"learn:{domain}:frontiers"


@dataclass
class _State:
    run_id: int
    start: int  # first iteration of this run
    next: int  # next iteration to do
    grammar: Grammar
    frontiers: Frontiers
    last_seconds: float | None = None  # the previous iteration's wall time (the dream budget)


def learn(
    library: str | Path | Store | None,
    config: LearnConfig,
    reporter: Reporter | None = None,
    stop_after: int | None = None,
) -> dict:
    """Run (or resume) the loop; returns a summary. `stop_after` ends after that many iterations
    of this call (the run stays resumable).

    A library file is held exclusively for the whole call (`hylo.library.lock`): a second
    learner on the same file is refused with `LibraryBusy` instead of redoing the iteration the
    first one is working on."""
    reporter = reporter or Reporter()
    path = library.path if isinstance(library, SQLiteStore) else library
    if isinstance(path, Store) or path is None or str(path) == ":memory:":
        return _learn_in(library, config, reporter, stop_after)
    with exclusive(path, "learn"):
        return _learn_in(library, config, reporter, stop_after)


def _learn_in(library: str | Path | Store | None, config: LearnConfig, reporter: Reporter,
              stop_after: int | None) -> dict:
    store = open_store(library)
    own = not isinstance(library, Store)
    try:
        return _learn(store, config, reporter, stop_after)
    finally:
        if own:
            store.close()


def _tasks(config: LearnConfig) -> tuple[Any, list[Task], list[Task]]:
    from hylo.domains import get_domain

    domain = get_domain(config.domain)
    if domain.learner is not None:  # the domain brings its own tasks and wake phase
        return domain, [], []
    tasks = domain.suites[config.suite]()
    if domain.split is None:
        raise ValueError(f"domain {config.domain!r} has no train/test split")
    train, test = domain.split(tasks)
    for names, split_name in ((config.train_names, "train"), (config.test_names, "test")):
        if names is None:
            continue
        part = train if split_name == "train" else test
        missing = set(names) - {t.name for t in part}
        if missing:
            raise ValueError(f"not in the {split_name} split: {sorted(missing)}")
    if config.train_names is not None:
        train = [t for t in train if t.name in set(config.train_names)]
    if config.test_names is not None:
        test = [t for t in test if t.name in set(config.test_names)]
    if config.train_limit is not None:
        train = train[: config.train_limit]
    if config.test_limit is not None:
        test = test[: config.test_limit]
    return domain, train, test


def _open_run(store: Store, config: LearnConfig, dsl: Any, reporter: Reporter) -> tuple[
        _State, LearnConfig]:
    runs = [r for r in store.runs()
            if r.kind == RUN_KIND and r.config.get("domain") == config.domain]
    numbered = [it.iteration for r in runs for it in store.iterations(r.id)]
    numbered += [a.iteration for a in store.abstractions(domain=config.domain)]
    imported = store.get_meta(library_iteration_key(config.domain))
    if isinstance(imported, int):
        numbered.append(imported)
    last_global = max(numbered, default=None)
    running = [r for r in runs if r.status == "running"]
    if running:
        run = running[-1]
        stored = LearnConfig.from_json(run.config)
        # The run keeps its own settings (its figures stay comparable); only the machine-
        # dependent worker count and the length of the run may change on resume.
        config = replace(stored, workers=config.workers, executor=config.executor,
                         address=config.address,
                         iterations=max(config.iterations, stored.iterations))
        start = int(run.config.get("start_iteration", 0))
        last = store.last_iteration(run.id)
        nxt = start if last is None else last + 1
        reporter.message(f"resuming run {run.id} at iteration {nxt}")
        run_id = run.id
        store.adopt_run(run_id)  # its old process is gone: the learn lock says so
    else:
        start = 0 if last_global is None else last_global + 1
        run_id = store.start_run(RUN_KIND, {**config.to_json(), "start_iteration": start})
        nxt = start
    # The library the previous iteration searched with; for a fresh library the latest stored
    # grammar (an imported library) or the domain's prior.
    from hylo.domains import get_domain

    grammar = load_grammar(store, dsl, config.domain, None if nxt == start else nxt - 1,
                           default=get_domain(config.domain).prior())
    frontiers = Frontiers.from_json(store.get_meta(frontier_key(config.domain)), config.keep)
    done = store.iterations(run_id)
    last_seconds = done[-1].metrics.get("seconds", {}).get("total") if done else None
    return _State(run_id, start, nxt, grammar, frontiers, last_seconds), config


def _learn(store: Store, config: LearnConfig, reporter: Reporter,
           stop_after: int | None) -> dict:
    domain, train, test = _tasks(config)
    state, config = _open_run(store, config, domain.dsl, reporter)
    with store.transaction():
        for name, prim in domain.dsl.primitives.items():
            store.put_primitive(name, show_type(prim.type), config.domain)
        for t in [*train, *test]:
            put_task_of(store, config.domain, t)
    end = state.start + config.iterations
    done = 0
    summaries = []
    while state.next < end:
        if stop_after is not None and done >= stop_after:
            break
        if domain.learner is not None:
            summaries.append(_learner_iteration(domain.learner, store, config, state,
                                                reporter))
        else:
            summaries.append(_iteration(store, config, state, train, test, reporter,
                                        last=state.next == end - 1))
        state.next += 1
        done += 1
    finished = state.next >= end
    if finished:
        summary = _run_summary(store, state.run_id)
        store.finish_run(state.run_id, summary)
    return {"run_id": state.run_id, "iterations": summaries, "finished": finished}


def _run_summary(store: Store, run_id: int) -> dict:
    its = store.iterations(run_id)
    if not its:
        return {}
    first, last = its[0].metrics, its[-1].metrics
    return {
        "iterations": len(its),
        "first_iteration": its[0].iteration,
        "last_iteration": its[-1].iteration,
        "test_solved_first": first.get("test", {}).get("solved"),
        "test_solved_last": last.get("test", {}).get("solved"),
        "test_total": last.get("test", {}).get("total"),
        "library_size": last.get("library_size"),
        "wall_seconds": round(sum(it.metrics.get("seconds", {}).get("total", 0.0)
                                  for it in its), 1),
    }


# ------------------------------------------------------------------ one iteration
def _iteration(store: Store, config: LearnConfig, state: _State, train: list[Task],
               test: list[Task], reporter: Reporter, last: bool) -> dict:
    i = state.next
    t0 = time.perf_counter()
    by_name = {t.name: t for t in train}
    grammar = state.grammar
    frontiers = Frontiers(config.keep, {k: list(v) for k, v in state.frontiers.entries.items()})
    sleep_info: dict[str, Any] = {}
    new_abstractions: list = []
    if frontiers.solved():
        reporter.phase(f"iteration {i}: sleep", 1)
        grammar, new_abstractions, sleep_info = _sleep(config, grammar, frontiers,
                                                       by_name)
        reporter.advance()
    t_sleep = time.perf_counter() - t0

    # dream: the recognition model of this iteration, and its per-task weights
    guide_model, guide_info, weights = None, None, None
    t_dream0 = time.perf_counter()
    if config.guide is not None and frontiers.solved():
        guide_model, guide_info = _dream(config, grammar, frontiers, by_name, i, state,
                                         reporter, store)
        weights = _guide_weights(guide_model, grammar, [*train, *test])
    t_dream = time.perf_counter() - t_dream0

    # wake: training tasks
    solved_before = frontiers.solved()
    unsolved = [t for t in train if t.name not in solved_before]
    resolved = [t for t in train if t.name in solved_before]
    train_results: dict[str, SearchResult] = {}
    t1 = time.perf_counter()
    reporter.phase(f"iteration {i}: wake ({len(train)} train tasks)", len(train))
    for tasks, timeout in ((unsolved, config.train_timeout(i)), (resolved, config.resolve_timeout)):
        if tasks and timeout > 0:
            for r in _search(tasks, grammar, config, config.search_keep, timeout, reporter,
                             weights):
                train_results[r.task] = r
    for r in train_results.values():
        if r.solved and r.program is not None:
            frontiers.add(r.task, r.program, float(r.description_length or 0.0))
            for text, dl in r.extra:
                frontiers.add(r.task, text, float(dl))
    t_wake = time.perf_counter() - t1

    # test
    t2 = time.perf_counter()
    first = i == state.start
    probe = config.probe_timeout
    test_timeout = config.test_timeout if (first or last or probe is None) else probe
    test_results: dict[str, SearchResult] = {}
    if test and test_timeout > 0:
        reporter.phase(f"iteration {i}: test ({len(test)} tasks, {test_timeout:g}s)", len(test))
        for r in _search(test, grammar, config, 1, test_timeout, reporter, weights):
            test_results[r.task] = r
    t_test = time.perf_counter() - t2
    if guide_info is not None:
        guide_info["test_log_likelihood"] = _held_out_likelihood(guide_model, grammar, test,
                                                                 test_results)

    metrics = {
        "iteration": i,
        "library_size": len(grammar.dsl.inventions),
        "new_abstractions": [a.invention.name for a in new_abstractions],
        "train": _split_metrics(train, train_results, frontiers, config.train_timeout(i)),
        "test": _split_metrics(test, test_results, None, test_timeout),
        "sleep": sleep_info,
        "seconds": {"sleep": round(t_sleep, 2), "dream": round(t_dream, 2),
                    "wake": round(t_wake, 2), "test": round(t_test, 2)},
        "guided": guide_model is not None,
    }
    if guide_info is not None:
        metrics["guide"] = guide_info
    metrics["test"]["timeout"] = test_timeout
    metrics["train"]["resolve_timeout"] = config.resolve_timeout
    reporter.phase(f"iteration {i}: checkpoint", 1)
    with store.transaction():
        for new in new_abstractions:
            save_invention(store, new.invention, i, config.domain, new.provenance(i))
        save_grammar(store, grammar, i, config.domain)
        if guide_model is not None:
            from hylo.learn.guide import save_guide

            guide_info["version"] = save_guide(store, guide_model, guide_info, i,  # type: ignore[index]
                                               config.domain)
        by_task = {t.name: t for t in [*train, *test]}
        for r in [*train_results.values(), *test_results.values()]:
            record_result(store, state.run_id, config.domain, by_task[r.task], r, i)
        store.set_meta(frontier_key(config.domain), frontiers.to_json())
        metrics["seconds"]["total"] = round(time.perf_counter() - t0, 2)
        store.finish_iteration(state.run_id, i, metrics)
    reporter.advance()
    reporter.message(
        f"iteration {i}: train {metrics['train']['solved']}/{len(train)}, "
        f"test {metrics['test']['solved']}/{len(test)} at {test_timeout:g}s, "
        f"library {metrics['library_size']} (+{len(new_abstractions)}), "
        f"{metrics['seconds']['total']:.0f}s"
    )
    state.grammar = grammar
    state.frontiers = frontiers
    state.last_seconds = metrics["seconds"]["total"]
    return {k: metrics[k] for k in ("iteration", "library_size", "new_abstractions", "seconds")} | {
        "train_solved": metrics["train"]["solved"], "test_solved": metrics["test"]["solved"]}


def _learner_iteration(learner: Any, store: Store, config: LearnConfig, state: _State,
                       reporter: Reporter) -> dict:
    """Iteration `state.next` with the domain's own wake phase (`hylo.learn.hooks`), then the
    same checkpoint as every iteration: the grammar and the metrics, in one transaction."""
    i = state.next
    t0 = time.perf_counter()
    reporter.phase(f"iteration {i}: wake ({config.domain})", learner.units(config.params))

    def progress(message: str, done: bool) -> None:
        if done:
            reporter.advance()
        reporter.message(message)

    metrics = dict(learner.wake(store, state.run_id, i, dict(config.params), progress))
    metrics["iteration"] = i
    metrics.setdefault("library_size", len(state.grammar.dsl.inventions))
    metrics["seconds"] = {"wake": round(time.perf_counter() - t0, 2)}
    with store.transaction():
        save_grammar(store, state.grammar, i, config.domain)
        metrics["seconds"]["total"] = round(time.perf_counter() - t0, 2)
        store.finish_iteration(state.run_id, i, metrics)
    test = metrics.get("test", {})
    return {"iteration": i, "library_size": metrics["library_size"], "new_abstractions": [],
            "seconds": metrics["seconds"], "test_solved": test.get("solved"),
            "tasks": metrics.get("tasks", [])}


def _dream(config: LearnConfig, grammar: Grammar, frontiers: Frontiers,
           by_name: dict[str, Task], i: int, state: _State, reporter: Reporter,
           store: Store) -> tuple[Any, dict]:
    """The dream/recognition phase: a model trained within the guide's share of the previous
    iteration's time (`hylo.learn.guide`), continuing from the last iteration's model."""
    from hylo.domains import get_domain
    from hylo.learn.guide import GuideConfig, load_guide, train_guide

    gc = GuideConfig.from_json(config.guide)
    seconds = gc.budget(state.last_seconds)
    reporter.phase(f"iteration {i}: dream ({gc.mode} recognition, {seconds:.0f}s)", 1)
    domain = get_domain(config.domain)
    try:
        previous = load_guide(store, domain, iteration=i - 1) if gc.warm_start else None
    except ValueError:  # a damaged stored model: train from scratch
        previous = None
    model, info = train_guide(domain, grammar, frontiers, by_name, gc, seconds, seed=i,
                              previous=previous)
    info["budget_seconds"] = round(seconds, 2)
    reporter.advance()
    reporter.message(f"iteration {i}: recognition on {info['replays']} replays and "
                     f"{info['dreams']} dreams, {info.get('epochs', 0)} epochs")
    return model, info


def _guide_weights(model: Any, grammar: Grammar,
                   tasks: Sequence[Task]) -> dict[str, dict[str, float]]:
    from hylo.learn.guide import guide_weights

    return guide_weights(model, grammar, tasks)


def _held_out_likelihood(model: Any, grammar: Grammar, tasks: Sequence[Task],
                         results: dict[str, SearchResult]) -> dict:
    """Mean log-likelihood of the test split's solutions under the model vs the grammar."""
    from hylo.neural.recognition import mean_log_likelihood

    programs = []
    for t in tasks:
        r = results.get(t.name)
        if r is not None and r.solved and r.program is not None:
            try:
                programs.append((t, grammar.dsl.parse(r.program)))
            except (ValueError, RecursionError):
                continue
    return mean_log_likelihood(model, grammar, programs)


def _search(tasks: list[Task], grammar: Grammar, config: LearnConfig, keep: int,
            timeout: float, reporter: Reporter,
            weights: dict[str, dict[str, float]] | None = None) -> list[SearchResult]:
    from hylo.domains import get_domain
    from hylo.search.executor import SearchConfig, shared_executor, solve_tasks
    from hylo.search.registry import parse_spec, searcher_class

    # The run's (or the domain's) searcher, given the loop's settings where it takes them:
    # `keep` is the loop's (the frontiers need it), the lambda depth a default the spec may set.
    # The spec travels to the workers with the grammar.
    spec = parse_spec(config.searcher or get_domain(config.domain).default_searcher())
    takes = searcher_class(spec["name"]).params
    if "keep" in takes:
        spec["params"]["keep"] = keep
    if "max_lambda_depth" in takes:
        spec["params"].setdefault("max_lambda_depth", config.max_lambda_depth)
    sc = SearchConfig.from_grammar(config.domain, grammar, spec)
    name = config.executor or ("pool" if config.workers > 0 else "inline")
    # shared: a Ray session starts once per learning run, not once per search
    ex = shared_executor(name, max(1, config.workers), config.address)
    return solve_tasks(tasks, sc, Budget(seconds=timeout), on_result=reporter.advance,
                       executor=ex, weights=weights)


def _split_metrics(tasks: Sequence[Task], results: dict[str, SearchResult],
                   frontiers: Frontiers | None, timeout: float) -> dict:
    per_task = {}
    for t in tasks:
        r = results.get(t.name)
        if r is None:
            continue
        per_task[t.name] = {"solved": r.solved, "seconds": round(r.seconds, 4),
                            "program": r.program, "dl": r.description_length,
                            "candidates": r.candidates}
    solved_now = [v["seconds"] for v in per_task.values() if v["solved"]]
    out: dict[str, Any] = {
        "total": len(tasks),
        "searched": len(per_task),
        "solved_now": len(solved_now),
        "median_seconds": round(statistics.median(solved_now), 4) if solved_now else None,
        "timeout": timeout,
        "tasks": per_task,
    }
    if frontiers is not None:  # train: a task is solved once any iteration solved it
        out["solved"] = len(frontiers.solved() & {t.name for t in tasks})
    else:
        out["solved"] = len(solved_now)
    return out


# ------------------------------------------------------------------ sleep
def _sleep(config: LearnConfig, grammar: Grammar, frontiers: Frontiers,
           by_name: dict[str, Task]) -> tuple[Grammar, list, dict]:
    t0 = time.perf_counter()
    corpus = frontiers.corpus(grammar, by_name)
    result = sleep_abstraction(corpus, grammar, config.compress)
    t_compress = time.perf_counter() - t0
    widened = grammar.with_dsl(result.dsl)
    # the rewritten frontiers, scored under the widened grammar
    rewritten: dict[str, list[tuple[str, float]]] = {}
    for (task, _), program in zip(corpus, result.programs, strict=True):
        try:
            dl = widened.with_literals(program).description_length(program, task.request)
        except NotDerivable:
            continue
        rewritten.setdefault(task.name, []).append((show(program), dl))
    for name, entries in rewritten.items():
        frontiers.replace(name, entries)
    weighted = []
    for name, entries in frontiers.entries.items():
        task = by_name.get(name)
        if task is None or not entries:
            continue
        programs = [(result.dsl.parse(p), task.request) for p, _ in entries]
        for (p, req), w in zip(programs, frontier_weights(widened, programs), strict=True):
            weighted.append((p, req, w))
    t1 = time.perf_counter()
    fitted = refit(widened, weighted, config.refit)
    t_refit = time.perf_counter() - t1
    frontiers.rescore(fitted, by_name)
    info = result.summary()
    info["seconds_compress"] = round(t_compress, 2)
    info["seconds_refit"] = round(t_refit, 2)
    info["corpus"] = len(corpus)
    return fitted, result.added, info

