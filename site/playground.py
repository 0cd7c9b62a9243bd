"""The playground's Python side: run the code from the page's editor, return what the page shows.

The page (``app.js``) calls ``run(code)`` and ``check(code)`` in Pyodide; each returns
JSON text. The code's convention: it ends with ``root = <a Value>`` (or with an
expression that is a Value), or it defines ``f``, a function of Values, and ``xs``, the
point: then the page draws ``f`` at ``xs`` with leaves named after ``f``'s parameters.
**gradcheck** needs ``f`` and ``xs``. Only the public API of ``autograd_core`` is used,
so this runs the same in CPython (the browser test compares the two).
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import io
import json
import linecache
import re
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from autograd_core import BackpropStepper, Graph, Value, draw_graph, grad, gradcheck, numerical_grad

FILENAME = "<your code>"
ATOL = RTOL = 1e-5  # gradcheck's defaults, used for the per-input table
GRAPH_LABEL = re.compile(r"\t(?:\w+=\S+ )*label=<.*>(?: \w+=\S+)*\n?", re.DOTALL)  # the graph's own label line


class PlaygroundError(Exception):
    """The code ran but did not say what to draw or check; the message says how."""


def execute(code: str, out: io.StringIO) -> tuple[dict[str, Any], Any]:
    """Run ``code`` in a fresh namespace, printing to ``out``: the namespace and the value of a last bare expression."""
    tree = ast.parse(code, FILENAME)  # a SyntaxError names the line
    linecache.cache[FILENAME] = (len(code), None, code.splitlines(keepends=True), FILENAME)  # tracebacks show lines
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    namespace: dict[str, Any] = {"__name__": "__main__"}
    with contextlib.redirect_stdout(out):
        exec(compile(tree, FILENAME, "exec"), namespace)
        if last is None:
            return namespace, None
        return namespace, eval(compile(ast.Expression(last.value), FILENAME, "eval"), namespace)


def function_and_point(namespace: dict[str, Any]) -> tuple[Callable[..., Value], list[float]] | None:
    """``f`` and ``xs`` from the code, or None when it defines neither; PlaygroundError when half is there."""
    f, xs = namespace.get("f"), namespace.get("xs")
    if f is None and xs is None:
        return None
    if not callable(f):
        raise PlaygroundError(f"f must be a function of Values (xs is defined), got {type(f).__name__}: {f!r}")
    if isinstance(xs, (int, float)):
        xs = [xs]
    if not isinstance(xs, Sequence) or not xs:
        raise PlaygroundError(f"xs must be a list of numbers, the point where f is evaluated; got {xs!r}")
    return f, list(xs)


def leaf_names(f: Callable[..., Value], n: int) -> list[str]:
    """The names of ``f``'s first ``n`` parameters (x0, x1, … where it has none, e.g. ``*args``)."""
    try:
        params = [
            p.name
            for p in inspect.signature(f).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    return params[:n] if len(params) >= n else [f"x{i}" for i in range(n)]


def find_root(namespace: dict[str, Any], last: Any) -> Value:
    """``root``; else the last expression; else ``f`` called on labelled leaves at ``xs``."""
    if isinstance(namespace.get("root"), Value):
        return namespace["root"]
    if "root" in namespace:
        root = namespace["root"]
        raise PlaygroundError(f"root must be a Value, got {type(root).__name__}: {root!r}")
    if isinstance(last, Value):
        return last
    found = function_and_point(namespace)
    if found is None:
        raise PlaygroundError(
            "nothing to draw: end your code with root = <a Value> (or an expression that is a Value), "
            "or define f (a function of Values) and xs (the point)"
        )
    f, xs = found
    root = f(*[Value(x, name) for x, name in zip(xs, leaf_names(f, len(xs)))])
    if not isinstance(root, Value):
        raise PlaygroundError(f"f must return a Value, got {type(root).__name__}: {root!r}")
    return root


def error_text(e: BaseException) -> str:
    """The exception as Python prints it, with only the frames of the user's code (not the engine's or the page's)."""
    if isinstance(e, (SyntaxError, PlaygroundError)):
        return "".join(traceback.format_exception_only(type(e), e))
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == FILENAME]
    lines = traceback.StackSummary.from_list(frames).format()  # "[Previous line repeated …]" for a deep recursion
    head = ["Traceback (most recent call last):\n", *lines] if frames else []
    return "".join([*head, *traceback.format_exception_only(type(e), e)])


def without_caption(graph: Graph, caption: str) -> str:
    """The DOT text of a step's frame without the caption under the graph: the page shows it above, in a
    box of fixed height, so the drawing keeps its size from step to step (notes such as "not drawn" stay)."""
    digraph = graph.digraph.copy()
    body = digraph.body
    if body and GRAPH_LABEL.fullmatch(body[-1]) and body[-1].count("<br/>") == caption.count("\n"):
        body.pop()
    return str(digraph.source)


_stepper: BackpropStepper | None = None  # the last run's steps, drawn one at a time by frame(i)


def run(code: str) -> str:
    """Run the code and step through ``root.backward()``: JSON with the whole graph and the number of steps."""
    global _stepper
    _stepper = None
    printed = io.StringIO()
    try:
        namespace, last = execute(code, printed)
        root = find_root(namespace, last)
        root.zero_grad()
        stepper = BackpropStepper(root)  # runs root.backward(), recording each step
        result = {
            "ok": True,
            "stdout": printed.getvalue(),
            "root": root.label,
            "overview": draw_graph(root).source,
            "steps": len(stepper),
            "checkable": function_and_point(namespace) is not None,
        }
        _stepper = stepper
        return json.dumps(result)
    except Exception as e:
        return json.dumps({"ok": False, "stdout": printed.getvalue(), "error": error_text(e)})


def frame(i: int) -> str:
    """Step ``i`` (from 0) of the last run: JSON with its graph (DOT text) and its chain-rule caption."""
    if _stepper is None:
        raise RuntimeError("frame(i): run(code) first")
    caption = _stepper.caption(i)
    return json.dumps({"dot": without_caption(_stepper.frame(i), caption), "caption": caption})


def report(f: Callable[..., Value], xs: list[float]) -> str:
    """One line per input: backprop's ∂f/∂xᵢ, the central difference, |diff| against the tolerance;
    then what ``gradcheck(f, xs)`` and ``gradcheck(f, xs, order=2)`` say."""
    names = leaf_names(f, len(xs))
    analytical = grad(f)(*xs)
    analytical = list(analytical) if isinstance(analytical, tuple) else [analytical]
    numerical = numerical_grad(f, xs)
    lines = [f"{'input':<10} {'x':>10} {'backprop':>14} {'numerical':>14} {'|diff|':>10} {'tolerance':>10}"]
    for name, x, a, n in zip(names, xs, analytical, numerical):
        tol = ATOL + RTOL * max(abs(a), abs(n))
        mark = "ok" if abs(a - n) <= tol else "FAIL"
        lines.append(f"{'∂f/∂' + name:<10} {x:>10.6g} {a:>14.8g} {n:>14.8g} {abs(a - n):>10.2g} {tol:>10.2g}  {mark}")
    lines += [
        f"tolerance = atol {ATOL} + rtol {RTOL} · max(|backprop|, |numerical|)",
        "numerical: central differences",
    ]
    for order in (1, 2):
        call = f"gradcheck(f, xs{', order=2' if order == 2 else ''})"
        try:
            lines.append(f"{call} → {gradcheck(f, xs, order=order)}")
        except Exception as e:
            lines.append(f"{call} raised {type(e).__name__}:\n{e}")
    return "\n".join(lines)


def check(code: str) -> str:
    """Run the code and gradcheck its ``f`` at ``xs``: JSON with the per-input report or the error."""
    try:
        namespace, _ = execute(code, io.StringIO())
        found = function_and_point(namespace)
        if found is None:
            raise PlaygroundError("gradcheck needs f (a function of Values) and xs (the point): define both")
        return json.dumps({"ok": True, "report": report(*found)})
    except Exception as e:
        return json.dumps({"ok": False, "error": error_text(e)})
