"""The training loop: ``fit`` (mini-batch gradient descent) and ``accuracy``.

One step on a batch: a = model(x) for each x, C = loss(a, y) (+ penalty), zero the
gradients, backpropagate ∂C/∂p, clip them if asked, and let the optimiser update p.
"""

from __future__ import annotations

import gc
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Union

from autograd_core import Value, no_grad
from nn.compiled import CompiledTraining
from nn.data import batches
from nn.module import Module
from nn.optim import SGD, clip_grad_norm

Output = Union[Value, list[Value]]
Loss = Callable[[list[Any], list[Any]], Value]
Penalty = Callable[[list[Value]], Value]


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite: the exploding-gradient symptom."""


@dataclass
class History:
    """What ``fit`` measured, one entry per epoch.

    * ``losses``: mean training loss over the epoch's batches (weighted by batch size,
      penalty included), as computed during training;
    * ``accuracies``: fraction of the epoch's training examples classified correctly by
      the predictions made during training (before each batch's update);
    * ``grad_norms``: mean over the epoch's steps of ‖∂C/∂p‖ before any clipping;
    * ``seconds``: wall time of the epoch;
    * ``steps``: the total number of optimiser steps.
    """

    losses: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    steps: int = 0


def _threshold(model: Any) -> float:
    """The decision threshold for one output: 0.5 for a sigmoid output, else 0 (a score)."""
    return 0.5 if getattr(model, "output_activation", None) == "sigmoid" else 0.0


def is_correct(output: Output, target: Any, threshold: float) -> bool:
    """Multi-output: argmax = target (a class index, or the argmax of a one-hot / vector target).
    One output: (a > threshold) = (target > 0), which works for labels in {0, 1} and in {−1, +1}."""
    if isinstance(output, Value):
        return (output.data > threshold) == (target > 0)
    best = max(range(len(output)), key=lambda j: output[j].data)
    if hasattr(target, "__len__"):
        return best == max(range(len(target)), key=lambda j: target[j])
    return best == target


def accuracy(model: Callable[[Any], Output], X: Sequence[Any], y: Sequence[Any]) -> float:
    """Fraction of examples classified correctly, in eval mode and under ``no_grad``."""
    if len(X) != len(y):
        raise ValueError(f"accuracy: got {len(X)} inputs but {len(y)} targets")
    if len(X) == 0:
        raise ValueError("accuracy: got no examples")
    was_training = getattr(model, "training", False)
    if isinstance(model, Module):
        model.eval()
    try:
        threshold = _threshold(model)
        with no_grad():
            correct = sum(is_correct(model(x), t, threshold) for x, t in zip(X, y))
    finally:
        if isinstance(model, Module):
            model.train(was_training)
    return correct / len(X)


def _diverged(loss: float, epoch: int, optimizer: SGD) -> TrainingDivergedError:
    lrs = ", ".join(str(g["lr"]) for g in optimizer.param_groups)
    return TrainingDivergedError(
        f"training diverged: the loss is {loss} at epoch {epoch} (exploding gradients). "
        f"Lower the learning rate (lr = {lrs}) or clip the gradients (fit(..., max_grad_norm=1.0) "
        "or clip_grad_norm)."
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector. A step allocates tens of thousands of nodes, which
    would trigger repeated full collections; the graph has no cycles, so reference
    counting frees it as soon as the step returns."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _step(
    model: Module,
    params: list[Value],
    Xb: list[Any],
    yb: list[Any],
    loss: Loss,
    optimizer: SGD,
    penalty: Penalty | None,
    max_grad_norm: float | None,
    threshold: float,
) -> tuple[float, int, float]:
    """One gradient step on a batch → (C, number classified correctly, ‖∂C/∂p‖ before clipping).

    A non-finite C returns before any update; the graph is freed on return.
    """
    try:
        preds = model.batch(Xb)
        cost = loss(preds, yb)
        if penalty is not None:
            cost = cost + penalty(params)
    except OverflowError:
        return math.inf, 0, math.nan
    if not math.isfinite(cost.data):
        return cost.data, 0, math.nan
    optimizer.zero_grad()
    cost.backward()
    norm = clip_grad_norm(params, max_grad_norm or math.inf)
    optimizer.step()
    return cost.data, sum(is_correct(a, t, threshold) for a, t in zip(preds, yb)), norm


def fit(
    model: Module,
    X: Sequence[Any],
    y: Sequence[Any],
    loss: Loss,
    optimizer: SGD,
    epochs: int,
    batch_size: int | None = None,
    penalty: Penalty | None = None,
    progress: bool = True,
    callback: Callable[[int, History], Any] | None = None,
    *,
    max_grad_norm: float | None = None,
    rng: random.Random | None = None,
    compile: bool = False,
) -> History:
    """Train ``model`` for ``epochs`` passes over (X, y); returns a ``History``.

    ``batch_size=None`` uses the whole set each step (one step per epoch). ``penalty``
    maps the parameter list to a Value added to the loss, e.g.
    ``lambda ps: 1e-4 * l2_penalty(ps)``. ``callback(epoch, history)`` runs after each
    epoch; returning True stops training. ``max_grad_norm`` clips ‖∂C/∂p‖ before each
    step; ``rng`` shuffles the batches (default ``random.Random(0)``: reproducible).
    A NaN or infinite loss raises ``TrainingDivergedError``. ``compile=True`` runs each
    step over the batch as NumPy arrays (the same numbers; ``nn.compiled``), writing the
    weights back into the model after each epoch and before each callback.
    """
    if len(X) != len(y):
        raise ValueError(f"fit: got {len(X)} inputs but {len(y)} targets")
    if len(X) == 0:
        raise ValueError("fit: got no examples")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit(epochs) must be an int ≥ 0, got {epochs!r}")
    rng = rng if rng is not None else random.Random(0)
    size = len(X) if batch_size is None else batch_size
    params = model.parameters()
    threshold = _threshold(model)
    history = History()
    epoch_range: Any = range(1, epochs + 1)
    if progress:
        from tqdm.auto import tqdm

        epoch_range = tqdm(epoch_range, desc="fit", unit="epoch")
    model.train()
    compiled = CompiledTraining(model, loss, optimizer, penalty, X) if compile else None
    for epoch in epoch_range:
        start = time.perf_counter()
        total = correct = 0.0
        norms = []
        for Xb, yb in batches(X, y, size, shuffle=batch_size is not None, rng=rng):
            if compiled is not None:
                cost, n_correct, norm = compiled.step(Xb, yb, max_grad_norm, threshold)
            else:
                with _gc_paused():
                    cost, n_correct, norm = _step(
                        model, params, Xb, yb, loss, optimizer, penalty, max_grad_norm, threshold
                    )
            if not math.isfinite(cost):
                if compiled is not None:
                    compiled.write_back()
                raise _diverged(cost, epoch, optimizer)
            history.steps += 1
            total += cost * len(Xb)
            correct += n_correct
            norms.append(norm)
        history.losses.append(total / len(X))
        history.accuracies.append(correct / len(X))
        history.grad_norms.append(sum(norms) / len(norms))
        history.seconds.append(time.perf_counter() - start)
        if compiled is not None:
            compiled.write_back()
        if progress:
            epoch_range.set_postfix(loss=f"{history.losses[-1]:.4f}", acc=f"{history.accuracies[-1]:.3f}")
        if callback is not None and callback(epoch, history) is True:
            break
    return history
