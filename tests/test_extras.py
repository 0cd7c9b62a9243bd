"""autograd_core.extras: a missing optional package names the extra that installs it."""

from __future__ import annotations

import importlib
import sys

import pytest

from autograd_core import BackpropStepper, Value, draw_graph
from autograd_core.extras import MissingExtraError, require


def test_require_returns_the_module() -> None:
    import json

    assert require("json", "viz", "test") is json


def test_a_missing_package_names_the_extra_and_the_feature() -> None:
    with pytest.raises(MissingExtraError, match=r"draw_graph needs .*no_such_pkg_xyz.*autograd-core\[viz\]") as e:
        require("no_such_pkg_xyz.sub", "viz", "draw_graph")
    assert isinstance(e.value, ModuleNotFoundError)
    assert e.value.name == "no_such_pkg_xyz"


def test_an_unknown_extra_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown extra 'gpu'"):
        require("json", "gpu", "test")


# ------------------------------------------- each feature names its extra when the package is missing
@pytest.fixture
def without(monkeypatch: pytest.MonkeyPatch):
    """``without("graphviz")``: importing that package fails as if it were not installed."""

    def hide(*names: str) -> None:
        for name in [m for m in sys.modules if m.partition(".")[0] in names]:
            monkeypatch.delitem(sys.modules, name)
        for name in names:
            monkeypatch.setitem(sys.modules, name, None)

    return hide


def small_graph() -> Value:
    x, w = Value(2.0, "x"), Value(-3.0, "w")
    return (x * w).tanh()


def test_draw_graph_without_graphviz_names_the_viz_extra(without, tmp_path) -> None:
    without("graphviz")
    with pytest.raises(MissingExtraError, match=r"draw_graph needs the 'graphviz' package.*autograd-core\[viz\]"):
        draw_graph(small_graph())  # so .source and .save("g.dot") too: nothing is drawn without the package
    with pytest.raises(MissingExtraError, match=r"autograd-core\[viz\]"):
        BackpropStepper(small_graph()).frame(0)
    assert list(tmp_path.iterdir()) == []


def test_stepper_widget_without_ipywidgets_names_the_notebooks_extra(without) -> None:
    without("ipywidgets")
    stepper = BackpropStepper(small_graph())  # stepping itself needs nothing
    assert len(stepper) == 2
    with pytest.raises(MissingExtraError, match=r"BackpropStepper.widget needs the 'ipywidgets'.*\[notebooks\]"):
        stepper.widget()


def test_import_testing_without_hypothesis_names_the_testing_extra(without, monkeypatch) -> None:
    without("hypothesis")
    monkeypatch.delitem(sys.modules, "autograd_core.testing", raising=False)  # imported afresh
    with pytest.raises(MissingExtraError, match=r"autograd_core.testing needs the 'hypothesis'.*\[testing\]"):
        importlib.import_module("autograd_core.testing")
