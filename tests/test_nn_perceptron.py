"""Rosenblatt's perceptron: the NAND gate, learning AND/OR/NAND, failing on XOR."""

from __future__ import annotations

import pytest

from nn import Perceptron, nand, xor

X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]


def test_the_notes_nand_gate() -> None:
    gate = Perceptron(2, weights=[-2, -2], bias=3)
    assert [gate(x) for x in X] == [1, 1, 1, 0]
    assert [gate.predict(x) for x in nand()[0]] == nand()[1]


@pytest.mark.parametrize(("name", "y"), [("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1]), ("NAND", [1, 1, 1, 0])])
def test_learns_linearly_separable_gates(name: str, y: list[int]) -> None:
    p = Perceptron(2)
    assert p.fit(X, y, epochs=50, lr=1.0) is True
    assert [p(x) for x in X] == y


def test_reports_non_convergence_on_xor() -> None:
    p = Perceptron(2)
    X_xor, y_xor = xor()
    assert p.fit(X_xor, y_xor, epochs=100, lr=1.0) is False
    assert [p(x) for x in X_xor] != y_xor


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="got 3 weights for 2 inputs"):
        Perceptron(2, weights=[1, 2, 3])
    with pytest.raises(ValueError, match="expected 2 inputs, got 1"):
        Perceptron(2)([1.0])
    with pytest.raises(ValueError, match="targets must be 0 or 1, got 2"):
        Perceptron(2).fit(X, [0, 1, 2, 0])
