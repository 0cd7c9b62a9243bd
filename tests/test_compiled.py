"""compile_batch and fit(compile=True): the scalar graph run over a batch as arrays, equal to the engine."""

from __future__ import annotations

import random

import numpy as np
import pytest

from autograd_core import GraphDependsOnDataError, Value, compile_batch, dot, vsum
from nn import (
    MLP,
    SGD,
    Layer,
    Neuron,
    Sequential,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    fit,
    hinge_loss,
    l1_penalty,
    l2_penalty,
    make_moons,
    mse_loss,
    quadratic_cost,
)


def scalar_mean_and_grads(f, params, data):  # type: ignore[no-untyped-def]
    """The same mean and gradients from the scalar engine, example by example."""
    for p in params:
        p.grad = 0.0
    total = vsum([f(*[Value(x) for x in row]) for row in data]) * (1.0 / len(data))
    total.backward()
    return total.data, np.array([p.grad for p in params])


def test_an_mlp_loss_equals_the_scalar_engine_and_packs_layers_into_matrix_products() -> None:
    model = MLP(2, [8, 8, 1], activation="tanh", seed=0)
    params = model.parameters()
    rng = np.random.default_rng(1)
    data = np.c_[rng.normal(size=(40, 2)), np.sign(rng.normal(size=40))]

    def f(x1: Value, x2: Value, y: Value) -> Value:
        a = model([x1, x2])
        return (1 - y * a).relu() + 0.5 * (a - y) ** 2

    compiled = compile_batch(f, params, data)
    mean, grads = compiled(data)
    expected_mean, expected = scalar_mean_and_grads(f, params, data)
    assert mean == pytest.approx(expected_mean, rel=1e-12)
    assert np.max(np.abs(grads - expected)) <= 1e-12 * max(1.0, np.max(np.abs(expected)))
    kinds = [g.kind for g in compiled._groups]
    assert kinds.count("matmul") == 3  # one matrix product per layer, not one node per neuron
    assert all(p.grad == pytest.approx(g) for p, g in zip(params, expected))


@pytest.mark.parametrize(
    "f",
    [
        lambda a, b: (a * b + a / (b * b + 1) - 2.0 / (a * a + 1)).exp().log(),
        lambda a, b: (a.sigmoid() + 0.5) ** b.tanh() + (2 ** a.tanh()) + abs(a - b) + (a * 3 - 1).softplus(),
        lambda a, b: vsum([a, b, 1.0]).leaky_relu(0.1) + (b * b + 1).sqrt() + (-a) ** 2,
        lambda a, b: dot([a, b], [b, 2.0], 1.5) + dot([a], [b]),
    ],
)
def test_every_op_runs_on_arrays_as_on_floats(f) -> None:  # type: ignore[no-untyped-def]
    w = Value(0.7, "w")
    data = np.random.default_rng(2).uniform(-1.5, 1.5, size=(25, 2))
    g = lambda a, b: f(a * w, b)  # noqa: E731 - a parameter inside the graph
    mean, grads = compile_batch(g, [w], data)(data)
    expected_mean, expected = scalar_mean_and_grads(g, [w], data)
    assert mean == pytest.approx(expected_mean, rel=1e-12)
    assert grads == pytest.approx(expected, rel=1e-10)


def test_a_graph_that_depends_on_the_data_is_refused() -> None:
    w = Value(1.0)

    def branchy(x: Value) -> Value:
        return x * w if x.data > 0 else (x * w).exp() * 2  # a Python branch on .data

    with pytest.raises(
        GraphDependsOnDataError, match=r"from the data \(x\.data\) at .*test_compiled\.py:\d+.*compile=False"
    ):
        compile_batch(branchy, [w], [[1.0], [2.0], [-1.0]])

    def from_data(x: Value) -> Value:
        return x * w + Value(x.data * 2)  # a constant computed from .data

    with pytest.raises(GraphDependsOnDataError):
        compile_batch(from_data, [w], [[1.0], [2.0], [3.0]])


def test_kinks_are_masks_not_different_graphs() -> None:
    w = Value(0.5)
    data = [[-2.0], [0.5], [3.0]]
    f = lambda x: (x * w - 0.5).relu() + abs(x * w)  # noqa: E731
    mean, grads = compile_batch(f, [w], data)(data)
    expected_mean, expected = scalar_mean_and_grads(f, [w], data)
    assert (mean, grads.tolist()) == (pytest.approx(expected_mean), pytest.approx(expected.tolist()))


def test_compile_batch_checks_its_arguments() -> None:
    w = Value(1.0)
    with pytest.raises(ValueError, match="listed twice"):
        compile_batch(lambda x: x * w, [w, w], [[1.0]])
    with pytest.raises(TypeError, match=r"params\) must be Values"):
        compile_batch(lambda x: x * w, [1.0], [[1.0]])  # type: ignore[list-item]
    compiled = compile_batch(lambda x: x * w, [w], [[1.0]])
    with pytest.raises(ValueError, match=r"data must be \(batch, 1\)"):
        compiled(np.zeros((3, 2)))


# ------------------------------------------------------------------ fit
def train_both(make, loss, X, y, **kw):  # type: ignore[no-untyped-def]
    runs = []
    for compile in (False, True):
        model = make()
        opt_kw = kw.pop("opt", {}) if compile else kw.get("opt", {})
        optimizer = SGD(model.parameters(), **(opt_kw or {"lr": 0.1}))
        args = {k: v for k, v in kw.items() if k != "opt"}
        history = fit(model, X, y, loss, optimizer, progress=False, rng=random.Random(7), compile=compile, **args)
        runs.append((history, [p.data for p in model.parameters()], optimizer))
    return runs


def assert_same_training(runs) -> None:  # type: ignore[no-untyped-def]
    (h0, p0, _), (h1, p1, _) = runs
    assert h1.losses == pytest.approx(h0.losses, rel=1e-9)
    assert h1.accuracies == h0.accuracies
    assert h1.grad_norms == pytest.approx(h0.grad_norms, rel=1e-9)
    assert p1 == pytest.approx(p0, rel=1e-9, abs=1e-12)
    assert h1.steps == h0.steps


X_MOONS, Y_MOONS = make_moons(60, noise=0.1, seed=3)


def test_fit_compiled_trains_exactly_as_the_scalar_engine_full_batch() -> None:
    runs = train_both(lambda: MLP(2, [8, 8, 1], seed=1), hinge_loss, X_MOONS, Y_MOONS, epochs=15)
    assert_same_training(runs)


def test_fit_compiled_with_minibatches_penalty_momentum_weight_decay_and_clipping() -> None:
    opt = {"lr": 0.2, "momentum": 0.9, "weight_decay": 1e-3}
    runs = train_both(
        lambda: MLP(2, [8, 8, 1], seed=2),
        hinge_loss,
        X_MOONS,
        Y_MOONS,
        epochs=6,
        batch_size=16,
        penalty=lambda ps: 1e-3 * l2_penalty(ps) + 1e-4 * l1_penalty(ps),
        max_grad_norm=0.5,
        opt=opt,
    )
    assert_same_training(runs)
    (_, _, o0), (_, _, o1) = runs
    assert sorted(o1.state.values()) == pytest.approx(sorted(o0.state.values()), rel=1e-9)


@pytest.mark.parametrize(
    ("loss", "make", "targets"),
    [
        (binary_cross_entropy, lambda: MLP(2, [6, 1], output_activation="sigmoid", seed=4), Y_MOONS),
        (binary_cross_entropy_with_logits, lambda: MLP(2, [6, 1], seed=4), Y_MOONS),
        (mse_loss, lambda: MLP(2, [6, 2], activation="sigmoid", seed=4), [[float(t), 1.0 - t] for t in Y_MOONS]),
        (quadratic_cost, lambda: MLP(2, [6, 2], activation="softplus", seed=4), [[float(t), 1.0 - t] for t in Y_MOONS]),
        (cross_entropy, lambda: MLP(2, [6, 2], activation="leaky_relu", seed=4), Y_MOONS),
        (
            hinge_loss,
            lambda: Sequential(Layer(2, 6, "tanh", rng=random.Random(1)), Neuron(6, "linear", rng=random.Random(2))),
            Y_MOONS,
        ),
    ],
)
def test_fit_compiled_matches_for_every_loss(loss, make, targets) -> None:  # type: ignore[no-untyped-def]
    assert_same_training(train_both(make, loss, X_MOONS, targets, epochs=5, batch_size=20))


def test_fit_compiled_writes_the_weights_back_before_each_callback() -> None:
    model = MLP(2, [4, 1], seed=0)
    seen = []

    def callback(epoch: int, history: object) -> None:
        seen.append([p.data for p in model.parameters()])

    start = [p.data for p in model.parameters()]
    fit(
        model,
        X_MOONS,
        Y_MOONS,
        hinge_loss,
        SGD(model.parameters(), lr=0.1),
        3,
        progress=False,
        callback=callback,
        compile=True,
    )
    assert len(seen) == 3 and seen[0] != start and seen[1] != seen[0]
    assert seen[-1] == [p.data for p in model.parameters()]


def test_fit_compiled_refuses_dropout_and_custom_losses() -> None:
    model = MLP(2, [4, 1], seed=0, dropout=0.5)
    with pytest.raises(ValueError, match=r"dropout.*compile=False"):
        fit(model, X_MOONS, Y_MOONS, hinge_loss, SGD(model.parameters(), lr=0.1), 1, progress=False, compile=True)
    model = MLP(2, [4, 1], seed=0)
    with pytest.raises(ValueError, match=r"supports the losses.*compile=False"):
        fit(
            model,
            X_MOONS,
            Y_MOONS,
            lambda a, y: mse_loss(a, y),
            SGD(model.parameters(), lr=0.1),
            1,
            progress=False,
            compile=True,
        )
