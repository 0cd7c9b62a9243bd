"""nn.to_torch / nn.from_torch: the same outputs (1e-12) and the same gradients of the same loss in PyTorch."""

from __future__ import annotations

import random
import sys

import pytest
from conftest import torch_or_skip

import nn
from autograd_core.extras import MissingExtraError
from nn import MLP, Dropout, Layer, Neuron, Sequential, cross_entropy, from_torch, to_torch

torch = torch_or_skip()


def inputs(n: int, nin: int, seed: int = 0, scale: float = 3.0) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.uniform(-scale, scale) for _ in range(nin)] for _ in range(n)]


def outputs(model: nn.Module, X: list[list[float]]) -> list[list[float]]:
    """Our model's outputs as rows of floats (a Value or a list of Values per example)."""
    rows = []
    for x in X:
        out = model(x)
        rows.append([v.data for v in out] if isinstance(out, list) else [out.data])
    return rows


def with_biases(model: nn.Module, seed: int = 1) -> nn.Module:
    """Non-zero biases, so a bias copied to the wrong place shows."""
    rng = random.Random(seed)
    for name, p in model.named_parameters():
        if name.endswith("b"):
            p.data = rng.uniform(-1, 1)
    return model


MODELS = {
    "neuron-sigmoid": lambda: Neuron(3, "sigmoid", rng=random.Random(0)),
    "layer-tanh": lambda: Layer(3, 4, "tanh", rng=random.Random(0)),
    "mlp-relu": lambda: MLP(3, [8, 8, 2], seed=0),
    "mlp-every-activation": lambda: Sequential(
        Layer(3, 5, "leaky_relu", rng=random.Random(1)),
        Layer(5, 5, "softplus", rng=random.Random(2)),
        Dropout(0.3),
        Layer(5, 4, "sigmoid", rng=random.Random(3)),
        Sequential(Layer(4, 2, "linear", rng=random.Random(4))),
    ),
}


@pytest.mark.parametrize("make", MODELS.values(), ids=list(MODELS))
def test_the_exported_model_computes_the_same_numbers(make) -> None:
    model = with_biases(make()).eval()
    X = inputs(7, 3)
    exported = to_torch(model)
    assert not exported.training
    got = exported(torch.tensor(X, dtype=torch.float64))
    assert got.dtype == torch.float64
    expected = torch.tensor(outputs(model, X), dtype=torch.float64)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)


def test_softplus_matches_far_out_where_pytorch_switches_to_the_identity() -> None:
    model = with_biases(Layer(1, 1, "softplus", rng=random.Random(0)))
    model.neurons[0].w[0].data = 1.0
    X = [[25.0], [35.0], [-30.0], [700.0]]
    got = to_torch(model)(torch.tensor(X, dtype=torch.float64))
    torch.testing.assert_close(got, torch.tensor(outputs(model, X), dtype=torch.float64), rtol=1e-13, atol=1e-300)


def test_gradients_of_the_same_loss_agree_with_pytorch_autograd() -> None:
    model = with_biases(MLP(4, [6, 3], activation="tanh", seed=2))
    X, y = inputs(5, 4, seed=3), [0, 2, 1, 1, 0]
    loss = sum(cross_entropy(model(x), t) for x, t in zip(X, y))
    loss.backward()
    exported = to_torch(model)
    logits = exported(torch.tensor(X, dtype=torch.float64))
    torch.nn.functional.cross_entropy(logits, torch.tensor(y), reduction="sum").backward()
    linears = [m for m in exported.modules() if isinstance(m, torch.nn.Linear)]
    for layer, linear in zip(model.layers, linears):
        ours_W = [[w.grad for w in neuron.w] for neuron in layer.neurons]
        ours_b = [neuron.b.grad for neuron in layer.neurons]
        torch.testing.assert_close(
            linear.weight.grad, torch.tensor(ours_W, dtype=torch.float64), rtol=1e-10, atol=1e-12
        )
        torch.testing.assert_close(linear.bias.grad, torch.tensor(ours_b, dtype=torch.float64), rtol=1e-10, atol=1e-12)


def test_the_exported_weights_are_copies() -> None:
    model = Neuron(2, "linear", rng=random.Random(0))
    exported = to_torch(model)
    with torch.no_grad():
        exported.weight.add_(1.0)
    assert model.w[0].data == pytest.approx(exported.weight[0, 0].item() - 1.0)


def test_train_and_eval_mode_carry_over_both_ways() -> None:
    assert to_torch(MLP(2, [3, 1], seed=0, dropout=0.5)).training
    assert not to_torch(MLP(2, [3, 1], seed=0).eval()).training
    assert not from_torch(torch.nn.Linear(2, 1, dtype=torch.float64).eval()).training


def test_from_torch_builds_layers_with_the_same_weights_and_outputs() -> None:
    torch.manual_seed(0)
    module = (
        torch.nn.Sequential(
            torch.nn.Linear(3, 5),
            torch.nn.Tanh(),
            torch.nn.Dropout(0.1),
            torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU()),
            torch.nn.Linear(4, 2),
        )
        .double()
        .eval()
    )
    model = from_torch(module)
    assert isinstance(model, Sequential)
    assert [type(m).__name__ for m in model.layers] == ["Layer", "Dropout", "Layer", "Layer"]
    assert [getattr(m, "activation", None) for m in model.layers] == ["tanh", None, "relu", "linear"]
    X = inputs(6, 3, seed=5)
    expected = module(torch.tensor(X, dtype=torch.float64))
    torch.testing.assert_close(torch.tensor(outputs(model, X), dtype=torch.float64), expected, rtol=1e-12, atol=1e-12)


def test_a_round_trip_keeps_every_number() -> None:
    model = with_biases(MLP(3, [4, 4, 1], activation="sigmoid", seed=3))
    back = from_torch(to_torch(model))
    assert [p.data for p in back.parameters()] == [p.data for p in model.parameters()]


@pytest.mark.parametrize(
    ("module", "message"),
    [
        (lambda: torch.nn.Linear(2, 2, bias=False), "has no bias"),
        (lambda: torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.LeakyReLU(0.2)), "slope 0.01"),
        (lambda: torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Softplus(beta=2.0)), "beta 1"),
        (
            lambda: torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 2)),
            r"ReLU\(\) at position 0 has no nn counterpart",
        ),
        (lambda: torch.nn.Conv1d(1, 1, 3, dilation=2), "dilation 1"),
        (lambda: torch.nn.Conv2d(1, 1, (3, 2)), "nn's windows are square, got \\(3, 2\\)"),
        (lambda: torch.nn.MaxPool2d(2, padding=1), r"MaxPool2d.* has no nn counterpart"),
        (lambda: torch.nn.GRU(2, 2), r"GRU\(2, 2\) at position 0 has no nn counterpart"),
    ],
)
def test_from_torch_refuses_what_has_no_counterpart(module, message) -> None:
    with pytest.raises(TypeError, match=message):
        from_torch(module())


def test_bad_arguments_are_named() -> None:
    with pytest.raises(TypeError, match=r"to_torch\(model\) must be an nn.Module, got int: 3"):
        to_torch(3)
    with pytest.raises(TypeError, match=r"from_torch\(module\) must be a torch.nn.Module, got MLP"):
        from_torch(MLP(2, [1], seed=0))

    class Scale(nn.Module):
        def __call__(self, x):
            return [2 * xi for xi in x]

    with pytest.raises(TypeError, match="to_torch: no PyTorch counterpart for Scale"):
        to_torch(Sequential(Scale()))


def test_without_pytorch_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ModuleNotFoundError
    with pytest.raises(MissingExtraError, match=r"to_torch needs the 'torch' package.*autograd-core\[bench\]"):
        to_torch(MLP(2, [1], seed=0))


def cnn_2d() -> Sequential:
    from nn import AvgPool2d, Conv2d, Flatten, MaxPool2d, Residual

    return with_biases(
        Sequential(
            Conv2d(2, 3, 3, stride=1, padding=1, activation="relu", seed=1),
            MaxPool2d(2),
            Residual(Conv2d(3, 3, 3, padding=1, activation="tanh", seed=2)),
            AvgPool2d(2, stride=1),
            Flatten(),
            Layer(3 * 2 * 2, 4, "linear", rng=random.Random(3)),
        )
    )


def cnn_1d() -> Sequential:
    """The MNIST-1D paper's CNN, smaller: Conv1d k5 s2 p1, then k3 s2 p1, pooling, linear."""
    from nn import AvgPool1d, Conv1d, Flatten, MaxPool1d

    return with_biases(
        Sequential(
            Conv1d(1, 4, 5, stride=2, padding=1, seed=1),
            Conv1d(4, 4, 3, stride=2, padding=1, activation="sigmoid", seed=2),
            MaxPool1d(2),
            AvgPool1d(1),
            Flatten(),
            Layer(4 * 2, 3, "linear", rng=random.Random(3)),
        )
    )


def in_torch_order(model: nn.Module) -> list:
    """The parameters as PyTorch lists them: per layer all the weights (row by row), then all the biases."""
    units_of = {"Conv1d": "filters", "Conv2d": "filters", "Layer": "neurons"}
    order = []
    for m in model.modules():
        units = getattr(m, units_of.get(type(m).__name__, ""), None)
        if units is not None:
            order += [w for u in units for w in u.w] + [u.b for u in units]
    assert sorted(map(id, order)) == sorted(map(id, model.parameters()))
    return order


def images(n: int, shape: tuple[int, ...], seed: int = 0) -> list:
    """n examples of ``shape`` (channels, then rows/columns or positions) as nested lists."""
    import numpy as np

    return np.random.default_rng(seed).uniform(-1, 1, size=(n, *shape)).tolist()


@pytest.mark.parametrize(("make", "shape"), [(cnn_2d, (2, 6, 6)), (cnn_1d, (1, 20))], ids=["2d", "1d"])
def test_a_cnn_exports_with_the_same_outputs_and_gradients(make, shape) -> None:
    model = make().eval()
    X, y = images(5, shape, seed=1), [0, 2, 1, 1, 0]
    exported = to_torch(model)
    Xt = torch.tensor(X, dtype=torch.float64)
    logits = exported(Xt)
    torch.testing.assert_close(logits, torch.tensor(outputs(model, X), dtype=torch.float64), rtol=1e-12, atol=1e-12)
    loss = sum(cross_entropy(model(x), t) for x, t in zip(X, y))
    loss.backward()
    torch.nn.functional.cross_entropy(logits, torch.tensor(y), reduction="sum").backward()
    theirs = [p.grad.reshape(-1) for p in exported.parameters()]
    ours = [p.grad for p in in_torch_order(model)]
    close = {"rtol": 1e-10, "atol": 1e-12}
    torch.testing.assert_close(torch.cat(theirs), torch.tensor(ours, dtype=torch.float64), **close)


@pytest.mark.parametrize("make", [cnn_2d, cnn_1d], ids=["2d", "1d"])
def test_a_cnn_round_trip_keeps_every_number_and_module(make) -> None:
    model = make()
    back = from_torch(to_torch(model))
    assert [type(m).__name__ for m in back.layers] == [type(m).__name__ for m in model.layers]
    assert [p.data for p in back.parameters()] == [p.data for p in model.parameters()]
    assert back.state_dict() == model.state_dict()
