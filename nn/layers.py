"""Neurons, layers and networks: a = f(z) with z = w·x + b as one fused ``dot`` node.

``Neuron`` is one unit, ``Layer`` a list of neurons sharing their input, ``MLP`` a stack
of layers (Nielsen's network), ``Sequential`` any chain of modules, ``Dropout`` inverted
dropout. Forward passes build the graph directly with the engine's node constructor, so
a training step costs little more than the arithmetic.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any, Union

from autograd_core import Value, linear
from nn.activations import Activation, check_activation, get_activation
from nn.init import check_init, default_init, init_weights
from nn.module import Module

Input = Sequence[Union[Value, float]]
Prepared = Callable[[Input], list[Value]]


def _positive_int(x: object, what: str) -> int:
    if not isinstance(x, int) or isinstance(x, bool) or x < 1:
        raise ValueError(f"{what} must be a positive int, got {x!r}")
    return x


def _check_length(x: Input, nin: int) -> None:
    n = len(x)
    if n != nin:
        raise ValueError(f"expected {nin} inputs, got {n}")


def _prepare(neurons: Sequence[Neuron]) -> Prepared:
    """x ↦ [z = w·x + b for each neuron], the weights' numbers read once for a whole batch."""
    return linear([n.w for n in neurons], [n.b for n in neurons])


def _forward(layer: Prepared, x: Input, act: Activation | None) -> list[Value]:
    """a = f(z) for each neuron, with z = Σᵢ wᵢxᵢ + b one n-ary ``dot`` node.

    ∂z/∂wᵢ = xᵢ, ∂z/∂xᵢ = wᵢ, ∂z/∂b = 1. Inputs that are plain floats (the data) are
    constants: they get no edge.
    """
    zs = layer(x)
    return [act(z) for z in zs] if act else zs


class Neuron(Module):
    """One unit: z = w·x + b, a = f(z). Parameters ``w.0 … w.{nin-1}`` and ``b``.

    ``init`` defaults to ``"he"`` for the ReLU family and ``"xavier"`` otherwise;
    ``fan_out`` is the width of the layer the neuron sits in (used by Xavier).
    """

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        init: str | None = None,
        rng: random.Random | None = None,
        *,
        fan_out: int = 1,
    ) -> None:
        self.nin = _positive_int(nin, "Neuron(nin)")
        self.activation = check_activation(activation)
        scheme = check_init(init) if init is not None else default_init(activation)
        rng = rng if rng is not None else random.Random()
        self.w = [Value(wi) for wi in init_weights(scheme, nin, fan_out, rng)]
        self.b = Value(0.0)
        self._act = get_activation(activation)
        self.label_parameters()

    def __call__(self, x: Input) -> Value:
        """a = f(z), with the nodes labelled ``z`` and ``a`` for drawing (Layer and MLP skip the labels)."""
        _check_length(x, self.nin)
        a = _forward(_prepare((self,)), x, self._act)[0]
        if a.is_leaf:  # under no_grad: nothing to draw
            return a
        z = a.parents[0] if self._act else a
        z.label = "z"
        if a is not z:
            a.label = "a"
        return a

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "activation": self.activation}


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs. Calling it always returns a list."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        init: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.nin = _positive_int(nin, "Layer(nin)")
        self.nout = _positive_int(nout, "Layer(nout)")
        self.activation = check_activation(activation)
        rng = rng if rng is not None else random.Random()
        self.neurons = [Neuron(nin, activation, init, rng, fan_out=nout) for _ in range(nout)]
        self._act = get_activation(activation)
        self.label_parameters()

    def __call__(self, x: Input) -> list[Value]:
        _check_length(x, self.nin)
        return _forward(_prepare(self.neurons), x, self._act)

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation}


class Dropout(Module):
    """Inverted dropout: in training mode each input becomes 0 with probability p and
    the rest are scaled by 1/(1 − p), so E[output] = input; in eval mode, the identity."""

    def __init__(self, p: float = 0.5, rng: random.Random | None = None) -> None:
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout(p) must be in [0, 1), got {p!r}")
        self.p = float(p)
        self._rng = rng if rng is not None else random.Random()

    def __call__(self, x: Input) -> list[Value]:
        if not self.training or self.p == 0.0:
            return list(x)
        keep = 1.0 / (1.0 - self.p)
        p, rand = self.p, self._rng.random
        return [xi * (0.0 if rand() < p else keep) for xi in x]

    def config(self) -> dict[str, Any]:
        return {"p": self.p}


class MLP(Module):
    """A multilayer perceptron: layer sizes ``nin → nouts[0] → … → nouts[-1]``.

    Hidden layers use ``activation``, the last ``output_activation``. ``seed`` fixes
    the initial weights (and the dropout masks). Calling it returns a Value when the
    last layer has one output, else a list.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        init: str | None = None,
        seed: int | None = None,
        dropout: float = 0.0,
    ) -> None:
        self.nin = _positive_int(nin, "MLP(nin)")
        if isinstance(nouts, int) or not nouts:
            raise ValueError(f"MLP(nouts) must be a non-empty list of layer sizes, got {nouts!r}")
        self.nouts = [_positive_int(n, "each MLP layer size") for n in nouts]
        self.activation = check_activation(activation)
        self.output_activation = check_activation(output_activation)
        rng = random.Random(seed)
        sizes = [nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], output_activation if i == last else activation, init, rng)
            for i in range(len(self.nouts))
        ]
        self.dropout = Dropout(dropout, rng) if dropout else None
        self.label_parameters()

    def __call__(self, x: Input) -> Value | list[Value]:
        return self.batch([x])[0]

    def batch(self, X: Sequence[Input]) -> list[Value | list[Value]]:
        """``[model(x) for x in X]``, reading the weights once for the whole batch (faster)."""
        nin = self.nin
        for x in X:
            _check_length(x, nin)
        *hidden, last = [(_prepare(layer.neurons), layer._act) for layer in self.layers]
        last_neurons, last_act = last
        drop = self.dropout if self.training else None
        out = []
        for x in X:
            for neurons, act in hidden:
                x = _forward(neurons, x, act)
                if drop is not None:
                    x = drop(x)
            a = _forward(last_neurons, x, last_act)
            out.append(a[0] if len(a) == 1 else a)
        return out

    def config(self) -> dict[str, Any]:
        p = self.dropout.p if self.dropout is not None else 0.0
        return {
            "nin": self.nin,
            "nouts": self.nouts,
            "activation": self.activation,
            "output_activation": self.output_activation,
            "dropout": p,
        }


class Sequential(Module):
    """Modules applied in order: ``Sequential(Layer(2, 8, "tanh"), Dropout(0.2), Layer(8, 1, "sigmoid"))``."""

    def __init__(self, *modules: Module) -> None:
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential argument {i} must be a Module, got {type(m).__name__}: {m!r}")
        self.layers = list(modules)
        self.label_parameters()

    def __call__(self, x: Any) -> Any:
        for m in self.layers:
            x = m(x)
        return x

    def config(self) -> dict[str, Any]:
        return {"layers": [{"class": type(m).__name__, "config": m.config()} for m in self.layers]}

    @classmethod
    def from_config(cls, layers: list[dict[str, Any]]) -> Sequential:
        """Rebuild from ``config()`` output (used by ``load``)."""
        from nn.serialization import build_module

        return cls(*(build_module(spec) for spec in layers))

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {m!r}" for i, m in enumerate(self.layers))
        return f"Sequential({inner}\n)"
