"""A short engine demo: one sigmoid neuron from the notes, backpropagated and checked.

Run with ``python -m autograd_core.demo``.
"""

from __future__ import annotations

from autograd_core import Value, dot, gradcheck


def neuron(w1: Value, w2: Value, b: Value, x1: float = 5.0, x2: float = 3.0) -> Value:
    """a = σ(z) with z = w₁x₁ + w₂x₂ + b."""
    z = dot([w1, w2], [x1, x2], b)
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    return a


def neuron_loss(w1: Value, w2: Value, b: Value, y: float = 1.0) -> Value:
    """L = −[y ln a + (1 − y) ln(1 − a)] for the neuron above."""
    a = neuron(w1, w2, b)
    return -(y * a.log() + (1 - y) * (1 - a).log())


def main() -> None:
    w1, w2, b = Value(0.5, "w1"), Value(0.5, "w2"), Value(1.0, "b")
    loss = neuron_loss(w1, w2, b)
    loss.backward()
    a = neuron(w1, w2, b)
    print("One neuron, x = (5, 3), w = (0.5, 0.5), b = 1, label y = 1")
    print(f"  z = w·x + b = {a.parents[0].data:g},  a = σ(z) = {a.data:.4f},  L = {loss.data:.6f}")
    for v in (w1, w2, b):
        print(f"  ∂L/∂{v.label} = {v.grad:+.6f}")
    print("  (the notes: dz = a − y, so ∂L/∂w₁ = x₁·dz = 5 × (σ(5) − 1))")
    gradcheck(lambda w1, w2, b: neuron_loss(w1, w2, b), [0.5, 0.5, 1.0])
    print("gradcheck: backprop agrees with central differences for w1, w2 and b")


if __name__ == "__main__":
    main()
