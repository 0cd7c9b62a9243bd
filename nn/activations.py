"""Activation functions by name: a = f(z), applied to one Value.

``"linear"`` is the identity (f(z) = z, no node); the others are the engine's
``Value`` methods, each one node whose local derivative is f′(z).
"""

from __future__ import annotations

from collections.abc import Callable

from autograd_core import Value
from nn._checks import name as _name

Activation = Callable[[Value], Value]

ACTIVATIONS: dict[str, Activation | None] = {
    "linear": None,  # a = z
    "relu": Value.relu,  # a = max(0, z)
    "leaky_relu": Value.leaky_relu,  # a = z if z > 0 else 0.01·z
    "tanh": Value.tanh,  # a = tanh z
    "sigmoid": Value.sigmoid,  # a = σ(z) = 1/(1 + e⁻ᶻ)
    "softplus": Value.softplus,  # a = ln(1 + eᶻ)
}


def check_activation(name: str, where: str = "activation") -> str:
    """``name`` if it is a known activation, else ValueError listing the valid ones
    (TypeError if it is not a str); ``where`` names the argument, e.g. ``"Layer(activation)"``."""
    if _name(name, where) not in ACTIVATIONS:
        valid = ", ".join(repr(n) for n in ACTIVATIONS)
        raise ValueError(f"{where}: unknown activation {name!r}; valid activations: {valid}")
    return name


def get_activation(name: str) -> Activation | None:
    """The function a = f(z) for ``name`` (``None`` for ``"linear"``, which makes no node)."""
    return ACTIVATIONS[check_activation(name)]
