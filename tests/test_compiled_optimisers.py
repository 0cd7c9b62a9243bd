"""fit(compile=True) with Adam and with a learning-rate schedule: exactly the scalar path's numbers."""

from __future__ import annotations

import random

import pytest

from autograd_core import Value
from nn import MLP, SGD, Adam, cross_entropy, fit, hinge_loss, make_moons
from nn.compiled import adam_on_arrays

np = pytest.importorskip("numpy")

X, Y = make_moons(80, noise=0.2, seed=2)


@pytest.mark.parametrize(
    "options",
    [{"lr": 0.01}, {"lr": 0.05, "weight_decay": 0.1}, {"lr": 0.02, "betas": (0.5, 0.9), "eps": 1e-3}],
)
def test_adam_on_arrays_is_adam_step(options: dict) -> None:
    rng = random.Random(4)
    params = [Value(rng.uniform(-2, 2)) for _ in range(7)]
    second = {"params": params[3:], "lr": options["lr"] * 3}
    optimizer = Adam([{"params": params[:3]}, second], **options)
    P = np.array([p.data for p in params])
    t, m, v = np.zeros(7, dtype=np.int64), np.zeros(7), np.zeros(7)
    where = [slice(0, 3), np.arange(3, 7)]  # a slice and an index array, as CompiledTraining makes them
    groups = [(at, g["lr"], g["betas"], g["eps"], g["weight_decay"]) for at, g in zip(where, optimizer.param_groups)]
    for _ in range(12):
        grads = [rng.uniform(-1, 1) for _ in params]
        for p, g in zip(params, grads):
            p.grad = g
        optimizer.step()
        adam_on_arrays(np, P, np.array(grads), groups, t, m, v)
        assert P.tolist() == pytest.approx([p.data for p in params], rel=1e-14, abs=1e-15)
    assert [(int(a), b, c) for a, b, c in zip(t, m, v)] == [optimizer.state[p] for p in params]


def train(compile: bool, make_optimizer, epochs: int = 6, **kwargs) -> tuple[list[float], list[float], object]:
    model = MLP(2, [8, 2], seed=3)
    optimizer = make_optimizer(model.parameters())
    history = fit(
        model,
        X,
        Y,
        cross_entropy,
        optimizer,
        epochs,
        batch_size=16,
        progress=False,
        compile=compile,
        rng=random.Random(0),
        **kwargs,
    )
    return history.losses, [p.data for p in model.parameters()], optimizer


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_adam_trains_exactly_as_the_scalar_engine(weight_decay: float) -> None:
    def make(ps):
        return Adam(ps, lr=0.05, weight_decay=weight_decay)

    scalar_losses, scalar_weights, scalar_opt = train(False, make)
    losses, weights, opt = train(True, make)
    assert losses == pytest.approx(scalar_losses, rel=1e-9)
    assert weights == pytest.approx(scalar_weights, rel=1e-9, abs=1e-12)
    assert opt.state_dict()["state"].keys() == scalar_opt.state_dict()["state"].keys()  # Adam's state written back
    for ours, theirs in zip(opt.state_dict()["state"].values(), scalar_opt.state_dict()["state"].values()):
        assert ours["step"] == theirs["step"] and ours["exp_avg"] == pytest.approx(theirs["exp_avg"], rel=1e-9)


def test_a_second_compiled_fit_resumes_adams_moments() -> None:
    model = MLP(2, [8, 2], seed=3)
    opt = Adam(model.parameters(), lr=0.05)
    fit(model, X, Y, cross_entropy, opt, 2, batch_size=16, progress=False, compile=True, rng=random.Random(0))
    steps_after_two = opt.state_dict()["state"][0]["step"]
    fit(model, X, Y, cross_entropy, opt, 1, batch_size=16, progress=False, compile=True, rng=random.Random(1))
    assert opt.state_dict()["state"][0]["step"] == steps_after_two + 5  # 80 examples, batches of 16


def test_a_schedule_applies_under_compile_as_without() -> None:
    def schedule(epoch: int) -> float:
        return 0.5 / epoch

    def make(ps):
        return SGD(ps, lr=0.1, momentum=0.9)

    scalar, _, _ = train(False, make, lr_schedule=schedule)
    compiled, _, _ = train(True, make, lr_schedule=schedule)
    plain, _, _ = train(True, make)
    assert compiled == pytest.approx(scalar, rel=1e-9)
    assert compiled != pytest.approx(plain, rel=1e-3)  # the schedule changed the steps


def test_validation_and_early_stopping_work_under_compile() -> None:
    model = MLP(2, [16, 1], seed=0)
    Xv, Yv = make_moons(60, noise=0.3, seed=9)
    history = fit(
        model,
        X,
        Y,
        hinge_loss,
        SGD(model.parameters(), lr=0.5, momentum=0.9),
        60,
        progress=False,
        compile=True,
        validation=(Xv, Yv),
        early_stopping=4,
    )
    model.eval()
    restored = hinge_loss([model(x) for x in Xv], Yv).data
    assert restored == pytest.approx(min(history.val_losses), rel=1e-12)
