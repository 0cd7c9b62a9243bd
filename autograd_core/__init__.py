"""autograd_core: a scalar reverse-mode autodiff engine that shows every derivative.

Importing it imports only the standard library (graphviz is imported when you draw).
"""

from autograd_core.compiled import CompiledBatch, GraphDependsOnDataError, compile_batch
from autograd_core.engine import (
    Op,
    Value,
    dot,
    enable_grad,
    gradients,
    is_grad_enabled,
    linear,
    no_grad,
    topological_order,
    vmax,
    vsum,
)
from autograd_core.functional import grad, hessian, jvp, value_and_grad
from autograd_core.gradcheck import GradcheckError, NonDifferentiablePointError, gradcheck, numerical_grad
from autograd_core.reads import DerivativeLostWarning
from autograd_core.stepping import BackpropStepper, BackwardStep, ParentUpdate, backward_steps
from autograd_core.viz import Graph, GraphvizFailedError, GraphvizNotFoundError, draw_graph

__all__ = [
    "BackpropStepper",
    "BackwardStep",
    "CompiledBatch",
    "DerivativeLostWarning",
    "GradcheckError",
    "Graph",
    "GraphDependsOnDataError",
    "GraphvizFailedError",
    "GraphvizNotFoundError",
    "NonDifferentiablePointError",
    "Op",
    "ParentUpdate",
    "Value",
    "backward_steps",
    "compile_batch",
    "dot",
    "draw_graph",
    "enable_grad",
    "grad",
    "gradcheck",
    "gradients",
    "hessian",
    "is_grad_enabled",
    "jvp",
    "linear",
    "no_grad",
    "numerical_grad",
    "topological_order",
    "value_and_grad",
    "vmax",
    "vsum",
]
__version__ = "0.1.0"
