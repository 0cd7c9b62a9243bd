"""The Python side of value.html: grade the ``Value`` class in the page's editor with ``check_value_class``.

``check(code)`` runs the code, takes the class it names ``Value`` and returns JSON for the
report: one row per check (passed, not implemented, skipped, warning), or the first check
that failed with its message and hint (``check_value_class`` stops there). Runs the same in
CPython (tests/test_playground.py) as in Pyodide (tests/test_site_browser.py).
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import asdict
from typing import Any

from playground import PlaygroundError, error_text, execute

from autograd_core.testing import ValueClassCheckError, check_value_class

CLASS = "Value"
TIME_LIMIT = 15.0  # seconds of the class's code per check: about 3× the grader's default, as Pyodide is slower
MAX_STDOUT = 20_000  # characters of print() output sent to the page (a print in _backward runs thousands of times)


def grade(cls: type) -> dict[str, Any]:
    """``check_value_class(cls)`` as rows for the page, or the rows before the check that failed and its message."""
    try:
        report = check_value_class(cls, time_limit=TIME_LIMIT)
    except ValueClassCheckError as e:
        rows = [asdict(r) for r in e.report.results if r.status != "failed"]
        return {"passed": False, "summary": f"{e.check} failed", "rows": rows, "failed": e.check, "message": str(e)}
    rows = [asdict(r) for r in report.results]
    return {"passed": True, "summary": report.summary(), "rows": rows, "failed": None, "message": ""}


def check(code: str) -> str:
    """Run the code and grade its ``Value`` class: JSON with the report, the printed text, or the error."""
    printed = io.StringIO()
    try:
        namespace, _ = execute(code, printed)
        cls = namespace.get(CLASS)
        if not isinstance(cls, type):
            raise PlaygroundError(f"define a class named {CLASS} (found {type(cls).__name__}: {cls!r})")
        with contextlib.redirect_stdout(printed):  # print() in the class's methods shows under the report
            result = {"ok": True, **grade(cls)}
    except Exception as e:
        result = {"ok": False, "error": error_text(e)}
    stdout = printed.getvalue()
    if len(stdout) > MAX_STDOUT:
        stdout = stdout[:MAX_STDOUT] + f"\n… {len(stdout) - MAX_STDOUT} more characters not shown"
    return json.dumps({**result, "stdout": stdout})
