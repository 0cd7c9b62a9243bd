"""Losses refuse what would silently train nothing: BCE on non-probabilities, wrong target types."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from autograd_core import Value
from nn import (
    MLP,
    SGD,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    fit,
    l1_penalty,
    l2_penalty,
    softmax,
)


def test_binary_cross_entropy_refuses_predictions_outside_0_1_and_suggests_logits() -> None:
    with pytest.raises(ValueError, match=r"prediction 0 is 1.5, outside \[0, 1\].*binary_cross_entropy_with_logits"):
        binary_cross_entropy(Value(1.5), 1.0)
    model = MLP(2, [4, 1], seed=0)  # a linear output: raw scores, not probabilities
    scores = model.batch([[3.0, -2.0], [-3.0, 2.0], [1.0, 1.0]])
    assert not all(0.0 <= s.data <= 1.0 for s in scores)
    with pytest.raises(ValueError, match="sigmoid output"):
        binary_cross_entropy(scores, [1, 0, 1])


@pytest.mark.parametrize("loss", [binary_cross_entropy, binary_cross_entropy_with_logits])
@pytest.mark.parametrize("bad", [3, -1.0, 1.0000001, math.nan])
def test_both_bces_refuse_targets_outside_0_1(loss: Callable[..., Value], bad: float) -> None:
    with pytest.raises(ValueError, match=rf"{loss.__name__}: target 1 is {float(bad)!r}; targets are probabilities"):
        loss([Value(0.5), Value(0.5)], [1.0, bad])
    assert loss([Value(0.5), Value(0.5)], [0, 1]).data > 0  # labels 0 and 1 are fine


@pytest.mark.parametrize("loss", [binary_cross_entropy, binary_cross_entropy_with_logits])
def test_both_bces_refuse_targets_outside_0_1_when_compiled(loss: Callable[..., Value]) -> None:
    pytest.importorskip("numpy")
    model = MLP(2, [3, 1], output_activation="sigmoid", seed=0)
    X, y = [[0.0, 1.0], [1.0, 0.0]], [1.0, 3.0]
    for compile in (False, True):
        with pytest.raises(ValueError, match=rf"{loss.__name__}: target 1 is 3.0"):
            fit(model, X, y, loss, SGD(model.parameters(), lr=0.1), 1, compile=compile, progress=False)


def test_cross_entropy_with_a_float_target_says_an_index_is_expected() -> None:
    z = [Value(1.0), Value(2.0)]
    with pytest.raises(TypeError, match=r"cross_entropy\(target_index\) must be a class index.*float: 1.0"):
        cross_entropy(z, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"target index must be an int in \[0, 2\), got True"):
        cross_entropy([z], [True])


@pytest.mark.parametrize("penalty", [l1_penalty, l2_penalty])
def test_penalties_want_values(penalty: object) -> None:
    with pytest.raises(TypeError, match=r"penalty\(params\) must be Values .*model.parameters\(\).*float at 0: 1.0"):
        penalty([1.0])  # type: ignore[operator]


def test_softmax_of_nothing_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="softmax needs a non-empty list"):
        softmax([])
