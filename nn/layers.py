"""Neurons, layers and networks: a = f(z) with z = w·x + b as one fused ``dot`` node.

``Neuron`` is one unit, ``Layer`` a list of neurons sharing their input, ``MLP`` a stack
of layers (Nielsen's network), ``Sequential`` any chain of modules, ``Dropout`` inverted
dropout. Forward passes build the graph directly with the engine's node constructor, so
a training step costs little more than the arithmetic.
"""

from __future__ import annotations

import numbers
import random
from collections.abc import Callable, Sequence
from typing import Any, Union

from autograd_core import Value, linear
from autograd_core.rows import Rows
from nn._checks import got, integer, real, rng_or_none, sequence
from nn.activations import Activation, check_activation, get_activation
from nn.init import check_init, default_init, init_weights
from nn.module import Module, class_name

Input = Sequence[Union[Value, float]]
Prepared = Callable[[Input], list[Value]]


def _check_length(x: Input, nin: int) -> None:
    """One example must be a list of ``nin`` inputs (TypeError for a number, a str, a dict…);
    a list of lists is a batch, and the error says so."""
    if isinstance(x, (str, bytes, dict)) or not hasattr(x, "__len__"):
        raise TypeError(f"expected a list of {nin} inputs (one example), got {got(x)}")
    n = len(x)
    if n and hasattr(x[0], "__len__") and not isinstance(x[0], str):
        raise ValueError(
            f"expected one example (a list of {nin} inputs), got a list of {n} lists: that looks like a batch; "
            "use model.batch(X) for a list of examples"
        )
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

    config_keys = ("nin", "activation")

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        init: str | None = None,
        rng: random.Random | None = None,
        *,
        fan_out: int = 1,
    ) -> None:
        self.nin = integer(nin, "Neuron(nin)")
        self.activation = check_activation(activation, "Neuron(activation)")
        scheme = check_init(init, "Neuron(init)") if init is not None else default_init(activation)
        rng = rng_or_none(rng, "Neuron(rng)") or random.Random()
        fan_out = integer(fan_out, "Neuron(fan_out)")
        self.w = [Value(wi) for wi in init_weights(scheme, self.nin, fan_out, rng)]
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

    @classmethod
    def parameters_in(cls, config: dict[str, Any]) -> int:
        """nin weights + 1 bias."""
        return integer(config.get("nin"), "Neuron(nin)") + 1

    def last_activation(self) -> str:
        return self.activation


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs. Calling it always returns a list."""

    config_keys = ("nin", "nout", "activation")

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        init: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.nin = integer(nin, "Layer(nin)")
        self.nout = integer(nout, "Layer(nout)")
        self.activation = check_activation(activation, "Layer(activation)")
        if init is not None:
            check_init(init, "Layer(init)")
        rng = rng_or_none(rng, "Layer(rng)") or random.Random()
        self.neurons = [Neuron(self.nin, activation, init, rng, fan_out=self.nout) for _ in range(self.nout)]
        self._act = get_activation(activation)
        self.label_parameters()

    def __call__(self, x: Input) -> list[Value]:
        _check_length(x, self.nin)
        return _forward(_prepare(self.neurons), x, self._act)

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation}

    @classmethod
    def parameters_in(cls, config: dict[str, Any]) -> int:
        """nout·(nin + 1)."""
        return integer(config.get("nout"), "Layer(nout)") * (integer(config.get("nin"), "Layer(nin)") + 1)

    def last_activation(self) -> str:
        return self.activation


class Dropout(Module):
    """Inverted dropout: in training mode each input becomes 0 with probability p and
    the rest are scaled by 1/(1 − p), so E[output] = input; in eval mode, the identity."""

    config_keys = ("p",)

    def __init__(self, p: float = 0.5, rng: random.Random | None = None) -> None:
        self.p = _dropout_p(p, "Dropout(p)")
        self._rng = rng_or_none(rng, "Dropout(rng)") or random.Random()

    def __call__(self, x: Input) -> list[Value | float]:
        if not self.training or self.p == 0.0:
            return list(x)
        keep = 1.0 / (1.0 - self.p)
        p, rand = self.p, self._rng.random
        return [xi * (0.0 if rand() < p else keep) for xi in x]

    def config(self) -> dict[str, Any]:
        return {"p": self.p}

    @classmethod
    def parameters_in(cls, config: dict[str, Any]) -> int:
        return 0

    def last_activation(self) -> None:
        """None: dropout has no activation (``Sequential`` looks past it)."""
        return None


def _dropout_p(p: object, where: str) -> float:
    """A dropout probability in [0, 1)."""
    value = real(p, where, low=0.0)
    if value >= 1.0:
        raise ValueError(f"{where} must be in [0, 1), got {p!r}")
    return value


class MLP(Module):
    """A multilayer perceptron: layer sizes ``nin → nouts[0] → … → nouts[-1]``.

    Hidden layers use ``activation``, the last ``output_activation``. ``seed`` fixes
    the initial weights (and the dropout masks). Calling it returns a Value when the
    last layer has one output, else a list.
    """

    config_keys = ("nin", "nouts", "activation", "output_activation", "dropout")

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
        self.nin = integer(nin, "MLP(nin)")
        self.nouts = _layer_sizes(nouts)
        self.activation = check_activation(activation, "MLP(activation)")
        self.output_activation = check_activation(output_activation, "MLP(output_activation)")
        if init is not None:
            check_init(init, "MLP(init)")
        rng = random.Random(seed if seed is None else integer(seed, "MLP(seed)", low=None))
        dropout = _dropout_p(dropout, "MLP(dropout)")
        sizes = [self.nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], output_activation if i == last else activation, init, rng)
            for i in range(len(self.nouts))
        ]
        self.dropout = Dropout(dropout, rng) if dropout else None
        self.label_parameters()

    def __call__(self, x: Input) -> Value | list[Value]:
        _check_length(x, self.nin)
        return self._outputs([x])[0]

    def batch(self, X: Rows) -> list[Value | list[Value]]:
        """``[model(x) for x in X]``, reading the weights once for the whole batch (faster)."""
        nin = self.nin
        for i, x in enumerate(sequence(X, "MLP.batch(X)", f"examples (each a list of {nin} inputs)")):
            try:
                _check_length(x, nin)
            except (TypeError, ValueError) as e:
                raise type(e)(f"MLP.batch(X) takes a list of examples; X[{i}]: {e}") from None
        return self._outputs(X)

    def _outputs(self, X: Rows) -> list[Value | list[Value]]:
        """The outputs for examples already checked, the weights read once."""
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

    @classmethod
    def parameters_in(cls, config: dict[str, Any]) -> int:
        """Σ over layers of nout·(nin + 1)."""
        sizes = [integer(config.get("nin"), "MLP(nin)"), *_layer_sizes(config.get("nouts"))]
        return sum(sizes[i + 1] * (sizes[i] + 1) for i in range(len(sizes) - 1))

    def last_activation(self) -> str:
        return self.output_activation


def _layer_sizes(nouts: object) -> list[int]:
    """MLP's ``nouts``: a non-empty list of positive ints (not a dict, a str or one int)."""
    if isinstance(nouts, numbers.Integral):
        raise TypeError(f"MLP(nouts) must be a list of layer sizes, e.g. [{nouts}], got {got(nouts)}")
    sizes = sequence(nouts, "MLP(nouts)", "layer sizes")
    if not sizes:
        raise ValueError(f"MLP(nouts) must be a non-empty list of layer sizes, got {nouts!r}")
    return [integer(n, f"MLP(nouts[{i}])") for i, n in enumerate(sizes)]


class Sequential(Module):
    """Modules applied in order: ``Sequential(Layer(2, 8, "tanh"), Dropout(0.2), Layer(8, 1, "sigmoid"))``."""

    config_keys = ("layers",)

    def __init__(self, *modules: Module) -> None:
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential(*modules): argument {i} must be a Module, got {got(m)}")
        self.layers = list(modules)
        self.label_parameters()

    def __call__(self, x: Any) -> Any:
        for m in self.layers:
            x = m(x)
        return x

    def config(self) -> dict[str, Any]:
        return {"layers": [{"class": class_name(type(m)), "config": m.config()} for m in self.layers]}

    @classmethod
    def from_config(cls, layers: list[dict[str, Any]]) -> Sequential:
        """Rebuild from ``config()`` output (used by ``load``)."""
        from nn.serialization import build_module

        return cls(*(build_module(spec) for spec in sequence(layers, "Sequential(layers)", "module specs")))

    @classmethod
    def parameters_in(cls, config: dict[str, Any]) -> int | None:
        """The sum over the modules (None if one of them cannot tell)."""
        from nn.serialization import parameters_in_spec

        specs = sequence(config.get("layers"), "Sequential(layers)", "module specs")
        total = 0
        for spec in specs:
            count = parameters_in_spec(spec)
            if count is None:
                return None
            total += count
        return total

    def last_activation(self) -> str | None:
        """The last activation applied: that of the last module other than ``Dropout``."""
        for m in reversed(self.layers):
            if not isinstance(m, Dropout):
                return m.last_activation()
        return None

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {m!r}" for i, m in enumerate(self.layers))
        return f"Sequential({inner}\n)"
