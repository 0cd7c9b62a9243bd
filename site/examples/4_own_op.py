# Your own op: Value(data, parents=, local_grads=)
from autograd_core import Value


def softsign(x: Value) -> Value:
    """softsign(x) = x / (1 + |x|), derivative 1/(1 + |x|)²."""
    # ∂out/∂x as a Value built from x: differentiable again
    local = 1 / (1 + abs(x)) ** 2
    out = x.data / (1 + abs(x.data))
    return Value(
        out, parents=(x,), local_grads=(local,), op="softsign"
    )


def f(w, x):
    z = w * x
    z.label = "z"
    return softsign(z)


xs = [-0.75, 2.0]  # w, x
# Break the derivative (drop the ** 2) and press gradcheck.
