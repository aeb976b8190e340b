"""What a domain plug-in provides. The engine reaches domains only through this.

A domain is data plus a few functions (see STYLE.md); every field but `name` and `dsl` has a
default, so a small third-party domain is a few lines. The engine names no domain: whatever it
needs to know about a domain's values, tasks, neural semantics or commands comes from here.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hylo.core.dsl import DSL, Primitive
from hylo.core.grammar import Grammar
from hylo.core.task import Task
from hylo.core.types import Type
from hylo.core.values import canonical_key, strict_equal

#: `sample_inputs(request, rng, n)`: `n` input tuples for a program of type `request`.
InputSampler = Callable[[Type, random.Random, int], list[tuple[Any, ...]]]
#: `combine(values, outputs, deadline)`: [(binary primitive, [indices into values]), ...]
Combiner = Callable[[Sequence[tuple[Any, ...]], tuple[Any, ...], float],
                    "list[tuple[str, list[int | str]]]"]
#: `witness(xs, out)`: [(lambda arguments, body value), ...] for `p f xs == out`, or None.
Witness = Callable[[Any, Any], "list[tuple[tuple[Any, ...], Any]] | None"]


class Concatenation:
    """The inverse of a concatenation-like primitive `p : t -> t -> t` (`Domain.concatenations`):
    a whole's left part of a given size, and what is left of it after one. This one is for
    Python strings and lists (the prefix relation); a domain with other sequences subclasses it.
    Bottom-up search splits the outputs into parts it has built (`hylo.search.bottom_up_split`);
    what it finds is checked like any program, so an inverse can cost time, never a wrong
    result."""

    def prefix(self, whole: Any, n: int) -> Any | None:
        """The left part of `whole` of size `n` (`size`), None when there is none."""
        if isinstance(whole, (str, list)) and 0 <= n <= len(whole):
            return whole[:n]
        return None

    def rest(self, whole: Any, part: Any) -> Any | None:
        """What is left of `whole` after its left part `part`, None when `part` is not one."""
        if type(whole) is not type(part) or not isinstance(whole, (str, list)):
            return None
        n = len(part)
        if n > len(whole) or whole[:n] != part:
            return None
        return whole[n:]

    def join(self, left: Any, right: Any) -> Any:
        """`p left right`."""
        return left + right

    def size(self, whole: Any) -> int:
        """A measure that every proper split lowers (the length)."""
        return len(whole) if isinstance(whole, (str, list)) else 0


@dataclass
class Domain:
    """A plug-in.

    - `dsl`: typed primitives with their Python meaning.
    - `suites`: suite name -> zero-argument loader of that suite's tasks (`hylo bench SUITE`).
    - `split(tasks)`: (train, test), deterministic. `load_file(path)`: reads a task file,
      raising `ValueError`/`OSError` with a message that names the file, task and field.
    - `equal(a, b)`: does output `a` count as the expected `b` (the checker's equality);
      `value_key(v)`: a hashable canonical key with `value_key(a) == value_key(b)` iff
      `equal(a, b)` (observational equivalence, caches).
    - `sample_inputs`: inputs of a request type, for dreams and evolution (None: cannot).
    - `soft_semantics`: primitive name -> (arity, differentiable meaning) for the neural
      evaluator (`hylo.neural.hybrid`); None when the domain has no neural side.
    - `search_defaults`: what `hylo solve/bench/learn` use unless told otherwise, e.g.
      `{"searcher": {"name": "enumerative", "params": {}}, "timeout": 20.0}`.
    - `commands`: extra CLI commands, name -> typer command function, mounted under
      `hylo bench`/`hylo learn` by name (see `hylo.cli`).
    - `task_constants(task)`: constants for this task's grammar, as `Primitive`s (e.g. the
      integers in its examples, as string synthesizers take theirs), None: no task constants.
      Searchers add them through `Searcher.grammar_for(task)`, weighted
      `search_defaults["constants"]["log_weight"]` (default -2.0).
    - `learner`: the domain's wake phase for the one learning loop (a
      `hylo.learn.hooks.WakeHooks`), None: the default wake-sleep loop over `suites`.
    - `witnesses`: primitive name -> witness function, for primitives `p f xs` whose first
      argument is a lambda and second a collection (`map`, `filter`, ...): `witness(xs, out)`
      gives the points a lambda `f` must meet for `p f xs` to be `out`, as a list of (the
      lambda's arguments, outermost first; the value its body must take), or None when no
      lambda can. Bottom-up search deduces lambdas from them (`hylo.search.bottom_up_deduce`),
      as FlashMeta's witness functions and lambda-squared's deduction do.
    - `concatenations`: primitive name -> its inverse (`Concatenation`), for primitives
      `p : t -> t -> t` that join two parts (`++` on strings): bottom-up search splits the
      outputs into parts it has built (`hylo.search.bottom_up_split`), as string synthesizers
      split an output around its known substrings.
    - `combine(values, outputs, deadline)`: programs assembled from partial ones, for a
      search that found no whole one or fewer than its attempts (icecuber's combination of
      pieces; constants learned from the examples): given the value tuples of the root
      programs found (train points first, as many as `outputs`, then the queries'), proposals
      `(primitive, picks)` that should make the outputs, a pick being an index into `values`
      or the name of a constant (a primitive or a literal of the DSL). The primitive is
      applied to the picks when it takes as many arguments, and folded left over them when it
      is binary. Bottom-up search builds and checks them (`BottomUpSearcher.combine_share`).
      None: no combination.
    - `task_weights(task)`: log-weight offsets per primitive name for this task's grammar
      (grids: the colours its pairs show are likelier), added by `Searcher.grammar_for`.
      None: the grammar's weights as they are.
    - `task_encoder(spec)`: the recognition model's encoder of this domain's tasks
      (`hylo.neural.encoders.TaskEncoder`, a torch module) built from its stored `spec`, or the
      domain's default encoder for None. Torch is imported only when it is called. None: the
      domain's tasks cannot be read by a recognition model (search is then unguided).
    - `case_error(output, expected)`: how far an output is from the expected one, a float >= 0
      that is 0.0 exactly when `equal(output, expected)` (numbers: absolute difference; strings:
      edit distance; per printed stream). Genetic programming selects on these per-case errors
      (lexicase). None: 0.0 when equal, else 1.0 (`case_error`).
    - `plausible(task, predictions)`: whether a fit's outputs on the task's queries are
      believable (grids: of the size the train pairs predict). Bottom-up search with several
      `attempts` ranks an implausible fit after the others. None: all are.
    """

    name: str
    dsl: DSL
    suites: dict[str, Callable[[], list[Task]]] = field(default_factory=dict)
    split: Callable[[list[Task]], tuple[list[Task], list[Task]]] | None = None
    load_file: Callable[[str], list[Task]] | None = None
    equal: Callable[[Any, Any], bool] = strict_equal
    value_key: Callable[[Any], Hashable] = canonical_key
    sample_inputs: InputSampler | None = None
    soft_semantics: Mapping[str, tuple[int, Callable[..., Any]]] | None = None
    search_defaults: dict[str, Any] = field(default_factory=dict)
    commands: dict[str, Callable[..., Any]] = field(default_factory=dict)
    learner: Any = None
    task_constants: Callable[[Task], list[Primitive]] | None = None
    #: `dump_tasks(tasks, extras)`: the text of a task file `load_file` reads back (held-out
    #: examples included, `extras[name]` as extra keys), None: the domain cannot write one
    dump_tasks: Callable[[list[Task], dict[str, dict[str, Any]]], str] | None = None
    witnesses: Mapping[str, Witness] = field(default_factory=dict)
    concatenations: Mapping[str, Concatenation] = field(default_factory=dict)
    combine: Combiner | None = None
    plausible: Callable[[Task, Sequence[Any]], bool] | None = None
    task_weights: Callable[[Task], Mapping[str, float]] | None = None
    task_encoder: Callable[[dict[str, Any] | None], Any] | None = None
    case_error: Callable[[Any, Any], float] | None = None

    def prior(self) -> Grammar:
        """The grammar search starts from without a library: uniform weights, or the domain's
        `search_defaults["prior"]` (`{"log_variable": x, "log_weights": {name: w}}`), a prior
        a domain sets from its training data (e.g. that programs use their inputs)."""
        spec = self.search_defaults.get("prior") or {}
        return Grammar(self.dsl, dict(spec.get("log_weights", {})),
                       float(spec.get("log_variable", 0.0)))

    def error(self, output: Any, expected: Any) -> float:
        """The per-case error of `output` against `expected` (`case_error`, or 0/1)."""
        if self.case_error is not None:
            return float(self.case_error(output, expected))
        return 0.0 if self.equal(output, expected) else 1.0

    def default_searcher(self) -> dict[str, Any]:
        spec = self.search_defaults.get("searcher")
        return dict(spec) if spec else {"name": "enumerative", "params": {}}
