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

ParamGroup = dict[str, Any]
Params = Union[Iterable[Value], Sequence[ParamGroup]]


def _hyper(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0.0:
        raise ValueError(f"SGD({name}) must be a number ≥ 0, got {value!r}")
    return float(value)


class SGD:
    """``SGD(params, lr, momentum=0.0, weight_decay=0.0)``; ``params`` is a list of Values
    or of parameter groups ``{"params": [...], "lr": ..., ...}`` (missing keys take the
    defaults), e.g. a different learning rate for weights and biases."""

    def __init__(self, params: Params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        defaults = {"lr": _hyper(lr, "lr"), "momentum": _hyper(momentum, "momentum")}
        defaults["weight_decay"] = _hyper(weight_decay, "weight_decay")
        items = list(params)
        if not items:
            raise ValueError("SGD got an empty parameter list")
        raw_groups = items if isinstance(items[0], dict) else [{"params": items}]
        self.param_groups: list[ParamGroup] = []
        for i, group in enumerate(raw_groups):
            if not isinstance(group, dict) or "params" not in group:
                raise TypeError(f"SGD parameter group {i} must be a dict with a 'params' key, got {group!r}")
            unknown = set(group) - {"params", *defaults}
            if unknown:
                raise ValueError(f"SGD parameter group {i}: unknown keys {sorted(unknown)}")
            ps = list(group["params"])
            for p in ps:
                if not isinstance(p, Value):
                    raise TypeError(f"SGD parameters must be Values, got {type(p).__name__}: {p!r}")
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


def clip_grad_norm(params: Iterable[Value], max_norm: float) -> float:
    """Scale all gradients by max_norm/‖g‖ when ‖g‖ = √Σ(∂C/∂p)² exceeds ``max_norm``.

    Returns ‖g‖ before clipping (as ``torch.nn.utils.clip_grad_norm_``).
    """
    if not max_norm > 0:
        raise ValueError(f"clip_grad_norm(max_norm) must be > 0, got {max_norm!r}")
    ps = list(params)
    norm = math.sqrt(sum(p.grad * p.grad for p in ps))
    if norm > max_norm:
        scale = max_norm / (norm + 1e-6)
        for p in ps:
            p.grad *= scale
    return norm


def clip_grad_value(params: Iterable[Value], clip: float) -> None:
    """Clamp each gradient into [−clip, clip]."""
    if not clip > 0:
        raise ValueError(f"clip_grad_value(clip) must be > 0, got {clip!r}")
    for p in params:
        p.grad = min(max(p.grad, -clip), clip)
