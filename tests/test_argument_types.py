"""Every public function of autograd_core refuses a wrong-typed argument with a message that
names the function, the argument and the value (nn's are in test_nn_argument_types.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import autograd_core as ac
from autograd_core import Value

X = Value(1.0)


def square(v: Value) -> Value:
    return v * v


# (what the message must name, the call with one wrong argument)
CASES: list[tuple[str, Callable[[], object]]] = [
    (r"Value\(data\).*str: '3'", lambda: Value("3")),  # type: ignore[arg-type]
    (r"Value\(label\).*int: 5", lambda: Value(1.0, 5)),  # type: ignore[arg-type]
    (r"Value\(op\).*int: 5", lambda: Value(1.0, op=5)),  # type: ignore[arg-type]
    (r"Value\.data.*str: 'x'", lambda: setattr(Value(1.0), "data", "x")),
    (r"backward\(gradient\).*str: '1'", lambda: (X * X).backward("1")),  # type: ignore[arg-type]
    (r"leaky_relu\(negative_slope\).*str: 'x'", lambda: X.leaky_relu("x")),  # type: ignore[arg-type]
    (r"dot\(weights\) item.*str: 'a'", lambda: ac.dot(["a"], [X])),  # type: ignore[list-item]
    (r"dot\(inputs\) item.*str: 'a'", lambda: ac.dot([X], ["a"])),  # type: ignore[list-item]
    (r"dot\(bias\).*str: 'b'", lambda: ac.dot([X], [X], "b")),  # type: ignore[arg-type]
    (r"vsum\(values\).*int: 5", lambda: ac.vsum(5)),  # type: ignore[arg-type]
    (r"vsum\(values\) item.*str: 'a'", lambda: ac.vsum(["a"])),  # type: ignore[list-item]
    (r"vmax\(values\).*int: 5", lambda: ac.vmax(5)),  # type: ignore[arg-type]
    (r"vmax\(values\) item.*str: 'a'", lambda: ac.vmax(["a"])),  # type: ignore[list-item]
    (r"linear\(weights\).*int: 5", lambda: ac.linear(5, [X])),  # type: ignore[arg-type]
    (r"linear weight.*float: 1.0", lambda: ac.linear([[1.0]], [X])),  # type: ignore[list-item]
    (r"gradients\(output\).*float: 1.0", lambda: ac.gradients(1.0, [X])),  # type: ignore[arg-type]
    (r"gradients\(inputs\[0\]\).*float: 1.0", lambda: ac.gradients(X * X, [1.0])),  # type: ignore[list-item]
    (r"gradients\(create_graph\).*str: 'yes'", lambda: ac.gradients(X * X, [X], create_graph="yes")),  # type: ignore[arg-type]
    (r"topological_order\(root\).*float: 1.0", lambda: ac.topological_order(1.0)),  # type: ignore[arg-type]
    (r"grad\(f\).*int: 5", lambda: ac.grad(5)),  # type: ignore[arg-type]
    (r"value_and_grad\(f\) argument 0.*str: '1'", lambda: ac.grad(square)("1")),
    (r"hessian\(f\).*int: 5", lambda: ac.hessian(5)),  # type: ignore[arg-type]
    (r"jvp\(f\).*int: 5", lambda: ac.jvp(5, [1.0], [1.0])),  # type: ignore[arg-type]
    (r"jvp\(primals\).*str: '1'", lambda: ac.jvp(square, "1", [1.0])),  # type: ignore[arg-type]
    (r"jvp\(tangents\) item 0.*str: 'a'", lambda: ac.jvp(square, [1.0], ["a"])),  # type: ignore[list-item]
    (r"gradcheck\(f\).*int: 5", lambda: ac.gradcheck(5, [1.0])),  # type: ignore[arg-type]
    (r"gradcheck\(inputs\) item 0.*str: 'a'", lambda: ac.gradcheck(square, ["a"])),  # type: ignore[list-item]
    (r"gradcheck\(eps\).*'1'", lambda: ac.gradcheck(square, [1.0], eps="1")),  # type: ignore[arg-type]
    (r"gradcheck\(atol\).*str: '1'", lambda: ac.gradcheck(square, [1.0], atol="1")),  # type: ignore[arg-type]
    (r"gradcheck\(order\).*'2'", lambda: ac.gradcheck(square, [1.0], order="2")),  # type: ignore[arg-type]
    (r"numerical_grad\(f\).*int: 5", lambda: ac.numerical_grad(5, [1.0])),  # type: ignore[arg-type]
    (r"numerical_grad\(eps\).*None", lambda: ac.numerical_grad(square, [1.0], eps=None)),  # type: ignore[arg-type]
    (r"draw_graph\(root\).*float: 1.0", lambda: ac.draw_graph(1.0)),  # type: ignore[arg-type]
    (r"draw_graph\(rankdir\).*5", lambda: ac.draw_graph(X * X, rankdir=5)),  # type: ignore[arg-type]
    (r"draw_graph\(max_nodes\).*'5'", lambda: ac.draw_graph(X * X, max_nodes="5")),  # type: ignore[arg-type]
    (r"backward_steps\(root\).*float: 1.0", lambda: ac.backward_steps(1.0)),  # type: ignore[arg-type]
    (r"backward_steps\(gradient\).*str: '1'", lambda: ac.backward_steps(X * X, "1")),  # type: ignore[arg-type]
    (r"BackpropStepper\(root\).*float: 1.0", lambda: ac.BackpropStepper(1.0)),  # type: ignore[arg-type]
    (r"BackpropStepper\(gradient\).*str: '1'", lambda: ac.BackpropStepper(X * X, "1")),  # type: ignore[arg-type]
    (r"compile_batch\(f\).*int: 5", lambda: ac.compile_batch(5, [X], [[1.0]])),  # type: ignore[arg-type]
    (r"compile_batch\(params\).*float at 0: 1.0", lambda: ac.compile_batch(square, [1.0], [[1.0]])),  # type: ignore[list-item]
    (r"compile_batch\(examples\).*int", lambda: ac.compile_batch(square, [X], 5)),  # type: ignore[arg-type]
    (r"Op\(name\).*int: 5", lambda: ac.Op(5)),  # type: ignore[arg-type]
    (r"Op\(grads\).*int", lambda: ac.Op("a", 5)),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("message", "call"), CASES, ids=[m.split("\\")[0] for m, _ in CASES])
def test_a_wrong_argument_names_the_function_the_argument_and_the_value(
    message: str, call: Callable[[], object]
) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        call()


def test_every_public_function_is_covered() -> None:
    callables = {name for name in ac.__all__ if callable(getattr(ac, name)) and not name.endswith(("Error", "Warning"))}
    records = {"BackwardStep", "ParentUpdate", "Graph", "CompiledBatch"}  # made by the library, not by you
    covered = {m.split("\\")[0].split(".")[0] for m, _ in CASES} | {
        "Value",
        "no_grad",
        "enable_grad",
        "is_grad_enabled",
    }
    assert callables - records - covered == set()
