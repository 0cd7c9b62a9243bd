"""Property-test helpers: random expression graphs and a gradient assertion.

Needs hypothesis (``pip install autograd-core[testing]``)::

    from hypothesis import given, strategies as st
    from autograd_core.testing import assert_gradients_match, build, input_values, programs

    @given(st.data())
    def test_backward_matches_central_differences(data):
        program = data.draw(programs())
        xs = data.draw(input_values(program))
        assert_gradients_match(lambda *vs: build(program, vs), xs)

A *program* is plain data: ``n_inputs`` inputs v0, v1, … and a list of ops, each
reading any earlier nodes (so nodes are shared, as in real networks). Every op is
safe for any real input by construction — log(u² + 1), u / (v² + 1), exp(tanh u) —
and keeps magnitudes bounded, so no draw hits a domain error or an overflow.
``build`` runs the same code on Values (a graph to backpropagate through) or on
floats (an independent reference for the forward value).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import add
from typing import Any, Union

from autograd_core.engine import Value
from autograd_core.engine import dot as value_dot
from autograd_core.engine import vsum as value_sum
from autograd_core.extras import require
from autograd_core.gradcheck import GradcheckError, gradcheck

require("hypothesis", "testing", "autograd_core.testing")  # or a message naming the extra
from hypothesis import strategies as st  # noqa: E402

Scalar = Union[Value, float]


# ------------------------------------------------- functions for Values or floats
def _is_number(u: object) -> bool:
    """True for a plain int or float (the reference computation), False for any Value class."""
    return isinstance(u, (int, float))


def _on_value_or_float(method: str, on_float: Callable[[float], float]) -> Callable[[Scalar], Scalar]:
    """f(u): ``on_float`` on a number, else the method ``method`` (of any Value class, a student's too)."""

    def f(u: Scalar) -> Scalar:
        return on_float(u) if _is_number(u) else getattr(u, method)()  # type: ignore[arg-type]

    f.__name__ = method
    return f


exp = _on_value_or_float("exp", math.exp)
log = _on_value_or_float("log", math.log)
sqrt = _on_value_or_float("sqrt", math.sqrt)
tanh = _on_value_or_float("tanh", math.tanh)
# σ(u) = (1 + tanh(u/2))/2 and ln(1 + eᵘ) = max(u, 0) + ln(1 + e⁻|ᵘ|): no overflow for large |u|.
sigmoid = _on_value_or_float("sigmoid", lambda u: 0.5 * (1.0 + math.tanh(0.5 * u)))
softplus = _on_value_or_float("softplus", lambda u: max(u, 0.0) + math.log1p(math.exp(-abs(u))))
relu = _on_value_or_float("relu", lambda u: max(u, 0.0))
leaky_relu = _on_value_or_float("leaky_relu", lambda u: u if u > 0 else 0.01 * u)


def vsum(values: Sequence[Scalar]) -> Scalar:
    """Σᵢ vᵢ: one n-ary node for Values, a chain of + for another Value class."""
    if any(isinstance(v, Value) for v in values):
        return value_sum(values)
    if all(_is_number(v) for v in values):
        return math.fsum(values)
    return reduce(add, values)


def dot(weights: Sequence[Scalar], inputs: Sequence[Scalar]) -> Scalar:
    """Σᵢ wᵢxᵢ: one n-ary node for Values, products and a chain of + for another Value class."""
    if any(isinstance(v, Value) for v in (*weights, *inputs)):
        return value_dot(weights, inputs)
    return vsum([w * x for w, x in zip(weights, inputs)])


# ----------------------------------------------------------------------- the ops
@dataclass(frozen=True)
class OpKind:
    """One kind of op: its arity, how it reads (``{0}``, ``{1}``… are operands) and what it computes."""

    name: str
    template: str
    fn: Callable[..., Scalar]
    kink: bool = False  # not differentiable where operand 0 is exactly 0

    @property
    def arity(self) -> int:
        return self.fn.__code__.co_argcount


OP_KINDS: tuple[OpKind, ...] = (
    OpKind("add", "{0} + {1}", lambda u, v: u + v),
    OpKind("sub", "{0} - {1}", lambda u, v: u - v),
    OpKind("mul", "{0} * tanh({1})", lambda u, v: u * tanh(v)),
    OpKind("div", "{0} / ({1}*{1} + 1)", lambda u, v: u / (v * v + 1)),
    OpKind("pow", "(sigmoid({0}) + 0.5) ** tanh({1})", lambda u, v: (sigmoid(u) + 0.5) ** tanh(v)),
    OpKind("vsum", "vsum([{0}, {1}, {2}])", lambda u, v, w: vsum([u, v, w])),
    OpKind("dot", "dot([{0}, {1}], [tanh({2}), 0.5])", lambda u, v, w: dot([u, v], [tanh(w), 0.5])),
    OpKind("neg", "-{0}", lambda u: -u),
    OpKind("affine", "0.5*{0} - 1", lambda u: 0.5 * u - 1),
    OpKind("rsub", "2 - {0}", lambda u: 2 - u),
    OpKind("log", "log({0}*{0} + 1)", lambda u: log(u * u + 1)),
    OpKind("sqrt", "sqrt({0}*{0} + 1)", lambda u: sqrt(u * u + 1)),
    OpKind("recip", "1 / ({0}*{0} + 1)", lambda u: 1 / (u * u + 1)),
    OpKind("exp", "exp(tanh({0}))", lambda u: exp(tanh(u))),
    OpKind("cube", "tanh({0}) ** 3", lambda u: tanh(u) ** 3),
    OpKind("rpow", "2 ** tanh({0})", lambda u: 2 ** tanh(u)),
    OpKind("tanh", "tanh({0})", tanh),
    OpKind("sigmoid", "sigmoid({0})", sigmoid),
    OpKind("softplus", "softplus({0})", softplus),
    OpKind("relu", "relu({0})", relu, kink=True),
    OpKind("leaky_relu", "leaky_relu({0})", leaky_relu, kink=True),
    OpKind("abs", "abs({0})", lambda u: abs(u), kink=True),
)
_KIND = {kind.name: kind for kind in OP_KINDS}


@dataclass(frozen=True)
class Op:
    """``v_k = kind(v_args[0], …)``: an op reading earlier nodes by index."""

    kind: str
    args: tuple[int, ...]


@dataclass(frozen=True)
class Program:
    """A random expression DAG: inputs v0 … v(n−1), then one node per op.

    The output is the sum of the op nodes no later op reads, so every op counts.
    """

    n_inputs: int
    ops: tuple[Op, ...]

    @property
    def outputs(self) -> list[int]:
        """Indices of the op nodes that no later op reads."""
        read = {i for op in self.ops for i in op.args}
        return [k for k in range(self.n_inputs, self.n_inputs + len(self.ops)) if k not in read]

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show the code, not the fields, in hypothesis' reports of failing examples."""
        printer.text(repr(self))

    def __repr__(self) -> str:
        inputs = ", ".join(f"v{i}" for i in range(self.n_inputs))
        lines = [f"def f({inputs}):"]
        for k, op in enumerate(self.ops, start=self.n_inputs):
            lines.append(f"    v{k} = " + _KIND[op.kind].template.format(*(f"v{i}" for i in op.args)))
        lines.append("    return " + " + ".join(f"v{k}" for k in self.outputs))
        return "\n".join(lines)


def evaluate(program: Program, inputs: Sequence[Scalar]) -> list[Scalar]:
    """Every node of ``program`` (inputs first, then one per op) computed from ``inputs``."""
    if len(inputs) != program.n_inputs:
        raise ValueError(f"evaluate: the program takes {program.n_inputs} inputs, got {len(inputs)}: {inputs!r}")
    nodes = list(inputs)
    for op in program.ops:
        nodes.append(_KIND[op.kind].fn(*(nodes[i] for i in op.args)))
    return nodes


def build(program: Program, inputs: Sequence[Scalar]) -> Scalar:
    """The program's output: a Value (with its graph) from Values, a float from floats."""
    nodes = evaluate(program, inputs)
    return reduce(add, (nodes[k] for k in program.outputs))


KINK_MARGIN = 1e-3


def kink_margin(program: Program, inputs: Sequence[float]) -> float:
    """The smallest |u| over the operands of relu, leaky_relu and abs (inf if there are none).

    Near 0 those ops have no derivative; ``input_values`` skips draws within ``KINK_MARGIN``.
    """
    nodes = evaluate(program, [float(x) for x in inputs])
    return min((abs(float(nodes[op.args[0]])) for op in program.ops if _KIND[op.kind].kink), default=math.inf)


# ----------------------------------------------------------------- strategies
def programs(max_inputs: int = 3, max_ops: int = 8, kinds: Sequence[OpKind] = OP_KINDS) -> st.SearchStrategy[Program]:
    """Random ``Program``s: 1 … max_inputs inputs, 1 … max_ops ops of ``kinds``, operands from any earlier node."""
    if max_inputs < 1 or max_ops < 1:
        raise ValueError(f"programs: max_inputs and max_ops must be ≥ 1, got {max_inputs} and {max_ops}")
    if not kinds or any(_KIND.get(getattr(k, "name", None)) is not k for k in kinds):  # type: ignore[arg-type]
        raise ValueError(f"programs: kinds must be a non-empty selection from OP_KINDS, got {kinds!r}")
    return _programs(max_inputs, max_ops, tuple(kinds))


@st.composite
def _programs(draw: st.DrawFn, max_inputs: int, max_ops: int, kinds: tuple[OpKind, ...]) -> Program:
    n_inputs = draw(st.integers(1, max_inputs))
    ops = []
    for k in range(draw(st.integers(1, max_ops))):
        kind = draw(st.sampled_from(kinds))
        args = tuple(draw(st.integers(0, n_inputs + k - 1)) for _ in range(kind.arity))
        ops.append(Op(kind.name, args))
    return Program(n_inputs, tuple(ops))


def input_values(program: Program, bound: float = 3.0) -> st.SearchStrategy[list[float]]:
    """Lists of ``program.n_inputs`` floats in [−bound, bound], away from any kink.

    Draws that put an operand of relu, leaky_relu or abs within ``KINK_MARGIN`` of 0
    are skipped: there the ops have no derivative for backprop to match.
    """
    x = st.floats(-bound, bound, allow_nan=False, allow_infinity=False)
    xs = st.lists(x, min_size=program.n_inputs, max_size=program.n_inputs)
    return xs.filter(lambda xs: kink_margin(program, xs) > KINK_MARGIN)


# ------------------------------------------------------------------ assertion
def assert_gradients_match(
    f: Callable[..., Value],
    inputs: Sequence[float],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    detect_kinks: bool = True,
) -> None:
    """Assert that backward() and central differences agree on ∂f/∂xᵢ at ``inputs``.

    ``gradcheck`` with a looser default ``rtol``, for tests: raises its
    ``GradcheckError`` (an ``AssertionError``; ``NonDifferentiablePointError`` at a
    kink) with the per-input report, prefixed by f's name and the inputs.
    """
    try:
        gradcheck(f, inputs, eps=eps, atol=atol, rtol=rtol, detect_kinks=detect_kinks)
    except GradcheckError as e:
        name = getattr(f, "__qualname__", repr(f))
        raise type(e)(f"gradients of {name} at {list(inputs)!r} do not match:\n{e}") from None


# ------------------------------------------------------------------ autograder
_GRADING = ("OPS", "ExerciseNotDoneError", "ValueClassCheckError", "ValueClassReport", "answer", "check_value_class")


def __getattr__(name: str) -> Any:
    """``check_value_class`` and its error and report, from ``autograd_core.grading`` (which uses this module)."""
    if name in _GRADING:
        from autograd_core import grading

        return getattr(grading, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
