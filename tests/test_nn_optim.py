"""SGD against torch.optim.SGD's rule (written out by hand), parameter groups, gradient clipping."""

from __future__ import annotations

import math

import pytest

from autograd_core import Value
from nn import MLP, SGD, clip_grad_norm, clip_grad_value


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


@pytest.mark.parametrize(("mu", "wd"), [(0.0, 0.5), (0.9, 0.5), (0.0, 0.0), (0.9, 0.0)])
def test_every_combination_of_momentum_and_weight_decay_follows_torch(mu: float, wd: float) -> None:
    """Weight decay applies with momentum 0 too (a branch that skips it there once survived the suite)."""
    p, q = Value(2.0), Value(-1.0)
    opt = SGD([{"params": [p]}, {"params": [q], "lr": 0.05}], lr=0.1, momentum=mu, weight_decay=wd)
    expected, bufs = {"p": 2.0, "q": -1.0}, {"p": None, "q": None}
    for g in [1.0, -0.5, 0.25]:
        for name, v, lr in (("p", p, 0.1), ("q", q, 0.05)):
            d = g + wd * expected[name]
            bufs[name] = d if mu == 0.0 or bufs[name] is None else mu * bufs[name] + d  # type: ignore[operator]
            expected[name] -= lr * bufs[name]  # type: ignore[operator]
            v.grad = g
        opt.step()
        assert (p.data, q.data) == pytest.approx((expected["p"], expected["q"]), rel=1e-15)
    if (mu, wd) == (0.0, 0.5):
        assert p.data == pytest.approx(1.647)  # 2 − 0.1·(1 + 0.5·2) = 1.8; − 0.1·(−0.5 + 0.9) = 1.76; − 0.1·1.13


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
    with pytest.raises(ValueError, match=r"SGD\(lr\) must be ≥ 0, got -1"):
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


def test_sgd_accepts_numpy_scalars_and_refuses_infinite_rates_and_repeated_parameters() -> None:
    np = pytest.importorskip("numpy")
    p = Value(1.0)
    opt = SGD([p], lr=np.float32(0.5), momentum=np.float64(0.0), weight_decay=np.int64(0))
    p.grad = 1.0
    opt.step()
    assert p.data == 0.5 and type(opt.param_groups[0]["lr"]) is float
    with pytest.raises(ValueError, match=r"SGD\(lr\) must be a finite number, got inf"):
        SGD([p], lr=math.inf)
    with pytest.raises(TypeError, match=r"SGD\(lr\) must be a real number, got str: '0.1'"):
        SGD([p], lr="0.1")  # type: ignore[arg-type]
    w = Value(0.0, "w")
    with pytest.raises(ValueError, match=r"SGD\(params\): parameter 'w' is listed twice"):
        SGD([w, Value(1.0), w], lr=0.1)
    with pytest.raises(ValueError, match="listed twice"):
        SGD([{"params": [w]}, {"params": [w], "lr": 0.01}], lr=0.1)


def test_sgd_given_the_model_suggests_its_parameters() -> None:
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(TypeError, match=r"SGD\(params\) got the model MLP; pass model.parameters\(\)"):
        SGD(model, lr=0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"SGD\(params\) must be a list of Values, got float: 1.0"):
        SGD(1.0, lr=0.1)  # type: ignore[arg-type]


def test_clip_grad_norm_does_not_overflow_on_huge_or_underflow_on_tiny_gradients() -> None:
    ps = [Value(0.0), Value(0.0)]
    ps[0].grad = ps[1].grad = 1e200
    assert clip_grad_norm(ps, 1.0) == pytest.approx(math.sqrt(2) * 1e200, rel=1e-15)
    assert [p.grad for p in ps] == pytest.approx([math.sqrt(0.5)] * 2, rel=1e-12)
    ps[0].grad, ps[1].grad = 3e-200, 4e-200
    assert clip_grad_norm(ps, 1.0) == pytest.approx(5e-200, rel=1e-15)  # below max: unchanged
    assert (ps[0].grad, ps[1].grad) == (3e-200, 4e-200)


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_clip_grad_norm_refuses_a_non_finite_gradient_naming_the_parameter(bad: float) -> None:
    ps = [Value(0.0, "w.0"), Value(0.0, "b")]
    ps[0].grad, ps[1].grad = 1.0, bad
    with pytest.raises(ValueError, match=rf"clip_grad_norm: the gradient of b is {bad}.*lower the learning rate"):
        clip_grad_norm(ps, 1.0)
    assert ps[0].grad == 1.0  # nothing was scaled (no NaN from inf/inf)


def test_clipping_arguments_are_type_checked() -> None:
    ps = [Value(0.0)]
    with pytest.raises(TypeError, match=r"clip_grad_norm\(max_norm\) must be a real number, got str: '1'"):
        clip_grad_norm(ps, "1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"clip_grad_value\(params\) got the model MLP; pass model.parameters\(\)"):
        clip_grad_value(MLP(2, [1]), 1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"clip_grad_norm\(params\) must be a list of Values, got an item float"):
        clip_grad_norm([1.0], 1.0)  # type: ignore[list-item]
    assert clip_grad_norm(ps, math.inf) == 0.0  # an infinite max_norm measures without clipping
