"""save → load: exact round trips, atomic writes, and clear errors for bad or mismatched files."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from nn import MLP, Dropout, Layer, ModelFileError, Module, Neuron, Sequential


def test_round_trip_gives_identical_weights_and_predictions(tmp_path: Path) -> None:
    model = MLP(3, [5, 4, 2], activation="tanh", output_activation="sigmoid", seed=3, dropout=0.1)
    for p in model.parameters():
        p.data += 1e-17 + 1 / 3  # awkward floats
    path = tmp_path / "model.json"
    model.save(path)
    loaded = MLP.load(path)
    assert loaded.state_dict() == model.state_dict()  # exact float equality
    assert loaded.config() == model.config()
    model.eval(), loaded.eval()
    for x in ([0.1, 0.2, 0.3], [-5.0, 2.0, 0.0]):
        assert [v.data for v in loaded(x)] == [v.data for v in model(x)]
    assert [p.label for p in loaded.parameters()] == [p.label for p in model.parameters()]
    assert [f for f in os.listdir(tmp_path)] == ["model.json"]  # no temp file left behind


def test_sequential_and_neuron_round_trip(tmp_path: Path) -> None:
    seq = Sequential(Layer(2, 3, "tanh", rng=random.Random(0)), Dropout(0.3), Layer(3, 1, "sigmoid"))
    seq.save(tmp_path / "seq.json")
    loaded = Sequential.load(tmp_path / "seq.json")
    assert loaded.state_dict() == seq.state_dict() and repr(loaded) == repr(seq)
    neuron = Neuron(4, "softplus")
    neuron.save(tmp_path / "n.json")
    assert Module.load(tmp_path / "n.json").state_dict() == neuron.state_dict()


def test_loading_another_class_is_refused(tmp_path: Path) -> None:
    Neuron(2).save(tmp_path / "n.json")
    with pytest.raises(ModelFileError, match="holds a Neuron, not a MLP"):
        MLP.load(tmp_path / "n.json")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "corrupt JSON"),
        (b"\xff\xfe\x00", "corrupt JSON"),
        ('{"format": "something else"}', "not a model file"),
        ("[1, 2]", "not a model file"),
    ],
)
def test_corrupt_files_raise_model_file_error(tmp_path: Path, content: str | bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ModelFileError, match=message):
        MLP.load(path)


def edit(path: Path, change: callable) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def test_files_whose_weights_do_not_match_the_architecture(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=0).save(path)
    edit(path, lambda d: d["config"].update(nouts=[4, 1]))
    with pytest.raises(ModelFileError, match=r"missing layers\.0\.neurons\.3\.w\.0"):
        MLP.load(path)
    MLP(2, [3, 1], seed=0).save(path)
    edit(path, lambda d: d["state"].update({"layers.0.neurons.0.b": "x"}))
    with pytest.raises(ModelFileError, match="must be a finite real number, got 'x'"):
        MLP.load(path)
    MLP(2, [3, 1], seed=0).save(path)
    edit(path, lambda d: d["config"].update(activation="swish"))
    with pytest.raises(ModelFileError, match="unknown activation 'swish'"):
        MLP.load(path)
    MLP(2, [3, 1], seed=0).save(path)
    edit(path, lambda d: d["config"].update(bogus=1))
    with pytest.raises(ModelFileError, match="cannot build MLP"):
        MLP.load(path)


def test_a_failed_save_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=0).save(path)
    before = path.read_text()

    class Unsaveable(Module):
        def __init__(self) -> None:
            self.x = [Neuron(1)]

        def config(self) -> dict[str, object]:
            return {"bad": object()}  # not JSON

    with pytest.raises(TypeError):
        Unsaveable().save(path)
    assert path.read_text() == before
    assert os.listdir(tmp_path) == ["m.json"]


def test_a_diverged_model_is_not_saved(tmp_path: Path) -> None:
    model = MLP(2, [2, 1], seed=0)
    model.layers[1].neurons[0].b.data = float("inf")
    with pytest.raises(ValueError, match=r"parameter layers\.1\.neurons\.0\.b is inf"):
        model.save(tmp_path / "m.json")
    assert os.listdir(tmp_path) == []
