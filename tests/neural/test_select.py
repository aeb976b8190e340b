"""Quality of the hybrid search: successive halving finds and trains the sequence's programs."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hylo.core.grammar import Grammar  # noqa: E402
from hylo.core.program import parse  # noqa: E402
from hylo.core.types import parse_type  # noqa: E402
from hylo.domains.digits import PRUNE, load_domain  # noqa: E402
from hylo.domains.digits import dsl as digits_dsl  # noqa: E402
from hylo.domains.digits.experiment import to_data  # noqa: E402
from hylo.domains.digits.tasks import Examples, make_task  # noqa: E402
from hylo.neural import kinds  # noqa: E402
from hylo.neural.candidates import Prune, candidates, with_neural  # noqa: E402
from hylo.neural.hybrid import Bern, Cat, Column, CompileOptions, Data, compile_program  # noqa: E402
from hylo.neural.names import KIND_TYPES  # noqa: E402
from hylo.neural.select import HybridConfig, search_hybrid  # noqa: E402
from hylo.neural.train import TrainConfig, accuracy, fit_gradient  # noqa: E402

LIB = "nn:digit@v1"
SOFT = load_domain().soft_semantics
RULES = Prune.from_json(PRUNE)


def _grammar(library=True):
    neural = {"nn:new:classify": KIND_TYPES["classify"]}
    if library:
        neural[LIB] = KIND_TYPES["classify"]
    return Grammar.uniform(with_neural(digits_dsl(), neural))


@pytest.mark.parametrize("request_text", ["image -> int", "list(image) -> bool"])
def test_every_candidate_compiles_and_gives_the_output_kind(request_text):
    request = parse_type(request_text)
    linear = {"arch": "linear"}
    x = torch.rand(3, 4, 8, 8) if "list" in request_text else torch.rand(3, 8, 8)
    mask = torch.ones(3, 4, dtype=torch.bool) if "list" in request_text else None
    data = Data(request, [Column(x, mask)], torch.zeros(3, dtype=torch.long))
    for c in candidates(_grammar(), request, RULES, 8, 150, max_nodes=60_000):
        model = compile_program(c.program, request, resolve=lambda n, v: ("classify", linear, b""),
                                preloaded={LIB: kinds.build("classify", linear)},
                                options=CompileOptions(semantics=SOFT,
                                                       fresh_specs={"classify": linear}))
        out = model(data.values(), "soft")
        assert isinstance(out, Bern if request_text.endswith("bool") else Cat)


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
    train, val = task.train, task.test  # the test split serves as validation in this test
    cfg = HybridConfig(max_size=7, max_programs=300, max_trainable=4, finetune_top=1,
                       min_steps=2, final_steps=0, fresh_specs={"classify": {"arch": "linear"}},
                       train=TrainConfig(steps=0, batch_size=16, augment=False))
    spec = kinds.full_spec("classify", {"arch": "linear"})
    weights = kinds.to_bytes(module)
    res = search_hybrid(task.request, to_data(task, train), to_data(task, val), _grammar(), SOFT,
                        RULES, resolve=lambda n, v: ("classify", spec, kinds.to_bytes(module)),
                        library={LIB: module}, cfg=cfg)
    assert res.text == f"(lam (maximum (map {LIB} $0)))"
    assert res.val_accuracy > 0.7
    assert res.description_length > 0
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
    cfg = HybridConfig(max_size=5, max_programs=50, max_trainable=3, min_steps=20,
                       final_steps=200, fresh_specs={"classify": {"arch": "linear"}},
                       train=TrainConfig(lr=1e-2, augment=False))
    n = len(task.train)
    idx = np.arange(n)
    tr = Examples(task.train.images[idx[: n // 2]], task.train.labels[idx[: n // 2]])
    va = Examples(task.train.images[idx[n // 2:]], task.train.labels[idx[n // 2:]])
    res = search_hybrid(task.request, to_data(task, tr), to_data(task, va), _grammar(False),
                        SOFT, RULES, cfg=cfg)
    assert res.text == "nn:new:classify"
    assert accuracy(res.model, to_data(task, task.test)) > 0.6
