"""A program with neural parts, compiled to a `torch.nn.Module` with three semantics.

One AST, evaluated over batches of values:

- `soft`:   a neural module returns a distribution; combinators act on distributions exactly
            (see `dist`), so the program's output distribution is differentiable in the modules'
            weights and trains from labels of the final output only.
- `hard`:   a neural module returns its most likely value (a point mass); everything downstream
            is then exactly the symbolic semantics (tested against core's evaluator, with each
            module bound to its argmax: `hylo.neural.candidates.with_neural`).
- `sample`: a neural module draws a value from its distribution and records its log-probability
            per example, for REINFORCE.

The soft semantics is exact for programs that use each neural output once (the arguments of a
combinator are then independent); a program that reuses one random value twice, such as
`(+ (m $0) (m $0))`, gets the independent (mean-field) answer instead.

The meaning of each algorithmic primitive comes from the caller (the domain's
`soft_semantics`, in `CompileOptions.semantics`); this module names none.

Value representations (leading axis: the batch; constants have batch 1 and broadcast):
`Cat` an int as a distribution `(B, K)` over 0..K-1, `Bern` a bool as P(True) `(B,)`, `Real`
`(B,)`, `Tens` a perceptual input `(B, ...)` (an image, a vector), `Lst` a list: its elements as
one value of batch `B*L` plus a mask `(B, L)`. Ints are non-negative.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from hylo.core.program import App, Invented, Lam, Prim, Program, Var, spine, walk
from hylo.core.types import TCon, Type, arguments, returns
from hylo.neural import dist, kinds
from hylo.neural.names import is_neural, neural_names, parse_name

Tensor = torch.Tensor
MODES = ("soft", "hard", "sample")


# ----------------------------------------------------------------------------- values
@dataclass
class Cat:
    p: Tensor  # (B, K)


@dataclass
class Bern:
    p: Tensor  # (B,)


@dataclass
class Real:
    x: Tensor  # (B,)


@dataclass
class Tens:
    x: Tensor  # (B, ...)
    origin: Tensor  # (B,) long: the top-level example each row belongs to
    valid: Tensor  # (B,) bool: False for list padding


@dataclass
class Lst:
    elem: Any  # a value of batch B*L, rows ordered (b, l)
    mask: Tensor  # (B, L)


def batch_of(v: Any) -> int:
    if isinstance(v, Cat | Bern):
        return v.p.shape[0]
    if isinstance(v, Real | Tens):
        return v.x.shape[0]
    if isinstance(v, Lst):
        return v.mask.shape[0]
    return 1


def take(v: Any, idx: Tensor) -> Any:
    """Rows `idx` of a batched value (batch-1 constants and functions without captured batch
    values are returned as they are)."""
    if isinstance(v, Fn):
        return v.take(idx)
    if batch_of(v) == 1 and not isinstance(v, Lst):
        return v
    if isinstance(v, Cat):
        return Cat(v.p[idx])
    if isinstance(v, Bern):
        return Bern(v.p[idx])
    if isinstance(v, Real):
        return Real(v.x[idx])
    if isinstance(v, Tens):
        return Tens(v.x[idx], v.origin[idx], v.valid[idx])
    if isinstance(v, Lst):
        length = v.mask.shape[1]
        inner = (idx[:, None] * length + torch.arange(length)).reshape(-1)
        return Lst(take(v.elem, inner), v.mask[idx])
    raise TypeError(f"cannot index a {type(v).__name__}")


def _spread(lst: Lst) -> Tensor:
    """Row indices that repeat each of the B rows L times: a value captured from outside
    `map`'s function is aligned with the B*L elements this way."""
    b, length = lst.mask.shape
    return torch.arange(b).repeat_interleave(length)


def list_probs(lst: Lst) -> Tensor:
    b, length = lst.mask.shape
    p = lst.elem.p
    if p.shape[0] == 1:
        p = p.expand(b * length, -1)
    return p.reshape(b, length, -1)


def list_bern(lst: Lst) -> Tensor:
    b, length = lst.mask.shape
    p = lst.elem.p
    if p.shape[0] == 1:
        p = p.expand(b * length)
    return p.reshape(b, length)


# ----------------------------------------------------------------------------- functions
class Fn(ABC):
    """A function value in the differentiable semantics (a closure or a partial primitive)."""

    @abstractmethod
    def __call__(self, x: Any) -> Any:
        """Apply to one argument."""

    @abstractmethod
    def take(self, idx: Tensor) -> Fn:
        """The same function restricted to the batch rows `idx`."""


class Closure(Fn):
    def __init__(self, model: HybridModel, body: Program, env: tuple):
        self.model, self.body, self.env = model, body, env

    def __call__(self, x: Any) -> Any:
        return self.model._eval(self.body, (x, *self.env))

    def take(self, idx: Tensor) -> Fn:
        return Closure(self.model, self.body, tuple(take(v, idx) for v in self.env))


class Partial(Fn):
    def __init__(self, name: str, arity: int, impl: Callable[..., Any], args: tuple = ()):
        self.name, self.arity, self.impl, self.args = name, arity, impl, args

    def __call__(self, x: Any) -> Any:
        args = (*self.args, x)
        if len(args) == self.arity:
            return self.impl(*args)
        return Partial(self.name, self.arity, self.impl, args)

    def take(self, idx: Tensor) -> Fn:
        return Partial(self.name, self.arity, self.impl, tuple(take(v, idx) for v in self.args))


class ModuleFn(Fn):
    def __init__(self, model: HybridModel, name: str):
        self.model, self.name = model, name

    def __call__(self, x: Any) -> Any:
        return self.model._call_module(self.name, x)

    def take(self, idx: Tensor) -> Fn:
        return self


# ----------------------------------------------------------------------------- semantics
#: A domain's differentiable meaning of its algorithmic primitives, by name:
#: `(arity, impl on values)`; `Domain.soft_semantics` holds it, this module names none.
Semantics = Mapping[str, tuple[int, Callable[..., Any]]]


def soft_map(f: Fn, xs: Lst) -> Lst:
    """`map` over a list value: `f` applied to every element at once."""
    return Lst(take(f, _spread(xs))(xs.elem), xs.mask)


def soft_count(f: Fn, xs: Lst) -> Cat:
    """How many elements satisfy the (soft) predicate `f`: a distribution over counts."""
    q = take(f, _spread(xs))(xs.elem)
    return Cat(dist.count(list_bern(Lst(q, xs.mask)), xs.mask))


def int_constant(k: int) -> Cat:
    """The integer constant `k` as a point mass (batch 1)."""
    return Cat(dist.delta(k, k + 1, (1,)))


def bool_constant(b: bool) -> Bern:
    return Bern(torch.ones(1) if b else torch.zeros(1))


# ----------------------------------------------------------------------------- the model
@dataclass
class ModuleSlot:
    """One neural module of a program: where it came from and whether training may change it."""

    text: str  # as written in the program
    kind: str
    spec: dict[str, Any]
    frozen: bool
    library: tuple[str, int] | None = None  # (name, version) for a library module


@dataclass
class Trace:
    """What a `sample` run recorded: per-example sums of the log-probabilities of the draws."""

    logp: Tensor


class HybridModel(nn.Module):
    """`program` (closed, of type `request`) with its neural modules as submodules."""

    def __init__(self, program: Program, request: Type, slots: Mapping[str, ModuleSlot],
                 modules: Mapping[str, nn.Module], semantics: Semantics | None = None):
        super().__init__()
        self.program = program
        self.semantics: Semantics = semantics or {}
        self.request = request
        self.slots = dict(slots)
        self._keys = {text: f"m{i}" for i, text in enumerate(sorted(self.slots))}
        self.nets = nn.ModuleDict({self._keys[t]: modules[t] for t in sorted(self.slots)})
        for text, slot in self.slots.items():
            for p in self.net(text).parameters():
                p.requires_grad_(not slot.frozen)
        self.mode = "soft"
        self.cache: dict[tuple, tuple[Tensor, Tensor]] | None = None
        self._trace: Tensor | None = None
        self._batch = 0

    def net(self, text: str) -> nn.Module:
        return self.nets[self._keys[text]]

    def trainable(self) -> list[nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]

    # -- evaluation
    def forward(self, inputs: Sequence[Any], mode: str = "soft") -> Any:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.mode = mode
        self._batch = max(batch_of(v) for v in inputs) if inputs else 1
        self._trace = torch.zeros(self._batch) if mode == "sample" else None
        f = self._eval(self.program, ())
        for x in inputs:
            f = f(x)
        return f

    def sample(self, inputs: Sequence[Any]) -> tuple[Any, Trace]:
        out = self.forward(inputs, "sample")
        return out, Trace(self._trace)

    def _eval(self, p: Program, env: tuple) -> Any:
        if isinstance(p, Var):
            return env[p.index]
        if isinstance(p, Lam):
            return Closure(self, p.body, env)
        if isinstance(p, App):
            head, args = spine(p)
            f = self._eval(head, env)
            for a in args:
                f = f(self._eval(a, env))
            return f
        if isinstance(p, Invented):
            return self._eval(p.body, ())
        if isinstance(p, Prim):
            return self._prim(p.name)
        raise TypeError(f"cannot evaluate {p!r} (holes must be filled before training)")

    def _prim(self, name: str) -> Any:
        if name in self.slots:
            return ModuleFn(self, name)
        if name not in self.semantics:
            raise KeyError(f"primitive {name!r} has no differentiable semantics")
        arity, impl = self.semantics[name]
        return impl() if arity == 0 else Partial(name, arity, impl)

    def _call_module(self, name: str, x: Tens) -> Any:
        slot = self.slots[name]
        net = self.net(name)
        out = self._cached(name, x.x, net) if slot.frozen and self.cache is not None else net(x.x)
        if slot.kind == "classify":
            if self.mode == "soft":
                return Cat(torch.softmax(out, -1))
            if self.mode == "hard":
                return Cat(dist.delta(out.argmax(-1), out.shape[-1]))
            draw = torch.distributions.Categorical(logits=out)
            value = draw.sample()
            logp = draw.log_prob(value) * x.valid
            self._trace = self._trace.index_add(0, x.origin, logp)
            return Cat(dist.delta(value, out.shape[-1]))
        if slot.kind == "regress":
            return Real(out)
        return Tens(out, x.origin, x.valid)

    def _cached(self, name: str, x: Tensor, net: nn.Module) -> Tensor:
        key = (name, id(x))
        hit = self.cache.get(key)
        if hit is not None and hit[0] is x:
            return hit[1]
        with torch.no_grad():
            out = net(x)
        self.cache[key] = (x, out)
        return out


# ----------------------------------------------------------------------------- building
Resolver = Callable[[str, int], tuple[str, dict[str, Any], bytes]]


@dataclass
class CompileOptions:
    """How to fill the neural parts (specs for fresh kinds, whether library modules train) and
    the domain's differentiable semantics of the other primitives."""

    semantics: Semantics = field(default_factory=dict)
    fresh_specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    finetune: bool = False
    seed: int = 0


def compile_program(program: Program, request: Type, resolve: Resolver | None = None,
                    options: CompileOptions | None = None,
                    preloaded: Mapping[str, nn.Module] | None = None,
                    share_frozen: bool = False) -> HybridModel:
    """Build the hybrid model of `program`. `resolve(name, version)` returns a library module's
    `(kind, spec, safetensors weights)`; `preloaded` maps a library text to a module already
    built from it. A preloaded module is copied (so training one model never changes another),
    except that with `share_frozen` a frozen one is shared as it is."""
    options = options or CompileOptions()
    slots: dict[str, ModuleSlot] = {}
    modules: dict[str, nn.Module] = {}
    for i, text in enumerate(neural_names(program)):
        ref = parse_name(text)
        if ref.fresh:
            spec = kinds.full_spec(ref.kind, options.fresh_specs.get(ref.kind))
            slots[text] = ModuleSlot(text, ref.kind, spec, frozen=False)
            modules[text] = kinds.build(ref.kind, spec, seed=options.seed * 1000 + i)
        else:
            if resolve is None:
                raise ValueError(f"{text} needs a library to resolve it")
            kind, spec, weights = resolve(ref.name, ref.version)
            given = preloaded is not None and text in preloaded
            if given and share_frozen and not options.finetune:
                module = preloaded[text]
            elif given:
                module = kinds.build(kind, spec)
                module.load_state_dict(preloaded[text].state_dict())
            else:
                module = kinds.from_bytes(kind, spec, weights)
            slots[text] = ModuleSlot(text, kind, kinds.full_spec(kind, spec),
                                     frozen=not options.finetune, library=(ref.name, ref.version))
            modules[text] = module
    for q in walk(program):
        if isinstance(q, Prim) and not is_neural(q.name) and q.name not in options.semantics:
            raise KeyError(f"primitive {q.name!r} has no differentiable semantics")
    return HybridModel(program, request, slots, modules, options.semantics)


# ----------------------------------------------------------------------------- data
IMAGE_LIKE = ("image", "vec")


@dataclass
class Column:
    """One argument of a batch of examples: `x` `(N, ...)`, or `(N, L, ...)` with `mask` for a
    list type."""

    x: Tensor
    mask: Tensor | None = None

    def take(self, idx: Tensor) -> Column:
        return Column(self.x[idx], None if self.mask is None else self.mask[idx])


@dataclass
class Data:
    """Examples of a task as tensors: one `Column` per argument of `request`, labels `y`."""

    request: Type
    columns: list[Column]
    y: Tensor

    def __len__(self) -> int:
        return self.y.shape[0]

    def take(self, idx: Tensor) -> Data:
        return Data(self.request, [c.take(idx) for c in self.columns], self.y[idx])

    @classmethod
    def from_arrays(cls, request: Type, columns: Sequence[tuple[Any, Any]], y: Any) -> Data:
        """From array-likes (numpy): one `(x, mask or None)` per argument, and the labels."""
        cols = [Column(torch.as_tensor(x), None if m is None else torch.as_tensor(m).bool())
                for x, m in columns]
        return cls(request, cols, torch.as_tensor(y))

    def values(self, transform: Callable[[Tensor], Tensor] | None = None) -> list[Any]:
        return [encode(t, c, transform) for t, c in zip(arguments(self.request), self.columns,
                                                        strict=True)]


def _leaf(t: Type, x: Tensor, origin: Tensor, valid: Tensor,
          transform: Callable[[Tensor], Tensor] | None) -> Any:
    name = t.name if isinstance(t, TCon) else ""
    if name in IMAGE_LIKE:
        x = x.float()
        if transform is not None and name == "image":
            x = transform(x)
        return Tens(x, origin, valid)
    if name == "int":
        return Cat(dist.delta(x.long(), int(x.max().item()) + 1 if x.numel() else 1))
    if name == "bool":
        return Bern(x.float())
    if name == "real":
        return Real(x.float())
    raise TypeError(f"cannot encode inputs of type {t}")


def encode(t: Type, column: Column, transform: Callable[[Tensor], Tensor] | None = None) -> Any:
    """A batch of inputs of type `t` as a value."""
    n = column.x.shape[0]
    if isinstance(t, TCon) and t.name == "list":
        if column.mask is None:
            raise ValueError("a list column needs a mask")
        length = column.mask.shape[1]
        flat = column.x.reshape(n * length, *column.x.shape[2:])
        origin = torch.arange(n).repeat_interleave(length)
        elem = _leaf(t.args[0], flat, origin, column.mask.reshape(-1), transform)
        return Lst(elem, column.mask)
    return _leaf(t, column.x, torch.arange(n), torch.ones(n, dtype=torch.bool), transform)


# ----------------------------------------------------------------------------- outputs
def nll(out: Any, y: Tensor) -> Tensor:
    """Per-example negative log-likelihood of the labels (squared error for reals)."""
    if isinstance(out, Cat):
        p = dist.pad_to(out.p, int(y.max().item()) + 1)
        p = p.expand(y.shape[0], -1) if p.shape[0] == 1 else p
        return -torch.log(p.gather(1, y.long()[:, None]).squeeze(1).clamp_min(1e-12))
    if isinstance(out, Bern):
        # select, do not multiply: 0 * log(0) would be NaN (1 - 1e-12 is 1.0 in float32)
        p = out.p.expand(y.shape[0])
        return -torch.where(y.bool(), torch.log(p.clamp_min(1e-12)),
                            torch.log((1 - p).clamp_min(1e-12)))
    if isinstance(out, Real):
        return (out.x - y.float()) ** 2
    raise TypeError(f"no likelihood for an output of kind {type(out).__name__}")


def decide(out: Any, n: int) -> Tensor:
    """The most likely output per example (ints, bools as 0/1, reals rounded)."""
    if isinstance(out, Cat):
        return out.p.argmax(-1).expand(n)
    if isinstance(out, Bern):
        return (out.p > 0.5).long().expand(n)
    if isinstance(out, Real):
        return out.x.round().long().expand(n)
    raise TypeError(f"no decision for an output of kind {type(out).__name__}")


def output_type(request: Type) -> Type:
    return returns(request)
