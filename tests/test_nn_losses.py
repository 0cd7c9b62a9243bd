"""Losses: values against their formulas, gradients against central differences, lengths, stability."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from autograd_core import Value, gradcheck
from nn import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l1_penalty,
    l2_penalty,
    log_softmax,
    mse_loss,
    quadratic_cost,
    softmax,
)


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_values_match_the_formulas() -> None:
    a, y = [0.2, 0.9, -0.4], [0.0, 1.0, 1.0]
    assert mse_loss([Value(v) for v in a], y).data == pytest.approx(sum((p - t) ** 2 for p, t in zip(a, y)) / 3)
    assert quadratic_cost([Value(v) for v in a], y).data == pytest.approx(sum((p - t) ** 2 for p, t in zip(a, y)) / 6)
    # vectors: C = 1/(2n) Σ‖y − a‖² over n = 2 examples; MSE averages all 4 outputs
    vec_a, vec_y = [[Value(0.5), Value(0.1)], [Value(0.3), Value(0.8)]], [[1.0, 0.0], [0.0, 1.0]]
    assert quadratic_cost(vec_a, vec_y).data == pytest.approx((0.25 + 0.01 + 0.09 + 0.04) / 4)
    assert mse_loss(vec_a, vec_y).data == pytest.approx((0.25 + 0.01 + 0.09 + 0.04) / 4)
    p = [0.2, 0.7]
    assert binary_cross_entropy([Value(v) for v in p], [0, 1]).data == pytest.approx(
        -(math.log(0.8) + math.log(0.7)) / 2
    )
    assert binary_cross_entropy_with_logits([Value(2.0), Value(-1.0)], [1, 1]).data == pytest.approx(
        -(math.log(sigmoid(2.0)) + math.log(sigmoid(-1.0))) / 2
    )
    assert hinge_loss([Value(0.5), Value(2.0), Value(0.3)], [1, -1, 0]).data == pytest.approx((0.5 + 3.0 + 1.3) / 3)
    z = [5.0, 2.0, -1.0, 3.0]  # the notes' softmax example
    total = sum(math.exp(v) for v in z)
    assert [s.data for s in softmax(z)] == pytest.approx([math.exp(v) / total for v in z])
    assert [s.data for s in log_softmax(z)] == pytest.approx([v - math.log(total) for v in z])
    assert cross_entropy([Value(v) for v in z], 3).data == pytest.approx(math.log(total) - 3.0)
    assert l1_penalty([Value(-2.0), Value(0.5)]).data == 2.5
    assert l2_penalty([Value(-2.0), Value(0.5)]).data == 4.25


LOSSES: list[tuple[str, Callable[..., Value], list[float]]] = [
    ("mse", lambda *v: mse_loss(list(v), [0.0, 1.0, 0.5]), [0.2, 0.9, -0.4]),
    (
        "quadratic",
        lambda *v: quadratic_cost([list(v[:2]), list(v[2:])], [[1.0, 0.0], [0.0, 1.0]]),
        [0.5, 0.1, 0.3, 0.8],
    ),
    ("bce", lambda *v: binary_cross_entropy(list(v), [0.0, 1.0, 1.0]), [0.2, 0.7, 0.45]),
    ("bce_logits", lambda *v: binary_cross_entropy_with_logits(list(v), [0.0, 1.0, 1.0]), [0.2, -2.0, 3.0]),
    ("hinge", lambda *v: hinge_loss(list(v), [1, -1, 1]), [0.4, 0.2, 1.7]),
    ("cross_entropy", lambda *v: cross_entropy([list(v[:3]), list(v[3:])], [2, 0]), [0.1, 1.5, -0.3, 2.0, 0.2, 0.7]),
    ("softmax", lambda *v: sum(s * (i + 1) for i, s in enumerate(softmax(list(v)))), [0.5, -1.0, 2.0]),
    ("log_softmax", lambda *v: sum(s * (i + 1) for i, s in enumerate(log_softmax(list(v)))), [0.5, -1.0, 2.0]),
    ("l1", lambda *v: l1_penalty(list(v)), [0.3, -1.2]),
    ("l2", lambda *v: l2_penalty(list(v)), [0.3, -1.2]),
]


@pytest.mark.parametrize(("name", "f", "inputs"), LOSSES, ids=[n for n, _, _ in LOSSES])
def test_gradients_match_central_differences(name: str, f: Callable[..., Value], inputs: list[float]) -> None:
    assert gradcheck(f, inputs)


def test_a_single_prediction_equals_a_batch_of_one() -> None:
    assert mse_loss(Value(0.3), 1.0).data == mse_loss([Value(0.3)], [1.0]).data == pytest.approx(0.49)
    assert hinge_loss(Value(0.3), -1).data == pytest.approx(1.3)
    assert cross_entropy([1.0, 2.0], 1).data == cross_entropy([[1.0, 2.0]], [1]).data


def test_mismatched_lengths_name_both_lengths() -> None:
    with pytest.raises(ValueError, match="mse_loss: got 3 predictions but 2 targets"):
        mse_loss([Value(0.0)] * 3, [0.0, 1.0])
    with pytest.raises(ValueError, match="cross_entropy: got 2 logit vectors but 1 targets"):
        cross_entropy([[1.0, 2.0], [0.0, 1.0]], [1])
    with pytest.raises(ValueError, match="quadratic_cost: example 0 has 2 outputs but its target has 3"):
        quadratic_cost([[Value(0.0), Value(1.0)]], [[0.0, 1.0, 0.0]])
    with pytest.raises(ValueError, match=r"target index must be an int in \[0, 2\), got 2"):
        cross_entropy([1.0, 2.0], 2)
    with pytest.raises(ValueError, match=r"targets must be \+1 or -1.*got 2"):
        hinge_loss([Value(0.0)], [2])
    with pytest.raises(TypeError, match="mse_loss prediction must be a Value or a real number, got str"):
        mse_loss(["a"], [1.0])


@pytest.mark.parametrize("z", [1000.0, -1000.0])
def test_finite_at_logits_of_plus_minus_1000(z: float) -> None:
    logits = [Value(z), Value(0.0), Value(-z)]
    values = [
        cross_entropy(logits, 1),
        binary_cross_entropy_with_logits([Value(z)], [0]),
        binary_cross_entropy([Value(z).sigmoid()], [0]),
        binary_cross_entropy([Value(z).sigmoid()], [1]),
        hinge_loss([Value(z)], [1]),
        *softmax(logits),
        *log_softmax(logits),
    ]
    for v in values:
        v.backward()
        assert math.isfinite(v.data)
    assert all(math.isfinite(x.grad) for x in logits)
    assert cross_entropy(logits, 1).data == pytest.approx(1000.0)
    assert binary_cross_entropy_with_logits([Value(z)], [0]).data == pytest.approx(max(z, 0.0))
    assert math.fsum(s.data for s in softmax(logits)) == pytest.approx(1.0)


def test_binary_cross_entropy_clamps_instead_of_taking_log_zero() -> None:
    loss = binary_cross_entropy([Value(0.0), Value(1.0)], [1, 0])
    assert loss.data == pytest.approx(-math.log(1e-12), rel=1e-6)


def test_cross_entropy_gradient_is_softmax_minus_one_hot() -> None:
    z = [Value(5.0), Value(2.0), Value(-1.0), Value(3.0)]
    cross_entropy(z, 0).backward()
    s = [v.data for v in softmax([5.0, 2.0, -1.0, 3.0])]
    assert [v.grad for v in z] == pytest.approx([s[0] - 1, s[1], s[2], s[3]])
