"""The main job: ``python -m nn.demo`` trains on the moons and writes its pictures; digits runs too."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from autograd_core.extras import MissingExtraError
from nn import MLP, load_digits, make_moons
from nn.demo import draw_neuron, main


def test_moons_demo_trains_and_writes_its_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    acc = main(["--out", str(tmp_path), "--no-progress"])
    assert acc >= 0.97
    printed = capsys.readouterr().out
    assert f"outputs go to {tmp_path}" in printed and "training accuracy" in printed
    assert (tmp_path / "moons_decision_boundary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (tmp_path / "neuron_graph.svg").read_text()
    assert "<svg" in svg and "ReLU" in svg and "w0" in svg
    assert MLP.load(tmp_path / "moons_mlp.json").num_parameters() == 337


def test_without_graphviz_the_neuron_graph_is_written_as_dot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` program here
    X, _ = make_moons(10, noise=0.1, seed=0)
    path = draw_neuron(MLP(2, [4, 1], seed=0), X, tmp_path)
    assert path == tmp_path / "neuron_graph.dot"
    assert path.read_text().startswith("digraph")
    assert "writing the DOT source instead" in capsys.readouterr().out


def test_digits_demo_runs_and_reports_test_accuracy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    acc = main(["digits", "--epochs", "1", "--out", str(tmp_path), "--no-progress"])
    assert 0.5 < acc <= 1.0  # one epoch; the ≥ 95 % run is in benchmarks/bench_nn.py
    assert f"test accuracy {acc:.1%}" in capsys.readouterr().out
    assert json.loads((tmp_path / "digits_mlp.json").read_text())["config"]["nouts"] == [32, 10]


def test_the_readme_nn_example_runs_as_written() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Neural nets: `nn`") :]
    code = section[section.index("```python\n") + 10 : section.index("```\n", section.index("```python"))]
    namespace: dict[str, object] = {}
    exec(code.replace("epochs=100", "epochs=100, progress=False"), namespace)
    assert namespace["history"].steps == 100  # type: ignore[attr-defined]
    assert namespace["accuracy"](namespace["model"], namespace["X"], namespace["y"]) >= 0.97  # type: ignore[operator]


@pytest.mark.parametrize(("package", "extra"), [("matplotlib", "nn"), ("sklearn", "nn"), ("graphviz", "viz")])
def test_a_missing_package_is_named_with_its_extra_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, package: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, package, None)  # as if it were not installed

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("the demo trained before checking its extras")

    monkeypatch.setattr("nn.demo.fit", no_training)
    with pytest.raises(MissingExtraError, match=rf"python -m nn.demo moons needs the '{package}' package.*\[{extra}\]"):
        main(["--out", str(tmp_path), "--no-progress"])
    assert not list(tmp_path.iterdir())


def test_the_data_sets_without_scikit_learn_name_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "sklearn" or m.startswith("sklearn.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(MissingExtraError, match=r"make_moons needs the 'sklearn' package.*autograd-core\[nn\]"):
        make_moons(10)
    with pytest.raises(MissingExtraError, match=r"load_digits needs the 'sklearn' package"):
        load_digits()
