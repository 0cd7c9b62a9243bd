"""Training: the issue's results (moons, XOR), History, divergence, callbacks, accuracy, batches."""

from __future__ import annotations

import io
import math
import random
import sys

import pytest

from autograd_core.extras import MissingExtraError
from nn import (
    MLP,
    SGD,
    Dropout,
    Layer,
    Module,
    Neuron,
    Sequential,
    TrainingDivergedError,
    accuracy,
    batches,
    binary_cross_entropy,
    cross_entropy,
    fit,
    hinge_loss,
    l2_penalty,
    make_moons,
    mse_loss,
    xor,
)


def l2(params: list) -> object:
    return 1e-4 * l2_penalty(params)


@pytest.mark.parametrize("seed", [0, 1])
def test_moons_mlp_reaches_97_percent_within_100_steps(seed: int) -> None:
    X, y = make_moons(100, noise=0.1, seed=seed)
    model = MLP(2, [16, 16, 1], seed=seed)
    history = fit(
        model, X, y, hinge_loss, SGD(model.parameters(), lr=0.1, momentum=0.9), 100, penalty=l2, progress=False
    )
    assert history.steps == 100
    assert accuracy(model, X, y) >= 0.97
    assert history.losses[-1] < history.losses[0] / 4


def test_an_mlp_learns_xor() -> None:
    X, y = xor()
    model = MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=0)
    fit(model, X, y, binary_cross_entropy, SGD(model.parameters(), lr=0.5, momentum=0.9), 300, progress=False)
    assert accuracy(model, X, y) == 1.0
    assert [round(model(x).data) for x in X] == [0, 1, 1, 0]


def test_mini_batch_multiclass_training_and_history() -> None:
    rng = random.Random(0)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(60)]
    y = [int(x0 > 0) + 2 * int(x1 > 0) for x0, x1 in X]  # four quadrants
    model = MLP(2, [12, 4], seed=1)
    seen = []
    history = fit(
        model,
        X,
        y,
        cross_entropy,
        SGD(model.parameters(), lr=0.1, momentum=0.9),
        30,
        batch_size=16,
        progress=False,
        callback=lambda epoch, h: seen.append((epoch, len(h.losses))),
    )
    assert seen == [(e, e) for e in range(1, 31)]
    assert history.steps == 30 * 4  # ⌈60 / 16⌉ batches per epoch
    assert len(history.losses) == len(history.accuracies) == len(history.grad_norms) == len(history.seconds) == 30
    assert history.losses[-1] < history.losses[0]
    assert history.accuracies[-1] >= 0.9 and accuracy(model, X, y) >= 0.9
    assert all(n > 0 for n in history.grad_norms) and all(s > 0 for s in history.seconds)


def test_callback_returning_true_stops_training() -> None:
    X, y = xor()
    model = MLP(2, [3, 1], seed=0)
    history = fit(
        model, X, y, mse_loss, SGD(model.parameters(), lr=0.1), 50, progress=False, callback=lambda e, h: e == 3
    )
    assert len(history.losses) == 3


def test_a_diverging_loss_raises_a_clear_error() -> None:
    X, y = make_moons(50, noise=0.1, seed=0)
    model = MLP(2, [8, 1], activation="linear", seed=0)
    with pytest.raises(
        TrainingDivergedError,
        match=r"learning rate .* too large .*lower the learning rate \(lr = 10.0\).*gradients explode .*clip",
    ) as info:
        fit(model, X, y, mse_loss, SGD(model.parameters(), lr=10.0), 20, progress=False)
    assert isinstance(info.value, FloatingPointError)


def test_max_grad_norm_clips_every_step() -> None:
    X, y = make_moons(50, noise=0.1, seed=0)
    model = MLP(2, [8, 1], seed=0)
    before = model.state_dict()
    fit(model, X, y, hinge_loss, SGD(model.parameters(), lr=1.0), 1, progress=False, max_grad_norm=1e-3)
    step = math.sqrt(sum((model.state_dict()[k] - v) ** 2 for k, v in before.items()))
    assert step == pytest.approx(1e-3, rel=1e-3)  # lr·‖g‖ with ‖g‖ clipped to 1e-3


class Terminal(io.StringIO):
    """A captured stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_the_tqdm_bar_shows_only_when_asked_and_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = xor()
    model = MLP(2, [3, 1], seed=0)
    for progress, tty, shown in [(True, True, True), (None, True, True), (False, True, False), (True, False, False)]:
        stream = Terminal() if tty else io.StringIO()
        monkeypatch.setattr(sys, "stderr", stream)
        fit(model, X, y, mse_loss, SGD(model.parameters(), lr=0.1), 3, progress=progress)
        assert ("fit: 100%" in stream.getvalue()) == shown, (progress, tty)


def test_fit_progress_without_tqdm_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if tqdm were not installed
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    X, y = xor()
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(MissingExtraError, match=r"fit\(progress=True\) needs the 'tqdm' package.*autograd-core\[nn\]"):
        fit(model, X, y, mse_loss, SGD(model.parameters(), lr=0.1), 3, progress=True)
    fit(model, X, y, mse_loss, SGD(model.parameters(), lr=0.1), 3)  # the default: no bar, no error


def test_accuracy_restores_the_mode_and_checks_lengths() -> None:
    model = MLP(2, [4, 1], seed=0, dropout=0.5)
    X, y = xor()
    accuracy(model, X, y)
    assert model.training
    with pytest.raises(ValueError, match="accuracy: got 4 inputs but 3 targets"):
        accuracy(model, X, y[:3])
    with pytest.raises(ValueError, match="fit: got 4 inputs but 2 targets"):
        fit(model, X, y[:2], mse_loss, SGD(model.parameters(), lr=0.1), 1, progress=False)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (7, r"y\[2\] is 7, but the model has 3 outputs: a target is a class index 0 … 2"),
        (-1, r"y\[2\] is -1, but the model has 3 outputs"),
        (1.5, r"y\[2\] is 1.5, but the model has 3 outputs"),
        ([0, 1], r"y\[2\] has 2 numbers, but the model has 3 outputs"),
    ],
)
def test_accuracy_refuses_a_target_the_model_cannot_output(target: object, message: str) -> None:
    model = MLP(2, [4, 3], seed=0)
    X = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    assert 0.0 <= accuracy(model, X, [0, 2, 1.0]) <= 1.0  # indices, also as whole floats (NumPy labels)
    with pytest.raises(ValueError, match=message):
        accuracy(model, X, [0, 2, target])


def test_accuracy_with_one_output_wants_labels() -> None:
    model = MLP(2, [4, 1], seed=0)
    X, y = xor()
    assert accuracy(model, X, [-1, 1, 1, -1]) == accuracy(model, X, y)  # 0/1 and -1/+1 labels agree
    with pytest.raises(ValueError, match=r"y\[3\] is 0.7, but the model has one output: labels are 0/1 or -1/\+1"):
        accuracy(model, X, [0, 1, 1, 0.7])


def test_batches_cover_every_example_once() -> None:
    X, y = list(range(10)), [10 * i for i in range(10)]
    got = list(batches(X, y, 4, rng=random.Random(0)))
    assert [len(xb) for xb, _ in got] == [4, 4, 2]
    assert sorted(x for xb, _ in got for x in xb) == X
    assert all(t == 10 * x for xb, yb in got for x, t in zip(xb, yb))
    assert [x for xb, _ in batches(X, y, 4, shuffle=False) for x in xb] == X
    with pytest.raises(ValueError, match="batch_size"):
        list(batches(X, y, 0))


def test_numpy_arrays_work_as_data() -> None:
    np = pytest.importorskip("numpy")
    X, y = make_moons(30, noise=0.1, seed=0)
    model, twin = MLP(2, [8, 1], seed=0), MLP(2, [8, 1], seed=0)
    fit(model, np.array(X), np.array(y), hinge_loss, SGD(model.parameters(), lr=0.1), 5, progress=False)
    fit(twin, X, y, hinge_loss, SGD(twin.parameters(), lr=0.1), 5, progress=False)
    assert model.state_dict() == pytest.approx(twin.state_dict(), rel=1e-12)
    assert accuracy(model, np.array(X), np.array(y)) == accuracy(twin, X, y)


def test_a_nan_weight_during_training_stops_fit_although_the_loss_stays_finite() -> None:
    X, y = make_moons(20, noise=0.1, seed=0)
    model = MLP(2, [4, 1], seed=0)
    weight = model.layers[0].neurons[2].w[1]

    def poison(epoch: int, history: object) -> None:
        if epoch == 2:
            weight.data = math.nan  # relu(nan) = 0 and hinge(nan) = 0: the loss alone would not notice

    with pytest.raises(
        TrainingDivergedError, match=r"parameter layers\.0\.neurons\.2\.w\.1 is nan after an update at epoch 3"
    ):
        fit(model, X, y, hinge_loss, SGD(model.parameters(), lr=0.1), 10, progress=False, callback=poison)
    with pytest.raises(ValueError, match=r"fit: parameter layers\.0\.neurons\.2\.w\.1 is nan before training"):
        fit(model, X, y, hinge_loss, SGD(model.parameters(), lr=0.1), 1, progress=False)


def test_an_update_that_overflows_the_weights_stops_fit_even_on_the_last_step() -> None:
    model = MLP(1, [1], seed=0)
    model.layers[0].neurons[0].w[0].data = 0.0  # score 0 < 1: hinge's ∂C/∂w = −y·x = −10
    with pytest.raises(
        TrainingDivergedError, match=r"parameter layers\.0\.neurons\.0\.w\.0 is inf after an update at epoch 1"
    ):
        fit(model, [[10.0]], [1], hinge_loss, SGD(model.parameters(), lr=1e308), 1, progress=False)


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        ([[0.0, 1.0], [1.0, math.nan]], [0, 1], r"fit\(X\): X\[1\]\[1\] \(example 1, feature 1\) is nan"),
        ([[0.0, 1.0], [math.inf, 0.0]], [0, 1], r"X\[1\]\[0\] \(example 1, feature 0\) is inf"),
        ([[0.0, 1.0], [1.0, 0.0]], [0, math.nan], r"fit\(y\): y\[1\] is nan"),
        ([[0.0, 1.0], [1.0, 0.0]], [[0.0], [-math.inf]], r"fit\(y\): y\[1\]\[0\] \(example 1, output 0\) is -inf"),
    ],
)
def test_non_finite_data_is_named_by_example_and_feature_before_training(X: list, y: list, message: str) -> None:
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=message + ": the data must be finite"):
        fit(model, X, y, mse_loss, SGD(model.parameters(), lr=0.1), 5, progress=False)
    assert model.state_dict() == before
    with pytest.raises(TypeError, match=r"fit\(X\): X\[0\]\[1\] \(example 0, feature 1\) must be a number, got str"):
        fit(model, [[0.0, "1"]], [0], mse_loss, SGD(model.parameters(), lr=0.1), 1, progress=False)


def test_an_optimizer_for_another_model_is_refused_and_a_partial_one_warned_about() -> None:
    X, y = xor()
    model, other = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
    with pytest.raises(ValueError, match=r"fit\(optimizer\) holds none of the model's 13 parameters.*another model"):
        fit(model, X, y, mse_loss, SGD(other.parameters(), lr=0.1), 1, progress=False)
    with pytest.warns(UserWarning, match=r"holds 4 of the model's 13 parameters; the other 9 stay fixed"):
        fit(model, X, y, mse_loss, SGD(model.layers[1].parameters(), lr=0.1), 1, progress=False)


def test_the_decision_threshold_comes_from_the_real_last_activation() -> None:
    X, y = xor()
    mlp = MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=0)
    fit(mlp, X, y, binary_cross_entropy, SGD(mlp.parameters(), lr=0.5, momentum=0.9), 300, progress=False)
    assert accuracy(mlp, X, y) == 1.0
    seq = Sequential(*mlp.layers)
    assert accuracy(seq, X, y) == 1.0  # was 0.5: no output_activation attribute, so threshold 0
    assert accuracy(Sequential(*mlp.layers, Dropout(0.5)), X, y) == 1.0
    assert [m.last_activation() for m in (mlp, seq, mlp.layers[1], mlp.layers[1].neurons[0])] == ["sigmoid"] * 4
    assert MLP(2, [1]).last_activation() == "linear" and Module().last_activation() is None
    fit(seq, X, y, binary_cross_entropy, SGD(seq.parameters(), lr=0.5), 3, progress=False)  # raised before
    assert accuracy(seq, X, y) == 1.0
    neuron = Neuron(2, "sigmoid", rng=random.Random(0))
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = 4.0, 4.0, -2.0  # OR: σ(z) > 0.5 iff z > 0
    assert accuracy(neuron, X, [0, 1, 1, 1]) == 1.0
    layer = Layer(2, 1, "sigmoid", rng=random.Random(0))
    layer.load_state_dict({"neurons.0.w.0": 4.0, "neurons.0.w.1": 4.0, "neurons.0.b": -6.0})  # AND
    assert accuracy(layer, X, [0, 0, 0, 1]) == 1.0


def test_a_number_where_a_list_of_inputs_belongs_says_so() -> None:
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(TypeError, match=r"expected a list of 2 inputs \(one example\), got float: 1.0"):
        model(1.0)  # type: ignore[arg-type]
    with pytest.raises(
        TypeError, match=r"MLP.batch\(X\) takes a list of examples; X\[0\]: expected a list of 2 inputs"
    ):
        model.batch([1.0, 2.0])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"MLP.batch\(X\) must be a list of examples .*got float: 1.0"):
        model.batch(1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"expected a list of 2 inputs \(one example\), got float: 1.0"):
        Sequential(*model.layers).batch([1.0, 2.0])
    with pytest.raises(TypeError, match=r"Layer.batch\(X\) must be a list of examples, got float"):
        model.layers[0].batch(1.0)  # type: ignore[arg-type]
