"""save → load: exact round trips, atomic writes, and clear errors for bad or mismatched files."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

import nn
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
    with pytest.raises(ModelFileError, match="the config describes 17 parameters but the file holds 13"):
        MLP.load(path)
    MLP(2, [3, 1], seed=0).save(path)
    edit(path, lambda d: d["state"].update({"layers.0.neurons.9.b": d["state"].pop("layers.0.neurons.0.b")}))
    with pytest.raises(ModelFileError, match=r"missing layers\.0\.neurons\.0\.b; unexpected layers\.0\.neurons\.9\.b$"):
        MLP.load(path)
    MLP(2, [3, 1], seed=0).save(path)
    edit(path, lambda d: d["state"].update({"layers.0.neurons.0.b": "x"}))
    with pytest.raises(ModelFileError, match="must be a finite real number, got str: 'x'"):
        MLP.load(path)
    MLP(2, [3, 1], seed=0).save(path)
    edit(path, lambda d: d["config"].update(activation="swish"))
    with pytest.raises(ModelFileError, match="unknown activation 'swish'"):
        MLP.load(path)
    MLP(2, [3, 1], seed=0).save(path)
    edit(path, lambda d: d["config"].update(bogus=1))
    with pytest.raises(ModelFileError, match=r"MLP config: unknown keys \['bogus'\]"):
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


def write_doc(path: Path, cls: str, config: object, state: object | None = None) -> Path:
    path.write_text(
        json.dumps(
            {
                "format": "autograd-core.nn",
                "version": 1,
                "class": cls,
                "config": config,
                "state": {} if state is None else state,
            }
        )
    )
    return path


def test_a_huge_architecture_is_refused_before_anything_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_doc(tmp_path / "big.json", "MLP", {"nin": 100000, "nouts": [100000]})
    assert path.stat().st_size < 130

    def no_building(*args: object, **kwargs: object) -> None:
        raise AssertionError("load built a layer before checking the size")

    monkeypatch.setattr(Layer, "__init__", no_building)
    with pytest.raises(ModelFileError, match="describes 10,000,100,000 parameters, more than load builds"):
        MLP.load(path)
    monkeypatch.undo()
    state = {f"w{i}": 0.0 for i in range(4)}
    write_doc(
        path,
        "Sequential",
        {"layers": [{"class": "Layer", "config": {"nin": 10**6, "nout": 10**6, "activation": "relu"}}]},
        state,
    )
    with pytest.raises(ModelFileError, match="MAX_PARAMETERS"):
        Module.load(path)
    write_doc(path, "Neuron", {"nin": 1, "activation": "relu"})
    path.write_text(path.read_text().replace('"nin": 1', '"nin": 1' + "0" * 4000))  # 10^4000 inputs
    with pytest.raises(ModelFileError, match=r"describes about 10\^4000 parameters"):
        Module.load(path)


def test_every_kind_of_bad_file_raises_model_file_error(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    Neuron(2).save(path)
    text = path.read_text()
    cases = {
        "400-digit weight": (text.replace('"b": 0.0', '"b": ' + "9" * 400), "must be a finite real number"),
        "5000-digit weight": (text.replace('"b": 0.0', '"b": ' + "9" * 5000), "not a model file|finite real"),
        "rng in a Neuron": (text.replace('"nin": 2', '"nin": 2, "rng": "x"'), r"unknown keys \['rng'\]"),
        "fan_out": (text.replace('"nin": 2', '"nin": 2, "fan_out": -2'), r"unknown keys \['fan_out'\]"),
        "NaN size": (text.replace('"nin": 2', '"nin": NaN'), r"Neuron\(nin\) must be an int"),
        "bool version": (text.replace('"version": 1', '"version": true'), "unsupported version"),
        "deep JSON": ("[" * 100_000 + "]" * 100_000, "not a model file"),
    }
    for name, (content, message) in cases.items():
        path.write_text(content)
        with pytest.raises(ModelFileError, match=message):
            Module.load(path)
        assert name
    write_doc(path, "Sequential", {"layers": [5]})
    with pytest.raises(ModelFileError, match=r"a module spec must be an object .*got int: 5"):
        Module.load(path)
    write_doc(path, "Dropout", {"p": 0.5, "rng": "x"})
    with pytest.raises(ModelFileError, match=r"Dropout config: unknown keys \['rng'\]"):
        Module.load(path)
    leaf = '{"class": "Neuron", "config": {"nin": 1, "activation": "relu"}}'
    nested = '{"class": "Sequential", "config": {"layers": [' * 5000 + leaf + "]}}" * 5000
    path.write_text('{"format": "autograd-core.nn", "version": 1, ' + nested[1:-1] + ', "state": {"b": 0.0}}')
    with pytest.raises(ModelFileError, match="nested too deeply"):
        Module.load(path)


def test_a_users_class_named_mlp_does_not_replace_nn_mlp(tmp_path: Path) -> None:
    class MLP(nn.MLP):  # a user's own subclass with the same bare name
        pass

    nn.MLP(2, [3, 1], seed=0).save(tmp_path / "nn.json")
    assert type(nn.MLP.load(tmp_path / "nn.json")) is nn.MLP
    assert json.loads((tmp_path / "nn.json").read_text())["class"] == "MLP"  # files read by older versions too
    mine = MLP(2, [3, 1], seed=0)
    mine.save(tmp_path / "mine.json")
    assert json.loads((tmp_path / "mine.json").read_text())["class"] == f"{__name__}.{MLP.__qualname__}"
    assert type(nn.MLP.load(tmp_path / "mine.json")) is MLP  # a subclass loads through its parent
    assert type(Module.load(tmp_path / "mine.json")) is MLP
    with pytest.raises(ModelFileError, match="holds a MLP, not a"):
        MLP.load(tmp_path / "nn.json")


def test_each_class_declares_exactly_the_keys_its_config_writes() -> None:
    for module in [MLP(2, [3, 1], dropout=0.1), Layer(2, 3), Neuron(2), Dropout(0.2), Sequential(Layer(2, 1))]:
        assert tuple(module.config()) == type(module).config_keys
        assert type(module).parameters_in(module.config()) == module.num_parameters()
