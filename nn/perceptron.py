"""Rosenblatt's perceptron: output 1 if w·x + b > 0 else 0, trained by the perceptron rule.

The step function has derivative 0 almost everywhere, so there is no gradient to
follow; instead, for each misclassified example, w ← w + η(y − ŷ)x and b ← b + η(y − ŷ).
If the classes are linearly separable this converges (AND, OR, NAND); for XOR it never does.
"""

from __future__ import annotations

from collections.abc import Sequence

from nn._checks import integer, real, sequence


class Perceptron:
    """``Perceptron(2, weights=[-2, -2], bias=3)`` is the notes' NAND gate."""

    def __init__(self, nin: int, weights: Sequence[float] | None = None, bias: float = 0.0) -> None:
        self.nin = integer(nin, "Perceptron(nin)")
        if weights is not None and len(sequence(weights, "Perceptron(weights)", "numbers")) != nin:
            raise ValueError(f"Perceptron: got {len(weights)} weights for {nin} inputs")
        ws = [real(w, f"Perceptron(weights[{i}])") for i, w in enumerate(weights)] if weights is not None else None
        self.weights = ws if ws is not None else [0.0] * nin
        self.bias = real(bias, "Perceptron(bias)")

    def __call__(self, x: Sequence[float]) -> int:
        """1 if w·x + b > 0 else 0."""
        if len(sequence(x, "Perceptron(x)", f"{self.nin} inputs")) != self.nin:
            raise ValueError(f"expected {self.nin} inputs, got {len(x)}")
        return int(sum(w * xi for w, xi in zip(self.weights, x)) + self.bias > 0)

    predict = __call__

    def fit(self, X: Sequence[Sequence[float]], y: Sequence[int], epochs: int = 100, lr: float = 1.0) -> bool:
        """Apply the perceptron rule for up to ``epochs`` passes; True once a pass makes no mistake."""
        if len(sequence(X, "Perceptron.fit(X)", "examples")) != len(sequence(y, "Perceptron.fit(y)", "targets")):
            raise ValueError(f"Perceptron.fit: got {len(X)} inputs but {len(y)} targets")
        epochs = integer(epochs, "Perceptron.fit(epochs)", low=0)
        lr = real(lr, "Perceptron.fit(lr)", low=0.0, strict=True)
        for t in y:
            if t not in (0, 1):
                raise ValueError(f"Perceptron.fit: targets must be 0 or 1, got {t!r}")
        for _ in range(epochs):
            mistakes = 0
            for x, t in zip(X, y):
                error = t - self(x)
                if error:
                    mistakes += 1
                    self.weights = [w + lr * error * xi for w, xi in zip(self.weights, x)]
                    self.bias += lr * error
            if not mistakes:
                return True
        return False

    def __repr__(self) -> str:
        return f"Perceptron({self.nin}, weights={self.weights}, bias={self.bias})"
