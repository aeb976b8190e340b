"""Multi-task joint training: one trunk shared by every task's head, stored like any module,
and the joint and separate arms held to the same budgets."""

import pytest

torch = pytest.importorskip("torch")

from hylo.core.program import parse  # noqa: E402
from hylo.domains.digits import load_domain  # noqa: E402
from hylo.domains.digits.experiment import to_data  # noqa: E402
from hylo.domains.digits.tasks import make_task  # noqa: E402
from hylo.library import open_store  # noqa: E402
from hylo.library.modules import ModuleLibrary  # noqa: E402
from hylo.neural import multitask as mt  # noqa: E402
from hylo.neural.hybrid import nll  # noqa: E402

torch.set_num_threads(1)

SOFT = load_domain().soft_semantics
PROGRAMS = {
    "classify": "(lam (nn:new:classify $0))",
    "sum": "(lam (sum (map nn:new:classify $0)))",
    "max": "(lam (maximum (map nn:new:classify $0)))",
}
SMALL = {"channels": [4], "hidden": 8}  # a small CNN, so the tests stay fast


def _tasks(budget=12, names=tuple(PROGRAMS)):
    out = []
    for name in names:
        task = make_task(name, budget, 0, n_test=20)
        out.append(mt.TaskProgram(name, parse(PROGRAMS[name]), task.request,
                                  to_data(task, task.train)))
    return out


def _models(shared, tasks):
    return {t.name: mt.task_model(shared, t, SOFT) for t in tasks}


def test_the_trunk_gets_a_gradient_from_every_task_head():
    tasks = _tasks()
    shared = mt.SharedTrunk([t.name for t in tasks], SMALL, seed=1)
    models = _models(shared, tasks)
    for t in tasks:
        shared.zero_grad(set_to_none=True)
        loss = nll(models[t.name](t.train.values(), "soft"), t.train.y).mean()
        loss.backward()
        for name, p in shared.trunk.named_parameters():
            assert p.grad is not None and float(p.grad.abs().sum()) > 0, (t.name, name)
        for other, head in shared.heads.items():  # only this task's head
            got = all(p.grad is not None for p in head.parameters())
            assert got == (other == t.name), (t.name, other)
    # one trunk: every task's module holds the same parameter objects
    trunks = {id(next(m.net(next(iter(m.slots))).trunk.parameters())) for m in models.values()}
    assert len(trunks) == 1


def test_a_stored_trunk_and_its_heads_round_trip_through_the_library():
    tasks = _tasks()
    shared = mt.SharedTrunk([t.name for t in tasks], SMALL, seed=2)
    mt.fit_joint(shared, _models(shared, tasks), {t.name: t.train for t in tasks},
                 mt.JointConfig(steps=3, batch_size=8))
    x = torch.rand(7, 8, 8)
    with open_store(None) as store:
        library = ModuleLibrary(store, {"domain": "test"})
        texts = mt.save(library, shared, "reader", "classify", {}, {"budget": 12})
        again = mt.load(ModuleLibrary(store, {"domain": "test"}), texts)
        # the trunk entry is a plain classify module: trunk + the anchor's head
        reader = ModuleLibrary(store, {"domain": "test"}).module(texts["trunk"])
        kind = store_kind(library, texts["trunk"])
    assert kind == "classify" and sorted(texts) == ["head:classify", "head:max", "head:sum",
                                                    "trunk"]
    shared.eval()
    again.eval()
    reader.eval()
    with torch.no_grad():
        for t in tasks:
            a, b = shared.module_for(t.name)(x), again.module_for(t.name)(x)
            assert torch.equal(a, b), t.name
        assert torch.equal(reader(x), shared.module_for("classify")(x))
        assert not torch.equal(reader(x), shared.module_for("sum")(x))


def store_kind(library, text):
    from hylo.neural.names import parse_name

    ref = parse_name(text)
    return library.resolve(ref.name, ref.version)[0]


def _count_calls(trunks_and_tasks):
    """Forward calls of every head while training: one per minibatch of its task."""
    calls = {}

    def hook(name):
        def count(_module, _inputs):
            calls[name] = calls.get(name, 0) + 1
        return count

    for shared in trunks_and_tasks:
        for name, head in shared.heads.items():
            head.register_forward_pre_hook(hook(name))
    return calls


@pytest.mark.parametrize("schedule", mt.SCHEDULES)
def test_separate_and_joint_training_use_the_same_budgets(schedule, monkeypatch):
    tasks = _tasks()
    cfg = mt.JointConfig(steps=4, batch_size=5, schedule=schedule)
    built = []
    original = mt.SharedTrunk.__init__

    def record(self, *args, **kwargs):
        original(self, *args, **kwargs)
        built.append(self)

    monkeypatch.setattr(mt.SharedTrunk, "__init__", record)
    # count head calls of every trunk built: hooks go on right after the build
    steps_per_trunk = []
    original_fit = mt.fit_joint

    def fit(shared, models, data, cfg_, after_step=None):
        calls = _count_calls([shared])
        hist = original_fit(shared, models, data, cfg_, after_step)
        steps_per_trunk.append(hist["optimizer_steps"])
        hist["head_calls"] = calls
        return hist

    monkeypatch.setattr(mt, "fit_joint", fit)
    _, _, joint = mt.train_joint(tasks, SOFT, cfg, SMALL)
    assert len(built) == 1
    _, _, apart = mt.train_separate(tasks, SOFT, cfg, SMALL)
    assert len(built) == 1 + len(tasks)  # one trunk per task apart
    names = [t.name for t in tasks]
    assert joint["head_calls"] == dict.fromkeys(names, cfg.steps)
    assert {n: h["head_calls"][n] for n, h in apart["per_task"].items()} == joint["head_calls"]
    assert joint["minibatches"] == apart["minibatches"] == dict.fromkeys(names, cfg.steps)
    assert joint["examples_seen"] == apart["examples_seen"]
    assert joint["training_examples"] == apart["training_examples"] == dict.fromkeys(names, 12)
    per_step = 1 if schedule == "round-robin" else len(tasks)
    assert joint["optimizer_steps"] == cfg.steps * len(tasks) // per_step
    assert apart["optimizer_steps"] == cfg.steps * len(tasks)


def test_joint_training_lowers_every_tasks_loss():
    tasks = _tasks(budget=30)
    shared, models, _ = mt.train_joint(tasks, SOFT, mt.JointConfig(steps=1, batch_size=4),
                                       SMALL)
    with torch.no_grad():
        before = {t.name: float(nll(models[t.name](t.train.values(), "soft"),
                                    t.train.y).mean()) for t in tasks}
    mt.fit_joint(shared, models, {t.name: t.train for t in tasks},
                 mt.JointConfig(steps=60, batch_size=16, augment=False, lr=1e-2))
    for t in tasks:
        models[t.name].eval()
        with torch.no_grad():
            after = float(nll(models[t.name](t.train.values(), "soft"), t.train.y).mean())
        assert after < before[t.name] - 0.1, (t.name, before[t.name], after)


def test_programs_other_than_one_fresh_classify_hole_are_refused():
    task = _tasks(names=("classify",))[0]
    shared = mt.SharedTrunk(["classify"], SMALL)
    bad = mt.TaskProgram("classify", parse("(lam (+ (nn:new:classify $0) "
                                           "(nn:new:classify#2 $0)))"),
                         task.request, task.train)
    with pytest.raises(ValueError, match="exactly one fresh classify"):
        mt.task_model(shared, bad, SOFT)
    with pytest.raises(ValueError, match="distinct task names"):
        mt.SharedTrunk(["a", "a"], SMALL)
