"""nn benchmark: ``nn.MLP`` (fused ``dot`` nodes) vs micrograd's ``nn.MLP``, in one run.

1. The moons step of micrograd's demo on the same 100 points (noise 0.1), MLP 2-16-16-1:
   forward over all points + SVM max-margin hinge loss + 1e-4·Σp² + backward + SGD
   update. ms/step for each library and the ratio to micrograd: through ``nn.fit``
   (target ≥ 60×), and per example as a student writes it, ``model(x)`` for each point,
   with micrograd's own loop or with ``nn``'s losses and ``SGD`` (target ≥ 40×).
2. Digits (scikit-learn 8×8, 80/20 split): MLP 64-32-10, softmax cross-entropy,
   mini-batch SGD (batch 32, momentum 0.9) with ``nn.fit``: seconds per epoch and the
   test accuracy (target ≥ 95 %).

Run: ``python benchmarks/bench_nn.py`` (about a minute; ``python3 tasks.py bench`` runs all).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections.abc import Callable

from micrograd.engine import Value as MicroValue
from micrograd.nn import MLP as MicroMLP

import nn


def micrograd_step(model: MicroMLP, X: list[list[float]], y: list[float]) -> Callable[[], float]:
    """micrograd's demo step: inputs wrapped in Values, hinge + 1e-4·Σp², SGD with lr 0.1."""

    def step() -> float:
        inputs = [list(map(MicroValue, row)) for row in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        loss = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.1 * p.grad
        return loss.data

    return step


def nn_fit_step(model: nn.MLP, X: list[list[float]], y: list[float]) -> Callable[[], float]:
    """The same step through ``nn.fit`` (one full-batch epoch): fused dot nodes, the
    weights read once per batch, ``hinge_loss`` + ``l2_penalty``, ``SGD``, bookkeeping."""
    optimizer = nn.SGD(model.parameters(), lr=0.1)

    def step() -> float:
        history = nn.fit(
            model, X, y, nn.hinge_loss, optimizer, 1, penalty=lambda ps: 1e-4 * nn.l2_penalty(ps), progress=False
        )
        return history.losses[-1]

    return step


def micrograd_style_step(model: nn.MLP, X: list[list[float]], y: list[float]) -> Callable[[], float]:
    """micrograd's demo loop line for line with ``nn.MLP`` as the model (``model(x)`` per point, GC left on)."""
    params = model.parameters()

    def step() -> float:
        scores = [model(x) for x in X]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        loss = data_loss + 1e-4 * sum(p * p for p in params)
        model.zero_grad()
        loss.backward()
        for p in params:
            p.data -= 0.1 * p.grad
        return loss.data

    return step


def nn_loop_step(model: nn.MLP, X: list[list[float]], y: list[float]) -> Callable[[], float]:
    """The step written out by hand with ``nn``'s losses and optimiser (``model(x)`` per point, GC left on)."""
    params = model.parameters()
    optimizer = nn.SGD(params, lr=0.1)

    def step() -> float:
        loss = nn.hinge_loss([model(x) for x in X], y) + 1e-4 * nn.l2_penalty(params)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.data

    return step


def ms_per_step(step: Callable[[], float], n: int) -> float:
    """Mean wall time of ``n`` consecutive calls, in ms, after a ``gc.collect()``: each peer
    pays for its own garbage (micrograd's closures make cycles), not for the other's."""
    gc.collect()
    start = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - start) / n * 1e3


def bench_moons(rounds: int) -> None:
    X, labels = nn.make_moons(100, noise=0.1, seed=1)
    y = [2.0 * t - 1.0 for t in labels]  # ±1 for the hinge loss
    random.seed(1337)  # micrograd initialises from the global random module
    peers = {
        "micrograd 0.1.0": (micrograd_step(MicroMLP(2, [16, 16, 1]), X, y), 2),
        "nn.fit (fused dot)": (nn_fit_step(nn.MLP(2, [16, 16, 1], seed=1337), X, y), 40),
        "per example, micrograd's loop": (micrograd_style_step(nn.MLP(2, [16, 16, 1], seed=1337), X, y), 20),
        "per example, nn losses + SGD": (nn_loop_step(nn.MLP(2, [16, 16, 1], seed=1337), X, y), 20),
    }
    times: dict[str, list[float]] = {name: [] for name in peers}
    for _ in range(rounds):  # interleaved, so machine load hits every peer alike
        for name, (step, n) in peers.items():
            times[name].append(ms_per_step(step, n))
    median = {name: statistics.median(t) for name, t in times.items()}
    micro = median["micrograd 0.1.0"]
    print("Moons step: MLP 2-16-16-1, 100 points, hinge + 1e-4·Σp², backward, SGD (median of rounds)")
    print(f"  {'':<31}{'ms/step':>10}{'vs micrograd':>14}")
    for name, ms in median.items():
        print(f"  {name:<31}{ms:>10.2f}{micro / ms:>13.1f}×")
    print("  targets: nn.fit ≥ 60× faster than micrograd, per example ≥ 40×")


def bench_digits(epochs: int) -> None:
    X_train, y_train, X_test, y_test = nn.load_digits(test_fraction=0.2, seed=0)
    model = nn.MLP(64, [32, 10], seed=0)
    optimizer = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = nn.fit(model, X_train, y_train, nn.cross_entropy, optimizer, epochs, batch_size=32, progress=False)
    test = nn.accuracy(model, X_test, y_test)
    print(f"\nDigits: MLP 64-32-10, cross-entropy, SGD(lr 0.1, momentum 0.9), batch 32, {len(X_train)} training images")
    print(f"  {'epoch':>5}{'s/epoch':>10}{'loss':>10}{'train acc':>11}")
    for i, (s, loss, acc) in enumerate(zip(history.seconds, history.losses, history.accuracies), 1):
        print(f"  {i:>5}{s:>10.2f}{loss:>10.4f}{acc:>11.3f}")
    print(f"  mean {statistics.mean(history.seconds):.2f} s/epoch; test accuracy {test:.3f} (target ≥ 0.95)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds for the moons step")
    parser.add_argument("--epochs", type=int, default=8, help="digits epochs")
    args = parser.parse_args()
    bench_moons(args.rounds)
    bench_digits(args.epochs)


if __name__ == "__main__":
    main()
