"""JAX-style functional derivatives: ``grad``, ``value_and_grad``, ``hessian`` and ``jvp``.

``grad(f)(2.0)`` differentiates with plain numbers in, floats out. Called with Values
instead, ``grad(f)`` returns Values that carry the graph of their own backward pass
(``gradients(..., create_graph=True)``), so derivatives nest: ``grad(grad(f))(2.0)``
is f″(2). ``jvp`` is forward mode: one directional derivative per pass, no backward.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, Union

from autograd_core.engine import (
    Value,
    _as_float,
    _check_callable,
    _interior_nodes,
    _require_graph,
    enable_grad,
    gradients,
    no_grad,
    vsum,
)
from autograd_core.reads import call_watched

Grads = Union[float, tuple[float, ...], Value, tuple[Value, ...]]


def _leaves(xs: Sequence[object], name: str, what: str, *, keep_values: bool = False) -> list[Value]:
    """Fresh leaf Values for the numbers ``xs`` (labelled x, or x0, x1, …); with ``keep_values``
    a Value in ``xs`` is used as it is. ``what`` names item i in errors (``what.format(i)``)."""
    if not xs:
        raise TypeError(f"{name}(f) needs at least one argument to differentiate with respect to")
    return [
        x
        if keep_values and isinstance(x, Value)
        else Value(_as_float(x, what.format(i)), f"x{i}" if len(xs) > 1 else "x")
        for i, x in enumerate(xs)
    ]


def _output(out: object, name: str) -> Value:
    if not isinstance(out, Value):
        raise TypeError(f"{name}(f): f must return a Value, got {type(out).__name__}: {out!r}")
    _require_graph(out, f"{name}(f)")
    return out


def call(f: Callable[..., Any], args: Sequence[Value], name: str, *, record: bool = True) -> Any:
    """f(*args), recording its graph (also inside ``no_grad()``), or with ``record=False`` only
    its numbers: the one place the derivative functions call the user's f. ``name`` is the
    function asking (``"grad"``, ``"gradcheck"``…), for messages about f. While recording, a
    ``float()``, ``int()`` or ``round()`` of a Value computed from ``args`` warns
    (``autograd_core.reads.DerivativeLostWarning``): its derivative would be lost silently."""
    if not record:
        with no_grad():
            return f(*args)
    with enable_grad():
        return call_watched(f, args, name)


def evaluate_with_grads(f: Callable[..., Value], xs: Sequence[float], name: str) -> tuple[float, list[float]]:
    """Run ``f`` on fresh leaf Values made from the plain numbers ``xs``; differentiate.

    Returns f(xs) and the list [∂f/∂x₀, ∂f/∂x₁, …], computed by ``gradients`` (so no
    ``.grad`` changes, not even of Values that f closes over). ``name`` appears in error
    messages.
    """
    leaves = _leaves(xs, name, f"{name}(f) argument {{}}")
    out = _output(call(f, leaves, name), name)
    return out.data, [g.data for g in gradients(out, leaves)]


def value_and_grad(f: Callable[..., Value]) -> Callable[..., tuple[Any, Grads]]:
    """``value_and_grad(f)(*xs)`` → ``(f(xs), ∂f/∂x)``; a tuple of partials for several xs.

    Plain numbers in: a float and floats out. Any Value in: the value and the partials
    as Values, each with the graph of its backward pass, ready to differentiate again.
    """
    _check_callable(f, "value_and_grad(f)")

    @wraps(f)
    def wrapper(*xs: Any) -> tuple[Any, Grads]:
        if any(isinstance(x, Value) for x in xs):
            leaves = _leaves(xs, "value_and_grad", "value_and_grad(f) argument {}", keep_values=True)
            out = _output(call(f, leaves, "value_and_grad"), "value_and_grad")
            gs: tuple[Value, ...] = gradients(out, leaves, create_graph=True)
            return out, gs[0] if len(gs) == 1 else gs
        value, grads = evaluate_with_grads(f, xs, "value_and_grad")
        return value, grads[0] if len(grads) == 1 else tuple(grads)

    return wrapper


def grad(f: Callable[..., Value]) -> Callable[..., Grads]:
    """``grad(f)(*xs)`` → ∂f/∂x as a float, or a tuple (∂f/∂x₁, …) for several xs.

    ``f`` takes Values; the caller passes plain numbers: ``grad(lambda x: x**2 + 2)(2.0) == 4.0``.
    Derivatives nest to any order: ``grad(grad(lambda x: x**3))(2.0) == 12.0``.
    """
    _check_callable(f, "grad(f)")
    vg = value_and_grad(f)

    @wraps(f)
    def wrapper(*xs: Any) -> Grads:
        return vg(*xs)[1]

    return wrapper


def hessian(f: Callable[..., Value]) -> Callable[..., tuple[tuple[float, ...], ...]]:
    """``hessian(f)(*xs)`` → the n×n matrix H[i][j] = ∂²f/∂xᵢ∂xⱼ as nested tuples of floats.

    One backward pass builds the gradient as Values (``create_graph=True``); one more
    per row differentiates ∂f/∂xᵢ again.
    """
    _check_callable(f, "hessian(f)")

    @wraps(f)
    def wrapper(*xs: float) -> tuple[tuple[float, ...], ...]:
        leaves = _leaves(xs, "hessian", "hessian(f) argument {}")
        out = _output(call(f, leaves, "hessian"), "hessian")
        first = gradients(out, leaves, create_graph=True)
        return tuple(tuple(h.data for h in gradients(g, leaves)) for g in first)

    return wrapper


def jvp(f: Callable[..., Value | list[Value]], primals: Sequence[float], tangents: Sequence[float]) -> tuple[Any, Any]:
    """Forward mode: ``(f(x), J·t)``, the value and the derivative of f along the direction t.

    One forward pass: each node's tangent ṫ(v) = Σᵢ ∂v/∂parentᵢ · ṫ(parentᵢ), in
    topological order (parents first), from the local derivatives recorded on the way;
    no backward pass. When f returns a list of Values, both results are lists.
    """
    _check_callable(f, "jvp(f)")
    for arg, what in ((primals, "primals"), (tangents, "tangents")):
        if not hasattr(arg, "__len__") or isinstance(arg, str):
            raise TypeError(f"jvp({what}) must be a list of numbers, got {type(arg).__name__}: {arg!r}")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: got {len(primals)} primals but {len(tangents)} tangents")
    leaves = _leaves(primals, "jvp", "jvp(primals) item {}")
    dots = [_as_float(t, f"jvp(tangents) item {i}") for i, t in enumerate(tangents)]
    result = call(f, leaves, "jvp")  # the tangents flow along the recorded graph
    outs = result if isinstance(result, list) else [result]
    outs = [_output(o, "jvp") for o in outs]
    tangent: dict[Value, float] = dict(zip(leaves, dots))  # any other leaf is a constant: ṫ = 0
    root = outs[0] if len(outs) == 1 else vsum(outs)  # one walk over the graph of every output
    for v in reversed(_interior_nodes(root)):
        if v not in tangent:
            _, parents, local_grads, _, _ = v.parts()
            # an exact 0 on either side contributes nothing (as in backward(): no 0 · inf = nan)
            tangent[v] = sum(d * t for p, d in zip(parents, local_grads) if d and (t := tangent.get(p, 0.0)))
    values, derivatives = [o.data for o in outs], [tangent.get(o, 0.0) for o in outs]
    if isinstance(result, list):
        return values, derivatives
    return values[0], derivatives[0]
