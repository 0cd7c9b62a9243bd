"""Engine benchmark: autograd_core vs micrograd (PyPI 0.1.0), measured in the same run.

1. MLP 2-16-16-1 on 100 points, neurons built from ``*`` and ``+`` exactly as
   micrograd's ``Neuron`` builds them (the same graph in both engines); one step =
   forward over all points + SVM max-margin loss + 1e-4·Σp² + backward + SGD update.
2. A chain y = x·c₁·c₂·…: build + backward, ms per 100,000 nodes (micrograd's recursive
   topological sort cannot go deeper than the recursion limit, so its chain is 900 long).
3. Memory per op node for ``x * c`` (tracemalloc).
4. A 1,000,000-node chain in this engine: build + backward.

Run: ``python benchmarks/bench_engine.py`` (``python3 tasks.py bench`` runs all benchmarks).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from itertools import pairwise
from typing import Any

from micrograd.engine import Value as MicroValue

from autograd_core import Value

Engine = Any  # a Value class: autograd_core.Value or micrograd.engine.Value


def make_data(n: int = 100, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """n points in [-1, 1]², labelled ±1 by the sign of x₀·x₁."""
    rng = random.Random(seed)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(n)]
    return X, [1.0 if x0 * x1 > 0 else -1.0 for x0, x1 in X]


def make_mlp(V: Engine, sizes: list[int], seed: int = 1) -> list[list[tuple[list[Any], Any]]]:
    """Layers of neurons (w, b) with w ~ U(-1, 1), b = 0, as micrograd's ``nn.Neuron``."""
    rng = random.Random(seed)
    return [
        [([V(rng.uniform(-1, 1)) for _ in range(nin)], V(0.0)) for _ in range(nout)] for nin, nout in pairwise(sizes)
    ]


def forward(layers: list[list[tuple[list[Any], Any]]], x: list[Any]) -> Any:
    """micrograd's MLP: act = Σ wᵢ·xᵢ + b via ``*`` and ``+``; ReLU except on the last layer."""
    for depth, layer in enumerate(layers):
        relu = depth < len(layers) - 1
        out = []
        for w, b in layer:
            act = sum((wi * xi for wi, xi in zip(w, x)), b)
            out.append(act.relu() if relu else act)
        x = out
    return x[0]


def mlp_step(V: Engine, layers: list[list[tuple[list[Any], Any]]], X: list[list[float]], y: list[float]) -> float:
    """One step of micrograd's demo: forward, max-margin loss + L2, backward, SGD."""
    params = [p for layer in layers for w, b in layer for p in [*w, b]]
    scores = [forward(layers, list(map(V, row))) for row in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in params)
    for p in params:
        p.grad = 0.0
    loss.backward()
    for p in params:
        p.data -= 0.05 * p.grad
    return loss.data


def chain(V: Engine, n: int) -> Any:
    """y = x·c·c·…·c (n multiplications by a constant), then backward."""
    y = x = V(1.0)
    for _ in range(n):
        y = y * 1.0000001
    y.backward()
    return x


def median_ms(fn: Callable[[], object], rounds: int) -> float:
    """The median wall time of ``fn()`` over ``rounds`` runs in a row, in ms.

    Each engine runs its rounds as a block after a ``gc.collect()``, as in a training
    loop: it pays for its own garbage (micrograd's closures make reference cycles that
    only the cycle collector frees), not for the other engine's.
    """
    gc.collect()
    fn()  # warm-up
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def bytes_per_node(V: Engine, n: int = 100_000) -> float:
    """Memory tracemalloc sees per ``x * c`` node in a chain of n of them."""
    x = V(1.0)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    y = x
    for _ in range(n):
        y = y * 1.0000001
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del y
    return (after - before) / n


def row(name: str, ours: float, theirs: float, unit: str, target: str) -> None:
    print(f"{name:<38} {ours:>10.2f} {theirs:>12.2f} {unit:<8} {theirs / ours:>7.1f}×   {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=9, help="timed runs per measurement (the median is shown)")
    args = parser.parse_args()

    X, y = make_data()
    sizes = [2, 16, 16, 1]
    ours_layers, their_layers = make_mlp(Value, sizes), make_mlp(MicroValue, sizes)
    assert mlp_step(Value, ours_layers, X, y) == mlp_step(MicroValue, their_layers, X, y), "engines disagree"

    print(f"{'benchmark':<38} {'ours':>10} {'micrograd':>12} {'unit':<8} {'ratio':>8}   target")
    ms_ours = median_ms(lambda: mlp_step(Value, ours_layers, X, y), args.rounds)
    ms_theirs = median_ms(lambda: mlp_step(MicroValue, their_layers, X, y), args.rounds)
    row("MLP 2-16-16-1, 100 points, * and +", ms_ours, ms_theirs, "ms/step", "≥ 15×")

    depth = 900  # micrograd's recursive topological sort overflows the stack beyond ~1,000
    ours_chain = median_ms(lambda: chain(Value, depth), 10 * args.rounds)
    their_chain = median_ms(lambda: chain(MicroValue, depth), 10 * args.rounds)
    row(f"chain of {depth} x*c, build + backward", ours_chain, their_chain, "ms", "")

    b_ours, b_theirs = bytes_per_node(Value), bytes_per_node(MicroValue)
    print(
        f"{'memory per x*c node (tracemalloc)':<38} {b_ours:>10.0f} {b_theirs:>12.0f} {'bytes':<8} "
        f"{b_theirs / b_ours:>7.1f}×   ≤ 150 bytes"
    )

    t0 = time.perf_counter()
    x = chain(Value, 1_000_000)
    seconds = time.perf_counter() - t0
    print(
        f"1,000,000-node chain: build + backward in {seconds:.2f} s (∂y/∂x = {x.grad:.6f}; micrograd: RecursionError)"
    )


if __name__ == "__main__":
    main()
