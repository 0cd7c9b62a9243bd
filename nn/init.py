"""Weight initialisation by name; biases always start at 0.

* ``"uniform"``: wᵢ ~ U(−1, 1) (micrograd's).
* ``"xavier"``: Glorot uniform, wᵢ ~ U(−r, r) with r = √(6 / (n_in + n_out)); the default
  for tanh, sigmoid and linear, keeping the variance of z about the same layer to layer.
* ``"he"``: wᵢ ~ U(−r, r) with r = √(6 / n_in), variance 2/n_in; the default for the
  ReLU family, which zeroes half of its inputs.

All randomness comes from the ``random.Random`` passed in: no global state is touched.
"""

from __future__ import annotations

import math
import random

from nn._checks import name as _name

INITS = ("uniform", "xavier", "he")
_RELU_FAMILY = ("relu", "leaky_relu", "softplus")


def default_init(activation: str) -> str:
    """``"he"`` for the ReLU family, ``"xavier"`` otherwise."""
    return "he" if activation in _RELU_FAMILY else "xavier"


def check_init(name: str, where: str = "init") -> str:
    """``name`` if it is a known initialisation, else ValueError listing the valid ones
    (TypeError if it is not a str); ``where`` names the argument, e.g. ``"Layer(init)"``."""
    if _name(name, where) not in INITS:
        raise ValueError(f"{where}: unknown init {name!r}; valid inits: {', '.join(repr(n) for n in INITS)}")
    return name


def init_weights(name: str, nin: int, nout: int, rng: random.Random) -> list[float]:
    """``nin`` starting weights for one neuron of a layer with ``nin`` inputs and ``nout`` outputs."""
    check_init(name)
    if name == "uniform":
        r = 1.0
    elif name == "xavier":
        r = math.sqrt(6.0 / (nin + nout))
    else:
        r = math.sqrt(6.0 / nin)
    return [rng.uniform(-r, r) for _ in range(nin)]
