"""benchmarks/bench_paper.py compares like with like: the paper's models, the same batches for PyTorch as for fit.

The benchmark's time ratio and its "same start and batches" accuracy mean something only if
PyTorch's loop replays exactly the steps ``fit(compile=True)`` takes; here one epoch on 300
signals, from the same weights, must end at the same weights.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from conftest import torch_or_skip

from nn import from_torch, load_mnist1d, to_torch

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_paper.py"


def bench() -> ModuleType:
    """benchmarks/bench_paper.py as a module (benchmarks/ is not a package)."""
    if "bench_paper" not in sys.modules:
        spec = importlib.util.spec_from_file_location("bench_paper", BENCH)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_paper"] = module  # its dataclass looks its module up there
        spec.loader.exec_module(module)
    return sys.modules["bench_paper"]


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, ...]:
    pytest.importorskip("mnist1d", reason="load_mnist1d needs the mnist1d extra")
    X, y, X_test, y_test = load_mnist1d()
    return X[:300], y[:300], X_test[:100], y_test[:100]


def test_the_models_are_the_papers() -> None:
    b = bench()
    sizes = {row.name: row.build(0).num_parameters() for row in b.ROWS}
    # 40·10 + 10; MLPBase (40-100, 100-100 residual, 100-10); ConvBase (25·(1·5 + 1) + 2·25·(25·3 + 1) + 125·10 + 10)
    assert sizes == {"logistic regression": 410, "MLP": 15_210, "CNN": 5_210}


@pytest.mark.parametrize("name", ["MLP", "CNN"])
def test_pytorch_replays_the_steps_of_fit(data: tuple[np.ndarray, ...], name: str) -> None:
    torch = torch_or_skip()
    b = bench()
    row = next(r for r in b.ROWS if r.name == name)
    X, y, _, _ = data
    X = b.shaped(X, row.signal)
    model = row.build(3)
    net = to_torch(model)
    b.train_ours(model, X, y, epochs=1, seed=5)
    with torch.random.fork_rng():
        b.train_torch(net, X, y, epochs=1, seed=5)
    theirs = from_torch(net).parameters()
    gap = max(abs(p.data - q.data) for p, q in zip(model.parameters(), theirs))
    assert gap < 1e-12
