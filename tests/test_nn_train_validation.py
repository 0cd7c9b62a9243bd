"""fit(validation=..., early_stopping=..., lr_schedule=...): held-out curves, the best weights restored, η per epoch."""

from __future__ import annotations

import pytest

from nn import MLP, SGD, Adam, cross_entropy, fit, hinge_loss, make_moons


def split(n: int = 120, seed: int = 0) -> tuple[list, list, list, list]:
    X, y = make_moons(n, noise=0.25, seed=seed)
    return X[: n // 2], y[: n // 2], X[n // 2 :], y[n // 2 :]


def validation_loss(model: MLP, X: list, y: list) -> float:
    model.eval()
    loss = hinge_loss([model(x) for x in X], y).data
    model.train()
    return loss


def test_validation_curves_are_measured_after_each_epoch_in_eval_mode() -> None:
    X, y, Xv, yv = split()
    model = MLP(2, [8, 1], seed=0, dropout=0.2)
    history = fit(model, X, y, hinge_loss, SGD(model.parameters(), lr=0.1), 5, progress=False, validation=(Xv, yv))
    assert len(history.val_losses) == len(history.val_accuracies) == 5
    assert history.val_losses[-1] == pytest.approx(validation_loss(model, Xv, yv), rel=1e-12)  # eval: no dropout
    assert model.training  # the mode is put back
    assert history.best_epoch == 1 + history.val_losses.index(min(history.val_losses))


def test_early_stopping_stops_and_restores_the_best_weights() -> None:
    X, y, Xv, yv = split(60, seed=3)
    model = MLP(2, [32, 32, 1], seed=1)  # big enough to overfit 30 noisy points
    opt = SGD(model.parameters(), lr=0.3, momentum=0.9)
    history = fit(model, X, y, hinge_loss, opt, 200, progress=False, validation=(Xv, yv), early_stopping=5)
    ran = len(history.losses)
    assert ran < 200, "the validation loss never stopped improving: a poor test"
    assert ran == history.best_epoch + 5  # five epochs without improvement, then stop
    assert min(history.val_losses) == history.val_losses[history.best_epoch - 1]
    assert validation_loss(model, Xv, yv) == pytest.approx(min(history.val_losses), rel=1e-12)
    assert validation_loss(model, Xv, yv) < history.val_losses[-1]  # the last epoch's weights were worse


def test_the_schedule_sets_the_learning_rate_of_every_epoch_and_group() -> None:
    X, y, *_ = split()
    model = MLP(2, [4, 1], seed=0)
    weights = [p for n, p in model.named_parameters() if ".w." in n]
    biases = [p for n, p in model.named_parameters() if n.endswith(".b")]
    opt = SGD([{"params": weights}, {"params": biases, "lr": 0.5}], lr=0.1)
    seen = []
    fit(
        model,
        X,
        y,
        hinge_loss,
        opt,
        4,
        progress=False,
        lr_schedule=lambda epoch: 0.1 / epoch,
        callback=lambda epoch, h: seen.append([g["lr"] for g in opt.param_groups]),
    )
    assert seen == [[0.1 / e, 0.1 / e] for e in range(1, 5)]


def test_the_schedule_changes_the_steps_as_by_hand() -> None:
    X, y, *_ = split()
    a, b = MLP(2, [4, 1], seed=0), MLP(2, [4, 1], seed=0)
    fit(a, X, y, hinge_loss, SGD(a.parameters(), lr=1.0), 3, progress=False, lr_schedule=lambda e: 0.2 * 0.5**e)
    opt = SGD(b.parameters(), lr=1.0)
    for e in range(1, 4):
        opt.param_groups[0]["lr"] = 0.2 * 0.5**e
        fit(b, X, y, hinge_loss, opt, 1, progress=False)
    assert a.state_dict() == b.state_dict()


def test_adam_trains_through_fit() -> None:
    X, y, Xv, yv = split()
    model = MLP(2, [16, 2], seed=0)
    history = fit(
        model,
        X,
        y,
        cross_entropy,
        Adam(model.parameters(), lr=0.02),
        40,
        batch_size=16,
        progress=False,
        validation=(Xv, yv),
    )
    assert history.losses[-1] < 0.5 * history.losses[0]
    assert history.val_accuracies[-1] > 0.8


ONE = {"validation": ([[0.0, 1.0]], [1])}


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"early_stopping": 3}, ValueError, r"fit\(early_stopping\) needs validation data"),
        (
            {"validation": ([[0.0, 1.0]], [1]), "early_stopping": 0},
            ValueError,
            r"early_stopping\) must be a positive int, got 0",
        ),
        (
            {"validation": ([[0.0, 1.0]], [1]), "early_stopping": -2},
            ValueError,
            r"fit\(early_stopping\) must be a positive int",
        ),
        (
            {"validation": ([[0.0, 1.0]], [1]), "early_stopping": 2.5},
            TypeError,
            r"fit\(early_stopping\) must be an int",
        ),
        ({"validation": [[0.0, 1.0]]}, TypeError, r"fit\(validation\) must be a pair \(X_val, y_val\)"),
        ({"validation": ([[0.0, 1.0], [1.0, 0.0]], [1])}, ValueError, r"fit\(validation\): got 2 inputs but 1 targets"),
        (
            {"validation": ([[0.0, 1.0, 2.0]], [1])},
            ValueError,
            r"has shape \(3,\), a training example \(2,\)",
        ),
        ({"validation": ([[0.0, float("nan")]], [1])}, ValueError, r"fit\(validation\)\(X\): X\[0\]\[1\]"),
        ({"lr_schedule": 0.1}, TypeError, r"fit\(lr_schedule\)"),
        ({"lr_schedule": lambda e: -0.1}, ValueError, r"fit\(lr_schedule\): lr_schedule\(1\) must be ≥ 0, got -0.1"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, message) -> None:
    X, y, *_ = split(20)
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(error, match=message):
        fit(model, X, y, hinge_loss, SGD(model.parameters(), lr=0.1), 2, progress=False, **kwargs)
