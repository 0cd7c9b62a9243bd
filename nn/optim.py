"""Stochastic gradient descent and gradient clipping.

``SGD`` follows ``torch.optim.SGD`` (no dampening, no Nesterov). For each parameter p
with gradient g = ∂C/∂p:

    g ← g + λ·p                  (weight_decay λ: the L2 term's gradient)
    v ← g on the first step, then v ← μ·v + g     (momentum μ)
    p ← p − η·v                  (learning rate η; v = g when μ = 0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Union

from autograd_core import Value
from nn._checks import got, real
from nn.module import Module

ParamGroup = dict[str, Any]
Params = Union[Iterable[Value], Sequence[ParamGroup]]


def _hyper(value: object, name: str) -> float:
    """A finite number ≥ 0 (NumPy scalars too, as ``Value`` accepts them)."""
    return real(value, f"SGD({name})", low=0.0)


def _as_list(params: object, where: str) -> list[Any]:
    """``params`` as a list, with a hint for the usual slip of passing the model itself."""
    if isinstance(params, Module):
        raise TypeError(f"{where} got the model {type(params).__name__}; pass model.parameters()")
    if isinstance(params, (Value, str, bytes, dict)) or not isinstance(params, Iterable):
        raise TypeError(f"{where} must be a list of Values, got {got(params)}")
    return list(params)


class SGD:
    """``SGD(params, lr, momentum=0.0, weight_decay=0.0)``; ``params`` is a list of Values
    or of parameter groups ``{"params": [...], "lr": ..., ...}`` (missing keys take the
    defaults), e.g. a different learning rate for weights and biases."""

    def __init__(self, params: Params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        defaults = {"lr": _hyper(lr, "lr"), "momentum": _hyper(momentum, "momentum")}
        defaults["weight_decay"] = _hyper(weight_decay, "weight_decay")
        items = _as_list(params, "SGD(params)")
        if not items:
            raise ValueError("SGD got an empty parameter list")
        raw_groups = items if isinstance(items[0], dict) else [{"params": items}]
        self.param_groups: list[ParamGroup] = []
        seen: set[int] = set()  # ids of the parameters so far
        for i, group in enumerate(raw_groups):
            if not isinstance(group, dict) or "params" not in group:
                raise TypeError(f"SGD parameter group {i} must be a dict with a 'params' key, got {group!r}")
            unknown = set(group) - {"params", *defaults}
            if unknown:
                raise ValueError(f"SGD parameter group {i}: unknown keys {sorted(unknown)}")
            ps = _as_list(group["params"], f"SGD parameter group {i}")
            for p in ps:
                if not isinstance(p, Value):
                    raise TypeError(f"SGD parameters must be Values, got {got(p)}")
                if id(p) in seen:
                    raise ValueError(
                        f"SGD(params): parameter {p.label or p!r} is listed twice (it would be updated twice)"
                    )
                seen.add(id(p))
            hyper = {k: _hyper(group.get(k, v), k) for k, v in defaults.items()}
            self.param_groups.append({"params": ps, **hyper})
        self.state: dict[Value, float] = {}  # momentum buffer v of each parameter

    def zero_grad(self) -> None:
        """∂C/∂p = 0 for every parameter."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = 0.0

    def step(self) -> None:
        """One update of every parameter from its current ``.grad``."""
        state = self.state
        for group in self.param_groups:
            lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
            if not mu and not wd:
                for p in group["params"]:
                    p.data -= lr * p.grad
                continue
            for p in group["params"]:
                g = p.grad + wd * p.data
                if mu:
                    v = state.get(p)
                    g = state[p] = g if v is None else mu * v + g
                p.data -= lr * g

    def __repr__(self) -> str:
        groups = ", ".join(
            f"{{{len(g['params'])} params, lr={g['lr']}, momentum={g['momentum']}, weight_decay={g['weight_decay']}}}"
            for g in self.param_groups
        )
        return f"SGD([{groups}])"


def grad_norm(ps: Sequence[Value]) -> float:
    """‖g‖ = √Σ(∂C/∂p)², without overflow or underflow: when Σg² leaves the float range it is
    computed as m·√Σ(g/m)² with m = max|g|. Infinite if a gradient is ±inf, NaN if one is NaN."""
    squares = sum([p.grad * p.grad for p in ps])
    if 0.0 < squares < math.inf:
        return math.sqrt(squares)
    m = max((abs(p.grad) for p in ps), default=0.0)
    if m == 0.0 or not math.isfinite(m) or math.isnan(squares):
        return math.nan if math.isnan(squares) else m
    return m * math.sqrt(sum([(p.grad / m) ** 2 for p in ps]))


def _values(params: object, where: str) -> list[Value]:
    """A list of parameters (Values) for the clipping functions."""
    ps = _as_list(params, where)
    for p in ps:
        if not isinstance(p, Value):
            raise TypeError(f"{where} must be a list of Values, got an item {got(p)}")
    return ps


def clip_grad_norm(params: Iterable[Value], max_norm: float) -> float:
    """Scale all gradients by max_norm/‖g‖ when ‖g‖ = √Σ(∂C/∂p)² exceeds ``max_norm``.

    Returns ‖g‖ before clipping (as ``torch.nn.utils.clip_grad_norm_``). ‖g‖ is computed
    without overflow (gradients of 1e200 are clipped, not zeroed). A NaN or infinite gradient
    cannot be scaled to a finite norm: ValueError naming the parameter (as torch's
    ``error_if_nonfinite=True``); lower the learning rate or clip by value first.
    """
    max_norm = real(max_norm, "clip_grad_norm(max_norm)", low=0.0, strict=True, finite=False)
    ps = _values(params, "clip_grad_norm(params)")
    norm = grad_norm(ps)
    if not math.isfinite(norm):
        bad = next(p for p in ps if not math.isfinite(p.grad))
        raise ValueError(
            f"clip_grad_norm: the gradient of {bad.label or 'parameter ' + str(ps.index(bad))} is {bad.grad}, "
            "so ‖g‖ is not finite and cannot be clipped (the step diverged: lower the learning rate)"
        )
    if norm > max_norm:
        scale = max_norm / (norm + 1e-6)
        for p in ps:
            p.grad *= scale
    return norm


def clip_grad_value(params: Iterable[Value], clip: float) -> None:
    """Clamp each gradient into [−clip, clip] (a NaN gradient stays NaN)."""
    clip = real(clip, "clip_grad_value(clip)", low=0.0, strict=True, finite=False)
    for p in _values(params, "clip_grad_value(params)"):
        p.grad = min(max(p.grad, -clip), clip)
