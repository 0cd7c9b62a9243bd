"""The exercise notebooks prove both sides: with the solutions every check passes; in the student version
(nbgrader's ClearSolutions) the first check cell is the first to fail, with the checker's message."""

from __future__ import annotations

import importlib.util
import os
import re
import stat
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
    "05_conv2d_from_values.ipynb": (
        "ExerciseNotDoneError",
        "conv2d is not written yet: replace `raise NotImplementedError()` in it with your code",
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
    umask = os.umask(0o022)
    try:
        written = make_student_notebooks.main(EXERCISES, tmp_path / "out")
    finally:
        os.umask(umask)
    assert [p.name for p in written] == sorted(FIRST_FAILURE)
    assert {stat.S_IMODE(p.stat().st_mode) for p in written} == {0o644}  # readable by the students, as open() makes
    assert not list((tmp_path / "out").glob(".*.tmp"))
    with pytest.raises(FileNotFoundError, match=r"no \*\.ipynb in"):
        make_student_notebooks.main(tmp_path, tmp_path / "out")


# ---------------------------------------------------- a student's typical mistakes
def _with_mistake(name: str, check: str, **patches: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """The notebook up to the check cell ``check`` (a grade_id), without the other checks, with the cells of
    the grade_ids in ``patches`` edited: each (old, new) replaces text of the worked solution."""
    nb = nbformat.read(EXERCISES / name, as_version=4)
    cells = []
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if _is_check(cell) and grade_id != check:
            continue
        for old, new in patches.get(grade_id, []):
            assert old in cell.source, old
            cell.source = cell.source.replace(old, new)
        cells.append(cell)
        if grade_id == check:
            break
    nb.cells = cells
    return nb


def _message(nb: nbformat.NotebookNode) -> str:
    """``ename: evalue`` of the last cell, which must be the only one to fail."""
    with pytest.raises(CellExecutionError):
        _execute(nb)
    errors = [o for cell in nb.cells for o in cell.get("outputs", []) if o.output_type == "error"]
    assert len(errors) == 1 and errors[0] in nb.cells[-1].outputs
    return f"{errors[0].ename}: {errors[0].evalue}"


def _passes(nb: nbformat.NotebookNode) -> str:
    _execute(nb)
    return "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in nb.cells[-1].outputs)


E1, E2, E3, E4 = sorted(FIRST_FAILURE)[:4]  # exercises 5 and 6 have tests of their own (test_exercise_05.py, _06)


def test_e1_a_wrong_hand_grad_is_shown_with_its_chain_rule_and_the_slip():
    local_only = [("dL_da = -3.0 * dL_de", "dL_da = -3.0")]  # ∂e/∂a without ∂L/∂e
    assert _message(_with_mistake(E1, "check_part1", part1=local_only)) == (
        "ExerciseCheckError: ∂L/∂a: you have -3.0, backward() gets 6.0\n"
        "  a feeds e: ∂L/∂a = ∂L/∂e · ∂e/∂a = -2 × -3 = 6\n"
        "  hint: that is ∂e/∂a alone: multiply it by ∂L/∂e = -2"
    )
    sign = [('"b": delta,', '"b": -delta,')]
    message = _message(_with_mistake(E1, "check_part2", part2=sign))
    assert message.startswith("ExerciseCheckError: ∂C/∂b: you have 0.")
    assert message.endswith("\n  b feeds z: ∂C/∂b = ∂C/∂z · ∂z/∂b = -0.118459 × 1 = -0.118459\n  hint: the sign is off")


RELU = """
    def relu(self):
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward():
            self.grad += {local} * out.grad

        out._backward = _backward
        return out

    # ---- given: built from the ops above"""


def test_e2_an_op_the_text_invites_passes_and_is_checked():
    given = "\n\n    # ---- given: built from the ops above"
    right = [(given, RELU.format(local="(self.data > 0)"))]
    report = _passes(_with_mistake(E2, "check_all", value=right))
    assert "2 not implemented" in report and re.search(r"^  relu +passed", report, re.M)
    wrong = [(given, RELU.format(local="1.0"))]  # 1 on both sides of the kink
    message = _message(_with_mistake(E2, "check_all", value=wrong))
    assert re.fullmatch(
        r"ValueClassCheckError: relu: a.relu\(\) at a = -[\d.]+\n"
        r"  ∂out/∂a: expected 0 \(central difference\), got a.grad = 1.0\n"
        r"  hint: ∂relu\(a\)/∂a should be 1 if a.data > 0 else 0",
        message,
    ), message


def test_e2_assigning_a_grad_and_forgetting_to_attach_backward_are_named():
    assigns = [("other.grad += self.data * out.grad", "other.grad = self.data * out.grad")]
    message = _message(_with_mistake(E2, "check_mul", value=assigns))
    assert message.startswith("ValueClassCheckError: mul: a * a at a = 1.5\n") and "never `=`" in message
    unattached = [
        (
            'out = Value(self.data * other.data, (self, other), "*")',
            'out = Value(self.data * other.data, (self, other), "*")\n        return out',
        )
    ]
    message = _message(_with_mistake(E2, "check_mul", value=unattached))
    assert message.startswith("ValueClassCheckError: mul: a * b at a = 1.5, b = -2\n")
    assert "hint: the node made by '*' with data = -3 still has the do-nothing `_backward` of a leaf" in message
    assert "forget `out._backward = _backward` before `return out`?" in message


def test_e3_an_order_not_reversed_is_named_as_such():
    message = _message(
        _with_mistake(E3, "check_backward", order=[("reversed(topological_order(self))", "topological_order(self)")])
    )
    assert message.startswith("ValueClassCheckError: sub: a - b at a = 1.5, b = -2\n  ∂out/∂b: expected -1")
    assert "hint: backward() ran the nodes in topological order, inputs first and the output last" in message


def test_e3_an_endless_walk_times_out_in_backward():
    peeks = [("v, parents_done = stack.pop()", "v, parents_done = stack[-1]")]
    message = _message(_with_mistake(E3, "check_backward", order=peeks))
    assert message.startswith(
        "ValueClassCheckError: backward: timed out in Value(2.0).backward(): "
        "the time limit of 5 s for this check ran out\n"
        "  at topological_order, line "
    )


def test_e3_a_sort_without_its_seen_check_runs_a_shared_node_twice():
    no_seen = [("        elif v not in seen:\n", "        else:\n")]
    message = _message(_with_mistake(E3, "check_backward", order=no_seen))
    assert message.startswith(
        "ValueClassCheckError: diamonds: c = a * b; d = c + a; p = a + b; q = p * b; c * d + q * p"
    )
    assert "hint: the `_backward` of the node with data = -3 ran twice: each node's must run once" in message


def test_e3_the_order_check_says_what_is_wrong():
    root_first = [("    return order\n", "    return order[::-1]\n")]
    message = _message(_with_mistake(E3, "check_order", order=root_first))
    assert (
        message.startswith("AssertionError: ") and "comes after" in message and "which is computed from it" in message
    )


def test_e4_grads_never_reset_fail_with_a_message_saying_so():
    no_reset = [("        for p in model.parameters():\n            p.grad = 0.0\n", "")]
    assert _message(_with_mistake(E4, "check_training", train=no_reset)).startswith(
        "ExerciseCheckError: the grads were not reset: step 1 matches the reference update, but step 2"
    )
    uphill = [("p.data -= eta * p.grad", "p.data += eta * p.grad")]
    assert _message(_with_mistake(E4, "check_training", train=uphill)) == (
        "ExerciseCheckError: after one step of train: the parameters moved up the gradient: "
        "subtract it, p.data -= eta * p.grad"
    )
