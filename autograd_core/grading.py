"""``check_value_class``: an autograder for a student's micrograd-style ``Value`` class.

::

    from autograd_core.testing import check_value_class

    check_value_class(Value)                               # every op it knows; missing ones: "not implemented"
    check_value_class(Value, ops=["add", "mul", "tanh"])   # these must be there
    check_value_class(Value, time_limit=20)                # a slow class: 20 s of its code per check

The class needs micrograd's interface: ``cls(number)``, ``.data``, ``.grad``, the operators
and methods it has (``a * b``, ``a.tanh()``, …) and ``backward()``. Every check builds fresh
Values, so no ``zero_grad`` is needed. In order:

1. basics: ``cls(2.0).data == 2``, ``.grad`` starts at 0, ``backward()`` on a leaf sets its grad to 1;
2. op by op: the forward value, and ∂out/∂leaf against central differences, at many points
   (drawn by hypothesis, derandomized), with different operands (a·b) and with the same one
   (a·a: a ``_backward`` that writes ``=`` where it should add with ``+=`` shows here);
3. fan-out and diamonds: a node used by two later nodes, so a wrong backward order shows;
4. random expression graphs (``testing.programs`` over the ops that passed) against ``autograd_core.Value``;
5. a deep chain: a warning, not a failure, when ``backward()`` hits the recursion limit
   (micrograd's recursive topological sort does).

The first wrong result raises ``ValueClassCheckError`` (an ``AssertionError``) naming the check,
the inputs, the expected and actual numbers and a hint; its ``report`` holds the rows so far and
the failed one. Otherwise it returns a ``ValueClassReport``. When a grad is wrong the graph is
built again with every node's ``_backward`` recorded, to say *why*: an op that never attached its
``_backward``, or a backward order that runs a node before the nodes that use it.

The student's class is run with care: every call into it is time-limited (``time_limit`` seconds
of its code per check, ``DEFAULT_TIME_LIMIT`` by default) by a ``sys.settrace`` deadline, which
works in a notebook and in Pyodide alike (no signals, no threads); its recursion is capped at
``STUDENT_DEPTH`` nested calls whatever ``sys.setrecursionlimit`` says; what it prints is kept
aside (the first ``PRINTED`` characters are shown with a failure); any exception it raises, a
time-out or a runaway recursion becomes a failed check naming the op, the exception and the
student's line. A loop inside one C call (``10 ** 10 ** 10``) cannot be interrupted this way.

For the other exercises: ``answer(fn, ...)`` calls a student's function within ``ANSWER_TIME_LIMIT``
(nbgrader's stub reported as "not written yet"), ``check_hand_grads`` compares grads worked out by
hand with ``backward()``'s and writes out the chain rule of a wrong one, and ``check_training_steps``
compares a training loop's first two steps with a reference update (unreset grads fail saying so).
"""

from __future__ import annotations

import dis
import html
import io
import math
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from time import monotonic
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any, TypeVar

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from autograd_core.engine import Value, topological_order
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
DEFAULT_TIME_LIMIT = 5.0  # seconds the student's code may run per check (a correct class needs well under 1)
ANSWER_TIME_LIMIT = 120.0  # seconds for one ``answer(fn, ...)``: Exercise 4 trains for 5–30 s (tracing doubles it)
# Nested calls the student's code may make, whatever the recursion limit. In Pyodide a recursion through an
# operator (``__rsub__`` returning ``other - self``) exhausts the WebAssembly stack after about 250 levels,
# a fatal error, so there it is 200.
STUDENT_DEPTH = 200 if sys.platform == "emscripten" else 1000
PRINTED = 1000  # characters of the student's printing shown with a failure
SHOWN = 200  # characters of a student's object or message shown in a message

if TYPE_CHECKING:
    from _typeshed import TraceFunction

T = TypeVar("T")


class ValueClassCheckError(AssertionError):
    """A wrong result of a student's Value class; the message names the check, inputs, expected, actual and a hint.

    ``check`` is the failed check's name; ``report`` the ``ValueClassReport`` of the checks so far,
    ending with the failed one (status "failed"). Both are empty when raised outside ``check_value_class``.
    """

    check: str = ""
    report: ValueClassReport | None = None


class ExerciseNotDoneError(AssertionError):
    """A check called a student's function that still raises nbgrader's stub ``NotImplementedError``."""


class ExerciseCheckError(AssertionError):
    """A student's answer to an exercise is wrong (or ran out of time); the message says what and why."""


class _Missing(Exception):
    """An op the class does not have: no method, ``NotImplementedError``, or no support for plain numbers."""


# ---------------------------------------------------------- running the student's code
class _TimedOut(BaseException):
    """Raised inside the student's code when its time is up (not an ``Exception``: ``except Exception`` lets it by)."""


class _Raised(Exception):
    """The student's code raised ``error`` in ``where``, or ran out of time (``error`` None)."""

    def __init__(self, where: str, error: BaseException | None, line: str) -> None:
        super().__init__(where)
        self.where, self.error, self.line = where, error, line

    def describe(self, time_limit: float) -> str:
        """ "timed out in …" or "… raised E: message", with the student's line and a hint."""
        if self.error is None:
            text = (
                f"timed out in {self.where}: the time limit of {time_limit:g} s for this check ran out{self.line}"
                "\n  hint: a loop that never ends? (a `while` whose condition never changes, or a walk over the "
                "graph that revisits nodes); if the code is only slow, pass a larger time_limit"
            )
        else:
            text = f"{self.where} raised {_error_text(self.error)}{self.line}"
            if isinstance(self.error, RecursionError):
                text += (
                    f"\n  hint: more than {STUDENT_DEPTH} nested calls: a method that calls itself without end? "
                    "(`__rsub__` written as `other - self` calls `__rsub__` again: write `other + (-self)`)"
                )
        return text


def _short(text: str, limit: int = SHOWN) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def _error_text(error: BaseException) -> str:
    """``TypeError: message``, the message shortened; a message that cannot be made shows as its type."""
    try:
        message = _Student(0.5).call("str() of the exception", str, error)
    except _Raised:
        message = "(its message could not be shown)"
    return f"{type(error).__name__}: {_short(message)}" if message else type(error).__name__


def _shown(x: object) -> str:
    """``repr(x)`` within half a second, shortened: a student's ``__repr__`` may loop, raise or print a novel."""
    if type(x) in (float, bool, type(None)):
        return repr(x)
    try:  # an int of 5,000 digits has no repr either
        return _short(_Student(0.5).call("repr()", repr, x))
    except _Raised:
        return f"<{type(x).__name__} object: its repr() failed>"


_OURS = (str(Path(__file__).resolve().parent), str(Path(given.__code__.co_filename).resolve().parent))


def _student_line(tb: Any) -> str:
    """The last line of the traceback that is not in autograd_core or hypothesis, as "\\n  at …"."""
    frames = [f for f in traceback.extract_tb(tb) if not f.filename.startswith(_OURS)]
    if not frames:
        return ""
    f = frames[-1]
    if len(frames) > 1 and (frames[-2].filename, frames[-2].name) == (f.filename, f.name):
        f = frames[-2]  # a runaway recursion stops at a call: show the line that makes it
    source = (f.line or "").strip()  # none for code typed into exec(), as in a browser playground
    return f"\n  at {f.name}, line {f.lineno}" + (f": {_short(source, 120)}" if source else "")


_LOOPS: dict[CodeType, int] = {}  # code → 0 no loop, 1 a loop, 2 a loop within one line


_COMPREHENSIONS = ("<genexpr>", "<listcomp>", "<setcomp>", "<dictcomp>")


def _loop_kind(code: CodeType) -> int:
    """1 if ``code`` has a loop (a backward jump), 2 if one stays within a line (Python 3.11 sends no line event).

    Comprehensions count as loop-free: a generator's every step is a call event, and a list built
    from an endless iterator ends in a ``MemoryError``; tracing their lines would double a training's time.
    """
    kind = 0 if code.co_name in _COMPREHENSIONS else _LOOPS.get(code)
    if kind is None:
        jumps = set(dis.hasjrel) | set(dis.hasjabs) | set(getattr(dis, "hasjump", ()))
        lines: dict[int, int | None] = {}
        line: int | None = None
        kind = 0
        for ins in dis.get_instructions(code):
            positions = getattr(ins, "positions", None)
            line = positions.lineno if positions is not None else (ins.starts_line or line)
            lines[ins.offset] = line
            if ins.opcode in jumps and isinstance(ins.argval, int) and ins.argval <= ins.offset:
                kind = max(kind, 2 if lines.get(ins.argval) == line else 1)
        if len(_LOOPS) > 10_000:
            _LOOPS.clear()
        _LOOPS[code] = kind
    return kind


class _Deadline:
    """Trace functions that raise ``_TimedOut`` in the traced code once ``monotonic()`` passes ``at``.

    Only frames with a loop get line events (a frame without one can only run on by calling, which
    the call events see), and a loop within one line gets opcode events.
    """

    def __init__(self, at: float) -> None:
        self.at = at

    def on_call(self, frame: FrameType, event: str, arg: Any) -> TraceFunction | None:
        if monotonic() > self.at:
            raise _TimedOut
        kind = _loop_kind(frame.f_code)
        if kind == 2:
            frame.f_trace_opcodes = True
        return self.on_line if kind else None

    def on_line(self, frame: FrameType, event: str, arg: Any) -> TraceFunction:
        if monotonic() > self.at:
            raise _TimedOut
        return self.on_line


class _Capped(io.StringIO):
    """A stream that keeps the first ``PRINTED`` characters written to it and counts the rest."""

    def __init__(self) -> None:
        super().__init__()
        self.kept: list[str] = []
        self.size = 0

    def write(self, s: str) -> int:
        room = PRINTED - sum(map(len, self.kept))
        if room > 0:
            self.kept.append(str(s)[:room])
        self.size += len(s)
        return len(s)

    def shown(self) -> str:
        """What was printed, as the last lines of a message ("" if nothing)."""
        if not self.size:
            return ""
        text = "".join(self.kept)
        more = f" (the first {PRINTED:,} of {self.size:,} characters)" if self.size > PRINTED else ""
        return f"\n  the class printed{more}:\n    " + text.rstrip().replace("\n", "\n    ")


def _depth() -> int:
    frame: FrameType | None = sys._getframe()
    n = 0
    while frame is not None:
        n, frame = n + 1, frame.f_back
    return n


@contextmanager
def _finalizers_at_the_cap() -> Iterator[None]:
    """While the student's code runs under the lowered recursion limit, a finalizer the garbage
    collector happens to run there (``__del__``, a weakref callback: anyone's, not the student's)
    can hit that limit; Python reports it as "Exception ignored in …". Such a RecursionError is
    our cap's, not a fault of the finalizer: drop it; any other report goes on as before."""
    old_hook = sys.unraisablehook

    def hook(report: Any) -> None:
        if not isinstance(report.exc_value, RecursionError):
            old_hook(report)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = old_hook


class _Student:
    """Calls into the student's code for one check: ``time_limit`` seconds in all, ``STUDENT_DEPTH`` nested calls."""

    def __init__(self, time_limit: float, *, capture: bool = True) -> None:
        self.time_limit = self.left = time_limit
        self.printed = _Capped()
        self.capture = capture

    def call(self, where: str, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)``; an exception, a time-out or a runaway recursion in it raises ``_Raised``."""
        start = monotonic()
        old_trace, old_limit = sys.gettrace(), sys.getrecursionlimit()
        try:
            with ExitStack() as stack:
                if self.capture:
                    stack.enter_context(redirect_stdout(self.printed))
                    stack.enter_context(redirect_stderr(self.printed))
                stack.enter_context(_finalizers_at_the_cap())
                sys.setrecursionlimit(min(old_limit, _depth() + STUDENT_DEPTH))
                sys.settrace(_Deadline(start + self.left).on_call)
                try:
                    return fn(*args)
                finally:
                    sys.settrace(old_trace)
                    sys.setrecursionlimit(old_limit)
        except _TimedOut as e:
            raise _Raised(where, None, _student_line(e.__traceback__)) from None
        except (Exception, SystemExit) as e:  # KeyboardInterrupt passes: the user stops the check
            raise _Raised(where, e, _student_line(e.__traceback__)) from e
        finally:
            self.left -= monotonic() - start


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
_COMBINE = (
    "every op passed on its own, so look at how backward() combines them: a node used twice gets both "
    f"shares (+=, in every op, unary ones too), and {_ORDER}"
)
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
                ("a feeds two nodes, so ∂out/∂a should be b.data + 1: both shares must add up (+=)", _COMBINE),
            ),
        ),
        after=("add", "mul"),
    ),
    Check(
        "diamonds",
        (Form("c = a * b; d = c + a; p = a + b; q = p * b; c * d + q * p", _diamonds, (_COMBINE, _COMBINE)),),
        after=("add", "mul"),
    ),
)


# ------------------------------------------------------------------- the report
STATUSES = ("passed", "not implemented", "skipped", "warning", "failed")


@dataclass(frozen=True)
class Result:
    """One row of the report: ``status`` is "passed", "not implemented", "skipped", "warning" or "failed"."""

    check: str
    status: str
    detail: str = ""


@dataclass(frozen=True)
class ValueClassReport:
    """What ``check_value_class`` found: one ``Result`` per check ("failed" only in ``ValueClassCheckError.report``)."""

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
        counts = {s: len(self.with_status(s)) for s in STATUSES}
        return f"check_value_class({self.cls_name}): " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)

    def __repr__(self) -> str:
        width = max(len(r.check) for r in self.results)
        lines = [self.summary()]
        lines += [f"  {r.check:<{width}}  {r.status:<15}  {r.detail}".rstrip() for r in self.results]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        grey = "#6e7781"
        colour = {
            "passed": "#1a7f37",
            "not implemented": grey,
            "skipped": grey,
            "warning": "#9a6700",
            "failed": "#cf222e",
        }
        rows = "".join(
            f"<tr><td><code>{html.escape(r.check)}</code></td>"
            f"<td style='color:{colour[r.status]}'><b>{html.escape(r.status)}</b></td>"
            f"<td style='text-align:left;white-space:pre-wrap'>{html.escape(r.detail)}</td></tr>"
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


class _Run:
    """One check of one class: the student's code run through ``student``, its failures as messages naming ``check``."""

    def __init__(self, cls: type, check: Check, time_limit: float) -> None:
        self.cls, self.check, self.student = cls, check, _Student(time_limit)

    def fail(self, text: str, name: str = "") -> ValueClassCheckError:
        """The check's error: ``name: text`` (the check's name by default) and what the class printed."""
        return ValueClassCheckError(f"{name or self.check.name}: {text}{self.student.printed.shown()}")

    def __call__(self, where: str, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)``: the student's exceptions become "not implemented" (``_Missing``) or a check error."""
        try:
            return self.student.call(where, fn, *args)
        except _Raised as e:
            missing = NotImplementedError
            if self.check.numbers:  # a + 2 where __add__ only takes Values
                missing = (NotImplementedError, TypeError, AttributeError)  # type: ignore[assignment]
            if isinstance(e.error, missing):
                raise _Missing(f"{where} raised {_error_text(e.error)}") from e.error
            raise self.fail(e.describe(self.student.time_limit)) from e.error

    def number(self, x: object, what: str, where: str) -> float:
        """``float(x)``: a student's data or grad may be anything."""
        try:
            return self.student.call(f"float({what})", float, x)
        except _Raised:
            raise self.fail(f"{where}: {what} is {_shown(x)}, not a number") from None

    def get(self, x: object, attribute: str, where: str) -> float:
        """``x.data`` or ``x.grad`` as a float (a property may raise or loop)."""
        value = self(f"{where}: reading .{attribute}", getattr, x, attribute)
        return self.number(value, f".{attribute}", where)

    def output(self, out: object, where: str) -> float:
        """``out.data`` of the node an op returned."""
        if not self("hasattr(out, 'data')", hasattr, out, "data"):
            raise self.fail(
                f"{where} returned {_shown(out)}, not a {self.cls.__name__}: does the method end with `return out`?"
            )
        return self.get(out, "data", where)

    def leaves(self, xs: Sequence[float]) -> list[Any]:
        return [self(f"{self.cls.__name__}({x!r})", self.cls, x) for x in xs]

    def wrong_grad(
        self, where: str, label: str, expected: float, got: float, hint: str, rebuild: Callable[[], Any]
    ) -> ValueClassCheckError:
        """The message for a wrong grad: the numbers, then why if the recorded backward pass shows it, else ``hint``."""
        why = _diagnose(self.student, self.cls, rebuild)
        if why is None and got == 0 and expected != 0:
            why = (
                f"{hint}; the grad stayed exactly 0: is the op's `_backward` attached to its output "
                "(`out._backward = _backward` before `return out`), and does backward() call it?"
            )
        return self.fail(f"{where}\n  {label} = {got!r}\n  hint: {why or hint}")


def _check_form(run: _Run, form: Form, xs: Sequence[float]) -> None:
    """Forward value and every ∂out/∂leaf of ``form`` on the student's class at ``xs``."""
    where = f"{form.text} at " + ", ".join(f"{name} = {x:g}" for name, x in zip(form.leaves, xs))
    leaves = run.leaves(xs)
    out = run(where, form.fn, *leaves)
    actual, expected = run.output(out, where), form.fn(*xs)
    if not _close(actual, expected, FORWARD_TOL):
        raise run.fail(f"{where}: the forward value is wrong\n  expected out.data = {expected!r}, got {actual!r}")
    run(f"backward() of {where}", out.backward)
    for i, (name, leaf) in enumerate(zip(form.leaves, leaves)):
        numeric = _central_difference(form.fn, xs, i)
        got = run.get(leaf, "grad", f"{where}: {name}")
        if not _close(got, numeric, GRAD_TOL):
            label = f"∂out/∂{name}: expected {numeric:.6g} (central difference), got {name}.grad"
            raise run.wrong_grad(where, label, numeric, got, form.hints[i], lambda: form.fn(*map(run.cls, xs)))


def _central_difference(fn: Callable[..., float], xs: Sequence[float], i: int) -> float:
    """(f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h."""
    up, down = list(xs), list(xs)
    up[i] += EPS
    down[i] -= EPS
    return (fn(*up) - fn(*down)) / (2 * EPS)


def _probe(domain: Domain, i: int) -> float:
    """A plain point in ``domain``: 1.5 for a, −2 for b if they fit."""
    lo, hi, away = domain
    return next(x for x in (*(1.5, -2.0, 0.5, 2.5)[i:], lo) if lo <= x <= hi and abs(x) >= away)


def _run_check(run: _Run) -> str:
    """Every form of the check at a plain point, then at ``POINTS`` points; the passed row's detail."""
    check, cls = run.check, run.cls
    missing = [m for m in check.methods if getattr(cls, m, None) is None]
    if missing:
        raise _Missing(f"{cls.__name__} has no " + ", ".join(missing))
    counts = []
    for form in check.forms:
        domains = form.domains[: len(form.leaves)]
        _check_form(run, form, [_probe(d, i) for i, d in enumerate(domains)])
        counts.append(_for_points(st.tuples(*map(_points, domains)), partial(_check_form, run, form)))
    return f"{', '.join(f.text for f in check.forms)}: forward and ∂ at {1 + min(counts)} points each"


# ------------------------------------------------------- why a grad came out wrong
def _diagnose(student: _Student, cls: type, rebuild: Callable[[], Any]) -> str | None:
    """Build the graph again and record the order of ``backward()``'s ``_backward`` calls: what went wrong, if it shows.

    Needs micrograd's ``_prev`` and ``_backward`` attributes; None if the class has other names, or nothing shows.
    """
    try:
        return student.call("recording the backward pass", _recorded_mistake, cls, rebuild)
    except _Raised:
        return None


def _parents(v: Any) -> list[Any]:
    return list(v._prev)


def _node(v: Any) -> str:
    """A node as a student can find it: ``the node a * b (data = -3)``."""
    op = getattr(v, "_op", "")
    data = v.data
    number = f"{data:g}" if isinstance(data, (int, float)) else _short(repr(data), 40)
    return f"the node {'made by ' + repr(op) + ' ' if isinstance(op, str) and op else ''}with data = {number}"


def _recorded_mistake(cls: type, rebuild: Callable[[], Any]) -> str | None:
    default = getattr(getattr(cls(0.0), "_backward", None), "__code__", None)
    out = rebuild()
    nodes, stack, seen = [], [out], set()
    while stack:  # every node, through _prev
        v = stack.pop()
        if id(v) not in seen:
            seen.add(id(v))
            nodes.append(v)
            stack.extend(_parents(v))
    inner = [v for v in nodes if _parents(v)]
    kept = [v for v in inner if default is not None and getattr(v._backward, "__code__", None) is default]
    if kept:
        return (
            f"{_node(kept[0])} still has the do-nothing `_backward` of a leaf, so its grad never reaches its "
            "operands: did its op forget `out._backward = _backward` before `return out`?"
        )
    calls: list[Any] = []
    for v in inner:
        v._backward = partial(_recording, calls, v, v._backward)
    out.backward()
    return _order_mistake(out, inner, calls)


def _recording(calls: list[Any], v: Any, backward: Callable[[], object]) -> object:
    calls.append(v)
    return backward()


def _order_mistake(out: Any, inner: list[Any], calls: list[Any]) -> str | None:
    """What is wrong with the order in which ``backward()`` called the inner nodes' ``_backward``, if anything."""
    position: dict[int, int] = {}
    for k, v in enumerate(calls):
        if id(v) in position:
            return f"the `_backward` of {_node(v)} ran twice: each node's must run once ({_ORDER})"
        position[id(v)] = k
    never = [v for v in inner if id(v) not in position]
    if never:
        return f"the `_backward` of {_node(never[0])} never ran: the order must hold every node reached through `_prev`"
    edges = [(p, u) for u in inner for p in _parents(u) if id(p) in position]
    early = [(p, u) for p, u in edges if position[id(p)] < position[id(u)]]
    if not early:
        return None
    if len(early) == len(edges):
        return (
            "backward() ran the nodes in topological order, inputs first and the output last: run them in "
            "reverse (`for v in reversed(order)`), so that each node's grad is complete before its `_backward` "
            "passes it on"
        )
    if calls[0] is not out:
        return (
            f"the output's own `_backward` ran after {position[id(out)]} other node(s): it must run first, its grad "
            f"(∂out/∂out = 1) is the only one known at the start; {_ORDER}"
        )
    p, u = early[0]
    return (
        f"the `_backward` of {_node(p)} ran before that of {_node(u)}, which uses it, so it passed on a grad "
        f"that still lacked a share: {_ORDER}"
    )


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


def _check_graph(run: _Run, program: Program, xs: Sequence[float]) -> None:
    """The program on the student's class vs on ``autograd_core.Value``: output and every input's grad."""
    where = f"the program\n{program!r}\nat " + ", ".join(f"v{i} = {x!r}" for i, x in enumerate(xs))
    reference = [Value(x) for x in xs]
    expected = build(program, reference)
    expected.backward()  # type: ignore[union-attr]
    leaves = run.leaves(xs)
    out: Any = run(where, build, program, leaves)
    actual = run.output(out, where)
    if not _close(actual, float(expected), GRAPH_TOL):
        raise run.fail(f"{where}\n  expected out.data = {float(expected)!r} (autograd_core.Value), got {actual!r}")
    run(f"backward() of {where}", out.backward)
    for i, (leaf, ref) in enumerate(zip(leaves, reference)):
        got = run.get(leaf, "grad", f"{where}: v{i}")
        if not _close(got, ref.grad, GRAPH_TOL):
            label = f"∂f/∂v{i}: expected {ref.grad!r} (autograd_core.Value), got v{i}.grad"
            raise run.wrong_grad(where, label, ref.grad, got, _COMBINE, lambda: build(program, list(map(run.cls, xs))))


def _run_random_graphs(run: _Run, passed: list[str]) -> str:
    kinds = kinds_using(passed)
    if not kinds:
        raise _Missing("no op of the random programs is among the ops that passed")

    @st.composite
    def cases(draw: st.DrawFn) -> tuple[Program, list[float]]:
        program = draw(programs(max_inputs=3, max_ops=6, kinds=kinds))
        return program, draw(input_values(program))

    n = _for_points(cases(), lambda case: _check_graph(run, *case))
    return f"{n} programs of up to 6 ops from {', '.join(k.name for k in kinds)}, against autograd_core.Value"


def _chain(x: Any, n: int) -> Any:
    y = x
    for _ in range(n):
        y = y + x
    return y


def _run_deep_chain(run: _Run) -> Result:
    """y = x + x + … + x, deeper than the student's code may nest calls: ∂y/∂x = n + 1."""
    n = 2 * STUDENT_DEPTH
    where = f"y = x + x + … + x ({n} additions) at x = 0.5"
    (x,) = run.leaves([0.5])
    y = run(f"building {where}", _chain, x, n)
    try:
        run.student.call(f"backward() of {where}", y.backward)
    except _Raised as e:
        if not isinstance(e.error, RecursionError):
            raise run.fail(e.describe(run.student.time_limit)) from e.error
        return Result(
            "deep chain",
            "warning",
            f"backward() hit the recursion limit on a chain of {n} additions (a recursive topological sort; "
            f"the checks allow {STUDENT_DEPTH} nested calls): fine for small networks; an iterative sort "
            "(a stack) handles any depth",
        )
    got = run.get(x, "grad", where)
    if not _close(got, n + 1, GRAPH_TOL):
        label = f"∂y/∂x: expected {n + 1}, got x.grad"
        raise run.wrong_grad(where, label, n + 1, got, _COMBINE, lambda: _chain(run.cls(0.5), 20))
    return Result("deep chain", "passed", f"{n} additions, deeper than the {STUDENT_DEPTH} nested calls allowed")


# ----------------------------------------------------------------- the checker
_BASICS = Check("basics", ())
_DEEP = Check("deep chain", ())


def _check_basics(run: _Run) -> None:
    where = f"{run.cls.__name__}(2.0)"
    (x,) = run.leaves([2.0])
    data, grad = run.get(x, "data", where), run.get(x, "grad", where)
    if data != 2.0 or grad != 0.0:
        raise run.fail(f"{where} should have .data == 2.0 and .grad == 0, got {data!r} and {grad!r}")
    try:
        run.student.call(f"{where}.backward()", x.backward)
    except _Raised as e:
        if isinstance(e.error, NotImplementedError):
            raise run.fail(f"not implemented ({where}.backward() raised NotImplementedError)", "backward") from e
        raise run.fail(e.describe(run.student.time_limit), "backward") from e.error
    grad = run.get(x, "grad", where)
    if grad != 1.0:
        raise run.fail(f"after x = {where}; x.backward(), x.grad should be 1 (∂x/∂x), got {grad!r}", "backward")


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


def _seconds(time_limit: object, name: str) -> float:
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)):
        raise TypeError(
            f"{name}: time_limit must be a number of seconds, got {type(time_limit).__name__}: {time_limit!r}"
        )
    if not 0 < time_limit < math.inf:
        raise ValueError(f"{name}: time_limit must be a positive number of seconds, got {time_limit!r}")
    return float(time_limit)


class _Checker:
    """The rows of one ``check_value_class`` call, and the failure that ends it."""

    def __init__(self, cls: type, ops: Sequence[str] | None, time_limit: float) -> None:
        self.cls, self.ops, self.time_limit = cls, ops, time_limit
        self.results: list[Result] = []

    def run(self, check: Check, step: Callable[[_Run], str | Result]) -> bool:
        """Run one check into a row (``step`` gives the passed row's detail, or the row): False if not passed."""
        try:
            row = step(_Run(self.cls, check, self.time_limit))
            self.results.append(row if isinstance(row, Result) else Result(check.name, "passed", row))
            return self.results[-1].status == "passed"
        except _Missing as e:
            if check in OP_CHECKS and self.ops is None:
                self.results.append(Result(check.name, "not implemented", str(e)))
                return False
            if check is _GRAPH:
                self.results.append(Result(check.name, "skipped", str(e)))
                return False
            prefix = "not implemented (" if check in OP_CHECKS else ""  # graph checks: the ops passed alone
            error = ValueClassCheckError(f"{check.name}: {prefix}{e}{')' if prefix else ''}")
            raise self.failed(error, check.name) from e.__cause__
        except ValueClassCheckError as e:
            raise self.failed(e, check.name) from e.__cause__

    def failed(self, error: ValueClassCheckError, check: str) -> ValueClassCheckError:
        error.check = check
        error.report = ValueClassReport(self.cls.__name__, (*self.results, Result(check, "failed", str(error))))
        return error


def check_value_class(
    cls: type, *, ops: Sequence[str] | None = None, time_limit: float = DEFAULT_TIME_LIMIT
) -> ValueClassReport:
    """Check a micrograd-style Value class op by op, then on graphs; raise ``ValueClassCheckError`` at the first error.

    ``ops``: the names (from ``OPS``) to check, all of them by default. With the default an op
    the class lacks is reported "not implemented"; an op named in ``ops`` must be there.
    ``time_limit``: seconds the class's code may run in each check (``DEFAULT_TIME_LIMIT``, 5 s;
    a correct class needs well under 1 s), after which the check fails "timed out in …".
    """
    if not isinstance(cls, type):
        raise TypeError(f"check_value_class: cls must be a class (such as Value), got {type(cls).__name__}: {cls!r}")
    selected = _selected(ops)
    checker = _Checker(cls, ops, _seconds(time_limit, "check_value_class"))

    def basics(run: _Run) -> str:
        _check_basics(run)
        return f"{cls.__name__}(2.0): .data, .grad = 0; backward() on a leaf gives grad 1"

    checker.run(_BASICS, basics)
    passed = [check.name for check in OP_CHECKS if check.name in selected and checker.run(check, _run_check)]
    for check in GRAPH_CHECKS:
        lacking = [op for op in check.after if op not in passed]
        if lacking:
            checker.results.append(Result(check.name, "skipped", f"needs {' and '.join(lacking)}"))
        else:
            checker.run(check, _run_check)
    checker.run(_GRAPH, partial(_run_random_graphs, passed=passed))
    if "add" in passed:
        checker.run(_DEEP, _run_deep_chain)
    else:
        checker.results.append(Result("deep chain", "skipped", "needs add"))
    return ValueClassReport(cls.__name__, tuple(checker.results))


# ------------------------------------------------------------------ the exercises
def answer(fn: Callable[..., T], /, *args: Any, time_limit: float = ANSWER_TIME_LIMIT, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` inside a check, within ``time_limit`` seconds (``ANSWER_TIME_LIMIT``).

    The stub ``raise NotImplementedError()`` becomes ``ExerciseNotDoneError`` saying so, a time-out
    ``ExerciseCheckError`` naming the line it was stuck at; other exceptions pass unchanged.
    """
    name = getattr(fn, "__qualname__", type(fn).__qualname__)
    student = _Student(_seconds(time_limit, "answer"), capture=False)
    try:
        return student.call(f"{name}()", partial(fn, *args, **kwargs))
    except _Raised as e:
        if e.error is None:
            raise ExerciseCheckError(e.describe(student.time_limit)) from None
        if isinstance(e.error, NotImplementedError):
            raise ExerciseNotDoneError(
                f"{name} is not written yet: replace `raise NotImplementedError()` in it with your code"
            ) from e.error
        raise e.error from None


def _name(v: Value) -> str:
    return v.label or f"({v.op or 'leaf'} = {v.data:.6g})"


def check_hand_grads(hand: object, nodes: dict[str, Value], output: Value) -> None:
    """Compare ``hand`` (∂output/∂node by node name) with ``backward()``; a wrong number is shown with its chain rule.

    The message for a wrong ∂L/∂a writes out ∂L/∂a = Σ ∂L/∂u · ∂u/∂a over the nodes u that use a,
    with the numbers, and names the likely slip (a missing share, the local derivative alone, the sign).
    """
    out = output.label or "output"
    if not isinstance(hand, dict):
        raise ExerciseCheckError(f"expected a dict of grads by node name, like {{'a': 6.0, …}}, got {_shown(hand)}")
    output.zero_grad()
    output.backward()
    for name, node in nodes.items():
        if name not in hand:
            raise ExerciseCheckError(f"no answer for ∂{out}/∂{name}: add the key {name!r}")
        mine = hand[name]
        if isinstance(mine, bool) or not isinstance(mine, (int, float)):
            raise ExerciseCheckError(f"∂{out}/∂{name}: {_shown(mine)} is not a number")
        if not math.isclose(mine, node.grad, rel_tol=1e-9, abs_tol=1e-12):
            raise ExerciseCheckError(_hand_grad_message(output, node, name, float(mine)))
    print(f"all {len(nodes)} gradients match backward()")


def _hand_grad_message(output: Value, node: Value, name: str, mine: float) -> str:
    """∂L/∂name: yours and backward()'s, the chain-rule sum that gives backward()'s, and the likely slip."""
    out = output.label or "output"
    lines = [f"∂{out}/∂{name}: you have {mine!r}, backward() gets {node.grad!r}"]
    terms = [(u, d) for u in topological_order(output) for p, d in zip(u.parents, u.local_grads) if p is node]
    if not terms:
        return "\n".join([*lines, f"  {name} is the output: ∂{out}/∂{out} = 1, where the walk starts"])
    symbols = " + ".join(f"∂{out}/∂{_name(u)} · ∂{_name(u)}/∂{name}" for u, _ in terms)
    numbers = " + ".join(f"{u.grad:.6g} × {d:.6g}" for u, d in terms)
    feeds = ", ".join(dict.fromkeys(_name(u) for u, _ in terms))
    lines.append(f"  {name} feeds {feeds}: ∂{out}/∂{name} = {symbols} = {numbers} = {node.grad:.6g}")
    slip = _hand_slip(terms, mine, node.grad, name, out)
    return "\n".join([*lines, f"  hint: {slip}"] if slip else lines)


def _hand_slip(terms: list[tuple[Value, float]], mine: float, right: float, name: str, out: str) -> str | None:
    def near(x: float) -> bool:
        return math.isclose(mine, x, rel_tol=1e-6, abs_tol=1e-12)

    if near(-right):
        return "the sign is off"
    if len(terms) > 1 and any(near(u.grad * d) for u, d in terms):
        return f"that is one share only: {name} feeds {len(terms)} nodes, and the shares add up (+=)"
    for u, d in terms:
        if near(d) and not near(u.grad * d):
            return f"that is ∂{_name(u)}/∂{name} alone: multiply it by ∂{out}/∂{_name(u)} = {u.grad:.6g}"
        if near(u.grad) and not near(u.grad * d):
            return f"that is ∂{out}/∂{_name(u)}: multiply it by the local derivative ∂{_name(u)}/∂{name} = {d:.6g}"
    return None


# --------------------------------------------------------- Exercise 4: one training step
def _mse(outputs: Sequence[Any], y: Sequence[float]) -> Any:
    """C = (1/n) Σ (a − y)², with the student's Values."""
    return sum((a - t) ** 2 for a, t in zip(outputs, y)) * (1 / len(outputs))


def _reference_steps(
    model: Any, X: Sequence[Any], y: Sequence[float], steps: int, eta: float, reset: bool
) -> tuple[list[float], list[list[float]]]:
    """``steps`` steps of gradient descent (grads reset before each backward(), or not): the costs and parameters."""
    params = model.parameters()
    costs, after = [], []
    for _ in range(steps):
        C = _mse([model(x) for x in X], y)
        if reset:
            for p in params:
                p.grad = 0.0
        C.backward()
        for p in params:
            p.data -= eta * p.grad
        costs.append(float(C.data))
        after.append([float(p.data) for p in params])
    return costs, after


def _same(xs: Sequence[float], ys: Sequence[float]) -> bool:
    return len(xs) == len(ys) and all(math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-10) for a, b in zip(xs, ys))


_STEP = "one step is: forward (C), every p.grad = 0, C.backward(), then p.data -= eta * p.grad for every parameter"


def _step_mistake(start: list[float], got: list[float], want: list[float], n: int) -> str:
    """What the student's first step did instead of ``start → want``."""
    if _same(got, start):
        return (
            "the parameters did not move: after C.backward(), update each one with p.data -= eta * p.grad "
            "(and reset the grads before backward(), not between backward() and the update)"
        )
    d_got = [g - s for g, s in zip(got, start)]
    d_want = [w - s for w, s in zip(want, start)]
    k = sum(a * b for a, b in zip(d_got, d_want)) / (sum(b * b for b in d_want) or 1.0)
    if _same(d_got, [k * b for b in d_want]):
        if math.isclose(k, -1.0, rel_tol=1e-6):
            return "the parameters moved up the gradient: subtract it, p.data -= eta * p.grad"
        if math.isclose(k, n, rel_tol=1e-6):
            return f"each step is n = {n} times too large: the cost is the mean (1/n) Σ (a − y)², not the sum"
        return f"each parameter moved {k:.4g} times the step −η·∂C/∂w: use the given eta, and C = (1/n) Σ (a − y)²"
    i = next(i for i, (g, w) in enumerate(zip(got, want)) if not math.isclose(g, w, rel_tol=1e-7, abs_tol=1e-10))
    return (
        f"parameter {i} of model.parameters() is {got[i]!r} after one step, the reference update gives "
        f"{want[i]!r}: {_STEP}"
    )


def _costs(costs: object, steps: int) -> list[float]:
    if not isinstance(costs, list) or len(costs) != steps:
        raise ExerciseCheckError(
            f"train(..., steps={steps}) should return a list of {steps} costs, got {_shown(costs)}"
        )
    if not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in costs):
        raise ExerciseCheckError(f"the costs should be numbers (C.data), got {_shown(costs)}")
    return [float(c) for c in costs]


def check_training_steps(
    train: Callable[..., Any],
    model: Any,
    X: Sequence[Any],
    y: Sequence[float],
    *,
    eta: float,
    time_limit: float = ANSWER_TIME_LIMIT,
) -> None:
    """``train(model, X, y, steps, eta)`` for one and for two steps against a reference update of the same model.

    The reference: C = (1/n) Σ (model(x) − y)², every p.grad = 0, C.backward(), p.data -= η·p.grad.
    After one step the costs and parameters must match; after two, a ``train`` that never resets the
    grads (step 2 then uses ∂C/∂w of both steps) fails with a message saying so. The parameters are
    put back afterwards.
    """
    params = model.parameters()
    start = [p.data for p in params]

    def restore() -> list[float]:
        now = [p.data for p in params]
        for p, x in zip(params, start):
            p.data, p.grad = x, 0.0
        return now

    ref_costs, ref_after = _reference_steps(model, X, y, 2, eta, reset=True)
    restore()
    stale_after = _reference_steps(model, X, y, 2, eta, reset=False)[1]
    restore()
    costs = _costs(answer(train, model, X, y, steps=1, eta=eta, time_limit=time_limit), 1)
    got = restore()
    if not _same(got, ref_after[0]):
        raise ExerciseCheckError(f"after one step of train: {_step_mistake(start, got, ref_after[0], len(X))}")
    if not math.isclose(costs[0], ref_costs[0], rel_tol=1e-7):
        when = " (that is the cost after the update: record C.data of the step's forward pass)"
        raise ExerciseCheckError(
            f"the cost of step 1 is {costs[0]!r}, C = (1/n) Σ (a − y)² at the start is {ref_costs[0]!r}"
            + (when if math.isclose(costs[0], ref_costs[1], rel_tol=1e-7) else "")
        )
    _costs(answer(train, model, X, y, steps=2, eta=eta, time_limit=time_limit), 2)
    got = restore()
    if _same(got, ref_after[1]):
        return
    if _same(got, stale_after[1]):
        raise ExerciseCheckError(
            "the grads were not reset: step 1 matches the reference update, but step 2 moved the parameters by "
            "η·(∂C/∂w of step 1 + ∂C/∂w of step 2), since backward() adds to p.grad. Set every p.grad = 0 "
            "before C.backward() in each step"
        )
    raise ExerciseCheckError(f"step 1 matches the reference update but step 2 does not: {_STEP}")
