"""Optimisers — stochastic gradient descent and Adam — and gradient clipping.

Both follow PyTorch's update rules, step for step. For each parameter p with gradient
g = ∂C/∂p, weight decay λ first adds the L2 term's gradient, g ← g + λ·p; then

``SGD`` (no dampening, no Nesterov), momentum μ, learning rate η:

    v ← g on the first step, then v ← μ·v + g;   p ← p − η·v        (v = g when μ = 0)

``Adam`` (Kingma & Ba), β₁, β₂, ε, η, step t = 1, 2, …:

    m ← β₁·m + (1 − β₁)·g        v ← β₂·v + (1 − β₂)·g²
    p ← p − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

(m and v start at 0; the factors 1/(1 − βᵗ) correct their bias towards 0 in early steps).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Union

from autograd_core import Value
from nn._checks import got, real
from nn.module import Module

ParamGroup = dict[str, Any]
Params = Union[Iterable[Value], Sequence[ParamGroup]]


def _as_list(params: object, where: str) -> list[Any]:
    """``params`` as a list, with a hint for the usual slip of passing the model itself."""
    if isinstance(params, Module):
        raise TypeError(f"{where} got the model {type(params).__name__}; pass model.parameters()")
    if isinstance(params, (Value, str, bytes, dict)) or not isinstance(params, Iterable):
        raise TypeError(f"{where} must be a list of Values, got {got(params)}")
    return list(params)


class Optimizer:
    """What every optimiser shares: parameter groups, ``zero_grad()``, ``state_dict()``.

    ``params`` is a list of Values or of groups ``{"params": [...], "lr": ..., ...}`` whose
    missing keys take the constructor's values (e.g. another learning rate for the biases).
    ``state[p]`` holds what the rule keeps for parameter p between steps.
    """

    state_keys: ClassVar[tuple[str, ...]] = ()  # the per-parameter state, in state_dict() order

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        items = _as_list(params, f"{name}(params)")
        if not items:
            raise ValueError(f"{name} got an empty parameter list")
        raw_groups = items if isinstance(items[0], dict) else [{"params": items}]
        self.param_groups: list[ParamGroup] = []
        seen: set[int] = set()  # ids of the parameters so far
        for i, group in enumerate(raw_groups):
            if not isinstance(group, dict) or "params" not in group:
                raise TypeError(f"{name} parameter group {i} must be a dict with a 'params' key, got {group!r}")
            unknown = set(group) - {"params", *defaults}
            if unknown:
                raise ValueError(f"{name} parameter group {i}: unknown keys {sorted(unknown)}")
            ps = _as_list(group["params"], f"{name} parameter group {i}")
            for p in ps:
                if not isinstance(p, Value):
                    raise TypeError(f"{name} parameters must be Values, got {got(p)}")
                if id(p) in seen:
                    raise ValueError(
                        f"{name}(params): parameter {p.label or p!r} is listed twice (it would be updated twice)"
                    )
                seen.add(id(p))
            hyper = {k: self.check(k, group.get(k, v)) for k, v in defaults.items()}
            self.param_groups.append({"params": ps, **hyper})
        self.state: dict[Value, Any] = {}

    def check(self, key: str, value: object) -> Any:
        """A hyperparameter checked (a finite number ≥ 0 unless a subclass says more)."""
        return real(value, f"{type(self).__name__}({key})", low=0.0)

    def zero_grad(self) -> None:
        """∂C/∂p = 0 for every parameter."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = 0.0

    def step(self) -> None:
        """One update of every parameter from its current ``.grad``."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """PyTorch's layout: ``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``,
        the parameters numbered across the groups in order."""
        index = {id(p): i for i, p in enumerate(p for g in self.param_groups for p in g["params"])}
        state = {index[id(p)]: self.save_state(s) for p, s in self.state.items()}
        groups = [
            {**{k: v for k, v in g.items() if k != "params"}, "params": [index[id(p)] for p in g["params"]]}
            for g in self.param_groups
        ]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by ``state_dict()`` of an optimiser over the same parameters."""
        name = type(self).__name__
        groups = state_dict.get("param_groups") if isinstance(state_dict, dict) else None
        if not isinstance(groups, list) or [len(g.get("params", ())) for g in groups] != [
            len(g["params"]) for g in self.param_groups
        ]:
            raise ValueError(f"{name}.load_state_dict: the saved parameter groups do not match this optimiser's")
        params = [p for g in self.param_groups for p in g["params"]]
        new_state = {params[int(i)]: self.load_state(s) for i, s in state_dict.get("state", {}).items()}
        for mine, saved in zip(self.param_groups, groups):
            for key in mine:
                if key != "params":
                    mine[key] = self.check(key, saved.get(key, mine[key]))
        self.state = new_state

    def save_state(self, s: Any) -> dict[str, Any]:
        return dict(zip(self.state_keys, s if isinstance(s, tuple) else (s,)))

    def load_state(self, s: dict[str, Any]) -> Any:
        values = tuple(s[k] for k in self.state_keys)
        return values if len(values) > 1 else values[0]

    def __repr__(self) -> str:
        groups = ", ".join(
            "{" + f"{len(g['params'])} params, " + ", ".join(f"{k}={v}" for k, v in g.items() if k != "params") + "}"
            for g in self.param_groups
        )
        return f"{type(self).__name__}([{groups}])"


class SGD(Optimizer):
    """``SGD(params, lr, momentum=0.0, weight_decay=0.0)``: p ← p − η·v, v ← μ·v + (g + λ·p)."""

    state_keys = ("momentum_buffer",)

    def __init__(self, params: Params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay})
        self.state: dict[Value, float] = {}  # momentum buffer v of each parameter

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


class Adam(Optimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)``, PyTorch's rule (module docstring)."""

    state_keys = ("step", "exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})
        self.state: dict[Value, tuple[int, float, float]] = {}  # (t, m, v) of each parameter

    def check(self, key: str, value: object) -> Any:
        if key != "betas":
            return super().check(key, value)
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise TypeError(f"Adam(betas) must be a pair (β₁, β₂), got {got(value)}")
        betas = tuple(real(b, f"Adam(betas[{i}])", low=0.0) for i, b in enumerate(value))
        for i, b in enumerate(betas):
            if b >= 1.0:
                raise ValueError(f"Adam(betas[{i}]) must be in [0, 1), got {b!r}")
        return betas

    def step(self) -> None:
        """One update of every parameter from its current ``.grad``."""
        state = self.state
        for group in self.param_groups:
            lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                g = p.grad + wd * p.data if wd else p.grad
                t, m, v = state.get(p, (0, 0.0, 0.0))
                t += 1
                m = beta1 * m + (1.0 - beta1) * g
                v = beta2 * v + (1.0 - beta2) * g * g
                state[p] = (t, m, v)
                denom = math.sqrt(v) / math.sqrt(1.0 - beta2**t) + eps
                p.data -= lr / (1.0 - beta1**t) * m / denom


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
