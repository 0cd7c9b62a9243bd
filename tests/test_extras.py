"""autograd_core.extras: a missing optional package names the extra that installs it."""

from __future__ import annotations

import pytest

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
