"""Guidance: the recognition model trained in the loop, stored in the library, used by search.

- `train_guide`: the dream/recognition phase of one learning iteration: replays (the best
  frontier program of every solved training task) and dreams (`hylo.learn.dreams`) under the
  iteration's library, a fresh model (`hylo.neural.recognition`) trained on them within a time
  budget, returned with its metrics.
- `save_guide` / `load_guide`: the model as the library module `recognition:<domain>` (one
  version per iteration, provenance `{"domain", "iteration"}`); `load_guide` gives the latest
  version, or the latest at or before an iteration, or None when the library has none (or torch
  is not installed: search is then unguided, and says so).
- `train_library_guide`: the same phase run afterwards on a library a learning run left (its
  latest grammar and frontiers): `hylo library guide`, e.g. to compare modes on one library.
- `guide_weights(model, grammar, tasks)`: per task, the weights the model predicts, restricted
  to the names `grammar` has: what each search job carries to its worker.

Torch is imported only inside these functions.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from hylo.core.derivation import VARIABLE
from hylo.core.grammar import CONTEXTS_KEY, ROOT, Grammar
from hylo.core.program import Program
from hylo.core.task import Task
from hylo.learn.frontier import Frontiers
from hylo.library.store import Store


@dataclass(frozen=True)
class GuideConfig:
    """The dream/recognition phase's settings (`LearnConfig.guide`).

    Its time is `share` of the previous iteration's wall time, at least `min_seconds` and at
    most `max_seconds`; dreams get `dream_share` of it, training the rest."""

    mode: str = "unigram"
    share: float = 0.25
    min_seconds: float = 5.0
    max_seconds: float = 180.0
    dream_share: float = 0.3
    dreams: int = 2000
    dream_examples: int = 5
    hidden: int = 64
    threads: int = 1
    seed: int = 0
    warm_start: bool = True  # continue from the last iteration's model

    def budget(self, previous_seconds: float | None) -> float:
        if previous_seconds is None:
            return self.min_seconds
        return min(self.max_seconds, max(self.min_seconds, self.share * previous_seconds))

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> GuideConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known})


#: nats within which a contextual row counts as the unigram row (below one cost quantum)
SAME_ROW = 0.1


def module_name(domain: str) -> str:
    return f"recognition:{domain}"


def replays(grammar: Grammar, frontiers: Frontiers,
            tasks: Mapping[str, Task]) -> list[tuple[Task, Program]]:
    """The cheapest frontier program of every solved training task."""
    out = []
    for name in sorted(frontiers.entries):
        task, entries = tasks.get(name), frontiers.entries[name]
        if task is None or not entries:
            continue
        try:
            out.append((task, grammar.dsl.parse(entries[0][0])))
        except (ValueError, RecursionError):
            continue
    return out


def train_guide(domain: Any, grammar: Grammar, frontiers: Frontiers,
                tasks: Mapping[str, Task], config: GuideConfig, seconds: float,
                seed: int = 0, progress: Callable[[str], None] | None = None,
                previous: Any = None) -> tuple[Any, dict]:
    """(model, metrics) of one dream/recognition phase within about `seconds`, continuing from
    `previous` (the last iteration's model) where it fits (`warm_start`)."""
    from hylo.learn.dreams import dream
    from hylo.neural.recognition import (
        Dataset,
        TrainConfig,
        build_model,
        make_items,
        train_model,
        warm_start,
    )

    if domain.task_encoder is None:
        raise ValueError(f"domain {domain.name} has no task encoder for a recognition model")
    t0 = time.perf_counter()
    model = build_model(grammar, domain.task_encoder, domain.name, mode=config.mode,
                        hidden=config.hidden, seed=config.seed + seed)
    warm = previous is not None and config.warm_start and warm_start(model, previous)
    features: dict[str, Any] = {}
    rep = make_items(model, grammar, replays(grammar, frontiers, tasks), "replay", features)
    dream_stats: dict[str, int] = {}
    dreams = Dataset()
    if domain.sample_inputs is not None and config.dreams > 0:
        requests = [t.request for t in tasks.values()]
        found, dream_stats = dream(grammar, domain, requests, config.dreams,
                                   random.Random(config.seed * 7919 + seed),
                                   examples=config.dream_examples,
                                   seconds=config.dream_share * seconds)
        dreams = make_items(model, grammar, [(d.task, d.program) for d in found], "dream",
                            features)
    t_dream = time.perf_counter() - t0
    metrics = train_model(model, rep, dreams,
                          TrainConfig(seconds=max(1.0, seconds - t_dream),
                                      threads=config.threads, seed=config.seed + seed),
                          progress)
    metrics["dream_stats"] = dream_stats
    metrics["seconds_dreams"] = round(t_dream, 2)
    metrics["seconds_total"] = round(time.perf_counter() - t0, 2)
    metrics["mode"] = config.mode
    metrics["warm_start"] = bool(warm)
    return model, metrics


def save_guide(store: Store, model: Any, metrics: Mapping[str, Any], iteration: int,
               domain: str) -> int:
    """Store the model as a new version of `recognition:<domain>`; its version."""
    from hylo.neural.recognition import KIND, to_bytes

    return store.put_module(module_name(domain), KIND, model.spec, to_bytes(model),
                            dict(metrics), {"domain": domain, "iteration": iteration})


def load_guide(store: Store, domain: Any, iteration: int | None = None) -> Any:
    """The latest stored model of `domain` (at or before `iteration` when given), or None."""
    name = module_name(domain.name)
    records = [r for r in store.modules() if r.name == name
               and (iteration is None or (r.provenance or {}).get("iteration", -1) <= iteration)]
    if not records or domain.task_encoder is None:
        return None
    try:
        from hylo.neural.recognition import from_record
    except ImportError:  # torch is an extra: without it, search is unguided
        return None
    rec = max(records, key=lambda r: r.version)
    try:
        model = from_record(rec.spec, rec.weights, domain.task_encoder)
    except Exception as e:  # a damaged or foreign record: one clear error, never a traceback
        raise ValueError(f"the library's {name} v{rec.version} cannot be rebuilt: "
                         f"{type(e).__name__}: {e}") from e
    model.record = {"name": rec.name, "version": rec.version,
                    "iteration": (rec.provenance or {}).get("iteration"), "mode": model.mode}
    return model


def guide_weights(model: Any, grammar: Grammar,
                  tasks: Sequence[Task]) -> dict[str, dict[str, Any]]:
    """Task name -> predicted weights over the names `grammar` has (others are dropped: a model
    of an older library leaves the newer names their library weights)."""
    known = set(grammar.log_weights) | {VARIABLE}
    out: dict[str, dict[str, Any]] = {}
    for task, weights in zip(tasks, model.predict(tasks), strict=True):
        mine: dict[str, Any] = {n: w for n, w in weights.items() if n in known}
        compact = weights.get(CONTEXTS_KEY)
        if compact is not None:
            keep = [i for i, n in enumerate(compact["names"]) if n in known]
            names = [compact["names"][i] for i in keep]
            unigram = [mine[n] for n in names]
            rows = []
            for p, k, ws in compact["rows"]:
                if p not in known and (p, k) != ROOT:
                    continue
                row = [ws[i] for i in keep]
                # A row the model does not set apart from the unigram one is dropped: its
                # holes then share the unigram's non-terminals and banks (bottom-up merges
                # values per bank, so needless contexts cost search time).
                if max((abs(a - b) for a, b in zip(row, unigram, strict=True)),
                       default=0.0) >= SAME_ROW:
                    rows.append([p, k, row])
            if rows:
                mine[CONTEXTS_KEY] = {"names": names, "rows": rows}
        out[task.name] = mine
    return out


def train_library_guide(store: Store, domain: Any, config: GuideConfig, seconds: float,
                        progress: Callable[[str], None] | None = None) -> tuple[int, dict]:
    """Train and store a model for the library's latest grammar from its frontiers and the
    training tasks of its latest learning run; (version, metrics). ValueError when the library
    has no learning run or no solved task of `domain`."""
    from hylo.learn.loop import RUN_KIND, LearnConfig, _tasks, frontier_key
    from hylo.library.grammar_store import load_grammar

    runs = [r for r in store.runs() if r.kind == RUN_KIND
            and r.config.get("domain") == domain.name]
    if not runs:
        raise ValueError(f"the library holds no learning run of domain {domain.name}")
    frontiers = Frontiers.from_json(store.get_meta(frontier_key(domain.name)))
    if not frontiers.solved():
        raise ValueError(f"the library has no solved training task of domain {domain.name}")
    done = [it.iteration for r in runs for it in store.iterations(r.id)]
    iteration = max(done, default=0)
    grammar = load_grammar(store, domain.dsl, domain.name, default=domain.prior())
    _, train, _ = _tasks(LearnConfig.from_json(runs[-1].config))
    try:
        previous = load_guide(store, domain) if config.warm_start else None
    except ValueError:  # a damaged stored model: train from scratch
        previous = None
    model, metrics = train_guide(domain, grammar, frontiers, {t.name: t for t in train}, config,
                                 seconds, seed=iteration, progress=progress, previous=previous)
    metrics["budget_seconds"] = round(seconds, 2)
    with store.transaction():
        version = save_guide(store, model, metrics, iteration, domain.name)
    return version, metrics
