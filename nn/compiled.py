"""``fit(..., compile=True)``: the same training steps, run over each batch as NumPy arrays.

The model's graph for one example is traced once (``autograd_core.compile_batch``); each
step then runs it over the batch, takes the loss and ∂C/∂a per example with the loss's
array rule (``nn.losses.ON_ARRAYS``), backpropagates through the compiled graph, and
applies the optimiser to an array of parameters with exactly its own arithmetic (``SGD``:
momentum, weight decay; ``Adam``: bias-corrected moments; parameter groups and a learning
rate that changes between epochs) and ``clip_grad_norm``'s clipping. The parameters'
numbers live in that array during training; ``write_back()`` copies them (and the
optimiser's state) into the model's Values and the optimiser.

The plan (the traced graph and its array operations) depends only on the model's
structure — its modules, their settings and its parameter Values — not on their numbers,
the loss (applied by its array rule) or the penalty (computed by the scalar engine). It is
kept per model and reused by later ``fit(compile=True)`` calls, and traced again when
that structure changes.
"""

from __future__ import annotations

import contextlib
import functools
import operator
import weakref
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any

from autograd_core import CompiledBatch, Value, compile_batch
from autograd_core.extras import require
from autograd_core.rows import Rows
from nn.conv import _shaped
from nn.layers import Dropout
from nn.losses import ON_ARRAYS
from nn.module import Module
from nn.optim import SGD, Adam, Optimizer


class CompiledTraining:
    """Training steps for ``model`` with ``loss`` and ``optimizer`` on arrays (see the module docstring)."""

    def __init__(
        self,
        model: Module,
        loss: Callable[..., Value],
        optimizer: Optimizer,
        penalty: Callable[[list[Value]], Value] | None,
        X: Rows,
        y: Rows,
        params: list[Value] | None = None,
    ) -> None:
        """``params``: ``model.parameters()``, when the caller has them already (fit)."""
        np = self.np = require("numpy", "nn", "fit(compile=True)")
        if loss not in ON_ARRAYS:
            known = ", ".join(f.__name__ for f in ON_ARRAYS)
            raise ValueError(f"fit(compile=True) supports the losses {known}; got {loss!r}: use compile=False")
        if any(isinstance(m, Dropout) and m.p > 0.0 for m in model.modules()):
            raise ValueError(
                "fit(compile=True): dropout draws a new mask per example, so the graph depends on the data; "
                "use compile=False"
            )
        twin = ON_ARRAYS_OPTIMISERS.get(type(optimizer))
        if twin is None:
            known = ", ".join(t.__name__ for t in ON_ARRAYS_OPTIMISERS)
            raise ValueError(
                f"fit(compile=True) supports the optimisers {known}; got {type(optimizer).__name__}: use compile=False"
            )
        self.loss_on_arrays = ON_ARRAYS[loss]
        examples = np.asarray(X, dtype=float)  # (N, inputs), or images (N, C, H, W) and signals (N, C, L)
        self.X = examples.reshape(len(examples), -1)
        self.Y = np.asarray(y, dtype=float).reshape(len(y), -1)
        self.params = model.parameters() if params is None else params
        self.penalty = penalty
        self.optimizer = optimizer
        self.compiled = compiled_model(model, self.params, self.X, examples.shape[1:])
        self.update = twin(np, optimizer, self.params)
        self._stale = False

    def step(self, batch: Sequence[int], max_grad_norm: float | None, threshold: float) -> tuple[float, int, float]:
        """One SGD step on the examples ``batch`` (indices) → (C, number correct, ‖∂C/∂p‖ before clipping)."""
        np, cb = self.np, self.compiled
        A = cb.forward(self.X[batch])
        Y = self.Y[batch]
        per_example, dA = self.loss_on_arrays(np, A, Y)
        n = len(batch)
        cost = float(per_example.mean())
        if self.penalty is not None:
            self.write_back()
            pen = self.penalty(self.params)
            cost += pen.data
            for p in self.params:
                p.grad = 0.0
            pen.backward()
        if not np.isfinite(cost):
            return cost, 0, float("nan")
        grad = cb.backward(dA / n)
        if self.penalty is not None:
            grad += np.array([p.grad for p in self.params])
        norm = _norm(np, grad)
        if not np.isfinite(norm):
            return cost, 0, norm
        if max_grad_norm is not None and norm > max_grad_norm:  # as clip_grad_norm
            grad *= max_grad_norm / (norm + 1e-6)
        self.update.step(cb.values, grad)
        self._stale = True
        return cost, _correct(A, Y, threshold), norm

    def evaluate(self, X: Rows, y: Rows, threshold: float) -> tuple[float, int]:
        """(C, number correct) on examples (X, y) with the current weights, through the compiled
        graph: fit's validation after each epoch (the graph has no dropout, so eval mode is the same)."""
        np = self.np
        examples = np.asarray(X, dtype=float)
        A = self.compiled.forward(examples.reshape(len(examples), -1))
        Y = np.asarray(y, dtype=float).reshape(len(y), -1)
        per_example, _ = self.loss_on_arrays(np, A, Y)
        return float(per_example.mean()), _correct(A, Y, threshold)

    @contextlib.contextmanager
    def on_one_blas_thread(self) -> Iterator[None]:
        """NumPy's BLAS on one thread while the steps run (then as it was): a step's matrices are
        small, and threads cost more than they give — 4.7× slower on the MNIST-1D CNN on a busy
        2-core machine (one thread is also how the benchmarks run PyTorch)."""
        limiter = _blas_threads().limit(limits=1, user_api="blas")
        try:
            yield
        finally:
            limiter.restore_original_limits()

    def non_finite(self, named: Sequence[tuple[str, Value]]) -> tuple[str, float] | None:
        """(name, value) of the first NaN or infinite parameter, as fit checks the Values
        (``named``: the model's ``named_parameters()``, read only when one is found)."""
        P = self.compiled.values
        if self.np.isfinite(P.sum()):
            return None
        j = int(self.np.flatnonzero(~self.np.isfinite(P))[0])
        return named[j][0], float(P[j])

    def write_back(self) -> None:
        """Copy the trained numbers into the model's Values and the optimiser's state (momentum, Adam's m and v)."""
        if not self._stale:
            return
        self.compiled.write_params()
        self.update.write_back()
        self._stale = False


def outputs_on_arrays(model: Module, X: Rows) -> Any:
    """``model(x)`` for every example x of X (rows; images (N, C, H, W); signals (N, C, L)) as an
    (N × outputs) array, through the model's compiled graph (``accuracy(..., compile=True)``)."""
    np = require("numpy", "nn", "accuracy(compile=True)")
    examples = np.asarray(X, dtype=float)
    rows = examples.reshape(len(examples), -1)
    return compiled_model(model, model.parameters(), rows, examples.shape[1:]).forward(rows)


def count_correct(A: Any, y: Rows, threshold: float) -> int:
    """How many outputs (rows of A) are right for the targets y, as ``nn.train.is_correct`` counts."""
    np = require("numpy", "nn", "accuracy(compile=True)")
    Y = np.asarray(y, dtype=float)
    return _correct(A, Y.reshape(len(Y), -1), threshold)


def _correct(A: Any, Y: Any, threshold: float) -> int:
    """How many outputs (rows of A) are right, as ``nn.train.is_correct`` counts: one output above
    the threshold for a positive target; else the argmax at the class (an index or a one-hot row)."""
    if A.shape[1] == 1:
        return int(((A[:, 0] > threshold) == (Y[:, 0] > 0)).sum())
    labels = Y[:, 0] if Y.shape[1] == 1 else Y.argmax(axis=1)
    return int((A.argmax(axis=1) == labels).sum())


class _OnArrays:
    """An optimiser's update applied to the parameter array: where each group's parameters sit in it.

    The hyperparameters are read from ``optimizer.param_groups`` at every step, so a learning
    rate changed between epochs (``fit(lr_schedule=...)``) applies as on the scalar path.
    """

    def __init__(self, np: Any, optimizer: Optimizer, params: list[Value]) -> None:
        self.np, self.optimizer, self.params = np, optimizer, params
        self.where: list[Any] = []  # per group: a slice of the array, or an index array
        if holds_in_order(optimizer, params):  # the usual case, SGD(model.parameters()): slices, found fast
            start = 0
            for g in optimizer.param_groups:
                self.where.append(slice(start, start + len(g["params"])))
                start += len(g["params"])
            return
        index = {id(p): j for j, p in enumerate(params)}
        for g in optimizer.param_groups:
            if any(id(p) not in index for p in g["params"]):
                raise ValueError("fit(compile=True): the optimiser holds a Value that is not a parameter of the model")
            idx = [index[id(p)] for p in g["params"]]
            contiguous = idx == list(range(idx[0], idx[0] + len(idx)))
            self.where.append(slice(idx[0], idx[0] + len(idx)) if contiguous else np.array(idx))

    def held(self) -> list[tuple[int, Value]]:
        """(position in the array, parameter) of each parameter with saved state in the optimiser."""
        state = self.optimizer.state
        return [(j, p) for j, p in enumerate(self.params) if p in state] if state else []


class _SGDOnArrays(_OnArrays):
    """``SGD.step`` on arrays (``sgd_on_arrays``), its momentum buffers kept in arrays."""

    def __init__(self, np: Any, optimizer: Optimizer, params: list[Value]) -> None:
        super().__init__(np, optimizer, params)
        self.velocity = np.zeros(len(params))
        self.has_velocity = np.zeros(len(params), dtype=bool)
        for j, p in self.held():
            self.velocity[j], self.has_velocity[j] = self.optimizer.state[p], True

    def step(self, P: Any, grad: Any) -> None:
        groups = [
            (at, g["lr"], g["momentum"], g["weight_decay"]) for at, g in zip(self.where, self.optimizer.param_groups)
        ]
        sgd_on_arrays(self.np, P, grad, groups, self.velocity, self.has_velocity)

    def write_back(self) -> None:
        state = self.optimizer.state
        for j in self.np.flatnonzero(self.has_velocity).tolist():
            state[self.params[j]] = float(self.velocity[j])


class _AdamOnArrays(_OnArrays):
    """``Adam.step`` on arrays (``adam_on_arrays``), its step counts t and moments m, v kept in arrays."""

    def __init__(self, np: Any, optimizer: Optimizer, params: list[Value]) -> None:
        super().__init__(np, optimizer, params)
        self.t = np.zeros(len(params), dtype=np.int64)
        self.m = np.zeros(len(params))
        self.v = np.zeros(len(params))
        for j, p in self.held():
            self.t[j], self.m[j], self.v[j] = self.optimizer.state[p]

    def step(self, P: Any, grad: Any) -> None:
        groups = [
            (at, g["lr"], g["betas"], g["eps"], g["weight_decay"])
            for at, g in zip(self.where, self.optimizer.param_groups)
        ]
        adam_on_arrays(self.np, P, grad, groups, self.t, self.m, self.v)

    def write_back(self) -> None:
        state = self.optimizer.state
        for j in self.np.flatnonzero(self.t).tolist():
            state[self.params[j]] = (int(self.t[j]), float(self.m[j]), float(self.v[j]))


def holds_in_order(optimizer: Optimizer, params: list[Value]) -> bool:
    """True when the optimiser's groups hold exactly ``params``, in this order."""
    held = [p for g in optimizer.param_groups for p in g["params"]]
    return len(held) == len(params) and all(map(operator.is_, held, params))


def sgd_on_arrays(
    np: Any, P: Any, grad: Any, groups: list[tuple[Any, float, float, float]], velocity: Any, has_velocity: Any
) -> None:
    """``SGD.step`` on arrays, in place: per group (where in P, lr, μ, λ), g = ∂C/∂p + λ·p;
    with momentum v = μ·v + g (v = g the first time); p −= lr·g (or lr·v)."""
    with np.errstate(over="ignore", invalid="ignore"):  # a parameter that overflows: fit reports it by name
        for idx, lr, mu, wd in groups:
            g = grad[idx]
            if not mu and not wd:
                P[idx] -= lr * g
                continue
            g = g + wd * P[idx]
            if mu:
                had = has_velocity[idx]
                g = np.where(had, mu * velocity[idx] + g, g)
                velocity[idx], has_velocity[idx] = g, True
            P[idx] -= lr * g


def adam_on_arrays(
    np: Any,
    P: Any,
    grad: Any,
    groups: list[tuple[Any, float, tuple[float, float], float, float]],
    t: Any,
    m: Any,
    v: Any,
) -> None:
    """``Adam.step`` on arrays, in place: per group (where in P, lr, (β₁, β₂), ε, λ), g = ∂C/∂p + λ·p,
    t += 1, m = β₁·m + (1 − β₁)·g, v = β₂·v + (1 − β₂)·g², p −= lr/(1 − β₁ᵗ) · m/(√v/√(1 − β₂ᵗ) + ε)."""
    with np.errstate(over="ignore", invalid="ignore"):  # a parameter that overflows: fit reports it by name
        for idx, lr, (beta1, beta2), eps, wd in groups:
            g = grad[idx] + wd * P[idx] if wd else grad[idx]
            t[idx] += 1
            step = t[idx]
            m[idx] = beta1 * m[idx] + (1.0 - beta1) * g
            v[idx] = beta2 * v[idx] + (1.0 - beta2) * g * g
            denom = np.sqrt(v[idx]) / np.sqrt(1.0 - beta2**step) + eps
            P[idx] -= lr / (1.0 - beta1**step) * m[idx] / denom


ON_ARRAYS_OPTIMISERS: dict[type[Optimizer], type[_SGDOnArrays] | type[_AdamOnArrays]] = {
    SGD: _SGDOnArrays,
    Adam: _AdamOnArrays,
}

_plans: weakref.WeakKeyDictionary[Module, tuple[Hashable, CompiledBatch]] = weakref.WeakKeyDictionary()


def _structure(model: Module, params: list[Value]) -> Hashable:
    """What the traced graph depends on: each module's class, mode and settings (numbers, strings,
    and the identity of anything else, e.g. an activation function), and the parameter Values."""
    modules = []
    for m in model.modules():
        settings = tuple(
            (name, x if isinstance(x, (str, int, float, bool, type(None))) else id(x))
            for name, x in vars(m).items()
            if not isinstance(x, (Value, Module, list))
        )
        modules.append((type(m), m.training, settings))
    return tuple(modules), tuple(map(id, params))


def compiled_model(model: Module, params: list[Value], X: Rows, shape: tuple[int, ...]) -> CompiledBatch:
    """``compile_batch`` of ``model`` for one example (a row of X, given to the model shaped as
    ``shape``: (C, H, W) for an image, (C, L) for a signal), reused while the model's structure
    and the shape are the same."""
    key = (_structure(model, params), shape)
    try:
        cached = _plans.get(model)
    except TypeError:  # a model that cannot be weakly referenced or hashed: no cache
        cached = None
    if cached is not None and cached[0] == key:
        cached[1].read_params()
        return cached[1]
    model_ref = weakref.ref(model) if hasattr(type(model), "__weakref__") else lambda: model

    def forward(*x: Value) -> Any:  # the model, without keeping it alive from the cache
        m = model_ref()
        assert m is not None
        return m(_shaped(list(x), shape))

    compiled = compile_batch(forward, params, X)
    with contextlib.suppress(TypeError):  # not weakly referable or not hashable: not cached
        _plans[model] = (key, compiled)
    return compiled


@functools.cache
def _blas_threads() -> Any:
    """threadpoolctl's view of the BLAS libraries NumPy loaded (found once: it scans the process)."""
    threadpoolctl = require("threadpoolctl", "nn", "fit(compile=True)")
    return threadpoolctl.ThreadpoolController()


def _norm(np: Any, g: Any) -> float:
    """‖g‖ as ``nn.optim.grad_norm`` computes it: scaled by max|g| when Σg² leaves the float range."""
    with np.errstate(over="ignore"):  # Σg² beyond the float range: scaled below
        squares = float(g @ g)  # BLAS's dot product: fit's steps run it on one thread
    if 0.0 < squares < float("inf"):
        return float(np.sqrt(squares))
    m = float(np.max(np.abs(g))) if g.size else 0.0
    if m == 0.0 or not np.isfinite(m) or np.isnan(squares):
        return float("nan") if np.isnan(squares) else m
    return m * float(np.sqrt(np.sum((g / m) ** 2)))
