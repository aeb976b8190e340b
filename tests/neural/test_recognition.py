"""The recognition model: starts as the library grammar, learns what tells tasks apart, is
stored and rebuilt exactly, and its likelihood is the grammar's derivation model."""

from __future__ import annotations

import random

import pytest
import torch

from hylo.core.grammar import Grammar
from hylo.core.task import Example, Task
from hylo.core.types import parse_type
from hylo.domains import get_domain
from hylo.learn.guide import load_guide, save_guide
from hylo.library import open_store
from hylo.neural.recognition import (
    Dataset,
    TrainConfig,
    build_model,
    from_record,
    log_likelihoods,
    make_items,
    to_bytes,
    train_model,
)

LISTS = get_domain("lists")
REQ = parse_type("list(int) -> list(int)")


def _tasks(kind: str, n: int, seed: int) -> list[Task]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        exs = []
        for _ in range(4):
            xs = [rng.randint(0, 9) for _ in range(rng.randint(2, 6))]
            ys = sorted(xs) if kind == "sort" else [x + 1 for x in xs]
            exs.append(Example((xs,), ys))
        out.append(Task(f"{kind}-{seed}-{k}", REQ, tuple(exs)))
    return out


PROGRAMS = {"sort": "(lam (sort $0))", "inc": "(lam (map (lam (+ $0 1)) $0))"}


def _data(model, grammar, seed: int, n: int = 12):
    pairs = [(t, LISTS.dsl.parse(PROGRAMS[kind])) for kind in PROGRAMS
             for t in _tasks(kind, n, seed)]
    return make_items(model, grammar, pairs)


def test_an_untrained_model_is_the_library_grammar():
    g = Grammar.random(LISTS.dsl, seed=1)
    model = build_model(g, LISTS.task_encoder, "lists")
    pred = model.predict(_tasks("sort", 2, 0))
    for weights in pred:
        assert weights["$variable"] == pytest.approx(g.log_variable, abs=1e-6)
        for name, w in g.log_weights.items():
            assert weights[name] == pytest.approx(w, abs=1e-6)


def test_likelihood_under_the_base_is_minus_the_description_length():
    g = Grammar.random(LISTS.dsl, seed=2)
    model = build_model(g, LISTS.task_encoder, "lists")
    data = _data(model, g, seed=0, n=1)
    logits = model.base.expand(len(data.items), -1, -1)
    ll = log_likelihoods(logits, data.items)
    for it, value in zip(data.items, ll.tolist(), strict=True):
        kind = it.task.split("-")[0]
        dl = g.description_length(LISTS.dsl.parse(PROGRAMS[kind]), REQ)
        assert -value == pytest.approx(dl, abs=0.2)  # rounding of each choice


def test_training_learns_which_primitives_a_task_needs():
    torch.manual_seed(0)
    g = LISTS.prior()
    model = build_model(g, LISTS.task_encoder, "lists", seed=0)
    data = _data(model, g, seed=0)
    metrics = train_model(model, data, Dataset(),
                          TrainConfig(seconds=600, max_epochs=40, valid_share=0.0, seed=0,
                                      batch_size=8, lr=1e-2))
    assert metrics["epochs"] == 40
    sort_task, inc_task = _tasks("sort", 1, 99)[0], _tasks("inc", 1, 99)[0]
    ws, wi = model.predict([sort_task, inc_task])
    # on unseen tasks of each kind, the primitive that kind needs gains against the other
    assert ws["sort"] - ws["map"] > wi["sort"] - wi["map"] + 1.0
    with torch.no_grad():
        after = -log_likelihoods(model(model.encoder.collate(
            [it.features for it in data.items])), data.items).mean()
        before = -log_likelihoods(model.base.expand(len(data.items), -1, -1), data.items).mean()
    assert float(after) < float(before)


def test_held_out_replays_choose_the_best_epoch_and_are_reported():
    g = LISTS.prior()
    model = build_model(g, LISTS.task_encoder, "lists")
    data = _data(model, g, seed=1, n=10)
    m = train_model(model, data, Dataset(), TrainConfig(seconds=600, max_epochs=5))
    assert m["valid"] == 2 and 0 <= m["best_epoch"] <= 5
    # the untrained model (the grammar) is a candidate epoch: never worse on held-out replays
    assert m["valid_log_likelihood"] >= m["valid_log_likelihood_grammar"] - 1e-3


def test_stored_model_rebuilds_exactly(tmp_path):
    g = LISTS.prior()
    model = build_model(g, LISTS.task_encoder, "lists", seed=3)
    train_model(model, _data(model, g, seed=2, n=4), Dataset(),
                TrainConfig(seconds=600, max_epochs=3, valid_share=0.0))
    tasks = _tasks("sort", 2, 5)
    with open_store(tmp_path / "lib.db") as store:
        v1 = save_guide(store, model, {"epochs": 3}, 1, "lists")
        v2 = save_guide(store, model, {"epochs": 3}, 2, "lists")
        assert (v1, v2) == (1, 2)
        again = load_guide(store, LISTS)
        assert again.record["version"] == 2 and again.record["iteration"] == 2
        assert load_guide(store, LISTS, iteration=1).record["version"] == 1
        assert load_guide(store, LISTS, iteration=0) is None
        assert again.predict(tasks) == model.predict(tasks)
        rebuilt = from_record(model.spec, to_bytes(model), LISTS.task_encoder)
        assert rebuilt.predict(tasks) == model.predict(tasks)


def test_a_damaged_stored_model_is_one_clear_error(tmp_path):
    g = LISTS.prior()
    model = build_model(g, LISTS.task_encoder, "lists")
    with open_store(tmp_path / "lib.db") as store:
        store.put_module("recognition:lists", "recognition", model.spec, b"not safetensors",
                         {}, {"domain": "lists", "iteration": 0})
        with pytest.raises(ValueError, match="cannot be rebuilt"):
            load_guide(store, LISTS)
        spec = {**model.spec, "vocab": ["$variable"]}  # weights of another shape
        store.put_module("recognition:lists", "recognition", spec, to_bytes(model), {},
                         {"domain": "lists", "iteration": 1})
        with pytest.raises(ValueError, match="cannot be rebuilt"):
            load_guide(store, LISTS)


def test_hostile_values_tokenise_within_the_limit():
    from hylo.domains.lists.recognition import tokenize

    deep: list = []
    for _ in range(10_000):  # far deeper than recursion allows
        deep = [deep]
    t = Task("deep", REQ, (Example((deep,), [10**30, -10**30, True, "x"]),))
    (seq,) = tokenize(t, 48)
    assert len(seq) <= 48
    wide = Task("wide", REQ, (Example((list(range(10**5)),), [1]),))
    assert all(len(s) <= 48 for s in tokenize(wide, 48))


def test_a_contextual_model_predicts_a_grammar_per_context():
    from hylo.core.grammar import CONTEXTS_KEY

    g = Grammar.random(LISTS.dsl, seed=4)
    model = build_model(g, LISTS.task_encoder, "lists", mode="contextual", seed=0)
    (pred,) = model.predict(_tasks("inc", 1, 0))
    rows = pred[CONTEXTS_KEY]["rows"]
    assert ["", -1] == rows[0][:2] and ["map", 0] in [r[:2] for r in rows]
    guided = g.with_weights(pred)
    assert guided.contextual
    p = LISTS.dsl.parse(PROGRAMS["inc"])
    # untrained: every context is the library grammar (up to the rounding rows travel with)
    assert guided.description_length(p, REQ) == pytest.approx(g.description_length(p, REQ),
                                                              abs=0.3)
    data = _data(model, g, seed=0)
    train_model(model, data, Dataset(), TrainConfig(seconds=600, max_epochs=20, batch_size=8,
                                                    lr=1e-2, valid_share=0.0))
    (pred,) = model.predict(_tasks("inc", 1, 7))
    trained = g.with_weights(pred)
    assert trained.description_length(p, REQ) < g.description_length(p, REQ) - 2.0


def test_hostile_specs_are_refused_before_anything_is_built(tmp_path):
    g = LISTS.prior()
    model = build_model(g, LISTS.task_encoder, "lists")
    huge = {**model.spec, "contexts": [["map", 0]] * 200_000}
    wide = {**model.spec, "encoder": {**model.spec["encoder"], "hidden": 10**9}}
    odd = {**model.spec, "hidden": True}
    with open_store(tmp_path / "lib.db") as store:
        for k, spec in enumerate((huge, wide, odd)):
            store.put_module("recognition:lists", "recognition", spec, to_bytes(model), {},
                             {"domain": "lists", "iteration": k})
            with pytest.raises(ValueError, match="cannot be rebuilt"):
                load_guide(store, LISTS)


def test_warm_start_carries_what_both_models_know_and_zeroes_new_names():
    import torch

    from hylo.core.dsl import Primitive
    from hylo.neural.recognition import warm_start

    old_g = LISTS.prior()
    old = build_model(old_g, LISTS.task_encoder, "lists", mode="contextual", seed=1)
    with torch.no_grad():
        for p in old.parameters():
            p.uniform_(-1, 1)
    # the next iteration's library has a new name (in the middle of the vocabulary)
    new_g = old_g.with_primitives([Primitive("m-new", REQ, lambda xs: xs)], -1.0)
    new = build_model(new_g, LISTS.task_encoder, "lists", mode="contextual", seed=2)
    assert "m-new" in new.index and len(new.vocab) == len(old.vocab) + 1
    assert warm_start(new, old)
    for k, v in old.encoder.state_dict().items():
        assert torch.equal(v, new.encoder.state_dict()[k])
    lo, ln = old.head[-1], new.head[-1]
    for name in (n for n in new.vocab if n in old.index):
        j, k = new.index[name], old.index[name]
        assert torch.equal(ln.weight[j], lo.weight[k]) and ln.bias[j] == lo.bias[k]
        for r_new, ctx in enumerate(new.contexts):
            r_old = old.row.get(ctx)
            if r_old is None:  # a context of the new name: starts at zero
                assert new.table[r_new, j] == 0 and not new.low[:, r_new, j].any()
            else:
                assert new.table[r_new, j] == old.table[r_old, k]
                assert torch.equal(new.low[:, r_new, j], old.low[:, r_old, k])
    j = new.index["m-new"]  # the new name starts at the grammar's weight everywhere
    assert not ln.weight[j].any() and ln.bias[j] == 0
    assert not new.table[:, j].any() and not new.low[:, :, j].any()
    unigram = build_model(new_g, LISTS.task_encoder, "lists", mode="unigram")
    assert not warm_start(unigram, old)  # another mode: nothing carried


def test_a_hole_with_only_fixed_weight_candidates_has_finite_gradients():
    import math

    from hylo.neural.recognition import Item

    v = 3
    # choice 0: a learned name among learned candidates; choice 1: a literal, the only candidate
    item = Item("t", None, row=torch.tensor([0, 0]), chosen=torch.tensor([1, -1]),
                chosen_fixed=torch.tensor([0.0, -2.0]),
                cand=torch.tensor([[0.0, 0.0, -math.inf], [-math.inf] * v]),
                fixed=torch.tensor([-math.inf, -2.0]))
    logits = torch.zeros(1, 1, v, requires_grad=True)
    ll = log_likelihoods(logits, [item])
    ll.sum().backward()
    assert torch.isfinite(ll).all() and torch.isfinite(logits.grad).all()
    assert ll.item() == pytest.approx(math.log(0.5))  # the literal's choice costs nothing


def test_a_contextual_model_starts_from_a_unigram_one():
    from hylo.neural.recognition import warm_start

    g = LISTS.prior()
    uni = build_model(g, LISTS.task_encoder, "lists", mode="unigram", seed=1)
    with torch.no_grad():
        for p in uni.parameters():
            p.uniform_(-1, 1)
    ctx = build_model(g, LISTS.task_encoder, "lists", mode="contextual", seed=2)
    assert warm_start(ctx, uni)
    tasks = _tasks("sort", 3, 0)
    # the table starts at zero: every context row is the unigram model's prediction
    for u, c in zip(uni.predict(tasks), ctx.predict(tasks), strict=True):
        assert c["$contexts"]["rows"][0][2] == [round(u[n], 4) for n in c["$contexts"]["names"]]


def test_training_is_undone_when_its_held_out_gain_is_within_noise():
    from hylo.neural.recognition import _significant, _state

    g = LISTS.prior()
    model = build_model(g, LISTS.task_encoder, "lists", seed=4)
    data = _data(model, g, seed=3, n=10)
    start = _state(model)
    assert not _significant(model, start, data.items)  # no change: no gain
    train_model(model, data, Dataset(), TrainConfig(seconds=600, max_epochs=15, valid_share=0.0,
                                                    batch_size=8, lr=1e-2))
    assert _significant(model, start, data.items)  # sort vs inc is learned: a real gain
    # a change that helps two sort programs and costs eight others a little: a mean gain
    # that is positive, and within noise
    mixed = build_model(g, LISTS.task_encoder, "lists", seed=4)
    pairs = [(t, LISTS.dsl.parse(PROGRAMS[kind])) for kind, n in (("sort", 2), ("inc", 8))
             for t in _tasks(kind, n, 11)]
    items = make_items(mixed, g, pairs).items
    start = _state(mixed)
    with torch.no_grad():
        mixed.head[-1].bias[mixed.index["sort"]] += 1.0
    with torch.no_grad():
        gain = (log_likelihoods(mixed(mixed.encoder.collate([it.features for it in items])), items)
                - log_likelihoods(mixed.base.expand(len(items), -1, -1), items))
    assert float(gain.mean()) > 0 and float(gain.min()) < 0
    assert not _significant(mixed, start, items)
