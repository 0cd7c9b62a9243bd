"""Conv2d, MaxPool2d, AvgPool2d, Flatten, Residual and vmax: against NumPy, gradcheck, save/load, bad input."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from autograd_core import Value, gradcheck, vmax
from autograd_core.gradcheck import NonDifferentiablePointError
from nn import (
    SGD,
    AvgPool1d,
    AvgPool2d,
    Conv1d,
    Conv2d,
    Flatten,
    Layer,
    MaxPool1d,
    MaxPool2d,
    Module,
    Residual,
    Sequential,
    cross_entropy,
)

np = pytest.importorskip("numpy")


def image(c: int, h: int, w: int, seed: int = 0) -> list[list[list[float]]]:
    rng = random.Random(seed)
    return [[[rng.uniform(-1, 1) for _ in range(w)] for _ in range(h)] for _ in range(c)]


def numbers(x):
    """Nested lists of Values → nested lists of floats."""
    return [numbers(v) for v in x] if isinstance(x, list) else (x.data if isinstance(x, Value) else x)


def conv_reference(conv: Conv2d, x: list) -> np.ndarray:
    """The textbook cross-correlation in NumPy: out[f, r, c] = Σ W[f]·X_pad[:, rs:rs+k, cs:cs+k] + b[f], then f."""
    X = np.pad(np.array(x), ((0, 0), (conv.padding,) * 2, (conv.padding,) * 2))
    k, s = conv.kernel_size, conv.stride
    W = np.array([[w.data for w in f.w] for f in conv.filters]).reshape(conv.out_channels, conv.in_channels, k, k)
    b = np.array([f.b.data for f in conv.filters])
    rows, cols = (X.shape[1] - k) // s + 1, (X.shape[2] - k) // s + 1
    out = np.empty((conv.out_channels, rows, cols))
    for f in range(conv.out_channels):
        for r in range(rows):
            for c in range(cols):
                out[f, r, c] = (W[f] * X[:, r * s : r * s + k, c * s : c * s + k]).sum() + b[f]
    activations = {"linear": lambda z: z, "relu": lambda z: np.maximum(z, 0), "tanh": np.tanh}
    return activations[conv.activation](out)


def with_biases(model: Module, seed: int = 3) -> Module:
    rng = random.Random(seed)
    for name, p in model.named_parameters():
        if name.endswith(".b"):
            p.data = rng.uniform(-0.5, 0.5)
    return model


@pytest.mark.parametrize(
    ("cin", "cout", "k", "stride", "padding", "activation", "size"),
    [(1, 2, 3, 1, 0, "linear", (5, 6)), (2, 3, 3, 2, 1, "relu", (7, 5)), (3, 1, 2, 1, 2, "tanh", (3, 3))],
)
def test_conv2d_matches_numpy(cin, cout, k, stride, padding, activation, size) -> None:
    conv = with_biases(Conv2d(cin, cout, k, stride=stride, padding=padding, activation=activation, seed=1))
    x = image(cin, *size)
    np.testing.assert_allclose(np.array(numbers(conv(x))), conv_reference(conv, x), rtol=1e-12, atol=1e-12)
    assert conv.num_parameters() == cout * (cin * k * k + 1) == Conv2d.parameters_in(conv.config())


def test_conv2d_is_translation_equivariant() -> None:
    conv = with_biases(Conv2d(1, 2, 3, activation="linear", seed=0))
    x = image(1, 8, 8, seed=4)
    shifted = [[[0.0, *row[:-1]] for row in channel] for channel in x]  # every pixel one column to the right
    out, out_shifted = np.array(numbers(conv(x))), np.array(numbers(conv(shifted)))
    np.testing.assert_allclose(out_shifted[:, :, 1:], out[:, :, :-1], rtol=1e-12, atol=1e-12)


def test_a_filter_is_shared_so_its_gradient_sums_over_positions() -> None:
    conv = Conv2d(1, 1, 2, activation="linear", seed=0)
    x = image(1, 3, 3, seed=2)
    out = conv(x)
    total = sum(v for row in out[0] for v in row)
    total.backward()
    X = np.array(x[0])
    expected = [X[i : i + 2, j : j + 2].sum() for i in range(2) for j in range(2)]  # ∂Σz/∂w_ij = Σ over positions
    np.testing.assert_allclose([w.grad for w in conv.filters[0].w], expected, rtol=1e-12)
    assert conv.filters[0].b.grad == 4.0  # four output pixels


def small_cnn() -> Sequential:
    conv = Conv2d(1, 2, 2, activation="tanh", seed=0)
    return with_biases(Sequential(conv, AvgPool2d(2), Flatten(), Layer(8, 3, "linear", rng=random.Random(0))))


def test_gradcheck_through_a_small_cnn_with_respect_to_the_image() -> None:
    model = small_cnn()

    def loss(*pixels: Value) -> Value:
        return cross_entropy(model([[list(pixels[r * 5 : r * 5 + 5]) for r in range(5)]]), 2)

    assert gradcheck(loss, [v for row in image(1, 5, 5, seed=6)[0] for v in row])


def test_the_parameters_gradients_match_central_differences() -> None:
    model, x = small_cnn(), image(1, 5, 5, seed=6)

    def loss() -> Value:
        return cross_entropy(model(x), 2)

    loss().backward()
    for p in model.parameters():  # the shared filter weights, their biases and the layer's
        h, saved = 1e-6, p.data
        p.data = saved + h
        up = loss().data
        p.data = saved - h
        down = loss().data
        p.data = saved
        assert p.grad == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-8), p.label


def test_max_pooling_routes_the_gradient_to_the_maximum() -> None:
    x = [[[Value(v) for v in row] for row in [[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 6.0, 1.0]]]]
    out = MaxPool2d(2)(x)
    assert numbers(out) == [[[5.0, 6.0]]]
    (out[0][0][0] * 10 + out[0][0][1]).backward()
    assert [[v.grad for v in row] for row in x[0]] == [[0.0, 10.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]


def test_avg_pooling_spreads_the_gradient_evenly() -> None:
    x = [[[Value(v) for v in row] for row in [[1.0, 2.0], [3.0, 6.0]]]]
    out = AvgPool2d(2)(x)
    assert numbers(out) == [[[3.0]]]
    out[0][0][0].backward()
    assert all(v.grad == 0.25 for row in x[0] for v in row)


def test_vmax_first_maximal_input_takes_the_gradient_and_a_tie_is_a_kink() -> None:
    a, b, c = Value(2.0), Value(7.0), Value(7.0)
    m = vmax([a, b, c, 1.0])
    m.backward()
    assert (m.data, m.op, a.grad, b.grad, c.grad) == (7.0, "max", 0.0, 1.0, 0.0)  # PyTorch: the first maximal
    assert gradcheck(lambda x, y: vmax([x * x, y, 0.5]), [1.5, 2.0], order=2)
    with pytest.raises(NonDifferentiablePointError):
        gradcheck(lambda x, y: vmax([x, y]), [3.0, 3.0])
    d = Value(1.0)
    vmax([d, 4.0]).backward()  # a constant is the maximum: no input gets a gradient
    assert d.grad == 0.0
    with pytest.raises(ValueError, match="maximum of no values"):
        vmax([])
    with pytest.raises(TypeError, match="vmax\\(values\\) must be an iterable"):
        vmax(Value(1.0))


def test_flatten_reads_channel_then_row_then_column() -> None:
    x = [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]
    assert Flatten()(x) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert Flatten()(np.array(x)) == [1, 2, 3, 4, 5, 6, 7, 8]  # one example of an (N, C, H, W) array


def test_residual_adds_the_bypass_and_its_gradient() -> None:
    block = Residual(Layer(3, 3, "tanh", rng=random.Random(0)))
    x = [Value(0.5), Value(-1.0), Value(2.0)]
    out = block(x)
    inner = block.module(x)
    assert [o.data for o in out] == pytest.approx([xi.data + yi.data for xi, yi in zip(x, inner)])
    out[0].backward()
    assert x[0].grad == pytest.approx(
        1.0 + sum(n.w[0].data * (1 - o.data**2) for n, o in zip(block.module.neurons[:1], inner[:1]))
    )


def test_a_cnn_saves_and_loads_exactly(tmp_path: Path) -> None:
    model = with_biases(
        Sequential(
            Conv2d(1, 3, 3, padding=1, seed=2),
            MaxPool2d(2),
            Residual(Conv2d(3, 3, 3, padding=1, activation="tanh", seed=3)),
            AvgPool2d(2, stride=1),
            Flatten(),
            Layer(3, 4, "linear", rng=random.Random(1)),
        )
    )
    path = tmp_path / "cnn.json"
    model.save(path)
    loaded = Sequential.load(path)
    assert loaded.state_dict() == model.state_dict()
    x = image(1, 4, 4, seed=9)
    assert numbers(loaded(x)) == numbers(model(x))
    assert [type(m).__name__ for m in loaded.layers] == [type(m).__name__ for m in model.layers]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: Conv2d(1, 2, 5)(image(1, 3, 3)),
            ValueError,
            r"kernel_size 5 is larger than the padded",
        ),
        (lambda: Conv2d(2, 2, 3)(image(1, 4, 4)), ValueError, r"expected 2 input channels, got an image of 1"),
        (lambda: Conv2d(1, 2, 3, stride=1.5), TypeError, r"Conv2d\(stride\) must be an int, got float: 1.5"),
        (lambda: Conv2d(1, 2, 0), ValueError, r"Conv2d\(kernel_size\) must be a positive int, got 0"),
        (lambda: Conv2d(1, 1, 2)([[[1.0, 2.0], [3.0]]]), ValueError, r"ragged image: channel 0 row 1 has 1 columns"),
        (lambda: Conv2d(1, 1, 2)([1.0, 2.0]), TypeError, r"channel 0 must be a list of rows, got float"),
        (lambda: MaxPool2d(3)(image(1, 2, 2)), ValueError, r"MaxPool2d\(3\): kernel_size 3 is larger"),
        (
            lambda: Residual(Layer(3, 2))([0.1, 0.2, 0.3]),
            ValueError,
            r"Residual\(Layer\): the module changed the shape: input 3, output 2",
        ),
        (lambda: Residual(3), TypeError, r"Residual\(module\) must be a Module, got int: 3"),
    ],
)
def test_bad_input_names_the_module_the_argument_and_the_shapes(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call()


def test_a_cnn_trains_on_tiny_images() -> None:
    """Two classes: a bright vertical bar or a bright horizontal bar; a CNN separates them in a few steps."""
    rng = random.Random(0)

    def bar(vertical: bool) -> list:
        pos = rng.randrange(1, 5)
        img = [[rng.uniform(0, 0.1) for _ in range(6)] for _ in range(6)]
        for i in range(6):
            img[i if vertical else pos][pos if vertical else i] = 1.0
        return [img]

    X = [bar(i % 2 == 0) for i in range(16)]
    y = [i % 2 for i in range(16)]
    model = Sequential(Conv2d(1, 2, 3, seed=0), MaxPool2d(2), Flatten(), Layer(8, 2, "linear", rng=random.Random(0)))
    opt = SGD(model.parameters(), lr=0.2, momentum=0.9)
    losses = []
    for _ in range(15):
        loss = sum(cross_entropy(model(x), t) for x, t in zip(X, y)) / len(X)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.data)
    assert losses[-1] < 0.5 * losses[0]


def test_vmax_compiles_to_the_same_numbers_as_the_scalar_engine() -> None:
    from autograd_core import compile_batch

    w = [Value(0.8, "w0"), Value(-1.3, "w1")]
    rows = np.array([[0.5, 2.0, -1.0], [3.0, -0.5, 0.2], [-2.0, -1.0, -3.0], [0.1, 0.1, 5.0]])

    def f(x1: Value, x2: Value, x3: Value) -> Value:
        return vmax([w[0] * x1, w[1] * x2, x3 * x3 * 0.1, -0.4])

    step = compile_batch(f, w, rows)
    mean, grads = step(rows)
    for p in w:
        p.grad = 0.0
    total = sum(f(*(Value(v) for v in row)) for row in rows.tolist()) / len(rows)
    total.backward()
    assert mean == pytest.approx(total.data, rel=1e-12)
    np.testing.assert_allclose(grads, [p.grad for p in w], rtol=1e-12)


def signal(c: int, n: int, seed: int = 0) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.uniform(-1, 1) for _ in range(n)] for _ in range(c)]


@pytest.mark.parametrize(("cin", "cout", "k", "stride", "padding"), [(1, 3, 5, 2, 1), (2, 2, 3, 1, 0), (3, 1, 4, 3, 2)])
def test_conv1d_matches_numpy(cin, cout, k, stride, padding) -> None:
    conv = with_biases(Conv1d(cin, cout, k, stride=stride, padding=padding, activation="linear", seed=2))
    x = signal(cin, 11, seed=1)
    X = np.pad(np.array(x), ((0, 0), (padding, padding)))
    W = np.array([[w.data for w in f.w] for f in conv.filters]).reshape(cout, cin, k)
    b = np.array([f.b.data for f in conv.filters])
    n_out = (X.shape[1] - k) // stride + 1
    expected = np.array(
        [[(W[f] * X[:, t * stride : t * stride + k]).sum() + b[f] for t in range(n_out)] for f in range(cout)]
    )
    np.testing.assert_allclose(np.array(numbers(conv(x))), expected, rtol=1e-12, atol=1e-12)
    assert conv.num_parameters() == cout * (cin * k + 1) == Conv1d.parameters_in(conv.config())


def test_the_mnist1d_cnn_of_the_paper_has_its_shapes() -> None:
    """Greydanus (2020): three Conv1d (1→25 k5 s2 p1, 25→25 k3 s2 p1 twice) on 40 samples, then 125 → 10."""
    model = Sequential(
        Conv1d(1, 25, 5, stride=2, padding=1, seed=0),
        Conv1d(25, 25, 3, stride=2, padding=1, seed=1),
        Conv1d(25, 25, 3, stride=2, padding=1, seed=2),
        Flatten(),
        Layer(125, 10, "linear", rng=random.Random(0)),
    )
    lengths = []
    x: object = signal(1, 40)
    for m in model.layers[:3]:
        x = m(x)
        lengths.append(len(x[0]))  # type: ignore[index]
    assert lengths == [19, 10, 5]
    assert len(model(signal(1, 40))) == 10
    assert model.num_parameters() == 25 * 6 + 2 * 25 * (25 * 3 + 1) + 10 * 126


def test_1d_pooling_and_flatten() -> None:
    x = [[Value(v) for v in [1.0, 4.0, 2.0, 2.0, 0.0, -1.0]]]
    out = MaxPool1d(2)(x)
    assert numbers(out) == [[4.0, 2.0, 0.0]]
    out[0][1].backward()
    assert [v.grad for v in x[0]] == [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]  # a tie: the first maximal input
    assert numbers(AvgPool1d(3, stride=3)([[1.0, 2.0, 3.0, 4.0, 5.0, 9.0]])) == [[2.0, 6.0]]
    assert Flatten()([[1, 2, 3], [4, 5, 6]]) == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: Conv1d(1, 2, 5)(signal(1, 3)),
            ValueError,
            r"kernel_size 5 is larger than the padded input \(positions",
        ),
        (lambda: Conv1d(1, 2, 2)([[1.0, 2.0], [3.0]]), ValueError, r"ragged signal: channel 1 has 1, channel 0 has 2"),
        (lambda: Conv1d(2, 2, 2)(signal(1, 4)), ValueError, r"expected 2 input channels, got a signal of 1"),
        (lambda: Conv1d(1, 1, 2)([1.0, 2.0]), TypeError, r"channel 0 must be a list of numbers, got float"),
        (lambda: MaxPool1d(2, stride=0), ValueError, r"MaxPool1d\(stride\) must be a positive int"),
    ],
)
def test_bad_1d_input_is_named(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call()


def test_fit_and_accuracy_take_images_as_nested_lists_and_as_arrays() -> None:
    from nn import accuracy, fit

    rng = random.Random(1)
    X = [[[[rng.uniform(0, 1) for _ in range(4)] for _ in range(4)]] for _ in range(12)]
    y = [int(sum(v for row in x[0] for v in row) > 8) for x in X]
    model = Sequential(Conv2d(1, 2, 3, seed=0), Flatten(), Layer(8, 2, "linear", rng=random.Random(0)))
    history = fit(model, X, y, cross_entropy, SGD(model.parameters(), lr=0.1), 3, progress=False)
    assert len(history.losses) == 3
    assert 0.0 <= accuracy(model, np.array(X), np.array(y)) <= 1.0
    fit(model, np.array(X), np.array(y), cross_entropy, SGD(model.parameters(), lr=0.1), 1, progress=False)
    bad = [row[:] for row in X]
    bad[5] = [[[0.0, 0.0, 0.0, 0.0], [0.0, float("nan"), 0.0, 0.0], [0.0] * 4, [0.0] * 4]]
    with pytest.raises(ValueError, match=r"X\[5\]\[5\] \(example 5, feature 5\) is nan"):
        fit(model, bad, y, cross_entropy, SGD(model.parameters(), lr=0.1), 1, progress=False)
