"""Numerical differentiation and ``gradcheck``: trust every derivative, but verify.

The central difference (f(x + h) − f(x − h)) / ((x + h) − (x − h)) has error O(h²)
from truncation and O(ε_machine / h) from rounding; h = eps·max(1, |x|) with
eps = 1e-6 balances the two (the step scales with x, so it is never below the float
spacing at x). We divide by the step the floats actually represent, not by 2h.
Second derivatives (``order=2``) are checked the same way, on the analytical gradient.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from numbers import Real
from typing import cast

from autograd_core.engine import Value, _as_float, _check_bool, _check_callable
from autograd_core.functional import call, evaluate_with_grads, hessian
from autograd_core.reads import conversions_seen, likely_cause

Point = list[float]
Check = tuple[str, str, float, float]  # where, which derivative, analytical, numerical


class GradcheckError(AssertionError):
    """An analytical derivative disagrees with the numerical one."""


class NonDifferentiablePointError(GradcheckError):
    """The point sits on a kink: the slopes from the left and from the right differ."""


def _inputs(inputs: Sequence[float] | float, name: str) -> Point:
    xs = [inputs] if isinstance(inputs, (Real, Value)) else list(cast(Sequence[float], inputs))
    return [_as_float(x, f"{name}(inputs) item {i}") for i, x in enumerate(xs)]


def _f_at(f: Callable[..., Value], xs: Point) -> float:
    """f(xs) as a float, without building a graph."""
    out = call(f, [Value(x) for x in xs], "gradcheck", record=False)
    if not isinstance(out, Value):
        raise TypeError(f"f must return a Value, got {type(out).__name__}: {out!r}")
    return out.data


def _moved(xs: Point, i: int, h: float) -> tuple[Point, float]:
    """xs with xs[i] moved by h, and the moved coordinate as the float it really is."""
    ys = list(xs)
    ys[i] = xs[i] + h
    return ys, ys[i]


def _step(x: float, eps: float) -> float:
    """h = eps·max(1, |x|): relative for large x, so x ± h are different floats."""
    return eps * max(1.0, abs(x))


def _slope(f: Callable[[Point], float], xs: Point, i: int, lo: float, hi: float) -> float:
    """(f(x + hi) − f(x + lo)) / (represented step), moving only coordinate i."""
    x_hi, at_hi = _moved(xs, i, hi)
    x_lo, at_lo = _moved(xs, i, lo)
    return (f(x_hi) - f(x_lo)) / (at_hi - at_lo)


def _central(f: Callable[[Point], float], xs: Point, i: int, eps: float) -> float:
    h = _step(xs[i], eps)
    return _slope(f, xs, i, -h, h)


def _positive(x: object, what: str) -> float:
    """A number > 0 (not a bool), else a TypeError or ValueError naming ``what``."""
    v = _as_float(x, what)
    if not v > 0:
        raise ValueError(f"{what} must be a positive number, got {x!r}")
    return v


def numerical_grad(f: Callable[..., Value], inputs: Sequence[float] | float, *, eps: float = 1e-6) -> list[float]:
    """[∂f/∂xᵢ ≈ (f(x + h·eᵢ) − f(x − h·eᵢ)) / ((xᵢ + h) − (xᵢ − h))] with h = eps·max(1, |xᵢ|)."""
    _check_callable(f, "numerical_grad(f)")
    eps = _positive(eps, "numerical_grad(eps)")
    xs = _inputs(inputs, "numerical_grad")
    return [_central(lambda ys: _f_at(f, ys), xs, i, eps) for i in range(len(xs))]


Tolerance = Callable[[float, float], float]


def _kink(at: Callable[[Point], float], xs: Point, i: int, eps: float, tol: Tolerance) -> tuple[float, float] | None:
    """The (left, right) one-sided slopes of ``at`` at xs[i] if they differ like a kink, else None.

    For smooth f the gap right − left ≈ h·f″ shrinks with h; at a kink it does not,
    so the gap must be beyond tolerance and not roughly double at step 2h.
    """
    h = _step(xs[i], eps)
    left, right = _slope(at, xs, i, -h, 0.0), _slope(at, xs, i, 0.0, h)
    gap = abs(right - left)
    if not gap > tol(left, right):
        return None
    wide_gap = abs(_slope(at, xs, i, 0.0, 2 * h) - _slope(at, xs, i, -2 * h, 0.0))
    return (left, right) if wide_gap < 1.5 * gap else None


def _partial(f: Callable[..., Value], i: int) -> Callable[[Point], float]:
    """x ↦ ∂f/∂xᵢ(x) by backprop."""
    return lambda ys: evaluate_with_grads(f, ys, "gradcheck")[1][i]


def _refuse_kinks(f: Callable[..., Value], xs: Point, eps: float, tol: Tolerance, order: int) -> None:
    """Raise ``NonDifferentiablePointError`` if f (or, for order 2, some ∂f/∂xᵢ) has a kink at xs."""
    functions = [("f", lambda ys: _f_at(f, ys))]
    if order == 2:
        functions += [(f"∂f/∂x{i}", _partial(f, i)) for i in range(len(xs))]
    for what, at in functions:
        for j in range(len(xs)):
            kink = _kink(at, xs, j, eps, tol)
            if kink is not None:
                left, right = kink
                raise NonDifferentiablePointError(
                    f"gradcheck: input {j} (x{j} = {xs[j]!r}) sits on a kink of {what}: the slope of {what} from "
                    f"the left is {left:.6g} and from the right is {right:.6g}, so {what} is not differentiable "
                    f"there (backprop reports a convention). f(x) = {_f_at(f, xs)!r}. kink — move the point."
                )


def _first_order_checks(f: Callable[..., Value], xs: Point, analytical: list[float], eps: float) -> list[Check]:
    numerical = numerical_grad(f, xs, eps=eps)
    return [(f"input {i}: x{i} = {xs[i]!r}", f"∂f/∂x{i}", a, n) for i, (a, n) in enumerate(zip(analytical, numerical))]


def _second_order_checks(f: Callable[..., Value], xs: Point, eps: float) -> list[Check]:
    h = hessian(f)(*xs)
    return [
        (
            f"inputs {i}, {j}: x{i} = {xs[i]!r}, x{j} = {xs[j]!r}",
            f"∂²f/∂x{i}∂x{j}",
            h[i][j],
            _central(_partial(f, i), xs, j, eps),
        )
        for i in range(len(xs))
        for j in range(len(xs))
    ]


def _failure(check: Check, eps: float, atol: float, rtol: float, order: int) -> str | None:
    """The report of one failing comparison, or None if |a − n| ≤ atol + rtol·max(|a|, |n|)."""
    where, name, a, n = check
    diff, scale = abs(a - n), max(abs(a), abs(n))
    tolerance = atol + rtol * scale
    if diff <= tolerance:  # NaN fails
        return None
    rel = diff / scale if scale else math.inf
    method = "backward" if order == 1 else "backward through the backward pass"
    return (
        f"  {where}\n"
        f"    analytical {name} = {a!r}  ({method})\n"
        f"    numerical  {name} = {n!r}  (central difference, eps = {eps!r})\n"
        f"    |diff| = {diff:.6g} > tolerance {tolerance:.6g} = atol {atol!r} + rtol {rtol!r} · max(|a|, |n|)\n"
        f"    relative error = {rel:.6g}"
    )


def _check_order(order: object) -> int:
    if isinstance(order, bool) or not isinstance(order, int):
        raise TypeError(f"gradcheck(order) must be the int 1 or 2, got {type(order).__name__}: {order!r}")
    if order not in (1, 2):
        raise ValueError(f"gradcheck(order) must be 1 or 2, got {order!r}")
    return order


def _tolerance(x: object, what: str) -> float:
    v = _as_float(x, what)
    if not v >= 0:
        raise ValueError(f"{what} must be ≥ 0, got {x!r}")
    return v


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[float] | float,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-5,
    detect_kinks: bool = True,
    order: int = 1,
) -> bool:
    """Compare backprop's ∂f/∂xᵢ with central differences; True, or raise ``GradcheckError``.

    Passes where |a − n| ≤ atol + rtol·max(|a|, |n|) for every input. With
    ``detect_kinks``, a point where the left and right slopes differ raises
    ``NonDifferentiablePointError`` (the derivative there is only a convention); with
    ``order=2`` also a kink of a first derivative (relu(x)·x at 0).
    ``order=2`` checks the second derivatives instead: ``hessian(f)`` (a backward pass
    through the backward pass) against central differences of the analytical gradient,
    ∂²f/∂xᵢ∂xⱼ ≈ (∂f/∂xᵢ(x + h·eⱼ) − ∂f/∂xᵢ(x − h·eⱼ)) / 2h. Like ``grad``, it records
    f's graph even when called inside ``no_grad()``.
    """
    order = _check_order(order)
    _check_callable(f, "gradcheck(f)")
    eps = _positive(eps, "gradcheck(eps)")
    atol, rtol = _tolerance(atol, "gradcheck(atol)"), _tolerance(rtol, "gradcheck(rtol)")
    _check_bool(detect_kinks, "gradcheck(detect_kinks)")
    xs = _inputs(inputs, "gradcheck")
    with conversions_seen() as seen:  # float(x) and the like in f: the likely cause of a failure
        fx, analytical = evaluate_with_grads(f, xs, "gradcheck")
        if detect_kinks:
            _refuse_kinks(f, xs, eps, lambda a, n: atol + rtol * max(abs(a), abs(n)), order)
        checks = _first_order_checks(f, xs, analytical, eps) if order == 1 else _second_order_checks(f, xs, eps)
    failures = [r for c in checks if (r := _failure(c, eps, atol, rtol, order)) is not None]
    if failures:
        passed = len(checks) - len(failures)
        noun = "input" if order == 1 else "second derivative"
        raise GradcheckError(
            f"gradcheck{' (order 2)' if order == 2 else ''} failed for {len(failures)} of {len(checks)} {noun}s "
            f"at f(x) = {fx!r} ({passed} other {noun}{'s' if passed != 1 else ''} passed):\n"
            + "\n".join(failures)
            + likely_cause(seen)
        )
    return True
