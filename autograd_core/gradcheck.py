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

from autograd_core.engine import Value, _as_float, _check_callable, no_grad
from autograd_core.functional import evaluate_with_grads, hessian
from autograd_core.reads import conversions_seen, likely_cause


class GradcheckError(AssertionError):
    """An analytical derivative disagrees with the numerical one."""


class NonDifferentiablePointError(GradcheckError):
    """The point sits on a kink: the slopes from the left and from the right differ."""


def _inputs(inputs: Sequence[float] | float, name: str) -> list[float]:
    xs = [inputs] if isinstance(inputs, (Real, Value)) else list(cast(Sequence[float], inputs))
    return [_as_float(x, f"{name}(inputs) item {i}") for i, x in enumerate(xs)]


def _f_at(f: Callable[..., Value], xs: list[float]) -> float:
    """f(xs) as a float, without building a graph."""
    with no_grad():
        out = f(*[Value(x) for x in xs])
    if not isinstance(out, Value):
        raise TypeError(f"f must return a Value, got {type(out).__name__}: {out!r}")
    return out.data


def _moved(xs: list[float], i: int, h: float) -> tuple[list[float], float]:
    """xs with xs[i] moved by h, and the moved coordinate as the float it really is."""
    ys = list(xs)
    ys[i] = xs[i] + h
    return ys, ys[i]


def _step(x: float, eps: float) -> float:
    """h = eps·max(1, |x|): relative for large x, so x ± h are different floats."""
    return eps * max(1.0, abs(x))


def _slope(f: Callable[[list[float]], float], xs: list[float], i: int, lo: float, hi: float) -> float:
    """(f(x + hi) − f(x + lo)) / (represented step), moving only coordinate i."""
    x_hi, at_hi = _moved(xs, i, hi)
    x_lo, at_lo = _moved(xs, i, lo)
    return (f(x_hi) - f(x_lo)) / (at_hi - at_lo)


def _central(f: Callable[[list[float]], float], xs: list[float], i: int, eps: float) -> float:
    h = _step(xs[i], eps)
    return _slope(f, xs, i, -h, h)


def _check_eps(eps: float, name: str) -> None:
    if not (isinstance(eps, (int, float)) and eps > 0):
        raise ValueError(f"{name}(eps) must be a positive number, got {eps!r}")


def numerical_grad(f: Callable[..., Value], inputs: Sequence[float] | float, *, eps: float = 1e-6) -> list[float]:
    """[∂f/∂xᵢ ≈ (f(x + h·eᵢ) − f(x − h·eᵢ)) / ((xᵢ + h) − (xᵢ − h))] with h = eps·max(1, |xᵢ|)."""
    _check_callable(f, "numerical_grad(f)")
    _check_eps(eps, "numerical_grad")
    xs = _inputs(inputs, "numerical_grad")
    return [_central(lambda ys: _f_at(f, ys), xs, i, eps) for i in range(len(xs))]


def _kink(
    f: Callable[..., Value], xs: list[float], i: int, eps: float, tol: Callable[[float, float], float]
) -> tuple[float, float] | None:
    """The (left, right) one-sided slopes at xs[i] if they differ like a kink, else None.

    For smooth f the gap right − left ≈ h·f″ shrinks with h; at a kink it does not,
    so the gap must be beyond tolerance and not roughly double at step 2h.
    """
    h = _step(xs[i], eps)

    def at(ys: list[float]) -> float:
        return _f_at(f, ys)

    left, right = _slope(at, xs, i, -h, 0.0), _slope(at, xs, i, 0.0, h)
    gap = abs(right - left)
    if not gap > tol(left, right):
        return None
    wide_gap = abs(_slope(at, xs, i, 0.0, 2 * h) - _slope(at, xs, i, -2 * h, 0.0))
    return (left, right) if wide_gap < 1.5 * gap else None


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
    ``NonDifferentiablePointError`` (the derivative there is only a convention).
    ``order=2`` checks the second derivatives instead: ``hessian(f)`` (a backward pass
    through the backward pass) against central differences of the analytical gradient,
    ∂²f/∂xᵢ∂xⱼ ≈ (∂f/∂xᵢ(x + h·eⱼ) − ∂f/∂xᵢ(x − h·eⱼ)) / 2h.
    """
    if order not in (1, 2) or isinstance(order, bool):
        raise ValueError(f"gradcheck(order) must be 1 or 2, got {order!r}")
    _check_callable(f, "gradcheck(f)")
    _check_eps(eps, "gradcheck")
    for tolerance, what in ((atol, "atol"), (rtol, "rtol")):
        if _as_float(tolerance, f"gradcheck({what})") < 0:
            raise ValueError(f"gradcheck({what}) must be ≥ 0, got {tolerance!r}")
    xs = _inputs(inputs, "gradcheck")
    with conversions_seen() as seen:  # float(x) and the like in f: the likely cause of a failure
        fx, analytical = evaluate_with_grads(f, xs, "gradcheck")

    def tol(a: float, n: float) -> float:
        return atol + rtol * max(abs(a), abs(n))

    if detect_kinks and order == 1:
        for i in range(len(xs)):
            kink = _kink(f, xs, i, eps, tol)
            if kink is not None:
                left, right = kink
                raise NonDifferentiablePointError(
                    f"gradcheck: input {i} (x{i} = {xs[i]!r}) sits on a kink: the slope from the left is "
                    f"{left:.6g} and from the right is {right:.6g}, so f is not differentiable there "
                    f"(backprop reports {analytical[i]!r}, a convention). f(x) = {fx!r}. kink — move the point."
                )
    if order == 1:
        numerical = numerical_grad(f, xs, eps=eps)
        checks = [
            (f"input {i}: x{i} = {xs[i]!r}", f"∂f/∂x{i}", a, n) for i, (a, n) in enumerate(zip(analytical, numerical))
        ]
    else:

        def partial(i: int) -> Callable[[list[float]], float]:
            return lambda ys: evaluate_with_grads(f, ys, "gradcheck")[1][i]

        with conversions_seen() as seen:
            h_analytical = hessian(f)(*xs)
        checks = [
            (
                f"inputs {i}, {j}: x{i} = {xs[i]!r}, x{j} = {xs[j]!r}",
                f"∂²f/∂x{i}∂x{j}",
                h_analytical[i][j],
                _central(partial(i), xs, j, eps),
            )
            for i in range(len(xs))
            for j in range(len(xs))
        ]
    failures = []
    for where, name, a, n in checks:
        diff = abs(a - n)
        if not diff <= tol(a, n):  # also catches NaN
            scale = max(abs(a), abs(n))
            rel = diff / scale if scale else math.inf
            method = "backward" if order == 1 else "backward through the backward pass"
            failures.append(
                f"  {where}\n"
                f"    analytical {name} = {a!r}  ({method})\n"
                f"    numerical  {name} = {n!r}  (central difference, eps = {eps!r})\n"
                f"    |diff| = {diff:.6g} > tolerance {tol(a, n):.6g} = atol {atol!r} + rtol {rtol!r} · max(|a|, |n|)\n"
                f"    relative error = {rel:.6g}"
            )
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
