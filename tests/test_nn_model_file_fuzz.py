"""Fuzzing the model loader: any file, or anything at the path, gives a correct model or ModelFileError.

Each example saves a random model into ``tmp_path`` and loads it back unchanged, mutated,
truncated, given oversized numbers or missing a key; or it points the loader at something
that is not a model file at all: a folder, a FIFO with no writer, a symlink to
``/dev/zero`` or ``/dev/null``, an empty file, a file of random bytes. A POSIX timer turns
a hang into a failure, so "keeps running" is checked, not hoped for.
"""

from __future__ import annotations

import json
import math
import os
import random
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nn import MLP, Dropout, Layer, ModelFileError, Module, Neuron, Sequential

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
sizes = st.integers(1, 3)
activations = st.sampled_from(["linear", "relu", "tanh", "sigmoid"])
SPECIAL = ["folder", "empty", "random bytes"] + ([] if sys.platform == "win32" else ["fifo", "/dev/zero", "/dev/null"])


@st.composite
def modules(draw: st.DrawFn, depth: int = 0) -> Module:
    rng = random.Random(draw(st.integers(0, 9)))
    kind = draw(st.sampled_from(["MLP", "Layer", "Neuron", "Dropout"] + (["Sequential"] if depth < 2 else [])))
    if kind == "MLP":
        return MLP(
            draw(sizes), draw(st.lists(sizes, min_size=1, max_size=3)), draw(activations), seed=rng.randrange(100)
        )
    if kind == "Layer":
        return Layer(draw(sizes), draw(sizes), draw(activations), rng=rng)
    if kind == "Neuron":
        return Neuron(draw(sizes), draw(activations), rng=rng)
    if kind == "Dropout":
        return Dropout(draw(st.floats(0.0, 0.9)))
    return Sequential(*draw(st.lists(modules(depth + 1), max_size=3)))


def paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON tree, as a tuple of keys/indices."""
    found = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            found += paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            found += paths(v, (*prefix, i))
    return found


def damaged(data: st.DataObject, text: str) -> tuple[str, bool]:
    """(the saved text, changed in one drawn way; whether it is still the file save wrote)."""
    how = data.draw(st.sampled_from(["valid", "mutated", "truncated", "oversized", "deleted"]))
    if how == "valid":
        return text, True
    if how == "truncated":
        return text[: data.draw(st.integers(0, len(text) - 1))], False
    doc = json.loads(text)
    where = data.draw(st.sampled_from(paths(doc)[1:]))
    parent = doc
    for key in where[:-1]:
        parent = parent[key]
    if how == "deleted":
        del parent[where[-1]]
    elif how == "oversized":
        parent[where[-1]] = data.draw(st.sampled_from([10**6, 10**12, 10**400, [10**5] * 3]))
    else:
        parent[where[-1]] = data.draw(json_values)
    return json.dumps(doc), False


def special(kind: str, folder: Path, data: st.DataObject) -> Path:
    """A path to something that is not a model file (made once per test)."""
    path = folder / kind.replace("/", "_").replace(" ", "_")
    if kind == "random bytes":
        path.write_bytes(data.draw(st.binary(max_size=200)))
    elif path.exists() or path.is_symlink():
        return path
    elif kind == "folder":
        path.mkdir()
    elif kind == "empty":
        path.touch()
    elif kind == "fifo":
        os.mkfifo(path)  # no writer: a blocking open would wait forever
    else:
        path.symlink_to(kind)
    return path


@contextmanager
def at_most(seconds: float) -> Iterator[None]:
    """Raise TimeoutError in the block after ``seconds`` (POSIX; elsewhere no limit)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def timeout(signum: int, frame: object) -> None:
        raise TimeoutError(f"the loader did not return within {seconds} s")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_the_loader_returns_a_correct_model_or_raises_model_file_error(tmp_path: Path, data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["saved model"] * 3 + SPECIAL))
    original = None
    if kind == "saved model":
        model = data.draw(modules())
        path = tmp_path / "model.json"
        model.save(path)
        text, unchanged = damaged(data, path.read_text())
        path.write_text(text)
        original = json.loads(text) if unchanged else None
    else:
        path = special(kind, tmp_path, data)
    try:
        with at_most(10.0):
            loaded = Module.load(path)
    except ModelFileError:
        assert original is None, "a file written by save must load"
        return
    assert kind == "saved model", f"{kind} loaded as a model"
    doc = json.loads(path.read_text())
    assert loaded.state_dict() == {k: float(v) for k, v in doc["state"].items()}
    assert all(math.isfinite(x) for x in loaded.state_dict().values())
    if original is not None:
        assert type(loaded).__name__ == original["class"] and loaded.config() == original["config"]


def test_a_missing_path_raises_the_usual_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):  # a wrong path, not a bad file: what open() raises
        Module.load(tmp_path / "missing.json")
