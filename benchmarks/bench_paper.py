"""The MNIST-1D table (Greydanus, "Scaling down deep learning", 2020) reproduced with ``fit(compile=True)``.

The paper's test accuracies on MNIST-1D: logistic regression 32 %, MLP 68 %, CNN 94 %. Here
the paper's three models are trained by the engine, compiled, on the default split
(``nn.load_mnist1d()``: 4,000 training and 1,000 test signals of 40 samples), each as the
paper's code trains them: Adam (lr 0.01), batches of 100, the cross-entropy, 100 epochs
(4,000 steps). Their test accuracy is measured on the 1,000 test signals
(``accuracy(..., compile=True)``).

* logistic regression: one linear layer 40 → 10 (410 parameters);
* MLP, the paper's ``MLPBase``: h₁ = ReLU(W₁x + b₁) (100 units), h₂ = h₁ + ReLU(W₂h₁ + b₂)
  (a residual layer of 100), then a linear layer 100 → 10 (15,210 parameters);
* CNN, the paper's ``ConvBase``: three ``Conv1d`` with ReLU, 1→25 kernel 5, 25→25 kernel 3,
  25→25 kernel 3, each with stride 2 and padding 1 (40 → 19 → 10 → 5 positions), flattened
  (125 numbers), then a linear layer 125 → 10 (5,210 parameters).

The CNN is also trained by PyTorch (float64, one thread) from the same initial weights
(``to_torch``) on the same batches in the same order. The time ratio is ours / PyTorch's:
our ``fit`` call (its trace included) against PyTorch's training loop, timed before and after
ours (their mean, as the shared machine's speed drifts). NumPy's BLAS runs on one thread too.
Goals: logistic 25–40 %, MLP 60–78 %, CNN ≥ 88 %; the compiled CNN within 2× of PyTorch's time.
Run: ``python benchmarks/bench_paper.py`` (``--epochs``, ``--seed``; ``python3 tasks.py bench``
runs every benchmark).
"""

from __future__ import annotations

import argparse
import copy
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from nn import (
    Adam,
    Conv1d,
    Flatten,
    Layer,
    Module,
    Residual,
    Sequential,
    accuracy,
    batches,
    cross_entropy,
    fit,
    load_mnist1d,
    to_torch,
)

LR, BATCH, EPOCHS = 1e-2, 100, 100


@dataclass(frozen=True)
class Row:
    """One model of the paper's table: how to build it, its input shape, the paper's accuracy and our goal."""

    name: str
    build: Callable[[int], Module]
    signal: bool  # True: the model reads signals (N, 1, 40), one channel; False: rows (N, 40)
    paper: float
    goal: tuple[float, float]


def logistic(seed: int) -> Module:
    """Logistic regression: scores z = Wx + b for the ten digits (softmax in the loss)."""
    return Layer(40, 10, activation="linear", rng=random.Random(seed))


def mlp(seed: int) -> Module:
    """The paper's MLPBase: 40 → 100 (ReLU) → x + ReLU(Wx + b) (100) → 10."""
    rng = random.Random(seed)
    return Sequential(
        Layer(40, 100, rng=rng), Residual(Layer(100, 100, rng=rng)), Layer(100, 10, activation="linear", rng=rng)
    )


def cnn(seed: int) -> Module:
    """The paper's ConvBase: three Conv1d (ReLU, stride 2, padding 1), 40 → 19 → 10 → 5 positions × 25 channels."""
    return Sequential(
        Conv1d(1, 25, kernel_size=5, stride=2, padding=1, seed=seed),
        Conv1d(25, 25, kernel_size=3, stride=2, padding=1, seed=seed + 1),
        Conv1d(25, 25, kernel_size=3, stride=2, padding=1, seed=seed + 2),
        Flatten(),
        Layer(125, 10, activation="linear", rng=random.Random(seed)),
    )


ROWS = (
    Row("logistic regression", logistic, False, 0.32, (0.25, 0.40)),
    Row("MLP", mlp, False, 0.68, (0.60, 0.78)),
    Row("CNN", cnn, True, 0.94, (0.88, 1.0)),
)


def shaped(X: np.ndarray, signal: bool) -> np.ndarray:
    """The signals as the model reads them: (N, 1, 40) for a convolution (one channel), else (N, 40)."""
    return X[:, None, :] if signal else X


def train_ours(model: Module, X: np.ndarray, y: np.ndarray, epochs: int, seed: int) -> float:
    """Seconds for ``fit(..., compile=True)``: Adam, batches of 100 shuffled by ``random.Random(seed)``."""
    optimizer = Adam(model.parameters(), lr=LR)
    start = time.perf_counter()
    fit(model, X, y, cross_entropy, optimizer, epochs, BATCH, progress=False, compile=True, rng=random.Random(seed))
    return time.perf_counter() - start


def train_torch(net: Any, X: np.ndarray, y: np.ndarray, epochs: int, seed: int) -> float:
    """Seconds for PyTorch's loop over the batches ``fit`` draws (``nn.batches``, the same rng calls)."""
    import torch

    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    optimizer = torch.optim.Adam(net.parameters(), lr=LR)
    rng, n = random.Random(seed), len(X)
    start = time.perf_counter()
    for _ in range(epochs):
        for index, _ in batches(range(n), range(n), BATCH, rng=rng):
            i = torch.tensor(index)
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(net(Xt[i]), yt[i]).backward()
            optimizer.step()
    return time.perf_counter() - start


def torch_accuracy(net: Any, X: np.ndarray, y: np.ndarray) -> float:
    import torch

    with torch.no_grad():
        return float((net.eval()(torch.from_numpy(X)).argmax(dim=1).numpy() == y).mean())


def torch_or_none() -> Any:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=EPOCHS, help="passes over the 4,000 signals (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="initial weights and batch order (default 0)")
    names = [row.name.split()[0].lower() for row in ROWS]
    parser.add_argument("--models", nargs="+", choices=names, default=names, help="which rows (default all)")
    args = parser.parse_args()
    X, y, X_test, y_test = load_mnist1d()
    torch = torch_or_none()
    print(f"MNIST-1D: {len(X):,} training and {len(X_test):,} test signals; {args.epochs} epochs of batches of "
          f"{BATCH} ({args.epochs * len(X) // BATCH:,} steps), Adam lr {LR}, seed {args.seed}")  # fmt: skip
    print(f"{'model':<20} {'parameters':>10} {'ours':>7} {'paper':>6}  {'goal':<9} {'fit (s)':>8}")
    with threadpool_limits(1):
        for row, name in zip(ROWS, names):
            if name in args.models:
                run(row, (X, y, X_test, y_test), args.epochs, args.seed, torch)
    if torch is None:
        print("PyTorch is not installed (the bench extra): no time ratio")


def run(row: Row, data: tuple[np.ndarray, ...], epochs: int, seed: int, torch: Any) -> None:
    """Train one row's model (and for the CNN PyTorch's copy, before and after ours) and print the results."""
    X, y, X_test, y_test = (shaped(a, row.signal) if a.ndim == 2 else a for a in data)
    model = row.build(seed)
    start = to_torch(model) if torch is not None and row.signal else None
    before = None if start is None else train_torch(copy.deepcopy(start), X, y, epochs, seed)
    seconds = train_ours(model, X, y, epochs, seed)
    acc = accuracy(model, X_test, y_test, compile=True)
    low, high = row.goal
    goal = f"{low:.0%}–{high:.0%}" if high < 1 else f"≥ {low:.0%}"
    n = model.num_parameters()
    print(f"{row.name:<20} {n:>10,} {acc:>7.1%} {row.paper:>6.0%}  {goal:<8}{mark(low <= acc <= high)} "
          f"{seconds:>8.1f}", flush=True)  # fmt: skip
    if start is None or before is None:
        return
    net = copy.deepcopy(start)
    after = train_torch(net, X, y, epochs, seed)
    torch_s = (before + after) / 2
    torch_acc, ok = torch_accuracy(net, X_test, y_test), seconds <= 2 * torch_s
    print(f"  {row.name} in PyTorch fp64, one thread, same start and batches: test {torch_acc:.1%}, "
          f"{torch_s:.1f} s (before ours {before:.1f}, after {after:.1f}); "
          f"ours / PyTorch = {seconds / torch_s:.2f}× (goal ≤ 2×) {mark(ok)}", flush=True)  # fmt: skip


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


if __name__ == "__main__":
    main()
