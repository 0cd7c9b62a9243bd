"""Argument checks shared by ``nn``: each error names the function, the argument and the value.

Messages read ``Layer(rng) must be a random.Random or None, got int: 5``: a wrong type
raises TypeError, a value out of range ValueError. NumPy scalars count as numbers (they
register as ``numbers.Real`` / ``numbers.Integral``), as ``Value`` accepts them.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Sequence
from typing import Any, cast


def got(x: object) -> str:
    """``type: repr`` of an offending value, shortened for a message."""
    if isinstance(x, int) and x.bit_length() > 256:  # repr of a 5000-digit int would itself fail
        return f"{type(x).__name__} of about {digits(x)} digits"
    text = repr(x)
    return f"{type(x).__name__}: {text if len(text) <= 80 else text[:77] + '...'}"


def digits(n: int) -> int:
    """The number of decimal digits of |n|, from its bit length (exact up to ±1)."""
    return int(abs(n).bit_length() * math.log10(2)) + 1


def real(x: object, where: str, *, low: float = -math.inf, strict: bool = False, finite: bool = True) -> float:
    """``x`` as a float: a real number (not a bool), finite unless ``finite=False``, ≥ ``low`` (> if strict)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where} must be a real number, got {got(x)}")
    try:
        value = float(x)
    except OverflowError:
        raise ValueError(f"{where} must be a finite number, got {got(x)}") from None
    if math.isnan(value) or (finite and math.isinf(value)):
        raise ValueError(f"{where} must be a finite number, got {value!r}")
    if value < low or (strict and value == low):
        raise ValueError(f"{where} must be {'>' if strict else '≥'} {low:g}, got {x!r}")
    return value


def integer(x: object, where: str, *, low: int | None = 1) -> int:
    """``x`` as an int ≥ ``low`` (no bound if None): an int or NumPy integer, not a bool or a float."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{where} must be an int, got {got(x)}")
    if low is not None and x < low:
        raise ValueError(f"{where} must be {'a positive int' if low == 1 else f'an int ≥ {low}'}, got {x!r}")
    return int(x)


def flag(x: object, where: str) -> bool:
    """``x`` as a bool: True or False, not 1 or "yes"."""
    if not isinstance(x, bool):
        raise TypeError(f"{where} must be True or False, got {got(x)}")
    return x


def rng_or_none(rng: object, where: str) -> random.Random | None:
    """``rng`` if it is a ``random.Random`` (or None)."""
    if rng is not None and not isinstance(rng, random.Random):
        raise TypeError(f"{where} must be a random.Random or None, got {got(rng)}")
    return rng


def name(x: object, where: str) -> str:
    """``x`` if it is a str (an activation or init name)."""
    if not isinstance(x, str):
        raise TypeError(f"{where} must be a str, got {got(x)}")
    return x


def function(f: object, where: str, *, optional: bool = False) -> Any:
    """``f`` if it can be called (or is None, when ``optional``)."""
    if not callable(f) and not (optional and f is None):
        raise TypeError(f"{where} must be a function{' or None' if optional else ''}, got {got(f)}")
    return f


def sequence(x: object, where: str, what: str) -> Sequence[Any]:
    """``x`` if it is a list-like of ``what`` (a list, tuple or array; not a str, dict or number)."""
    if isinstance(x, (str, bytes, dict)) or not hasattr(x, "__len__") or not hasattr(x, "__getitem__"):
        raise TypeError(f"{where} must be a list of {what}, got {got(x)}")
    return cast(Sequence[Any], x)


def nested_lengths(x: object) -> tuple[int, ...]:
    """The lengths of nested lists along their first items: (3, 4) for 3 rows of 4; () for a number."""
    dims: list[int] = []
    while hasattr(x, "__len__") and not isinstance(x, (str, bytes, dict)):
        dims.append(len(x))
        if not len(x):
            break
        x = x[0]  # type: ignore[index]
    return tuple(dims)
