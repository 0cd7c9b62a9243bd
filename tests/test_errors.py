"""Every documented error: its exception type, and a message that names the op and
the offending value. And the ops that must never overflow."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from autograd_core import Value, dot, grad, numerical_grad


@pytest.mark.parametrize(
    ("bad", "error", "words"),
    [
        (lambda: Value(0.0).log(), ValueError, ["'log'", "0.0"]),
        (lambda: Value(-2.5).log(), ValueError, ["'log'", "-2.5"]),
        (lambda: Value(-1.0).sqrt(), ValueError, ["'sqrt'", "-1.0"]),
        (lambda: Value(-1e-300).sqrt(), ValueError, ["'sqrt'", "-1e-300"]),
        (lambda: Value(-2.0) ** Value(0.5), ValueError, ["'**'", "-2.0", "0.5"]),
        (lambda: Value(-2.0) ** Value(2.0), ValueError, ["'**'", "-2.0"]),  # even an integer Value exponent
        (lambda: Value(0.0) ** Value(2.0), ValueError, ["'**'", "0.0"]),  # ln 0 in ∂/∂b
        (lambda: (-8) ** Value(1 / 3), ValueError, ["'**'", "-8"]),
        (lambda: Value(-8.0) ** (1 / 3), ValueError, ["'**'", "-8.0", "0.333"]),
        (lambda: Value(-8.0) ** 0.5, ValueError, ["'**'", "-8.0", "0.5"]),
        (lambda: Value(1.5) / 0, ZeroDivisionError, ["'/'", "1.5", "0"]),
        (lambda: Value(1.5) / Value(0.0), ZeroDivisionError, ["'/'", "1.5", "0.0"]),
        (lambda: 2 / Value(0.0), ZeroDivisionError, ["'/'", "2", "0.0"]),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, ["'**'", "0", "-1"]),
        (lambda: Value(0.0) ** -0.5, ZeroDivisionError, ["'**'", "0", "-0.5"]),
        (lambda: Value(1000.0).exp(), OverflowError, ["'exp'", "1000.0"]),
        (lambda: Value(710.0).exp(), OverflowError, ["'exp'", "710.0"]),
        (lambda: Value(10.0) ** 400, OverflowError, ["'**'", "10.0", "400"]),
        (lambda: 10 ** Value(400.0), OverflowError, ["'**'", "10", "400.0"]),
        (lambda: Value("3"), TypeError, ["str", "'3'"]),
        (lambda: Value(None), TypeError, ["NoneType"]),
        (lambda: Value(2 + 1j), TypeError, ["complex", "(2+1j)"]),
        (lambda: Value(True), TypeError, ["bool", "True"]),
        (lambda: Value(1.0, parents=(Value(1.0),), local_grads=(), op="cube"), ValueError, ["'cube'", "1 parents"]),
        (lambda: dot([Value(1.0)], [1.0, 2.0]), ValueError, ["dot", "1 weights", "2 inputs"]),
        (lambda: Value(1.0).backward("1"), TypeError, ["backward", "str"]),
        (lambda: numerical_grad(lambda x: x, [1.0], eps=0.0), ValueError, ["eps", "0.0"]),
        (lambda: grad(lambda x: 2.0)(1.0), TypeError, ["must return a Value", "float"]),  # type: ignore[arg-type, return-value]
        (lambda: grad(lambda x: x)(), TypeError, ["at least one argument"]),
    ],
)
def test_error_type_and_message(bad: Callable[[], object], error: type[Exception], words: list[str]) -> None:
    with pytest.raises(error) as info:
        bad()
    message = str(info.value)
    assert all(w in message for w in words), f"{message!r} should mention {words}"


def test_exp_just_below_the_overflow_limit_works() -> None:
    assert math.isfinite(Value(709.78).exp().data)


@pytest.mark.parametrize(
    ("method", "x", "value", "derivative"),
    [
        (Value.sigmoid, 1000.0, 1.0, 0.0),
        (Value.sigmoid, -1000.0, 0.0, 0.0),
        (Value.tanh, 1000.0, 1.0, 0.0),
        (Value.tanh, -1000.0, -1.0, 0.0),
        (Value.softplus, 1000.0, 1000.0, 1.0),
        (Value.softplus, -1000.0, 0.0, 0.0),
    ],
)
def test_sigmoid_tanh_softplus_never_overflow(
    method: Callable[[Value], Value], x: float, value: float, derivative: float
) -> None:
    leaf = Value(x)
    out = method(leaf)
    out.backward()
    assert out.data == pytest.approx(value, abs=1e-300)
    assert out.local_grads == pytest.approx((derivative,), abs=1e-300)
    assert leaf.grad == out.local_grads[0]
    assert numerical_grad(method, [x]) == pytest.approx([derivative], abs=1e-6)
