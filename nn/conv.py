"""Convolution, pooling, flattening and residual connections, built from Values.

An image is a nested list ``[channel][row][column]`` of Values or floats, a 1-D signal
``[channel][position]``. A convolution
slides each filter over the image: every output pixel is one ``dot`` node
z = Σ w·patch + b over the filter's *shared* weights (so ∂C/∂w sums over every position
the filter visited), then a = f(z). Pooling takes the maximum (``vmax``: the gradient goes
to the first maximal input) or the mean of each window. ``Residual`` adds a bypass:
x ↦ x + F(x), so ∂C/∂x gets ∂C/∂out directly, however small F's own derivative is.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, ClassVar, Union

from autograd_core import Value, dot, vmax, vsum
from nn._checks import got, integer, nested_lengths
from nn.activations import check_activation, get_activation
from nn.init import check_init, default_init, init_weights
from nn.module import Module, class_name

Number = Union[Value, float]


AXES = {1: ("positions",), 2: ("rows", "columns")}
KIND = {1: "signal", 2: "image"}
LAYOUT = {1: "[channel][position]", 2: "[channel][row][column]"}


def signal_shape(x: object, dims: int, where: str) -> tuple[int, ...]:
    """(channels, *sizes) of a nested-list signal (dims = 1) or image (dims = 2); a specific error if not one."""
    kind = KIND[dims]
    if not isinstance(x, Sequence) or isinstance(x, (str, bytes)) or not x:
        raise TypeError(f"{where}: expected an {kind}, a non-empty list {LAYOUT[dims]}, got {got(x)}")
    sizes: list[int] | None = None
    for c, channel in enumerate(x):
        found = _sizes(channel, dims, f"channel {c}", where, kind)
        if sizes is not None and found != sizes:
            axis = AXES[dims][next(i for i in range(dims) if found[i] != sizes[i])]
            raise ValueError(
                f"{where}: ragged {kind}: channel {c} has {_dims(found)}, channel 0 has {_dims(sizes)} {axis}"
            )
        sizes = found
    assert sizes is not None
    return (len(x), *sizes)


def _sizes(x: object, dims: int, at: str, where: str, kind: str) -> list[int]:
    """The sizes of a ``dims``-deep nested list of numbers (every row the same length)."""
    if not isinstance(x, Sequence) or isinstance(x, (str, bytes)):
        what = "rows" if dims == 2 else "numbers"
        raise TypeError(f"{where}: {at} must be a list of {what}, got {got(x)}")
    if dims == 1:
        return [len(x)]
    inner = [_sizes(row, dims - 1, f"{at} row {r}", where, kind) for r, row in enumerate(x)]
    for r, s in enumerate(inner):
        if s != inner[0]:
            raise ValueError(f"{where}: ragged {kind}: {at} row {r} has {s[0]} columns, row 0 has {inner[0][0]}")
    return [len(x), *(inner[0] if inner else [0] * (dims - 1))]


def _dims(sizes: Sequence[int]) -> str:
    return "×".join(map(str, sizes))


def image_shape(x: object, where: str) -> tuple[int, int, int]:
    """(channels, rows, columns) of a nested-list image [channel][row][column]."""
    c, rows, cols = signal_shape(x, 2, where)
    return c, rows, cols


def _as_array(x: Any) -> Any:
    """A NumPy array (an example of a (N, C, H, W) or (N, C, L) batch) as nested lists; anything else as it is."""
    return x.tolist() if hasattr(x, "tolist") and hasattr(x, "shape") else x


def _out_size(size: int, k: int, stride: int, padding: int, where: str, axis: str) -> int:
    """⌊(size + 2·padding − k) / stride⌋ + 1 positions along one axis."""
    if size + 2 * padding < k:
        raise ValueError(
            f"{where}: kernel_size {k} is larger than the padded input ({axis} {size} + 2·padding {padding} "
            f"= {size + 2 * padding})"
        )
    return (size + 2 * padding - k) // stride + 1


def _flat(channel: Any, dims: int) -> list[Number]:
    """One channel's numbers in reading order (row by row)."""
    return list(channel) if dims == 1 else [v for row in channel for v in row]


def _shaped(flat: list[Any], sizes: Sequence[int]) -> list[Any]:
    """A flat list in reading order as nested lists of ``sizes``."""
    if len(sizes) == 1:
        return flat
    width = len(flat) // sizes[0]
    return [_shaped(flat[r * width : (r + 1) * width], sizes[1:]) for r in range(sizes[0])]


def _windows(
    sizes: Sequence[int], k: int, stride: int, padding: int, where: str, dims: int
) -> tuple[list[int], list[list[int]]]:
    """The output sizes, and for each output position (reading order) the indices of its k^dims window
    in the channel padded by ``padding`` zeros on every side (flattened, reading order)."""
    axes = AXES[dims]
    out = [_out_size(n, k, stride, padding, where, axis) for n, axis in zip(sizes, axes)]
    padded = [n + 2 * padding for n in sizes]
    if dims == 1:
        return out, [[start * stride + i for i in range(k)] for start in range(out[0])]
    width = padded[1]
    return out, [
        [(r * stride + i) * width + c * stride + j for i in range(k) for j in range(k)]
        for r in range(out[0])
        for c in range(out[1])
    ]


def _pad(channel: list[Number], sizes: Sequence[int], p: int) -> list[Number]:
    """A flat channel with p zeros (plain 0.0: constants) on every side of each axis."""
    if p == 0:
        return channel
    if len(sizes) == 1:
        return [0.0] * p + channel + [0.0] * p
    rows, cols = sizes
    width = cols + 2 * p
    padded: list[Number] = [0.0] * (p * width)
    for r in range(rows):
        padded += [0.0] * p + channel[r * cols : (r + 1) * cols] + [0.0] * p
    return padded + [0.0] * (p * width)


class Filter(Module):
    """One filter of a convolution: ``size`` = in·kᵈ shared weights ``w`` (channel by channel), a bias ``b``."""

    config_keys = ("size",)

    def __init__(self, size: int, weights: Sequence[float] | None = None) -> None:
        self.size = integer(size, "Filter(size)")
        self.w = [Value(float(wi)) for wi in weights] if weights is not None else [Value(0.0) for _ in range(self.size)]
        if len(self.w) != self.size:
            raise ValueError(f"Filter({self.size}): got {len(self.w)} weights")
        self.b = Value(0.0)

    def config(self) -> dict[str, Any]:
        return {"size": self.size}

    @classmethod
    def parameters_in(cls, config: dict[str, Any]) -> int:
        """size weights + 1 bias."""
        return integer(config.get("size"), "Filter(size)") + 1


class _Conv(Module):
    """A convolution over ``dims`` axes: ``out_channels`` filters of in_channels × kᵈ weights, then an activation.

    Each output value is one ``dot`` node z = Σ w·window + b over its window of the input
    padded with zeros (constants), then a = f(z). Parameters: out·(in·kᵈ + 1), named
    ``filters.f.w.n`` and ``filters.f.b``.
    """

    dims: ClassVar[int]
    config_keys = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "activation")

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        activation: str = "relu",
        init: str | None = None,
        seed: int | None = None,
    ) -> None:
        name = type(self).__name__
        self.in_channels = integer(in_channels, f"{name}(in_channels)")
        self.out_channels = integer(out_channels, f"{name}(out_channels)")
        self.kernel_size = integer(kernel_size, f"{name}(kernel_size)")
        self.stride = integer(stride, f"{name}(stride)")
        self.padding = integer(padding, f"{name}(padding)", low=0)
        self.activation = check_activation(activation, f"{name}(activation)")
        scheme = check_init(init, f"{name}(init)") if init is not None else default_init(activation)
        rng = random.Random(seed if seed is None else integer(seed, f"{name}(seed)", low=None))
        window = self.kernel_size**self.dims
        size, fan_out = self.in_channels * window, self.out_channels * window
        self.filters = [Filter(size, init_weights(scheme, size, fan_out, rng)) for _ in range(self.out_channels)]
        self._act = get_activation(activation)
        self.label_parameters()

    def __call__(self, x: Any) -> list[Any]:
        x = _as_array(x)
        where = f"{type(self).__name__}({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size})"
        channels, *sizes = signal_shape(x, self.dims, where)
        if channels != self.in_channels:
            kind = "an image" if self.dims == 2 else "a signal"
            raise ValueError(f"{where}: expected {self.in_channels} input channels, got {kind} of {channels}")
        out_sizes, windows = _windows(sizes, self.kernel_size, self.stride, self.padding, where, self.dims)
        padded = [_pad(_flat(channel, self.dims), sizes, self.padding) for channel in x]
        patches = [[channel[i] for channel in padded for i in window] for window in windows]
        act = self._act
        out = []
        for f in self.filters:
            zs = [dot(f.w, patch, f.b) for patch in patches]
            a: list[Number] = [act(z) for z in zs] if act else list(zs)
            out.append(_shaped(a, out_sizes))
        return out

    def config(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.config_keys}

    @classmethod
    def parameters_in(cls, config: dict[str, Any]) -> int:
        """out·(in·kᵈ + 1)."""
        name = cls.__name__
        k = integer(config.get("kernel_size"), f"{name}(kernel_size)")
        n_in = integer(config.get("in_channels"), f"{name}(in_channels)")
        window: int = k**cls.dims
        return integer(config.get("out_channels"), f"{name}(out_channels)") * (n_in * window + 1)

    def last_activation(self) -> str:
        return self.activation


class Conv1d(_Conv):
    """A 1-D convolution on signals [channel][position]: output (f, t) is
    z = Σ_{ch,i} w_f[ch][i] · x[ch][t·s + i − p] + b_f, a = f(z)."""

    dims = 1


class Conv2d(_Conv):
    """A 2-D convolution on images [channel][row][column]: output pixel (f, r, c) is
    z = Σ_{ch,i,j} w_f[ch][i][j] · x[ch][r·s + i − p][c·s + j − p] + b_f, a = f(z)."""

    dims = 2


class _Pool(Module):
    """Pooling over windows of k (kᵈ values) with stride s (default k), channel by channel; no parameters."""

    dims: ClassVar[int]
    config_keys = ("kernel_size", "stride")

    def __init__(self, kernel_size: int, stride: int | None = None) -> None:
        name = type(self).__name__
        self.kernel_size = integer(kernel_size, f"{name}(kernel_size)")
        self.stride = self.kernel_size if stride is None else integer(stride, f"{name}(stride)")

    def __call__(self, x: Any) -> list[Any]:
        x = _as_array(x)
        where = f"{type(self).__name__}({self.kernel_size})"
        _, *sizes = signal_shape(x, self.dims, where)
        out_sizes, windows = _windows(sizes, self.kernel_size, self.stride, 0, where, self.dims)
        out = []
        for channel in x:
            flat = _flat(channel, self.dims)
            out.append(_shaped([self.pool([flat[i] for i in window]) for window in windows], out_sizes))
        return out

    def pool(self, window: list[Number]) -> Number:
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        return {"kernel_size": self.kernel_size, "stride": self.stride}

    @classmethod
    def parameters_in(cls, config: dict[str, Any]) -> int:
        return 0


def _max(window: list[Number]) -> Number:
    """The maximum of a window (one ``vmax`` node): ∂/∂x = 1 for its first maximal input, else 0."""
    return vmax(window) if any(isinstance(v, Value) for v in window) else max(window)


def _mean(window: list[Number]) -> Number:
    """The mean of a window: ∂/∂x = 1/n for each of its n inputs."""
    if any(isinstance(v, Value) for v in window):
        return vsum(window) * (1.0 / len(window))
    return sum(window) / len(window)


class MaxPool1d(_Pool):
    """The maximum of each window of k positions (``vmax``): the gradient goes to its first maximal input."""

    dims = 1
    pool = staticmethod(_max)


class MaxPool2d(_Pool):
    """The maximum of each k×k window (``vmax``): the gradient goes to its first maximal input."""

    dims = 2
    pool = staticmethod(_max)


class AvgPool1d(_Pool):
    """The mean of each window of k positions: ∂/∂x = 1/k for each."""

    dims = 1
    pool = staticmethod(_mean)


class AvgPool2d(_Pool):
    """The mean of each k×k window: ∂/∂x = 1/k² for each."""

    dims = 2
    pool = staticmethod(_mean)


class Flatten(Module):
    """A signal [channel][position] or an image [channel][row][column] as one list: channel by channel,
    each in reading order."""

    config_keys = ()

    def __call__(self, x: Any) -> list[Number]:
        x = _as_array(x)
        first = x[0] if isinstance(x, Sequence) and x and not isinstance(x, (str, bytes)) else None
        dims = 2 if isinstance(first, Sequence) and first and isinstance(first[0], Sequence) else 1
        signal_shape(x, dims, "Flatten()")
        return [v for channel in x for v in _flat(channel, dims)]

    def config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def parameters_in(cls, config: dict[str, Any]) -> int:
        return 0


class Residual(Module):
    """x ↦ x + F(x) for a module F that keeps the shape (a list, or an image): the bypass connection.

    ∂out/∂x = 1 + ∂F/∂x, so the gradient reaches x even where F's derivative vanishes.
    """

    config_keys = ("module",)

    def __init__(self, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError(f"Residual(module) must be a Module, got {got(module)}")
        self.module = module
        self.label_parameters()

    def __call__(self, x: Any) -> Any:
        x = _as_array(x)
        return _add(x, self.module(x), f"Residual({type(self.module).__name__})", "")

    def config(self) -> dict[str, Any]:
        return {"module": {"class": class_name(type(self.module)), "config": self.module.config()}}

    @classmethod
    def from_config(cls, module: dict[str, Any]) -> Residual:
        """Rebuild from ``config()`` output (used by ``load``)."""
        from nn.serialization import build_module

        return cls(build_module(module))

    @classmethod
    def parameters_in(cls, config: dict[str, Any]) -> int | None:
        from nn.serialization import parameters_in_spec

        return parameters_in_spec(config.get("module"))

    def last_activation(self) -> str | None:
        return None  # x + F(x) is not the output of an activation


def _add(x: Any, y: Any, where: str, at: str) -> Any:
    """x + y element by element, for equal nested lists; an error naming the module and the shapes if not."""
    x_list, y_list = isinstance(x, (list, tuple)), isinstance(y, (list, tuple))
    if not x_list and not y_list:
        return x + y
    if not (x_list and y_list) or len(x) != len(y):
        raise ValueError(
            f"{where}: the module changed the shape{at}: input {_shape(x)}, output {_shape(y)}; "
            "x + F(x) needs F(x) shaped like x"
        )
    return [_add(xi, yi, where, f"{at}[{i}]") for i, (xi, yi) in enumerate(zip(x, y))]


def _shape(x: Any) -> str:
    """The nested lengths of x, e.g. "3×4", or "a number"."""
    return "×".join(map(str, nested_lengths(x))) or "a number"


__all__ = [
    "AvgPool1d",
    "AvgPool2d",
    "Conv1d",
    "Conv2d",
    "Filter",
    "Flatten",
    "MaxPool1d",
    "MaxPool2d",
    "Residual",
    "image_shape",
    "signal_shape",
]
