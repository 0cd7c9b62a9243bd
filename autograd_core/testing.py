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
reading any earlier nodes (so nodes are shared, as in real networks). The ops are every
op registered in the engine (``OP_EXAMPLES``); an operand of an op with a bounded domain
is first mapped into it as c + r·tanh(u) (``log((1.25 + 0.75*tanh(v0)))``), so no draw
hits a domain error or an overflow. ``build`` runs the same code on Values (a graph to
backpropagate through), on another Value class, or on floats (each op's independent
float reference, for the forward value).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import add
from typing import Any, Union, cast

from autograd_core.engine import OP_EXAMPLES, Example, Interval, Value, _as_float
from autograd_core.extras import require
from autograd_core.gradcheck import GradcheckError, gradcheck

require("hypothesis", "testing", "autograd_core.testing")  # or a message naming the extra
from hypothesis import strategies as st  # noqa: E402

Scalar = Union[Value, float]


# ----------------------------------------------------------------- the ops
# Every op a program can use is an Example registered next to the op's definition in the
# engine (``autograd_core.engine.OP_EXAMPLES``): adding an op there adds it here.
def _is_number(u: object) -> bool:
    """True for a plain int or float (the reference computation), False for any Value class."""
    return isinstance(u, (int, float))


def _into(u: Scalar, interval: Interval) -> tuple[Scalar, str]:
    """u mapped smoothly into ``interval`` as c + r·tanh(u) (u itself for any real), and its code."""
    if interval is None:
        return u, "{}"
    lo, hi = interval
    c, r = (lo + hi) / 2, (hi - lo) / 2
    t = math.tanh(u) if isinstance(u, (int, float)) else u.tanh()
    return c + r * t, f"({c:g} + {r:g}*tanh({{}}))" if c else f"({r:g}*tanh({{}}))"


@dataclass(frozen=True)
class OpKind:
    """One kind of op in random programs: a registered ``Example`` whose arguments are mapped into
    its domain. ``fn`` computes it on floats (the example's independent float reference), on
    ``Value``s (the engine's op) or on another Value class (its operators and methods)."""

    example: Example

    @property
    def name(self) -> str:
        return self.example.name

    @property
    def arity(self) -> int:
        return self.example.arity

    @property
    def template(self) -> str:
        """How it reads, ``{0}``, ``{1}``… being the operands, e.g. ``log((1.25 + 0.75*tanh({0})))``."""
        wrapped = [_into(0.0, d)[1].format(f"{{{i}}}") for i, d in enumerate(self.example.domain)]
        return self.example.template.format(*wrapped)

    def fn(self, *operands: Any) -> Any:
        """The op on its operands mapped into its domain (floats, Values, or another Value class)."""
        example = self.example
        args = [_into(u, d)[0] for u, d in zip(operands, example.domain)]
        if all(_is_number(a) for a in args) and example.reference is not None:
            return example.reference(*args)
        if all(isinstance(a, Value) for a in args):
            return example.apply(*args)
        return cast(Scalar, (example.generic or example.apply)(*args))


OP_KINDS: tuple[OpKind, ...] = tuple(
    OpKind(example)
    for example in OP_EXAMPLES.values()
    if example.covers.__module__ == "autograd_core.engine" and example.in_programs
)
_KIND = {kind.name: kind for kind in OP_KINDS}


@dataclass(frozen=True)
class ProgramOp:
    """``v_k = kind(v_args[0], …)``: an op of a ``Program``, reading earlier nodes by index."""

    kind: str
    args: tuple[int, ...]


@dataclass(frozen=True)
class Program:
    """A random expression DAG: inputs v0 … v(n−1), then one node per op.

    The output is the sum of the op nodes no later op reads, so every op counts.
    """

    n_inputs: int
    ops: tuple[ProgramOp, ...]

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
    """The smallest distance of an operand of relu, leaky_relu or abs (any op with kinks) from a kink
    (inf if there are none). There the ops have no derivative; ``input_values`` skips draws within
    ``KINK_MARGIN``."""
    nodes = evaluate(program, [float(x) for x in inputs])
    distances = []
    for op in program.ops:
        example = _KIND[op.kind].example
        u = float(_into(float(nodes[op.args[0]]), example.domain[0])[0])
        distances += [abs(u - k) for k in example.kinks]
    return min(distances, default=math.inf)


# ----------------------------------------------------------------- strategies
def programs(max_inputs: int = 3, max_ops: int = 8, kinds: Sequence[OpKind] = OP_KINDS) -> st.SearchStrategy[Program]:
    """Random ``Program``s: 1 … max_inputs inputs, 1 … max_ops ops of ``kinds``, operands from any earlier node."""
    for n, what in ((max_inputs, "max_inputs"), (max_ops, "max_ops")):
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"programs({what}) must be an int, got {type(n).__name__}: {n!r}")
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
        ops.append(ProgramOp(kind.name, args))
    return Program(n_inputs, tuple(ops))


def input_values(program: Program, bound: float = 3.0) -> st.SearchStrategy[list[float]]:
    """Lists of ``program.n_inputs`` floats in [−bound, bound], away from any kink.

    Draws that put an operand of relu, leaky_relu or abs within ``KINK_MARGIN`` of 0
    are skipped: there the ops have no derivative for backprop to match.
    """
    if _as_float(bound, "input_values(bound)") <= 0:
        raise ValueError(f"input_values(bound) must be positive, got {bound!r}")
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


def _method(name: str) -> Callable[[Scalar], Scalar] | None:
    """``name(u)``: u.name() for a Value of any class, the registered float reference for a float.

    For each one-argument method registered as ``name({0})`` (``exp``, ``log``, ``tanh``…).
    """
    example = next((e for e in OP_EXAMPLES.values() if e.template == f"{name}({{0}})"), None)
    if example is None or example.reference is None:
        return None
    reference = example.reference

    def f(u: Scalar) -> Scalar:
        return reference(u) if _is_number(u) else cast(Scalar, getattr(u, name)())

    f.__name__ = f.__qualname__ = name
    return f


def __getattr__(name: str) -> Any:
    """``exp``, ``log``, ``tanh``… (see ``_method``); ``check_value_class`` and its error and report,
    from ``autograd_core.grading`` (which uses this module)."""
    if name in _GRADING:
        from autograd_core import grading

        return getattr(grading, name)
    if (f := _method(name)) is not None:
        return f
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
