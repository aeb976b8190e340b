"""ADMM on a split `A(x) = z`: residuals fall, known answers come out, the right choice is
picked, bad settings are refused."""

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from hylo.neural.admm import ADMMConfig, admm, fit_joint  # noqa: E402


def mse(out, y):
    return (out - y).pow(2).sum(1)


def _x(n=120, d=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g), g


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def test_a_linear_map_with_a_known_answer():
    # y = M x, A linear without bias, B the identity: the only solution is A = M
    x, g = _x()
    m = torch.randn(3, 4, generator=g)
    torch.manual_seed(0)
    a = nn.Linear(4, 3, bias=False)
    res = admm(a, [nn.Identity()], x, x @ m.T, mse,
               ADMMConfig(iterations=150, a_steps=20, b_steps=5, lr_a=0.05, lr_decay=0.97,
                          eps_primal=1e-3, eps_dual=1e-3))
    assert (a.weight.detach() - m).abs().max() < 0.02
    assert res.loss[-1] < 1e-3
    assert res.a_updates == 20 * res.iterations and res.b_updates == 5 * res.iterations


def test_primal_residual_falls_and_a_agrees_with_z_on_a_coupled_problem():
    # two modules that must agree on z: an MLP A (4 -> 2) and a linear B (2 -> 1)
    x, _ = _x()
    y = torch.sin(x[:, :1]) + x[:, 1:2] ** 2
    torch.manual_seed(0)
    a = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 2))
    b = nn.Linear(2, 1)
    res = admm(a, [b], x, y, mse, ADMMConfig(iterations=150, a_steps=20, b_steps=5,
                                            lr_decay=0.97, eps_primal=1e-3, eps_dual=1e-3))
    peak = max(res.primal[:10])
    assert peak > 0.05  # the split did open up: the z-step pulled z away from A(x)
    assert res.primal[-1] < 0.1 * peak
    with torch.no_grad():
        gap = (a(x) - res.z).pow(2).sum(1).mean().sqrt()
    assert gap < 0.02 and abs(float(gap) - res.primal[-1]) < 0.02
    assert res.loss[-1] < 0.5 * res.loss[0]  # and the model B(A(x)) learned


def test_stops_on_the_residuals():
    x, g = _x()
    m = torch.randn(2, 4, generator=g)
    torch.manual_seed(0)
    a = nn.Linear(4, 2, bias=False)
    res = admm(a, [nn.Identity()], x, x @ m.T, mse,
               ADMMConfig(iterations=400, a_steps=20, b_steps=5, lr_a=0.05, lr_decay=0.97,
                          eps_primal=0.02, eps_dual=0.02))
    assert res.converged and res.iterations < 400
    assert res.primal[-1] <= 0.02 and res.dual[-1] <= 0.02


@pytest.mark.parametrize("seed", [0, 1])
def test_the_discrete_choice_is_the_right_constant(seed):
    # y = w.x + 2; A linear without bias cannot make the offset, so only B_c(z) = z + 2 fits
    x, g = _x(seed=seed)
    w = torch.randn(4, 1, generator=g)
    y = x @ w + 2.0
    torch.manual_seed(seed)
    a = nn.Linear(4, 1, bias=False)
    parts = [(lambda z, c=c: z + c) for c in (0.0, 1.0, 2.0, 3.0)]
    res = admm(a, parts, x, y, mse, ADMMConfig(iterations=120, a_steps=20, b_steps=5,
                                              lr_a=0.05, lr_decay=0.97, seed=seed))
    assert res.choice == 2 and res.choices[-10:] == [2] * 10
    assert (a.weight.detach().T - w).abs().max() < 0.05
    assert res.b_updates == 5 * 4 * res.iterations  # every choice tried every iteration


def test_rho_schedules():
    x, g = _x()
    m = torch.randn(2, 4, generator=g)
    runs = {}
    for schedule in ("fixed", "increase", "balance"):
        torch.manual_seed(0)
        runs[schedule] = admm(nn.Linear(4, 2, bias=False), [nn.Identity()], x, x @ m.T, mse,
                              ADMMConfig(iterations=15, a_steps=5, b_steps=5,
                                         rho_schedule=schedule, rho_factor=2.0, rho_max=100.0))
    assert set(runs["fixed"].rho) == {1.0}
    assert runs["increase"].rho[:7] == [2.0 ** i for i in range(7)]
    assert max(runs["increase"].rho) == 100.0
    assert all(0.001 <= r <= 1e4 for r in runs["balance"].rho)


def test_joint_baseline_fits():
    x, g = _x()
    m = torch.randn(3, 4, generator=g)
    torch.manual_seed(0)
    a = nn.Linear(4, 3, bias=False)
    hist = fit_joint(a, nn.Identity(), x, x @ m.T, mse, steps=300, lr=0.05)
    assert hist["losses"][-1] < 1e-2 * hist["losses"][0]


@pytest.mark.parametrize("bad", [
    {"iterations": 0}, {"a_steps": 1.5}, {"b_steps": True}, {"rho": 0.0},
    {"rho": float("inf")}, {"rho": 1e5}, {"rho_schedule": "cosine"}, {"rho_factor": 0.5},
    {"balance_ratio": 0.1}, {"lr_a": -1.0}, {"lr_z": 0.0}, {"lr_decay": 1.5},
    {"eps_primal": -1.0}, {"choose_every": 0},
])
def test_bad_settings_are_value_errors(bad):
    x, _ = _x(n=8)
    with pytest.raises(ValueError):
        admm(nn.Linear(4, 1), [nn.Identity()], x, x[:, :1], mse, ADMMConfig(**bad))


def test_no_choice_is_a_value_error():
    x, _ = _x(n=8)
    with pytest.raises(ValueError, match="choice"):
        admm(nn.Linear(4, 1), [], x, x[:, :1], mse)
    with pytest.raises(ValueError, match="steps"):
        fit_joint(nn.Linear(4, 1), nn.Identity(), x, x[:, :1], mse, steps=0)
