"""nn.Adam: PyTorch's rule (against torch.optim.Adam where installed, and by hand), groups, state_dict, bad input."""

from __future__ import annotations

import math
import random

import pytest
from conftest import torch_or_skip

from autograd_core import Value
from nn import MLP, SGD, Adam, cross_entropy


def test_one_step_by_hand_with_bias_correction() -> None:
    p = Value(1.0)
    opt = Adam([p], lr=0.1, betas=(0.9, 0.99), eps=1e-8)
    p.grad = 2.0
    opt.step()
    m, v = 0.1 * 2.0, 0.01 * 4.0  # (1 − β₁)·g and (1 − β₂)·g²
    m_hat, v_hat = m / (1 - 0.9), v / (1 - 0.99)  # = g and g²: the first step moves by lr·sign(g)
    assert p.data == pytest.approx(1.0 - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8), rel=1e-15)
    assert p.data == pytest.approx(0.9, rel=1e-7)
    assert opt.state[p] == (1, pytest.approx(m), pytest.approx(v))


def test_weight_decay_is_added_to_the_gradient_as_in_torch() -> None:
    p, q = Value(2.0), Value(2.0)
    with_wd, without = Adam([p], lr=0.01, weight_decay=0.5), Adam([q], lr=0.01)
    p.grad, q.grad = 1.0, 1.0 + 0.5 * 2.0  # g + λ·p by hand
    with_wd.step()
    without.step()
    assert p.data == q.data


def losses_and_grads(model: MLP, X: list[list[float]], y: list[int]) -> float:
    loss = sum(cross_entropy(model(x), t) for x, t in zip(X, y)) / len(X)
    loss.backward()
    return loss.data


def test_thirty_steps_agree_with_torch_optim_adam() -> None:
    torch = torch_or_skip()
    from nn import to_torch

    rng = random.Random(0)
    X = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(12)]
    y = [rng.randrange(3) for _ in range(12)]
    model = MLP(3, [5, 3], activation="tanh", seed=1)
    twin = to_torch(model)
    weights = [p for n, p in model.named_parameters() if ".w." in n]
    biases = [p for n, p in model.named_parameters() if n.endswith(".b")]
    ours = Adam([{"params": weights}, {"params": biases, "lr": 0.03, "weight_decay": 0.0}], lr=0.02, weight_decay=0.01)
    linears = [m for m in twin.modules() if isinstance(m, torch.nn.Linear)]
    theirs = torch.optim.Adam(
        [
            {"params": [m.weight for m in linears]},
            {"params": [m.bias for m in linears], "lr": 0.03, "weight_decay": 0.0},
        ],
        lr=0.02,
        weight_decay=0.01,
    )
    Xt, yt = torch.tensor(X, dtype=torch.float64), torch.tensor(y)
    for _ in range(35):
        ours.zero_grad()
        losses_and_grads(model, X, y)
        ours.step()
        theirs.zero_grad()
        torch.nn.functional.cross_entropy(twin(Xt), yt).backward()
        theirs.step()
    for layer, linear in zip(model.layers, linears):
        W = [[w.data for w in n.w] for n in layer.neurons]
        torch.testing.assert_close(linear.weight.detach(), torch.tensor(W, dtype=torch.float64), rtol=1e-9, atol=1e-12)
        b = [n.b.data for n in layer.neurons]
        torch.testing.assert_close(linear.bias.detach(), torch.tensor(b, dtype=torch.float64), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("make", [lambda ps: Adam(ps, lr=0.05), lambda ps: SGD(ps, lr=0.1, momentum=0.9)])
def test_state_dict_restores_the_optimiser_exactly(make) -> None:
    rng = random.Random(3)
    X, y = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(8)], [rng.randrange(2) for _ in range(8)]
    model = MLP(2, [4, 2], seed=0)
    opt = make(model.parameters())
    for _ in range(3):
        opt.zero_grad()
        losses_and_grads(model, X, y)
        opt.step()
    saved_model, saved_opt = model.state_dict(), opt.state_dict()
    assert sorted(saved_opt["state"]) == list(range(len(model.parameters())))
    assert saved_opt["param_groups"][0]["params"] == list(range(len(model.parameters())))
    trajectory = []
    for _ in range(2):  # two more steps, then the same two from the restored copy
        opt.zero_grad()
        losses_and_grads(model, X, y)
        opt.step()
        trajectory.append([p.data for p in model.parameters()])
    copy = MLP(2, [4, 2], seed=5)
    copy.load_state_dict(saved_model)
    restored = make(copy.parameters())
    restored.load_state_dict(saved_opt)
    for expected in trajectory:
        restored.zero_grad()
        losses_and_grads(copy, X, y)
        restored.step()
        assert [p.data for p in copy.parameters()] == expected


def test_a_state_dict_of_other_parameters_is_refused() -> None:
    opt = Adam(MLP(2, [3], seed=0).parameters())
    with pytest.raises(ValueError, match="parameter groups do not match"):
        Adam(MLP(2, [4], seed=0).parameters()).load_state_dict(opt.state_dict())


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"betas": (0.9, 1.0)}, ValueError, r"Adam\(betas\[1\]\) must be in \[0, 1\), got 1.0"),
        ({"betas": (-0.1, 0.9)}, ValueError, r"Adam\(betas\[0\]\) must be ≥ 0"),
        ({"betas": 0.9}, TypeError, r"Adam\(betas\) must be a pair"),
        ({"eps": -1e-8}, ValueError, r"Adam\(eps\) must be ≥ 0"),
        ({"lr": float("nan")}, ValueError, r"Adam\(lr\) must be a finite number"),
        ({"weight_decay": "0"}, TypeError, r"Adam\(weight_decay\) must be a real number"),
    ],
)
def test_bad_hyperparameters_are_named(kwargs, error, message) -> None:
    with pytest.raises(error, match=message):
        Adam([Value(1.0)], **kwargs)


def test_adam_reads_like_sgd() -> None:
    p = Value(0.0, "w")
    assert repr(Adam([p])) == "Adam([{1 params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0}])"
    with pytest.raises(TypeError, match=r"Adam\(params\) got the model MLP; pass model.parameters\(\)"):
        Adam(MLP(2, [1], seed=0))  # type: ignore[arg-type]
