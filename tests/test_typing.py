"""The package says it is typed (py.typed): a user's type checker must accept what the README does —
NumPy arrays as data for fit, accuracy, batches and compile_batch — and still catch a wrong argument."""

from __future__ import annotations

from pathlib import Path

import pytest

api = pytest.importorskip("mypy.api")
pytest.importorskip("numpy")

USER = """
import numpy as np
from autograd_core import compile_batch
from nn import MLP, SGD, accuracy, batches, fit, hinge_loss, make_moons

X, y = make_moons(40, noise=0.1, seed=0)
Xa, ya = np.array(X), np.array(y)
model = MLP(2, [4, 1], seed=1)
history = fit(model, Xa, ya, hinge_loss, SGD(model.parameters(), lr=0.1), 2, validation=(Xa, ya), compile=True)
fit(model, X, y, hinge_loss, SGD(model.parameters(), lr=0.1), 1)
share: float = accuracy(model, Xa, ya, compile=True) + accuracy(model, X, y)
outputs = model.batch(Xa)
for X_batch, y_batch in batches(Xa, ya, 10):
    pass
step = compile_batch(lambda a, b: model([a, b]), model.parameters(), Xa)
"""


def _mypy(code: str, tmp_path: Path) -> tuple[str, int]:
    path = tmp_path / "user.py"
    path.write_text(code)
    out, err, status = api.run(["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), str(path)])
    return out + err, status


def test_numpy_arrays_as_data_type_check_and_a_number_does_not(tmp_path: Path) -> None:
    report, status = _mypy(USER, tmp_path)
    assert status == 0, report
    report, status = _mypy(USER + "accuracy(model, 3, ya)\n", tmp_path)
    assert status == 1 and 'Argument 2 to "accuracy" has incompatible type "int"' in report, report
