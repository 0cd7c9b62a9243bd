"""The engine and nn tests on every Python the package supports, 3.10 to 3.13: ``nox``.

``python3 tasks.py test`` runs the whole suite on .venv's Python and this session on the
other versions. Each session installs the package (not editable) with the extras the
tests import into ``.nox/`` and runs ENGINE_AND_NN. Interpreters that pyenv installed
(``~/.pyenv/versions/3.X.Y``) are found even when pyenv is not set up in the shell. A
missing interpreter skips its session with a note, unless AUTOGRAD_CORE_REQUIRE_PYTHONS
is set, as in CI (``.ci/run``): then it fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]  # as the classifiers in pyproject.toml say
ENGINE_AND_NN = [  # everything but drawing, stepping, notebooks and the browser
    "tests/test_engine*.py",
    "tests/test_errors.py",
    "tests/test_backward.py",
    "tests/test_gradcheck.py",
    "tests/test_higher_order.py",
    "tests/test_compiled.py",
    "tests/test_properties.py",
    "tests/test_nn_*.py",
]
PYENV_VERSIONS = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"


def require_pythons() -> bool:
    """Whether a missing interpreter fails its session (CI) rather than skipping it."""
    return bool(os.environ.get("AUTOGRAD_CORE_REQUIRE_PYTHONS"))


def pyenv_bins() -> list[str]:
    """``~/.pyenv/versions/3.X.Y/bin`` for each installed version, newest patch release first."""
    versions = [p for p in PYENV_VERSIONS.glob("3.*/bin") if (p / "python3").exists()]
    key = [tuple(int(n) if n.isdigit() else -1 for n in p.parent.name.split(".")) for p in versions]
    return [str(p) for _, p in sorted(zip(key, versions), reverse=True)]


def engine_and_nn_tests() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for pattern in ENGINE_AND_NN for p in ROOT.glob(pattern))


nox.options.sessions = ["tests"]
nox.options.error_on_missing_interpreters = require_pythons()
os.environ["PATH"] = os.pathsep.join([*pyenv_bins(), os.environ.get("PATH", "")])  # so nox finds python3.X


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The engine and nn tests (ENGINE_AND_NN) on one Python."""
    session.install(".[testing,nn,viz]", "pytest>=8", "pytest-xdist>=3.5")
    workers = ["-n", "2"] if (os.cpu_count() or 1) > 1 else []
    # PyTorch (the comparisons with it) runs once, on .venv's Python: not installed here, so those tests skip
    no_torch = {"AUTOGRAD_CORE_REQUIRE_TORCH": ""}
    session.run("pytest", "-q", *workers, *engine_and_nn_tests(), *session.posargs, env=no_torch)
