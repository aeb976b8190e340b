"""Candidate enumeration invariants and a quality test of the hybrid search."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hylo.core.dsl import DSL, Primitive  # noqa: E402
from hylo.core.infer import is_well_typed  # noqa: E402
from hylo.core.program import parse, show  # noqa: E402
from hylo.core.types import parse_type  # noqa: E402
from hylo.domains.digits import dsl as digits_dsl  # noqa: E402
from hylo.domains.digits.experiment import to_data  # noqa: E402
from hylo.domains.digits.tasks import make_task  # noqa: E402
from hylo.neural import kinds  # noqa: E402
from hylo.neural.hybrid import Bern, Cat, Column, CompileOptions, Data, compile_program  # noqa: E402
from hylo.neural.names import KIND_TYPES  # noqa: E402
from hylo.neural.search import SearchConfig, enumerate_programs, eta_reduce, search  # noqa: E402
from hylo.neural.train import TrainConfig, fit_gradient  # noqa: E402

LIB = "nn:digit@v1"


def _prims():
    prims = {n: p.type for n, p in digits_dsl().primitives.items()}
    prims[LIB] = KIND_TYPES["classify"]
    prims["nn:new:classify"] = KIND_TYPES["classify"]
    return prims


def _typing_dsl(prims):
    return DSL({n: Primitive(n, t, None) for n, t in prims.items()})


@pytest.mark.parametrize("request_text", ["image -> int", "list(image) -> int",
                                          "list(image) -> bool"])
def test_enumeration_is_well_typed_closed_unique_and_evaluates(request_text):
    prims = _prims()
    request = parse_type(request_text)
    programs = enumerate_programs(prims, request, 7)
    assert programs
    texts = [show(p) for p in programs]
    assert len(texts) == len(set(texts))
    typing = _typing_dsl(prims)
    x = torch.rand(3, 4, 8, 8) if "list" in request_text else torch.rand(3, 8, 8)
    linear = {"arch": "linear"}
    for p in programs:
        assert is_well_typed(p, typing, request), show(p)
        assert eta_reduce(p) == p
        model = compile_program(p, request, resolve=lambda n, v: ("classify", linear, b""),
                                preloaded={LIB: kinds.build("classify", linear)},
                                options=CompileOptions(fresh_specs={"classify": linear}))

        mask = torch.ones(3, 4, dtype=torch.bool) if "list" in request_text else None
        data = Data(request, [Column(x, mask)], torch.zeros(3, dtype=torch.long))
        out = model(data.values(), "soft")
        assert isinstance(out, Bern if request_text.endswith("bool") else Cat), show(p)


def test_enumeration_reaches_the_sequence_programs_at_size_8():
    prims = _prims()
    ints = {show(p) for p in enumerate_programs(prims, parse_type("list(image) -> int"), 8)}
    bools = {show(p) for p in enumerate_programs(prims, parse_type("list(image) -> bool"), 8)}
    assert f"(lam (sum (map {LIB} $0)))" in ints
    assert f"(lam (maximum (map {LIB} $0)))" in ints
    assert f"(count (lam (eq ({LIB} $0) 7)))" in ints
    assert f"(lam (sorted (map {LIB} $0)))" in bools
    # pruned: constant expressions, x + 0, length of a map, ignored arguments
    assert "(lam (+ (length $0) 0))" not in ints
    assert f"(lam (length (map {LIB} $0)))" not in ints
    assert not any(t.startswith("(lam 3") for t in ints)


def test_enumeration_limit_keeps_the_smallest():
    prims = _prims()
    request = parse_type("list(image) -> int")
    full = enumerate_programs(prims, request, 7)
    assert enumerate_programs(prims, request, 7, limit=5) == full[:5]


def test_eta_reduce():
    assert show(eta_reduce(parse("(lam (map (lam (f $0)) $0))"))) == "(map f)"
    assert show(eta_reduce(parse("(lam (f $0 $0))"))) == "(lam (f $0 $0))"


def _library_module(seed=0):
    """A linear digit classifier trained quickly on task 1's training images."""
    task = make_task("classify", 600, seed)
    model = compile_program(parse("(lam (nn:new:classify $0))"), task.request,
                            options=CompileOptions(fresh_specs={"classify": {"arch": "linear"}}))
    fit_gradient(model, to_data(task, task.train), TrainConfig(steps=300, lr=1e-2,
                                                               augment=False))
    return model.net("nn:new:classify")


def test_search_finds_max_with_a_library_module_and_halves_the_trainable():
    torch.manual_seed(0)
    module = _library_module()
    task = make_task("max", 60, seed=0, n_test=200)
    prims = _prims()
    train, val = task.train, task.test  # the test split serves as validation in this test
    cfg = SearchConfig(max_size=7, max_trainable=4, finetune_top=1, min_steps=2,
                       final_steps=0, fresh_specs={"classify": {"arch": "linear"}},
                       train=TrainConfig(steps=0, batch_size=16, augment=False))
    spec = kinds.full_spec("classify", {"arch": "linear"})
    weights = kinds.to_bytes(module)
    res = search(task.request, to_data(task, train), to_data(task, val), prims,
                 resolve=lambda n, v: ("classify", spec, kinds.to_bytes(module)),
                 library={LIB: module}, cfg=cfg)
    assert res.text == f"(lam (maximum (map {LIB} $0)))"
    assert res.val_accuracy > 0.7
    # successive halving: rung budgets grow by eta, survivors shrink by eta
    steps = [r["steps"] for r in res.rungs]
    alive = [len(r["scores"]) for r in res.rungs]
    assert steps == [2 * 3**i for i in range(len(steps))]
    assert alive[0] == res.trained >= 3
    assert all(b == -(-a // 3) for a, b in zip(alive, alive[1:], strict=False))
    assert alive[-1] == 1
    # the shared library module was never trained (the fine-tuned arm trained a copy)
    assert kinds.to_bytes(module) == weights


def test_search_trains_a_fresh_hole_when_there_is_no_library():
    torch.manual_seed(0)
    task = make_task("classify", 200, seed=0)
    prims = {n: p.type for n, p in digits_dsl().primitives.items()}
    prims["nn:new:classify"] = KIND_TYPES["classify"]
    cfg = SearchConfig(max_size=5, max_trainable=3, min_steps=20, final_steps=200,
                       fresh_specs={"classify": {"arch": "linear"}},
                       train=TrainConfig(lr=1e-2, augment=False))
    n = len(task.train)
    idx = np.arange(n)
    from hylo.domains.digits.tasks import Examples

    tr = Examples(task.train.images[idx[: n // 2]], task.train.labels[idx[: n // 2]])
    va = Examples(task.train.images[idx[n // 2:]], task.train.labels[idx[n // 2:]])
    res = search(task.request, to_data(task, tr), to_data(task, va), prims, cfg=cfg)
    assert res.text == "nn:new:classify"
    from hylo.neural.train import accuracy

    assert accuracy(res.model, to_data(task, task.test)) > 0.6
