"""``check_value_class``: an autograder for a student's micrograd-style ``Value`` class.

::

    from autograd_core.testing import check_value_class

    check_value_class(Value)                               # every op it knows; missing ones: "not implemented"
    check_value_class(Value, ops=["add", "mul", "tanh"])   # these must be there

The class needs micrograd's interface: ``cls(number)``, ``.data``, ``.grad``, the operators
and methods it has (``a * b``, ``a.tanh()``, …) and ``backward()``. Every check builds fresh
Values, so no ``zero_grad`` is needed. In order:

1. basics: ``cls(2.0).data == 2``, ``.grad`` starts at 0, ``backward()`` on a leaf sets its grad to 1;
2. op by op: the forward value, and ∂out/∂leaf against central differences, at many points
   (drawn by hypothesis, derandomized), with different operands (a·b) and with the same one
   (a·a: a ``_backward`` that writes ``=`` where it should add with ``+=`` shows here);
3. fan-out and diamonds: a node used by two later nodes, so a wrong backward order shows;
4. random expression graphs (``testing.programs`` over the ops that passed) against ``autograd_core.Value``;
5. a deep chain: a warning, not a failure, when ``backward()`` hits Python's recursion limit
   (micrograd's recursive topological sort does).

The first wrong result raises ``ValueClassCheckError`` (an ``AssertionError``) naming the check,
the inputs, the expected and actual numbers and a hint. Otherwise it returns a ``ValueClassReport``.
"""

from __future__ import annotations

import html
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from autograd_core.engine import Value
from autograd_core.testing import (
    OP_KINDS,
    OpKind,
    Program,
    build,
    exp,
    input_values,
    log,
    programs,
    relu,
    sigmoid,
    tanh,
)

POINTS = 40  # hypothesis examples per expression
EPS = 1e-6  # step of the central differences
FORWARD_TOL = (1e-9, 1e-7)  # (atol, rtol) for out.data
GRAD_TOL = (1e-5, 1e-4)  # (atol, rtol) for a grad against central differences
GRAPH_TOL = (1e-9, 1e-7)  # (atol, rtol) for a grad against autograd_core.Value


class ValueClassCheckError(AssertionError):
    """A wrong result of a student's Value class; the message names the check, inputs, expected, actual and a hint."""


class ExerciseNotDoneError(AssertionError):
    """A check called a student's function that still raises nbgrader's stub ``NotImplementedError``."""


def answer(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` inside a check: the stub ``raise NotImplementedError()`` becomes a message saying so."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError as e:
        name = getattr(fn, "__qualname__", type(fn).__qualname__)
        raise ExerciseNotDoneError(
            f"{name} is not written yet: replace `raise NotImplementedError()` in it with your code"
        ) from e


class _Missing(Exception):
    """An op the class does not have: no method, ``NotImplementedError``, or no support for plain numbers."""


# --------------------------------------------------------------- what is checked
Domain = tuple[float, float, float]  # (lo, hi, smallest |x|): points k/100 in [lo, hi]
ANY: Domain = (-3.0, 3.0, 0.0)
NONZERO: Domain = (-3.0, 3.0, 0.1)
POSITIVE: Domain = (0.1, 3.0, 0.0)
OFF_KINK: Domain = (-3.0, 3.0, 0.01)


@dataclass(frozen=True)
class Form:
    """One expression a check runs: ``text`` over the leaves a, b; ``fn`` computes it on Values and on floats.

    ``hints[i]`` says what ∂out/∂leafᵢ should be; ``domains[i]`` where leaf i is drawn.
    """

    text: str
    fn: Callable[..., Any]
    hints: tuple[str, ...]
    domains: tuple[Domain, ...] = (ANY, ANY)

    @property
    def leaves(self) -> str:
        return "ab"[: self.fn.__code__.co_argcount]


@dataclass(frozen=True)
class Check:
    """A row of the report: an op (``methods`` it needs on the class) or a graph shape (``after`` these ops passed)."""

    name: str
    forms: tuple[Form, ...]
    methods: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    numbers: bool = False  # an operand is a plain number: a TypeError/AttributeError means "not supported"


_SAME = ": a is both operands, so both shares must add up (write `self.grad += …`, `other.grad += …`, never `=`)"
_ORDER = (
    "a node's _backward must run only after every node that uses it has added its share to node.grad "
    "(reverse topological order, each node once)"
)

# Ops that micrograd builds from others (−a = a·(−1), a − b = a + (−b), a/b = a·b⁻¹) come after them,
# so a wrong derivative is reported at the op that has it.
_WRONG_ORDER = "every op passed on its own, so the order of backward is wrong: " + _ORDER
OP_CHECKS: tuple[Check, ...] = (
    Check(
        "add",
        (
            Form("a + b", lambda a, b: a + b, ("∂(a + b)/∂a should be 1", "∂(a + b)/∂b should be 1")),
            Form("a + a", lambda a: a + a, ("∂(a + a)/∂a should be 2" + _SAME,)),
        ),
        methods=("__add__",),
    ),
    Check(
        "mul",
        (
            Form("a * b", lambda a, b: a * b, ("∂(a·b)/∂a should be b.data", "∂(a·b)/∂b should be a.data")),
            Form("a * a", lambda a: a * a, ("∂(a·a)/∂a should be 2·a.data" + _SAME,)),
        ),
        methods=("__mul__",),
    ),
    Check(
        "pow",
        (
            Form("a ** 2", lambda a: a**2, ("∂(a²)/∂a should be 2·a.data",)),
            Form("a ** 3", lambda a: a**3, ("∂(a³)/∂a should be 3·a.data²",)),
            Form("a ** -1", lambda a: a**-1, ("∂(a⁻¹)/∂a should be −1/a.data²",), (NONZERO,)),
            Form("a ** 0.5", lambda a: a**0.5, ("∂(a^0.5)/∂a should be 0.5·a.data^(−0.5)",), (POSITIVE,)),
        ),
        methods=("__pow__",),
    ),
    Check("neg", (Form("-a", lambda a: -a, ("∂(−a)/∂a should be −1",)),), methods=("__neg__",)),
    Check(
        "sub",
        (
            Form("a - b", lambda a, b: a - b, ("∂(a − b)/∂a should be 1", "∂(a − b)/∂b should be −1")),
            Form("a - a", lambda a: a - a, ("∂(a − a)/∂a should be 1 − 1 = 0" + _SAME,)),
        ),
        methods=("__sub__",),
    ),
    Check(
        "div",
        (
            Form(
                "a / b",
                lambda a, b: a / b,
                ("∂(a/b)/∂a should be 1/b.data", "∂(a/b)/∂b should be −a.data/b.data²"),
                (ANY, NONZERO),
            ),
            Form("a / a", lambda a: a / a, ("∂(a/a)/∂a should be 1/a.data − a.data/a.data² = 0" + _SAME,), (NONZERO,)),
        ),
        methods=("__truediv__",),
    ),
    Check(
        "add_number",
        (
            Form("a + 2", lambda a: a + 2, ("∂(a + 2)/∂a should be 1",)),
            Form("2 + a", lambda a: 2 + a, ("∂(2 + a)/∂a should be 1 (2 + a calls a.__radd__(2))",)),
        ),
        methods=("__add__", "__radd__"),
        numbers=True,
    ),
    Check(
        "sub_number",
        (
            Form("a - 2", lambda a: a - 2, ("∂(a − 2)/∂a should be 1",)),
            Form("2 - a", lambda a: 2 - a, ("∂(2 − a)/∂a should be −1 (2 − a calls a.__rsub__(2))",)),
        ),
        methods=("__sub__", "__rsub__"),
        numbers=True,
    ),
    Check(
        "mul_number",
        (
            Form("a * 3", lambda a: a * 3, ("∂(a·3)/∂a should be 3",)),
            Form("3 * a", lambda a: 3 * a, ("∂(3·a)/∂a should be 3 (3 * a calls a.__rmul__(3))",)),
        ),
        methods=("__mul__", "__rmul__"),
        numbers=True,
    ),
    Check(
        "div_number",
        (
            Form("a / 4", lambda a: a / 4, ("∂(a/4)/∂a should be 1/4",)),
            Form(
                "2 / a", lambda a: 2 / a, ("∂(2/a)/∂a should be −2/a.data² (2 / a calls a.__rtruediv__)",), (NONZERO,)
            ),
        ),
        methods=("__truediv__", "__rtruediv__"),
        numbers=True,
    ),
    Check("exp", (Form("a.exp()", exp, ("∂exp(a)/∂a should be exp(a.data), the output's own data",)),), ("exp",)),
    Check("log", (Form("a.log()", log, ("∂log(a)/∂a should be 1/a.data",), (POSITIVE,)),), ("log",)),
    Check("tanh", (Form("a.tanh()", tanh, ("∂tanh(a)/∂a should be 1 − tanh(a.data)² = 1 − out.data²",)),), ("tanh",)),
    Check(
        "sigmoid",
        (Form("a.sigmoid()", sigmoid, ("∂σ(a)/∂a should be σ(a)·(1 − σ(a)) = out.data·(1 − out.data)",)),),
        ("sigmoid",),
    ),
    Check("relu", (Form("a.relu()", relu, ("∂relu(a)/∂a should be 1 if a.data > 0 else 0",), (OFF_KINK,)),), ("relu",)),
)
OPS = tuple(check.name for check in OP_CHECKS)


def _fan_out(a: Any, b: Any) -> Any:
    """a feeds two nodes: a·b and the sum."""
    return a * b + a


def _diamonds(a: Any, b: Any) -> Any:
    """Two diamonds, one each way round: c feeds d and c·d; p feeds q and q·p."""
    c = a * b
    d = c + a
    p = a + b
    q = p * b
    return c * d + q * p


GRAPH_CHECKS: tuple[Check, ...] = (
    Check(
        "fan-out",
        (
            Form(
                "a * b + a",
                _fan_out,
                ("a feeds two nodes, so ∂out/∂a should be b.data + 1: both shares must add up (+=)", _WRONG_ORDER),
            ),
        ),
        after=("add", "mul"),
    ),
    Check(
        "diamonds",
        (Form("c = a * b; d = c + a; p = a + b; q = p * b; c * d + q * p", _diamonds, (_WRONG_ORDER, _WRONG_ORDER)),),
        after=("add", "mul"),
    ),
)


# ------------------------------------------------------------------- the report
@dataclass(frozen=True)
class Result:
    """One row of the report: ``status`` is "passed", "not implemented", "skipped" or "warning"."""

    check: str
    status: str
    detail: str = ""


@dataclass(frozen=True)
class ValueClassReport:
    """What ``check_value_class`` found: one ``Result`` per check (it raised on anything wrong)."""

    cls_name: str
    results: tuple[Result, ...]

    def status(self, check: str) -> str:
        """The status of one check, e.g. ``report.status("mul") == "passed"``."""
        for r in self.results:
            if r.check == check:
                return r.status
        raise KeyError(f"ValueClassReport.status: no check {check!r}; the checks are {[r.check for r in self.results]}")

    def with_status(self, status: str) -> list[str]:
        """The names of the checks with this status."""
        return [r.check for r in self.results if r.status == status]

    @property
    def warnings(self) -> list[str]:
        return [f"{r.check}: {r.detail}" for r in self.results if r.status == "warning"]

    def summary(self) -> str:
        counts = {s: len(self.with_status(s)) for s in ("passed", "not implemented", "skipped", "warning")}
        return f"check_value_class({self.cls_name}): " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)

    def __repr__(self) -> str:
        width = max(len(r.check) for r in self.results)
        lines = [self.summary()]
        lines += [f"  {r.check:<{width}}  {r.status:<15}  {r.detail}".rstrip() for r in self.results]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        colour = {"passed": "#1a7f37", "not implemented": "#6e7781", "skipped": "#6e7781", "warning": "#9a6700"}
        rows = "".join(
            f"<tr><td><code>{html.escape(r.check)}</code></td>"
            f"<td style='color:{colour[r.status]}'><b>{html.escape(r.status)}</b></td>"
            f"<td style='text-align:left'>{html.escape(r.detail)}</td></tr>"
            for r in self.results
        )
        head = "<tr><th>check</th><th>status</th><th style='text-align:left'>what was checked</th></tr>"
        return f"<p><b>{html.escape(self.summary())}</b></p><table>{head}{rows}</table>"


# ---------------------------------------------------------------- running a check
def _points(domain: Domain) -> st.SearchStrategy[float]:
    lo, hi, away = domain
    return st.integers(round(lo * 100), round(hi * 100)).map(lambda k: k / 100).filter(lambda x: abs(x) >= away)


def _for_points(strategy: st.SearchStrategy[Any], check: Callable[[Any], None], max_examples: int = POINTS) -> int:
    """Run ``check`` at points drawn by hypothesis (derandomized); re-raise its first error, else count the points.

    Errors are kept, not raised inside hypothesis: no shrinking, and no "flaky" verdict when a
    wrong backward order depends on set ordering (a student's ``_prev = set(children)``).
    """
    errors: list[Exception] = []
    count = 0

    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(x: Any) -> None:
        nonlocal count
        if errors:
            return
        try:
            check(x)
        except (ValueClassCheckError, _Missing) as e:
            errors.append(e)
        else:
            count += 1

    run()
    if errors:
        raise errors[0]
    return count


def _close(actual: float, expected: float, tol: tuple[float, float]) -> bool:
    atol, rtol = tol
    return abs(actual - expected) <= atol + rtol * abs(expected)


def _number(x: Any, what: str, check: str, where: str) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        raise ValueClassCheckError(f"{check}: {where}: {what} is {x!r}, not a number") from None


def _run(check: Check, where: str, step: Callable[[], Any]) -> Any:
    """``step()``, with the student's exceptions turned into "not implemented" (``_Missing``) or a check error."""
    try:
        return step()
    except NotImplementedError as e:
        raise _Missing(f"{where} raised NotImplementedError") from e
    except (TypeError, AttributeError) as e:
        if check.numbers:  # a + 2 where __add__ only takes Values
            raise _Missing(f"{where} raised {type(e).__name__}: {e}") from e
        raise ValueClassCheckError(f"{check.name}: {where} raised {type(e).__name__}: {e}") from e
    except RecursionError:
        raise
    except Exception as e:
        raise ValueClassCheckError(f"{check.name}: {where} raised {type(e).__name__}: {e}") from e


def _output(cls: type, out: Any, check: str, where: str) -> float:
    if not hasattr(out, "data"):
        raise ValueClassCheckError(
            f"{check}: {where} returned {out!r}, not a {cls.__name__}: does the method end with `return out`?"
        )
    return _number(out.data, "out.data", check, where)


def _central_difference(fn: Callable[..., float], xs: Sequence[float], i: int) -> float:
    """(f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h."""
    up, down = list(xs), list(xs)
    up[i] += EPS
    down[i] -= EPS
    return (fn(*up) - fn(*down)) / (2 * EPS)


def _check_form(cls: type, check: Check, form: Form, xs: Sequence[float]) -> None:
    """Forward value and every ∂out/∂leaf of ``form`` on the student's class at ``xs``."""
    where = f"{form.text} at " + ", ".join(f"{name} = {x:g}" for name, x in zip(form.leaves, xs))
    leaves = [cls(x) for x in xs]
    out = _run(check, where, lambda: form.fn(*leaves))
    actual, expected = _output(cls, out, check.name, where), form.fn(*xs)
    if not _close(actual, expected, FORWARD_TOL):
        raise ValueClassCheckError(
            f"{check.name}: {where}: the forward value is wrong\n  expected out.data = {expected!r}, got {actual!r}"
        )
    _run(check, f"backward() of {where}", out.backward)
    for i, (name, leaf) in enumerate(zip(form.leaves, leaves)):
        numeric = _central_difference(form.fn, xs, i)
        got = _number(leaf.grad, f"{name}.grad", check.name, where)
        if not _close(got, numeric, GRAD_TOL):
            raise ValueClassCheckError(
                f"{check.name}: {where}\n"
                f"  ∂out/∂{name}: expected {numeric:.6g} (central difference), got {name}.grad = {got!r}\n"
                f"  hint: {form.hints[i]}"
            )


def _probe(domain: Domain, i: int) -> float:
    """A plain point in ``domain``: 1.5 for a, −2 for b if they fit."""
    lo, hi, away = domain
    return next(x for x in (*(1.5, -2.0, 0.5, 2.5)[i:], lo) if lo <= x <= hi and abs(x) >= away)


def _run_check(cls: type, check: Check) -> str:
    """Every form of ``check`` at a plain point, then at ``POINTS`` points; the passed row's detail."""
    missing = [m for m in check.methods if getattr(cls, m, None) is None]
    if missing:
        raise _Missing(f"{cls.__name__} has no " + ", ".join(missing))
    counts = []
    for form in check.forms:
        _check_form(cls, check, form, [_probe(d, i) for i, d in enumerate(form.domains[: len(form.leaves)])])
        strategy = st.tuples(*(_points(d) for d in form.domains[: len(form.leaves)]))
        counts.append(_for_points(strategy, partial(_check_form, cls, check, form)))
    return f"{', '.join(f.text for f in check.forms)}: forward and ∂ at {1 + min(counts)} points each"


# ------------------------------------------------------------ random graphs
class _Tracer:
    """Stands in for a Value and records the checks an expression needs (``a * 3`` needs "mul_number")."""

    def __init__(self, used: set[str]) -> None:
        self.used = used

    def _record(self, name: str) -> _Tracer:
        self.used.add(name)
        return _Tracer(self.used)

    @staticmethod
    def _binary(name: str) -> Callable[[_Tracer, object], _Tracer]:
        return lambda self, other: self._record(name if isinstance(other, _Tracer) else f"{name}_number")

    __add__ = __radd__ = _binary("add")
    __sub__ = __rsub__ = _binary("sub")
    __mul__ = __rmul__ = _binary("mul")
    __truediv__ = __rtruediv__ = _binary("div")

    def __pow__(self, other: object) -> _Tracer:
        return self._record("pow_value" if isinstance(other, _Tracer) else "pow")

    def __rpow__(self, other: object) -> _Tracer:
        return self._record("rpow")

    def __neg__(self) -> _Tracer:
        return self._record("neg")

    def __abs__(self) -> _Tracer:
        return self._record("abs")

    def __getattr__(self, method: str) -> Callable[[], _Tracer]:
        return lambda: self._record(method)  # u.tanh(), u.sqrt(), …


def kinds_using(passed: Iterable[str]) -> list[OpKind]:
    """The ``OP_KINDS`` of random programs that need only the checks in ``passed``."""
    passed = set(passed)
    kinds = []
    for kind in OP_KINDS:
        used: set[str] = set()
        kind.fn(*[_Tracer(used)] * kind.arity)
        if used <= passed:
            kinds.append(kind)
    return kinds


_GRAPH = Check("random graphs", ())


def _check_graph(cls: type, program: Program, xs: Sequence[float]) -> None:
    """The program on the student's class vs on ``autograd_core.Value``: output and every input's grad."""
    where = f"the program\n{program!r}\nat " + ", ".join(f"v{i} = {x!r}" for i, x in enumerate(xs))
    reference = [Value(x) for x in xs]
    expected = build(program, reference)
    expected.backward()  # type: ignore[union-attr]
    leaves = [cls(x) for x in xs]
    out = _run(_GRAPH, where, lambda: build(program, leaves))
    actual = _output(cls, out, _GRAPH.name, where)
    if not _close(actual, float(expected), GRAPH_TOL):
        raise ValueClassCheckError(
            f"random graphs: {where}\n  expected out.data = {float(expected)!r} (autograd_core.Value), got {actual!r}"
        )
    _run(_GRAPH, f"backward() of {where}", out.backward)
    for i, (leaf, ref) in enumerate(zip(leaves, reference)):
        got = _number(leaf.grad, f"v{i}.grad", _GRAPH.name, where)
        if not _close(got, ref.grad, GRAPH_TOL):
            raise ValueClassCheckError(
                f"random graphs: {where}\n"
                f"  ∂f/∂v{i}: expected {ref.grad!r} (autograd_core.Value), got v{i}.grad = {got!r}\n"
                "  hint: every op passed on its own, so look at how backward() combines them: "
                f"a node used twice gets both shares (+=, in every op, unary ones too), and {_ORDER}"
            )


def _run_random_graphs(cls: type, passed: list[str]) -> str:
    kinds = kinds_using(passed)
    if not kinds:
        raise _Missing("no op of the random programs is among the ops that passed")

    @st.composite
    def cases(draw: st.DrawFn) -> tuple[Program, list[float]]:
        program = draw(programs(max_inputs=3, max_ops=6, kinds=kinds))
        return program, draw(input_values(program))

    n = _for_points(cases(), lambda case: _check_graph(cls, *case))
    return f"{n} programs of up to 6 ops from {', '.join(k.name for k in kinds)}, against autograd_core.Value"


def _run_deep_chain(cls: type) -> Result:
    """y = x + x + … + x, deeper than Python's recursion limit: ∂y/∂x = n + 1."""
    n = 2 * sys.getrecursionlimit()
    x = cls(0.5)
    y = x
    for _ in range(n):
        y = y + x
    try:
        y.backward()
    except RecursionError:
        return Result(
            "deep chain",
            "warning",
            f"backward() hit Python's recursion limit on a chain of {n} additions (a recursive topological "
            "sort): fine for small networks; an iterative sort (a stack) handles any depth",
        )
    where = f"y = x + x + … + x ({n} additions) at x = 0.5"
    got = _number(x.grad, "x.grad", "deep chain", where)
    if not _close(got, n + 1, GRAPH_TOL):
        raise ValueClassCheckError(
            f"deep chain: {where}\n  ∂y/∂x: expected {n + 1}, got x.grad = {got!r}\n  hint: {_WRONG_ORDER}"
        )
    return Result("deep chain", "passed", f"{n} additions, deeper than the recursion limit")


# ----------------------------------------------------------------- the checker
def _check_basics(cls: type) -> None:
    where = f"{cls.__name__}(2.0)"
    try:
        x = cls(2.0)
        data, grad = x.data, x.grad
    except Exception as e:
        raise ValueClassCheckError(f"basics: {where} raised {type(e).__name__}: {e}") from e
    if _number(data, ".data", "basics", where) != 2.0 or _number(grad, ".grad", "basics", where) != 0.0:
        raise ValueClassCheckError(
            f"basics: {where} should have .data == 2.0 and .grad == 0, got {data!r} and {grad!r}"
        )
    try:
        x.backward()
    except NotImplementedError as e:
        raise ValueClassCheckError(f"backward: not implemented ({where}.backward() raised NotImplementedError)") from e
    except Exception as e:
        raise ValueClassCheckError(f"backward: {where}.backward() raised {type(e).__name__}: {e}") from e
    if _number(x.grad, ".grad", "backward", where) != 1.0:
        raise ValueClassCheckError(
            f"backward: after x = {where}; x.backward(), x.grad should be 1 (∂x/∂x), got {x.grad!r}"
        )


def _selected(ops: Sequence[str] | None) -> tuple[str, ...]:
    if ops is None:
        return OPS
    if isinstance(ops, str):
        raise TypeError(
            f"check_value_class: ops must be a list of op names such as ['add', 'mul'], got the str {ops!r}"
        )
    unknown = [op for op in ops if op not in OPS]
    if unknown:
        raise ValueError(f"check_value_class: unknown op(s) {unknown} in ops; the ops it checks are {list(OPS)}")
    return tuple(ops)


def check_value_class(cls: type, *, ops: Sequence[str] | None = None) -> ValueClassReport:
    """Check a micrograd-style Value class op by op, then on graphs; raise ``ValueClassCheckError`` at the first error.

    ``ops``: the names (from ``OPS``) to check, all of them by default. With the default an op
    the class lacks is reported "not implemented"; an op named in ``ops`` must be there.
    """
    if not isinstance(cls, type):
        raise TypeError(f"check_value_class: cls must be a class (such as Value), got {type(cls).__name__}: {cls!r}")
    selected = _selected(ops)
    _check_basics(cls)
    results = [Result("basics", "passed", f"{cls.__name__}(2.0): .data, .grad = 0; backward() on a leaf gives grad 1")]
    for check in OP_CHECKS:
        if check.name not in selected:
            continue
        try:
            results.append(Result(check.name, "passed", _run_check(cls, check)))
        except _Missing as e:
            if ops is not None:
                raise ValueClassCheckError(f"{check.name}: not implemented ({e})") from None
            results.append(Result(check.name, "not implemented", str(e)))
    passed = [r.check for r in results if r.status == "passed"]
    for check in GRAPH_CHECKS:
        lacking = [op for op in check.after if op not in passed]
        if lacking:
            results.append(Result(check.name, "skipped", f"needs {' and '.join(lacking)}"))
            continue
        try:
            results.append(Result(check.name, "passed", _run_check(cls, check)))
        except _Missing as e:  # the ops passed alone, so a NotImplementedError here is an error
            raise ValueClassCheckError(f"{check.name}: {e}") from None
    try:
        results.append(Result("random graphs", "passed", _run_random_graphs(cls, passed)))
    except _Missing as e:
        results.append(Result("random graphs", "skipped", str(e)))
    if "add" in passed:
        results.append(_run_deep_chain(cls))
    else:
        results.append(Result("deep chain", "skipped", "needs add"))
    return ValueClassReport(cls.__name__, tuple(results))
