"""fit(compile=True) against PyTorch (batched, float64), a network.py-style NumPy loop and fit without compile.

All in one run, on this machine:

1. The moons step: an MLP 2-16-16-1 (ReLU), 100 points, full batch: forward, hinge loss,
   backward, SGD update. PyTorch runs the same step on float64 tensors.
2. An MNIST-shaped epoch: 60,000 random examples of 784 inputs (no download), a
   784-30-10 sigmoid network, quadratic cost, mini-batches of 10, as in Nielsen's
   network.py. The network.py-style loop backpropagates one example at a time in NumPy
   (its ``update_mini_batch``/``backprop``); fit without compile is timed on 600
   examples and scaled to the epoch.

Goals (ratios): moons within 1.5× of PyTorch; the MNIST-shaped epoch at least 2× faster
than network.py style and at least 20× faster than fit without compile.
Run: ``python benchmarks/bench_compile.py`` (``python3 tasks.py bench`` runs every benchmark).
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import time
from collections.abc import Callable

import numpy as np

from nn import MLP, SGD, fit, hinge_loss, make_moons, quadratic_cost
from nn.compiled import CompiledTraining


def median_ms(fn: Callable[[], object], rounds: int, repeat: int) -> float:
    """Median over ``rounds`` of the mean time of ``repeat`` calls, in ms."""
    fn()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(repeat):
            fn()
        times.append((time.perf_counter() - t0) / repeat * 1000)
    return statistics.median(times)


def moons(rounds: int) -> tuple[float, float, float]:
    """ms per full-batch step: compiled, PyTorch float64, fit without compile."""
    X, y = make_moons(100, noise=0.1, seed=1)
    model = MLP(2, [16, 16, 1], seed=1)
    step = CompiledTraining(model, hinge_loss, SGD(model.parameters(), lr=0.1), None, X, y)
    everything = list(range(len(X)))
    ours = median_ms(lambda: step.step(everything, None, 0.0), rounds, 200)

    import torch

    torch.set_num_threads(1)
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1)
    ).double()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor([1.0 if t else -1.0 for t in y], dtype=torch.float64)

    def torch_step() -> None:
        opt.zero_grad()
        loss = torch.relu(1 - yt * net(Xt)[:, 0]).mean()
        loss.backward()
        opt.step()

    theirs = median_ms(torch_step, rounds, 200)
    scalar_model = MLP(2, [16, 16, 1], seed=1)
    history = fit(scalar_model, X, y, hinge_loss, SGD(scalar_model.parameters(), lr=0.1), 20, progress=False)
    scalar = statistics.median(history.seconds) * 1000
    return ours, theirs, scalar


def network_py_epoch(X: np.ndarray, Y: np.ndarray, sizes: list[int], eta: float, batch: int) -> None:
    """One epoch of Nielsen's network.py: per-example backprop, nablas summed per mini-batch."""
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((m, n)) for n, m in itertools.pairwise(sizes)]
    biases = [rng.standard_normal((m, 1)) for m in sizes[1:]]

    def sigmoid(z: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-z))

    for k in range(0, len(X), batch):
        nabla_b = [np.zeros(b.shape) for b in biases]
        nabla_w = [np.zeros(w.shape) for w in weights]
        for x, y in zip(X[k : k + batch], Y[k : k + batch]):
            a, activations, zs = x[:, None], [x[:, None]], []
            for w, b in zip(weights, biases):
                z = w @ a + b
                zs.append(z)
                a = sigmoid(z)
                activations.append(a)
            delta = (activations[-1] - y[:, None]) * a * (1 - a)  # BP1
            nabla_b[-1] += delta
            nabla_w[-1] += delta @ activations[-2].T  # BP4
            for layer in range(2, len(sizes)):
                s = sigmoid(zs[-layer])
                delta = (weights[-layer + 1].T @ delta) * s * (1 - s)  # BP2
                nabla_b[-layer] += delta  # BP3
                nabla_w[-layer] += delta @ activations[-layer - 1].T
        weights = [w - (eta / batch) * nw for w, nw in zip(weights, nabla_w)]
        biases = [b - (eta / batch) * nb for b, nb in zip(biases, nabla_b)]


def mnist_shaped(n: int = 60_000, scalar_n: int = 600) -> tuple[float, float, float]:
    """Seconds per epoch: fit(compile=True), network.py style, fit without compile (scaled from scalar_n)."""
    rng = np.random.default_rng(0)
    X = rng.random((n, 784))
    labels = rng.integers(0, 10, n)
    Y = np.eye(10)[labels]

    def train(compile: bool, count: int) -> float:
        """One epoch of fit on the first ``count`` examples: NumPy arrays when compiled, lists without."""
        model = MLP(784, [30, 10], activation="sigmoid", output_activation="sigmoid", seed=0)
        opt = SGD(model.parameters(), lr=3.0)
        Xs, Ys = (X[:count], Y[:count]) if compile else (X[:count].tolist(), Y[:count].tolist())
        t0 = time.perf_counter()
        fit(model, Xs, Ys, quadratic_cost, opt, 1, 10, progress=False, rng=random.Random(0), compile=compile)
        return time.perf_counter() - t0

    ours = train(True, n)
    t0 = time.perf_counter()
    network_py_epoch(X, Y, [784, 30, 10], 3.0, 10)
    theirs = time.perf_counter() - t0
    scalar = train(False, scalar_n) * n / scalar_n
    return ours, theirs, scalar


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per measurement (the median is shown)")
    args = parser.parse_args()
    ours, torch_ms, scalar = moons(args.rounds)
    row("benchmark", "compiled", "peer", "ratio", "goal")
    row(
        "moons 2-16-16-1 step vs PyTorch fp64 (ms)",
        f"{ours:.3f}",
        f"{torch_ms:.3f}",
        f"{torch_ms / ours:.2f}×",
        "≥ 0.67×",
    )
    row("moons step vs fit without compile (ms)", f"{ours:.3f}", f"{scalar:.3f}", f"{scalar / ours:.1f}×", "")
    ours_s, netpy_s, scalar_s = mnist_shaped()
    row(
        "MNIST-shaped epoch vs network.py style (s)",
        f"{ours_s:.2f}",
        f"{netpy_s:.2f}",
        f"{netpy_s / ours_s:.2f}×",
        "≥ 2×",
    )
    row(
        "MNIST-shaped epoch vs fit without compile (s)",
        f"{ours_s:.2f}",
        f"{scalar_s:.1f}",
        f"{scalar_s / ours_s:.1f}×",
        "≥ 20×",
    )


def row(name: str, ours: str, peer: str, ratio: str, goal: str) -> None:
    print(f"{name:<46} {ours:>9} {peer:>9} {ratio:>8}   {goal}")


if __name__ == "__main__":
    main()
