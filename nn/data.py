"""Small data sets as plain Python lists, and mini-batches.

``make_moons`` and ``load_digits`` come from scikit-learn (the 8×8 digits ship inside
it: no download); they are imported only when called (the ``nn`` extra).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import TypeVar

from autograd_core.extras import require
from nn._checks import got, integer, real, rng_or_none, sequence

X_ = TypeVar("X_")
Y_ = TypeVar("Y_")


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """Two interleaved half-moons: X is n_samples points [x₁, x₂], y ∈ {0, 1}."""
    n_samples = integer(n_samples, "make_moons(n_samples)")
    noise = real(noise, "make_moons(noise)", low=0.0)
    seed = integer(seed, "make_moons(seed)", low=0)
    datasets = require("sklearn.datasets", "nn", "make_moons")
    X, y = datasets.make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return X.tolist(), y.tolist()


def load_digits(
    test_fraction: float = 0.2, seed: int = 0
) -> tuple[list[list[float]], list[int], list[list[float]], list[int]]:
    """The 1,797 scikit-learn 8×8 digits, 64 pixels scaled to [0, 1], label 0–9.

    Returns (X_train, y_train, X_test, y_test), split with stratification so both
    parts have every digit in proportion.
    """
    if not 0.0 < real(test_fraction, "load_digits(test_fraction)") < 1.0:
        raise ValueError(f"load_digits(test_fraction) must be in (0, 1), got {test_fraction!r}")
    seed = integer(seed, "load_digits(seed)", low=0)
    digits = require("sklearn.datasets", "nn", "load_digits").load_digits()
    split = require("sklearn.model_selection", "nn", "load_digits").train_test_split
    X = digits.data / 16.0
    X_train, X_test, y_train, y_test = split(
        X, digits.target, test_size=test_fraction, random_state=seed, stratify=digits.target
    )
    return X_train.tolist(), y_train.tolist(), X_test.tolist(), y_test.tolist()


def xor() -> tuple[list[list[float]], list[int]]:
    """The XOR truth table: y = x₁ ⊕ x₂ (not linearly separable)."""
    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    return X, [0, 1, 1, 0]


def nand() -> tuple[list[list[float]], list[int]]:
    """The NAND truth table: y = ¬(x₁ ∧ x₂)."""
    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    return X, [1, 1, 1, 0]


def batches(
    X: Sequence[X_], y: Sequence[Y_], batch_size: int, shuffle: bool = True, rng: random.Random | None = None
) -> Iterator[tuple[list[X_], list[Y_]]]:
    """Mini-batches (X_batch, y_batch) of ``batch_size`` examples (the last may be smaller).

    The arguments are checked when it is called, not when the first batch is asked for.
    """
    sequence(X, "batches(X)", "examples")
    sequence(y, "batches(y)", "targets")
    if len(X) != len(y):
        raise ValueError(f"batches: got {len(X)} inputs but {len(y)} targets")
    batch_size = integer(batch_size, "batches(batch_size)")
    if not isinstance(shuffle, bool):
        raise TypeError(f"batches(shuffle) must be True or False, got {got(shuffle)}")
    order = list(range(len(X)))
    if shuffle:
        (rng_or_none(rng, "batches(rng)") or random.Random()).shuffle(order)
    return _batches(X, y, order, batch_size)


def _batches(
    X: Sequence[X_], y: Sequence[Y_], order: list[int], batch_size: int
) -> Iterator[tuple[list[X_], list[Y_]]]:
    """The batches of ``batches``, taken in ``order``."""
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        yield [X[i] for i in idx], [y[i] for i in idx]
