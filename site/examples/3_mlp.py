# A 2-2-1 MLP on one point: squared error, every weight's grad
from nn import MLP

# 2 inputs → 2 tanh neurons → 1 linear output
model = MLP(2, [2, 1], activation="tanh", seed=1)
y = 1.0  # the target


def f(x1, x2):
    a = model([x1, x2])
    a.label = "a"
    C = (a - y) ** 2
    C.label = "C"
    return C


xs = [2.0, -1.0]  # x1, x2
# gradcheck checks ∂C/∂x1 and ∂C/∂x2;
# the graph shows every weight's grad too.
