"""SGD against torch.optim.SGD's rule (written out by hand), parameter groups, gradient clipping."""

from __future__ import annotations

import math

import pytest

from autograd_core import Value
from nn import SGD, clip_grad_norm, clip_grad_value


def test_momentum_and_weight_decay_follow_torch_step_by_step() -> None:
    lr, mu, wd = 0.1, 0.9, 0.01
    p = Value(1.0)
    opt = SGD([p], lr=lr, momentum=mu, weight_decay=wd)
    grads = [0.5, -0.2, 0.3, 0.0]
    expected_p, buf = 1.0, None
    for g in grads:
        # torch.optim.SGD (dampening 0, no Nesterov): d = g + wd·p; buf = d, then μ·buf + d; p -= lr·buf
        d = g + wd * expected_p
        buf = d if buf is None else mu * buf + d
        expected_p -= lr * buf
        opt.zero_grad()
        p.grad = g
        opt.step()
        assert p.data == pytest.approx(expected_p, rel=1e-15)


def test_first_two_steps_by_hand() -> None:
    p = Value(1.0)
    opt = SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
    p.grad = 0.5
    opt.step()
    assert p.data == pytest.approx(0.949)  # 1 − 0.1·(0.5 + 0.01·1)
    p.grad = -0.2
    opt.step()
    assert p.data == pytest.approx(0.922151)  # buf = 0.9·0.51 + (−0.2 + 0.01·0.949) = 0.26849


def test_plain_sgd_and_zero_grad() -> None:
    a, b = Value(2.0), Value(-1.0)
    opt = SGD([a, b], lr=0.5)
    a.grad, b.grad = 1.0, -4.0
    opt.step()
    assert (a.data, b.data) == (1.5, 1.0)
    opt.zero_grad()
    assert (a.grad, b.grad) == (0.0, 0.0)


def test_parameter_groups_take_their_own_rates() -> None:
    w, b = Value(1.0), Value(1.0)
    opt = SGD([{"params": [w]}, {"params": [b], "lr": 0.01, "momentum": 0.5}], lr=0.1)
    for _ in range(2):
        w.grad = b.grad = 1.0
        opt.step()
    assert w.data == pytest.approx(1.0 - 0.1 - 0.1)
    assert b.data == pytest.approx(1.0 - 0.01 * 1.0 - 0.01 * 1.5)
    assert opt.param_groups[1]["weight_decay"] == 0.0


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match=r"SGD\(lr\) must be a number ≥ 0, got -1"):
        SGD([Value(0.0)], lr=-1)
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="SGD parameters must be Values, got float"):
        SGD([1.0], lr=0.1)  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"unknown keys \['nesterov'\]"):
        SGD([{"params": [Value(0.0)], "nesterov": True}], lr=0.1)


def test_clip_grad_norm_scales_to_max_norm_and_returns_the_old_norm() -> None:
    ps = [Value(0.0), Value(0.0)]
    ps[0].grad, ps[1].grad = 3.0, 4.0
    assert clip_grad_norm(ps, 1.0) == 5.0
    assert math.hypot(ps[0].grad, ps[1].grad) == pytest.approx(1.0, rel=1e-5)
    assert ps[0].grad / ps[1].grad == pytest.approx(0.75)
    assert clip_grad_norm(ps, 10.0) == pytest.approx(1.0, rel=1e-5)  # below max: unchanged
    assert ps[0].grad == pytest.approx(0.6, rel=1e-5)
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm(ps, 0.0)


def test_clip_grad_value_clamps_each_gradient() -> None:
    ps = [Value(0.0) for _ in range(3)]
    for p, g in zip(ps, [-5.0, 0.2, 7.0]):
        p.grad = g
    clip_grad_value(ps, 1.0)
    assert [p.grad for p in ps] == [-1.0, 0.2, 1.0]
