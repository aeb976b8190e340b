"""Growing modules (Net2Net): the same function before and after, storable specs, training on."""

import copy
import json

import pytest

torch = pytest.importorskip("torch")

from hylo.core.program import parse  # noqa: E402
from hylo.core.types import parse_type  # noqa: E402
from hylo.library import open_store  # noqa: E402
from hylo.library.modules import ModuleLibrary  # noqa: E402
from hylo.neural import grow, kinds  # noqa: E402
from hylo.neural.hybrid import Column, CompileOptions, Data, compile_program  # noqa: E402

torch.set_num_threads(1)

SPECS = [
    ("classify", {}),
    ("classify", {"arch": "mlp", "hidden": 12}),
    ("regress", {"hidden": 10}),
    ("mlp", {"in": 6, "out": 5, "hidden": 7}),
]
# specs that need the kinds' `depth`, `pool` and `kernel` keys
DEEP_SPECS = [
    ("classify", {"channels": [3, 5, 4], "pool": "first", "kernel": [3, 5, 3], "depth": 2}),
    ("classify", {"channels": [4, 6], "pool": "none", "depth": 2, "dropout": 0.2}),
    ("mlp", {"in": 6, "out": 5, "hidden": 7, "depth": 3}),
]


def _has(key):
    return all(key in spec for spec in kinds.DEFAULT_SPECS.values())


def _specs():
    return SPECS + (DEEP_SPECS if _has("depth") else [])


def _inputs(kind, spec, n=9, seed=0):
    gen = torch.Generator().manual_seed(seed)
    if kind == "mlp":
        return torch.randn(n, kinds.full_spec(kind, spec)["in"], generator=gen)
    return torch.rand(n, 8, 8, generator=gen)


def _same(a, b, x):
    a.eval()
    b.eval()
    with torch.no_grad():
        return float((a(x) - b(x)).abs().max())


@pytest.mark.parametrize("kind,spec", _specs())
def test_widen_keeps_the_function_and_rebuilds_from_its_spec(kind, spec):
    module = kinds.build(kind, spec, seed=3)
    x = _inputs(kind, spec)
    for key, width in grow.widths(kind, spec).items():
        for new in (width + 1, 2 * width, 3 * width + 2):
            g = grow.widen(kind, spec, module, key, new, seed=new)
            assert grow.widths(kind, g.spec)[key] == new
            assert _same(module, g.module, x) < 1e-5
            # the spec is the kind's: JSON, then rebuilt from (kind, spec) + safetensors bytes
            stored = json.loads(json.dumps(g.spec))
            again = kinds.from_bytes(kind, stored, kinds.to_bytes(g.module))
            assert _same(module, again, x) < 1e-5


@pytest.mark.parametrize("kind,spec", _specs())
def test_deepen_keeps_the_function_and_rebuilds_from_its_spec(kind, spec):
    if not _has("depth"):
        pytest.skip("the kinds have no depth key")
    module = kinds.build(kind, spec, seed=4)
    x = _inputs(kind, spec)
    keys = ["depth"] + [k for k in grow.widths(kind, spec) if k.startswith("channels.")]
    for key in keys:
        g = grow.deepen(kind, spec, module, key)
        assert len(grow.weight_positions(g.module)) == len(grow.weight_positions(module)) + 1
        assert _same(module, g.module, x) < 1e-5
        again = kinds.from_bytes(kind, json.loads(json.dumps(g.spec)), kinds.to_bytes(g.module))
        assert _same(module, again, x) < 1e-5


def test_deepen_refuses_what_it_cannot_do_exactly():
    if not _has("depth"):
        pytest.skip("the kinds have no depth key")
    each = {"channels": [4, 4], "pool": "each"}
    with pytest.raises(ValueError, match="pool"):
        grow.deepen("classify", each, kinds.build("classify", each), "channels.0")
    with pytest.raises(ValueError, match="hidden layer"):
        flat = {"arch": "linear"}
        grow.deepen("classify", flat, kinds.build("classify", flat), "depth")


def test_widen_refuses_narrowing_and_unknown_widths():
    m = kinds.build("classify", {"arch": "mlp", "hidden": 8})
    with pytest.raises(ValueError, match="more"):
        grow.widen("classify", {"arch": "mlp", "hidden": 8}, m, "hidden", 8)
    with pytest.raises(ValueError, match="no width"):
        grow.widen("classify", {"arch": "mlp", "hidden": 8}, m, "channels.0", 20)


def test_grow_to_a_target_spec_and_the_stages_towards_it():
    start = {"channels": [4, 8], "hidden": 16}
    stages = grow.stages_between("classify", start, {})
    assert [grow.widths("classify", s) for s in stages] == [
        {"channels.0": 8, "channels.1": 16, "hidden": 32},
        {"channels.0": 16, "channels.1": 32, "hidden": 64}]
    module = kinds.build("classify", start, seed=1)
    g = grow.grow_to("classify", start, module, {})
    assert g.spec == kinds.full_spec("classify", {})
    assert _same(module, g.module, _inputs("classify", {})) < 1e-5
    with pytest.raises(ValueError, match="narrows"):
        grow.grow_to("classify", {}, kinds.build("classify"), start)


def _digits_like(n=256, seed=0):
    """Images whose class is the brightest of ten pixels, plus noise: learnable in a few
    hundred steps."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=gen)
    x = 0.3 * torch.rand(n, 8, 8, generator=gen)
    x.view(n, 64)[torch.arange(n), y * 6] += 1.0
    return x, y


def _loss(module, x, y):
    return torch.nn.functional.cross_entropy(module(x), y)


def test_the_grown_module_trains_and_its_copies_drift_apart():
    spec = {"arch": "mlp", "hidden": 6}
    x, y = _digits_like()
    module = kinds.build("classify", spec, seed=0)
    opt = torch.optim.Adam(module.parameters(), lr=1e-2)
    for _ in range(20):
        opt.zero_grad()
        _loss(module, x, y).backward()
        opt.step()
    g = grow.widen("classify", spec, module, "hidden", 12, seed=0)
    opt = grow.carry_adam(opt, module, g)
    with torch.no_grad():
        before = float(_loss(g.module, x, y))
        assert abs(before - float(_loss(module, x, y))) < 1e-5
        alive = (torch.relu(module.net[1](x.reshape(len(x), -1))) > 0).any(0)
    for _ in range(60):
        opt.zero_grad()
        _loss(g.module, x, y).backward()
        opt.step()
    with torch.no_grad():
        assert float(_loss(g.module, x, y)) < 0.8 * before
    # each new unit 6..11 copied an old one: unequal shares of the outgoing weights make
    # their gradients differ, so no copy of a live unit stays equal to its original (a dead
    # unit, never active on these images, gets no gradient at all)
    w = g.module.net[1].weight.detach()
    distance = torch.cdist(w[6:], w[:6])
    copies = distance.argmin(dim=1)
    assert alive.sum() >= 3
    assert float(distance[alive[copies], copies[alive[copies]]].min()) > 1e-3


def test_carried_adam_state_follows_the_small_modules_path():
    """Right after growth, Adam with its carried moments moves the function about as the small
    module's Adam would; a fresh Adam jolts it (every weight moves by about lr at once)."""
    spec = {"channels": [4, 8], "hidden": 16}
    x, y = _digits_like(128, seed=1)
    small = kinds.build("classify", spec, seed=2)
    opt = torch.optim.Adam(small.parameters(), lr=2e-3, weight_decay=1e-4)
    for _ in range(40):
        opt.zero_grad()
        _loss(small, x, y).backward()
        opt.step()
    g = grow.grow_to("classify", spec, small, {})
    moved = {"carry": (g.module, grow.carry_adam(opt, small, g))}
    fresh = copy.deepcopy(g.module)
    moved["fresh"] = (fresh, torch.optim.Adam(fresh.parameters(), lr=2e-3, weight_decay=1e-4))
    for name, p in g.module.named_parameters():
        state = moved["carry"][1].state[p]
        assert state["exp_avg"].shape == p.shape and int(state["step"]) == 40, name
    for _ in range(5):
        for module, o in [(small, opt), *moved.values()]:
            o.zero_grad()
            _loss(module, x, y).backward()
            o.step()
    probe = torch.rand(64, 8, 8)
    gap = {k: _same(small, m, probe) for k, (m, _) in moved.items()}
    assert gap["carry"] < 0.5 * gap["fresh"]


def test_fit_growing_grows_on_each_plateau_then_stops():
    spec = {"arch": "mlp", "hidden": 4}
    x, y = _digits_like(64)
    seen = []

    def batch_loss(module, gen):
        return _loss(module, x, y)

    def evaluate(module):
        seen.append(grow.widths("classify", {"arch": "mlp", "hidden": module.net[1].out_features}))
        return {"loss": 1.0}  # never improves: a plateau after `patience` evaluations

    stages = grow.stages_between("classify", spec, {"arch": "mlp", "hidden": 16})
    cfg = grow.GrowConfig(steps=1000, eval_every=5, patience=2, stages=stages)
    res = grow.fit_growing("classify", spec, kinds.build("classify", spec), batch_loss,
                           evaluate, cfg)
    # evaluation 1 sets the best, 2 and 3 wait: grow at 3 and 5, stop at 7
    assert [g["step"] for g in res.growths] == [15, 25]
    assert res.stopped == "plateau" and res.steps == 35
    assert res.spec["hidden"] == 16 and res.module.net[1].out_features == 16
    limited = grow.fit_growing("classify", spec, kinds.build("classify", spec), batch_loss,
                               evaluate, grow.GrowConfig(steps=1000, eval_every=5, patience=2,
                                                         stages=stages, max_growths=1))
    assert len(limited.growths) == 1 and limited.spec["hidden"] == 8


def test_a_program_module_grows_and_the_library_stores_it():
    request = parse_type("image -> int")
    x, y = _digits_like(200)
    data = Data(request, [Column(x)], y)
    spec = {"arch": "mlp", "hidden": 4}
    model = compile_program(parse("(lam (nn:new:classify $0))"), request,
                            options=CompileOptions(fresh_specs={"classify": spec}))
    # an improvement must halve the loss: a plateau comes soon
    cfg = grow.GrowConfig(steps=300, eval_every=10, patience=1, min_delta=0.5, augment=False,
                          lr=1e-2,
                          stages=grow.stages_between("classify", spec,
                                                     {"arch": "mlp", "hidden": 16}))
    res = grow.fit_growing_slot(model, "nn:new:classify", data, data, cfg)
    assert len(res.growths) == 2 and res.spec["hidden"] == 16
    slot = model.slots["nn:new:classify"]
    assert slot.spec == res.spec and model.net("nn:new:classify") is res.module
    assert res.history[-1]["loss"] < res.history[0]["loss"]
    with open_store(None) as store:
        library = ModuleLibrary(store, {"domain": "test"})
        text = library.save("classify", slot.kind, slot.spec, model.net("nn:new:classify"),
                            {}, {})
        again = ModuleLibrary(store, {"domain": "test"}).module(text)
    assert _same(model.net("nn:new:classify"), again, x) < 1e-6
