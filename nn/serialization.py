"""Saving and loading models as JSON: the architecture (``config()``) plus the weights.

The file is ``{"format": "autograd-core.nn", "version": 1, "class": "MLP", "config": {…},
"state": {"layers.0.neurons.0.w.0": 0.123…, …}}``. Floats are written with ``repr``, so
they round-trip exactly. Writing goes to a temporary file in the same folder that is
renamed over the target, so a crash never leaves half a file.

Classes are named as ``class_name`` says: ``nn``'s own by their bare name (``"MLP"``),
any other ``Module`` subclass by ``module.QualifiedName``, the model and every module
inside it (a ``Sequential``'s children too). ``save`` refuses a module whose name would
load another class (two classes defined under one name); ``load`` builds only classes
registered under the name the file gives, and never imports anything.

Loading treats the file as untrusted. A path that cannot be opened raises the usual
``OSError`` (``FileNotFoundError``…); anything wrong with what is there raises
``ModelFileError``: not a regular file (a folder, a FIFO, a device such as ``/dev/zero``),
larger than ``MAX_FILE_BYTES``, not JSON, or a model that does not match its weights.
The size is bounded before anything is built: the parameters the config describes are
counted (exactly for every class that defines ``parameters_in``, ``nn``'s all do; for
another class, the modules its config holds are counted and each int in it must be at
most ``MAX_PARAMETERS``), and that count must be at most ``MAX_PARAMETERS`` and at most
the number of weights in ``"state"`` (equal when exact). While building, each module is
checked against the weights before the next is built. So a file naming only classes that
count (``nn``'s) builds nothing larger than its weights; a class that cannot count is
limited only by its own constructor, once, before the check stops the load.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar, overload

from autograd_core.files import write_atomically
from nn._checks import digits, got
from nn.module import Module, class_name

FORMAT = "autograd-core.nn"
VERSION = 1
MAX_PARAMETERS = 10_000_000  # the largest model load builds (each parameter is a Value: ~100 bytes)
MAX_FILE_BYTES = 100 * MAX_PARAMETERS  # the largest file load reads (a saved parameter takes ~60 bytes)
M = TypeVar("M", bound=Module)

_KINDS = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device"}
_built: ContextVar[list[int] | None] = ContextVar("_built", default=None)  # [parameters built, weights in the file]


class ModelFileError(ValueError):
    """A model file that cannot be read, is corrupt, or does not hold the expected model."""


# ------------------------------------------------------------------ saving
def save_module(module: Module, path: str | os.PathLike[str]) -> None:
    """Write ``module``'s class, config and weights to ``path`` atomically.

    Refuses (ValueError) a model with a NaN or infinite weight, which ``load`` would reject,
    and a module whose class name ``load`` would resolve to another class.
    """
    path = _path(path, "save(path)")
    for part in module.modules():
        _check_loadable(type(part), type(module).__name__)
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


def _check_loadable(cls: type[Module], model: str) -> None:
    """``cls`` is the class ``load`` builds from the name a file gives it."""
    name = class_name(cls)
    registered = Module.registry.get(name)
    if registered is not cls:
        raise ValueError(
            f"cannot save {model}: it holds a {cls.__qualname__} saved as {name!r}, but load builds another class "
            f"of that name (defined later, e.g. by running a notebook cell again); rebuild the model from the "
            f"current definition"
        )


def _path(path: object, where: str) -> Path:
    """``path`` as a Path: a str or os.PathLike (an int would be taken as an open file descriptor)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{where} must be a file path (a str or pathlib.Path), got {got(path)}")
    return Path(path)


# ----------------------------------------------------------- module specs
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
    except ModelFileError:
        raise
    except Exception as e:  # a user's parameters_in is code we did not write
        raise ModelFileError(f"{class_name(cls)} config: {e}") from e


def known_parameters_in_spec(spec: object) -> int:
    """The parameters a spec surely describes: ``parameters_in_spec`` where the class can tell, else
    those of the module specs inside its config (each int in such a config must be ≤ MAX_PARAMETERS)."""
    count = parameters_in_spec(spec)
    if count is not None:
        return count
    cls, config = _class_and_config(spec)
    return sum(known_parameters_in_spec(inner) for inner in _specs_inside(config, class_name(cls)))


def _specs_inside(x: object, where: str) -> Iterator[dict[str, Any]]:
    """The module specs (objects with a "class") in a config, with every other int bounded."""
    if isinstance(x, dict) and "class" in x:
        yield x
    elif isinstance(x, (dict, list)):
        for key, item in x.items() if isinstance(x, dict) else enumerate(x):
            yield from _specs_inside(item, f"{where}[{key!r}]")
    elif isinstance(x, int) and not isinstance(x, bool) and abs(x) > MAX_PARAMETERS:
        raise ModelFileError(
            f"{where} config is {_count(abs(x))}: a size larger than the largest model load builds "
            f"(nn.serialization.MAX_PARAMETERS = {MAX_PARAMETERS:,})"
        )


def build_module(spec: dict[str, Any]) -> Module:
    """A fresh module from ``{"class": name, "config": {...}}``.

    During ``load``, the parameters built so far are counted after each module and may not
    exceed the weights the file holds, so a container stops before building its next part.
    """
    cls, config = _class_and_config(spec)
    name = class_name(cls)
    make = getattr(cls, "from_config", cls)
    built = _built.get()
    before = built[0] if built is not None else 0
    try:
        module = make(**config)
    except (ModelFileError, RecursionError):
        raise
    except Exception as e:  # a constructor is code: any error it raises means the config does not fit
        raise ModelFileError(f"cannot build {name} from config {got(config)}: {e}") from e
    if built is not None:
        built[0] = before + module.num_parameters()
        if built[0] > built[1]:
            raise ModelFileError(
                f"building {name} gave {_count(built[0])} parameters so far, but the file holds {built[1]:,} weights"
            )
    return module


# ----------------------------------------------------------------- loading
@overload
def load_module(path: str | os.PathLike[str]) -> Module: ...


@overload
def load_module(path: str | os.PathLike[str], cls: type[M]) -> M: ...


def load_module(path: str | os.PathLike[str], cls: type[Module] = Module) -> Module:
    """The model saved at ``path``; ``ModelFileError`` if the file is bad or holds another class."""
    path = _path(path, f"{cls.__name__}.load(path)")
    try:
        doc = json.loads(_read(path).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelFileError(f"{path}: not a model file (corrupt JSON: {e})") from e
    except ModelFileError as e:
        raise ModelFileError(f"{path}: {e}") from None
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


def _read(path: Path) -> bytes:
    """The bytes of the regular file at ``path``, at most MAX_FILE_BYTES of them.

    Opened without blocking (a FIFO with no writer would wait forever) and checked with
    ``fstat`` on the open file before a byte is read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except PermissionError:
        if os.path.isdir(path):  # Windows cannot open a folder
            raise ModelFileError(f"not a model file but {_KINDS[stat.S_IFDIR]}") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise ModelFileError(f"not a model file but {kind}")
        if info.st_size > MAX_FILE_BYTES:
            raise ModelFileError(f"{info.st_size:,} bytes, {_too_large()}")
        with os.fdopen(fd, "rb") as f:
            fd = -1  # closed by f
            data = f.read(MAX_FILE_BYTES + 1)
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > MAX_FILE_BYTES:  # the file grew after fstat
        raise ModelFileError(f"the file grew while read: {_too_large()}")
    return data


def _too_large() -> str:
    return f"more than load reads (nn.serialization.MAX_FILE_BYTES = {MAX_FILE_BYTES:,})"


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
    _check_count(doc, len(state))
    token = _built.set([0, min(len(state), MAX_PARAMETERS)])
    try:
        model = build_module(doc)
    finally:
        _built.reset(token)
    if not isinstance(model, cls):  # a from_config that builds another class
        raise ModelFileError(f"building {doc['class']} gave a {class_name(type(model))}, not a {class_name(cls)}")
    try:
        model.load_state_dict(state)
    except ValueError as e:
        raise ModelFileError(str(e)) from e
    return model


def _check_count(doc: dict[str, Any], weights: int) -> None:
    """The parameters the config describes: at most MAX_PARAMETERS, and as many as the weights
    (at least as many, where a class cannot count its own)."""
    known = known_parameters_in_spec(doc)
    exact = parameters_in_spec(doc) is not None
    at_least = "" if exact else "at least "
    if known > MAX_PARAMETERS:
        raise ModelFileError(
            f"the config describes {at_least}{_count(known)} parameters, more than load builds "
            f"(nn.serialization.MAX_PARAMETERS = {MAX_PARAMETERS:,})"
        )
    if known > weights or (exact and known != weights):
        raise ModelFileError(f"the config describes {at_least}{_count(known)} parameters but the file holds {weights}")


def _count(n: int) -> str:
    """A parameter count for a message (a count of 5000 digits is not printed in full)."""
    return f"{n:,}" if n < 10**30 else f"about 10^{digits(n) - 1}"
