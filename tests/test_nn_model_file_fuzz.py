"""Fuzzing the model loader: any JSON document gives a correct model or ModelFileError, nothing else."""

from __future__ import annotations

import atexit
import json
import math
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

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


FOLDER = Path(tempfile.mkdtemp(prefix="nn_fuzz_"))  # one folder for the whole run (removed at exit)
atexit.register(shutil.rmtree, FOLDER, ignore_errors=True)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, dict[str, Any] | None]:
    """(file text, the document if it is unchanged from a real save)."""
    draw(modules()).save(FOLDER / "saved.json")
    text = (FOLDER / "saved.json").read_text()
    doc = json.loads(text)
    how = draw(st.sampled_from(["valid", "mutated", "truncated", "oversized", "deleted"]))
    if how == "valid":
        return text, doc
    if how == "truncated":
        return text[: draw(st.integers(0, len(text) - 1))], None
    where = draw(st.sampled_from(paths(doc)[1:]))
    parent = doc
    for key in where[:-1]:
        parent = parent[key]
    if how == "deleted":
        del parent[where[-1]]
    elif how == "oversized":
        parent[where[-1]] = draw(st.sampled_from([10**6, 10**12, 10**400, [10**5] * 3]))
    else:
        parent[where[-1]] = draw(json_values)
    return json.dumps(doc), None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_the_loader_returns_a_correct_model_or_raises_model_file_error(case: tuple[str, dict[str, Any] | None]) -> None:
    text, original = case
    path = FOLDER / "fuzzed.json"
    path.write_text(text)
    try:
        model = Module.load(path)
    except ModelFileError:
        assert original is None, "a file written by save must load"
        return
    doc = json.loads(text)
    assert model.state_dict() == {k: float(v) for k, v in doc["state"].items()}
    assert all(math.isfinite(x) for x in model.state_dict().values())
    if original is not None:
        assert type(model).__name__ == original["class"] and model.config() == original["config"]
