"""Loss functions C(a, y) and penalties, each built as one node with its exact local derivatives.

Every loss takes one prediction or a list of predictions (one per example) and returns
the mean over the examples. A flat list is a batch of scalar predictions; a list of
lists is a batch of vector predictions (wrap one vector example as ``[[a₁, a₂]]``).
Targets are constants (plain numbers); no gradient flows into them. Everything is
finite for logits of ±1000.

Each node is an ``Op`` of the engine: its number and float local derivatives are
computed here, and ``grads`` gives the same derivatives as Values (built lazily, only
for ``gradients(..., create_graph=True)``), so every loss is twice differentiable.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any, TypeGuard, Union, overload

from autograd_core import Op, Value
from autograd_core.stable import logsumexp, sigmoid, sigmoid_on_arrays, softplus, softplus_on_arrays

Scalar = Union[Value, float]
Preds = Union[Scalar, Sequence[Scalar], Sequence[Sequence[Scalar]]]
Targets = Union[float, Sequence[float], Sequence[Sequence[float]]]
Derivatives = Callable[[], Sequence[Union[Value, float]]]

EPS = 1e-12  # binary_cross_entropy clamps p to [EPS, 1 − EPS]


def _real(x: object) -> TypeGuard[numbers.Real]:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _value(x: object, what: str) -> Value:
    """A Value for x; a plain number becomes a constant leaf."""
    if isinstance(x, Value):
        return x
    if _real(x):
        return Value(float(x))
    raise TypeError(f"{what} must be a Value or a real number, got {type(x).__name__}: {x!r}")


def _number(y: object, what: str) -> float:
    if isinstance(y, Value):
        return y.data
    if not _real(y):
        raise TypeError(f"{what} must be a real number, got {type(y).__name__}: {y!r}")
    return float(y)


def _is_sequence(x: object) -> TypeGuard[Sequence[Any]]:
    """True for a list, tuple or 1-d array (anything with a length that is not a string)."""
    return hasattr(x, "__len__") and hasattr(x, "__getitem__") and not isinstance(x, str)


def _pairs(name: str, preds: Preds, targets: Targets) -> tuple[list[Value], list[float], int]:
    """Flatten to (predictions, targets, number of examples n), checking the lengths."""
    ps: Sequence[Any] = preds if _is_sequence(preds) else [preds]
    ys: Sequence[Any] = targets if _is_sequence(targets) else [targets]
    if ps is not preds and ys is targets:
        raise ValueError(f"{name}: got a single prediction but {len(ys)} targets")
    if ps is preds and ys is not targets:
        raise ValueError(f"{name}: got {len(ps)} predictions but a single target {targets!r}")
    if len(ps) != len(ys):
        raise ValueError(f"{name}: got {len(ps)} predictions but {len(ys)} targets")
    if not ps:
        raise ValueError(f"{name}: got no predictions")
    flat_a: list[Value] = []
    flat_y: list[float] = []
    for i, (a, y) in enumerate(zip(ps, ys)):
        if _is_sequence(a):
            if not _is_sequence(y) or len(a) != len(y):
                n_y = len(y) if _is_sequence(y) else "a scalar"
                raise ValueError(f"{name}: example {i} has {len(a)} outputs but its target has {n_y}")
            flat_a += [_value(ai, f"{name} prediction") for ai in a]
            flat_y += [_number(yi, f"{name} target") for yi in y]
        else:
            flat_a.append(_value(a, f"{name} prediction"))
            flat_y.append(_number(y, f"{name} target"))
    return flat_a, flat_y, len(ps)


def _node(data: float, name: str, parents: Sequence[Value], grads: Sequence[float], as_values: Derivatives) -> Value:
    """One loss node: its number, ∂C/∂parentᵢ as floats, and ``as_values()`` the same as Values."""
    return Value(data, parents=parents, local_grads=grads, op=Op(name, lambda out: as_values()))


def mse_loss(preds: Preds, targets: Targets) -> Value:
    """Mean of the squared errors (a − y)² over every output: ∂/∂aᵢ = 2(aᵢ − yᵢ)/N."""
    a, y, _ = _pairs("mse_loss", preds, targets)
    n = len(a)
    diffs = [ai.data - yi for ai, yi in zip(a, y)]
    return _node(
        sum(d * d for d in diffs) / n,
        "mse",
        a,
        [2.0 * d / n for d in diffs],
        lambda: [(ai - yi) * (2.0 / n) for ai, yi in zip(a, y)],
    )


def quadratic_cost(preds: Preds, targets: Targets) -> Value:
    """The notes' C = 1/(2n) Σₓ ‖y − a‖² over n examples: ∂C/∂aᵢ = (aᵢ − yᵢ)/n."""
    a, y, n = _pairs("quadratic_cost", preds, targets)
    diffs = [ai.data - yi for ai, yi in zip(a, y)]
    return _node(
        sum(d * d for d in diffs) / (2 * n),
        "C",
        a,
        [d / n for d in diffs],
        lambda: [(ai - yi) / n for ai, yi in zip(a, y)],
    )


def binary_cross_entropy(probs: Preds, targets: Targets) -> Value:
    """C = −mean[y ln p + (1 − y) ln(1 − p)] with p clamped to [ε, 1 − ε] (never log 0).

    ∂C/∂p = (p − y) / (p(1 − p)) / n, evaluated at the clamped p. Predictions must be
    probabilities in [0, 1] (a sigmoid output) and targets in [0, 1]; for raw scores use
    ``binary_cross_entropy_with_logits``.
    """
    name = "binary_cross_entropy"
    p, y, _ = _pairs(name, probs, targets)
    for i, pi in enumerate(p):
        if not 0.0 <= pi.data <= 1.0:
            raise ValueError(
                f"{name}: prediction {i} is {pi.data!r}, outside [0, 1]: it expects probabilities. Give the model a "
                "sigmoid output (MLP(..., output_activation='sigmoid')) or use binary_cross_entropy_with_logits "
                "on raw scores"
            )
    _check_probabilities(name, y)
    n = len(p)
    q = [min(max(pi.data, EPS), 1.0 - EPS) for pi in p]
    total = -sum(yi * math.log(qi) + (1.0 - yi) * math.log1p(-qi) for qi, yi in zip(q, y))

    def as_values() -> list[Value | float]:
        return [
            (pi - yi) / (pi * (1.0 - pi)) / n if pi.data == qi else (qi - yi) / (qi * (1.0 - qi)) / n
            for pi, qi, yi in zip(p, q, y)
        ]

    return _node(total / n, "BCE", p, [(qi - yi) / (qi * (1.0 - qi)) / n for qi, yi in zip(q, y)], as_values)


def _check_probabilities(name: str, y: list[float]) -> None:
    """BCE's targets are probabilities or labels in [0, 1] (a −1/+1 label or a class index is not)."""
    bad = next((i for i, yi in enumerate(y) if not 0.0 <= yi <= 1.0), None)
    if bad is not None:
        raise _not_a_probability(name, bad, y[bad])


def _not_a_probability(name: str, i: int, yi: float) -> ValueError:
    return ValueError(f"{name}: target {i} is {yi!r}; targets are probabilities or labels in [0, 1]")


def binary_cross_entropy_with_logits(logits: Preds, targets: Targets) -> Value:
    """BCE of σ(z) computed stably as mean[ln(1 + eᶻ) − y·z]: ∂C/∂z = (σ(z) − y)/n; targets in [0, 1]."""
    z, y, _ = _pairs("binary_cross_entropy_with_logits", logits, targets)
    _check_probabilities("binary_cross_entropy_with_logits", y)
    n = len(z)
    return _node(
        sum(softplus(zi.data) - yi * zi.data for zi, yi in zip(z, y)) / n,
        "BCEWithLogits",
        z,
        [(sigmoid(zi.data) - yi) / n for zi, yi in zip(z, y)],
        lambda: [(zi.sigmoid() - yi) / n for zi, yi in zip(z, y)],
    )


def hinge_loss(scores: Preds, targets: Targets) -> Value:
    """The max-margin loss mean[max(0, 1 − y·s)] for y = ±1 (0 is read as −1, so 0/1 labels work).

    ∂/∂s = −y/n where the margin 1 − y·s is positive, else 0 (constants: hinge″ = 0).
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
    return _node(total / n, "hinge", s, grads, lambda: grads)


def _vector(name: str, values: Sequence[Scalar]) -> list[Value]:
    if not _is_sequence(values) or not len(values):
        raise ValueError(f"{name} needs a non-empty list of values, got {values!r}")
    return [_value(v, f"{name} value") for v in values]


def _softmax_values(z: list[Value]) -> list[Value]:
    """sⱼ = e^(zⱼ − ln Σₖ e^zₖ) built from Values (the max shift m is a constant)."""
    m = max(v.data for v in z)
    lse = sum(((v - m).exp() for v in z), Value(0.0)).log() + m
    return [(v - lse).exp() for v in z]


def softmax(values: Sequence[Scalar]) -> list[Value]:
    """sᵢ = e^zᵢ / Σⱼ e^zⱼ (shifted by max z, so stable): ∂sᵢ/∂zⱼ = sᵢ(δᵢⱼ − sⱼ)."""
    z = _vector("softmax", values)
    lse = logsumexp(v.data for v in z)
    s = [math.exp(v.data - lse) for v in z]

    def as_values(i: int) -> Derivatives:
        def d() -> list[Value]:
            sv = _softmax_values(z)
            return [sv[i] * (float(i == j) - sj) for j, sj in enumerate(sv)]

        return d

    return [
        _node(si, "softmax", z, [si * ((i == j) - sj) for j, sj in enumerate(s)], as_values(i))
        for i, si in enumerate(s)
    ]


def log_softmax(values: Sequence[Scalar]) -> list[Value]:
    """ln sᵢ = zᵢ − ln Σⱼ e^zⱼ: ∂/∂zⱼ = δᵢⱼ − sⱼ."""
    z = _vector("log_softmax", values)
    lse = logsumexp(v.data for v in z)
    s = [math.exp(v.data - lse) for v in z]

    def as_values(i: int) -> Derivatives:
        return lambda: [float(i == j) - sj for j, sj in enumerate(_softmax_values(z))]

    return [
        _node(v.data - lse, "log_softmax", z, [(i == j) - sj for j, sj in enumerate(s)], as_values(i))
        for i, v in enumerate(z)
    ]


@overload
def cross_entropy(logits: Sequence[Scalar], target_index: int) -> Value: ...


@overload
def cross_entropy(logits: Sequence[Sequence[Scalar]], target_index: Sequence[int]) -> Value: ...


def cross_entropy(logits: Sequence[Any], target_index: int | Sequence[int]) -> Value:
    """Softmax + negative log-likelihood: C = ln Σⱼ e^zⱼ − z_y, mean over examples.

    One example: ``cross_entropy([z₀, z₁, z₂], 2)``; a batch: a list of logit lists and
    a list of class indices. ∂C/∂zⱼ = (sⱼ − [j = y])/n, the notes' a − y.
    """
    batch: Sequence[Any]
    targets: Sequence[Any]
    if isinstance(target_index, numbers.Integral) and not isinstance(target_index, bool):
        batch, targets = [logits], [target_index]
    elif _is_sequence(target_index):
        batch, targets = logits, target_index
    else:
        raise TypeError(
            "cross_entropy(target_index) must be a class index (an int) for one example or a list of them for a "
            f"batch, got {type(target_index).__name__}: {target_index!r}"
        )
    if not _is_sequence(batch):
        raise TypeError(f"cross_entropy(logits) must be a list of logits, got {type(logits).__name__}: {logits!r}")
    if len(batch) != len(targets):
        raise ValueError(f"cross_entropy: got {len(batch)} logit vectors but {len(targets)} targets")
    if not batch:
        raise ValueError("cross_entropy: got no logits")
    n = len(batch)
    examples: list[tuple[list[Value], int]] = []
    grads: list[float] = []
    total = 0.0
    for zs, index in zip(batch, targets):
        z = _vector("cross_entropy", zs)
        if not isinstance(index, numbers.Integral) or isinstance(index, bool) or not 0 <= int(index) < len(z):
            raise ValueError(f"cross_entropy: target index must be an int in [0, {len(z)}), got {index!r}")
        t = int(index)
        zd = [v.data for v in z]
        lse = logsumexp(zd)
        total += lse - zd[t]
        examples.append((z, t))
        grads += [(math.exp(zj - lse) - (j == t)) / n for j, zj in enumerate(zd)]

    def as_values() -> list[Value]:
        return [(sj - float(j == t)) / n for z, t in examples for j, sj in enumerate(_softmax_values(z))]

    return _node(total / n, "cross_entropy", [v for z, _ in examples for v in z], grads, as_values)


def _params(name: str, params: Sequence[Value]) -> list[Value]:
    ps = list(params)
    for i, p in enumerate(ps):
        if not isinstance(p, Value):
            raise TypeError(
                f"{name}(params) must be Values (e.g. model.parameters()), got {type(p).__name__} at {i}: {p!r}"
            )
    return ps


def l1_penalty(params: Sequence[Value]) -> Value:
    """Σ|p|: ∂/∂p = sign(p) (0 at 0). Multiply by λ yourself: ``1e-4 * l1_penalty(ps)``."""
    ps = _params("l1_penalty", params)
    signs = [float((p.data > 0) - (p.data < 0)) for p in ps]
    return _node(sum(abs(p.data) for p in ps), "L1", ps, signs, lambda: signs)


def l2_penalty(params: Sequence[Value]) -> Value:
    """Σp²: ∂/∂p = 2p. Multiply by λ yourself: ``1e-4 * l2_penalty(ps)``."""
    ps = _params("l2_penalty", params)
    return _node(sum(p.data * p.data for p in ps), "L2", ps, [2.0 * p.data for p in ps], lambda: [2.0 * p for p in ps])


# ------------------------------------------------------------------ on arrays
# The same losses on NumPy arrays, for fit(compile=True): A holds the outputs of a batch
# (one row per example), Y its targets. Each returns (C per example, ∂C/∂A per example);
# the batch's C is their mean, as the functions above take it.
def _mse_on_arrays(np: Any, A: Any, Y: Any) -> tuple[Any, Any]:
    D = A - Y
    return (D * D).mean(axis=1), 2.0 * D / A.shape[1]


def _quadratic_on_arrays(np: Any, A: Any, Y: Any) -> tuple[Any, Any]:
    D = A - Y
    return 0.5 * (D * D).sum(axis=1), D


def _probabilities_on_arrays(np: Any, name: str, Y: Any) -> None:
    """``_check_probabilities`` on a batch of targets (the index counts as in the flat list)."""
    bad = np.argwhere(~((Y >= 0.0) & (Y <= 1.0)))
    if len(bad):
        i, j = bad[0]
        raise _not_a_probability(name, int(i) * Y.shape[1] + int(j), float(Y[i, j]))


def _bce_on_arrays(np: Any, A: Any, Y: Any) -> tuple[Any, Any]:
    bad = np.argwhere((A < 0.0) | (A > 1.0) | np.isnan(A))
    if len(bad):
        i, j = bad[0]
        binary_cross_entropy(Value(float(A[i, j])), 0.0)  # raises the same error as without compile
    _probabilities_on_arrays(np, "binary_cross_entropy", Y)
    Q = np.clip(A, EPS, 1.0 - EPS)
    C = -(Y * np.log(Q) + (1.0 - Y) * np.log1p(-Q))
    return C.mean(axis=1), (Q - Y) / (Q * (1.0 - Q)) / A.shape[1]


def _bce_logits_on_arrays(np: Any, A: Any, Y: Any) -> tuple[Any, Any]:
    _probabilities_on_arrays(np, "binary_cross_entropy_with_logits", Y)
    return (softplus_on_arrays(np, A) - Y * A).mean(axis=1), (sigmoid_on_arrays(np, A) - Y) / A.shape[1]


def _hinge_on_arrays(np: Any, A: Any, Y: Any) -> tuple[Any, Any]:
    if not np.isin(Y, (1.0, -1.0, 0.0)).all():
        raise ValueError(
            f"hinge_loss: targets must be +1 or -1 (or 0 for -1), got {Y[~np.isin(Y, (1.0, -1.0, 0.0))][0]!r}"
        )
    Ys = np.where(Y == 0.0, -1.0, Y)
    margin = 1.0 - Ys * A
    positive = margin > 0.0
    return np.where(positive, margin, 0.0).mean(axis=1), np.where(positive, -Ys, 0.0) / A.shape[1]


def _cross_entropy_on_arrays(np: Any, A: Any, Y: Any) -> tuple[Any, Any]:
    t = Y.astype(int).reshape(-1)
    m = A.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(A - m).sum(axis=1))
    S = np.exp(A - lse[:, None])
    S[np.arange(len(t)), t] -= 1.0
    return lse - A[np.arange(len(t)), t], S


ON_ARRAYS: dict[Callable[..., Value], Callable[[Any, Any, Any], tuple[Any, Any]]] = {
    mse_loss: _mse_on_arrays,
    quadratic_cost: _quadratic_on_arrays,
    binary_cross_entropy: _bce_on_arrays,
    binary_cross_entropy_with_logits: _bce_logits_on_arrays,
    hinge_loss: _hinge_on_arrays,
    cross_entropy: _cross_entropy_on_arrays,
}
