"""The scalar reverse-mode autodiff engine: ``Value`` and the chain rule.

Every operation computes its output *and* its local derivatives ∂out/∂parent at
forward time, and stores them on the output node. ``backward()`` then only has to
multiply and add: for each node, in reverse topological order,

    parent.grad += ∂node/∂parent · node.grad        (the chain rule)

Storage, for speed and memory (one object per node, no closures):

* leaf:   ``_a is None``
* unary:  ``_a`` parent, ``_da`` = ∂out/∂_a, ``_b is None``, ``_db`` = the constant
          of an op such as ``x * 2`` (``None`` if there is none)
* binary: ``_a``, ``_b`` parents, ``_da``, ``_db`` their local derivatives
* n-ary:  ``_a`` tuple of parents, ``_da`` tuple of local derivatives, ``_b is NARY``
"""

from __future__ import annotations

import math
import numbers
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from operator import mul
from typing import Union

Number = Union[int, float]
Operand = Union["Value", int, float]

_grad_enabled: ContextVar[bool] = ContextVar("autograd_core_grad_enabled", default=True)
_grad_enabled_here = _grad_enabled.get
_paused = 0  # how many no_grad() blocks are open in any thread or task (0: skip the ContextVar)
_paused_lock = threading.Lock()
_new = object.__new__


class _Nary:
    """Marker stored in ``_b`` of a node with more than two parents."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NARY"


NARY = _Nary()


class _Mark:
    """A visit mark, fresh for each graph traversal (see ``_reverse_topological_order``)."""

    __slots__ = ()


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block, new Values record no parents (no graph is built).

    Uses a ``ContextVar``, so it is local to the current thread and asyncio task.
    """
    global _paused
    with _paused_lock:
        _paused += 1
    token = _grad_enabled.set(False)
    try:
        yield
    finally:
        _grad_enabled.reset(token)
        with _paused_lock:
            _paused -= 1


def is_grad_enabled() -> bool:
    """True unless called inside ``no_grad()``."""
    return _grad_enabled.get()


_recording = is_grad_enabled


def _constant(x: object) -> float | None:
    """A plain real number (int, float, NumPy scalar; not bool) as a float, else None."""
    cls = x.__class__
    if cls is float:
        return x  # type: ignore[return-value]
    if cls is int or (isinstance(x, numbers.Real) and cls is not bool):
        return float(x)  # type: ignore[arg-type]
    return None


def _as_float(x: object, what: str) -> float:
    """``float(x)`` for a real number; TypeError naming ``what`` and the type otherwise."""
    c = _constant(x)
    if c is None:
        raise TypeError(f"{what} must be a real number (int, float or NumPy scalar), got {type(x).__name__}: {x!r}")
    return c


def _fmt(c: float) -> str:
    """Short text for a constant shown inside an op, e.g. ``*2`` or ``**0.5``."""
    return format(c, "g")


def _node(data: float, op: str, a: object, da: object, b: object = None, db: object = None) -> Value:
    """Make an op node without going through ``Value.__init__`` (the hot path)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._mark = None
    if not _paused or _grad_enabled_here():
        out._op = op
        out._a = a
        out._da = da
        out._b = b
        out._db = db
    else:
        out._op = ""
        out._a = out._da = out._b = out._db = None
    return out


class Value:
    """One number in a computation graph, with its gradient.

    ``Value(data, label)`` makes a leaf (an input or a parameter). Passing
    ``parents``, ``local_grads`` (∂self/∂parent_i, evaluated now) and ``op`` defines
    your own operation; ``backward()`` then applies the chain rule through it::

        def cube(x: Value) -> Value:
            return Value(x.data**3, parents=(x,), local_grads=(3 * x.data**2,), op="cube")
    """

    __slots__ = ("data", "grad", "label", "_op", "_a", "_da", "_b", "_db", "_mark")
    __array_ufunc__ = None  # NumPy scalars on the left defer to our reflected operators

    data: float
    grad: float
    label: str

    def __init__(
        self,
        data: Number,
        label: str = "",
        *,
        parents: Sequence[Value] = (),
        local_grads: Sequence[Number] = (),
        op: str = "",
    ) -> None:
        if isinstance(data, Value):
            raise TypeError(f"Value(data) must be a real number, got a Value ({data!r}); use it directly")
        self.data = _as_float(data, "Value(data)")
        self.grad = 0.0
        self._mark = None
        if not isinstance(label, str):
            raise TypeError(f"Value(label) must be a str, got {type(label).__name__}: {label!r}")
        self.label = label
        parents = tuple(parents)
        grads = tuple(_as_float(g, f"local_grads[{i}] of op {op!r}") for i, g in enumerate(local_grads))
        if len(parents) != len(grads):
            raise ValueError(
                f"op {op!r}: got {len(parents)} parents but {len(grads)} local_grads; give one ∂out/∂parent per parent"
            )
        for i, p in enumerate(parents):
            if not isinstance(p, Value):
                raise TypeError(f"parents[{i}] of op {op!r} must be a Value, got {type(p).__name__}: {p!r}")
        if not _recording():  # under no_grad a custom op, like a built-in one, records nothing
            parents, grads, op = (), (), ""
        self._op = op
        self._b = self._db = None
        if not parents:
            self._a = self._da = None
        elif len(parents) == 1:
            (self._a,), (self._da,) = parents, grads
        elif len(parents) == 2:
            (self._a, self._b), (self._da, self._db) = parents, grads
        else:
            self._a, self._da, self._b = parents, grads, NARY

    # ----------------------------------------------------------------- structure
    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from (duplicates kept: ``a + a`` has ``a`` twice)."""
        a, b = self._a, self._b
        if a is None:
            return ()
        if b is None:
            return (a,)
        if b is NARY:
            return a
        return (a, b)

    @property
    def local_grads(self) -> tuple[float, ...]:
        """∂self/∂parent_i for each parent, evaluated when this Value was computed."""
        a, b = self._a, self._b
        if a is None:
            return ()
        if b is None:
            return (self._da,)
        if b is NARY:
            return self._da
        return (self._da, self._db)

    @property
    def op(self) -> str:
        """The operation that made this Value, with any constant: ``"+"``, ``"*2"``, ``"tanh"``."""
        op, c = self._op, self._db
        if self._b is not None or c is None:
            return op
        if op.startswith("r"):  # constant on the left: 2 - x, 2 / x, 2 ** x
            return f"{_fmt(c)}{op[1:]}"
        return f"{op}{_fmt(c)}"

    @property
    def is_leaf(self) -> bool:
        """True for a Value with no parents (an input, a parameter or a constant)."""
        return self._a is None

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # ---------------------------------------------------------------- arithmetic
    # ``+`` and ``*`` build most of a micrograd-style graph, so they make their node
    # in place (what ``_node`` does, minus a function call: about 5 % of a training step).
    def __add__(self, other: Operand) -> Value:
        """a + b: ∂/∂a = 1, ∂/∂b = 1."""
        if other.__class__ is Value:
            if _paused and not _grad_enabled_here():
                return _node(self.data + other.data, "", None, None)
            out = _new(Value)
            out.data = self.data + other.data
            out.grad = 0.0
            out.label = ""
            out._mark = None
            out._op = "+"
            out._a = self
            out._da = 1.0
            out._b = other
            out._db = 1.0
            return out
        if (c := _constant(other)) is not None:
            return _node(self.data + c, "+", self, 1.0, None, c)
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other: Operand) -> Value:
        """a − b: ∂/∂a = 1, ∂/∂b = −1."""
        if other.__class__ is Value:
            return _node(self.data - other.data, "-", self, 1.0, other, -1.0)
        if (c := _constant(other)) is not None:
            return _node(self.data - c, "-", self, 1.0, None, c)
        return NotImplemented

    def __rsub__(self, other: Number) -> Value:
        """c − a: ∂/∂a = −1."""
        if (c := _constant(other)) is not None:
            return _node(c - self.data, "r-", self, -1.0, None, c)
        return NotImplemented

    def __mul__(self, other: Operand) -> Value:
        """a · b: ∂/∂a = b, ∂/∂b = a."""
        if other.__class__ is Value:
            if _paused and not _grad_enabled_here():
                return _node(self.data * other.data, "", None, None)
            out = _new(Value)
            out.data = self.data * other.data
            out.grad = 0.0
            out.label = ""
            out._mark = None
            out._op = "*"
            out._a = self
            out._da = other.data
            out._b = other
            out._db = self.data
            return out
        if (c := _constant(other)) is not None:
            return _node(self.data * c, "*", self, c, None, c)
        return NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, other: Operand) -> Value:
        """a / b: ∂/∂a = 1/b, ∂/∂b = −a/b²."""
        if other.__class__ is Value:
            b = other.data
            if b == 0.0:
                raise ZeroDivisionError(f"op '/': division by zero ({self.data!r} / {b!r})")
            return _node(self.data / b, "/", self, 1.0 / b, other, -self.data / (b * b))
        if (c := _constant(other)) is not None:
            if c == 0.0:
                raise ZeroDivisionError(f"op '/': division by zero ({self.data!r} / {other!r})")
            return _node(self.data / c, "/", self, 1.0 / c, None, c)
        return NotImplemented

    def __rtruediv__(self, other: Number) -> Value:
        """c / a: ∂/∂a = −c/a²."""
        if (c := _constant(other)) is not None:
            a = self.data
            if a == 0.0:
                raise ZeroDivisionError(f"op '/': division by zero ({other!r} / {a!r})")
            return _node(c / a, "r/", self, -c / (a * a), None, c)
        return NotImplemented

    def __pow__(self, other: Operand) -> Value:
        """aᵇ: ∂/∂a = b·aᵇ⁻¹; for a Value exponent also ∂/∂b = aᵇ·ln a (needs a > 0)."""
        a = self.data
        if other.__class__ is Value:
            b = other.data
            if a <= 0.0:
                raise ValueError(f"op '**': a Value exponent needs a positive base, got base {a!r} (exponent {b!r})")
            out = _pow(a, b)
            return _node(out, "**", self, b * out / a, other, out * math.log(a))
        if (c := _constant(other)) is not None:
            out = _pow(a, c)
            return _node(out, "**", self, _power_rule(a, c), None, c)
        return NotImplemented

    def __rpow__(self, other: Number) -> Value:
        """cᵃ: ∂/∂a = cᵃ·ln c (needs c > 0)."""
        c = _constant(other)
        if c is None:
            return NotImplemented
        if c <= 0.0:
            raise ValueError(
                f"op '**': a Value exponent needs a positive base, got base {other!r} (exponent {self.data!r})"
            )
        out = _pow(c, self.data)
        return _node(out, "r**", self, out * math.log(c), None, c)

    def __neg__(self) -> Value:
        """−a: ∂/∂a = −1."""
        return _node(-self.data, "neg", self, -1.0)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        """|a|: ∂/∂a = sign(a), with abs′(0) = 0."""
        a = self.data
        return _node(abs(a), "abs", self, 1.0 if a > 0.0 else (-1.0 if a < 0.0 else 0.0))

    # ------------------------------------------------------------ elementary fns
    def exp(self) -> Value:
        """eᵃ: ∂/∂a = eᵃ."""
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                f"op 'exp': exp({self.data!r}) overflows a float (the limit is about exp(709.78))"
            ) from None
        return _node(out, "exp", self, out)

    def log(self) -> Value:
        """ln a: ∂/∂a = 1/a (needs a > 0)."""
        a = self.data
        if a <= 0.0:
            raise ValueError(f"op 'log': log is defined only for positive inputs, got {a!r}")
        return _node(math.log(a), "log", self, 1.0 / a)

    def sqrt(self) -> Value:
        """√a: ∂/∂a = 1/(2√a) (needs a ≥ 0; the derivative at 0 is +inf)."""
        a = self.data
        if a < 0.0:
            raise ValueError(f"op 'sqrt': sqrt is defined only for inputs ≥ 0, got {a!r}")
        out = math.sqrt(a)
        return _node(out, "sqrt", self, 0.5 / out if out else math.inf)

    def tanh(self) -> Value:
        """tanh a: ∂/∂a = 1 − tanh²a."""
        t = math.tanh(self.data)
        return _node(t, "tanh", self, 1.0 - t * t)

    def sigmoid(self) -> Value:
        """σ(a) = 1/(1 + e⁻ᵃ): ∂/∂a = σ(a)(1 − σ(a)). Stable for any a."""
        s = _sigmoid(self.data)
        return _node(s, "σ", self, s * (1.0 - s))

    def relu(self) -> Value:
        """max(0, a): ∂/∂a = 1 if a > 0 else 0 (relu′(0) = 0)."""
        a = self.data
        if a > 0.0:
            return _node(a, "ReLU", self, 1.0)
        return _node(0.0, "ReLU", self, 0.0)

    def leaky_relu(self, negative_slope: float = 0.01) -> Value:
        """a if a > 0 else slope·a: ∂/∂a = 1 if a > 0 else slope (leaky_relu′(0) = slope)."""
        a = self.data
        if a > 0.0:
            return _node(a, "LeakyReLU", self, 1.0)
        return _node(negative_slope * a, "LeakyReLU", self, float(negative_slope))

    def softplus(self) -> Value:
        """ln(1 + eᵃ), computed as max(a, 0) + ln(1 + e⁻|ᵃ|): ∂/∂a = σ(a). Stable for any a."""
        a = self.data
        return _node(_softplus(a), "softplus", self, _sigmoid(a))

    # ------------------------------------------------------------------ backward
    def backward(self, gradient: float = 1.0) -> None:
        """Add ∂self/∂v · gradient to ``v.grad`` for every Value v this one depends on.

        Gradients **accumulate** (``+=``), as in PyTorch: calling ``backward()`` twice
        adds the gradients twice, so call ``zero_grad()`` between steps. Iterative, so
        graphs of any depth work; every node is processed once. Edges whose local
        derivative or upstream gradient is exactly 0 are skipped (their contribution is 0).
        Backpropagating through the same graph from two threads at once is not supported.
        """
        gradient = _as_float(gradient, "backward(gradient)")
        order, stale = _reverse_topological_order(self, with_leaves=False)
        # A non-leaf grad left over from an earlier backward() must not flow again:
        # propagate this call's gradients from zero, then add the old values back.
        saved = [v.grad for v in stale]
        for v in stale:
            v.grad = 0.0
        self.grad += gradient
        for v in order:
            g = v.grad
            if not g:
                continue
            b = v._b
            if b is None:
                d = v._da
                if d:
                    v._a.grad += d * g
            elif b is NARY:
                for p, d in zip(v._a, v._da):
                    if d:
                        p.grad += d * g
            else:
                d = v._da
                if d:
                    v._a.grad += d * g
                d = v._db
                if d:
                    b.grad += d * g
        for v, old in zip(stale, saved):
            v.grad += old

    def zero_grad(self) -> None:
        """Set ``grad = 0.0`` on this Value and every Value it depends on."""
        for v in _reverse_topological_order(self, with_leaves=True)[0]:
            v.grad = 0.0


def _pow(a: float, b: float) -> float:
    """aᵇ as a float, with errors that name the op and the values."""
    if a == 0.0 and b < 0:
        raise ZeroDivisionError(f"op '**': 0 ** {b!r} divides by zero")
    if a < 0.0 and not float(b).is_integer():
        raise ValueError(f"op '**': a negative base to a fractional power is complex ({a!r} ** {b!r})")
    try:
        return float(a**b)
    except OverflowError:
        raise OverflowError(f"op '**': {a!r} ** {b!r} overflows a float") from None


def _power_rule(a: float, c: float) -> float:
    """d/da aᶜ = c·aᶜ⁻¹ (0 for c = 0; +inf at a = 0 for 0 < c < 1, as for √)."""
    if c == 0:
        return 0.0
    if a == 0.0 and c < 1:
        return math.inf
    return c * _pow(a, c - 1)


def _softplus(x: float) -> float:
    """ln(1 + eˣ) = max(x, 0) + ln(1 + e⁻|ˣ|), finite for any x."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _sigmoid(x: float) -> float:
    """σ(x) without overflow: for x < 0 use eˣ/(1 + eˣ)."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _reverse_topological_order(root: Value, with_leaves: bool) -> tuple[list[Value], list[Value]]:
    """Nodes reachable from ``root``, each after every node that uses it (root first).

    Iterative depth-first search (no recursion limit), marking nodes in their
    ``_mark`` slot with two objects fresh to this call (faster than sets). Also
    returns the non-leaf nodes whose grad is not zero, which ``backward`` must not
    propagate twice.
    """
    entered, done = _Mark(), _Mark()
    order: list[Value] = []
    stale: list[Value] = []
    if root._a is None:
        return ([root] if with_leaves else []), stale
    stack = [root]
    pop, push, append = stack.pop, stack.append, order.append
    while stack:
        v = pop()
        mark = v._mark
        if mark is done:
            continue
        a = v._a
        if a is None:  # a leaf (pushed only when with_leaves)
            v._mark = done
            append(v)
        elif mark is entered:  # second visit: every parent is finished
            v._mark = done
            append(v)
            if v.grad:
                stale.append(v)
        else:
            v._mark = entered
            push(v)
            # Parents are pushed last-first, so the first parent is finished first:
            # topological_order lists x1 before x2, w before b (the order they were given).
            b = v._b
            if b is None:
                if with_leaves or a._a is not None:
                    push(a)
            elif b is NARY:
                stack += reversed(a) if with_leaves else [p for p in reversed(a) if p._a is not None]
            else:
                if with_leaves or b._a is not None:
                    push(b)
                if with_leaves or a._a is not None:
                    push(a)
    order.reverse()
    return order, stale


def topological_order(root: Value) -> list[Value]:
    """Every Value ``root`` depends on (and ``root``), parents before the nodes that use them."""
    order = _reverse_topological_order(root, with_leaves=True)[0]
    order.reverse()
    return order


def vsum(values: Iterable[Operand]) -> Value:
    """Σᵢ vᵢ as one node: ∂/∂vᵢ = 1. Plain numbers are constants."""
    parents = []
    total = 0.0
    for v in values:
        if v.__class__ is Value:
            parents.append(v)
            total += v.data
        else:
            total += _as_float(v, "vsum(values) item")
    return _from_parents(total, "Σ", parents, [1.0] * len(parents))


def dot(weights: Sequence[Operand], inputs: Sequence[Operand], bias: Operand | None = None) -> Value:
    """z = Σᵢ wᵢxᵢ + b as one node: ∂z/∂wᵢ = xᵢ, ∂z/∂xᵢ = wᵢ, ∂z/∂b = 1.

    Plain numbers (e.g. the input data) are constants and get no edge.
    """
    n = len(weights)
    if len(inputs) != n:
        raise ValueError(f"dot: got {n} weights but {len(inputs)} inputs")
    w_vals = all(w.__class__ is Value for w in weights)
    x_vals = all(x.__class__ is Value for x in inputs)
    wd = [w.data for w in weights] if w_vals else [_data(w, "dot weight") for w in weights]
    xd = [x.data for x in inputs] if x_vals else [_data(x, "dot input") for x in inputs]
    z = sum(map(mul, wd, xd))
    if w_vals and x_vals:  # the common case, built without a Python-level loop
        parents, grads = [*weights, *inputs], [*xd, *wd]
    else:
        parents = [w for w in weights if w.__class__ is Value] + [x for x in inputs if x.__class__ is Value]
        grads = [x for w, x in zip(weights, xd) if w.__class__ is Value] + [
            w for x, w in zip(inputs, wd) if x.__class__ is Value
        ]
    if bias is not None:
        if bias.__class__ is Value:
            z += bias.data
            parents.append(bias)
            grads.append(1.0)
        else:
            z += _as_float(bias, "dot bias")
    return _from_parents(z, "dot", parents, grads)


def _data(x: Operand, what: str) -> float:
    return x.data if x.__class__ is Value else _as_float(x, what)


def _from_parents(data: float, op: str, parents: list[Value], grads: list[float]) -> Value:
    """An n-ary node, stored in the unary/binary layout when it has one or two parents."""
    n = len(parents)
    if n > 2:
        return _node(data, op, tuple(parents), tuple(grads), NARY)
    if n == 2:
        return _node(data, op, parents[0], grads[0], parents[1], grads[1])
    if n == 1:
        return _node(data, op, parents[0], grads[0])
    return _node(data, op, None, None)
