"""The pages' Python side in CPython: site/playground.py (the code conventions, the errors, the examples)
and site/value_page.py (value.html's grading).

The browser test (test_site_browser.py) runs the same modules in Pyodide.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from autograd_core import BackpropStepper, Value, draw_graph
from autograd_core.viz import fmt_number

SITE = Path(__file__).resolve().parent.parent / "site"
EXAMPLES = sorted((SITE / "examples").glob("*.py"))

spec = importlib.util.spec_from_file_location("playground", SITE / "playground.py")
assert spec is not None and spec.loader is not None
playground = importlib.util.module_from_spec(spec)
sys.modules["playground"] = playground  # value_page imports it, as in Pyodide where site/ is on sys.path
spec.loader.exec_module(playground)
value_spec = importlib.util.spec_from_file_location("value_page", SITE / "value_page.py")
assert value_spec is not None and value_spec.loader is not None
value_page = importlib.util.module_from_spec(value_spec)
value_spec.loader.exec_module(value_page)


def run(code: str) -> dict[str, Any]:
    return json.loads(playground.run(code))


def check(code: str) -> dict[str, Any]:
    return json.loads(playground.check(code))


NEURON = """
from autograd_core import Value
x, w, b = Value(5.0, "x"), Value(0.5, "w"), Value(1.0, "b")
z = w * x + b
z.label = "z"
"""


def neuron() -> Value:
    """NEURON's graph built here, with σ on top, after one backward()."""
    x, w, b = Value(5.0, "x"), Value(0.5, "w"), Value(1.0, "b")
    z = w * x + b
    z.label = "z"
    root = z.sigmoid()
    root.backward()
    return root


def test_root_the_last_expression_or_f_at_xs_is_drawn() -> None:
    by_root = run(NEURON + "root = z.sigmoid()\nprint('hi')")
    by_expression = run(NEURON + "z.sigmoid()")
    by_function = run(
        "def f(x, w, b):\n    z = w * x + b\n    z.label = 'z'\n    return z.sigmoid()\nxs = [5.0, 0.5, 1.0]"
    )
    expected = draw_graph(neuron()).source  # leaves named after f's parameters
    for result in (by_root, by_expression, by_function):
        assert result["ok"], result
        assert result["overview"] == expected
        assert result["steps"] == 3  # σ, then the + and * nodes
    assert by_root["stdout"] == "hi\n" and not by_root["checkable"] and by_function["checkable"]


def test_the_frames_are_the_steppers() -> None:
    result = run(NEURON + "root = (z * z).tanh()")
    x, w, b = Value(5.0, "x"), Value(0.5, "w"), Value(1.0, "b")
    z = w * x + b
    z.label = "z"
    stepper = BackpropStepper((z * z).tanh())
    assert result["steps"] == len(stepper) == 4
    frames = [json.loads(playground.frame(i)) for i in range(len(stepper))]
    assert [f["caption"] for f in frames] == [stepper.caption(i) for i in range(len(stepper))]
    for i, f in enumerate(frames):  # the stepper's frame without its caption: the page shows it above the graph
        lines = stepper.frame(i).source.splitlines()
        assert lines[-2].lstrip().startswith("fontsize=12 label=<step ") and lines[-1] == "}"
        assert f["dot"].splitlines() == [*lines[:-2], "}"]
    assert not run("root = 1 +")["ok"]
    with pytest.raises(RuntimeError, match=r"run\(code\) first"):  # no frames left from the earlier run
        playground.frame(0)


def test_run_starts_from_zero_grads_even_after_a_backward_in_the_code() -> None:
    result = run(NEURON + "root = z.sigmoid()\nroot.backward()\nroot.backward()\nroot")
    assert result["overview"] == draw_graph(neuron()).source  # one backward's grads, not three


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("x = (1 +\n", "SyntaxError"),
        ("x = 1", "nothing to draw: end your code with root = <a Value>"),
        ("root = 3.0", "root must be a Value, got float: 3.0"),
        ("def f(x):\n    return x", "xs must be a list of numbers"),
        ("f = 1\nxs = [1.0]", "f must be a function of Values"),
        ("def f(x):\n    return 2.0\nxs = [1.0]", "f must return a Value, got float: 2.0"),
    ],
)
def test_mistakes_give_a_message(code: str, message: str) -> None:
    result = run(code)
    assert not result["ok"] and message in result["error"], result


def test_a_runtime_error_shows_the_traceback_from_the_users_line() -> None:
    result = run("from autograd_core import Value\nx = Value(0.0, 'x')\nprint('before')\nroot = x.log()")
    error = result["error"]
    assert error.startswith('Traceback (most recent call last):\n  File "<your code>", line 4, in <module>\n')
    assert "root = x.log()" in error and "ValueError: op 'log'" in error
    assert "playground" not in error  # the page's own frames are left out
    assert result["stdout"] == "before\n"


def test_a_traceback_has_the_users_frames_only() -> None:
    code = "def g(x):\n    return x.log()\n\ndef f(x):\n    return g(x)\n\nxs = [0.0]"
    error = run(code)["error"]
    assert error.splitlines() == [
        "Traceback (most recent call last):",
        '  File "<your code>", line 5, in f',
        "    return g(x)",
        "           ^^^^",
        '  File "<your code>", line 2, in g',
        "    return x.log()",
        "           ^^^^^^^",
        "ValueError: op 'log': log is defined only for positive inputs, got 0.0",
    ]  # on today's main: the frames inside autograd_core/engine.py too
    deep = run("def f(n):\n    return f(n + 1)\n\nf(0)")["error"]
    assert "Previous line repeated" in deep and len(deep.splitlines()) < 20  # not a thousand frames


def test_gradcheck_reports_every_input_and_catches_a_wrong_derivative() -> None:
    right = (
        "from autograd_core import Value\n"
        "def f(x, y):\n"
        "    return Value(x.data * y.data, parents=(x, y), local_grads=({}, x.data))\n"
        "xs = [2.0, 3.0]"
    )
    report = check(right.format("y.data"))["report"]
    lines = report.splitlines()
    assert lines[1].split()[:4] == ["∂f/∂x", "2", "3", "3"] and lines[1].endswith("ok")
    assert lines[2].split()[:4] == ["∂f/∂y", "3", "2", "2"] and lines[2].endswith("ok")
    assert "gradcheck(f, xs) → True" in report
    assert "gradcheck(f, xs, order=2) raised TypeError" in report  # float local_grads: first order only
    assert max(len(line) for line in lines[:5]) <= 80  # the table and the tolerance lines fit beside the editor
    wrong = check(right.format("1.0"))["report"]
    assert wrong.splitlines()[1].endswith("FAIL") and wrong.splitlines()[2].endswith("ok")
    assert "gradcheck(f, xs) raised GradcheckError:\ngradcheck failed for 1 of 2 inputs" in wrong
    assert not check(NEURON + "root = z")["ok"]  # no f and xs


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_runs_and_passes_gradcheck(path: Path) -> None:
    code = path.read_text(encoding="utf-8")
    assert code.startswith("# ")  # the title in the menu
    result = run(code)
    assert result["ok"], result.get("error")
    assert result["steps"] > 0
    report = check(code)["report"]
    assert "gradcheck(f, xs) → True" in report and "gradcheck(f, xs, order=2) → True" in report, report


def example_after_backward(name: str) -> dict[str, Any]:
    """Run an example in CPython as the page does (f at xs, leaves named after f's parameters); backward."""
    namespace: dict[str, Any] = {}
    exec((SITE / "examples" / name).read_text(encoding="utf-8"), namespace)
    if "root" not in namespace:
        f, xs = namespace["f"], namespace["xs"]
        leaves = [Value(x, p) for x, p in zip(xs, inspect.signature(f).parameters)]
        namespace.update(zip(inspect.signature(f).parameters, leaves))
        namespace["root"] = f(*leaves)
    namespace["root"].backward()
    return namespace


def test_the_neuron_example_has_the_numbers_its_comments_claim() -> None:
    code = (SITE / "examples" / "1_neuron.py").read_text(encoding="utf-8")
    ns = example_after_backward("1_neuron.py")
    a, z = ns["root"].parents[0], ns["root"].parents[0].parents[0]
    assert (a.label, z.label) == ("a", "z")
    assert [fmt_number(v) for v in (a.grad, z.grad, ns["w1"].grad)] == ["-1.007", "-0.006693", "-0.03346"]
    assert "∂L/∂a = −1/a = −1.007,\n# z.grad = a − y = −0.006693, w1.grad = x1·z.grad = −0.03346." in code
    assert fmt_number(a.data) == "0.9933" and abs(z.grad - (a.data - 1.0)) < 1e-12  # dz = a − y


def test_grad_of_grad_example_steps_to_the_second_derivative() -> None:
    result = run((SITE / "examples" / "5_grad_of_grad.py").read_text(encoding="utf-8"))
    assert "f''(2) = 12.0" in result["stdout"] and "f'(2)  = 10.0" in result["stdout"]
    assert example_after_backward("5_grad_of_grad.py")["x"].grad == 12.0  # stepping to the end: x.grad = f''(2)


def micrograd() -> Any:
    """micrograd's engine module (its Value class is the reference a student's class is built like)."""
    return pytest.importorskip("micrograd.engine")


def grade(code: str) -> dict[str, Any]:
    return json.loads(value_page.check(code))


def test_value_page_grades_micrograd_and_names_a_wrong_mul() -> None:
    from autograd_core.testing import check_value_class

    engine = micrograd()
    source = inspect.getsource(engine)
    result = grade(source)
    expected = check_value_class(engine.Value)
    assert result["ok"] and result["passed"] and result["summary"] == expected.summary()
    assert [(r["check"], r["status"]) for r in result["rows"]] == [(r.check, r.status) for r in expected.results]
    wrong = grade(source.replace("self.grad += other.data * out.grad", "self.grad += out.grad"))
    assert wrong["ok"] and not wrong["passed"] and wrong["failed"] == "mul"
    assert [r["status"] for r in wrong["rows"]] == ["passed"] * len(wrong["rows"])  # the checks before mul
    assert "mul" not in [r["check"] for r in wrong["rows"]] and "basics" in [r["check"] for r in wrong["rows"]]
    assert wrong["message"].endswith("hint: ∂(a·b)/∂a should be b.data")


def test_value_page_skeleton_has_every_op_to_write_but_exp() -> None:
    result = grade((SITE / "value_skeleton.py").read_text(encoding="utf-8"))
    statuses = {r["check"]: r["status"] for r in result["rows"]}
    assert statuses["basics"] == statuses["exp"] == "passed"
    assert all(statuses[op] == "not implemented" for op in ("add", "mul", "pow", "tanh", "sub", "div"))


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("class Value(\n", "SyntaxError"),
        ("x = 1", "define a class named Value (found NoneType: None)"),
        ("Value = 3", "define a class named Value (found int: 3)"),
        ("class Value:\n    def __init__(self, data):\n        raise RuntimeError('no')", "basics: Value(2.0) raised"),
    ],
)
def test_value_page_mistakes_give_a_message(code: str, message: str) -> None:
    result = grade(code)
    text = result.get("error") or result.get("message")
    assert message in text, result


def test_value_page_shows_print_output_cut_to_a_size() -> None:
    skeleton = (SITE / "value_skeleton.py").read_text(encoding="utf-8")
    stdout = grade("for _ in range(300):\n    print('b' * 100)\n" + skeleton)["stdout"]
    assert stdout.startswith("b" * 100) and stdout.endswith("10300 more characters not shown")
    assert len(stdout) < value_page.MAX_STDOUT + 100


def test_both_pages_set_the_same_content_security_policy() -> None:
    """The policy the README quotes, in both pages: run code may only reach the site's own origin."""
    policies = {
        page: re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', (SITE / page).read_text())
        for page in ("index.html", "value.html")
    }
    assert policies["index.html"] == policies["value.html"] and len(policies["index.html"]) == 1
    policy = policies["index.html"][0]
    assert "connect-src 'self';" in policy and "worker-src 'self' blob:;" in policy
    assert "'unsafe-eval'" not in policy and "'unsafe-inline'" not in policy  # no JavaScript from strings
    readme = (SITE.parent / "README.md").read_text(encoding="utf-8")
    assert f"`{policy}`" in " ".join(readme.split())  # the README quotes it (wrapped over lines)
