"""fit(compile=True) on trained models: the same plan as a fresh model, cached plans, and the array twins
of SGD, the losses and the gradient norm checked against the scalar rules on the same numbers."""

from __future__ import annotations

import copy
import math
import random

import numpy as np
import pytest

import nn.compiled
from autograd_core import Value, compile_batch
from nn import (
    MLP,
    SGD,
    Layer,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    fit,
    hinge_loss,
    make_moons,
    mse_loss,
    quadratic_cost,
)
from nn.compiled import CompiledTraining, _norm, sgd_on_arrays
from nn.losses import ON_ARRAYS
from nn.optim import grad_norm

X_MOONS, Y_MOONS = make_moons(60, noise=0.1, seed=3)


def perturbed(model: MLP, seed: int = 0) -> MLP:
    """The model with every parameter moved by a random non-zero amount (like a trained model)."""
    rng = random.Random(seed)
    for p in model.parameters():
        p.data += rng.uniform(0.05, 0.5) * rng.choice((-1, 1)) + 0.1234567
    return model


def plan(model: MLP) -> list[str]:
    return compile_batch(lambda *x: model(list(x)), model.parameters(), X_MOONS).describe()


def test_a_trained_model_compiles_to_the_same_plan_as_a_fresh_one() -> None:
    fresh = plan(MLP(2, [16, 16, 1], seed=1))
    assert plan(perturbed(MLP(2, [16, 16, 1], seed=1))) == fresh
    assert fresh == [
        "Z = X·Wᵀ + b: 16 dot nodes as one product (batch × 2) · (2 × 16)",
        "ReLU: 16 nodes as one call on (batch × 16)",
        "Z = X·Wᵀ + b: 16 dot nodes as one product (batch × 16) · (16 × 16)",
        "ReLU: 16 nodes as one call on (batch × 16)",
        "Z = X·Wᵀ + b: 1 dot node as one product (batch × 16) · (16 × 1)",
    ]


def train(compile: bool, model: MLP, epochs: int = 8, **opt: float) -> tuple[list[float], list[float]]:
    history = fit(
        model,
        X_MOONS,
        Y_MOONS,
        hinge_loss,
        SGD(model.parameters(), **(opt or {"lr": 0.1})),
        epochs,
        batch_size=16,
        progress=False,
        rng=random.Random(5),
        compile=compile,
    )
    return history.losses, [p.data for p in model.parameters()]


def test_a_trained_model_trains_exactly_as_the_scalar_engine() -> None:
    (l0, p0), (l1, p1) = (train(c, perturbed(MLP(2, [8, 8, 1], seed=2))) for c in (False, True))
    assert l1 == pytest.approx(l0, rel=1e-9)
    assert p1 == pytest.approx(p0, rel=1e-9, abs=1e-12)


def test_a_dot_with_a_constant_bias_keeps_it_in_the_product() -> None:
    from autograd_core import dot

    w = [Value(0.3), Value(-0.7)]
    f = lambda a, b: dot(w, [a, b], 0.25).tanh()  # noqa: E731 - a constant (not trained) bias
    data = [[0.5, 1.0], [-1.0, 2.0]]
    compiled = compile_batch(f, w, data)
    assert compiled.describe()[0].startswith("Z = X·Wᵀ: 1 dot node as one product")
    assert compiled.forward(data)[:, 0].tolist() == pytest.approx([f(Value(a), Value(b)).data for a, b in data])


# ------------------------------------------------------------------ the plan cache
def count_traces(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    traces: list[object] = []

    def counting(*args, **kw):  # type: ignore[no-untyped-def]
        traces.append(args[0])
        return compile_batch(*args, **kw)

    monkeypatch.setattr(nn.compiled, "compile_batch", counting)
    return traces


def test_later_fit_calls_reuse_the_plan_and_train_as_the_scalar_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    traces = count_traces(monkeypatch)
    ours, theirs = MLP(2, [8, 8, 1], seed=4), MLP(2, [8, 8, 1], seed=4)
    for _ in range(3):  # repeated fit calls, the second and third on a trained model
        (l1, p1), (l0, p0) = train(True, ours, epochs=3), train(False, theirs, epochs=3)
        assert l1 == pytest.approx(l0, rel=1e-9) and p1 == pytest.approx(p0, rel=1e-9, abs=1e-12)
    ours.parameters()[0].data = 5.0  # numbers changed outside fit: read again, not traced again
    theirs.parameters()[0].data = 5.0
    assert train(True, ours, epochs=1)[0] == pytest.approx(train(False, theirs, epochs=1)[0], rel=1e-9)
    assert len(traces) == 1


def test_a_change_of_structure_traces_again(monkeypatch: pytest.MonkeyPatch) -> None:
    traces = count_traces(monkeypatch)
    model = MLP(2, [8, 1], seed=4)
    train(True, model, epochs=1)
    model.layers[0].neurons[0].w[0] = Value(0.5)  # a new parameter Value
    train(True, model, epochs=1)
    model.layers[0] = Layer(2, 8, "tanh", rng=random.Random(0))  # another layer, another activation
    twin = copy.deepcopy(model)
    (l1, p1), (l0, p0) = train(True, model, epochs=2), train(False, twin, epochs=2)
    assert len(traces) == 3
    assert l1 == pytest.approx(l0, rel=1e-9) and p1 == pytest.approx(p0, rel=1e-9, abs=1e-12)


# ------------------------------------------------------------------ SGD: scalar vs arrays
@pytest.mark.parametrize(
    "options",
    [
        {"lr": 0.1},
        {"lr": 0.1, "momentum": 0.9},
        {"lr": 0.1, "weight_decay": 0.01},  # weight decay without momentum
        {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1},
    ],
)
def test_sgd_on_arrays_is_sgd_step(options: dict[str, float]) -> None:
    rng = random.Random(1)
    params = [Value(rng.uniform(-2, 2)) for _ in range(7)]
    groups = [{"params": params[:3]}, {"params": params[3:], **options, "lr": options["lr"] * 3}]
    optimizer = SGD([{"params": params[:3]}, groups[1]], **options)
    P = np.array([p.data for p in params])
    velocity, has_velocity = np.zeros(len(params)), np.zeros(len(params), dtype=bool)
    where = [slice(0, 3), np.arange(3, 7)]  # a slice and an index array, as CompiledTraining makes them
    spans = [(at, g["lr"], g["momentum"], g["weight_decay"]) for at, g in zip(where, optimizer.param_groups)]
    for _ in range(3):
        grads = [rng.uniform(-1, 1) for _ in params]
        for p, g in zip(params, grads):
            p.grad = g
        optimizer.step()
        sgd_on_arrays(np, P, np.array(grads), spans, velocity, has_velocity)
        assert P.tolist() == pytest.approx([p.data for p in params], rel=1e-15, abs=1e-15)
    assert [velocity[j] for j in range(7) if has_velocity[j]] == pytest.approx(
        [optimizer.state[p] for p in params if p in optimizer.state], rel=1e-15
    )


def test_weight_decay_without_momentum_changes_the_step() -> None:
    """The mutation "drop λ·p when μ = 0" must fail: compare with and without decay on arrays and on Values."""
    P0 = np.array([1.0, -2.0])
    for wd in (0.0, 0.5):
        P = P0.copy()
        sgd_on_arrays(np, P, np.zeros(2), [(slice(0, 2), 0.1, 0.0, wd)], np.zeros(2), np.zeros(2, dtype=bool))
        params = [Value(1.0), Value(-2.0)]
        SGD(params, lr=0.1, weight_decay=wd).step()
        assert P.tolist() == [p.data for p in params] == pytest.approx((P0 * (1 - 0.1 * wd)).tolist())


# ------------------------------------------------------------------ the gradient norm
@pytest.mark.parametrize(
    "grads",
    [
        [3.0, 4.0],
        [0.0, 0.0],
        [1e200, 1e200],
        [1e-200, -1e-200],
        [math.inf, 1.0],
        [math.nan, 1.0],
        [-math.inf, math.nan],
    ],
)
def test_the_norm_on_arrays_is_grad_norm(grads: list[float]) -> None:
    params = [Value(0.0) for _ in grads]
    for p, g in zip(params, grads):
        p.grad = g
    expected, ours = grad_norm(params), _norm(np, np.array(grads))
    assert (math.isnan(expected) and math.isnan(ours)) or ours == pytest.approx(expected, rel=1e-15)


# ------------------------------------------------------------------ every loss: scalar vs arrays
@pytest.mark.parametrize(
    ("loss", "outputs", "targets"),
    [
        (mse_loss, 2, [[0.5, -1.0], [2.0, 0.0], [1.0, 1.0]]),
        (quadratic_cost, 2, [[0.5, -1.0], [2.0, 0.0], [1.0, 1.0]]),
        (binary_cross_entropy, 1, [1.0, 0.0, 0.3]),
        (binary_cross_entropy_with_logits, 1, [1.0, 0.0, 0.3]),
        (hinge_loss, 1, [1.0, -1.0, 0.0]),
        (cross_entropy, 3, [2, 0, 1]),
    ],
)
def test_every_losss_array_rule_is_its_scalar_rule(loss, outputs, targets) -> None:  # type: ignore[no-untyped-def]
    assert loss in ON_ARRAYS
    rng = np.random.default_rng(3)
    A = rng.uniform(0.05, 0.95, size=(3, outputs)) if loss is binary_cross_entropy else rng.normal(size=(3, outputs))
    values = [[Value(a) for a in row] for row in A.tolist()]
    preds = [row[0] for row in values] if outputs == 1 else values
    cost = loss(preds, targets)
    cost.backward()
    per_example, dA = ON_ARRAYS[loss](np, A, np.asarray(targets, dtype=float).reshape(3, -1))
    assert per_example.mean() == pytest.approx(cost.data, rel=1e-14)
    assert (dA / 3).ravel().tolist() == pytest.approx([v.grad for row in values for v in row], rel=1e-13, abs=1e-16)


def test_compiled_training_uses_sgd_on_arrays(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(nn.compiled, "sgd_on_arrays", lambda *a: calls.append(a))
    model = MLP(2, [4, 1], seed=0)
    step = CompiledTraining(model, hinge_loss, SGD(model.parameters(), lr=0.1), None, X_MOONS, Y_MOONS)
    step.step(list(range(10)), None, 0.0)
    assert len(calls) == 1


def test_an_optimiser_without_an_array_twin_is_refused() -> None:
    from nn import Optimizer

    class Halving(Optimizer):  # a student's own optimiser: p ← p − ½·∂C/∂p
        def __init__(self, params: list[Value]) -> None:
            super().__init__(params, {})

        def step(self) -> None:
            for p in self.param_groups[0]["params"]:
                p.data -= 0.5 * p.grad

    model = MLP(2, [4, 1], seed=0)
    with pytest.raises(ValueError, match=r"supports the optimisers SGD, Adam; got Halving: use compile=False"):
        fit(model, X_MOONS, Y_MOONS, hinge_loss, Halving(model.parameters()), 1, progress=False, compile=True)


def test_a_parameter_that_overflows_is_named_as_without_compile() -> None:
    from nn import TrainingDivergedError

    messages = []
    for compile in (False, True):
        model = MLP(2, [4, 1], seed=0)
        model.parameters()[2].data = -1e308  # a hidden bias (its ReLU is off): p − 3·(p + 0) = −2p overflows
        optimizer = SGD(model.parameters(), lr=3.0, weight_decay=1.0)
        with pytest.raises(TrainingDivergedError, match=r"parameter \S+ is -?inf after an update") as error:
            fit(model, X_MOONS, Y_MOONS, hinge_loss, optimizer, 1, progress=False, compile=compile)
        messages.append(str(error.value))
    assert messages[0] == messages[1]
