"""Loss functions C(a, y) and penalties, each built as one node with its exact local derivatives.

Every loss takes one prediction or a list of predictions (one per example) and returns
the mean over the examples. A flat list is a batch of scalar predictions; a list of
lists is a batch of vector predictions (wrap one vector example as ``[[a₁, a₂]]``).
Targets are constants (plain numbers); no gradient flows into them. Everything is
finite for logits of ±1000.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Union

from autograd_core import Value
from autograd_core.engine import _as_float, _constant, _sigmoid, _softplus

Scalar = Union[Value, float]
Preds = Union[Scalar, Sequence[Scalar], Sequence[Sequence[Scalar]]]
Targets = Union[float, Sequence[float], Sequence[Sequence[float]]]

EPS = 1e-12  # binary_cross_entropy clamps p to [EPS, 1 − EPS]


def _value(x: object, what: str) -> Value:
    """A Value for x; a plain number becomes a constant leaf."""
    if isinstance(x, Value):
        return x
    if _constant(x) is not None:
        return Value(x)  # type: ignore[arg-type]
    raise TypeError(f"{what} must be a Value or a real number, got {type(x).__name__}: {x!r}")


def _number(y: object, what: str) -> float:
    return y.data if isinstance(y, Value) else _as_float(y, what)


def _is_sequence(x: object) -> bool:
    """True for a list, tuple or 1-d array (anything with a length that is not a string)."""
    return hasattr(x, "__len__") and hasattr(x, "__getitem__") and not isinstance(x, str)


def _pairs(name: str, preds: Preds, targets: Targets) -> tuple[list[Value], list[float], int]:
    """Flatten to (predictions, targets, number of examples n), checking the lengths."""
    if not _is_sequence(preds):
        preds, targets = [preds], [targets]
    elif not _is_sequence(targets):
        raise ValueError(f"{name}: got {len(preds)} predictions but a single target {targets!r}")
    if len(preds) != len(targets):
        raise ValueError(f"{name}: got {len(preds)} predictions but {len(targets)} targets")
    if not preds:
        raise ValueError(f"{name}: got no predictions")
    flat_a: list[Value] = []
    flat_y: list[float] = []
    for i, (a, y) in enumerate(zip(preds, targets)):
        if _is_sequence(a):
            if not _is_sequence(y) or len(a) != len(y):
                n_y = len(y) if _is_sequence(y) else "a scalar"
                raise ValueError(f"{name}: example {i} has {len(a)} outputs but its target has {n_y}")
            flat_a += [_value(ai, f"{name} prediction") for ai in a]
            flat_y += [_number(yi, f"{name} target") for yi in y]
        else:
            flat_a.append(_value(a, f"{name} prediction"))
            flat_y.append(_number(y, f"{name} target"))
    return flat_a, flat_y, len(preds)


def _node(data: float, op: str, parents: Sequence[Value], grads: Sequence[float]) -> Value:
    return Value(data, parents=parents, local_grads=grads, op=op)


def mse_loss(preds: Preds, targets: Targets) -> Value:
    """Mean of the squared errors (a − y)² over every output: ∂/∂aᵢ = 2(aᵢ − yᵢ)/N."""
    a, y, _ = _pairs("mse_loss", preds, targets)
    n = len(a)
    diffs = [ai.data - yi for ai, yi in zip(a, y)]
    return _node(sum(d * d for d in diffs) / n, "mse", a, [2.0 * d / n for d in diffs])


def quadratic_cost(preds: Preds, targets: Targets) -> Value:
    """The notes' C = 1/(2n) Σₓ ‖y − a‖² over n examples: ∂C/∂aᵢ = (aᵢ − yᵢ)/n."""
    a, y, n = _pairs("quadratic_cost", preds, targets)
    diffs = [ai.data - yi for ai, yi in zip(a, y)]
    return _node(sum(d * d for d in diffs) / (2 * n), "C", a, [d / n for d in diffs])


def binary_cross_entropy(probs: Preds, targets: Targets) -> Value:
    """C = −mean[y ln p + (1 − y) ln(1 − p)] with p clamped to [ε, 1 − ε] (never log 0).

    ∂C/∂p = (p − y) / (p(1 − p)) / n, evaluated at the clamped p.
    """
    p, y, _ = _pairs("binary_cross_entropy", probs, targets)
    n = len(p)
    total, grads = 0.0, []
    for pi, yi in zip(p, y):
        q = min(max(pi.data, EPS), 1.0 - EPS)
        total -= yi * math.log(q) + (1.0 - yi) * math.log1p(-q)
        grads.append((q - yi) / (q * (1.0 - q)) / n)
    return _node(total / n, "BCE", p, grads)


def binary_cross_entropy_with_logits(logits: Preds, targets: Targets) -> Value:
    """BCE of σ(z) computed stably as mean[ln(1 + eᶻ) − y·z]: ∂C/∂z = (σ(z) − y)/n."""
    z, y, _ = _pairs("binary_cross_entropy_with_logits", logits, targets)
    n = len(z)
    total = sum(_softplus(zi.data) - yi * zi.data for zi, yi in zip(z, y))
    return _node(total / n, "BCEWithLogits", z, [(_sigmoid(zi.data) - yi) / n for zi, yi in zip(z, y)])


def hinge_loss(scores: Preds, targets: Targets) -> Value:
    """The max-margin loss mean[max(0, 1 − y·s)] for y = ±1 (0 is read as −1, so 0/1 labels work).

    ∂/∂s = −y/n where the margin 1 − y·s is positive, else 0.
    """
    s, y, _ = _pairs("hinge_loss", scores, targets)
    n = len(s)
    total, grads = 0.0, []
    for si, yi in zip(s, y):
        if yi not in (1.0, -1.0, 0.0):
            raise ValueError(f"hinge_loss: targets must be +1 or -1 (or 0 for -1), got {yi!r}")
        yi = yi or -1.0
        margin = 1.0 - yi * si.data
        if margin > 0.0:
            total += margin
            grads.append(-yi / n)
        else:
            grads.append(0.0)
    return _node(total / n, "hinge", s, grads)


def _logsumexp(zs: Sequence[float]) -> float:
    """ln Σ eᶻʲ computed as m + ln Σ e^(zⱼ − m) with m = max z (no overflow)."""
    m = max(zs)
    return m + math.log(sum(math.exp(z - m) for z in zs))


def _vector(name: str, values: Sequence[Scalar]) -> list[Value]:
    if not _is_sequence(values) or not len(values):
        raise ValueError(f"{name} needs a non-empty list of values, got {values!r}")
    return [_value(v, f"{name} value") for v in values]


def softmax(values: Sequence[Scalar]) -> list[Value]:
    """sᵢ = e^zᵢ / Σⱼ e^zⱼ (shifted by max z, so stable): ∂sᵢ/∂zⱼ = sᵢ(δᵢⱼ − sⱼ)."""
    z = _vector("softmax", values)
    lse = _logsumexp([v.data for v in z])
    s = [math.exp(v.data - lse) for v in z]
    return [_node(si, "softmax", z, [si * ((i == j) - sj) for j, sj in enumerate(s)]) for i, si in enumerate(s)]


def log_softmax(values: Sequence[Scalar]) -> list[Value]:
    """ln sᵢ = zᵢ − ln Σⱼ e^zⱼ: ∂/∂zⱼ = δᵢⱼ − sⱼ."""
    z = _vector("log_softmax", values)
    lse = _logsumexp([v.data for v in z])
    s = [math.exp(v.data - lse) for v in z]
    return [_node(v.data - lse, "log_softmax", z, [(i == j) - sj for j, sj in enumerate(s)]) for i, v in enumerate(z)]


def cross_entropy(logits: Sequence[Scalar] | Sequence[Sequence[Scalar]], target_index: int | Sequence[int]) -> Value:
    """Softmax + negative log-likelihood: C = ln Σⱼ e^zⱼ − z_y, mean over examples.

    One example: ``cross_entropy([z₀, z₁, z₂], 2)``; a batch: a list of logit lists and
    a list of class indices. ∂C/∂zⱼ = (sⱼ − [j = y])/n, the notes' a − y.
    """
    if isinstance(target_index, numbers.Integral):
        logits, target_index = [logits], [target_index]  # type: ignore[list-item]
    if len(logits) != len(target_index):
        raise ValueError(f"cross_entropy: got {len(logits)} logit vectors but {len(target_index)} targets")
    if not logits:
        raise ValueError("cross_entropy: got no logits")
    n = len(logits)
    parents: list[Value] = []
    grads: list[float] = []
    total = 0.0
    for zs, t in zip(logits, target_index):
        z = _vector("cross_entropy", zs)
        if not isinstance(t, numbers.Integral) or isinstance(t, bool) or not 0 <= t < len(z):
            raise ValueError(f"cross_entropy: target index must be an int in [0, {len(z)}), got {t!r}")
        zd = [v.data for v in z]
        lse = _logsumexp(zd)
        total += lse - zd[t]
        parents += z
        grads += [(math.exp(zj - lse) - (j == t)) / n for j, zj in enumerate(zd)]
    return _node(total / n, "cross_entropy", parents, grads)


def l1_penalty(params: Sequence[Value]) -> Value:
    """Σ|p|: ∂/∂p = sign(p) (0 at 0). Multiply by λ yourself: ``1e-4 * l1_penalty(ps)``."""
    ps = list(params)
    return _node(sum(abs(p.data) for p in ps), "L1", ps, [(p.data > 0) - (p.data < 0) for p in ps])


def l2_penalty(params: Sequence[Value]) -> Value:
    """Σp²: ∂/∂p = 2p. Multiply by λ yourself: ``1e-4 * l2_penalty(ps)``."""
    ps = list(params)
    return _node(sum(p.data * p.data for p in ps), "L2", ps, [2.0 * p.data for p in ps])
