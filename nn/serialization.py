"""Saving and loading models as JSON: the architecture (``config()``) plus the weights.

The file is ``{"format": "autograd-core.nn", "version": 1, "class": "MLP", "config": {…},
"state": {"layers.0.neurons.0.w.0": 0.123…, …}}``. Floats are written with ``repr``, so
they round-trip exactly. Writing goes to a temporary file in the same folder that is
renamed over the target, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, TypeVar

from autograd_core.viz import write_atomically
from nn.module import Module

FORMAT = "autograd-core.nn"
VERSION = 1
M = TypeVar("M", bound=Module)


class ModelFileError(ValueError):
    """A model file that cannot be read, is corrupt, or does not hold the expected model."""


def save_module(module: Module, path: str | os.PathLike[str]) -> None:
    """Write ``module``'s class, config and weights to ``path`` atomically.

    Refuses (ValueError) a model with a NaN or infinite weight, which ``load`` would reject.
    """
    state = module.state_dict()
    bad = next((name for name, x in state.items() if not math.isfinite(x)), None)
    if bad is not None:
        raise ValueError(
            f"cannot save {type(module).__name__}: parameter {bad} is {state[bad]} (did training diverge?)"
        )
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "class": type(module).__name__,
        "config": module.config(),
        "state": state,
    }
    write_atomically(Path(path), json.dumps(doc, indent=1).encode("utf-8"))


def build_module(spec: dict[str, Any]) -> Module:
    """A fresh module from ``{"class": name, "config": {...}}``."""
    name, config = spec.get("class"), spec.get("config")
    cls = Module.registry.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ModelFileError(f"unknown module class {name!r}; known: {', '.join(sorted(Module.registry))}")
    if not isinstance(config, dict):
        raise ModelFileError(f"{name} config must be an object, got {config!r}")
    make = getattr(cls, "from_config", cls)
    try:
        return make(**config)
    except (TypeError, ValueError) as e:
        raise ModelFileError(f"cannot build {name} from config {config!r}: {e}") from e


def load_module(path: str | os.PathLike[str], cls: type[M] = Module) -> M:  # type: ignore[assignment]
    """The model saved at ``path``; ``ModelFileError`` if the file is bad or holds another class."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelFileError(f"{path}: not a model file (corrupt JSON: {e})") from e
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFileError(f'{path}: not a model file (no "format": {FORMAT!r})')
    if doc.get("version") != VERSION:
        raise ModelFileError(f"{path}: unsupported version {doc.get('version')!r} (this library reads {VERSION})")
    name = doc.get("class")
    if cls is not Module and name != cls.__name__:
        raise ModelFileError(f"{path} holds a {name}, not a {cls.__name__}; use {name}.load")
    model = build_module(doc)
    state = doc.get("state")
    if not isinstance(state, dict):
        raise ModelFileError(f'{path}: "state" must be an object of parameter values')
    try:
        model.load_state_dict(state)
    except ValueError as e:
        raise ModelFileError(f"{path}: {e}") from e
    return model  # type: ignore[return-value]
