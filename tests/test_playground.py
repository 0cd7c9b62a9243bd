"""The playground's Python side (site/playground.py) in CPython: the code conventions, the errors, the examples.

The browser test (test_site_browser.py) runs the same module in Pyodide.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
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
spec.loader.exec_module(playground)


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
    assert [f["dot"] for f in frames] == [stepper.frame(i).source for i in range(len(stepper))]
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
