"""Convolution, pooling, flattening and residual connections, built from Values.

An image is a nested list ``[channel][row][column]`` of Values or floats. A convolution
slides each filter over the image: every output pixel is one ``dot`` node
z = Σ w·patch + b over the filter's *shared* weights (so ∂C/∂w sums over every position
the filter visited), then a = f(z). Pooling takes the maximum (``vmax``: the gradient goes
to the first maximal input) or the mean of each window. ``Residual`` adds a bypass:
x ↦ x + F(x), so ∂C/∂x gets ∂C/∂out directly, however small F's own derivative is.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, Union

from autograd_core import Value, dot, vmax, vsum
from nn._checks import got, integer
from nn.activations import check_activation, get_activation
from nn.init import check_init, default_init, init_weights
from nn.module import Module, class_name

Number = Union[Value, float]
Image = list[list[list[Number]]]  # [channel][row][column]


def image_shape(x: object, where: str) -> tuple[int, int, int]:
    """(channels, rows, columns) of a nested-list image; a specific error for anything else or a ragged one."""
    if not isinstance(x, Sequence) or isinstance(x, (str, bytes)) or not x:
        raise TypeError(f"{where}: expected an image, a non-empty list [channel][row][column], got {got(x)}")
    rows = cols = -1
    for c, channel in enumerate(x):
        if not isinstance(channel, Sequence) or isinstance(channel, (str, bytes)):
            raise TypeError(f"{where}: channel {c} must be a list of rows, got {got(channel)}")
        for r, row in enumerate(channel):
            if not isinstance(row, Sequence) or isinstance(row, (str, bytes)):
                raise TypeError(f"{where}: channel {c} row {r} must be a list of numbers, got {got(row)}")
            if cols not in (-1, len(row)):
                raise ValueError(f"{where}: ragged image: channel {c} row {r} has {len(row)} columns, not {cols}")
            cols = len(row)
        if rows not in (-1, len(channel)):
            raise ValueError(f"{where}: ragged image: channel {c} has {len(channel)} rows, channel 0 has {rows}")
        rows = len(channel)
    return len(x), rows, max(cols, 0)


def _as_array(x: Any) -> Any:
    """A NumPy array (an example of a (N, C, H, W) batch) as nested lists; anything else as it is."""
    return x.tolist() if hasattr(x, "tolist") and hasattr(x, "shape") else x


def _out_size(size: int, k: int, stride: int, padding: int, where: str, axis: str) -> int:
    """⌊(size + 2·padding − k) / stride⌋ + 1 positions along one axis."""
    if size + 2 * padding < k:
        raise ValueError(
            f"{where}: kernel_size {k} is larger than the padded image ({axis} {size} + 2·padding {padding} "
            f"= {size + 2 * padding})"
        )
    return (size + 2 * padding - k) // stride + 1


def _windows(size_r: int, size_c: int, k: int, stride: int) -> list[tuple[int, int]]:
    """The top-left corners of the k×k windows, row by row."""
    return [(r * stride, c * stride) for r in range(size_r) for c in range(size_c)]


class Filter(Module):
    """One filter of a convolution: ``size`` = in·k·k shared weights ``w`` (channel, row, column), a bias ``b``."""

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


class Conv2d(Module):
    """A 2-D convolution: ``out_channels`` filters of ``in_channels × k × k`` weights, then an activation.

    Output pixel (f, r, c) is z = Σ_{ch,i,j} w_f[ch][i][j] · x[ch][r·s + i − p][c·s + j − p] + b_f,
    a = f(z), one ``dot`` node per pixel; the image is padded with zeros (constants).
    Parameters: out·(in·k·k + 1), named ``filters.f.w.n`` and ``filters.f.b``.
    """

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
        self.in_channels = integer(in_channels, "Conv2d(in_channels)")
        self.out_channels = integer(out_channels, "Conv2d(out_channels)")
        self.kernel_size = integer(kernel_size, "Conv2d(kernel_size)")
        self.stride = integer(stride, "Conv2d(stride)")
        self.padding = integer(padding, "Conv2d(padding)", low=0)
        self.activation = check_activation(activation, "Conv2d(activation)")
        scheme = check_init(init, "Conv2d(init)") if init is not None else default_init(activation)
        rng = random.Random(seed if seed is None else integer(seed, "Conv2d(seed)", low=None))
        k2 = self.kernel_size**2
        size, fan_out = self.in_channels * k2, self.out_channels * k2
        self.filters = [Filter(size, init_weights(scheme, size, fan_out, rng)) for _ in range(self.out_channels)]
        self._act = get_activation(activation)
        self.label_parameters()

    def __call__(self, x: Any) -> Image:
        x = _as_array(x)
        where = f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size})"
        channels, rows, cols = image_shape(x, where)
        if channels != self.in_channels:
            raise ValueError(f"{where}: expected {self.in_channels} input channels, got an image of {channels}")
        k, s, p = self.kernel_size, self.stride, self.padding
        out_r = _out_size(rows, k, s, p, where, "rows")
        out_c = _out_size(cols, k, s, p, where, "columns")
        padded = _pad(x, p)
        patches = [
            [padded[ch][r + i][c + j] for ch in range(channels) for i in range(k) for j in range(k)]
            for r, c in _windows(out_r, out_c, k, s)
        ]
        act = self._act
        out: Image = []
        for f in self.filters:
            zs = [dot(f.w, patch, f.b) for patch in patches]
            a: list[Number] = [act(z) for z in zs] if act else list(zs)
            out.append([a[r * out_c : (r + 1) * out_c] for r in range(out_r)])
        return out

    def config(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.config_keys}

    @classmethod
    def parameters_in(cls, config: dict[str, Any]) -> int:
        """out·(in·k·k + 1)."""
        k = integer(config.get("kernel_size"), "Conv2d(kernel_size)")
        n_in = integer(config.get("in_channels"), "Conv2d(in_channels)")
        return integer(config.get("out_channels"), "Conv2d(out_channels)") * (n_in * k * k + 1)

    def last_activation(self) -> str:
        return self.activation


def _pad(x: Sequence[Sequence[Sequence[Number]]], p: int) -> list[list[list[Number]]]:
    """The image with p rows and columns of zeros (plain 0.0: constants) around each channel."""
    if p == 0:
        return [[list(row) for row in channel] for channel in x]
    width = len(x[0][0]) + 2 * p
    zeros: list[Number] = [0.0] * width
    return [
        [list(zeros) for _ in range(p)]
        + [[0.0] * p + list(row) + [0.0] * p for row in channel]
        + [list(zeros) for _ in range(p)]
        for channel in x
    ]


class _Pool(Module):
    """Pooling over k×k windows with stride s (default k), channel by channel; no parameters."""

    config_keys = ("kernel_size", "stride")
    kind = ""

    def __init__(self, kernel_size: int, stride: int | None = None) -> None:
        name = type(self).__name__
        self.kernel_size = integer(kernel_size, f"{name}(kernel_size)")
        self.stride = self.kernel_size if stride is None else integer(stride, f"{name}(stride)")

    def __call__(self, x: Any) -> Image:
        x = _as_array(x)
        k, s = self.kernel_size, self.stride
        where = f"{type(self).__name__}({k})"
        _, rows, cols = image_shape(x, where)
        out_r, out_c = _out_size(rows, k, s, 0, where, "rows"), _out_size(cols, k, s, 0, where, "columns")
        out = []
        for channel in x:
            pooled = [
                self.pool([channel[r + i][c + j] for i in range(k) for j in range(k)])
                for r, c in _windows(out_r, out_c, k, s)
            ]
            out.append([pooled[r * out_c : (r + 1) * out_c] for r in range(out_r)])
        return out

    def pool(self, window: list[Number]) -> Number:
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        return {"kernel_size": self.kernel_size, "stride": self.stride}

    @classmethod
    def parameters_in(cls, config: dict[str, Any]) -> int:
        return 0


class MaxPool2d(_Pool):
    """The maximum of each window (one ``vmax`` node): ∂/∂x = 1 for the first maximal input of the window, else 0."""

    def pool(self, window: list[Number]) -> Number:
        return vmax(window) if any(isinstance(v, Value) for v in window) else max(window)


class AvgPool2d(_Pool):
    """The mean of each window: Σ x / k², so ∂/∂x = 1/k² for every input of the window."""

    def pool(self, window: list[Number]) -> Number:
        if any(isinstance(v, Value) for v in window):
            return vsum(window) * (1.0 / len(window))
        return sum(window) / len(window)


class Flatten(Module):
    """An image [channel][row][column] as one list, channel by channel, each row by row."""

    config_keys = ()

    def __call__(self, x: Any) -> list[Number]:
        x = _as_array(x)
        image_shape(x, "Flatten()")
        return [v for channel in x for row in channel for v in row]

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
    dims = []
    while isinstance(x, (list, tuple)):
        dims.append(len(x))
        x = x[0] if x else None
    return "×".join(map(str, dims)) if dims else "a number"


__all__ = ["AvgPool2d", "Conv2d", "Filter", "Flatten", "MaxPool2d", "Residual", "image_shape"]
