"""Property tests: backward() against central differences on random graphs, and a
state machine that builds graphs, calls backward()/zero_grad() from any node and
checks every gradient against a naive sum-over-paths reference."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from autograd_core import GradcheckError, NonDifferentiablePointError, Value, dot, vsum
from autograd_core.testing import (
    KINK_MARGIN,
    OP_KINDS,
    Program,
    ProgramOp,
    assert_gradients_match,
    build,
    input_values,
    kink_margin,
    programs,
)


# --------------------------------------------------------------- programs()
@settings(max_examples=500)
@given(st.data())
def test_backward_matches_numerical_gradients_on_random_graphs(data: st.DataObject) -> None:
    program = data.draw(programs(), label="program")
    xs = data.draw(input_values(program), label="inputs")
    out = build(program, [Value(x) for x in xs])
    assert out.data == pytest.approx(build(program, xs), rel=1e-12, abs=1e-12)
    assert_gradients_match(lambda *vs: build(program, vs), xs)


@settings(max_examples=200)
@given(programs(max_inputs=2, max_ops=5))
def test_programs_are_well_formed(program: Program) -> None:
    assert 1 <= program.n_inputs <= 2
    assert 1 <= len(program.ops) <= 5
    for k, op in enumerate(program.ops, start=program.n_inputs):
        assert all(0 <= i < k for i in op.args), f"op v{k} reads a later node: {op}"
    assert program.outputs, "the last op is always an output"
    assert repr(program).splitlines()[0] == "def f(" + ", ".join(f"v{i}" for i in range(program.n_inputs)) + "):"


def test_programs_share_nodes_and_use_every_kind_of_op() -> None:
    seen_kinds: set[str] = set()
    shared = []

    @settings(max_examples=300, database=None)
    @given(programs())
    def record(program: Program) -> None:
        seen_kinds.update(op.kind for op in program.ops)
        reads = [i for op in program.ops for i in op.args]
        shared.append(len(reads) != len(set(reads)))

    record()
    assert seen_kinds == {kind.name for kind in OP_KINDS}
    assert sum(shared) > len(shared) // 10, "operands should often be shared between ops"


def test_program_repr_reads_as_code() -> None:
    program = Program(2, (ProgramOp("log", (1,)), ProgramOp("mul", (2, 0)), ProgramOp("add", (0, 1))))
    assert repr(program) == (
        "def f(v0, v1):\n"
        "    v2 = log((1.25 + 0.75*tanh(v1)))\n"
        "    v3 = (2*tanh(v2)) * (2*tanh(v0))\n"
        "    v4 = v0 + v1\n"
        "    return v3 + v4"
    )
    xs = [0.5, -2.0]
    v2 = math.log(1.25 + 0.75 * math.tanh(xs[1]))
    expected = 2 * math.tanh(v2) * 2 * math.tanh(xs[0]) + xs[0] + xs[1]
    assert build(program, xs) == pytest.approx(expected, rel=1e-15)
    assert build(program, [Value(x) for x in xs]).data == pytest.approx(expected, rel=1e-15)


def test_build_rejects_the_wrong_number_of_inputs() -> None:
    with pytest.raises(ValueError, match=r"takes 2 inputs, got 1"):
        build(Program(2, (ProgramOp("add", (0, 1)),)), [1.0])


KINKED = Program(2, (ProgramOp("sub", (0, 1)), ProgramOp("relu", (2,)), ProgramOp("tanh", (0,))))  # relu(v0 − v1)


def test_kink_margin_is_the_distance_of_a_kink_operand_from_zero() -> None:
    assert kink_margin(KINKED, [1.0, 1.25]) == 0.25
    assert kink_margin(KINKED, [1.0, 1.0]) == 0.0
    assert kink_margin(Program(1, (ProgramOp("tanh", (0,)),)), [0.0]) == math.inf


@settings(max_examples=100)
@given(input_values(KINKED, bound=0.01))
def test_input_values_stay_away_from_kinks(xs: list[float]) -> None:
    assert abs(xs[0] - xs[1]) > KINK_MARGIN


def test_programs_rejects_empty_bounds() -> None:
    with pytest.raises(ValueError, match="max_ops"):
        programs(max_ops=0)


# -------------------------------------------------- assert_gradients_match()
def wrong_square(x: Value) -> Value:
    return Value(x.data**2, parents=(x,), local_grads=(x.data,), op="square")  # should be 2x


def test_assert_gradients_match_passes_on_a_correct_op_and_reports_a_wrong_one() -> None:
    assert_gradients_match(lambda x, y: (x * y).tanh() + x.log(), [2.0, -0.5])
    with pytest.raises(GradcheckError, match=r"(?s)gradients of wrong_square at \[3\.0\].*analytical ∂f/∂x0 = 3\.0"):
        assert_gradients_match(wrong_square, [3.0])


def test_assert_gradients_match_keeps_the_kink_error() -> None:
    with pytest.raises(NonDifferentiablePointError, match="kink — move the point"):
        assert_gradients_match(lambda x: x.relu(), [0.0])


# ------------------------------------------------------------ state machine
class Node:
    """A Value and the reference's own record of it: value, (parent, ∂/∂parent) pairs, grad."""

    def __init__(self, value: Value, data: float, parents: list[tuple[Node, float]]) -> None:
        assert value.data == pytest.approx(data, rel=1e-12, abs=1e-12)
        self.value = value
        self.parents = parents
        self.grad = 0.0
        self.scale = 0.0  # Σ |terms| added to grad: the size of its rounding error

    def ancestors(self) -> list[Node]:
        """This node and every node it depends on."""
        seen: dict[int, Node] = {}
        stack = [self]
        while stack:
            n = stack.pop()
            if id(n) not in seen:
                seen[id(n)] = n
                stack += [p for p, _ in n.parents]
        return list(seen.values())

    def derivative(self, wrt: Node, memo: dict[int, tuple[float, float]]) -> tuple[float, float]:
        """(∂self/∂wrt as the sum over paths of the product of local derivatives, Σ |terms|)."""
        if self is wrt:
            return 1.0, 1.0
        if id(self) not in memo:
            terms = [(d * g, abs(d) * s) for p, d in self.parents for g, s in [p.derivative(wrt, memo)]]
            memo[id(self)] = (sum(t for t, _ in terms), sum(s for _, s in terms))
        return memo[id(self)]


finite = st.floats(-3, 3, allow_nan=False, allow_infinity=False)
UNARY = {  # name: (apply to a Value, value, derivative), each written out by hand
    "neg": (lambda v: -v, lambda x: -x, lambda x: -1.0),
    "*c": (lambda v: v * 1.5, lambda x: 1.5 * x, lambda x: 1.5),
    "c-": (lambda v: 2 - v, lambda x: 2 - x, lambda x: -1.0),
    "tanh": (Value.tanh, math.tanh, lambda x: 1 / math.cosh(x) ** 2),
    "sigmoid": (Value.sigmoid, lambda x: 1 / (1 + math.exp(-x)), lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2),
    "softplus": (Value.softplus, lambda x: math.log(1 + math.exp(x)), lambda x: 1 / (1 + math.exp(-x))),
    "relu": (Value.relu, lambda x: max(x, 0.0), lambda x: 1.0 if x > 0 else 0.0),
    "exp": (Value.exp, math.exp, math.exp),
    "log": (Value.log, math.log, lambda x: 1 / x),
}
BINARY = {
    "+": (lambda u, v: u + v, lambda x, y: x + y, lambda x, y: (1.0, 1.0)),
    "-": (lambda u, v: u - v, lambda x, y: x - y, lambda x, y: (1.0, -1.0)),
    "*": (lambda u, v: u * v, lambda x, y: x * y, lambda x, y: (y, x)),
    "/": (lambda u, v: u / v, lambda x, y: x / y, lambda x, y: (1 / y, -x / y**2)),
}


def plausible(*numbers: float) -> bool:
    """Keep values and derivatives small, so no path product overflows."""
    return all(abs(x) < 100 for x in numbers)


class GraphMachine(RuleBasedStateMachine):
    """Build a graph op by op; backward()/zero_grad() from any node; compare every grad."""

    nodes = Bundle("nodes")

    def __init__(self) -> None:
        super().__init__()
        self.all: list[Node] = []

    def add(self, value: Value, data: float, parents: list[tuple[Node, float]]) -> Node:
        node = Node(value, data, parents)
        self.all.append(node)
        return node

    @initialize(target=nodes, x=finite)
    def first_leaf(self, x: float) -> Node:
        return self.leaf(x)

    @rule(target=nodes, x=finite)
    def leaf(self, x: float) -> Node:
        return self.add(Value(x), x, [])

    @rule(target=nodes, a=nodes, name=st.sampled_from(sorted(UNARY)))
    def unary(self, a: Node, name: str) -> Node:
        op, value, derivative = UNARY[name]
        x = a.value.data
        assume(x > 0.01 or name != "log")
        assume(plausible(x) and plausible(value(x), derivative(x)))
        return self.add(op(a.value), value(x), [(a, derivative(x))])

    @rule(target=nodes, a=nodes, b=nodes, name=st.sampled_from(sorted(BINARY)))
    def binary(self, a: Node, b: Node, name: str) -> Node:
        op, value, derivatives = BINARY[name]
        x, y = a.value.data, b.value.data
        assume(abs(y) > 0.01 or name != "/")
        assume(plausible(value(x, y), *derivatives(x, y)))
        da, db = derivatives(x, y)
        return self.add(op(a.value, b.value), value(x, y), [(a, da), (b, db)])

    @rule(target=nodes, parts=st.lists(nodes, min_size=1, max_size=4))
    def sum_of(self, parts: list[Node]) -> Node:
        out = vsum([n.value for n in parts])
        return self.add(out, math.fsum(n.value.data for n in parts), [(n, 1.0) for n in parts])

    @rule(target=nodes, pairs=st.lists(st.tuples(nodes, nodes), min_size=1, max_size=3))
    def dot_of(self, pairs: list[tuple[Node, Node]]) -> Node:
        ws, xs = [w for w, _ in pairs], [x for _, x in pairs]
        z = math.fsum(w.value.data * x.value.data for w, x in pairs)
        assume(plausible(z, *(n.value.data for n in ws + xs)))
        parents = [(w, x.value.data) for w, x in pairs] + [(x, w.value.data) for w, x in pairs]
        return self.add(dot([w.value for w in ws], [x.value for x in xs]), z, parents)

    @rule(root=nodes, gradient=st.sampled_from([1.0, -0.5, 2.0]))
    def backward(self, root: Node, gradient: float) -> None:
        root.value.backward(gradient)
        for n in root.ancestors():
            d, s = root.derivative(n, {})
            n.grad += gradient * d
            n.scale += abs(gradient) * s

    @rule(node=nodes)
    def zero_grad(self, node: Node) -> None:
        node.value.zero_grad()
        for n in node.ancestors():
            n.grad = n.scale = 0.0

    @invariant()
    def grads_match_the_reference(self) -> None:
        for i, n in enumerate(self.all):
            assert n.value.grad == pytest.approx(n.grad, abs=1e-9 * (1 + n.scale)), f"node {i}"


GraphMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=25)
TestGraphMachine = GraphMachine.TestCase


def test_the_readme_example_runs() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Property tests for your own ops", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(code, namespace)
    tests = [v for k, v in namespace.items() if k.startswith("test_") and callable(v)]
    assert len(tests) == 2
    for test in tests:
        test()
