"""numerical_grad, gradcheck (pass, the failure report, kinks) and grad/value_and_grad."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest

from autograd_core import (
    GradcheckError,
    NonDifferentiablePointError,
    Value,
    dot,
    grad,
    gradcheck,
    numerical_grad,
    value_and_grad,
)


# ---------------------------------------------------------------- numerical_grad
def test_numerical_grad_of_the_notes_example() -> None:
    """f = x² + 2: the notes' slopes at x = 2 and x = 5 (h = 0.0001) are 4 and 10."""

    def f(x: Value) -> Value:
        return x**2 + 2

    assert numerical_grad(f, [2.0], eps=1e-4) == pytest.approx([4.0], rel=1e-10)
    assert numerical_grad(f, 5.0, eps=1e-4) == pytest.approx([10.0], rel=1e-10)  # a lone number is one input


def test_numerical_grad_returns_one_float_per_input() -> None:
    out = numerical_grad(lambda x, y, z: x * y.exp() + z, [2, 0.5, np.float64(-1)])
    assert all(type(d) is float for d in out)
    assert out == pytest.approx([math.exp(0.5), 2 * math.exp(0.5), 1.0], rel=1e-8)


def test_numerical_grad_divides_by_the_step_actually_represented() -> None:
    x = 1000.1  # here x ± 1e-6 round, so the step is not exactly 2e-6
    assert (x + 1e-6) - (x - 1e-6) != 2e-6
    assert numerical_grad(lambda v: v, [x]) == [1.0]


# ------------------------------------------------------------------ gradcheck
@pytest.mark.parametrize(
    ("f", "inputs"),
    [
        (lambda x: x**2 + 2, [2.0]),
        (lambda x, y: (x * y).tanh() / (y * y + 1), [0.3, -1.2]),
        (lambda w1, w2, b: dot([w1, w2], [5.0, 3.0], b).sigmoid().log(), [0.5, 0.5, 1.0]),
        (lambda a, b: a**b + 2**a - abs(b).sqrt(), [1.5, -0.7]),
        (lambda x: x.softplus() * x.leaky_relu(0.1) + x.relu(), [-0.4]),
        (lambda x: (x * 1000).exp(), [0.0]),  # steep but smooth: no kink
    ],
)
def test_gradcheck_passes_on_correct_ops(f: Callable[..., Value], inputs: list[float]) -> None:
    assert gradcheck(f, inputs) is True


def wrong_cube(x: Value) -> Value:
    """x³ with a deliberately wrong local derivative 2x² (it is 3x²)."""
    return Value(x.data**3, parents=(x,), local_grads=(2 * x.data**2,), op="cube")


def number_after(label: str, message: str) -> float:
    match = re.search(re.escape(label) + r"\s*([-+0-9.e]+|inf|nan)", message)
    assert match, f"{label!r} not in {message!r}"
    return float(match.group(1))


def test_gradcheck_report_on_a_wrong_local_derivative() -> None:
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda y, x: y * 2 + wrong_cube(x), [4.0, 1.5])
    message = str(info.value)
    assert "input 1: x1 = 1.5" in message and "input 0" not in message
    assert "f(x) = 11.375" in message  # 4·2 + 1.5³
    assert "(1 other input passed)" in message
    analytical, numerical = number_after("analytical ∂f/∂x1 =", message), number_after("numerical  ∂f/∂x1 =", message)
    assert analytical == 4.5  # 2·1.5²
    assert numerical == pytest.approx(6.75, rel=1e-8)  # 3·1.5²
    assert number_after("|diff| =", message) == pytest.approx(2.25, rel=1e-5)
    assert number_after("> tolerance", message) == pytest.approx(1e-5 + 1e-5 * 6.75, rel=1e-5)
    assert "atol 1e-05 + rtol 1e-05 · max(|a|, |n|)" in message
    assert number_after("relative error =", message) == pytest.approx(2.25 / 6.75, rel=1e-5)


def slightly_off(x: Value) -> Value:
    """x² with its derivative 2x off by a relative 1e-4."""
    return Value(x.data**2, parents=(x,), local_grads=(2 * x.data * (1 + 1e-4),), op="sq")


def test_gradcheck_tolerances_decide() -> None:
    with pytest.raises(GradcheckError, match="gradcheck failed for 1 of 1 inputs"):
        gradcheck(slightly_off, [1.0])
    assert gradcheck(slightly_off, [1.0], rtol=1e-3)
    assert gradcheck(slightly_off, [1.0], atol=1e-3)


def test_gradcheck_errors_are_assertion_errors() -> None:
    assert issubclass(NonDifferentiablePointError, GradcheckError)
    assert issubclass(GradcheckError, AssertionError)


@pytest.mark.parametrize(
    ("f", "x"),
    [
        (Value.relu, 0.0),
        (abs, 0.0),
        (Value.leaky_relu, 0.0),
        (lambda x: (x - 1).relu() * 3, 1.0),
        (lambda x: abs(x * x - 4), 2.0),
    ],
)
def test_gradcheck_at_a_kink(f: Callable[[Value], Value], x: float) -> None:
    with pytest.raises(NonDifferentiablePointError, match="kink — move the point") as info:
        gradcheck(f, [x])
    assert f"x0 = {x!r}" in str(info.value)


def test_gradcheck_without_kink_detection_reports_a_plain_mismatch_at_relu_0() -> None:
    with pytest.raises(GradcheckError) as info:
        gradcheck(Value.relu, [0.0], detect_kinks=False)
    assert not isinstance(info.value, NonDifferentiablePointError)
    assert number_after("numerical  ∂f/∂x0 =", str(info.value)) == pytest.approx(0.5)


def test_gradcheck_near_but_not_at_a_kink_passes() -> None:
    assert gradcheck(Value.relu, [1e-3])
    assert gradcheck(abs, [-1e-3])


# -------------------------------------------------------- grad, value_and_grad
def test_grad_of_the_issue_example() -> None:
    assert grad(lambda x: x**2 + 2)(2.0) == 4.0


def test_grad_returns_a_float_for_one_argument_and_a_tuple_for_several() -> None:
    d = grad(lambda x: x.exp())(0)
    assert type(d) is float and d == 1.0
    assert grad(lambda x, y: x * y + y)(2.0, 3.0) == (3.0, 3.0)


def test_value_and_grad() -> None:
    value, d = value_and_grad(lambda x: x**3)(2.0)
    assert (value, d) == (8.0, 12.0)
    value, ds = value_and_grad(lambda w, b: (w * 5 + b).sigmoid())(0.5, 1.0)
    s = 1 / (1 + math.exp(-3.5))
    assert value == pytest.approx(s)
    assert ds == pytest.approx((5 * s * (1 - s), s * (1 - s)))


def test_grad_uses_fresh_leaves_each_call() -> None:
    g = grad(lambda x: x * x)
    assert (g(3.0), g(3.0)) == (6.0, 6.0)  # nothing accumulates between calls


def test_grad_keeps_the_function_name() -> None:
    def loss(w: Value) -> Value:
        return (w - 1) ** 2

    assert grad(loss).__name__ == "loss"
    assert value_and_grad(loss).__name__ == "loss"


def test_grad_rejects_a_non_number_argument() -> None:
    with pytest.raises(TypeError, match=r"argument 0.*str"):
        grad(lambda x: x)("1")
