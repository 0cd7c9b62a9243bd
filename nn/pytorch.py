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
from nn.conv import AvgPool1d, AvgPool2d, Conv1d, Conv2d, Flatten, MaxPool1d, MaxPool2d, Residual
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
    activation, ``Sequential`` and ``Dropout``; ``Conv1d``/``Conv2d`` to PyTorch's with the
    same filters, the pools to ``MaxPool``/``AvgPool``, ``Flatten`` to ``Flatten`` and
    ``Residual`` to a module computing x + F(x). The PyTorch model takes a batch
    (batch × nin, or batch × channels × rows × columns) and returns the outputs as rows,
    and is in train or eval mode as ``model`` is.
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
    if isinstance(model, (Conv1d, Conv2d)):
        return _conv(model, torch)
    if isinstance(model, (MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d)):
        return getattr(nn, type(model).__name__)(model.kernel_size, model.stride)  # the same names in torch.nn
    if isinstance(model, Flatten):
        return nn.Flatten()  # (N, C, H, W) → (N, C·H·W): channel by channel, row by row, as ours
    if isinstance(model, Residual):
        return _residual(torch)(_export(model.module, torch))
    raise TypeError(f"to_torch: no PyTorch counterpart for {type(model).__name__} (supported: {SUPPORTED})")


SUPPORTED = (
    "Neuron, Layer, MLP, Sequential, Dropout, Conv1d, Conv2d, MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, "
    "Flatten, Residual"
)


def _conv(conv: Conv1d | Conv2d, torch: Any) -> Any:
    """``Conv1d``/``Conv2d`` with weight[f] = filter f's weights (channel, then reading order) and bias[f] = b_f,
    then the activation's module."""
    make = torch.nn.Conv1d if isinstance(conv, Conv1d) else torch.nn.Conv2d
    layer = make(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, dtype=torch.float64)
    weights = torch.tensor([[w.data for w in f.w] for f in conv.filters], dtype=torch.float64)
    layer.weight.copy_(weights.reshape(layer.weight.shape))
    layer.bias.copy_(torch.tensor([f.b.data for f in conv.filters], dtype=torch.float64))
    act = _TO_TORCH[conv.activation](torch.nn)
    return layer if act is None else torch.nn.Sequential(layer, act)


_RESIDUAL: dict[int, Any] = {}  # the torch Module class x ↦ x + F(x), made once torch is imported


def _residual(torch: Any) -> Any:
    """A ``torch.nn.Module`` class computing x + F(x) for the module F it wraps."""
    if id(torch) not in _RESIDUAL:

        class Residual(torch.nn.Module):  # type: ignore[misc]
            """x ↦ x + F(x), as ``nn.Residual``."""

            def __init__(self, inner: Any) -> None:
                super().__init__()
                self.inner = inner

            def forward(self, x: Any) -> Any:
                return x + self.inner(x)

        _RESIDUAL[id(torch)] = Residual
    return _RESIDUAL[id(torch)]


def _linear(neurons: list[Neuron], activation: str, torch: Any) -> Any:
    """``Linear(nin, nout)`` with W[j][i] = neuron j's wᵢ and b_j, then the activation's module."""
    linear = torch.nn.Linear(neurons[0].nin, len(neurons), dtype=torch.float64)
    linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in neurons], dtype=torch.float64))
    linear.bias.copy_(torch.tensor([n.b.data for n in neurons], dtype=torch.float64))
    act = _TO_TORCH[activation](torch.nn)
    return linear if act is None else torch.nn.Sequential(linear, act)


def from_torch(module: Any) -> Module:
    """The ``nn`` model of a PyTorch model made of what maps back: ``Linear``, ``Conv1d`` and
    ``Conv2d`` (square kernels, one stride and padding, zero padding, a bias), each optionally
    followed by one activation (ReLU, LeakyReLU(0.01), Tanh, Sigmoid, Softplus(beta=1)); ``Dropout``;
    ``MaxPool``/``AvgPool`` 1d/2d (no padding); ``Flatten()``; a residual block made by ``to_torch``;
    nested in ``Sequential``s. One module each, in a ``Sequential`` when there are several.

    The weights are copied. Anything else raises a ``TypeError`` naming the module.
    """
    torch = _torch("from_torch")
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch(module) must be a torch.nn.Module, got {type(module).__name__}: {module!r}")
    modules = _import_all(_flatten(module, torch), torch)
    model = modules[0] if len(modules) == 1 else Sequential(*modules)
    return model.train(module.training)


def _import_all(flat: list[Any], torch: Any) -> list[Module]:
    """Our modules for a flat list of PyTorch ones (a layer with weights takes the activation after it)."""
    modules: list[Module] = []
    i = 0
    while i < len(flat):
        m = flat[i]
        if isinstance(m, (torch.nn.Linear, torch.nn.Conv1d, torch.nn.Conv2d)):
            activation = _activation_of(flat[i + 1], torch) if i + 1 < len(flat) else None
            modules.append(_with_weights(m, activation or "linear", torch))
            i += 2 if activation else 1
            continue
        modules.append(_without_weights(m, i, torch))
        i += 1
    return modules


def _without_weights(m: Any, i: int, torch: Any) -> Module:
    """Dropout, a pool, Flatten or a residual block; a ``TypeError`` for anything else."""
    nn = torch.nn
    if isinstance(m, nn.Dropout):
        return Dropout(float(m.p))
    pools = (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d)
    if isinstance(m, pools) and _is_plain_pool(m):
        ours = {nn.MaxPool1d: MaxPool1d, nn.MaxPool2d: MaxPool2d, nn.AvgPool1d: AvgPool1d, nn.AvgPool2d: AvgPool2d}
        return ours[type(m)](_one(m.kernel_size, m), _one(m.stride, m))
    if isinstance(m, nn.Flatten) and (m.start_dim, m.end_dim) == (1, -1):
        return Flatten()
    if isinstance(m, _residual(torch)):
        inner = _import_all(_flatten(m.inner, torch), torch)
        return Residual(inner[0] if len(inner) == 1 else Sequential(*inner))
    raise TypeError(f"from_torch: {m!r} at position {i} has no nn counterpart")


def _is_plain_pool(m: Any) -> bool:
    """A pool without padding, dilation or ceil mode (what nn's pools compute)."""
    padding = m.padding if isinstance(m.padding, tuple) else (m.padding,)
    return not any(padding) and not getattr(m, "ceil_mode", False) and getattr(m, "dilation", 1) in (1, (1, 1))


def _one(size: Any, m: Any) -> int:
    """A kernel size or stride given once or per axis, as one int (nn's modules have square windows)."""
    sizes = set(size) if isinstance(size, tuple) else {size}
    if len(sizes) != 1:
        raise TypeError(f"from_torch: {m!r}: nn's windows are square, got {size}")
    return int(sizes.pop())


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


def _with_weights(m: Any, activation: str, torch: Any) -> Module:
    """A ``Layer`` for a ``Linear``, a ``Conv1d``/``Conv2d`` for PyTorch's, with its weights (it must have a
    bias: every nn neuron and filter has one)."""
    if m.bias is None:
        raise TypeError(f"from_torch: {m!r} has no bias, but every nn neuron and filter has one (use bias=True)")
    W = m.weight.detach().to(torch.float64)
    b = m.bias.detach().to(torch.float64).tolist()
    if isinstance(m, torch.nn.Linear):
        ours: Module = Layer(m.in_features, m.out_features, activation)
        units = ours.neurons  # type: ignore[attr-defined]
    else:
        if m.groups != 1 or m.padding_mode != "zeros" or set(m.dilation) != {1} or isinstance(m.padding, str):
            raise TypeError(f"from_torch: {m!r}: nn's convolutions have groups=1, dilation 1 and zero padding")
        make = Conv1d if isinstance(m, torch.nn.Conv1d) else Conv2d
        k, stride, padding = _one(m.kernel_size, m), _one(m.stride, m), _one(m.padding, m)
        ours = make(m.in_channels, m.out_channels, k, stride, padding, activation)
        units = ours.filters
    for unit, row, bj in zip(units, W.reshape(len(b), -1).tolist(), b):
        for w, wi in zip(unit.w, row):
            w.data = wi
        unit.b.data = bj
    return ours
