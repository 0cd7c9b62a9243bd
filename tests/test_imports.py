"""Importing the engine loads only the standard library (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

CHECK = """
import json, sys
before = set(sys.modules)
import {module}
new = sorted(set(sys.modules) - before)
print(json.dumps([m for m in new if m.split(".")[0] not in sys.stdlib_module_names]))
"""


def non_stdlib_imports(module: str) -> list[str]:
    """Modules outside the standard library that ``import module`` loads in a fresh ``python -I``."""
    # -I: isolated mode, so nothing from the environment or the working directory leaks in.
    run = subprocess.run([sys.executable, "-I", "-c", CHECK.format(module=module)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.mark.parametrize(
    "module", ["autograd_core", "autograd_core.engine", "autograd_core.functional", "autograd_core.gradcheck"]
)
def test_importing_the_engine_imports_only_the_standard_library(module: str) -> None:
    outside = [m for m in non_stdlib_imports(module) if m.split(".")[0] != "autograd_core"]
    assert outside == [], f"import {module} also imported {outside}"


def test_the_check_sees_a_third_party_import() -> None:
    assert "hypothesis" in non_stdlib_imports("autograd_core.testing")
