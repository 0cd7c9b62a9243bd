"""Every public function and class of nn refuses wrong-typed arguments with a message naming
the function, the argument and the value (the losses and softmax are checked in test_nn_losses)."""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import nn
from autograd_core import Value
from nn import MLP, SGD, Perceptron

SKIPPED = {  # not callables taking arguments to check, or checked elsewhere
    "ACTIVATIONS": "a dict",
    "INITS": "a tuple",
    "History": "a plain record that fit fills in",
    "ModelFileError": "an exception",
    "TrainingDivergedError": "an exception",
    "Module": "takes no arguments (its methods are below)",
    "xor": "takes no arguments",
    "nand": "takes no arguments",
    "Flatten": "takes no arguments",
    "Optimizer": "the base class of SGD and Adam, which are checked",
    "MnistFileError": "an exception",
    "MnistNotFoundError": "an exception",
    "load_mnist": "needs the MNIST files (tests/test_nn_mnist.py checks its arguments)",
    "load_mnist1d": "generates for seconds (tests/test_nn_mnist1d.py checks its arguments)",
    "to_torch": "needs PyTorch (tests/test_nn_pytorch.py checks its arguments)",
    "from_torch": "needs PyTorch (tests/test_nn_pytorch.py checks its arguments)",
    **dict.fromkeys(
        [
            "binary_cross_entropy",
            "binary_cross_entropy_with_logits",
            "cross_entropy",
            "hinge_loss",
            "l1_penalty",
            "l2_penalty",
            "log_softmax",
            "mse_loss",
            "quadratic_cost",
            "softmax",
        ],
        "nn.losses (tests/test_nn_losses.py)",
    ),
}


def valid_calls(tmp: Path) -> dict[str, tuple[Callable[..., Any], dict[str, Any]]]:
    """name -> (callable, keyword arguments that work)."""
    X, y = [[0.0, 1.0], [1.0, 0.0]], [0, 1]
    model = MLP(2, [3, 1], seed=0)
    model.save(tmp / "m.json")
    return {
        "MLP": (MLP, {"nin": 2, "nouts": [3, 1], "seed": 0}),
        "Layer": (nn.Layer, {"nin": 2, "nout": 3, "init": "he", "rng": random.Random(0)}),
        "Neuron": (nn.Neuron, {"nin": 2, "init": "he", "rng": random.Random(0), "fan_out": 3}),
        "Dropout": (nn.Dropout, {"p": 0.5, "rng": random.Random(0)}),
        "Sequential": (lambda module: nn.Sequential(module), {"module": nn.Layer(2, 1)}),
        "Perceptron": (Perceptron, {"nin": 2, "weights": [1.0, 1.0], "bias": 0.0}),
        "Perceptron.fit": (Perceptron(2).fit, {"X": X, "y": y, "epochs": 2, "lr": 1.0}),
        "SGD": (SGD, {"params": model.parameters(), "lr": 0.1, "momentum": 0.9, "weight_decay": 0.0}),
        "Adam": (
            nn.Adam,
            {"params": model.parameters(), "lr": 0.01, "betas": (0.9, 0.99), "eps": 1e-8, "weight_decay": 0.0},
        ),
        **{
            name: (
                getattr(nn, name),
                {"in_channels": 1, "out_channels": 2, "kernel_size": 3, "stride": 1, "padding": 1}
                | {"activation": "relu", "init": "he", "seed": 0},
            )
            for name in ("Conv1d", "Conv2d")
        },
        **{
            name: (getattr(nn, name), {"kernel_size": 2, "stride": 2})
            for name in ("MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d")
        },
        "Residual": (nn.Residual, {"module": nn.Layer(2, 2)}),
        "clip_grad_norm": (nn.clip_grad_norm, {"params": model.parameters(), "max_norm": 1.0}),
        "clip_grad_value": (nn.clip_grad_value, {"params": model.parameters(), "clip": 1.0}),
        "accuracy": (nn.accuracy, {"model": model, "X": X, "y": y}),
        "batches": (nn.batches, {"X": X, "y": y, "batch_size": 1, "shuffle": True, "rng": random.Random(0)}),
        "make_moons": (nn.make_moons, {"n_samples": 10, "noise": 0.1, "seed": 0}),
        "load_digits": (nn.load_digits, {"test_fraction": 0.2, "seed": 0}),
        "fit": (
            nn.fit,
            {
                "model": model,
                "X": X,
                "y": y,
                "loss": nn.mse_loss,
                "optimizer": SGD(model.parameters(), lr=0.1),
                "epochs": 1,
                "batch_size": 1,
                "penalty": nn.l2_penalty,
                "progress": False,
                "callback": lambda epoch, history: None,
                "max_grad_norm": 1.0,
                "rng": random.Random(0),
            },
        ),
        "MLP.batch": (model.batch, {"X": X}),
        "MLP.load": (MLP.load, {"path": tmp / "m.json"}),
        "save": (model.save, {"path": tmp / "n.json"}),
        "load_state_dict": (model.load_state_dict, {"state": model.state_dict()}),
        "MLP.train": (model.train, {"mode": True}),
    }


NAMES = [  # the keys of valid_calls, listed here so collecting the tests writes no file
    "MLP",
    "Layer",
    "Neuron",
    "Dropout",
    "Sequential",
    "Perceptron",
    "Perceptron.fit",
    "SGD",
    "Adam",
    "Conv1d",
    "Conv2d",
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "Residual",
    "clip_grad_norm",
    "clip_grad_value",
    "accuracy",
    "batches",
    "make_moons",
    "load_digits",
    "fit",
    "MLP.batch",
    "MLP.load",
    "save",
    "load_state_dict",
    "MLP.train",
]
WRONG = [object(), "x", 2.5j]  # no argument of nn takes these (a str only where it names something)


def test_every_public_name_is_covered(tmp_path: Path) -> None:
    assert sorted(valid_calls(tmp_path)) == sorted(NAMES)
    covered = {name.partition(".")[0] for name in NAMES}
    assert set(nn.__all__) - covered - set(SKIPPED) == set()


@pytest.mark.parametrize("name", sorted(NAMES))
def test_wrong_typed_arguments_are_named(tmp_path: Path, name: str) -> None:
    calls = valid_calls(tmp_path)
    function, kwargs = calls[name]
    if name != "load_digits":  # (2 s; tests/test_nn_data.py calls it)
        function(**kwargs)  # the valid call works
    function_name = name.rpartition(".")[2] if name in ("save", "load_state_dict") else name
    for argument in kwargs:
        for wrong in WRONG if argument != "path" else [w for w in WRONG if not isinstance(w, str)]:
            function, kwargs = valid_calls(tmp_path)[name]  # fresh objects: a failed call may change state
            with pytest.raises((TypeError, ValueError)) as e:
                result = function(**{**kwargs, argument: wrong})
                list(result) if inspect.isgenerator(result) else None
            message = str(e.value)
            short = function_name.replace("MLP.", "")
            assert short in message and argument in message, (name, argument, wrong, message)
            assert type(wrong).__name__ in message or repr(wrong) in message, (name, argument, message)


def test_the_issue_examples() -> None:
    with pytest.raises(TypeError, match=r"Layer\(rng\) must be a random.Random or None, got int: 5"):
        nn.Layer(2, 3, rng=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Dropout\(p\) must be a real number, got str: '0.5'"):
        nn.Dropout("0.5")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"MLP\(nouts\) must be a list of layer sizes, got dict: \{3: 1\}"):
        MLP(2, {3: 1})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"MLP\(nouts\) must be a list of layer sizes, e.g. \[3\], got int: 3"):
        MLP(2, 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"MLP.load\(path\) must be a file path .*got int: 5"):
        MLP.load(5)  # type: ignore[arg-type]  (open(5) would read file descriptor 5)
    np = pytest.importorskip("numpy")
    assert MLP(np.int64(2), [np.int64(3)], seed=np.int64(0)).nouts == [3]  # NumPy integers are ints
    assert nn.Neuron(2).activation == "relu" and isinstance(Value(np.float32(0.1)).data, float)
