"""Data sets: moons and digits as plain lists, the gate tables."""

from __future__ import annotations

import pytest

from nn import load_digits, make_moons, nand, xor


def test_make_moons_returns_plain_lists_and_is_seeded() -> None:
    X, y = make_moons(40, noise=0.1, seed=3)
    assert len(X) == len(y) == 40 and all(len(x) == 2 for x in X)
    assert all(type(v) is float for x in X for v in x) and set(y) == {0, 1}
    assert make_moons(40, noise=0.1, seed=3) == (X, y) != make_moons(40, noise=0.1, seed=4)


def test_load_digits_splits_stratified_and_scales_pixels() -> None:
    X_train, y_train, X_test, y_test = load_digits(test_fraction=0.25, seed=0)
    assert len(X_train) + len(X_test) == 1797 and len(X_test) == 450
    assert all(len(x) == 64 for x in X_train[:10])
    pixels = [p for x in X_train for p in x]
    assert min(pixels) == 0.0 and max(pixels) == 1.0
    assert sorted(set(y_test)) == sorted(set(y_train)) == list(range(10)) and len(y_train) == len(X_train)
    assert abs(y_train.count(0) / len(y_train) - y_test.count(0) / len(y_test)) < 0.01  # stratified
    assert all(type(v) is float for v in X_test[0]) and type(y_test[0]) is int
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits(test_fraction=1.5)


def test_gate_tables() -> None:
    assert xor() == ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    assert nand()[1] == [1, 1, 1, 0]
