"""autograd_core: a scalar reverse-mode autodiff engine that shows every derivative.

Importing it imports only the standard library (graphviz is imported when you draw).
"""

from autograd_core.engine import Value, dot, is_grad_enabled, no_grad, topological_order, vsum
from autograd_core.functional import grad, value_and_grad
from autograd_core.gradcheck import GradcheckError, NonDifferentiablePointError, gradcheck, numerical_grad

__all__ = [
    "GradcheckError",
    "NonDifferentiablePointError",
    "Value",
    "dot",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "numerical_grad",
    "topological_order",
    "value_and_grad",
    "vsum",
]
__version__ = "0.1.0"
