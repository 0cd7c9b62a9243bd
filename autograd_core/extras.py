"""Optional dependencies: import one, or say which extra installs it.

The engine needs only the standard library; drawing, property tests, training tools and
the notebooks need packages from the extras in ``pyproject.toml``. ``require`` turns a
bare ``ModuleNotFoundError`` into one that names the extra to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType

EXTRAS = {  # extra -> what it is for (the README's wording)
    "viz": "drawing graphs",
    "testing": "property tests (autograd_core.testing)",
    "nn": "training tools: progress bars, data sets, plots",
    "notebooks": "the notebooks and the stepping widget",
    "mnist1d": "the MNIST-1D generator (nn.load_mnist1d)",
    "bench": "PyTorch: the benchmarks' peer, nn.to_torch and nn.from_torch",
}


class MissingExtraError(ModuleNotFoundError):
    """An optional package is not installed; the message names the extra that brings it."""


def require(module: str, extra: str, feature: str) -> ModuleType:
    """``importlib.import_module(module)``, or ``MissingExtraError`` naming ``extra``.

    ``feature`` says what needed it, e.g. ``"draw_graph"``.
    """
    if extra not in EXTRAS:
        raise ValueError(f"require: unknown extra {extra!r}; known: {', '.join(EXTRAS)}")
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        top = module.partition(".")[0]
        if e.name is not None and e.name.partition(".")[0] != top:
            raise  # the package is there but one of its own dependencies is missing
        raise MissingExtraError(
            f"{feature} needs the {top!r} package ({EXTRAS[extra]}), which is not installed: "
            f'pip install "autograd-core[{extra}]"  (from a clone: pip install -e ".[{extra}]")',
            name=top,
        ) from None
