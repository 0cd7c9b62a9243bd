"""Exercise 6 (Adam's update): the checks pass with the solution, and each usual mistake is named.

The notebook's code cells run in-process (no kernel), with the solution cell swapped for a wrong
``adam_update`` written as a student would write it; the first check must fail with the hint for
that mistake. The student version (nbgrader's ClearSolutions) fails first with ExerciseNotDoneError.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

from autograd_core.grading import ExerciseNotDoneError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "exercises" / "06_adam_update.ipynb"

HEADER = "import math\n\ndef adam_update(p, g, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):\n"
RIGHT = """
    b1, b2 = betas
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    {correction}
    return p - lr * m_hat / ({denominator}), m, v
"""


def student(
    correction: str = "m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)",
    denominator: str = "math.sqrt(v_hat) + eps",
    body: str = RIGHT,
) -> str:
    return HEADER + body.format(correction=correction, denominator=denominator)


MISTAKES = {
    "no bias correction": (student(correction="m_hat, v_hat = m, v"), "Looks like no bias correction"),
    "t from 0": (
        student(correction="m_hat, v_hat = m / (1 - b1 ** (t - 1)), v / (1 - b2 ** (t - 1))"),
        "ZeroDivisionError",
    ),
    "t + 1": (student(correction="m_hat, v_hat = m / (1 - b1 ** (t + 1)), v / (1 - b2 ** (t + 1))"), "with t + 1"),
    "eps inside the root": (student(denominator="math.sqrt(v_hat + eps)"), "ε inside the square root"),
    "v of g": (student(body=RIGHT.replace("g * g", "g")), "v is an average of g²"),
    "betas swapped": (student(body=RIGHT.replace("b1, b2 = betas", "b2, b1 = betas")), "β₁ and β₂ swapped"),
    "beta and one minus beta swapped": (
        student(
            body=RIGHT.replace("b1 * m + (1 - b1) * g", "(1 - b1) * m + b1 * g").replace(
                "b2 * v + (1 - b2) * g * g", "(1 - b2) * v + b2 * g * g"
            )
        ),
        "β and 1 − β swapped",
    ),
}


def _is_solution(cell: nbformat.NotebookNode) -> bool:
    return cell.metadata.get("nbgrader", {}).get("solution", False)


def _run(cells: list[nbformat.NotebookNode]) -> None:
    namespace: dict[str, object] = {"__name__": "exercise_06"}
    for cell in cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, str(NOTEBOOK), "exec"), namespace)


def _with_solution(source: str) -> list[nbformat.NotebookNode]:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if _is_solution(cell):
            cell.source = source
    return nb.cells


def test_the_solution_passes_every_check() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert sum(_is_solution(c) for c in nb.cells) == 1
    assert sum(c.metadata.get("nbgrader", {}).get("grade", False) for c in nb.cells) == 3
    _run(nb.cells)


def test_a_correct_rule_written_differently_passes() -> None:
    _run(_with_solution(student()))


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_usual_mistake_fails_the_first_check_with_its_hint(mistake: str) -> None:
    source, hint = MISTAKES[mistake]
    with pytest.raises(AssertionError, match=r"^step 1") as failure:
        _run(_with_solution(source))
    assert hint in str(failure.value)


def test_the_student_version_fails_first_as_not_written() -> None:
    spec = importlib.util.spec_from_file_location(
        "make_student_notebooks", ROOT / "scripts" / "make_student_notebooks.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    nb = script.student_version(nbformat.read(NOTEBOOK, as_version=4))
    with pytest.raises(ExerciseNotDoneError, match="adam_update is not written yet"):
        _run(nb.cells)
