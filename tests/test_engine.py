"""Each op of ``Value``: its value and local derivatives against the hand formula and
against central differences (also near the edges of its domain); constants and the
``.op`` text; custom ops; type errors; read-only attributes; NumPy scalars."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from autograd_core import Value, dot, numerical_grad, vsum


@dataclass(frozen=True)
class OpCase:
    """An op applied to fresh leaves, with its value and ∂out/∂leafᵢ written by hand."""

    fn: Callable[..., Value]
    value: Callable[..., float]
    local_grads: Callable[..., tuple[float, ...]]
    points: tuple[tuple[float, ...], ...]


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


CASES = {
    # unary ops; the points go near each domain's edge
    "exp": OpCase(Value.exp, math.exp, lambda x: (math.exp(x),), ((-30.0,), (0.0,), (1.5,), (709.0,))),
    "log": OpCase(Value.log, math.log, lambda x: (1 / x,), ((1e-8,), (0.5,), (1.0,), (1e4,))),
    "sqrt": OpCase(Value.sqrt, math.sqrt, lambda x: (0.5 / math.sqrt(x),), ((1e-10,), (0.25,), (2.0,), (1e4,))),
    "tanh": OpCase(Value.tanh, math.tanh, lambda x: (1 / math.cosh(x) ** 2,), ((-20.0,), (-0.5,), (0.0,), (3.0,))),
    "sigmoid": OpCase(
        Value.sigmoid, sigmoid, lambda x: (sigmoid(x) * sigmoid(-x),), ((-30.0,), (-1.0,), (0.0,), (2.5,), (30.0,))
    ),
    "softplus": OpCase(
        Value.softplus, lambda x: math.log1p(math.exp(x)), lambda x: (sigmoid(x),), ((-30.0,), (0.0,), (2.0,), (30.0,))
    ),
    "relu": OpCase(Value.relu, lambda x: max(x, 0.0), lambda x: (float(x > 0),), ((-2.0,), (1e-6,), (0.5,))),
    "leaky_relu": OpCase(
        Value.leaky_relu, lambda x: x if x > 0 else 0.01 * x, lambda x: (1.0 if x > 0 else 0.01,), ((-2.0,), (3.0,))
    ),
    "leaky_relu(0.2)": OpCase(
        lambda v: v.leaky_relu(0.2), lambda x: x if x > 0 else 0.2 * x, lambda x: (1.0 if x > 0 else 0.2,), ((-2.0,),)
    ),
    "abs": OpCase(abs, abs, lambda x: (math.copysign(1.0, x),), ((-2.0,), (1e-6,), (3.0,))),
    "neg": OpCase(lambda v: -v, lambda x: -x, lambda x: (-1.0,), ((-2.0,), (3.0,))),
    # one Value and a constant, on either side
    "x+c": OpCase(lambda v: v + 2.5, lambda x: x + 2.5, lambda x: (1.0,), ((-1.0,),)),
    "c+x": OpCase(lambda v: 2.5 + v, lambda x: 2.5 + x, lambda x: (1.0,), ((-1.0,),)),
    "x-c": OpCase(lambda v: v - 2.5, lambda x: x - 2.5, lambda x: (1.0,), ((-1.0,),)),
    "c-x": OpCase(lambda v: 2.5 - v, lambda x: 2.5 - x, lambda x: (-1.0,), ((-1.0,),)),
    "x*c": OpCase(lambda v: v * -3, lambda x: x * -3, lambda x: (-3.0,), ((1.5,),)),
    "c*x": OpCase(lambda v: -3 * v, lambda x: -3 * x, lambda x: (-3.0,), ((1.5,),)),
    "x/c": OpCase(lambda v: v / 4, lambda x: x / 4, lambda x: (0.25,), ((1.5,),)),
    "c/x": OpCase(lambda v: 2 / v, lambda x: 2 / x, lambda x: (-2 / x**2,), ((1e-4,), (-3.0,))),
    "x**2": OpCase(lambda v: v**2, lambda x: x**2, lambda x: (2 * x,), ((-1.5,), (0.0,), (3.0,))),
    "x**3": OpCase(lambda v: v**3, lambda x: x**3, lambda x: (3 * x**2,), ((-1.5,), (2.0,))),
    "x**0.5": OpCase(lambda v: v**0.5, math.sqrt, lambda x: (0.5 / math.sqrt(x),), ((1e-8,), (4.0,))),
    "x**-1": OpCase(lambda v: v**-1, lambda x: 1 / x, lambda x: (-1 / x**2,), ((-1e-3,), (2.0,))),
    "x**0": OpCase(lambda v: v**0, lambda x: 1.0, lambda x: (0.0,), ((-2.0,), (3.0,))),
    "2**x": OpCase(lambda v: 2**v, lambda x: 2**x, lambda x: (2**x * math.log(2),), ((-3.0,), (0.5,))),
    "0.5**x": OpCase(lambda v: 0.5**v, lambda x: 0.5**x, lambda x: (0.5**x * math.log(0.5),), ((2.0,),)),
    # two Values
    "a+b": OpCase(lambda a, b: a + b, lambda x, y: x + y, lambda x, y: (1.0, 1.0), ((1.5, -2.0),)),
    "a-b": OpCase(lambda a, b: a - b, lambda x, y: x - y, lambda x, y: (1.0, -1.0), ((1.5, -2.0),)),
    "a*b": OpCase(lambda a, b: a * b, lambda x, y: x * y, lambda x, y: (y, x), ((1.5, -2.0),)),
    "a/b": OpCase(lambda a, b: a / b, lambda x, y: x / y, lambda x, y: (1 / y, -x / y**2), ((1.5, -2.0), (3.0, 1e-4))),
    "a**b": OpCase(
        lambda a, b: a**b,
        lambda x, y: x**y,
        lambda x, y: (y * x ** (y - 1), x**y * math.log(x)),
        ((1.5, -2.0), (1e-3, 2.5), (4.0, 0.5)),
    ),
    # n-ary: one node
    "vsum": OpCase(lambda *vs: vsum(vs), lambda *xs: sum(xs), lambda *xs: (1.0,) * len(xs), ((1.0, -2.0, 0.5),)),
    "dot": OpCase(
        lambda w1, w2, x1, x2, b: dot([w1, w2], [x1, x2], b),
        lambda w1, w2, x1, x2, b: w1 * x1 + w2 * x2 + b,
        lambda w1, w2, x1, x2, b: (x1, x2, w1, w2, 1.0),
        ((0.5, 0.5, 5.0, 3.0, 1.0), (-1.0, 2.0, 0.25, -4.0, 0.0)),
    ),
}
CASE_POINTS = [pytest.param(case, point, id=f"{name}{point}") for name, case in CASES.items() for point in case.points]


@pytest.mark.parametrize(("case", "point"), CASE_POINTS)
def test_value_and_local_grads_match_the_hand_formula(case: OpCase, point: tuple[float, ...]) -> None:
    leaves = [Value(x) for x in point]
    out = case.fn(*leaves)
    assert out.data == pytest.approx(case.value(*point), rel=1e-12, abs=1e-15)
    assert all(p is leaf for p, leaf in zip(out.parents, leaves, strict=True))
    assert out.local_grads == pytest.approx(case.local_grads(*point), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(("case", "point"), CASE_POINTS)
def test_local_grads_match_central_differences(case: OpCase, point: tuple[float, ...]) -> None:
    # smaller steps near a domain edge at 0; the step is eps·max(1, |x|), so divide large |x| out
    eps = 1e-4 * min([1.0, *(abs(x) for x in point if x)]) / max([1.0, *(abs(x) for x in point)])
    assert numerical_grad(case.fn, point, eps=eps) == pytest.approx(case.local_grads(*point), rel=1e-6, abs=1e-10)


@pytest.mark.parametrize(
    ("fn", "x", "derivative"),
    [
        (Value.relu, 0.0, 0.0),  # relu′(0) = 0, as PyTorch
        (Value.relu, -0.0, 0.0),
        (Value.leaky_relu, 0.0, 0.01),  # leaky_relu′(0) = slope
        (lambda v: v.leaky_relu(0.2), 0.0, 0.2),
        (abs, 0.0, 0.0),  # abs′(0) = 0
        (Value.sqrt, 0.0, math.inf),  # 1/(2√x) at x = 0
        (lambda v: v**0.5, 0.0, math.inf),
        (lambda v: v**2, 0.0, 0.0),
        (lambda v: v**0, 0.0, 0.0),
    ],
)
def test_derivative_conventions_at_kinks_and_edges(fn: Callable[[Value], Value], x: float, derivative: float) -> None:
    x_ = Value(x)
    out = fn(x_)
    out.backward()
    assert out.local_grads == (derivative,)
    assert x_.grad == derivative


def test_pos_returns_the_same_value() -> None:
    x = Value(2.0)
    assert +x is x


# ------------------------------------------------------------ constants and .op
X, Y = Value(3.0, "x"), Value(-2.0, "y")


@pytest.mark.parametrize(
    ("out", "op", "parents"),
    [
        (X + 2, "+2", (X,)),
        (2 + X, "+2", (X,)),
        (X + 2.5, "+2.5", (X,)),
        (X - 1, "-1", (X,)),
        (1 - X, "1-", (X,)),
        (X * 2, "*2", (X,)),
        (2 * X, "*2", (X,)),
        (X * -1.5, "*-1.5", (X,)),
        (X / 4, "/4", (X,)),
        (4 / X, "4/", (X,)),
        (X**2, "**2", (X,)),
        (X**0.5, "**0.5", (X,)),
        (2**X, "2**", (X,)),
        (X + Y, "+", (X, Y)),
        (X - Y, "-", (X, Y)),
        (X * Y, "*", (X, Y)),
        (X / Y, "/", (X, Y)),
        (X**Y, "**", (X, Y)),
        (X + X, "+", (X, X)),  # duplicates kept
        (-X, "neg", (X,)),
        (abs(X), "abs", (X,)),
        (X.exp(), "exp", (X,)),
        (X.log(), "log", (X,)),
        (X.sqrt(), "sqrt", (X,)),
        (X.tanh(), "tanh", (X,)),
        (X.sigmoid(), "σ", (X,)),
        (X.relu(), "ReLU", (X,)),
        (X.leaky_relu(), "LeakyReLU", (X,)),
        (X.softplus(), "softplus", (X,)),
        (vsum([X, Y, X]), "Σ", (X, Y, X)),
        (vsum([X, 1.0, Y]), "Σ", (X, Y)),
        (dot([X, Y], [Y, X], X), "dot", (X, Y, Y, X, X)),
        (dot([X, Y], [1.0, 2.0]), "dot", (X, Y)),  # the data are constants
        (X, "", ()),
    ],
)
def test_op_text_shows_constants_which_are_not_parents(out: Value, op: str, parents: tuple[Value, ...]) -> None:
    assert out.op == op
    assert len(out.parents) == len(parents)
    assert all(p is q for p, q in zip(out.parents, parents))
    assert out.is_leaf == (not parents)


def test_constants_get_no_gradient_and_scale_the_local_derivative() -> None:
    w, x = Value(0.5, "w"), Value(5.0, "x")
    z = dot([w], [5.0], 1.0)  # z = w·5 + 1; the 5 and the 1 are data, not leaves
    assert (z.data, z.parents, z.local_grads) == (3.5, (w,), (5.0,))
    (x * 2 + 1).backward()
    assert x.grad == 2.0


# -------------------------------------------------------------------- custom ops
def cube(x: Value) -> Value:
    """x³ as a custom op: ∂/∂x = 3x²."""
    return Value(x.data**3, parents=(x,), local_grads=(3 * x.data**2,), op="cube")


def product3(x: Value, y: Value, z: Value) -> Value:
    """xyz as one node: ∂/∂x = yz, ∂/∂y = xz, ∂/∂z = xy."""
    return Value(
        x.data * y.data * z.data,
        parents=(x, y, z),
        local_grads=(y.data * z.data, x.data * z.data, x.data * y.data),
        op="xyz",
    )


def test_custom_op_records_its_parents_and_backward_applies_the_chain_rule() -> None:
    x = Value(1.5, "x")
    c = cube(x)
    assert (c.data, c.op, c.parents, c.local_grads, c.is_leaf) == (3.375, "cube", (x,), (6.75,), False)
    (c * 2).backward()
    assert x.grad == 13.5


def test_custom_n_ary_op_with_a_repeated_parent() -> None:
    x, y = Value(2.0), Value(-3.0)
    out = product3(x, y, x)  # x²y
    assert out.parents == (x, y, x)
    out.tanh().backward()
    dtanh = 1 - math.tanh(-12.0) ** 2
    assert x.grad == pytest.approx(dtanh * 2 * 2.0 * -3.0)
    assert y.grad == pytest.approx(dtanh * 4.0)


def test_custom_binary_op_accepts_numpy_and_int_local_grads_as_floats() -> None:
    x, y = Value(2.0), Value(3.0)
    out = Value(5.0, parents=[x, y], local_grads=[np.float64(1.0), 1], op="add")
    assert out.local_grads == (1.0, 1.0)
    assert all(type(g) is float for g in out.local_grads)


def test_custom_op_without_parents_is_a_leaf() -> None:
    c = Value(1.0, "one", op="const")
    assert c.is_leaf and c.op == "const" and c.parents == () and c.local_grads == ()


# ---------------------------------------------------------------- type errors
@pytest.mark.parametrize(
    ("data", "type_name"),
    [("3", "str"), (None, "NoneType"), (1j, "complex"), (True, "bool"), (Value(1.0), "Value"), ([1.0], "list")],
)
def test_value_of_a_non_real_number_is_a_type_error(data: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=type_name):
        Value(data)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad",
    [
        lambda x: x + "a",
        lambda x: "a" * x,
        lambda x: x - None,
        lambda x: x * 1j,
        lambda x: x / [2],
        lambda x: x**None,
        lambda x: True + x,
        lambda x: x * False,
    ],
)
def test_operator_with_a_non_number_is_a_type_error(bad: Callable[[Value], Value]) -> None:
    with pytest.raises(TypeError):
        bad(Value(2.0))


def test_bad_label_parents_and_local_grads_are_type_errors() -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match=r"label.*int"):
        Value(1.0, 7)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"parents\[1\] of op 'f'.*float"):
        Value(1.0, parents=(x, 2.0), local_grads=(1.0, 1.0), op="f")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"local_grads\[0\] of op 'f'.*str"):
        Value(1.0, parents=(x,), local_grads=("1",), op="f")  # type: ignore[arg-type]


# --------------------------------------------------------------- attributes
@pytest.mark.parametrize("name", ["op", "parents", "local_grads", "is_leaf"])
def test_structure_is_read_only(name: str) -> None:
    x = Value(2.0) * 3
    with pytest.raises(AttributeError):
        setattr(x, name, getattr(x, name))


def test_data_grad_and_label_are_writable() -> None:
    x = Value(2.0)
    assert (x.grad, x.label) == (0.0, "")
    x.data, x.grad, x.label = 3.0, 0.5, "x"
    assert repr(x) == "Value(data=3.0, grad=0.5, label='x')"


# ---------------------------------------------------------------- NumPy
@pytest.mark.parametrize("scalar", [np.float64(2.5), np.float32(2.5), np.int64(2), np.int8(-3)])
def test_numpy_scalars_are_stored_as_float(scalar: np.generic) -> None:
    x = Value(scalar)
    assert type(x.data) is float and x.data == float(scalar)


@pytest.mark.parametrize("c", [np.float64(2.0), np.int64(2)])
def test_numpy_scalars_act_as_constants_on_either_side(c: np.generic) -> None:
    x = Value(3.0)
    for out, op, data, local in [
        (x * c, "*2", 6.0, 2.0),
        (c * x, "*2", 6.0, 2.0),
        (c - x, "2-", -1.0, -1.0),
        (c / x, "2/", 2 / 3, -2 / 9),
        (c**x, "2**", 8.0, 8 * math.log(2)),
        (x**c, "**2", 9.0, 6.0),
    ]:
        assert isinstance(out, Value), op
        assert (out.op, out.parents) == (op, (x,))
        assert out.data == pytest.approx(data) and out.local_grads == pytest.approx((local,))


@pytest.mark.parametrize("c", [np.float32(3.0), np.float64(3.0)])
def test_numpy_constant_in_an_op_gives_float_data(c: np.generic) -> None:
    out = Value(0.1) + c
    assert type(out.data) is float and out.data == 0.1 + 3.0
