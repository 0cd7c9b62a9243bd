# a + a and a diamond: two paths into one Value add up


def f(a, x):
    b = a + a  # two edges from a: a.grad = 1·b.grad + 1·b.grad
    b.label = "b"
    u = x * b  # a diamond: b feeds u and v ...
    u.label = "u"
    v = b.tanh()
    v.label = "v"
    L = u + v  # ... which meet again in L
    L.label = "L"
    return L


xs = [0.5, -1.0]  # a, x
