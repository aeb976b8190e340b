"""The hybrid model's three semantics against core's evaluator (modules bound as primitives)."""

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hylo.core.evaluate import run_program  # noqa: E402
from hylo.core.program import parse  # noqa: E402
from hylo.core.types import parse_type  # noqa: E402
from hylo.domains.digits import dsl, load_domain  # noqa: E402
from hylo.neural.candidates import with_neural  # noqa: E402
from hylo.neural.hybrid import (  # noqa: E402
    Bern,
    Cat,
    CompileOptions,
    Data,
    compile_program,
    decide,
)
from hylo.neural.names import KIND_TYPES  # noqa: E402
from hylo.neural.train import TrainConfig, accuracy, fit_gradient  # noqa: E402

LIST_PROGRAMS = [
    ("(lam (sum (map nn:new:classify $0)))", "int"),
    ("(lam (maximum (map nn:new:classify $0)))", "int"),
    ("(lam (minimum (map nn:new:classify $0)))", "int"),
    ("(lam (count (lam (eq (nn:new:classify $0) 2)) $0))", "int"),
    ("(lam (count (lam (gt (nn:new:classify $0) 1)) $0))", "int"),
    ("(lam (count (lam (gt (nn:new:classify $0) (length $1))) $0))", "int"),
    ("(lam (sorted (map nn:new:classify $0)))", "bool"),
    ("(lam (length $0))", "int"),
    ("(lam (+ (sum (map nn:new:classify $0)) 3))", "int"),
    ("(lam (eq (maximum (map nn:new:classify $0)) 3))", "bool"),
    ("(lam (gt (sum (map nn:new:classify $0)) (length $0)))", "bool"),
]
# Uses each image's module output twice: hard semantics still exact, soft is mean-field.
REUSING = ["(lam (sum (map (lam (+ (nn:new:classify $0) (minimum (map nn:new:classify $1)))) $0)))"]


SOFT = load_domain().soft_semantics


def symbolic(text, module, inputs):
    """Core's fast evaluator, with `nn:new:classify` bound to the callable `module`."""
    hybrid = with_neural(dsl(), {"nn:new:classify": KIND_TYPES["classify"]},
                         {"nn:new:classify": module})
    return run_program(parse(text), hybrid, inputs)


def _lists(seed, n, length):
    rng = np.random.default_rng(seed)
    x = rng.random((n, length, 8, 8)).astype(np.float32)
    lengths = rng.integers(0, length + 1, n)
    lengths[0] = length
    mask = np.arange(length)[None, :] < lengths[:, None]
    return x, mask


def _model(text, out, classes):
    request = parse_type(f"list(image) -> {out}")
    spec = {"arch": "linear", "classes": classes}
    model = compile_program(parse(text), request,
                            options=CompileOptions(semantics=SOFT, fresh_specs={"classify": spec},
                                                   seed=3))
    # spread the logits so that the distributions are far from uniform
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(6.0)
    return model


@pytest.mark.parametrize("text,out", LIST_PROGRAMS + [(t, "int") for t in REUSING])
def test_hard_mode_equals_symbolic_evaluator(text, out):
    model = _model(text, out, 10)
    x, mask = _lists(1, 12, 4)
    data = Data.from_arrays(model.request, [(x, mask)], np.zeros(12, dtype=np.int64))
    with torch.no_grad():
        got = decide(model(data.values(), "hard"), 12).tolist()
    net = model.net("nn:new:classify") if model.slots else None

    def classify(img):
        with torch.no_grad():
            return int(net(torch.as_tensor(img)[None]).argmax())

    for b in range(12):
        images = [x[b, i] for i in range(4) if mask[b, i]]
        want = symbolic(text, classify, (images,))
        assert got[b] == int(want), (text, b)


@pytest.mark.parametrize("text,out", LIST_PROGRAMS)
def test_soft_mode_equals_exact_enumeration(text, out):
    classes = 4
    model = _model(text, out, classes)
    x, mask = _lists(2, 5, 3)
    data = Data.from_arrays(model.request, [(x, mask)], np.zeros(5, dtype=np.int64))
    with torch.no_grad():
        soft = model(data.values(), "soft")
        if model.slots:
            logits = model.net("nn:new:classify")(torch.as_tensor(x).reshape(-1, 8, 8))
        else:  # no module: any distribution gives the same answer
            logits = torch.zeros(15, classes)
        probs = torch.softmax(logits, -1).reshape(5, 3, classes).double()
    for b in range(5):
        idx = [i for i in range(3) if mask[b, i]]
        want: dict[int, float] = {}
        for values in itertools.product(range(classes), repeat=len(idx)):
            assign = dict(zip(idx, values, strict=True))
            weight = float(np.prod([float(probs[b, i, v]) for i, v in assign.items()]))
            result = symbolic(text, assign.__getitem__, (idx,))
            want[int(result)] = want.get(int(result), 0.0) + weight
        if isinstance(soft, Cat):
            row = soft.p[b] if soft.p.shape[0] > 1 else soft.p[0]
            got = {k: float(v) for k, v in enumerate(row) if float(v) > 1e-9}
            assert set(got) <= set(want) | {k for k, v in want.items() if v <= 1e-9}
            for k, v in want.items():
                assert abs(got.get(k, 0.0) - v) < 1e-5, (text, b, k)
        else:
            assert isinstance(soft, Bern)
            row = soft.p[b] if soft.p.shape[0] > 1 else soft.p[0]
            assert abs(float(row) - want.get(1, 0.0)) < 1e-5, (text, b)


def test_sample_mode_records_log_probability_of_the_draws():
    text = "(lam (sum (map nn:new:classify $0)))"
    model = _model(text, "int", 4)
    x, mask = _lists(3, 6, 3)
    data = Data.from_arrays(model.request, [(x, mask)], np.zeros(6, dtype=np.int64))
    torch.manual_seed(0)
    with torch.no_grad():
        logits = model.net("nn:new:classify")(torch.as_tensor(x).reshape(-1, 8, 8))
    logp_all = torch.log_softmax(logits, -1).reshape(6, 3, 4)
    draws = []
    orig = model._call_module

    def spy(name, value):
        out = orig(name, value)
        draws.append(out.p.argmax(-1).reshape(6, 3))
        return out

    model._call_module = spy
    out, trace = model.sample(data.values())
    (drawn,) = draws
    want = (logp_all.gather(2, drawn[..., None]).squeeze(2) * torch.as_tensor(mask)).sum(1)
    torch.testing.assert_close(trace.logp, want)
    sums = (drawn * torch.as_tensor(mask)).sum(1)
    assert decide(out, 6).tolist() == sums.tolist()


def test_gradient_training_from_sums_only_beats_chance():
    torch.manual_seed(0)
    from hylo.domains.digits import data as dd
    from hylo.domains.digits.tasks import make_task

    task = make_task("sum", 300, seed=0, n_test=300, lengths=(2, 2))
    imgs = dd.images()

    def as_data(ex):
        return Data.from_arrays(task.request, [(imgs[ex.images.clip(0)], ex.images >= 0)],
                                ex.labels)

    model = compile_program(parse("(lam (sum (map nn:new:classify $0)))"), task.request,
                            options=CompileOptions(semantics=SOFT,
                                                   fresh_specs={"classify": {"arch": "mlp"}}))
    before = accuracy(model, as_data(task.test))
    fit_gradient(model, as_data(task.train), TrainConfig(steps=300, augment=False, lr=3e-3))
    after = accuracy(model, as_data(task.test))
    # the most frequent sum of two uniform digits (9) has probability 0.1
    assert after > 0.4 and after > before + 0.2


def test_regress_kind_trains_on_reals():
    rng = np.random.default_rng(0)
    x = rng.random((256, 8, 8)).astype(np.float32)
    y = (x[:, :4].mean((1, 2)) * 10).round().astype(np.int64)  # a real target, rounded
    request = parse_type("image -> real")
    model = compile_program(parse("(lam (nn:new:regress $0))"), request)
    data = Data.from_arrays(request, [(x, None)], y)
    from hylo.neural.train import mean_nll

    before = mean_nll(model, data)
    fit_gradient(model, data, TrainConfig(steps=300, augment=False, lr=1e-2))
    assert mean_nll(model, data) < before / 4


def test_likelihood_is_finite_at_certain_outputs():
    from hylo.neural.hybrid import nll

    out = Bern(torch.tensor([1.0, 0.0, 1.0, 0.0]))
    loss = nll(out, torch.tensor([1, 0, 0, 1]))
    assert torch.isfinite(loss).all()
    assert loss[0] == 0 and loss[1] == 0 and loss[2] > 20 and loss[3] > 20
    cat = Cat(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    assert torch.isfinite(nll(cat, torch.tensor([1, 5]))).all()
