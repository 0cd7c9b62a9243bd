"""Compiled convolutions: filters as one product over the batch's patches (im2col), pooling as one
call, exact to the scalar engine (1e-9 relative), for nn's modules and a convolution written by hand."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

np = pytest.importorskip("numpy")

import nn  # noqa: E402
from autograd_core import Value, compile_batch, dot, vsum  # noqa: E402
from nn.compiled import CompiledTraining  # noqa: E402


def _models() -> dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]]:
    return {
        "conv2d-maxpool-linear": (
            lambda: nn.Sequential(
                nn.Conv2d(1, 4, 3, padding=1, seed=1),
                nn.MaxPool2d(2),
                nn.Flatten(),
                nn.Layer(16, 3, activation="linear", rng=random.Random(2)),
            ),
            (1, 4, 4),
        ),
        "conv2d-stride-avgpool": (
            lambda: nn.Sequential(
                nn.Conv2d(2, 3, 3, stride=2, padding=1, activation="tanh", seed=3),
                nn.AvgPool2d(2),
                nn.Flatten(),
            ),
            (2, 7, 7),
        ),
        "mnist1d-cnn": (
            lambda: nn.Sequential(
                nn.Conv1d(1, 5, 5, stride=2, padding=1, seed=4),
                nn.Conv1d(5, 5, 3, stride=2, padding=1, seed=5),
                nn.Conv1d(5, 5, 3, stride=2, padding=1, seed=6),
                nn.Flatten(),
                nn.Layer(15, 4, activation="linear", rng=random.Random(7)),
            ),
            (1, 24),
        ),
        "residual-conv1d-maxpool": (
            lambda: nn.Sequential(nn.Residual(nn.Conv1d(2, 2, 3, padding=1, seed=8)), nn.MaxPool1d(3), nn.Flatten()),
            (2, 9),
        ),
    }


MODELS = _models()


def _random_parameters(model: nn.Module, seed: int) -> None:
    """Non-zero biases and weights: a trained model, not a fresh one."""
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.data = float(rng.normal())


def _batch(shape: tuple[int, ...], n: int, seed: int) -> Any:
    """Random examples with ties: a third of the numbers 0, so ReLU outputs and max-pool windows tie."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, *shape))
    X[rng.random(X.shape) < 1 / 3] = 0.0
    return X


@pytest.mark.parametrize("name", MODELS)
def test_a_compiled_cnn_gives_the_scalar_engines_outputs_and_gradients(name: str) -> None:
    make, shape = MODELS[name]
    model = make()
    _random_parameters(model, 0)
    X = _batch(shape, 6, 1)
    params = model.parameters()
    compiled = compile_batch(lambda *x: model(np.reshape(x, shape).tolist()), params, X.reshape(6, -1))
    out = compiled.forward(X.reshape(6, -1))
    d_out = np.random.default_rng(2).normal(size=out.shape)
    d_params = compiled.backward(d_out)

    for p in params:
        p.grad = 0.0
    scalar = []
    for example, d in zip(X, d_out):
        a = model(example.tolist())
        scalar.append([v.data for v in a])
        vsum([v * float(dv) for v, dv in zip(a, d)]).backward()
    assert np.allclose(out, scalar, rtol=1e-9, atol=1e-12)
    assert np.allclose(d_params, [p.grad for p in params], rtol=1e-9, atol=1e-12)


def test_the_digits_cnn_is_four_array_operations_whatever_its_parameters() -> None:
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, seed=0),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Layer(256, 10, activation="linear", rng=random.Random(0)),
    )
    X = _batch((1, 8, 8), 3, 0).reshape(3, -1)

    def plan() -> list[str]:
        return compile_batch(lambda *x: model(np.reshape(x, (1, 8, 8)).tolist()), model.parameters(), X).describe()

    fresh = plan()
    assert fresh == [
        "Z = patches·Wᵀ: 16 filters × 64 positions (1024 dot nodes) as one product (batch·64 × 10) · (10 × 16)",
        "ReLU: 1024 nodes as one call on (batch × 1024)",
        "max: 256 nodes of 4 parents each as one call on (batch × 256)",
        "Z = X·Wᵀ + b: 10 dot nodes as one product (batch × 256) · (256 × 10)",
    ]
    _random_parameters(model, 3)
    assert plan() == fresh


def test_a_convolution_written_by_hand_with_a_number_bias_packs_and_stays_exact() -> None:
    """A student's 1-D convolution: two filters of shared weights, padding as plain 0.0, a number bias."""
    filters = [[Value(0.5), Value(-1.0), Value(2.0)], [Value(1.5), Value(0.25), Value(-0.75)]]
    params = [w for f in filters for w in f]

    def conv(*x: Value) -> list[Value]:
        padded: list[Value | float] = [0.0, *x, 0.0]
        return [dot(f, padded[t : t + 3], 0.1) for f in filters for t in range(len(x))]

    X = _batch((5,), 4, 5)
    compiled = compile_batch(conv, params, X)
    assert compiled.describe() == [
        "Z = patches·Wᵀ: 2 filters × 5 positions (10 dot nodes) as one product (batch·5 × 3) · (3 × 2)"
    ]
    out = compiled.forward(X)
    d_params = compiled.backward(np.ones_like(out))
    for p in params:
        p.grad = 0.0
    for example in X:
        vsum(conv(*[Value(x) for x in example])).backward()
    expected = [[v.data for v in conv(*[Value(x) for x in example])] for example in X]
    assert np.allclose(out, expected, rtol=1e-12, atol=1e-12)
    assert np.allclose(d_params, [p.grad for p in params], rtol=1e-12, atol=1e-12)


def test_sums_of_equal_arity_are_one_call_each_with_its_own_numbers() -> None:
    def f(*x: Value) -> list[Value]:
        return [vsum([x[0], x[1], 1.0]), vsum([x[2], x[3], 2.0]), vsum([x[1], x[2], -4.0])]

    X = _batch((4,), 3, 6)
    compiled = compile_batch(f, [], X)
    assert compiled.describe() == ["Σ: 3 nodes of 2 parents each as one call on (batch × 3)"]
    assert np.allclose(compiled.forward(X), [[a + b + 1, c + d + 2, b + c - 4] for a, b, c, d in X], rtol=1e-15)


@pytest.mark.parametrize(
    ("make", "shape", "optimizer"),
    [
        (*MODELS["conv2d-maxpool-linear"], lambda ps: nn.SGD(ps, lr=0.1, momentum=0.9)),
        (
            lambda: nn.Sequential(
                nn.Conv1d(1, 3, 5, stride=2, padding=1, seed=2),
                nn.Conv1d(3, 3, 3, stride=2, padding=1, seed=3),
                nn.Flatten(),
                nn.Layer(15, 3, activation="linear", rng=random.Random(4)),
            ),
            (1, 20),
            lambda ps: nn.Adam(ps, lr=1e-2),
        ),
    ],
    ids=["conv2d-images-sgd", "conv1d-signals-adam"],
)
def test_fit_compiled_on_image_arrays_trains_exactly_as_the_scalar_engine(
    make: Callable[[], nn.Module], shape: tuple[int, ...], optimizer: Callable[[list[Value]], nn.Optimizer]
) -> None:
    X = _batch(shape, 24, 7)
    y = np.random.default_rng(8).integers(0, 3, size=24)
    trained = []
    for compiled in (True, False):
        model = make()
        history = nn.fit(
            model, X, y, nn.cross_entropy, optimizer(model.parameters()), epochs=2, batch_size=8, compile=compiled
        )
        trained.append(([p.data for p in model.parameters()], history.losses))
    (compiled_weights, compiled_losses), (scalar_weights, scalar_losses) = trained
    assert np.allclose(compiled_losses, scalar_losses, rtol=1e-9)
    assert np.allclose(compiled_weights, scalar_weights, rtol=1e-9, atol=1e-12)


def test_a_compiled_cnn_plan_is_kept_per_image_shape() -> None:
    model = nn.Sequential(nn.Conv1d(1, 2, 3, seed=0), nn.Flatten())
    y = [0, 1]
    short = CompiledTraining(model, nn.mse_loss, nn.SGD(model.parameters(), lr=0.1), None, _batch((1, 5), 2, 0), y)
    long = CompiledTraining(model, nn.mse_loss, nn.SGD(model.parameters(), lr=0.1), None, _batch((1, 8), 2, 0), y)
    assert short.compiled is not long.compiled
    assert short.compiled.n_inputs == 5 and long.compiled.n_inputs == 8


def test_compiled_steps_run_numpys_blas_on_one_thread_and_put_it_back() -> None:
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas_threads() -> list[int]:
        return [lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]

    model = nn.Sequential(nn.Conv1d(1, 2, 3, seed=0), nn.Flatten())
    seen: list[list[int]] = []
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        assert before and 1 not in before  # NumPy's BLAS found, on more than one thread
        nn.fit(
            model,
            _batch((1, 5), 4, 0),
            [[0.0] * 6] * 4,
            nn.mse_loss,
            nn.SGD(model.parameters(), lr=0.1),
            epochs=2,
            compile=True,
            callback=lambda epoch, history: seen.append(blas_threads()),
        )
        assert seen == [[1] * len(before)] * 2
        assert blas_threads() == before


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_fit_compiled_measures_the_validation_set_as_the_scalar_engine_does(kind: str) -> None:
    """After each epoch the validation loss and accuracy come from the compiled graph: the same numbers."""
    shape = (1, 4, 4)
    X, X_val = _batch(shape, 16, 9), _batch(shape, 10, 10)
    y, y_val = np.arange(16) % 3, np.arange(10) % 3
    histories = []
    for compiled in (True, False):
        model = (
            nn.Sequential(nn.Flatten(), nn.MLP(16, [5, 3], activation="tanh", seed=0))
            if kind == "mlp"
            else MODELS["conv2d-maxpool-linear"][0]()
        )
        histories.append(
            nn.fit(
                model,
                X,
                y,
                nn.cross_entropy,
                nn.Adam(model.parameters(), lr=0.05),
                epochs=3,
                batch_size=4,
                compile=compiled,
                validation=(X_val, y_val),
            )
        )
    compiled_history, scalar_history = histories
    assert np.allclose(compiled_history.val_losses, scalar_history.val_losses, rtol=1e-9)
    assert compiled_history.val_accuracies == scalar_history.val_accuracies
    assert len(set(compiled_history.val_losses)) == 3  # the weights changed between the measurements


@pytest.mark.parametrize("name", ["conv2d-maxpool-linear", "mnist1d-cnn"])
def test_accuracy_compiled_counts_as_the_scalar_engine(name: str) -> None:
    make, shape = MODELS[name]
    model = make()
    _random_parameters(model, 11)
    X = _batch(shape, 40, 12)
    n_out = len(model(X[0].tolist()))
    y = np.random.default_rng(13).integers(0, n_out, size=40)
    scalar = nn.accuracy(model, X, y)
    assert 0 < scalar < 1
    assert nn.accuracy(model, X, y, compile=True) == scalar
    assert model.training  # the mode is put back


def test_accuracy_compiled_names_an_impossible_target_as_the_scalar_path_does() -> None:
    make, shape = MODELS["conv2d-maxpool-linear"]
    model = make()
    X = _batch(shape, 3, 0)
    for compile in (False, True):
        with pytest.raises(ValueError, match=r"accuracy\(y\): y\[2\] is 7, but the model has 3 outputs"):
            nn.accuracy(model, X, [0, 1, 7], compile=compile)
    with pytest.raises(TypeError, match=r"accuracy\(compile\) must be True or False, got"):
        nn.accuracy(model, X, [0, 1, 2], compile="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"accuracy\(compile=True\) needs an nn Module"):
        nn.accuracy(lambda x: model(x), X, [0, 1, 2], compile=True)


def test_a_layer_applied_twice_adds_both_uses_into_its_weights_gradient() -> None:
    """Tied weights: the same Layer at two depths is two matrix products writing the same ∂C/∂W, which
    must be added, not overwritten (a product that is its weights' only user writes ∂C/∂W directly)."""
    layer = nn.Layer(3, 3, activation="tanh", rng=random.Random(0))
    head = nn.Layer(3, 1, activation="linear", rng=random.Random(1))
    params = layer.parameters() + head.parameters()

    def f(*x: Value) -> Value:
        return head(layer(layer(list(x))))[0]

    X = _batch((3,), 5, 14)
    compiled = compile_batch(f, params, X)
    assert sum("as one product" in line for line in compiled.describe()) == 3
    compiled.forward(X)
    d_params = compiled.backward(np.ones((5, 1)))
    for p in params:
        p.grad = 0.0
    for example in X:
        f(*[Value(x) for x in example]).backward()
    assert np.allclose(d_params, [p.grad for p in params], rtol=1e-12, atol=1e-14)
