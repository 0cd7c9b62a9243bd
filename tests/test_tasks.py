"""tasks.py, noxfile.py and pyproject.toml: each task installs what it needs, and they agree on the Pythons."""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tasks.py and noxfile.py live at the root, next to pyproject.toml
tasks = importlib.import_module("tasks")
tomllib = pytest.importorskip("tomllib")  # Python 3.11+
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture
def noxfile(monkeypatch: pytest.MonkeyPatch):
    """noxfile.py; PATH is restored afterwards (importing it puts pyenv's Pythons first)."""
    pytest.importorskip("nox", reason="nox is in the dev extra")
    monkeypatch.setenv("PATH", os.environ["PATH"])
    return importlib.import_module("noxfile")


@pytest.fixture
def fake_venv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """tasks.py pointed at an empty folder with a copy of pyproject.toml; returns the commands it runs."""
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").touch()
    monkeypatch.setattr(tasks, "ROOT", tmp_path)
    monkeypatch.setattr(tasks, "VENV", tmp_path / ".venv")
    monkeypatch.setattr(tasks, "BIN", tmp_path / ".venv" / "bin")
    monkeypatch.setattr(tasks, "STAMP", tmp_path / ".venv" / ".installed")
    commands: list[tuple[str, ...]] = []
    monkeypatch.setattr(tasks, "run", lambda *cmd, **kw: commands.append(tuple(str(c) for c in cmd)))
    return commands


def installs(commands: list[tuple[str, ...]]) -> list[str]:
    return [cmd[-1] for cmd in commands if cmd[-2:-1] == ("-e",)]


def test_each_task_installs_only_its_extras_and_a_later_task_adds_what_is_missing(fake_venv, monkeypatch) -> None:
    tasks.ensure_venv("nn", "viz")  # demo
    assert installs(fake_venv) == [".[nn,viz]"]
    tasks.ensure_venv("viz")
    assert installs(fake_venv) == [".[nn,viz]"]  # already there: nothing to do
    tasks.ensure_venv("notebooks")  # adds jupyter; keeps what was there
    tasks.ensure_venv("nn")
    assert installs(fake_venv) == [".[nn,viz]", ".[nn,notebooks,viz]"]
    tasks.ensure_venv()  # test/bench: dev includes every other extra
    tasks.ensure_venv("testing")
    assert installs(fake_venv)[2:] == [".[dev,nn,notebooks,viz]"]
    assert json.loads(tasks.STAMP.read_text())["extras"] == ["dev", "nn", "notebooks", "viz"]
    with tasks.ROOT.joinpath("pyproject.toml").open("a") as f:
        f.write("\n# changed\n")
    tasks.ensure_venv("viz")  # a changed pyproject.toml: everything installed before, again
    assert installs(fake_venv)[3:] == [".[dev,nn,notebooks,viz]"]
    with pytest.raises(ValueError, match=r"ensure_venv: unknown extras \['nnn'\]"):
        tasks.ensure_venv("nnn")


def test_nbgrader_is_kept_out_of_the_students_jupyterlab(fake_venv) -> None:
    tasks.ensure_venv("notebooks")  # what students install: no nbgrader, nothing to disable
    assert not [cmd for cmd in fake_venv if "jupyter" in cmd[0]]
    tasks.ensure_venv("dev")  # dev installs nbgrader: its menus and server extensions are disabled
    lab, server = [cmd[1:] for cmd in fake_venv if "jupyter" in cmd[0]]
    assert lab == ("labextension", "disable", "--level=sys_prefix", "@jupyter/nbgrader")
    assert server[:4] == ("server", "extension", "disable", "--sys-prefix")
    assert {m.rsplit(".", 1)[1] for m in server[4:]} == set(tasks.NBGRADER_SERVER_EXTENSIONS)
    assert "nbgrader" in " ".join(PYPROJECT["project"]["optional-dependencies"]["dev"])


def test_an_old_or_broken_stamp_means_install_again(fake_venv) -> None:
    tasks.STAMP.write_text(tasks.pyproject_digest())  # the format before extras were recorded
    tasks.ensure_venv("viz")
    tasks.STAMP.write_text("[1, 2]")
    tasks.ensure_venv("viz")
    assert installs(fake_venv) == [".[viz]", ".[viz]"]


def test_extras_include_matches_pyproject() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert set(extras) == set(tasks.EXTRAS_INCLUDE)
    for extra, requirements in extras.items():
        direct = {e for r in requirements if r.startswith("autograd-core[") for e in r[14:-1].split(",")}
        assert direct.union(*(tasks.EXTRAS_INCLUDE[e] for e in direct)) == tasks.EXTRAS_INCLUDE[extra], extra


@pytest.mark.parametrize(("root", "expected"), [(True, ["--allow-root"]), (False, [])])
def test_notebooks_pass_allow_root_to_jupyter_as_root(fake_venv, monkeypatch, root, expected) -> None:
    monkeypatch.setattr(tasks, "is_root", lambda: root)
    monkeypatch.setattr(tasks, "ensure_venv", lambda *extras: None)
    monkeypatch.setattr(tasks, "ensure_program", lambda name: True)
    tasks.task_notebooks(["--no-browser"])
    (cmd,) = fake_venv
    assert cmd[1:] == ("lab", "notebooks", *expected, "--no-browser")


def test_license_is_an_spdx_string_that_setuptools_reads_without_warning() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"  # a TOML table is deprecated since setuptools 77
    (requirement,) = PYPROJECT["build-system"]["requires"]
    assert re.fullmatch(r"setuptools>=(\d+)", requirement) and int(requirement.split(">=")[1]) >= 77


def test_supported_pythons_agree_everywhere(noxfile) -> None:
    classifiers = PYPROJECT["project"]["classifiers"]
    claimed = tuple(c.rsplit(" ", 1)[1] for c in classifiers if re.fullmatch(r".*Python :: 3\.\d+", c))
    assert claimed == tasks.SUPPORTED_PYTHONS == tuple(noxfile.PYTHONS)
    assert PYPROJECT["project"]["requires-python"] == f">={claimed[0]}"
    assert f"Supported Pythons: {claimed[0]} to {claimed[-1]}" in (ROOT / "README.md").read_text()


def test_nox_runs_every_engine_and_nn_test_file(noxfile) -> None:
    files = noxfile.engine_and_nn_tests()
    for pattern in noxfile.ENGINE_AND_NN:
        assert any(Path(f).match(pattern) for f in files), f"{pattern} matches no test file"
    assert "tests/test_engine.py" in files and "tests/test_nn_train.py" in files
    assert not any(name in f for f in files for name in ("viz", "stepping", "html", "readme"))


def test_nox_finds_pyenv_pythons_and_missing_ones_fail_only_when_required(noxfile, tmp_path, monkeypatch) -> None:
    for version in ["3.10.2", "3.10.13", "3.12.1", "2.7.18"]:
        (tmp_path / "versions" / version / "bin").mkdir(parents=True)
        (tmp_path / "versions" / version / "bin" / "python3").touch()
    monkeypatch.setattr(noxfile, "PYENV_VERSIONS", tmp_path / "versions")
    versions = [Path(b).parent.name for b in noxfile.pyenv_bins()]
    assert versions == ["3.12.1", "3.10.13", "3.10.2"]  # the newest patch release of 3.10 comes first on PATH
    assert noxfile.nox.options.error_on_missing_interpreters is noxfile.require_pythons()
    monkeypatch.delenv("AUTOGRAD_CORE_REQUIRE_PYTHONS", raising=False)
    assert noxfile.require_pythons() is False  # a missing Python: nox skips its session with a note
    monkeypatch.setenv("AUTOGRAD_CORE_REQUIRE_PYTHONS", "1")
    assert noxfile.require_pythons() is True  # ... and fails it in CI: .ci/run sets the variable
    assert "AUTOGRAD_CORE_REQUIRE_PYTHONS=1" in (ROOT / ".ci" / "run").read_text()
