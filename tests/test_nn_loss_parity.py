"""Each loss is written twice, on Values (``nn.losses``) and on arrays (``ON_ARRAYS``, for
``fit(compile=True)``): both run here on the same numbers, for every loss, one output and
several, and must give the same C and the same ∂C/∂a (the backward pass of the Value one)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from autograd_core import Value
from nn.losses import (
    ON_ARRAYS,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
)

np = pytest.importorskip("numpy")


def batch(loss: Callable[..., Value], n: int, k: int, rng: random.Random) -> tuple[list[list[float]], list[Any]]:
    """n examples of k outputs each, and targets that ``loss`` accepts."""
    if loss is binary_cross_entropy:
        A = [[rng.uniform(0.01, 0.99) for _ in range(k)] for _ in range(n)]
    else:
        A = [[rng.uniform(-3.0, 3.0) for _ in range(k)] for _ in range(n)]
    if loss is cross_entropy:
        return A, [rng.randrange(k) for _ in range(n)]
    if loss is hinge_loss:
        labels = [[rng.choice([-1.0, 1.0, 0.0]) for _ in range(k)] for _ in range(n)]
    elif loss in (binary_cross_entropy, binary_cross_entropy_with_logits):
        labels = [[rng.choice([0.0, 1.0, rng.random()]) for _ in range(k)] for _ in range(n)]
    else:
        labels = [[rng.uniform(-2.0, 2.0) for _ in range(k)] for _ in range(n)]
    return A, labels


@pytest.mark.parametrize("loss", list(ON_ARRAYS), ids=lambda f: f.__name__)
@pytest.mark.parametrize(("n", "k"), [(1, 1), (5, 1), (4, 3)])
@pytest.mark.parametrize("seed", range(3))
def test_the_array_rule_of_each_loss_matches_its_value_rule(
    loss: Callable[..., Value], n: int, k: int, seed: int
) -> None:
    if loss is cross_entropy and k == 1:
        k = 2  # a class index needs at least two classes
    A, Y = batch(loss, n, k, random.Random(seed))
    a = [[Value(x) for x in row] for row in A]
    if loss is cross_entropy:
        preds, targets = a, Y
    elif k == 1:  # one output: a flat list of predictions, as a model returns them
        preds, targets = [row[0] for row in a], [t[0] for t in Y]
    else:
        preds, targets = a, Y
    C = loss(preds, targets)
    C.backward()
    per_example, dA = ON_ARRAYS[loss](np, np.array(A), np.array(Y, dtype=float).reshape(n, -1))
    assert per_example.shape == (n,) and dA.shape == (n, k)
    assert float(per_example.mean()) == pytest.approx(C.data, rel=1e-12, abs=1e-15)
    assert (dA / n).ravel().tolist() == pytest.approx([v.grad for row in a for v in row], rel=1e-12, abs=1e-15)
