# grad(grad(f)): differentiate the backward pass again
from autograd_core import Value, grad, hessian, jvp


def f(x):
    return x**3 - 2 * x


xs = [2.0]
print("f'(2)  =", grad(f)(2.0), "  (3x² − 2)")
print("f''(2) =", grad(grad(f))(2.0), "  (6x)")


def g(x, y):
    return x * y**2


print("hessian of x·y² at (1, 3):", hessian(g)(1.0, 3.0))
print("jvp along (1, 0):", jvp(g, [1.0, 3.0], [1.0, 0.0]))

# grad(f) called with a Value returns f'(x) as a Value,
# with the graph of its backward pass: draw that.
x = Value(2.0, "x")
root = grad(f)(x)
root.label = "f'(x)"
# Step through it: x.grad = f''(2) = 12.
