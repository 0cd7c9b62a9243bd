"""Module's parameter walk (every layout of Values, lists and child modules) and fit's parameter
checks, which name a parameter only when one is bad."""

from __future__ import annotations

import math
from typing import Any

import pytest

from autograd_core import Value
from nn import MLP, SGD, Module, TrainingDivergedError, accuracy, fit, hinge_loss, make_moons


class Leaf(Module):
    def __init__(self) -> None:
        self.w = [Value(1.0), Value(2.0)]
        self.b = Value(3.0)


class Mixed(Module):
    """Every place a parameter can sit: an attribute, a list of Values only, a list mixing Values,
    modules and other objects, an empty list, a child module, and non-parameters."""

    def __init__(self) -> None:
        self.scale = Value(0.5)
        self.empty: list[Any] = []
        self.parts = [Value(4.0), Leaf(), 7.0, "text", Value(5.0), Leaf()]
        self.weights = [Value(6.0), Value(6.5)]
        self.child = Leaf()
        self.numbers = [1.0, 2.0]
        self.note = "not a parameter"


def test_every_layout_of_parameters_is_named_in_attribute_order() -> None:
    model = Mixed()
    named = list(model.named_parameters())
    assert [name for name, _ in named] == [
        "scale",
        "parts.0",
        "parts.1.w.0",
        "parts.1.w.1",
        "parts.1.b",
        "parts.4",
        "parts.5.w.0",
        "parts.5.w.1",
        "parts.5.b",
        "weights.0",
        "weights.1",
        "child.w.0",
        "child.w.1",
        "child.b",
    ]
    assert [p.data for _, p in named] == [0.5, 4.0, 1.0, 2.0, 3.0, 5.0, 1.0, 2.0, 3.0, 6.0, 6.5, 1.0, 2.0, 3.0]
    assert model.parameters() == [p for _, p in named]  # the same Values, the same order
    assert model.num_parameters() == len(named) == 14
    assert [name for name, _ in model.named_parameters("m.")][:3] == ["m.scale", "m.parts.0", "m.parts.1.w.0"]
    assert [name for name, _ in model.children()] == ["parts.1", "parts.5", "child"]
    assert len(list(model.modules())) == 4


def test_a_list_changed_after_construction_is_walked_as_it_is_now() -> None:
    model = Mixed()
    model.weights.append(Leaf())  # no longer a list of Values only
    model.child.w[1] = Value(9.0)
    names = [name for name, _ in model.named_parameters()]
    assert names[9:16] == [
        "weights.0",
        "weights.1",
        "weights.2.w.0",
        "weights.2.w.1",
        "weights.2.b",
        "child.w.0",
        "child.w.1",
    ]
    assert model.parameters()[15].data == 9.0
    assert [name for name, _ in model.children()] == ["parts.1", "parts.5", "weights.2", "child"]


@pytest.mark.parametrize("compile", [False, True])
def test_fit_makes_no_parameter_names_unless_one_is_bad(compile: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numpy")
    X, y = make_moons(20, noise=0.1, seed=0)
    model = MLP(2, [4, 1], seed=0)
    named_parameters = model.named_parameters

    def refuse(prefix: str = "") -> Any:
        raise AssertionError("fit listed the parameters' names although all are finite")

    monkeypatch.setattr(model, "named_parameters", refuse)
    fit(model, X, y, hinge_loss, SGD(model.parameters(), lr=0.1), 2, progress=False, compile=compile)
    monkeypatch.setattr(model, "named_parameters", named_parameters)  # a bad one is named
    model.layers[1].neurons[0].w[3].data = math.inf
    with pytest.raises(ValueError, match=r"fit: parameter layers\.1\.neurons\.0\.w\.3 is inf before training"):
        fit(model, X, y, hinge_loss, SGD(model.parameters(), lr=0.1), 1, progress=False, compile=compile)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_array_data_is_checked_in_one_pass_and_a_bad_number_still_named(bad: float) -> None:
    np = pytest.importorskip("numpy")
    model = MLP(2, [3, 1], seed=0)
    big = np.full((4, 2), 1e308)  # finite numbers whose sum overflows: accepted
    assert accuracy(model, big, np.array([0, 1, 0, 1])) in (0.0, 0.25, 0.5, 0.75, 1.0)
    X = np.zeros((4, 2))
    X[2, 1] = bad
    with pytest.raises(ValueError, match=rf"fit\(X\): X\[2\]\[1\] \(example 2, feature 1\) is {bad}"):
        fit(model, X, np.array([0, 1, 0, 1]), hinge_loss, SGD(model.parameters(), lr=0.1), 1, progress=False)
    with pytest.raises(ValueError, match=rf"fit\(y\): y\[3\] is {bad}"):
        fit(model, np.zeros((4, 2)), np.array([0.0, 1.0, 0.0, bad]), hinge_loss, SGD(model.parameters(), lr=0.1), 1)


@pytest.mark.parametrize("compile", [False, True])
def test_weights_a_callback_sets_are_trained_on_with_or_without_compile(compile: bool) -> None:
    if compile:
        pytest.importorskip("numpy")
    X, y = make_moons(20, noise=0.1, seed=0)
    model = MLP(2, [4, 1], seed=0)
    weight = model.layers[0].neurons[2].w[1]
    seen = []

    def set_weight(epoch: int, history: object) -> None:
        seen.append(weight.data)
        weight.data = 100.0  # lr = 0 below: it stays 100 unless the callback's value is dropped

    fit(
        model,
        X,
        y,
        hinge_loss,
        SGD(model.parameters(), lr=0.0),
        3,
        progress=False,
        callback=set_weight,
        compile=compile,
    )
    assert seen[1:] == [100.0, 100.0]

    def poison(epoch: int, history: object) -> None:
        if epoch == 2:
            weight.data = math.nan  # relu(nan) = 0 and hinge(nan) = 0: the loss alone would not notice

    with pytest.raises(
        TrainingDivergedError, match=r"parameter layers\.0\.neurons\.2\.w\.1 is nan after an update at epoch 3"
    ):
        model = MLP(2, [4, 1], seed=0)
        weight = model.layers[0].neurons[2].w[1]
        fit(
            model,
            X,
            y,
            hinge_loss,
            SGD(model.parameters(), lr=0.1),
            10,
            progress=False,
            callback=poison,
            compile=compile,
        )
