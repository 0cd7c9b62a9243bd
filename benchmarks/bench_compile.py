"""fit(compile=True) against PyTorch (float64, one thread), network.py-style NumPy and fit without compile.

All in one run, on this machine, each row for a *fresh* model (as initialised: zero biases)
and a *trained* one (as if loaded from a file: a new model object holding the numbers of
one trained for 2 epochs, non-zero biases included — the plan must not depend on the
numbers — and no plan cached for it yet):

1. Moons epoch: an MLP 2-16-16-1 (ReLU), 100 points, full batch (one step per epoch),
   hinge loss: ms per epoch of ``fit(..., epochs=50, compile=True)`` calls, called again
   and again on the same model (the plan is traced once and reused). PyTorch runs the same
   step (forward, loss, backward, SGD) on float64 tensors with one thread.
2. 60,000 MNIST-shaped examples: 6,000 random examples of 784 inputs (no download), a
   784-30-10 sigmoid network, quadratic cost, mini-batches of 10, 10 epochs in one ``fit``
   call on a new model object (the trace included). PyTorch float64 with one thread runs
   the same 6,000 mini-batch steps.
3. One epoch of 6,000 such examples in one ``fit`` call (trace included) against Nielsen's
   network.py-style per-example backprop in NumPy (network.py's numbers to 1e-14, and its time
   within the VM's noise of network.py's own code, which it follows but for adding each
   example's ∂C/∂w in place); a second such call on the same trained model (its plan reused);
   and the trace alone against that epoch.
4. For scale: fit without compile, timed on 300 examples and scaled.
5. A CNN on the 8×8 digits (scikit-learn's, 80 % to train, 20 % to test):
   Sequential(Conv2d(1, 16, 3, padding=1), MaxPool2d(2), Flatten(), Layer(256, 10, linear)),
   cross-entropy, SGD (η = 0.05, momentum 0.9), mini-batches of 32, 15 epochs in one
   ``fit(compile=True)`` call (trace included): its test accuracy, its time against the same
   network in PyTorch float64 with one thread on the same batches, and one compiled epoch
   against one epoch without compile (timed on 200 examples and scaled).

NumPy's BLAS runs on one thread too (threadpoolctl), as PyTorch does: on a shared 2-core VM
spinning BLAS threads only steal time. The VM's speed drifts, so each ratio compares
measurements taken alternately (the median of per-round ratios; for the 60,000-example
rows, PyTorch timed before and after ours).
Goals (ratios, peer time / ours): moons ≥ 1 (no slower than PyTorch); 60,000 examples ≥ 1;
one epoch ≥ 2× network.py style; CNN: test accuracy ≥ 97 % in 15 epochs, well under two
minutes, within 2× of PyTorch (ratio ≥ 0.5), a compiled epoch ≥ 20× one without compile.
Run: ``python benchmarks/bench_compile.py`` (``python3 tasks.py bench`` runs every benchmark).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from collections.abc import Callable
from random import Random
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from autograd_core import compile_batch
from nn import (
    MLP,
    SGD,
    Conv2d,
    Flatten,
    Layer,
    MaxPool2d,
    Sequential,
    accuracy,
    cross_entropy,
    fit,
    hinge_loss,
    make_moons,
    quadratic_cost,
)

MNIST_N, MNIST_EPOCHS, BATCH = 6_000, 10, 10


def trained_copy(
    make: Callable[[], MLP], X: object, Y: object, loss: Callable[..., Any], lr: float, batch: int | None
) -> MLP:
    """A new model object holding the numbers of one trained for 2 epochs (as if loaded from a
    file): non-zero biases, and no plan cached for it yet."""
    teacher = make()
    fit(teacher, X, Y, loss, SGD(teacher.parameters(), lr=lr), 2, batch, progress=False, compile=True)
    model = make()
    for p, q in zip(model.parameters(), teacher.parameters()):
        p.data = q.data
    return model


def seconds(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# ------------------------------------------------------------------ moons
def moons_ours(is_trained: bool, epochs: int = 50) -> tuple[Callable[[], object], int]:
    """A fit(epochs=50, compile=True) call (full batch) on one model, repeated: (the call, epochs per call)."""
    X, y = make_moons(100, noise=0.1, seed=1)
    Xa, ya = np.array(X), np.array(y)
    make = lambda: MLP(2, [16, 16, 1], seed=1)  # noqa: E731
    model = trained_copy(make, Xa, ya, hinge_loss, 0.1, None) if is_trained else make()
    optimizer = SGD(model.parameters(), lr=0.01)
    return lambda: fit(model, Xa, ya, hinge_loss, optimizer, epochs, progress=False, compile=True), epochs


def moons_torch(steps: int = 50) -> tuple[Callable[[], object], int]:
    """The same full-batch step in PyTorch, float64, one thread: (``steps`` steps, steps per call)."""
    import torch

    torch.set_num_threads(1)
    X, y = make_moons(100, noise=0.1, seed=1)
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1)
    ).double()
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor([1.0 if t else -1.0 for t in y], dtype=torch.float64)

    def run() -> None:
        for _ in range(steps):
            opt.zero_grad()
            loss = torch.relu(1 - yt * net(Xt)[:, 0]).mean()
            loss.backward()
            opt.step()

    return run, steps


def alternating(
    ours: tuple[Callable[[], object], int], peer: tuple[Callable[[], object], int], rounds: int
) -> tuple[float, float, float]:
    """(ms per epoch ours, ms per step peer, median of the per-round ratios), timed in turn."""
    (fn, n), (peer_fn, peer_n) = ours, peer
    fn(), peer_fn()  # warm up (ours traces here)
    mine, theirs = [], []
    for _ in range(rounds):
        mine.append(seconds(fn) / n * 1000)
        theirs.append(seconds(peer_fn) / peer_n * 1000)
    ratios = [t / m for m, t in zip(mine, theirs)]
    return statistics.median(mine), statistics.median(theirs), statistics.median(ratios)


def moons_scalar() -> float:
    X, y = make_moons(100, noise=0.1, seed=1)
    model = MLP(2, [16, 16, 1], seed=1)
    history = fit(model, X, y, hinge_loss, SGD(model.parameters(), lr=0.1), 10, progress=False)
    return statistics.median(history.seconds) * 1000


# ------------------------------------------------------------------ MNIST-shaped
def mnist_data(n: int = MNIST_N) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.random((n, 784))
    return X, np.eye(10)[rng.integers(0, 10, n)]


def mnist_model(is_trained: bool, X: np.ndarray, Y: np.ndarray) -> MLP:
    """A fresh 784-30-10 model, or a new object holding the numbers of one trained for 2 epochs on 600 examples."""
    make = lambda: MLP(784, [30, 10], activation="sigmoid", output_activation="sigmoid", seed=0)  # noqa: E731
    return trained_copy(make, X[:600], Y[:600], quadratic_cost, 3.0, BATCH) if is_trained else make()


def mnist_ours(X: np.ndarray, Y: np.ndarray, epochs: int, is_trained: bool, again: bool = False) -> float:
    """Seconds for one fit call of ``epochs`` epochs on a new model object (its trace included), or
    with ``again`` for a second call on it (the plan of the first reused)."""
    model = mnist_model(is_trained, X, Y)
    opt = SGD(model.parameters(), lr=3.0)
    run = lambda: fit(model, X, Y, quadratic_cost, opt, epochs, BATCH, progress=False, compile=True)  # noqa: E731
    if again:
        run()
    return seconds(run)


def mnist_torch(X: np.ndarray, Y: np.ndarray, epochs: int) -> float:
    import torch

    torch.set_num_threads(1)
    net = torch.nn.Sequential(
        torch.nn.Linear(784, 30), torch.nn.Sigmoid(), torch.nn.Linear(30, 10), torch.nn.Sigmoid()
    ).double()
    opt = torch.optim.SGD(net.parameters(), lr=3.0)
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    order = np.random.default_rng(0)

    def run() -> None:
        for _ in range(epochs):
            for idx in np.array_split(order.permutation(len(X)), len(X) // BATCH):
                i = torch.from_numpy(idx)
                opt.zero_grad()
                loss = 0.5 * ((net(Xt[i]) - Yt[i]) ** 2).sum(dim=1).mean()
                loss.backward()
                opt.step()

    return seconds(run)


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


def mnist_trace(X: np.ndarray, Y: np.ndarray, rounds: int) -> float:
    """Seconds to trace and plan the trained 784-30-10 model (compile_batch, which keeps no plan):
    the median of ``rounds`` traces."""
    model = mnist_model(True, X, Y)
    params = model.parameters()
    return statistics.median(
        seconds(lambda: compile_batch(lambda *x: model(list(x)), params, X)) for _ in range(rounds)
    )


def mnist_scalar(X: np.ndarray, Y: np.ndarray, n: int = 300) -> float:
    """Seconds per epoch of MNIST_N examples for fit without compile, timed on ``n``."""
    model = mnist_model(False, X, Y)
    opt = SGD(model.parameters(), lr=3.0)
    Xs, Ys = X[:n].tolist(), Y[:n].tolist()
    return seconds(lambda: fit(model, Xs, Ys, quadratic_cost, opt, 1, BATCH, progress=False)) * MNIST_N / n


# ------------------------------------------------------------------ CNN on the digits
CNN_EPOCHS, CNN_BATCH, CNN_LR = 15, 32, 0.05


def digits_images() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's 8×8 digits as images (N, 1, 8, 8) in [0, 1]: 80 % train, 20 % test (stratified)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = digits.images[:, None] / 16.0
    X_train, X_test, y_train, y_test = train_test_split(
        X, digits.target, test_size=0.2, random_state=0, stratify=digits.target
    )
    return X_train, X_test, y_train, y_test


def digits_cnn() -> Sequential:
    return Sequential(
        Conv2d(1, 16, 3, padding=1, seed=0), MaxPool2d(2), Flatten(), Layer(256, 10, activation="linear", rng=Random(0))
    )


def cnn_ours(X: np.ndarray, y: np.ndarray, epochs: int, compile: bool = True) -> tuple[float, Sequential]:
    """Seconds for one fit call of ``epochs`` epochs on a new CNN (its trace included), and the trained model."""
    model = digits_cnn()
    opt = SGD(model.parameters(), lr=CNN_LR, momentum=0.9)
    run = lambda: fit(model, X, y, cross_entropy, opt, epochs, CNN_BATCH, progress=False, compile=compile)  # noqa: E731
    return seconds(run), model


def cnn_torch(X: np.ndarray, y: np.ndarray, epochs: int) -> float:
    """The same network, loss, optimiser and batch size in PyTorch, float64, one thread."""
    import torch

    torch.set_num_threads(1)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(256, 10),
    ).double()
    opt = torch.optim.SGD(net.parameters(), lr=CNN_LR, momentum=0.9)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    order = np.random.default_rng(0)

    def run() -> None:
        for _ in range(epochs):
            for idx in np.array_split(order.permutation(len(X)), -(-len(X) // CNN_BATCH)):
                i = torch.from_numpy(idx)
                opt.zero_grad()
                torch.nn.functional.cross_entropy(net(Xt[i]), yt[i]).backward()
                opt.step()

    return seconds(run)


def run_cnn() -> None:
    X_train, X_test, y_train, y_test = digits_images()
    torch_s = cnn_torch(X_train, y_train, CNN_EPOCHS)
    ours_s, model = cnn_ours(X_train, y_train, CNN_EPOCHS)
    torch_s = (torch_s + cnn_torch(X_train, y_train, CNN_EPOCHS)) / 2  # before and after ours: the VM drifts
    test_accuracy = accuracy(model, X_test, y_test)
    row(f"digits CNN, {CNN_EPOCHS} epochs, test accuracy", f"{test_accuracy:.1%}", "", "", "≥ 97 %")
    row(f"digits CNN, {CNN_EPOCHS} epochs, vs PyTorch fp64 1 thread (s)", f"{ours_s:.2f}", f"{torch_s:.2f}",
        f"{torch_s / ours_s:.2f}×", "≥ 0.5×, ≪ 120 s")  # fmt: skip
    n = 200
    scalar_s = cnn_ours(X_train[:n], y_train[:n], 1, compile=False)[0] * len(X_train) / n
    compiled_s = min(cnn_ours(X_train, y_train, 1)[0] for _ in range(3))
    row("digits CNN, one epoch, vs fit without compile (s)", f"{compiled_s:.3f}", f"{scalar_s:.1f}",
        f"{scalar_s / compiled_s:.0f}×", "≥ 20×")  # fmt: skip


# ------------------------------------------------------------------ report
def row(name: str, ours: str, peer: str, ratio: str, goal: str) -> None:
    print(f"{name:<58} {ours:>9} {peer:>9} {ratio:>8}   {goal}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--rounds", type=int, default=7, help="alternating rounds for the moons and one-epoch rows (median shown)"
    )
    parser.add_argument("--cnn-only", action="store_true", help="only the CNN rows (5.)")
    args = parser.parse_args()
    with threadpool_limits(1):
        if not args.cnn_only:
            run_all(args.rounds)
        run_cnn()


def run_all(rounds: int) -> None:
    row("benchmark (ratio = peer time / ours: > 1 is faster)", "ours", "peer", "ratio", "goal")
    for state in ("fresh", "trained"):
        ours, peer, ratio = alternating(moons_ours(state == "trained"), moons_torch(), rounds)
        row(
            f"moons epoch, {state}, fit calls vs PyTorch fp64 (ms)",
            f"{ours:.3f}",
            f"{peer:.3f}",
            f"{ratio:.2f}×",
            "≥ 1×",
        )
    scalar_ms = moons_scalar()
    row("moons epoch, trained, vs fit without compile (ms)", f"{ours:.3f}", f"{scalar_ms:.2f}",
        f"{scalar_ms / ours:.0f}×", "")  # fmt: skip
    X, Y = mnist_data()
    before = mnist_torch(X, Y, MNIST_EPOCHS)
    runs = {state: mnist_ours(X, Y, MNIST_EPOCHS, state == "trained") for state in ("fresh", "trained")}
    torch_s = (before + mnist_torch(X, Y, MNIST_EPOCHS)) / 2
    for state, ours_s in runs.items():
        row(f"60,000 MNIST-shaped, {state}, vs PyTorch fp64 1 thread (s)", f"{ours_s:.2f}", f"{torch_s:.2f}",
            f"{torch_s / ours_s:.2f}×", "≥ 1×")  # fmt: skip
    epoch_s: dict[str, float] = {}
    for state in ("fresh", "trained", "2nd call"):  # a new model object each round: its trace is timed,
        mine, theirs = [], []  # except in the 2nd fit call on a trained one (the plan of the 1st reused)
        for _ in range(rounds):
            mine.append(mnist_ours(X, Y, 1, state != "fresh", again=state == "2nd call"))
            theirs.append(seconds(lambda: network_py_epoch(X, Y, [784, 30, 10], 3.0, BATCH)))
        epoch_s[state], netpy_s = statistics.median(mine), statistics.median(theirs)
        ratio = statistics.median([t / m for m, t in zip(mine, theirs)])
        row(f"6,000 MNIST-shaped, one epoch, {state}, vs network.py (s)", f"{epoch_s[state]:.2f}",
            f"{netpy_s:.2f}", f"{ratio:.2f}×", "≥ 2×" if state != "2nd call" else "")  # fmt: skip
    ours_s = epoch_s["trained"]
    trace_s = mnist_trace(X, Y, rounds)
    row("784-30-10 trace vs one compiled epoch of 6,000 (s)", f"{trace_s:.2f}", f"{ours_s:.2f}",
        f"{ours_s / trace_s:.1f}×", "≥ 1×")  # fmt: skip
    scalar_s = mnist_scalar(X, Y)
    row("6,000 MNIST-shaped, one epoch, vs fit without compile (s)", f"{ours_s:.2f}", f"{scalar_s:.1f}",
        f"{scalar_s / ours_s:.0f}×", "")  # fmt: skip


if __name__ == "__main__":
    main()
