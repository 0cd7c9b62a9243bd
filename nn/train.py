"""The training loop: ``fit`` (mini-batch gradient descent) and ``accuracy``.

One step on a batch: a = model(x) for each x, C = loss(a, y) (+ penalty), zero the
gradients, backpropagate ∂C/∂p, clip them if asked, and let the optimiser update p.

``fit`` checks the data once before training (every input and target a finite number)
and, after each step, that C, ‖∂C/∂p‖ and every parameter are finite: O(parameters) per
step, next to the O(parameters × batch) of the step itself.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import random
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Union, overload

from autograd_core import Value, no_grad
from autograd_core.engine import gc_paused
from autograd_core.extras import MissingExtraError, require
from autograd_core.rows import Rows
from nn._checks import flag, function, got, integer, nested_lengths, real, rng_or_none, sequence
from nn.compiled import CompiledTraining, count_correct, holds_in_order, outputs_on_arrays
from nn.data import batches
from nn.module import Module
from nn.optim import Optimizer, clip_grad_norm, grad_norm

Output = Union[Value, list[Value]]
Loss = Callable[[list[Any], list[Any]], Value]
Penalty = Callable[[list[Value]], Value]


class TrainingDivergedError(FloatingPointError):
    """Training diverged: the loss, the gradient norm or a parameter became NaN or infinite.

    Two usual causes. (1) A learning rate too large for the curvature of the loss: each
    step overshoots the minimum by more than it started from, so the loss grows step after
    step; lower the learning rate. (2) Exploding gradients in a deep network: ∂C/∂p is a
    product of one factor per layer and grows with depth; clip the gradients
    (``fit(..., max_grad_norm=1.0)``), or use a smaller initialisation or fewer layers.
    """


@dataclass
class History:
    """What ``fit`` measured, one entry per epoch.

    * ``losses``: mean training loss over the epoch's batches (weighted by batch size,
      penalty included), as computed during training;
    * ``accuracies``: fraction of the epoch's training examples classified correctly by
      the predictions made during training (before each batch's update);
    * ``grad_norms``: mean over the epoch's steps of ‖∂C/∂p‖ before any clipping;
    * ``seconds``: wall time of the epoch;
    * ``steps``: the total number of optimiser steps;
    * with ``fit(validation=...)``: ``val_losses`` and ``val_accuracies``, the loss (without
      the penalty) and the accuracy on the validation set after the epoch, in eval mode under
      ``no_grad``; ``best_epoch``, the epoch of the lowest validation loss (1-based).
    """

    losses: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    steps: int = 0
    val_losses: list[float] = field(default_factory=list)
    val_accuracies: list[float] = field(default_factory=list)
    best_epoch: int | None = None


def _threshold(model: Any) -> float:
    """The decision threshold for one output: 0.5 after a sigmoid, else 0 (a score). Read from
    the model's real last activation (``Module.last_activation()``, which ``Sequential`` and
    ``Layer`` report too); 0 for a model that is not a Module."""
    return 0.5 if isinstance(model, Module) and model.last_activation() == "sigmoid" else 0.0


def _one_output(output: Output, target: Any) -> Output:
    """A one-element list of outputs (``Layer(n, 1)`` or a ``Sequential`` ending in one) for a
    target that is one number is that one Value, as ``MLP`` returns it."""
    if output.__class__ is list and len(output) == 1 and not hasattr(target, "__len__"):
        return output[0]
    return output


def is_correct(output: Output, target: Any, threshold: float) -> bool:
    """Multi-output: argmax = target (a class index, or the argmax of a one-hot / vector target).
    One output: (a > threshold) = (target > 0), which works for labels in {0, 1} and in {−1, +1}."""
    output = _one_output(output, target)
    if isinstance(output, Value):
        return (output.data > threshold) == bool(target > 0)
    best = max(range(len(output)), key=lambda j: output[j].data)
    if hasattr(target, "__len__"):
        return best == max(range(len(target)), key=lambda j: target[j])
    return bool(best == target)


def _check_label(output: Output, target: Any, i: int) -> None:
    """``accuracy``'s target for one example fits the output: a label 0/1 or −1/+1 for one output,
    a class index in [0, n) or n numbers for n outputs."""
    if isinstance(output, Value):
        if target not in (0, 1, -1):
            raise ValueError(
                f"accuracy(y): y[{i}] is {target!r}, but the model has one output: labels are 0/1 or -1/+1"
            )
        return
    n = len(output)
    if hasattr(target, "__len__"):
        if len(target) != n:
            raise ValueError(f"accuracy(y): y[{i}] has {len(target)} numbers, but the model has {n} outputs")
    elif target != int(target) or not 0 <= target < n:
        raise ValueError(
            f"accuracy(y): y[{i}] is {target!r}, but the model has {n} outputs: a target is a class index 0 … {n - 1}"
        )


def _check_data(X: Rows, y: Rows, where: str) -> None:
    """Every input a list of finite numbers, every target a finite number (or a list of them),
    as many targets as inputs; the error names the example and the feature."""
    sequence(X, f"{where}(X)", "examples (each a list of input numbers)")
    sequence(y, f"{where}(y)", "targets")
    if len(X) != len(y):
        raise ValueError(f"{where}: got {len(X)} inputs but {len(y)} targets")
    if len(X) == 0:
        raise ValueError(f"{where}: got no examples")
    if _finite_array(X) and _finite_array(y):  # NumPy arrays of numbers: checked in one pass
        return
    for i, x in enumerate(X):
        if isinstance(x, (str, bytes, dict)) or not hasattr(x, "__len__"):
            raise TypeError(f"{where}(X): X[{i}] must be a list of input numbers (one example), got {got(x)}")
        _check_numbers(_flattened(x), f"{where}(X): X[{i}]", f"example {i}, feature")
    for i, t in enumerate(y):
        many = hasattr(t, "__len__") and not isinstance(t, (str, bytes, dict))
        _check_numbers(t if many else (t,), f"{where}(y): y[{i}]", f"example {i}, output", many)


def _flattened(x: Any) -> Any:
    """One example's numbers: itself, or for an image or signal [channel][row]… all of them in reading order."""
    if len(x) and hasattr(x[0], "__len__") and not isinstance(x[0], (str, bytes, dict)):
        return [v for part in x for v in _flattened(part)]
    return x


def _finite_array(a: Any) -> bool:
    """True for a NumPy array of real numbers, all finite (the loops below name what is not). A
    finite sum says so in one pass; a sum that is not (NaN, inf or an overflow) is looked at again."""
    if not (hasattr(a, "dtype") and hasattr(a, "ndim")) or a.dtype.kind not in "iuf":
        return False
    if a.dtype.kind != "f":
        return True
    import numpy as np  # an array came in, so NumPy is there

    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(a.sum()) or np.isfinite(a).all())


def _check_numbers(xs: Any, where: str, what: str, indexed: bool = True) -> None:
    """Each of ``xs`` (numbers or Values) a finite real number."""
    try:
        if all(map(math.isfinite, xs)):  # the fast path: plain numbers, all finite
            return
    except TypeError:
        pass
    for j, v in enumerate(xs):
        name, whose = (f"{where}[{j}]", f" ({what} {j})") if indexed else (where, "")
        v = v.data if isinstance(v, Value) else v
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"{name}{whose} must be a number, got {got(v)}")
        if not math.isfinite(v):
            raise ValueError(f"{name}{whose} is {v}: the data must be finite (drop or fill in that value)")


def accuracy(model: Callable[[Any], Output], X: Rows, y: Rows, *, compile: bool = False) -> float:
    """Fraction of examples classified correctly, in eval mode and under ``no_grad``.

    Several outputs: correct when the argmax is the target (a class index in [0, outputs),
    or a vector of as many numbers). One output: a > 0.5 after a sigmoid
    (``model.last_activation()``), else a > 0, compared with target > 0 (a label 0/1 or
    −1/+1). Any other target raises ValueError naming it. ``compile=True`` (a ``Module``)
    runs the model's graph over all of X as NumPy arrays, as ``fit(compile=True)`` does:
    the same count, 10²–10³ times sooner for a CNN.
    """
    function(model, "accuracy(model)")
    _check_data(X, y, "accuracy")
    flag(compile, "accuracy(compile)")
    if compile and not isinstance(model, Module):
        raise TypeError(f"accuracy(compile=True) needs an nn Module (its graph is compiled), got {got(model)}")
    was_training = getattr(model, "training", False)
    if isinstance(model, Module):
        model.eval()
    try:
        threshold = _threshold(model)
        if compile:
            assert isinstance(model, Module)
            correct = _count_compiled(model, X, y, threshold)
        else:
            with no_grad():
                correct = 0
                for i, (x, t) in enumerate(zip(X, y)):
                    a = _one_output(model(x), t)
                    _check_label(a, t, i)
                    correct += is_correct(a, t, threshold)
    finally:
        if isinstance(model, Module):
            model.train(was_training)
    return correct / len(X)


def _count_compiled(model: Module, X: Rows, y: Rows, threshold: float) -> int:
    """``accuracy``'s count through the compiled graph, each target checked against the outputs first."""
    A = outputs_on_arrays(model, X)
    outputs = [Value(0.0)] * A.shape[1]
    for i, t in enumerate(y):
        _check_label(_one_output(outputs, t), t, i)
    return count_correct(A, y, threshold)


def _diverged(what: str, epoch: int, optimizer: Optimizer) -> TrainingDivergedError:
    """The error for a non-finite loss, gradient norm or parameter, naming both usual causes."""
    lrs = ", ".join(str(g["lr"]) for g in getattr(optimizer, "param_groups", ())) or "?"
    return TrainingDivergedError(
        f"training diverged: {what} at epoch {epoch}. Either the learning rate is too large for the "
        f"curvature of the loss (each step overshoots and the loss grows): lower the learning rate "
        f"(lr = {lrs}); or the gradients explode through a deep network: clip them "
        "(fit(..., max_grad_norm=1.0) or clip_grad_norm) or use a smaller initialisation."
    )


class _NamedParameters(Sequence[tuple[str, Value]]):
    """The model's ``named_parameters()`` as a sequence whose names are made only when one is
    read, for an error message: fit checks 10⁵ parameters per step and names one only when it
    is bad (``params``: ``model.parameters()``, in the same order)."""

    def __init__(self, model: Module, params: list[Value]) -> None:
        self.model, self.params = model, params

    def __len__(self) -> int:
        return len(self.params)

    def __iter__(self) -> Iterator[tuple[str, Value]]:
        return self.model.named_parameters()

    @overload
    def __getitem__(self, j: int) -> tuple[str, Value]: ...
    @overload
    def __getitem__(self, j: slice) -> list[tuple[str, Value]]: ...
    def __getitem__(self, j: int | slice) -> tuple[str, Value] | list[tuple[str, Value]]:
        return list(self.model.named_parameters())[j]


def _non_finite(named: _NamedParameters) -> tuple[str, float] | None:
    """(name, value) of the first NaN or infinite parameter; one sum when all are finite."""
    params = named.params
    if math.isfinite(sum(map(attrgetter("data"), params))):
        return None
    j = next((j for j, p in enumerate(params) if not math.isfinite(p.data)), None)
    return None if j is None else (named[j][0], params[j].data)


def _check_optimizer(optimizer: Any, params: list[Value]) -> None:
    """The optimiser must update the model's parameters: an error if it holds none of
    them (built for another model?), a warning if it holds only some (frozen on purpose?)."""
    if not callable(getattr(optimizer, "step", None)) or not callable(getattr(optimizer, "zero_grad", None)):
        raise TypeError(
            f"fit(optimizer) must be an optimiser such as SGD(model.parameters(), lr=0.1), got {got(optimizer)}"
        )
    groups = getattr(optimizer, "param_groups", None)
    if groups is None or not params or (isinstance(optimizer, Optimizer) and holds_in_order(optimizer, params)):
        return
    held = {id(p) for group in groups for p in group["params"]}
    n = sum(id(p) in held for p in params)
    if n == 0:
        raise ValueError(
            f"fit(optimizer) holds none of the model's {len(params)} parameters, so training would change "
            "nothing (was it built for another model?); use SGD(model.parameters(), lr=…)"
        )
    if n < len(params):
        warnings.warn(
            f"fit(optimizer) holds {n} of the model's {len(params)} parameters; the other {len(params) - n} "
            "stay fixed (fine if you froze them on purpose)",
            stacklevel=3,
        )


@dataclass
class _Steps:
    """The gradient steps of ``fit``, through the scalar engine or a compiled plan, each checked:
    a NaN or infinite loss, gradient norm or parameter raises ``TrainingDivergedError``."""

    model: Module
    named: _NamedParameters
    loss: Loss
    optimizer: Optimizer
    penalty: Penalty | None
    max_grad_norm: float | None
    threshold: float
    compiled: CompiledTraining | None

    def __post_init__(self) -> None:
        self.params = self.named.params

    def epoch(self, epoch: int, batches_: Iterator[tuple[Any, Any]]) -> tuple[float, float, list[float]]:
        """One pass over the batches → (Σ C·batch size, number classified correctly, ‖∂C/∂p‖ per step)."""
        total = correct = 0.0
        norms = []
        for Xb, yb in batches_:
            if self.compiled is not None:
                cost, n_correct, norm = self.compiled.step(Xb, self.max_grad_norm, self.threshold)
            else:
                with gc_paused():
                    cost, n_correct, norm = self.step(Xb, yb)
            self.check(epoch, cost, norm)
            total += cost * len(Xb)
            correct += n_correct
            norms.append(norm)
        return total, correct, norms

    def step(self, Xb: list[Any], yb: list[Any]) -> tuple[float, int, float]:
        """One scalar step on a batch → (C, number classified correctly, ‖∂C/∂p‖ before clipping).

        A non-finite C or ‖∂C/∂p‖ returns before any update; the graph is freed on return.
        """
        params = self.params
        try:
            preds = [_one_output(a, t) for a, t in zip(self.model.batch(Xb), yb)]
            cost = self.loss(preds, yb)
            if self.penalty is not None:
                cost = cost + self.penalty(params)
        except OverflowError:
            return math.inf, 0, math.nan
        if not math.isfinite(cost.data):
            return cost.data, 0, math.nan
        self.optimizer.zero_grad()
        cost.backward()
        norm = grad_norm(params)
        if not math.isfinite(norm):
            return cost.data, 0, norm
        if self.max_grad_norm is not None:
            clip_grad_norm(params, self.max_grad_norm)
        self.optimizer.step()
        return cost.data, sum(is_correct(a, t, self.threshold) for a, t in zip(preds, yb)), norm

    def check(self, epoch: int, cost: float, norm: float) -> None:
        """Raise ``TrainingDivergedError`` if the step's C, ‖∂C/∂p‖ or a parameter is not finite."""
        if not math.isfinite(cost):
            raise _diverged(f"the loss is {cost}", epoch, self.optimizer)
        if not math.isfinite(norm):
            raise _diverged(f"the gradient norm ‖∂C/∂p‖ is {norm} (the loss is {cost:.4g})", epoch, self.optimizer)
        # [compile] non_finite reads the names only when a parameter is bad (not 10⁵ names per step)
        bad = _non_finite(self.named) if self.compiled is None else self.compiled.non_finite(self.named)
        if bad is not None:
            raise _diverged(f"parameter {bad[0]} is {bad[1]} after an update", epoch, self.optimizer)


@dataclass
class _Validation:
    """The validation set of ``fit``: after each epoch, its loss and accuracy in eval mode under
    ``no_grad``; with ``patience`` (early stopping), the best weights so far and whether to stop."""

    X: Rows
    y: Rows
    loss: Loss
    threshold: float
    patience: int | None
    best_loss: float = math.inf
    best_state: dict[str, float] | None = None
    waited: int = 0

    def evaluate(self, model: Module, compiled: CompiledTraining | None) -> tuple[float, float]:
        """(C, accuracy) of ``model`` on the validation set (through the compiled graph when
        fit compiles); the model's mode is restored."""
        if compiled is not None:
            cost, n_correct = compiled.evaluate(self.X, self.y, self.threshold)
            return cost, n_correct / len(self.X)
        was_training = model.training
        model.eval()
        try:
            with no_grad():
                preds = [_one_output(a, t) for a, t in zip(model.batch(self.X), self.y)]
                cost = self.loss(preds, list(self.y)).data
            correct = sum(is_correct(a, t, self.threshold) for a, t in zip(preds, self.y))
        finally:
            model.train(was_training)
        return cost, correct / len(self.X)

    def record(self, epoch: int, model: Module, history: History, compiled: CompiledTraining | None) -> bool:
        """Evaluate after ``epoch``, note it in ``history``; True when early stopping says stop:
        the loss has not improved for ``patience`` epochs."""
        cost, acc = self.evaluate(model, compiled)
        history.val_losses.append(cost)
        history.val_accuracies.append(acc)
        if cost < self.best_loss:
            self.best_loss, self.waited, history.best_epoch = cost, 0, epoch
            if self.patience is not None:
                self.best_state = model.state_dict()
            return False
        self.waited += 1
        return self.patience is not None and self.waited >= self.patience

    def restore_best(self, model: Module) -> None:
        """Early stopping: put back the weights of the epoch with the lowest validation loss."""
        if self.best_state is not None:
            model.load_state_dict(self.best_state)


def _set_learning_rate(optimizer: Any, schedule: Callable[[int], Any], epoch: int) -> None:
    """η for ``epoch`` from ``schedule(epoch)``, set in every parameter group."""
    lr = real(schedule(epoch), f"fit(lr_schedule): lr_schedule({epoch})", low=0.0)
    for group in optimizer.param_groups:
        group["lr"] = lr


def fit(
    model: Module,
    X: Rows,
    y: Rows,
    loss: Loss,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int | None = None,
    penalty: Penalty | None = None,
    progress: bool | None = None,
    callback: Callable[[int, History], Any] | None = None,
    *,
    max_grad_norm: float | None = None,
    rng: random.Random | None = None,
    compile: bool = False,
    validation: tuple[Rows, Rows] | None = None,
    early_stopping: int | None = None,
    lr_schedule: Callable[[int], float] | None = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over (X, y); returns a ``History``.

    ``batch_size=None`` uses the whole set each step (one step per epoch). ``penalty``
    maps the parameter list to a Value added to the loss, e.g.
    ``lambda ps: 1e-4 * l2_penalty(ps)``. ``callback(epoch, history)`` runs after each
    epoch; returning True stops training. ``max_grad_norm`` clips ‖∂C/∂p‖ before each
    step; ``rng`` shuffles the batches (default ``random.Random(0)``: reproducible).

    ``progress``: a tqdm bar, shown only when the output is a terminal (none in logs or
    pipes); True needs tqdm (the ``nn`` extra), None (the default) shows it if tqdm is
    installed, False never. The data is checked first (a NaN or infinite input or target
    is named by example and feature), and the optimiser must hold the model's parameters.
    A NaN or infinite loss, gradient norm or parameter raises ``TrainingDivergedError``.
    ``compile=True`` runs each step over the batch as NumPy arrays (the same numbers;
    ``nn.compiled``), writing the weights back into the model after each epoch and before
    each callback, and reading them again after it (a callback may change them).

    ``validation=(X_val, y_val)`` measures the loss and accuracy on held-out data after
    each epoch (``History.val_losses``, ``val_accuracies``). ``early_stopping=k`` (needs
    ``validation``) stops when the validation loss has not improved for k epochs and puts
    back the weights of the best epoch (``History.best_epoch``), so the model's validation
    loss after ``fit`` is ``min(history.val_losses)``. ``lr_schedule(epoch)`` gives the
    learning rate η of each epoch (1, 2, …), set in every parameter group before it runs.
    """
    with gc_paused():  # 10⁴–10⁵ parameters listed, a graph traced: no cycles, nothing for the collector
        epochs, size, max_grad_norm, rng = _check_fit_arguments(
            model, X, y, loss, epochs, batch_size, penalty, progress, callback, max_grad_norm, rng
        )
        watch = _check_validation(validation, early_stopping, lr_schedule, loss, _threshold(model), X)
        named = _checked_parameters(model, optimizer)
        bar = _progress_bar(progress)
        model.train()
        compiled = CompiledTraining(model, loss, optimizer, penalty, X, y, named.params) if compile else None
    history = History()
    epoch_range: Any = range(1, epochs + 1)
    if bar is not None:
        epoch_range = bar(epoch_range, desc="fit", unit="epoch", disable=None)  # disable=None: off if not a tty
    steps = _Steps(model, named, loss, optimizer, penalty, max_grad_norm, _threshold(model), compiled)
    # compiled: batches of example indices into its arrays (the same rng calls, the same order)
    Xs, ys = (range(len(X)), range(len(X))) if compiled is not None else (X, y)
    one_thread = compiled.on_one_blas_thread() if compiled is not None else contextlib.nullcontext()
    try:
        with one_thread:
            for epoch in epoch_range:
                if lr_schedule is not None:
                    _set_learning_rate(optimizer, lr_schedule, epoch)
                start = time.perf_counter()
                batched = batches(Xs, ys, size, shuffle=batch_size is not None, rng=rng)
                total, correct, norms = steps.epoch(epoch, batched)
                _record(history, total / len(X), correct / len(X), norms, time.perf_counter() - start)
                if compiled is not None:
                    compiled.write_back()
                stop = watch is not None and watch.record(epoch, model, history, compiled)
                if bar is not None:
                    epoch_range.set_postfix(loss=f"{history.losses[-1]:.4f}", acc=f"{history.accuracies[-1]:.3f}")
                if callback is not None:
                    stop = callback(epoch, history) is True or stop
                    if compiled is not None:  # the callback may have changed the weights: train on those
                        compiled.compiled.read_params()
                if stop:
                    break
    finally:
        if compiled is not None:
            compiled.write_back()  # the model holds the last weights, also after an error
    if watch is not None:
        watch.restore_best(model)
    return history


def _check_validation(
    validation: object, early_stopping: object, lr_schedule: object, loss: Loss, threshold: float, X: Rows
) -> _Validation | None:
    """``fit``'s validation, early_stopping and lr_schedule arguments checked."""
    function(lr_schedule, "fit(lr_schedule)", optional=True)
    patience = None if early_stopping is None else integer(early_stopping, "fit(early_stopping)")
    if validation is None:
        if patience is not None:
            raise ValueError("fit(early_stopping) needs validation data to watch: fit(..., validation=(X_val, y_val))")
        return None
    if not isinstance(validation, tuple) or len(validation) != 2:
        raise TypeError(f"fit(validation) must be a pair (X_val, y_val), got {got(validation)}")
    X_val, y_val = validation
    _check_data(X_val, y_val, "fit(validation)")
    if nested_lengths(X_val[0]) != nested_lengths(X[0]):
        raise ValueError(
            f"fit(validation): a validation example has shape {nested_lengths(X_val[0])}, a training example "
            f"{nested_lengths(X[0])}: they must match"
        )
    return _Validation(X_val, y_val, loss, threshold, patience)


def _check_fit_arguments(
    model: object,
    X: Rows,
    y: Rows,
    loss: object,
    epochs: object,
    batch_size: object,
    penalty: object,
    progress: object,
    callback: object,
    max_grad_norm: object,
    rng: object,
) -> tuple[int, int, float | None, random.Random]:
    """``fit``'s arguments checked → (epochs, batch size, max_grad_norm, rng)."""
    if not isinstance(model, Module):
        raise TypeError(f"fit(model) must be an nn Module (an MLP, a Layer…), got {got(model)}")
    _check_data(X, y, "fit")
    function(loss, "fit(loss)")
    n_epochs = integer(epochs, "fit(epochs)", low=0)
    size = len(X) if batch_size is None else integer(batch_size, "fit(batch_size)")
    function(penalty, "fit(penalty)", optional=True)
    function(callback, "fit(callback)", optional=True)
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"fit(progress) must be True, False or None, got {got(progress)}")
    clip = None if max_grad_norm is None else real(max_grad_norm, "fit(max_grad_norm)", low=0.0, strict=True)
    return n_epochs, size, clip, rng_or_none(rng, "fit(rng)") or random.Random(0)


def _checked_parameters(model: Module, optimizer: Optimizer) -> _NamedParameters:
    """The model's named parameters, once the optimiser is seen to hold them and they are all finite."""
    named = _NamedParameters(model, model.parameters())
    _check_optimizer(optimizer, named.params)
    bad = _non_finite(named)
    if bad is not None:
        raise ValueError(f"fit: parameter {bad[0]} is {bad[1]} before training (did an earlier run diverge?)")
    return named


def _record(history: History, loss: float, accuracy: float, norms: list[float], seconds: float) -> None:
    """Append one epoch to ``history``."""
    history.losses.append(loss)
    history.accuracies.append(accuracy)
    history.grad_norms.append(sum(norms) / len(norms))
    history.seconds.append(seconds)
    history.steps += len(norms)


def _progress_bar(progress: bool | None) -> Any:
    """tqdm, or None: required when ``progress`` is True, used if installed when it is None."""
    if progress is False:
        return None
    try:
        return require("tqdm.auto", "nn", "fit(progress=True)").tqdm
    except MissingExtraError:
        if progress:
            raise
        return None
