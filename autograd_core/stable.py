"""Numerically stable σ, softplus and log-sum-exp, finite for inputs like ±1000.

The engine's ``Value.sigmoid()`` and ``Value.softplus()`` compute their numbers with these;
``nn``'s losses use them for the numbers of their nodes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any


def sigmoid(x: float) -> float:
    """σ(x) = 1/(1 + e⁻ˣ) without overflow: for x < 0 it uses eˣ/(1 + eˣ)."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def softplus(x: float) -> float:
    """ln(1 + eˣ) = max(x, 0) + ln(1 + e⁻|ˣ|), finite for any x."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def logsumexp(xs: Iterable[float]) -> float:
    """ln Σ eˣⁱ = m + ln Σ e^(xᵢ − m) with m = max x (no overflow)."""
    xs = list(xs)
    if not xs:
        raise ValueError("logsumexp: got no numbers")
    m = max(xs)
    return m + math.log(sum(math.exp(x - m) for x in xs))


def sigmoid_on_arrays(np: Any, a: Any) -> Any:
    """σ on a NumPy array, computed as ``sigmoid`` computes each float (same rounding)."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def softplus_on_arrays(np: Any, a: Any) -> Any:
    """softplus on a NumPy array, as ``softplus`` computes each float."""
    return np.maximum(a, 0.0) + np.log1p(np.exp(-np.abs(a)))
