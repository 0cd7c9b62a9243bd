"""Exercise 5 (conv2d from Values): the checks pass the solution and name each usual mistake.

The notebook's code cells run in-process (no kernel), with the solution replaced by a wrong
``conv2d``; the first check that fails must say what is wrong, not only that it is wrong.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "exercises" / "05_conv2d_from_values.ipynb"

CORRECT = """
def conv2d(image, kernel, bias):
    k = len(kernel)
    rows, cols = len(image) - k + 1, len(image[0]) - k + 1
    return [[sum((kernel[i][j] * image[r + i][c + j] for i in range(k) for j in range(k)), bias)
             for c in range(cols)] for r in range(rows)]
"""


def variant(
    pixel: str = "kernel[i][j] * image[r + i][c + j]",
    start: str = "bias",
    rows: str = "len(image) - k + 1",
    cols: str = "len(image[0]) - k + 1",
) -> str:
    """A conv2d with one piece changed: the product, the sum's start, the number of rows or columns."""
    return f"""
def conv2d(image, kernel, bias):
    k = len(kernel)
    return [[sum(({pixel} for i in range(k) for j in range(k)), {start})
             for c in range({cols})] for r in range({rows})]
"""


def run(conv2d_source: str) -> None:
    """Execute the notebook's code cells with ``conv2d_source`` as the solution; raises the first failure."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    namespace: dict[str, object] = {"__name__": "exercise_05"}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        is_solution = cell.metadata.get("nbgrader", {}).get("solution", False)
        exec(compile(conv2d_source if is_solution else cell.source, "<cell>", "exec"), namespace)


def test_the_solution_passes_every_check() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    checks = [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    assert len(checks) == 3
    solution = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    run(solution)
    run(CORRECT)


def test_an_unwritten_conv2d_is_reported_as_not_done() -> None:
    from autograd_core.grading import ExerciseNotDoneError

    with pytest.raises(ExerciseNotDoneError, match="conv2d is not written yet"):
        run("def conv2d(image, kernel, bias):\n    raise NotImplementedError()\n")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (variant(pixel="kernel[k - 1 - i][k - 1 - j] * image[r + i][c + j]"), "the kernel is flipped"),
        (variant(pixel="kernel[i][j] * image[r - i + k - 1][c - j + k - 1]"), "the kernel is flipped"),
        (variant(pixel="kernel[j][i] * image[r + i][c + j]"), "i and j are swapped"),
        (variant(start="0"), "the bias is missing"),
        (variant(pixel="(kernel[i][j] * image[r + i][c + j] + bias)", start="0"), "the bias is added k² times"),
        (variant(rows="len(image) - k", cols="len(image[0]) - k"), "Off by one"),
        (variant(rows="len(image)", cols="len(image[0])"), "read outside the image.*Off by one"),
        (variant(rows="len(image[0]) - k + 1", cols="len(image) - k + 1"), "read outside the image"),
        (variant(pixel="float(kernel[i][j]) * float(image[r + i][c + j])", start="float(bias)"), "not Values"),
        (variant(pixel="kernel[i][j].data * image[r + i][c + j]"), "backward never reached the kernel"),
        (variant(pixel="kernel[i][j] * image[r + i][c + j] * 2"), r"out\[0\]\[0\] = "),
    ],
    ids=[
        "flipped",
        "flipped-image",
        "transposed",
        "no-bias",
        "bias-k2",
        "one-short",
        "one-long",
        "rows-cols",
        "floats",
        "kernel-data",
        "other",
    ],
)
def test_a_usual_mistake_is_named(source: str, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        run(source)
