"""What students bring from PyTorch, and what testers throw at the engine: float(), format(),
comparisons, bool; validated .data/.grad; subclasses; huge ints; no_grad in asyncio tasks."""

from __future__ import annotations

import asyncio
import math

import pytest

from autograd_core import Value, gradcheck, is_grad_enabled, linear, no_grad


def test_a_value_formats_and_converts_like_a_0d_tensor() -> None:
    loss = Value(0.123456)
    assert f"{loss:.4f}" == "0.1235"
    assert float(loss) == 0.123456 and int(Value(2.7)) == 2
    assert round(Value(2.567), 2) == 2.57 and round(Value(2.5)) == 2
    assert f"{loss}" == repr(loss)


def test_comparisons_use_the_number_and_return_bools() -> None:
    z = Value(-1.5)
    best = Value(0.5)
    assert (z < best, z <= -1.5, z > -2, z >= 0) == (True, True, True, False)
    assert max(0, z) == 0 and max(0, Value(2.0)).data == 2.0  # max(0, z) works (it picks z or 0)
    assert sorted([Value(3.0), Value(1.0)], key=float)[0].data == 1.0
    with pytest.raises(TypeError, match=r"'<' compares a Value with a real number.*str"):
        _ = z < "1"


def test_equality_stays_identity_so_values_are_dict_keys() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a and len({a: 1, b: 2}) == 2


def test_truthiness_is_the_number_not_zero() -> None:
    assert not Value(0.0) and Value(-0.1) and Value(3.0)


@pytest.mark.parametrize("attr", ["data", "grad"])
@pytest.mark.parametrize("bad", ["1.0", None, 1j, [1.0], True])
def test_assigning_a_non_number_to_data_or_grad_fails_at_once(attr: str, bad: object) -> None:
    v = Value(1.0)
    with pytest.raises(TypeError, match=rf"Value\.{attr} must be a real number.*{type(bad).__name__}"):
        setattr(v, attr, bad)
    assert (v.data, v.grad) == (1.0, 0.0)


def test_assigning_numbers_to_data_and_grad_stores_floats() -> None:
    import numpy as np

    v = Value(1.0)
    v.data, v.grad = np.float32(2.5), 3
    assert (v.data, v.grad) == (2.5, 3.0) and type(v.data) is float and type(v.grad) is float


def test_value_of_a_huge_int_names_value_and_the_number() -> None:
    with pytest.raises(OverflowError, match=r"Value\(data\): 1000000.*401 characters.*too large for a float"):
        Value(10**400)
    with pytest.raises(OverflowError, match=r"Value\(data\): an int of about 5000 digits"):
        Value(10**5000)
    with pytest.raises(OverflowError, match="too large for a float"):
        Value(1.0) + 10**400


class MyValue(Value):
    __slots__ = ()


def test_value_can_be_subclassed() -> None:
    a, b = MyValue(1.0), MyValue(2.0)
    for out, data in [(a * b, 2.0), (a + b, 3.0), (a - b, -1.0), (a / b, 0.5), (b**a, 2.0), (Value(3.0) * a, 3.0)]:
        assert out.data == data
    out = a * b + a
    out.backward()
    assert (a.grad, b.grad) == (3.0, 1.0)
    with no_grad():
        assert (a * b).data == 2.0


def test_no_grad_holds_in_a_task_created_inside_the_block_that_runs_after_it() -> None:
    async def work() -> tuple[bool, bool, bool]:
        x = Value(2.0)
        y = x * x + x
        return is_grad_enabled(), y.is_leaf, (x * 3).is_leaf

    async def main() -> tuple[bool, bool, bool]:
        with no_grad():
            task = asyncio.get_running_loop().create_task(work())
        assert is_grad_enabled()
        return await task

    assert asyncio.run(main()) == (False, True, True)


def test_linear_under_no_grad_still_rejects_non_real_inputs() -> None:
    layer = linear([[Value(1.0), Value(2.0)]], [Value(0.0)])
    for bad, name in [([1j, 1.0], "complex"), ([True, 1.0], "bool"), (["a", 1.0], "str")]:
        with no_grad(), pytest.raises(TypeError, match=rf"linear input.*{name}"):
            layer(bad)
        with pytest.raises(TypeError, match=rf"{name}"):
            layer(bad)


def test_linear_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="2 rows of weights but 1 biases"):
        linear([[Value(1.0)], [Value(1.0)]], [Value(0.0)])
    with pytest.raises(TypeError, match=r"linear weight must be a Value.*float"):
        linear([[1.0]], [Value(0.0)])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="expected 1 inputs, got 2"):
        linear([[Value(1.0)]], [Value(0.0)])([1.0, 2.0])


def test_leaky_relu_slope_must_be_a_number() -> None:
    with pytest.raises(TypeError, match=r"leaky_relu\(negative_slope\) must be a real number.*str"):
        Value(-1.0).leaky_relu("x")  # type: ignore[arg-type]


def test_gradcheck_step_scales_with_x() -> None:
    assert gradcheck(lambda v: v * 2.0, [1e11])
    assert gradcheck(lambda v: (v * 1e-11).tanh(), [3e11])
    assert gradcheck(lambda v: v * v, [1e-3])  # small x: the step stays eps


def test_backward_on_a_loss_made_under_no_grad_says_so() -> None:
    w = Value(0.5)
    with no_grad():
        loss = (w * 3 - 1) ** 2
    with pytest.raises(RuntimeError, match=r"no_grad"):
        loss.backward()
    assert w.grad == 0.0 and not math.isnan(loss.data)


def test_a_leaf_carries_no_op_and_a_leaf_made_under_no_grad_still_backpropagates() -> None:
    with no_grad():
        x = Value(2.0)
    assert x.op == "" and x.is_leaf
    x.backward()  # a leaf is not "computed inside no_grad": its grad is simply 1
    assert x.grad == 1.0
    with no_grad():
        named = Value(1.0, op="const")
    assert named.op == ""  # under no_grad nothing is recorded, not even a name
