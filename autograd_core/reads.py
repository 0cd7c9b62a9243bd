"""Watching number reads: when code reads the number out of a Value that depends on some inputs.

A derivative flows only along the graph. Code that reads the *number* out of a Value —
``x.data``, ``float(x)`` (``math.exp(x)`` calls it), ``int(x)``, ``round(x)``,
``format(x, ".3f")``, ``bool(x)``, the comparisons ``< <= > >=`` — steps off the graph:
what it computes from that number carries no derivative, and a graph built after a
branch on it is only right for inputs on the same side. ``watch_reads(inputs, on_read)``
calls ``on_read(read)`` for each such read, while the block runs, of a Value that depends
on one of ``inputs``:

* ``compile_batch`` traces ``f`` once; a read means the graph may differ for other
  examples (or other parameter values), so it refuses with ``GraphDependsOnDataError``.
* ``grad``, ``value_and_grad``, ``hessian``, ``jvp`` and ``gradcheck`` warn
  (``DerivativeLostWarning``) when ``f`` converts an input-dependent Value to a plain
  number with ``float()``, ``int()`` or ``round()``. Reading ``.data`` does not warn there:
  it is how your own op computes its value (``Value(x.data**3, parents=(x,), …)``);
  comparisons do not warn either (a piecewise function branches on them).

The rule for library code: a read whose caller is a module of ``autograd_core`` or ``nn``
is not reported. Those packages read numbers to compute an op node's own value and local
derivatives (``nn.losses``), which is how the graph is built, not a step off it. The
caller is the first frame outside ``autograd_core.engine``; the report names its file and
line, or, when it is in the standard library (``statistics.fmean`` calls ``float``), the
line that called into it. Watches are local to the thread (and asyncio task); with no
watch on anywhere a read costs one test of a module global.
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import FrameType
from typing import Any

from autograd_core import engine
from autograd_core.engine import Value

KINDS = frozenset({"data", "float", "int", "round", "format", "bool", "<", "<=", ">", ">="})
CONVERSIONS = frozenset({"float", "int", "round"})  # what turns a Value into a plain number
_LIBRARY = ("autograd_core", "nn")


@dataclass(frozen=True)
class Read:
    """One read of a number: the Value, how it was read (``"data"``, ``"float"``, ``"<"``, …)
    and where (the caller's file and line)."""

    value: Value
    kind: str
    filename: str
    lineno: int

    @property
    def where(self) -> str:
        """``file.py:12``."""
        return f"{self.filename}:{self.lineno}"

    @property
    def how(self) -> str:
        """The read as code: ``x.data``, ``float(x)``, ``x < …``."""
        if self.kind == "data":
            return "x.data"
        if self.kind in ("float", "int", "round", "bool", "format"):
            return f"{self.kind}(x)"
        return f"x {self.kind} …"


class _Watch:
    """The Values whose dependents are watched, the kinds of read reported, and the callback."""

    def __init__(self, inputs: Iterable[Value], on_read: Callable[[Read], None], kinds: Collection[str]) -> None:
        self.inputs = {id(v): v for v in inputs}
        self.on_read = on_read
        self.kinds = kinds
        self.known: dict[int, tuple[Value, bool]] = {}  # id → (the Value, kept alive; depends?)

    def depends(self, v: Value) -> bool:
        """True if ``v`` is one of the inputs or is computed from one (a walk up the parents, memoised)."""
        known, inputs = self.known, self.inputs
        stack = [v]
        while stack:
            u = stack[-1]
            if id(u) in known:
                stack.pop()
                continue
            if id(u) in inputs:
                known[id(u)] = (u, True)
                stack.pop()
                continue
            parents = u.parents
            pending = [p for p in parents if id(p) not in known]
            if pending:
                stack += pending
                continue
            known[id(u)] = (u, any(known[id(p)][1] for p in parents))
            stack.pop()
        return known[id(v)][1]


_watches: ContextVar[tuple[_Watch, ...]] = ContextVar("autograd_core_read_watches", default=())
_active = 0  # watches on in any thread: the engine's hook is set while this is > 0
_active_lock = threading.Lock()


_STDLIB = os.path.dirname(os.__file__) + os.sep  # the standard library (os lives there)


def _caller() -> FrameType | None:
    """The frame that read the number: the first one outside the engine (None for library code)."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__") == "autograd_core.engine":
        frame = frame.f_back
    if frame is None:
        return None
    package = str(frame.f_globals.get("__name__", "")).partition(".")[0]
    return None if package in _LIBRARY else frame


def _in_stdlib(filename: str) -> bool:
    """True for the standard library's own files (not packages installed beside it)."""
    return filename.startswith(_STDLIB) and "-packages" + os.sep not in filename[len(_STDLIB) :]


def _users_line(frame: FrameType) -> FrameType:
    """The frame to name: past the standard library (``statistics.fmean`` calling ``float``), the caller's."""
    while _in_stdlib(frame.f_code.co_filename) and frame.f_back is not None:
        frame = frame.f_back
    return frame


def _on_read(v: Value, kind: str) -> None:
    """The engine's hook: report the read to each watch of this context that cares."""
    watches = [w for w in _watches.get() if kind in w.kinds]
    if not watches:
        return
    frame = _caller()
    if frame is None:
        return
    for w in watches:
        if w.depends(v):
            line = _users_line(frame)
            w.on_read(Read(v, kind, line.f_code.co_filename, line.f_lineno))


@contextmanager
def watch_reads(
    inputs: Iterable[Value], on_read: Callable[[Read], None], *, kinds: Collection[str] = KINDS
) -> Iterator[None]:
    """Inside the block, ``on_read(read)`` is called for every read of a kind in ``kinds``, by
    code outside ``autograd_core`` and ``nn``, of a Value that is one of ``inputs`` or is
    computed from one. ``on_read`` may raise: the error comes out of the read."""
    global _active
    unknown = set(kinds) - KINDS
    if unknown:
        raise ValueError(f"watch_reads(kinds): unknown kinds {sorted(unknown)}; the kinds are {sorted(KINDS)}")
    token = _watches.set((*_watches.get(), _Watch(inputs, on_read, frozenset(kinds))))
    with _active_lock:
        _active += 1
        engine._read_hook = _on_read
    try:
        yield
    finally:
        with _active_lock:
            _active -= 1
            if not _active:
                engine._read_hook = None
        _watches.reset(token)


# ------------------------------------------------- derivatives: warn on conversions
class DerivativeLostWarning(UserWarning):
    """A Value that depends on the inputs was turned into a plain number while differentiating
    (``math.exp(x)`` calls ``float(x)``): nothing computed from that number has a derivative."""


_seen: ContextVar[list[Read] | None] = ContextVar("autograd_core_conversions_seen", default=None)

_SUGGEST = {
    "float": "math.exp(x), math.log(x), math.sin(x) … call float(x): use x.exp(), x.log() … instead",
    "int": "int(x) cuts the derivative: keep x a Value",
    "round": "round(x) is flat almost everywhere: keep x a Value",
}


_registry: dict[Any, Any] = {}  # the warnings module's "once per location" memory for these warnings


def _warn(name: str, read: Read) -> None:
    seen = _seen.get()
    if seen is not None:
        seen.append(read)
    warnings.warn_explicit(
        f"{name}(f): {read.how} at {read.where} turns a Value computed from the inputs into a plain number, "
        f"so no derivative flows through what is computed from it ({_SUGGEST[read.kind]})",
        DerivativeLostWarning,
        read.filename,
        read.lineno,
        registry=_registry,
    )


def call_watched(f: Callable[..., Any], inputs: Sequence[Value], name: str) -> Any:
    """``f(*inputs)``, warning (``DerivativeLostWarning``) for each ``float()``, ``int()`` or
    ``round()`` of a Value computed from ``inputs``; ``name`` (``"grad"``) heads the warning."""
    with watch_reads(inputs, lambda read: _warn(name, read), kinds=CONVERSIONS):
        return f(*inputs)


@contextmanager
def conversions_seen() -> Iterator[list[Read]]:
    """The list of conversions ``call_watched`` warned about inside the block (for gradcheck)."""
    seen: list[Read] = []
    token = _seen.set(seen)
    try:
        yield seen
    finally:
        _seen.reset(token)


def likely_cause(seen: Sequence[Read]) -> str:
    """A sentence naming the first conversion seen, for an error message ('' if none)."""
    if not seen:
        return ""
    r = seen[0]
    return (
        f"\nLikely cause: f calls {r.how} at {r.where} on a Value computed from the inputs, which turns it into "
        f"a plain number, so backprop cannot see that part of f ({_SUGGEST[r.kind]})."
    )
