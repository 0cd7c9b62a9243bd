# Build your own Value (exercise 2): fill in each op, press Check.
import math


class Value:
    """A number in a graph: data, and grad = ∂(output)/∂(this)."""

    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None  # a leaf passes nothing on
        self._prev = tuple(_children)
        self._op = _op

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        # out = Value(a + b, (self, other), "+"); its _backward adds
        # ∂out/∂a · out.grad to self.grad (+=, never =), and the
        # same for other; then return out
        raise NotImplementedError()

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        # ∂(a·b)/∂a = b, ∂(a·b)/∂b = a
        raise NotImplementedError()

    def __pow__(self, n):
        assert isinstance(n, (int, float)), "only a number as exponent"
        # ∂(aⁿ)/∂a = n·aⁿ⁻¹
        raise NotImplementedError()

    def tanh(self):
        # ∂tanh(a)/∂a = 1 − tanh(a)²
        raise NotImplementedError()

    def exp(self):  # written for you: the pattern of every op
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            # ∂exp(a)/∂a = exp(a), the output's own data
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    # ---- given: built from the ops above
    def __neg__(self):  # −a = a·(−1)
        return self * -1

    def __sub__(self, other):  # a − b = a + (−b)
        return self + (-other)

    def __truediv__(self, other):  # a / b = a·b⁻¹
        return self * other**-1

    def __radd__(self, other):  # 2 + a
        return self + other

    def __rsub__(self, other):  # 2 − a
        return other + (-self)

    def __rmul__(self, other):  # 2 * a
        return self * other

    def __rtruediv__(self, other):  # 2 / a
        return other * self**-1

    # ---- given: the backward pass (exercise 3 writes it)
    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:  # depth first: every node after its parents
            v, parents_done = stack.pop()
            if parents_done:
                order.append(v)
            elif v not in seen:
                seen.add(v)
                stack.append((v, True))
                stack.extend((p, False) for p in v._prev)
        self.grad = 1.0
        for v in reversed(order):
            v._backward()
