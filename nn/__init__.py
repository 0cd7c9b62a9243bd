"""nn: neurons, layers, losses, SGD and a training loop, built from autograd_core Values.

Importing ``nn`` imports only ``autograd_core``; scikit-learn, tqdm and matplotlib are
imported by the functions that use them.
"""

from nn.activations import ACTIVATIONS
from nn.conv import AvgPool1d, AvgPool2d, Conv1d, Conv2d, Flatten, MaxPool1d, MaxPool2d, Residual
from nn.data import batches, load_digits, load_mnist1d, make_moons, nand, xor
from nn.init import INITS
from nn.layers import MLP, Dropout, Layer, Neuron, Sequential
from nn.losses import (
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
from nn.mnist import MnistFileError, MnistNotFoundError, load_mnist
from nn.module import Module
from nn.optim import SGD, Adam, Optimizer, clip_grad_norm, clip_grad_value
from nn.perceptron import Perceptron
from nn.pytorch import from_torch, to_torch
from nn.serialization import ModelFileError
from nn.train import History, TrainingDivergedError, accuracy, fit

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "MLP",
    "SGD",
    "Adam",
    "AvgPool1d",
    "AvgPool2d",
    "Conv1d",
    "Conv2d",
    "Dropout",
    "Flatten",
    "History",
    "Layer",
    "MaxPool1d",
    "MaxPool2d",
    "MnistFileError",
    "MnistNotFoundError",
    "ModelFileError",
    "Module",
    "Neuron",
    "Optimizer",
    "Perceptron",
    "Residual",
    "Sequential",
    "TrainingDivergedError",
    "accuracy",
    "batches",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "clip_grad_norm",
    "clip_grad_value",
    "cross_entropy",
    "fit",
    "from_torch",
    "hinge_loss",
    "l1_penalty",
    "l2_penalty",
    "load_digits",
    "load_mnist",
    "load_mnist1d",
    "log_softmax",
    "make_moons",
    "mse_loss",
    "nand",
    "quadratic_cost",
    "softmax",
    "to_torch",
    "xor",
]
