"""Saving and loading models as JSON: the architecture (``config()``) plus the weights.

The file is ``{"format": "autograd-core.nn", "version": 1, "class": "MLP", "config": {…},
"state": {"layers.0.neurons.0.w.0": 0.123…, …}}``. Floats are written with ``repr``, so
they round-trip exactly. Writing goes to a temporary file in the same folder that is
renamed over the target, so a crash never leaves half a file.

Loading treats the file as untrusted: any problem raises ``ModelFileError``, never
another exception. ``nn``'s own classes are named by their bare name (``"MLP"``), any
other ``Module`` subclass by ``module.QualifiedName``. A config may hold only the keys
that class's ``config()`` writes. Before anything is built, the number of parameters the
config describes is computed and must equal the number of weights in ``"state"`` and be
at most ``MAX_PARAMETERS``, so a 100-byte file cannot ask for a network of 10¹⁰ weights.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, TypeVar

from autograd_core.files import write_atomically
from nn._checks import digits, got
from nn.module import Module, class_name

FORMAT = "autograd-core.nn"
VERSION = 1
MAX_PARAMETERS = 10_000_000  # the largest model load builds (each parameter is a Value: ~100 bytes)
M = TypeVar("M", bound=Module)


class ModelFileError(ValueError):
    """A model file that cannot be read, is corrupt, or does not hold the expected model."""


def save_module(module: Module, path: str | os.PathLike[str]) -> None:
    """Write ``module``'s class, config and weights to ``path`` atomically.

    Refuses (ValueError) a model with a NaN or infinite weight, which ``load`` would reject.
    """
    path = _path(path, "save(path)")
    state = module.state_dict()
    bad = next((name for name, x in state.items() if not math.isfinite(x)), None)
    if bad is not None:
        raise ValueError(
            f"cannot save {type(module).__name__}: parameter {bad} is {state[bad]} (did training diverge?)"
        )
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "class": class_name(type(module)),
        "config": module.config(),
        "state": state,
    }
    write_atomically(path, json.dumps(doc, indent=1).encode("utf-8"))


def _path(path: object, where: str) -> Path:
    """``path`` as a Path: a str or os.PathLike (an int would be taken as an open file descriptor)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{where} must be a file path (a str or pathlib.Path), got {got(path)}")
    return Path(path)


def _class_and_config(spec: object) -> tuple[type[Module], dict[str, Any]]:
    """The class a ``{"class": name, "config": {...}}`` spec names, and its config (keys checked)."""
    if not isinstance(spec, dict):
        raise ModelFileError(f'a module spec must be an object {{"class": …, "config": …}}, got {got(spec)}')
    name, config = spec.get("class"), spec.get("config")
    cls = Module.registry.get(name) if isinstance(name, str) else None
    if cls is None:
        known = ", ".join(sorted(Module.registry))
        raise ModelFileError(f"unknown module class {got(name)}; known: {known} (import the module defining it)")
    if not isinstance(config, dict):
        raise ModelFileError(f"{name} config must be an object, got {got(config)}")
    allowed = cls.config_keys
    unknown = sorted(set(config) - set(allowed)) if allowed is not None else []
    if unknown:
        raise ModelFileError(f"{name} config: unknown keys {unknown} ({name} files hold only {list(allowed or ())})")
    return cls, config


def parameters_in_spec(spec: object) -> int | None:
    """How many parameters the module a spec describes would have (None if its class cannot tell)."""
    cls, config = _class_and_config(spec)
    try:
        return cls.parameters_in(config)
    except (TypeError, ValueError) as e:
        raise ModelFileError(f"{spec['class']} config: {e}") from e  # type: ignore[index]


def build_module(spec: dict[str, Any]) -> Module:
    """A fresh module from ``{"class": name, "config": {...}}``."""
    cls, config = _class_and_config(spec)
    make = getattr(cls, "from_config", cls)
    try:
        return make(**config)
    except (TypeError, ValueError, OverflowError) as e:
        raise ModelFileError(f"cannot build {spec['class']} from config {got(config)}: {e}") from e


def load_module(path: str | os.PathLike[str], cls: type[M] = Module) -> M:  # type: ignore[assignment]
    """The model saved at ``path``; ``ModelFileError`` if the file is bad or holds another class."""
    path = _path(path, f"{cls.__name__}.load(path)")
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelFileError(f"{path}: not a model file (corrupt JSON: {e})") from e
    except ValueError as e:  # an integer of more digits than int() converts (sys.set_int_max_str_digits)
        raise ModelFileError(f"{path}: not a model file ({e})") from e
    except RecursionError:
        raise ModelFileError(f"{path}: not a model file (JSON nested too deeply)") from None
    try:
        return _model_from(doc, cls)
    except RecursionError:
        raise ModelFileError(f"{path}: modules nested too deeply") from None
    except ModelFileError as e:
        raise ModelFileError(f"{path}: {e}") from e


def _model_from(doc: object, cls: type[M]) -> M:
    """Check the document, count its parameters, then build the model and load its weights."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFileError(f'not a model file (no "format": {FORMAT!r})')
    version = doc.get("version")
    if type(version) is not int or version != VERSION:
        raise ModelFileError(f"unsupported version {got(version)} (this library reads {VERSION})")
    model_cls, _ = _class_and_config(doc)
    if not issubclass(model_cls, cls):
        raise ModelFileError(f"the file holds a {doc['class']}, not a {class_name(cls)}; use {doc['class']}.load")
    state = doc.get("state")
    if not isinstance(state, dict):
        raise ModelFileError('"state" must be an object of parameter values')
    count = parameters_in_spec(doc)
    if count is not None and count > MAX_PARAMETERS:
        raise ModelFileError(
            f"the config describes {_count(count)} parameters, more than load builds "
            f"(nn.serialization.MAX_PARAMETERS = {MAX_PARAMETERS:,})"
        )
    if count is not None and count != len(state):
        raise ModelFileError(f"the config describes {_count(count)} parameters but the file holds {len(state)}")
    model = build_module(doc)
    try:
        model.load_state_dict(state)
    except ValueError as e:
        raise ModelFileError(str(e)) from e
    return model  # type: ignore[return-value]


def _count(n: int) -> str:
    """A parameter count for a message (a count of 5000 digits is not printed in full)."""
    return f"{n:,}" if n < 10**30 else f"about 10^{digits(n) - 1}"
