"""Every registered op (``autograd_core.engine.OP_EXAMPLES``), checked the same way: its value
against an independent float reference, its float rule against central differences, its Value
rule (``Op.grads``) against the float rule and, through second derivatives, against central
differences, its array rule (``Op.vectorised``) against the float rule, and its display name.

Adding an op = registering it next to its definition (``@register(Example(...))``); nothing here
names an op, so a new op with a wrong rule fails without editing this file."""

from __future__ import annotations

import inspect
import math
import random

import numpy as np
import pytest

import autograd_core
import nn  # noqa: F401  (registers nn's ops, if it registers any)
from autograd_core import engine, gradcheck, gradients, numerical_grad
from autograd_core.engine import OP_EXAMPLES, Example, Value

EXAMPLES = list(OP_EXAMPLES.values())
Point = tuple[float, ...]


def sample_points(example: Example, n: int = 3) -> list[Point]:
    """n points drawn from the example's domain (−3..3 where any real goes), away from its kinks."""
    rng = random.Random(example.name)
    points: list[Point] = []
    while len(points) < n:
        point = tuple(rng.uniform(*(d or (-3.0, 3.0))) for d in example.domain)
        if all(abs(point[0] - k) > 0.05 for k in example.kinks):
            points.append(point)
    return points


def all_points(example: Example) -> list[Point]:
    return sample_points(example) + list(example.points)


def params(points_of: object = all_points) -> list[object]:
    return [
        pytest.param(example, point, id=f"{example.name}{point}")
        for example in EXAMPLES
        for point in points_of(example)  # type: ignore[operator]
    ]


def node(example: Example, point: Point) -> tuple[Value, list[Value]]:
    leaves = [Value(x) for x in point]
    return example.apply(*leaves), leaves


def by_argument(out: Value, leaves: list[Value]) -> list[float]:
    """∂out/∂argumentᵢ from the float rule: the local derivatives of the parents that are argument i."""
    _, parents, local_grads, _, _ = out.parts()
    return [sum(d for p, d in zip(parents, local_grads) if p is leaf) for leaf in leaves]


def test_the_registry_covers_every_op_of_value_and_every_function_that_makes_a_node() -> None:
    covered = {example.covers for example in EXAMPLES}
    methods = {n for n in dir(Value) if not n.startswith("_") and callable(getattr(Value, n))}
    methods -= {"backward", "zero_grad", "parts"}  # not ops
    numeric = {n for n in dir(float) if n.startswith("__")} - set(dir(object)) - {"__pos__"}  # +x is x: no node
    operators = {  # __add__, __rtruediv__, __neg__, … (not the number reads: __float__, __bool__, …)
        n for n in numeric if n in vars(Value) and inspect.signature(getattr(Value, n)).return_annotation == "Value"
    }
    functions = {
        name
        for name in autograd_core.__all__
        if inspect.isfunction(f := getattr(engine, name, None)) and inspect.signature(f).return_annotation == "Value"
    }
    assert {"__add__", "__rpow__", "__abs__", "exp"} <= methods | operators and {"vsum", "dot"} <= functions
    missing = [n for n in sorted(methods | operators) if getattr(Value, n) not in covered]
    missing += [n for n in sorted(functions) if getattr(engine, n) not in covered]
    assert not missing, f"ops with no registered Example (add @register(Example(...)) above them): {missing}"


@pytest.mark.parametrize(("example", "point"), params())
def test_one_node_its_display_and_its_value_against_the_float_reference(example: Example, point: Point) -> None:
    out, leaves = node(example, point)
    _, parents, local_grads, _, _ = out.parts()
    assert parents and len(local_grads) == len(parents)
    assert all(any(p is leaf for leaf in leaves) for p in parents), "the node's parents are the arguments"
    assert out.op == example.display
    if example.reference is not None:
        assert out.data == pytest.approx(example.reference(*point), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize(("example", "point"), params())
def test_float_rule_against_central_differences(example: Example, point: Point) -> None:
    out, leaves = node(example, point)
    # a smaller step near an edge of the domain at 0; the step is eps·max(1, |x|), so divide large |x| out
    eps = 1e-4 * min([1.0, *(abs(x) for x in point if x)]) / max([1.0, *(abs(x) for x in point)])
    numerical = numerical_grad(example.apply, list(point), eps=eps)
    assert by_argument(out, leaves) == pytest.approx(numerical, rel=1e-6, abs=1e-10)


@pytest.mark.parametrize(("example", "point"), params())
def test_value_rule_gives_the_float_rule(example: Example, point: Point) -> None:
    out, leaves = node(example, point)
    as_values = gradients(out, leaves, create_graph=True)
    assert [g.data for g in as_values] == pytest.approx(by_argument(out, leaves), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize(("example", "point"), params(sample_points))
def test_value_rule_second_derivatives_against_central_differences(example: Example, point: Point) -> None:
    assert gradcheck(example.apply, list(point), order=2, atol=1e-4, rtol=1e-4)


def array_rule(out: list[Value]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The op's ``vectorised`` rule run on the parents of the nodes ``out`` (one example per node),
    called the way ``compile_batch`` calls it."""
    op, constant = out[0].parts().op, out[0].parts().array_constant
    assert op is not None and op.vectorised is not None, f"op {out[0].op!r} has no array rule"
    columns = [np.array(col) for col in zip(*[[p.data for p in v.parents] for v in out])]
    if op.nary:
        value, grads = op.vectorised(np, columns, constant)
    else:
        second = columns[1] if len(columns) == 2 else constant
        value, grads = op.vectorised(np, columns[0], second)
    n = len(out)
    return np.broadcast_to(value, (n,)), [np.broadcast_to(np.asarray(g, dtype=float), (n,)) for g in grads]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_array_rule_against_the_float_rule(example: Example) -> None:
    out = [node(example, point)[0] for point in all_points(example)]
    if out[0].parts().op.vectorised is None:  # type: ignore[union-attr]
        pytest.skip(f"{example.name}: no array rule (compile_batch refuses it, by name)")
    value, grads = array_rule(out)
    data = np.array([v.data for v in out])
    offset = [v.parts().constant_term for v in out]  # compile_batch adds it: dot's number bias, vsum's numbers
    assert np.allclose(value + np.array(offset), data, rtol=1e-12, atol=1e-12 * max(1.0, *np.abs(data)))
    local = np.array([v.local_grads for v in out])
    assert len(grads) >= local.shape[1]
    for i in range(local.shape[1]):
        assert np.allclose(grads[i], local[:, i], rtol=1e-12, atol=0), f"∂/∂parent {i}"


class Names(dict[str, object]):
    """The names a template reads: its arguments x0, x1…, vsum, dot, vmax, abs, and any other name
    as a method call (``exp(x0)`` is ``x0.exp()``)."""

    def __missing__(self, name: str) -> object:
        return lambda u, *args: getattr(u, name)(*args)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_the_template_is_the_same_code_and_generic_the_same_number(example: Example) -> None:
    point = sample_points(example, 1)[0]
    leaves = [Value(x) for x in point]
    names = Names({f"x{i}": leaf for i, leaf in enumerate(leaves)}, vsum=engine.vsum, dot=engine.dot, vmax=engine.vmax)
    names["abs"] = abs
    code = example.template.format(*(f"x{i}" for i in range(example.arity)))
    from_template = eval(code, {"__builtins__": {}}, names)  # the registry's own template strings
    assert from_template.data == example.apply(*leaves).data
    if example.generic is not None:
        assert example.generic(*point) == pytest.approx(example.apply(*leaves).data, rel=1e-12)


def test_registering_a_name_twice_is_an_error() -> None:
    with pytest.raises(ValueError, match="'exp' is already registered"):
        engine.register(OP_EXAMPLES["exp"])(lambda: None)
    assert math.isfinite(len(OP_EXAMPLES))
