"""``Module``: the base class of every layer and network, with PyTorch's habits.

A module's parameters are the ``Value`` attributes it holds, directly, in lists, or
inside child modules. Their dotted names come from the attribute path, e.g.
``layers.0.neurons.3.w.1`` (weight 1 of neuron 3 of layer 0) and ``layers.0.neurons.3.b``,
and every parameter carries its name as its ``label`` so a drawn graph shows where it lives.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from itertools import chain, repeat
from typing import Any, ClassVar, TypeVar

from autograd_core import Value
from autograd_core.rows import Rows
from nn._checks import got, real, sequence

M = TypeVar("M", bound="Module")


class Module:
    """Base class: ``parameters()``, ``zero_grad()``, ``train()``/``eval()``, ``state_dict()``, save/load."""

    registry: ClassVar[dict[str, type[Module]]] = {}  # class_name(cls) -> cls, so a saved file can name its class
    config_keys: ClassVar[tuple[str, ...] | None] = None  # the keys config() writes (None: not declared)
    training: bool = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Module.registry[class_name(cls)] = cls

    def __call__(self, x: Any) -> Any:
        """The module's output for one input (each subclass defines it)."""
        raise NotImplementedError(f"{type(self).__name__} does not define __call__")

    # ---------------------------------------------------------------- structure
    def children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each direct child module, in attribute order."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, list) and any(map(isinstance, value, repeat(Module))):  # weights: skipped in C
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it, depth first."""
        yield self
        for _, child in self.children():
            yield from child.modules()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """(dotted name, parameter) for every parameter, in a stable order."""
        for name, values, numbered in self._parameter_runs(prefix):
            if numbered:
                for i, p in enumerate(values):
                    yield f"{name}.{i}", p
            else:
                yield name, values[0]

    def parameters(self) -> list[Value]:
        """Every parameter (weights and biases), in the order of ``named_parameters()``."""
        return list(chain.from_iterable(values for _, values, _ in self._parameter_runs("")))

    def num_parameters(self) -> int:
        """How many scalar parameters the module has."""
        return sum(len(values) for _, values, _ in self._parameter_runs(""))

    def _parameter_runs(self, prefix: str) -> Iterator[tuple[str, Sequence[Value], bool]]:
        """The parameters in order, in runs (name, values, numbered): a parameter attribute is
        (its dotted name, (p,), False); a list holding only parameters is (the list's dotted name,
        the list, True), its items named name.0, name.1, … — so a neuron's 784 weights pass in
        one piece, not one Python step each."""
        for name, value in vars(self).items():
            if isinstance(value, Value):
                yield prefix + name, (value,), False
            elif isinstance(value, Module):
                yield from value._parameter_runs(f"{prefix}{name}.")
            elif isinstance(value, list):
                if all(map(isinstance, value, repeat(Value))):  # tested in C
                    yield prefix + name, value, True
                    continue
                for i, item in enumerate(value):
                    if isinstance(item, Value):
                        yield f"{prefix}{name}.{i}", (item,), False
                    elif isinstance(item, Module):
                        yield from item._parameter_runs(f"{prefix}{name}.{i}.")

    def label_parameters(self) -> None:
        """Set each parameter's ``label`` to its dotted name (done at construction)."""
        for name, p in self.named_parameters():
            p.label = name

    def zero_grad(self) -> None:
        """Set ∂C/∂p = 0 for every parameter p (gradients accumulate, as in PyTorch)."""
        for p in self.parameters():
            p.grad = 0.0

    def batch(self, X: Rows) -> list[Any]:
        """The outputs for a list of inputs: ``[self(x) for x in X]`` (MLP does it faster)."""
        return [self(x) for x in sequence(X, f"{type(self).__name__}.batch(X)", "examples")]

    def last_activation(self) -> str | None:
        """The name of the activation applied last to the output (``"sigmoid"``, ``"linear"``…),
        or None if unknown. ``accuracy`` and ``fit`` read their decision threshold from it."""
        return None

    @classmethod
    def parameters_in(cls, config: dict[str, Any]) -> int | None:
        """How many parameters ``cls(**config)`` would have, computed without building it
        (None if the class cannot tell). ``load`` checks it against the file before building."""
        return None

    # ------------------------------------------------------------------- modes
    def train(self: M, mode: bool = True) -> M:
        """Training mode (dropout active) for this module and all its children; returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"{type(self).__name__}.train(mode) must be True or False, got {got(mode)}")
        self.training = mode
        for _, child in self.children():
            child.train(mode)
        return self

    def eval(self: M) -> M:
        """Evaluation mode (dropout is the identity); returns self."""
        return self.train(False)

    # ------------------------------------------------------------------- state
    def state_dict(self) -> dict[str, float]:
        """{dotted name: value} of every parameter."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, float]) -> None:
        """Set every parameter from ``state``; on any mismatch raise ValueError and change nothing."""
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict(state) must be a dict {{name: number}}, got {got(state)}")
        params = dict(self.named_parameters())
        missing = [k for k in params if k not in state]
        unexpected = [k for k in state if k not in params]
        if missing or unexpected:
            lists = {"missing": missing, "unexpected": unexpected}
            wrong = "; ".join(f"{what} {_some(names)}" for what, names in lists.items() if names)
            raise ValueError(f"state_dict does not match {type(self).__name__} ({len(params)} parameters): {wrong}")
        numbers_ = {name: _finite(x, f"state_dict[{name!r}]") for name, x in state.items()}
        for name, p in params.items():
            p.data = numbers_[name]

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this module's architecture (not its weights)."""
        raise NotImplementedError(f"{type(self).__name__} does not define config(), so it cannot be saved")

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write architecture + weights to ``path`` as JSON, atomically (temp file + rename)."""
        from nn.serialization import save_module

        save_module(self, path)

    @classmethod
    def load(cls: type[M], path: str | os.PathLike[str]) -> M:
        """Rebuild a model saved with ``save`` (raises ``ModelFileError`` for a bad file)."""
        from nn.serialization import load_module

        return load_module(path, cls)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


def class_name(cls: type) -> str:
    """How a saved file names ``cls``: the bare name for ``nn``'s own classes (``"MLP"``, as files
    have always said), ``module.QualifiedName`` for any other, so a user's ``class MLP(nn.MLP)``
    never stands in for ``nn.MLP``."""
    return cls.__name__ if cls.__module__.partition(".")[0] == "nn" else f"{cls.__module__}.{cls.__qualname__}"


def _finite(x: object, where: str) -> float:
    """``x`` as a float if it is a finite real number (a 400-digit int is not)."""
    try:
        return real(x, where)
    except (TypeError, ValueError):
        raise ValueError(f"{where} must be a finite real number, got {got(x)}") from None


def _some(names: list[str], limit: int = 5) -> str:
    """A short list of names for an error message."""
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more
