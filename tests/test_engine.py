"""``Value``: derivative conventions at kinks and edges, constants and the ``.op`` text, custom
ops, type errors, read-only attributes, NumPy scalars. (Every op's rules: tests/test_op_registry.py.)"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from autograd_core import Value, dot, vsum

# Each op's value, float rule, Value rule, array rule and display are checked for every op
# registered in the engine by tests/test_op_registry.py; here: conventions, constants, structure.


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
        (X + 2, "+2", (X,)),  # an int constant shows as an int
        (X * -1.5, "*-1.5", (X,)),
        (X + X, "+", (X, X)),  # duplicates kept
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
