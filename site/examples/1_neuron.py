# The notes' neuron: x = (5, 3), w = (.5, .5), b = 1, y = 1
from nn import binary_cross_entropy

y = 1.0  # the target


def f(x1, x2, w1, w2, b):
    z = w1 * x1 + w2 * x2 + b
    z.label = "z"
    a = z.sigmoid()  # a = σ(z)
    a.label = "a"
    # the logistic loss L = −(y ln a + (1 − y) ln(1 − a))
    L = binary_cross_entropy([a], [y])
    L.label = "L"
    return L


xs = [5.0, 3.0, 0.5, 0.5, 1.0]  # x1, x2, w1, w2, b
# Step to the end: ∂L/∂a = −1/a = −1.007,
# z.grad = a − y = −0.006693, w1.grad = x1·z.grad = −0.03346.
# The notes print a = 0.99307 and dz = −0.00693:
# σ(5) is 0.99331, so dz = −0.00669.
