"""save → load: exact round trips, atomic writes, and clear errors for bad or mismatched files."""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

import pytest

import nn
import nn.serialization
from autograd_core import Value
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


class Scale(Module):
    """A user module without parameters_in: y = s·x elementwise, one parameter s."""

    def __init__(self, s: float = 2.0) -> None:
        self.s = Value(s)

    def __call__(self, x: list[Value]) -> list[Value]:
        return [self.s * xi for xi in x]

    def config(self) -> dict[str, object]:
        return {}


class Wide(Module):
    """A user module that cannot count its parameters before it is built: n of them."""

    built = 0

    def __init__(self, n: int) -> None:
        Wide.built += 1
        self.n = n
        self.w = [Value(0.0) for _ in range(n)]

    def config(self) -> dict[str, object]:
        return {"n": self.n}


def test_a_sequential_of_user_modules_saves_their_qualified_names_and_loads_back(tmp_path: Path) -> None:
    class Layer(nn.Layer):  # a user's own layer under nn's name, with its own __call__
        def __call__(self, x: list[Value]) -> list[Value]:  # type: ignore[override]
            return [100.0 * a for a in super().__call__(x)]

    model = Sequential(Layer(2, 2, "tanh", rng=random.Random(0)), Scale(3.0), nn.Layer(2, 1, "linear"))
    out = model([0.5, -1.0])[0].data
    model.save(tmp_path / "seq.json")
    names = [spec["class"] for spec in json.loads((tmp_path / "seq.json").read_text())["config"]["layers"]]
    assert names == [f"{__name__}.{Layer.__qualname__}", f"{__name__}.Scale", "Layer"]
    loaded = Sequential.load(tmp_path / "seq.json")
    assert [type(m) for m in loaded.layers] == [Layer, Scale, nn.Layer]
    assert loaded([0.5, -1.0])[0].data == out  # 100× the nn.Layer's output, as before saving


def test_a_class_name_that_would_load_another_class_is_refused_at_save(tmp_path: Path) -> None:
    def define() -> type[Module]:
        class Twice(Scale):  # the same qualified name each time, like a notebook cell run twice
            pass

        return Twice

    old = define()
    model = Sequential(old())
    define()
    with pytest.raises(ValueError, match=r"holds a .*Twice saved as .*, but load builds another class"):
        model.save(tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()


def test_a_module_that_cannot_count_does_not_lift_the_size_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_building(*args: object, **kwargs: object) -> None:
        raise AssertionError("load built a module before checking the size")

    monkeypatch.setattr(Layer, "__init__", no_building)
    monkeypatch.setattr(Scale, "__init__", no_building)
    scale = {"class": f"{__name__}.Scale", "config": {}}
    big = {"class": "Layer", "config": {"nin": 100_000, "nout": 20, "activation": "relu"}}
    path = write_doc(tmp_path / "m.json", "Sequential", {"layers": [scale, big]}, {"s": 1.0})
    assert path.stat().st_size < 300
    with pytest.raises(ModelFileError, match="describes at least 2,000,020 parameters but the file holds 1"):
        Module.load(path)
    big["config"].update(nin=10**6, nout=10**6)
    write_doc(path, "Sequential", {"layers": [scale, big]}, {f"w{i}": 0.0 for i in range(3)})
    with pytest.raises(ModelFileError, match=r"at least 1,000,001,000,000 parameters, more than load builds"):
        Module.load(path)


def test_each_built_module_is_checked_against_the_weights_before_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Wide.built = 0
    layers_built = []
    monkeypatch.setattr(Layer, "__init__", lambda self, *a, **k: layers_built.append(a))
    wide = {"class": f"{__name__}.Wide", "config": {"n": 1000}}
    layer = {"class": "Layer", "config": {"nin": 2, "nout": 1, "activation": "relu"}}
    path = write_doc(tmp_path / "m.json", "Sequential", {"layers": [wide, layer]}, {f"w{i}": 0.0 for i in range(5)})
    with pytest.raises(ModelFileError, match=r"building .*Wide gave 1,000 parameters so far, but the file holds 5"):
        Module.load(path)
    assert Wide.built == 1 and layers_built == []  # stopped before the next module
    wide["config"]["n"] = 10**9  # an int no model can need: refused before building
    write_doc(path, "Sequential", {"layers": [wide, layer]}, {f"w{i}": 0.0 for i in range(5)})
    with pytest.raises(ModelFileError, match=r"Wide\['n'\] config is 1,000,000,000: a size larger than"):
        Module.load(path)
    assert Wide.built == 1
    monkeypatch.undo()
    wide["config"]["n"] = 3  # and a model that fits loads
    write_doc(
        path,
        "Sequential",
        {"layers": [wide, layer]},
        {
            **{f"layers.0.w.{i}": 0.5 for i in range(3)},
            "layers.1.neurons.0.w.0": 1.0,
            "layers.1.neurons.0.w.1": 2.0,
            "layers.1.neurons.0.b": 3.0,
        },
    )
    assert Module.load(path).num_parameters() == 6


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev")
@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "/dev/null"])
def test_special_files_are_refused_without_reading(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "model.json"
    if kind == "fifo":
        os.mkfifo(path)  # no writer: open() would wait forever
    else:
        path.symlink_to(kind)  # /dev/zero would be read until memory runs out
    with pytest.raises(
        ModelFileError, match=f"model.json: not a model file but a {'FIFO' if kind == 'fifo' else 'device'}"
    ):
        Module.load(path)


def test_a_folder_and_a_file_too_large_raise_model_file_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ModelFileError, match="not a model file but a folder"):
        Module.load(tmp_path)
    Neuron(2).save(tmp_path / "n.json")
    size = (tmp_path / "n.json").stat().st_size
    monkeypatch.setattr(nn.serialization, "MAX_FILE_BYTES", size - 1)
    with pytest.raises(ModelFileError, match=f"{size:,} bytes, more than load reads"):
        Module.load(tmp_path / "n.json")
    monkeypatch.setattr(nn.serialization, "MAX_FILE_BYTES", size)
    assert Module.load(tmp_path / "n.json").num_parameters() == 3
