"""The bridge to PyTorch: ``to_torch(model)`` and ``from_torch(module)`` with the same weights.

A layer of neurons z_j = Σᵢ W[j][i]·xᵢ + b_j, a = f(z) is ``torch.nn.Linear`` (its
``weight[j, i]`` is neuron j's wᵢ, its ``bias[j]`` is b_j) followed by f's module. Models
are exported in float64, so a PyTorch forward pass gives the same numbers as the engine's
(to rounding) and its autograd the same gradients. PyTorch is optional: the ``bench``
extra installs it, and a missing PyTorch raises ``MissingExtraError`` naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograd_core.extras import require
from nn.layers import MLP, Dropout, Layer, Neuron, Sequential
from nn.module import Module

# Our activation names and PyTorch's modules, both ways. softplus: PyTorch switches to the
# identity above ``threshold``; at 40 the difference e⁻⁴⁰ is below float64's resolution.
_TO_TORCH: dict[str, Callable[[Any], Any]] = {
    "linear": lambda nn: None,
    "relu": lambda nn: nn.ReLU(),
    "leaky_relu": lambda nn: nn.LeakyReLU(0.01),
    "tanh": lambda nn: nn.Tanh(),
    "sigmoid": lambda nn: nn.Sigmoid(),
    "softplus": lambda nn: nn.Softplus(beta=1.0, threshold=40.0),
}


def _torch(feature: str) -> Any:
    return require("torch", "bench", feature)


def to_torch(model: Module) -> Any:
    """A ``torch.nn.Module`` in float64 computing what ``model`` computes, with copies of its weights.

    ``Neuron``, ``Layer``, ``MLP``, ``Sequential`` and ``Dropout`` map to ``Linear`` +
    activation, ``Sequential`` and ``Dropout``; the PyTorch model takes a (batch × nin)
    tensor and returns (batch × nout), and is in train or eval mode as ``model`` is.
    """
    torch = _torch("to_torch")
    if not isinstance(model, Module):
        raise TypeError(f"to_torch(model) must be an nn.Module, got {type(model).__name__}: {model!r}")
    with torch.no_grad():
        exported = _export(model, torch)
    return exported.train(model.training)


def _export(model: Module, torch: Any) -> Any:
    nn = torch.nn
    if isinstance(model, Neuron):
        return _linear([model], model.activation, torch)
    if isinstance(model, Layer):
        return _linear(model.neurons, model.activation, torch)
    if isinstance(model, Dropout):
        return nn.Dropout(model.p)
    if isinstance(model, MLP):
        parts = []
        for i, layer in enumerate(model.layers):
            parts.append(_linear(layer.neurons, layer.activation, torch))
            if model.dropout is not None and i < len(model.layers) - 1:
                parts.append(nn.Dropout(model.dropout.p))
        return nn.Sequential(*parts)
    if isinstance(model, Sequential):
        return nn.Sequential(*(_export(m, torch) for m in model.layers))
    raise TypeError(
        f"to_torch: no PyTorch counterpart for {type(model).__name__} (supported: Neuron, Layer, MLP, Sequential, "
        "Dropout)"
    )


def _linear(neurons: list[Neuron], activation: str, torch: Any) -> Any:
    """``Linear(nin, nout)`` with W[j][i] = neuron j's wᵢ and b_j, then the activation's module."""
    linear = torch.nn.Linear(neurons[0].nin, len(neurons), dtype=torch.float64)
    linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in neurons], dtype=torch.float64))
    linear.bias.copy_(torch.tensor([n.b.data for n in neurons], dtype=torch.float64))
    act = _TO_TORCH[activation](torch.nn)
    return linear if act is None else torch.nn.Sequential(linear, act)


def from_torch(module: Any) -> Module:
    """The ``nn`` model of a PyTorch model made of ``Linear`` layers, each optionally followed by one
    activation (ReLU, LeakyReLU(0.01), Tanh, Sigmoid, Softplus(beta=1)), and ``Dropout``, nested in
    ``Sequential``s: one ``Layer`` per ``Linear``, in a ``Sequential`` when there are several modules.

    The weights are copied. Anything else raises a ``TypeError`` naming the module.
    """
    torch = _torch("from_torch")
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch(module) must be a torch.nn.Module, got {type(module).__name__}: {module!r}")
    flat = _flatten(module, torch)
    modules: list[Module] = []
    i = 0
    while i < len(flat):
        m = flat[i]
        if isinstance(m, torch.nn.Dropout):
            modules.append(Dropout(float(m.p)))
            i += 1
            continue
        if not isinstance(m, torch.nn.Linear):
            raise TypeError(f"from_torch: {m!r} at position {i} does not follow a Linear layer: no nn counterpart")
        activation = _activation_of(flat[i + 1], torch) if i + 1 < len(flat) else None
        modules.append(_layer(m, activation or "linear", torch))
        i += 2 if activation else 1
    model = modules[0] if len(modules) == 1 else Sequential(*modules)
    return model.train(module.training)


def _flatten(module: Any, torch: Any) -> list[Any]:
    """The leaf modules of nested ``Sequential``s, in order."""
    if isinstance(module, torch.nn.Sequential):
        return [leaf for child in module for leaf in _flatten(child, torch)]
    return [module]


def _activation_of(m: Any, torch: Any) -> str | None:
    """Our name for the PyTorch activation ``m`` (None if ``m`` is not one); a variant we lack is an error."""
    nn = torch.nn
    if isinstance(m, nn.LeakyReLU) and m.negative_slope != 0.01:
        raise TypeError(f"from_torch: {m!r}: nn's leaky_relu has slope 0.01")
    if isinstance(m, nn.Softplus) and m.beta != 1.0:
        raise TypeError(f"from_torch: {m!r}: nn's softplus has beta 1")
    kinds = {
        nn.ReLU: "relu",
        nn.LeakyReLU: "leaky_relu",
        nn.Tanh: "tanh",
        nn.Sigmoid: "sigmoid",
        nn.Softplus: "softplus",
    }
    return kinds.get(type(m))


def _layer(linear: Any, activation: str, torch: Any) -> Layer:
    """A ``Layer`` with the ``Linear``'s weights (it must have a bias: every nn neuron has one)."""
    if linear.bias is None:
        raise TypeError(f"from_torch: {linear!r} has no bias, but every nn neuron has one (use bias=True)")
    W = linear.weight.detach().to(torch.float64).tolist()
    b = linear.bias.detach().to(torch.float64).tolist()
    layer = Layer(linear.in_features, linear.out_features, activation)
    for neuron, row, bj in zip(layer.neurons, W, b):
        for w, wi in zip(neuron.w, row):
            w.data = wi
        neuron.b.data = bj
    return layer
