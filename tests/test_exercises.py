"""The exercise notebooks prove both sides: with the solutions every check passes; in the student version
(nbgrader's ClearSolutions) the first check cell is the first to fail, with the checker's message."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "notebooks" / "exercises"
_spec = importlib.util.spec_from_file_location("make_student_notebooks", ROOT / "scripts" / "make_student_notebooks.py")
make_student_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_student_notebooks)

# The first check's message in each student version: the checker's, not a bare NotImplementedError.
FIRST_FAILURE = {
    "01_backprop_by_hand.ipynb": (
        "ExerciseNotDoneError",
        "grads_by_hand is not written yet: replace `raise NotImplementedError()` in it with your code",
    ),
    "02_build_your_value.ipynb": (
        "ValueClassCheckError",
        "add: not implemented (a + b at a = 1.5, b = -2 raised NotImplementedError)",
    ),
    "03_topological_sort_and_backward.ipynb": (
        "ValueClassCheckError",
        "backward: not implemented (Value(2.0).backward() raised NotImplementedError)",
    ),
    "04_neuron_mlp_training.ipynb": (
        "ExerciseNotDoneError",
        "Neuron is not written yet: replace `raise NotImplementedError()` in it with your code",
    ),
    "06_adam_update.ipynb": (
        "ExerciseNotDoneError",
        "adam_update is not written yet: replace `raise NotImplementedError()` in it with your code",
    ),
}


def _is_check(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade", False)


def _execute(nb: nbformat.NotebookNode) -> None:
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(EXERCISES)}}).execute()


def test_every_exercise_notebook_is_listed():
    assert sorted(p.name for p in EXERCISES.glob("*.ipynb")) == sorted(FIRST_FAILURE)


@pytest.mark.parametrize("name", sorted(FIRST_FAILURE))
def test_with_the_solutions_every_check_passes(name):
    nb = nbformat.read(EXERCISES / name, as_version=4)
    assert sum(map(_is_check, nb.cells)) >= 2
    _execute(nb)  # raises CellExecutionError at the first failing cell


@pytest.mark.parametrize("name", sorted(FIRST_FAILURE))
def test_in_the_student_version_the_first_check_fails_with_the_checkers_message(name):
    source = nbformat.read(EXERCISES / name, as_version=4)
    nb = make_student_notebooks.student_version(source)
    text = "\n".join(cell.source for cell in nb.cells)
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    assert text.count("raise NotImplementedError()") == text.count("# YOUR CODE HERE") >= 1
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")
    with pytest.raises(CellExecutionError):
        _execute(nb)
    failed = [i for i, cell in enumerate(nb.cells) if any(o.output_type == "error" for o in cell.get("outputs", []))]
    first_check = next(i for i, cell in enumerate(nb.cells) if _is_check(cell))
    assert failed == [first_check]
    error = next(o for o in nb.cells[first_check].outputs if o.output_type == "error")
    assert (error.ename, error.evalue) == FIRST_FAILURE[name]


def test_the_script_writes_one_student_notebook_per_exercise(tmp_path):
    written = make_student_notebooks.main(EXERCISES, tmp_path / "out")
    assert [p.name for p in written] == sorted(FIRST_FAILURE)
    assert not list((tmp_path / "out").glob(".*.tmp"))
    with pytest.raises(FileNotFoundError, match=r"no \*\.ipynb in"):
        make_student_notebooks.main(tmp_path, tmp_path / "out")
