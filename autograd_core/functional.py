"""JAX-style functional gradients: ``grad(f)(x)`` and ``value_and_grad(f)(x)``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Union

from autograd_core.engine import Value, _as_float

Grads = Union[float, tuple[float, ...]]


def evaluate_with_grads(f: Callable[..., Value], xs: Sequence[float], name: str) -> tuple[float, list[float]]:
    """Run ``f`` on fresh leaf Values made from the plain numbers ``xs``; backpropagate.

    Returns f(xs) and the list [∂f/∂x₀, ∂f/∂x₁, …]. ``name`` appears in error messages.
    """
    if not xs:
        raise TypeError(f"{name}(f) needs at least one argument to differentiate with respect to")
    leaves = [Value(_as_float(x, f"{name}(f) argument {i}"), f"x{i}" if len(xs) > 1 else "x") for i, x in enumerate(xs)]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"{name}(f): f must return a Value, got {type(out).__name__}: {out!r}")
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def value_and_grad(f: Callable[..., Value]) -> Callable[..., tuple[float, Grads]]:
    """``value_and_grad(f)(*xs)`` → ``(f(xs), ∂f/∂x)``; a tuple of partials for several xs."""

    @wraps(f)
    def wrapper(*xs: float) -> tuple[float, Grads]:
        out, grads = evaluate_with_grads(f, xs, "value_and_grad")
        return out, grads[0] if len(grads) == 1 else tuple(grads)

    return wrapper


def grad(f: Callable[..., Value]) -> Callable[..., Grads]:
    """``grad(f)(*xs)`` → ∂f/∂x as a float, or a tuple (∂f/∂x₁, …) for several xs.

    ``f`` takes Values; the caller passes plain numbers:
    ``grad(lambda x: x**2 + 2)(2.0) == 4.0``.
    """
    vg = value_and_grad(f)

    @wraps(f)
    def wrapper(*xs: float) -> Grads:
        return vg(*xs)[1]

    return wrapper
