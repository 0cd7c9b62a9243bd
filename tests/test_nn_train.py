"""Training: the issue's results (moons, XOR), History, divergence, callbacks, accuracy, batches."""

from __future__ import annotations

import math
import random

import pytest

from nn import (
    MLP,
    SGD,
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
    with pytest.raises(TrainingDivergedError, match=r"Lower the learning rate \(lr = 10.0\).*clip") as info:
        fit(model, X, y, mse_loss, SGD(model.parameters(), lr=10.0), 20, progress=False)
    assert isinstance(info.value, FloatingPointError)


def test_max_grad_norm_clips_every_step() -> None:
    X, y = make_moons(50, noise=0.1, seed=0)
    model = MLP(2, [8, 1], seed=0)
    before = model.state_dict()
    fit(model, X, y, hinge_loss, SGD(model.parameters(), lr=1.0), 1, progress=False, max_grad_norm=1e-3)
    step = math.sqrt(sum((model.state_dict()[k] - v) ** 2 for k, v in before.items()))
    assert step == pytest.approx(1e-3, rel=1e-3)  # lr·‖g‖ with ‖g‖ clipped to 1e-3


def test_fit_shows_a_tqdm_bar_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = xor()
    model = MLP(2, [3, 1], seed=0)
    fit(model, X, y, mse_loss, SGD(model.parameters(), lr=0.1), 3, progress=True)
    assert "fit" in capsys.readouterr().err
    fit(model, X, y, mse_loss, SGD(model.parameters(), lr=0.1), 3, progress=False)
    assert capsys.readouterr().err == ""


def test_accuracy_restores_the_mode_and_checks_lengths() -> None:
    model = MLP(2, [4, 1], seed=0, dropout=0.5)
    X, y = xor()
    accuracy(model, X, y)
    assert model.training
    with pytest.raises(ValueError, match="accuracy: got 4 inputs but 3 targets"):
        accuracy(model, X, y[:3])
    with pytest.raises(ValueError, match="fit: got 4 inputs but 2 targets"):
        fit(model, X, y[:2], mse_loss, SGD(model.parameters(), lr=0.1), 1, progress=False)


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
