"""The scalar reverse-mode autodiff engine: ``Value``, its ops and the chain rule.

Every operation computes its output *and* its local derivatives ∂out/∂parent at
forward time, and stores them on the output node. ``backward()`` then only has to
multiply and add: for each node, in reverse topological order,

    parent.grad += ∂node/∂parent · node.grad        (the chain rule)

Each op is defined once: an ``Op`` (its display name, its local derivatives *as
Values*, used only by ``gradients(..., create_graph=True)``, and its array rule for
``compile_batch``) right above the code that computes its value and its float local
derivatives, which is decorated with ``@register(Example(...))``: how a test applies
the op and where (``OP_EXAMPLES``, which the test suite and ``autograd_core.testing``
walk, so an op added here is tested everywhere).

The node layout is private to this module (one object per node, no closures); every
reader outside it (stepping, drawing, compile, jvp) reads a node through ``Value.parts()``:

* ``_op``  the ``Op`` that made the node; ``None`` for a leaf, ``_UNRECORDED`` under no_grad
* ``_a``   the first operand (a Value), or the tuple of parents of an n-ary op
* ``_da``  ∂out/∂_a, or the tuple of ∂out/∂parentᵢ of an n-ary op
* ``_b``   the second operand: a Value, or a plain number for an op with a constant
           (``x * 2``, the numbers added by ``vsum``); for ``dot``, how many (w, x) pairs
           lead its parents, or (that count, the constant term) when numbers add to z;
           else ``None``
* ``_db``  ∂out/∂_b when ``_b`` is a Value, else ``None``
"""

from __future__ import annotations

import gc
import math
import numbers
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, replace
from operator import mul
from typing import Any, NamedTuple, TypeVar, Union

from autograd_core.stable import sigmoid, sigmoid_on_arrays, softplus, softplus_on_arrays

Number = Union[int, float]
Operand = Union["Value", int, float]
Derivative = Union["Value", float]
_F = TypeVar("_F", bound=Callable[..., Any])

_grad_enabled: ContextVar[bool] = ContextVar("autograd_core_grad_enabled", default=True)
_recording = _grad_enabled.get
_no_grad_used = False  # until the first no_grad(), every context records: skip asking the ContextVar
_new = object.__new__


class _GradMode:
    """``with`` it: new Values record their graph (or not) inside the block, for this thread or asyncio task.

    Reusable and re-entrant, like PyTorch's: one object can be entered in several ``with``
    blocks, also nested (each entry keeps the mode it replaced).
    """

    __slots__ = ("_enabled", "_tokens")

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._tokens: list[Token[bool]] = []

    def __enter__(self) -> None:
        global _no_grad_used
        if not self._enabled:
            _no_grad_used = True  # never reset: a task made inside the block may run after it
        self._tokens.append(_grad_enabled.set(self._enabled))

    def __exit__(self, *exc: object) -> None:
        _grad_enabled.reset(self._tokens.pop())


def no_grad() -> AbstractContextManager[None]:
    """Inside this block, new Values record no parents (no graph is built).

    Uses a ``ContextVar``, so it is local to the current thread and asyncio task (a task
    created inside the block keeps it, even when it runs after the block). The object
    can be reused: ``quiet = no_grad()`` then ``with quiet:`` as often as you like.
    """
    return _GradMode(False)


def enable_grad() -> AbstractContextManager[None]:
    """Inside this block new Values record their graph again, even inside ``no_grad()``
    (``grad(f)`` uses it, so derivatives work in code that runs under ``no_grad``)."""
    return _GradMode(True)


def is_grad_enabled() -> bool:
    """True unless called inside ``no_grad()``."""
    return _grad_enabled.get()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector inside the block. Building a graph allocates tens of
    thousands of nodes, which would trigger repeated full collections; a graph has no cycles,
    so reference counting frees it as soon as the last reference goes (``fit`` and
    ``compile_batch`` build theirs inside)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _constant(x: object) -> float | None:
    """A plain real number (int, float, NumPy scalar; not bool) as a float, else None."""
    cls = x.__class__
    if cls is float:
        return x  # type: ignore[return-value]
    if cls is int or (isinstance(x, numbers.Real) and cls is not bool):
        try:
            return float(x)  # type: ignore[arg-type]
        except OverflowError:
            raise OverflowError(f"{_short(x)} is too large for a float (the largest is about 1.8e308)") from None
    return None


def _short(x: object) -> str:
    """``repr(x)``, shortened for an error message (an int of 400 digits)."""
    if isinstance(x, int) and x.bit_length() > 4000:  # repr() of it would raise
        return f"an int of about {int(x.bit_length() * 0.30103)} digits"
    r = repr(x)
    return r if len(r) <= 60 else f"{r[:25]}…{r[-10:]} ({len(r)} characters)"


def _as_float(x: object, what: str) -> float:
    """``float(x)`` for a real number; a TypeError (or OverflowError) naming ``what`` otherwise."""
    try:
        c = _constant(x)
    except OverflowError as e:
        raise OverflowError(f"{what}: {e}") from None
    if c is None:
        kind = type(x).__name__
        raise TypeError(f"{what} must be a real number (int, float or NumPy scalar), got {kind}: {_short(x)}")
    return c


def _fmt(c: float) -> str:
    """Short text for a constant shown inside an op, e.g. ``*2`` or ``**0.5``."""
    return format(c, "g")


class Op:
    """A kind of operation: its display ``name`` and its local derivatives as Values.

    The forward value and the float local derivatives are computed where the op is
    applied (the ``Value`` method or function right below its ``Op``). ``grads(out)``
    gives the same ∂out/∂parentᵢ, one per parent of the node ``out``, as Values built
    from engine ops (or plain numbers where they are constant): the backward pass of
    ``gradients(..., create_graph=True)`` multiplies by them, so its result can be
    differentiated again. An op whose ``grads`` is ``None`` is first-order only.
    ``vectorised(np, a, b)`` computes the same value and local derivatives on NumPy arrays
    (one entry per example), for ``compile_batch``; ``a`` is the first operand, ``b`` the
    second (an array, a constant, or None); for an ``nary`` op (``vsum``, ``dot``, ``vmax``:
    any number of parents), ``a`` is the list of the parents' arrays and ``b`` the constant
    of ``node.parts().array_constant``. ``constant`` places the op's constant in its name: ``"after"``
    (``*2``), ``"before"`` (``2-`` for 2 − x) or ``"hidden"``.
    """

    __slots__ = ("constant", "grads", "name", "nary", "vectorised")

    def __init__(
        self,
        name: str,
        grads: Callable[[Value], Sequence[Derivative]] | None = None,
        *,
        vectorised: Callable[..., tuple[Any, tuple[Any, ...]]] | None = None,
        constant: str = "after",
        nary: bool = False,
    ) -> None:
        if not isinstance(name, str):
            raise TypeError(f"Op(name) must be a str, got {type(name).__name__}: {name!r}")
        if grads is not None and not callable(grads):
            raise TypeError(f"Op(grads) of op {name!r} must be callable or None, got {type(grads).__name__}")
        if constant not in ("after", "before", "hidden"):
            raise ValueError(f"Op(constant) of op {name!r} must be 'after', 'before' or 'hidden', got {constant!r}")
        self.name = name
        self.grads = grads
        self.vectorised = vectorised
        self.constant = constant
        self.nary = nary

    def __repr__(self) -> str:
        return f"Op({self.name!r}{'' if self.grads else ', first order only'})"


_UNRECORDED = Op("")  # the op of a Value computed inside no_grad(): it has no graph


# ------------------------------------------------------------------ the op registry
Interval = Union[tuple[float, float], None]  # None: any real number


@dataclass(frozen=True)
class Example:
    """One registered way to apply an op, with what a test of it needs.

    ``apply`` builds one node of the op from Values (one per argument; written with
    operators and methods only, so it works for any Value class) and ``reference``
    computes the same number from floats, written independently (``math.exp``).
    ``domain`` gives, per argument, the interval to sample from (None: any real; tests
    draw from −3..3 there); its length is the arity. ``points`` are extra points to
    check (the edges of the domain); ``kinks`` the values of argument 0 where the op has
    no derivative; ``display`` the node's ``.op`` text. ``template`` writes it as code
    (``{0}``, ``{1}``… are the arguments), and names it in random programs with ``name``.
    ``generic`` is ``apply`` for other Value classes when ``apply`` needs this engine's
    own functions (``vsum``, ``dot``). The tests in ``tests/test_op_registry.py`` check
    every registered example: float rule against central differences, Value rule
    (second derivatives), array rule against the float rule, and display.
    """

    name: str
    template: str
    apply: Callable[..., Value]
    reference: Callable[..., float] | None
    domain: tuple[Interval, ...]
    points: tuple[tuple[float, ...], ...] = ()
    kinks: tuple[float, ...] = ()
    display: str = ""
    generic: Callable[..., object] | None = None
    in_programs: bool = True  # drawn into random programs (not vmax: equal branches tie there, a kink)
    covers: Callable[..., object] | None = None  # the function or method it exercises (set by ``register``)

    @property
    def arity(self) -> int:
        return len(self.domain)


ANY: Interval = None  # any real number
SMALL: Interval = (-2.0, 2.0)  # keeps products and powers small in random programs
POSITIVE: Interval = (0.5, 2.0)  # log, sqrt, a divisor

OP_EXAMPLES: dict[str, Example] = {}  # by name, in the order they were registered


def register(*examples: Example) -> Callable[[_F], _F]:
    """Decorator: register ``examples`` of the op that the decorated function or method computes.

    Next to each op's definition (``@register(Example("exp", "exp({0})", …))`` above
    ``def exp``); ``nn`` registers its losses the same way. A name registered twice raises.
    """

    def decorate(f: _F) -> _F:
        for example in examples:
            if example.name in OP_EXAMPLES:
                raise ValueError(f"register: an op example named {example.name!r} is already registered")
            OP_EXAMPLES[example.name] = replace(example, covers=f)
        return f

    return decorate


class Parts(NamedTuple):
    """A node, decoded: what every reader of a graph (stepping, drawing, compile, jvp) uses.

    ``parents[i]`` has the local derivative ``local_grads[i]`` = ∂node/∂parents[i]
    (duplicates kept: ``a + a`` has ``a`` twice). ``constant`` is the op's constant
    operand (2 in ``x * 2`` or ``2 - x``, the slope of a leaky ReLU), for ``dot`` and
    ``vsum`` the constant term (the plain numbers they add: a number bias, products of
    numbers), else None. ``pairs``
    is k for ``dot``: parents[:k] are weights wᵢ and parents[k:2k] the inputs xᵢ they
    multiply, so ∂z/∂wᵢ = xᵢ; every later parent has a constant partner (its local
    derivative, e.g. an input given as data, or 1 for the bias). 0 for every other op.
    """

    op: Op | None  # None for a leaf; an Op named "" for a result computed under no_grad
    parents: tuple[Value, ...]
    local_grads: tuple[float, ...]
    constant: float | None
    pairs: int

    def partner(self, i: int) -> Value | None:
        """The parent whose value is ∂node/∂parents[i], for a product (``w * x``, dot's wᵢ·xᵢ), else None."""
        k = self.pairs
        if i < 2 * k:
            return self.parents[(i + k) % (2 * k)]
        if self.op is _MUL and len(self.parents) == 2:
            return self.parents[1 - i]
        return None

    @property
    def array_constant(self) -> Any:
        """The constant the op's array rule (``Op.vectorised``) takes: for ``dot``, k and the
        constant partners; for ``vsum``, None (its numbers are an offset added to its columns:
        ``constant``); for any other op, ``constant``."""
        if self.op is DOT:
            return self.pairs, self.local_grads[2 * self.pairs :]
        return None if self.op is VSUM else self.constant

    @property
    def constant_term(self) -> float:
        """What the array rule leaves out: the numbers ``dot`` and ``vsum`` add to their terms
        (a number bias, products of numbers); 0.0 for a node without them and any other op."""
        return (self.constant or 0.0) if self.op is DOT or self.op is VSUM else 0.0


_LEAF = Parts(None, (), (), None, 0)


def _node(
    data: float,
    op: Op,
    a: Value | tuple[Value, ...] | None,
    da: float | tuple[float, ...] | None,
    b: Value | float | tuple[int, float] | None = None,
    db: float | None = None,
) -> Value:
    """Make an op node without going through ``Value.__init__`` (the hot path)."""
    out = _new(Value)
    out._data = data
    out._grad = 0.0
    out.label = ""
    out._mark = None
    if not _no_grad_used or _recording():
        out._op = op
        out._a = a
        out._da = da
        out._b = b
        out._db = db
    else:
        out._op = _UNRECORDED
        out._a = out._da = out._b = out._db = None
    return out


def _first(out: Value) -> Value:
    """The first operand of a unary or binary node (for the ops' ``grads``)."""
    a = out._a
    assert isinstance(a, Value)
    return a


def _second(out: Value) -> Derivative:
    """The second operand of a binary node: a Value, or the op's constant."""
    b = out._b
    assert b is not None and not isinstance(b, tuple)
    return b


def _constant_of(out: Value) -> float:
    """The constant operand of a node like ``2 ** x``."""
    b = out._b
    assert isinstance(b, float)
    return b


def _slope(out: Value) -> float:
    """The float local derivative of a unary node (a constant: relu, abs, leaky_relu have ″ = 0)."""
    d = out._da
    assert isinstance(d, float)
    return d


_INFINITE_SLOPE = Op("∞ slope")  # first order only: its own derivative is another infinity


def _infinite_slope(a: Value) -> Value:
    """The derivative of √a (or of aᶜ, 0 < c < 1) at a = 0 as a Value: +inf, whose own derivative is −inf."""
    return _node(math.inf, _INFINITE_SLOPE, a, -math.inf)


def _checked(d: float, op: str, formula: str) -> float:
    """A float local derivative, or an OverflowError saying that the derivative of ``op`` overflows."""
    if math.isinf(d):
        raise OverflowError(f"op {op!r}: the derivative {formula} overflows a float ({d!r})")
    return d


def _div_grads(out: Value) -> tuple[Derivative, ...]:
    """∂(a/b)/∂a = 1/b and ∂(a/b)/∂b = −(a/b)/b, as Values."""
    b = _second(out)
    return (1.0 / b, -out / b)


def _rdiv_grads(out: Value) -> tuple[Derivative, ...]:
    """∂(c/a)/∂a = −(c/a)/a, as a Value."""
    return (-out / _first(out),)


def _pow_grads(out: Value) -> tuple[Derivative, ...]:
    """∂(aᵇ)/∂a = b·aᵇ⁻¹ (0 for b = 0) and, for a Value exponent, ∂/∂b = aᵇ·ln a."""
    a, b = _first(out), _second(out)
    if isinstance(b, Value):
        return (b * a ** (b - 1), out * a.log())
    if b == 0:
        return (0.0,)
    if a._data == 0.0 and b < 1:
        return (_infinite_slope(a),)
    return (b * a ** (b - 1),)


def _pow_vectorised(np: Any, a: Any, b: Any) -> tuple[Any, tuple[Any, ...]]:
    """aᵇ on arrays: ∂/∂a = b·aᵇ⁻¹ (0 for b = 0, as for floats), ∂/∂b = aᵇ·ln a."""
    out = a**b
    if isinstance(b, float):
        return out, ((0.0 if b == 0 else b * a ** (b - 1)),)
    return out, (b * out / a, out * np.log(a))


def _custom_op(
    op: str | Op, parents: Sequence[Value], local_grads: Sequence[Number | Value]
) -> tuple[Op, tuple[Value, ...], tuple[float, ...]]:
    """The Op, parents and float local derivatives of ``Value(..., parents=, local_grads=, op=)``, checked."""
    kind = op if isinstance(op, Op) else Op(op) if isinstance(op, str) else None
    if kind is None:
        raise TypeError(f"Value(op) must be a str or an Op, got {type(op).__name__}: {op!r}")
    ps, grads = tuple(parents), tuple(local_grads)
    if len(ps) != len(grads):
        raise ValueError(
            f"op {kind.name!r}: got {len(ps)} parents but {len(grads)} local_grads; give one ∂out/∂parent per parent"
        )
    for i, p in enumerate(ps):
        if not isinstance(p, Value):
            raise TypeError(f"parents[{i}] of op {kind.name!r} must be a Value, got {type(p).__name__}: {p!r}")
    floats = tuple(
        g._data if isinstance(g, Value) else _as_float(g, f"local_grads[{i}] of op {kind.name!r}")
        for i, g in enumerate(grads)
    )
    if any(isinstance(g, Value) for g in grads):
        if kind.grads is not None:
            raise ValueError(f"op {kind.name!r}: give local_grads as Values or an Op with grads, not both")
        kind = Op(kind.name, lambda out: grads)  # twice differentiable: the expressions given
    return kind, ps, floats


class Value:
    """One number in a computation graph, with its gradient.

    ``Value(data, label)`` makes a leaf (an input or a parameter). Passing
    ``parents``, ``local_grads`` (∂self/∂parent_i, evaluated now) and ``op`` defines
    your own operation; ``backward()`` then applies the chain rule through it::

        def cube(x: Value) -> Value:
            return Value(x.data**3, parents=(x,), local_grads=(3 * x.data**2,), op="cube")

    Give the local derivatives as Values (``local_grads=(3 * x**2,)``) and the op is
    twice differentiable too. ``float(v)``, ``format(v, ".3f")``, ``round(v)`` and the
    comparisons ``< <= > >=`` use the number (they return plain numbers and bools and
    are not differentiated); ``bool(v)`` is ``v.data != 0``; ``==`` and ``hash`` are
    identity, so Values can be dict keys (compare ``.data`` for equal numbers).
    """

    __slots__ = ("_data", "_grad", "label", "_op", "_a", "_da", "_b", "_db", "_mark")
    __array_ufunc__ = None  # NumPy scalars on the left defer to our reflected operators

    _data: float
    _grad: float
    label: str
    _op: Op | None
    _a: Value | tuple[Value, ...] | None
    _da: float | tuple[float, ...] | None
    _b: Value | float | tuple[int, float] | None
    _db: float | None
    _mark: object

    def __init__(
        self,
        data: Number,
        label: str = "",
        *,
        parents: Sequence[Value] = (),
        local_grads: Sequence[Number | Value] = (),
        op: str | Op = "",
    ) -> None:
        if isinstance(data, Value):
            raise TypeError(f"Value(data) must be a real number, got a Value ({data!r}); use it directly")
        self._data = _as_float(data, "Value(data)")
        self._grad = 0.0
        self._mark = None
        if not isinstance(label, str):
            raise TypeError(f"Value(label) must be a str, got {type(label).__name__}: {label!r}")
        self.label = label
        self._op, self._a, self._da, self._b, self._db = None, None, None, None, None
        if op == "" and not parents and not local_grads:
            return  # a leaf: an input, a parameter or a constant
        kind, parents, floats = _custom_op(op, parents, local_grads)
        if not _recording():  # under no_grad a custom op, like a built-in one, records nothing
            self._op = _UNRECORDED if parents else None
            return
        self._op = kind
        if len(parents) == 1:
            self._a, self._da = parents[0], floats[0]
        elif len(parents) == 2:
            self._a, self._da, self._b, self._db = parents[0], floats[0], parents[1], floats[1]
        elif parents:
            self._a, self._da = parents, floats

    # ------------------------------------------------------------ the numbers
    # Each read of the number (not ``_data``, which only the engine uses) reports itself to
    # ``_read_hook`` while a read watch is on (``autograd_core.reads``); otherwise it costs
    # one test of a module global.
    @property
    def data(self) -> float:
        """The number this Value holds."""
        if _read_hook is not None:
            _read_hook(self, "data")
        return self._data

    @data.setter
    def data(self, x: Number) -> None:
        self._data = _as_float(x, "Value.data")

    @property
    def grad(self) -> float:
        """∂root/∂self after ``root.backward()`` (0.0 until then; gradients accumulate)."""
        return self._grad

    @grad.setter
    def grad(self, x: Number) -> None:
        self._grad = _as_float(x, "Value.grad")

    def __float__(self) -> float:
        if _read_hook is not None:
            _read_hook(self, "float")
        return self._data

    def __int__(self) -> int:
        if _read_hook is not None:
            _read_hook(self, "int")
        return int(self._data)

    def __round__(self, ndigits: int | None = None) -> float:
        if _read_hook is not None:
            _read_hook(self, "round")
        return round(self._data, ndigits)

    def __format__(self, spec: str) -> str:
        if not spec:
            return repr(self)
        if _read_hook is not None:
            _read_hook(self, "format")
        return format(self._data, spec)

    def __bool__(self) -> bool:
        if _read_hook is not None:
            _read_hook(self, "bool")
        return self._data != 0.0

    def __lt__(self, other: Operand) -> bool:
        if _read_hook is not None:
            _compared_read(self, other, "<")
        return self._data < _compared(other, "<")

    def __le__(self, other: Operand) -> bool:
        if _read_hook is not None:
            _compared_read(self, other, "<=")
        return self._data <= _compared(other, "<=")

    def __gt__(self, other: Operand) -> bool:
        if _read_hook is not None:
            _compared_read(self, other, ">")
        return self._data > _compared(other, ">")

    def __ge__(self, other: Operand) -> bool:
        if _read_hook is not None:
            _compared_read(self, other, ">=")
        return self._data >= _compared(other, ">=")

    __eq__ = object.__eq__  # identity: Values are dict keys (SGD's momentum buffers)
    __hash__ = object.__hash__

    # ----------------------------------------------------------------- structure
    def parts(self) -> Parts:
        """This node decoded: its op, parents, local derivatives, constant and (for ``dot``) pairs."""
        op, a, b = self._op, self._a, self._b
        if a is None:
            return _LEAF if op is None else Parts(op, (), (), None, 0)
        if isinstance(a, tuple):
            assert isinstance(self._da, tuple)
            if op is DOT:
                k, c = b if isinstance(b, tuple) else (b or 0, None)
                return Parts(op, a, self._da, c, int(k))
            return Parts(op, a, self._da, b if isinstance(b, float) else None, 0)  # vmax, vsum: their constant
        assert isinstance(self._da, float)
        if isinstance(b, Value):
            assert self._db is not None
            return Parts(op, (a, b), (self._da, self._db), None, 0)
        assert not isinstance(b, tuple)
        return Parts(op, (a,), (self._da,), b, 0)

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from (duplicates kept: ``a + a`` has ``a`` twice)."""
        return self.parts().parents

    @property
    def local_grads(self) -> tuple[float, ...]:
        """∂self/∂parent_i for each parent, evaluated when this Value was computed."""
        return self.parts().local_grads

    @property
    def op(self) -> str:
        """The operation that made this Value, with any constant: ``"+"``, ``"*2"``, ``"tanh"``."""
        op, _, _, c, _ = self.parts()
        if op is None:
            return ""
        if c is None or op.constant == "hidden":
            return op.name
        return f"{_fmt(c)}{op.name}" if op.constant == "before" else f"{op.name}{_fmt(c)}"

    @property
    def is_leaf(self) -> bool:
        """True for a Value with no parents (an input, a parameter, a constant, or a result computed under no_grad)."""
        return self._a is None

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self._data!r}, grad={self._grad!r}{label})"

    # ---------------------------------------------------------------- arithmetic
    # ``+`` and ``*`` build most of a micrograd-style graph, so they make their node
    # in place (what ``_node`` does, minus a function call: about 5 % of a training step).
    _ADD = Op("+", lambda out: (1.0, 1.0), vectorised=lambda np, a, b: (a + b, (1.0, 1.0)))

    @register(
        Example("add", "{0} + {1}", lambda a, b: a + b, operator.add, (ANY, ANY), display="+"),
        Example("add_c", "{0} + 2.5", lambda a: a + 2.5, lambda x: x + 2.5, (ANY,), display="+2.5"),
        Example("radd", "2.5 + {0}", lambda a: 2.5 + a, lambda x: 2.5 + x, (ANY,), display="+2.5"),
    )
    def __add__(self, other: Operand) -> Value:
        """a + b: ∂/∂a = 1, ∂/∂b = 1."""
        if other.__class__ is Value and (not _no_grad_used or _recording()):
            out = _new(Value)
            out._data = self._data + other._data
            out._grad = 0.0
            out.label = ""
            out._mark = None
            out._op = _ADD
            out._a = self
            out._da = 1.0
            out._b = other
            out._db = 1.0
            return out
        if (c := _constant(other)) is not None:
            return _node(self._data + c, _ADD, self, 1.0, c)
        if isinstance(other, Value):  # under no_grad, or a subclass of Value
            return _node(self._data + other._data, _ADD, self, 1.0, other, 1.0)
        return NotImplemented

    __radd__ = __add__

    _SUB = Op("-", lambda out: (1.0, -1.0), vectorised=lambda np, a, b: (a - b, (1.0, -1.0)))

    @register(
        Example("sub", "{0} - {1}", lambda a, b: a - b, operator.sub, (ANY, ANY), display="-"),
        Example("sub_c", "{0} - 2.5", lambda a: a - 2.5, lambda x: x - 2.5, (ANY,), display="-2.5"),
    )
    def __sub__(self, other: Operand) -> Value:
        """a − b: ∂/∂a = 1, ∂/∂b = −1."""
        if isinstance(other, Value):
            return _node(self._data - other._data, self._SUB, self, 1.0, other, -1.0)
        if (c := _constant(other)) is not None:
            return _node(self._data - c, self._SUB, self, 1.0, c)
        return NotImplemented

    _RSUB = Op("-", lambda out: (-1.0,), vectorised=lambda np, a, c: (c - a, (-1.0,)), constant="before")

    @register(Example("rsub", "2 - {0}", lambda a: 2 - a, lambda x: 2 - x, (ANY,), display="2-"))
    def __rsub__(self, other: Number) -> Value:
        """c − a: ∂/∂a = −1."""
        if (c := _constant(other)) is not None:
            return _node(c - self._data, self._RSUB, self, -1.0, c)
        return NotImplemented

    _MUL = Op("*", lambda out: (_second(out), _first(out)), vectorised=lambda np, a, b: (a * b, (b, a)))

    @register(
        Example("mul", "{0} * {1}", lambda a, b: a * b, operator.mul, (SMALL, SMALL), display="*"),
        Example("mul_c", "{0} * -3", lambda a: a * -3, lambda x: x * -3, (SMALL,), display="*-3"),
        Example("rmul", "-3 * {0}", lambda a: -3 * a, lambda x: -3 * x, (SMALL,), display="*-3"),
    )
    def __mul__(self, other: Operand) -> Value:
        """a · b: ∂/∂a = b, ∂/∂b = a."""
        if other.__class__ is Value and (not _no_grad_used or _recording()):
            out = _new(Value)
            out._data = self._data * other._data
            out._grad = 0.0
            out.label = ""
            out._mark = None
            out._op = _MUL
            out._a = self
            out._da = other._data
            out._b = other
            out._db = self._data
            return out
        if (c := _constant(other)) is not None:
            return _node(self._data * c, _MUL, self, c, c)
        if isinstance(other, Value):  # under no_grad, or a subclass of Value
            return _node(self._data * other._data, _MUL, self, other._data, other, self._data)
        return NotImplemented

    __rmul__ = __mul__

    _DIV = Op(
        "/",
        _div_grads,
        vectorised=lambda np, a, b: (out := a / b, (1.0 / b, -out / b)),
    )

    @register(
        Example(
            "div",
            "{0} / {1}",
            lambda a, b: a / b,
            operator.truediv,
            (SMALL, POSITIVE),
            points=((1.5, -2.0), (3.0, 1e-4)),
            display="/",
        ),
        Example("div_c", "{0} / 4", lambda a: a / 4, lambda x: x / 4, (SMALL,), display="/4"),
    )
    def __truediv__(self, other: Operand) -> Value:
        """a / b: ∂/∂a = 1/b, ∂/∂b = −a/b² computed as −(a/b)/b (no underflow for tiny b)."""
        if isinstance(other, Value):
            b = other._data
            if b == 0.0:
                raise ZeroDivisionError(f"op '/': division by zero ({self._data!r} / {b!r})")
            out = self._data / b
            da = _checked(1.0 / b, "/", f"∂(a / b)/∂a = 1/b at b = {b!r}")
            db = _checked(-out / b, "/", f"∂(a / b)/∂b = −(a/b)/b at a = {self._data!r}, b = {b!r}")
            return _node(out, self._DIV, self, da, other, db)
        if (c := _constant(other)) is not None:
            if c == 0.0:
                raise ZeroDivisionError(f"op '/': division by zero ({self._data!r} / {other!r})")
            return _node(self._data / c, self._DIV, self, _checked(1.0 / c, "/", f"∂(a / c)/∂a = 1/c at c = {c!r}"), c)
        return NotImplemented

    _RDIV = Op(
        "/",
        _rdiv_grads,
        vectorised=lambda np, a, c: (out := c / a, (-out / a,)),
        constant="before",
    )

    @register(
        Example(
            "recip", "2 / {0}", lambda a: 2 / a, lambda x: 2 / x, (POSITIVE,), points=((1e-4,), (-3.0,)), display="2/"
        )
    )
    def __rtruediv__(self, other: Number) -> Value:
        """c / a: ∂/∂a = −c/a² computed as −(c/a)/a (no underflow for tiny a)."""
        if (c := _constant(other)) is not None:
            a = self._data
            if a == 0.0:
                raise ZeroDivisionError(f"op '/': division by zero ({other!r} / {a!r})")
            out = c / a
            return _node(
                out, self._RDIV, self, _checked(-out / a, "/", f"∂(c / a)/∂a = −(c/a)/a at c = {c!r}, a = {a!r}"), c
            )
        return NotImplemented

    _POW = Op("**", _pow_grads, vectorised=lambda np, a, b: _pow_vectorised(np, a, b))

    @register(
        Example(
            "pow",
            "{0} ** {1}",
            lambda a, b: a**b,
            operator.pow,
            ((0.5, 2.0), (-2.0, 2.0)),
            points=((1e-3, 2.5), (4.0, 0.5)),
            display="**",
        ),
        Example("square", "{0} ** 2", lambda a: a**2, lambda x: x * x, (SMALL,), points=((0.0,),), display="**2"),
        Example("cube", "{0} ** 3", lambda a: a**3, lambda x: x * x * x, (SMALL,), display="**3"),
        Example(
            "root", "{0} ** 0.5", lambda a: a**0.5, math.sqrt, (POSITIVE,), points=((1e-8,), (4.0,)), display="**0.5"
        ),
        Example(
            "inverse", "{0} ** -1", lambda a: a**-1, lambda x: 1 / x, (POSITIVE,), points=((-1e-3,),), display="**-1"
        ),
        Example("power_0", "{0} ** 0", lambda a: a**0, lambda x: 1.0, (POSITIVE,), display="**0"),
    )
    def __pow__(self, other: Operand) -> Value:
        """aᵇ: ∂/∂a = b·aᵇ⁻¹; for a Value exponent also ∂/∂b = aᵇ·ln a (needs a > 0)."""
        a = self._data
        if isinstance(other, Value):
            b = other._data
            if a <= 0.0:
                raise ValueError(f"op '**': a Value exponent needs a positive base, got base {a!r} (exponent {b!r})")
            out = _pow(a, b)
            da = _checked(b * (out / a), "**", f"∂(a ** b)/∂a = b·aᵇ/a at a = {a!r}, b = {b!r}")
            db = _checked(out * math.log(a), "**", f"∂(a ** b)/∂b = aᵇ·ln a at a = {a!r}, b = {b!r}")
            return _node(out, self._POW, self, da, other, db)
        if (c := _constant(other)) is not None:
            out = _pow(a, c)
            return _node(out, self._POW, self, _power_rule(a, c), c)
        return NotImplemented

    _RPOW = Op(
        "**",
        lambda out: (out * math.log(_constant_of(out)),),
        vectorised=lambda np, a, c: (c**a, (c**a * math.log(c),)),
        constant="before",
    )

    @register(
        Example("rpow", "2 ** {0}", lambda a: 2**a, lambda x: 2.0**x, (SMALL,), display="2**"),
        Example("rpow_half", "0.5 ** {0}", lambda a: 0.5**a, lambda x: 0.5**x, (SMALL,), display="0.5**"),
    )
    def __rpow__(self, other: Number) -> Value:
        """cᵃ: ∂/∂a = cᵃ·ln c (needs c > 0)."""
        c = _constant(other)
        if c is None:
            return NotImplemented
        if c <= 0.0:
            raise ValueError(
                f"op '**': a Value exponent needs a positive base, got base {other!r} (exponent {self._data!r})"
            )
        out = _pow(c, self._data)
        da = _checked(out * math.log(c), "**", f"∂(c ** a)/∂a = cᵃ·ln c at c = {c!r}, a = {self._data!r}")
        return _node(out, self._RPOW, self, da, c)

    _NEG = Op("neg", lambda out: (-1.0,), vectorised=lambda np, a, _: (-a, (-1.0,)))

    @register(Example("neg", "-{0}", lambda a: -a, operator.neg, (ANY,), display="neg"))
    def __neg__(self) -> Value:
        """−a: ∂/∂a = −1."""
        return _node(-self._data, self._NEG, self, -1.0)

    def __pos__(self) -> Value:
        return self

    _ABS = Op("abs", lambda out: (_slope(out),), vectorised=lambda np, a, _: (np.abs(a), (np.sign(a),)))  # abs″ = 0

    @register(Example("abs", "abs({0})", abs, abs, (ANY,), points=((1e-6,), (-2.0,)), kinks=(0.0,), display="abs"))
    def __abs__(self) -> Value:
        """|a|: ∂/∂a = sign(a), with abs′(0) = 0."""
        a = self._data
        return _node(abs(a), self._ABS, self, 1.0 if a > 0.0 else (-1.0 if a < 0.0 else 0.0))

    # ------------------------------------------------------------ elementary fns
    _EXP = Op("exp", lambda out: (out,), vectorised=lambda np, a, _: (e := np.exp(a), (e,)))

    @register(
        Example("exp", "exp({0})", lambda a: a.exp(), math.exp, (SMALL,), points=((-30.0,), (709.0,)), display="exp")
    )
    def exp(self) -> Value:
        """eᵃ: ∂/∂a = eᵃ."""
        try:
            out = math.exp(self._data)
        except OverflowError:
            raise OverflowError(
                f"op 'exp': exp({self._data!r}) overflows a float (the limit is about exp(709.78))"
            ) from None
        return _node(out, self._EXP, self, out)

    _LOG = Op("log", lambda out: (1.0 / _first(out),), vectorised=lambda np, a, _: (np.log(a), (1.0 / a,)))

    @register(
        Example("log", "log({0})", lambda a: a.log(), math.log, (POSITIVE,), points=((1e-8,), (1e4,)), display="log")
    )
    def log(self) -> Value:
        """ln a: ∂/∂a = 1/a (needs a > 0)."""
        a = self._data
        if a <= 0.0:
            raise ValueError(f"op 'log': log is defined only for positive inputs, got {a!r}")
        return _node(math.log(a), self._LOG, self, _checked(1.0 / a, "log", f"∂(ln a)/∂a = 1/a at a = {a!r}"))

    _SQRT = Op(
        "sqrt",
        lambda out: (0.5 / out if out._data else _infinite_slope(_first(out)),),
        vectorised=lambda np, a, _: (r := np.sqrt(a), (0.5 / r,)),
    )

    @register(
        Example(
            "sqrt", "sqrt({0})", lambda a: a.sqrt(), math.sqrt, (POSITIVE,), points=((1e-10,), (1e4,)), display="sqrt"
        )
    )
    def sqrt(self) -> Value:
        """√a: ∂/∂a = 1/(2√a) (needs a ≥ 0; the derivative at 0 is +inf)."""
        a = self._data
        if a < 0.0:
            raise ValueError(f"op 'sqrt': sqrt is defined only for inputs ≥ 0, got {a!r}")
        out = math.sqrt(a)
        return _node(out, self._SQRT, self, 0.5 / out if out else math.inf)

    _TANH = Op("tanh", lambda out: (1.0 - out * out,), vectorised=lambda np, a, _: (t := np.tanh(a), (1.0 - t * t,)))

    @register(Example("tanh", "tanh({0})", lambda a: a.tanh(), math.tanh, (ANY,), points=((-20.0,),), display="tanh"))
    def tanh(self) -> Value:
        """tanh a: ∂/∂a = 1 − tanh²a."""
        t = math.tanh(self._data)
        return _node(t, self._TANH, self, 1.0 - t * t)

    _SIGMOID = Op(
        "σ",
        lambda out: (out * (1.0 - out),),
        vectorised=lambda np, a, _: (s := sigmoid_on_arrays(np, a), (s * (1.0 - s),)),
    )

    @register(
        Example(
            "sigmoid",
            "sigmoid({0})",
            lambda a: a.sigmoid(),
            lambda x: 1 / (1 + math.exp(-x)),
            (ANY,),
            points=((-30.0,), (30.0,)),
            display="σ",
        )
    )
    def sigmoid(self) -> Value:
        """σ(a) = 1/(1 + e⁻ᵃ): ∂/∂a = σ(a)(1 − σ(a)). Stable for any a."""
        s = sigmoid(self._data)
        return _node(s, self._SIGMOID, self, s * (1.0 - s))

    _RELU = Op(  # relu″ = 0: the local derivative is a constant
        "ReLU", lambda out: (_slope(out),), vectorised=lambda np, a, _: (np.where(a > 0.0, a, 0.0), (a > 0.0,))
    )

    @register(
        Example(
            "relu",
            "relu({0})",
            lambda a: a.relu(),
            lambda x: max(x, 0.0),
            (ANY,),
            points=((1e-6,), (-2.0,)),
            kinks=(0.0,),
            display="ReLU",
        )
    )
    def relu(self) -> Value:
        """max(0, a): ∂/∂a = 1 if a > 0 else 0 (relu′(0) = 0)."""
        a = self._data
        if a > 0.0:
            return _node(a, self._RELU, self, 1.0)
        return _node(0.0, self._RELU, self, 0.0)

    _LEAKY_RELU = Op(  # leaky_relu″ = 0; the slope is the constant operand, not shown
        "LeakyReLU",
        lambda out: (_slope(out),),
        vectorised=lambda np, a, slope: (np.where(a > 0.0, a, slope * a), (np.where(a > 0.0, 1.0, slope),)),
        constant="hidden",
    )

    @register(
        Example(
            "leaky_relu",
            "leaky_relu({0})",
            lambda a: a.leaky_relu(),
            lambda x: x if x > 0 else 0.01 * x,
            (ANY,),
            points=((3.0,), (-2.0,)),
            kinks=(0.0,),
            display="LeakyReLU",
        ),
    )
    def leaky_relu(self, negative_slope: float = 0.01) -> Value:
        """a if a > 0 else slope·a: ∂/∂a = 1 if a > 0 else slope (leaky_relu′(0) = slope)."""
        slope = _as_float(negative_slope, "leaky_relu(negative_slope)")
        a = self._data
        if a > 0.0:
            return _node(a, self._LEAKY_RELU, self, 1.0, slope)
        return _node(slope * a, self._LEAKY_RELU, self, slope, slope)

    _SOFTPLUS = Op(
        "softplus",
        lambda out: (_first(out).sigmoid(),),
        vectorised=lambda np, a, _: (softplus_on_arrays(np, a), (sigmoid_on_arrays(np, a),)),
    )

    @register(
        Example(
            "softplus",
            "softplus({0})",
            lambda a: a.softplus(),
            lambda x: math.log1p(math.exp(x)),
            (ANY,),
            points=((-30.0,), (30.0,)),
            display="softplus",
        )
    )
    def softplus(self) -> Value:
        """ln(1 + eᵃ), computed as max(a, 0) + ln(1 + e⁻|ᵃ|): ∂/∂a = σ(a). Stable for any a."""
        a = self._data
        return _node(softplus(a), self._SOFTPLUS, self, sigmoid(a))

    # ------------------------------------------------------------------ backward
    def backward(self, gradient: float = 1.0) -> None:
        """Add ∂self/∂v · gradient to ``v.grad`` for every Value v this one depends on.

        Gradients **accumulate** (``+=``), as in PyTorch: calling ``backward()`` twice
        adds the gradients twice, so call ``zero_grad()`` between steps. Iterative, so
        graphs of any depth work; every node is processed once. Edges whose local
        derivative or upstream gradient is exactly 0 are skipped: an exact 0 is a strong
        zero, so a node whose gradient is 0 passes 0 on even where its local derivative is
        inf or nan (√x at 0 behind ``* 0``), and a local derivative 0 blocks an infinite
        gradient. It writes ``.grad`` on every node it reaches: two ``backward()`` calls
        at once in two threads must not reach the same Values (``gradients()`` writes none).
        Raises RuntimeError if this Value was computed inside ``no_grad()``.
        """
        gradient = _as_float(gradient, "backward(gradient)")
        _require_graph(self, "backward()")
        for _ in backward_pass(self, gradient):
            pass

    def zero_grad(self) -> None:
        """Set ``grad = 0.0`` on this Value and every Value it depends on."""
        for v in _reverse_topological_order(self, with_leaves=True)[0]:
            v._grad = 0.0


_ADD, _MUL = Value._ADD, Value._MUL  # read by the inlined + and *


_read_hook: Callable[[Value, str], None] | None = None  # set by autograd_core.reads while a watch is on


def _compared_read(self: Value, other: object, op: str) -> None:
    """Report a comparison to the read watch: both sides are read (a Value on the right too)."""
    assert _read_hook is not None
    _read_hook(self, op)
    if isinstance(other, Value):
        _read_hook(other, op)


def _compared(other: object, op: str) -> float:
    """The number a Value is compared with (comparisons use ``.data``)."""
    if isinstance(other, Value):
        return other._data
    c = _constant(other)
    if c is None:
        raise TypeError(f"'{op}' compares a Value with a real number or a Value, got {type(other).__name__}: {other!r}")
    return c


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
    formula = f"∂(a ** {_fmt(c)})/∂a = {_fmt(c)}·a ** {_fmt(c - 1)} at a = {a!r}"
    try:
        return _checked(c * float(a ** (c - 1)), "**", formula)
    except OverflowError:  # a ** (c − 1) itself
        raise OverflowError(f"op '**': the derivative {formula} overflows a float") from None


# -------------------------------------------------------------- graph traversal
class _Mark:
    """A visit mark, fresh for each graph traversal (see ``_reverse_topological_order``)."""

    __slots__ = ()


def _reverse_topological_order(root: Value, with_leaves: bool) -> tuple[list[Value], list[Value]]:
    """Nodes reachable from ``root``, each after every node that uses it (root first).

    Iterative depth-first search (no recursion limit), marking nodes in their
    ``_mark`` slot with two objects fresh to this call (faster than sets). Also
    returns the non-leaf nodes whose grad is not zero, which ``backward`` must not
    propagate twice. Here and in ``backward_pass`` the slots are read by the layout
    (a binary node has ``_db``), which mypy cannot follow: hence the ``type: ignore``s,
    cheaper than an ``isinstance`` per edge in the two hottest loops.
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
            if v._grad:
                stale.append(v)
        else:
            v._mark = entered
            push(v)
            # Parents are pushed last-first, so the first parent is finished first:
            # topological_order lists x1 before x2, w before b (the order they were given).
            if v._db is not None:  # binary
                b = v._b
                if with_leaves or b._a is not None:  # type: ignore[union-attr]
                    push(b)  # type: ignore[arg-type]
            elif a.__class__ is tuple:  # n-ary
                stack += reversed(a) if with_leaves else [p for p in reversed(a) if p._a is not None]
                continue
            if with_leaves or a._a is not None:  # type: ignore[union-attr]
                push(a)  # type: ignore[arg-type]
    order.reverse()
    return order, stale


def topological_order(root: Value) -> list[Value]:
    """Every Value ``root`` depends on (and ``root``), parents before the nodes that use them."""
    _check_value(root, "topological_order(root)")
    order = _reverse_topological_order(root, with_leaves=True)[0]
    order.reverse()
    return order


def backward_pass(root: Value, gradient: float, *, trace: bool = False) -> Iterator[Value | None]:
    """The chain rule, the one loop ``backward()`` and ``backward_steps`` share.

    ``root.grad += gradient``, then for each node root depends on, in reverse topological
    order: ``parent.grad += ∂node/∂parent · node.grad``, skipping edges where a factor is
    exactly 0. A non-leaf grad left over from an earlier backward is set aside and added
    back at the end, so it does not flow twice. With ``trace`` it yields each node just
    before its update, then ``None`` once all are done (before the leftovers come back);
    without, it yields nothing.
    """
    order, stale = _reverse_topological_order(root, with_leaves=False)
    saved = [v._grad for v in stale]
    for v in stale:
        v._grad = 0.0
    root._grad += gradient
    try:
        for v in order:
            if trace:
                yield v
            g = v._grad
            if not g:
                continue
            d = v._db
            if d is not None:  # binary
                da = v._da
                if da:
                    v._a._grad += da * g  # type: ignore[union-attr, operator]
                if d:
                    v._b._grad += d * g  # type: ignore[union-attr]
                continue
            ds = v._da
            if ds.__class__ is tuple:  # n-ary
                for p, dp in zip(v._a, ds):  # type: ignore[arg-type]
                    if dp:
                        p._grad += dp * g
            elif ds:  # unary
                v._a._grad += ds * g  # type: ignore[union-attr, operator]
        if trace:
            yield None
    finally:
        for v, old in zip(stale, saved):
            v._grad += old


# ---------------------------------------------------------- n-ary ops
def _check_value(v: object, what: str) -> Value:
    if not isinstance(v, Value):
        raise TypeError(f"{what} must be a Value, got {type(v).__name__}: {_short(v)}")
    return v


def _check_callable(f: object, what: str) -> None:
    if not callable(f):
        raise TypeError(f"{what} must be a function, got {type(f).__name__}: {_short(f)}")


def _check_bool(b: object, what: str) -> bool:
    if not isinstance(b, bool):
        raise TypeError(f"{what} must be True or False, got {type(b).__name__}: {_short(b)}")
    return b


def _data(x: object, what: str) -> float:
    return x._data if isinstance(x, Value) else _as_float(x, what)


def _from_parents(
    data: float, op: Op, parents: list[Value], grads: list[float], constant: float | None = None, pairs: int = 0
) -> Value:
    """An n-ary node with its constant term (the numbers it added, or None); with one parent
    and no (w, x) pairs, stored in the unary layout."""
    if len(parents) == 1 and not pairs:
        return _node(data, op, parents[0], grads[0], constant)
    if not parents:
        return _node(data, op, None, None)
    if op is DOT:
        return _node(data, op, tuple(parents), tuple(grads), pairs if constant is None else (pairs, constant))
    return _node(data, op, tuple(parents), tuple(grads), constant)


VSUM = Op(
    "Σ",
    lambda out: (1.0,) * len(out.parts().parents),
    vectorised=lambda np, parents, node: (sum(parents), (1.0,) * len(parents)),
    constant="hidden",
    nary=True,
)


def vsum(values: Iterable[Operand]) -> Value:
    """Σᵢ vᵢ as one node: ∂/∂vᵢ = 1. Plain numbers are constants."""
    if not hasattr(values, "__iter__") or isinstance(values, (str, Value)):
        raise TypeError(
            f"vsum(values) must be an iterable of Values or numbers, got {type(values).__name__}: {_short(values)}"
        )
    parents = []
    total = 0.0
    numbers: float | None = None  # the constant term: Σ of the plain numbers
    for v in values:
        if isinstance(v, Value):
            parents.append(v)
            total += v._data
        else:
            x = _as_float(v, "vsum(values) item")
            total += x
            numbers = x if numbers is None else numbers + x
    return _from_parents(total, VSUM, parents, [1.0] * len(parents), numbers)


register(
    Example(
        "vsum",
        "vsum([{0}, {1}, {2}, 2.0])",
        lambda a, b, c: vsum([a, b, c, 2.0]),
        lambda a, b, c: a + b + c + 2.0,
        (ANY, ANY, ANY),
        display="Σ",
        generic=lambda a, b, c: a + b + c + 2.0,
    )
)(vsum)


def _dot_grads(out: Value) -> tuple[Derivative, ...]:
    """∂z/∂wᵢ = xᵢ and ∂z/∂xᵢ = wᵢ as Values for the k leading (w, x) pairs; the rest are constants."""
    _, parents, grads, _, k = out.parts()
    return (*parents[k : 2 * k], *parents[:k], *grads[2 * k :])


def _dot_vectorised(
    np: Any, parents: list[Any], constant: tuple[int, tuple[float, ...]]
) -> tuple[Any, tuple[Any, ...]]:
    """z = Σ wᵢxᵢ over the k leading pairs + Σ cⱼpⱼ over parents with a constant partner (or 1 for b).

    ``constant`` is ``node.parts().array_constant``: k and the constant partners.
    """
    k, consts = constant
    z = sum(parents[i] * parents[k + i] for i in range(k)) + sum(c * p for c, p in zip(consts, parents[2 * k :]))
    return z, (*parents[k : 2 * k], *parents[:k], *consts)


DOT = Op("dot", _dot_grads, vectorised=_dot_vectorised, constant="hidden", nary=True)


def _dot_edges(
    weights: Sequence[Operand], inputs: Sequence[Operand], wd: list[float], xd: list[float]
) -> tuple[list[Value], list[float], int, float | None]:
    """The parents of a dot node, their local derivatives, k and the constant term: first the k
    pairs where wᵢ and xᵢ are both Values (the weights, then their inputs), then each Value whose
    partner is a constant (its local derivative is that constant); Σ wᵢxᵢ over the pairs of two
    numbers (None if there are none)."""
    ws: list[Value] = []
    xs: list[Value] = []
    lone: list[Value] = []
    dws: list[float] = []
    dxs: list[float] = []
    d_lone: list[float] = []
    numbers: float | None = None
    for w, x, w_num, x_num in zip(weights, inputs, wd, xd):
        if isinstance(w, Value) and isinstance(x, Value):
            ws.append(w)
            xs.append(x)
            dws.append(x_num)
            dxs.append(w_num)
        elif isinstance(w, Value):
            lone.append(w)
            d_lone.append(x_num)
        elif isinstance(x, Value):
            lone.append(x)
            d_lone.append(w_num)
        else:
            numbers = w_num * x_num if numbers is None else numbers + w_num * x_num
    return [*ws, *xs, *lone], [*dws, *dxs, *d_lone], len(ws), numbers


def dot(weights: Sequence[Operand], inputs: Sequence[Operand], bias: Operand | None = None) -> Value:
    """z = Σᵢ wᵢxᵢ + b as one node: ∂z/∂wᵢ = xᵢ, ∂z/∂xᵢ = wᵢ, ∂z/∂b = 1.

    Plain numbers (e.g. the input data) are constants and get no edge. The parents are
    the pairs where wᵢ and xᵢ are both Values (their weights, then their inputs), then
    each Value whose partner is a number, then b: ``z.parts()`` tells them apart.
    """
    n = len(weights)
    if len(inputs) != n:
        raise ValueError(f"dot: got {n} weights but {len(inputs)} inputs")
    wd = [_data(w, "dot(weights) item") for w in weights]
    xd = [_data(x, "dot(inputs) item") for x in inputs]
    z = sum(map(mul, wd, xd))
    parents, grads, k, numbers = _dot_edges(weights, inputs, wd, xd)
    if isinstance(bias, Value):
        z += bias._data
        parents.append(bias)
        grads.append(1.0)
    elif bias is not None:
        b = _as_float(bias, "dot(bias)")
        z += b
        numbers = b if numbers is None else numbers + b
    return _from_parents(z, DOT, parents, grads, numbers, k)


register(
    Example(
        "dot",
        "dot([{0}, {1}], [{2}, {3}], {4})",
        lambda w1, w2, x1, x2, b: dot([w1, w2], [x1, x2], b),
        lambda w1, w2, x1, x2, b: w1 * x1 + w2 * x2 + b,
        (SMALL,) * 5,
        points=((0.5, 0.5, 5.0, 3.0, 1.0),),
        display="dot",
        generic=lambda w1, w2, x1, x2, b: w1 * x1 + w2 * x2 + b,
    ),
    Example(
        "dot_data",
        "dot([{0}, {1}], [5.0, 3.0], {2})",
        lambda w1, w2, b: dot([w1, w2], [5.0, 3.0], b),
        lambda w1, w2, b: w1 * 5.0 + w2 * 3.0 + b,
        (SMALL,) * 3,
        display="dot",
        generic=lambda w1, w2, b: w1 * 5.0 + w2 * 3.0 + b,
    ),
    Example(
        "dot_mixed",
        "dot([{0}, {1}], [5.0, {2}], 1.0)",
        lambda w1, w2, x2: dot([w1, w2], [5.0, x2], 1.0),
        lambda w1, w2, x2: w1 * 5.0 + w2 * x2 + 1.0,
        (SMALL,) * 3,
        display="dot",
        generic=lambda w1, w2, x2: w1 * 5.0 + w2 * x2 + 1.0,
    ),
)(dot)


def _vmax_vectorised(np: Any, parents: list[Any], c: float | None) -> tuple[Any, tuple[Any, ...]]:
    """max over the parents' columns (and the constant c); ∂/∂vᵢ = 1 where vᵢ is the first maximal one."""
    V = np.stack(parents)
    first = V.argmax(axis=0)  # NumPy's argmax is the first maximal index, as in vmax
    grads = [(first == i).astype(float) for i in range(len(parents))]
    if c is None:
        return V.max(axis=0), tuple(grads)
    kept = (V.max(axis=0) > c).astype(float)  # a constant that ties or wins takes the gradient away
    return np.maximum(V.max(axis=0), c), tuple(g * kept for g in grads)


VMAX = Op("max", lambda out: out.local_grads, vectorised=_vmax_vectorised, constant="hidden", nary=True)


def vmax(values: Iterable[Operand]) -> Value:
    """max(v₁, …, vₙ) as one node: ∂/∂vᵢ = 1 for the first maximal input, 0 for the others.

    PyTorch's convention; a tie is a kink (``gradcheck`` reports it). Plain numbers are
    constants: when one of them is maximal (ties included), no input gets a gradient.
    """
    if not hasattr(values, "__iter__") or isinstance(values, (str, Value)):
        raise TypeError(
            f"vmax(values) must be an iterable of Values or numbers, got {type(values).__name__}: {_short(values)}"
        )
    parents: list[Value] = []
    numbers_: list[float] = []
    c: float | None = None
    for v in values:
        if isinstance(v, Value):
            parents.append(v)
            numbers_.append(v._data)
        else:
            x = _as_float(v, "vmax(values) item")
            c = x if c is None or x > c else c
    if not parents and c is None:
        raise ValueError("vmax(values): the maximum of no values is undefined; give at least one")
    grads = [0.0] * len(parents)
    m = max(numbers_) if numbers_ else -math.inf
    if c is None or m > c:
        grads[numbers_.index(m)] = 1.0
    if not parents:
        assert c is not None
        return _node(c, VMAX, None, None)
    return _node(m if c is None else max(m, c), VMAX, tuple(parents), tuple(grads), c)  # always n-ary


register(
    Example(
        "vmax",
        "vmax([{0}, {1}, -3.0])",
        lambda a, b: vmax([a, b, -3.0]),
        lambda a, b: max(a, b, -3.0),
        (SMALL, SMALL),
        points=((0.5, -1.0), (-1.0, 0.5)),
        display="max",
        in_programs=False,  # vmax(a + b, b + a) ties at every point: random programs would sit on kinks
    )
)(vmax)


def linear(weights: Sequence[Sequence[Value]], biases: Sequence[Value]) -> Callable[[Sequence[Operand]], list[Value]]:
    """x ↦ [z_j = Σᵢ W[j][i]·xᵢ + b_j for each row j]: a layer of neurons, each z_j one ``dot`` node.

    Reads the numbers in W and b once, now, so the returned function is fast over a
    batch: use it before the weights change. Inputs that are plain numbers are
    constants (no edge); ∂z_j/∂W[j][i] = xᵢ, ∂z_j/∂xᵢ = W[j][i], ∂z_j/∂b_j = 1.
    """
    for arg, what in ((weights, "weights"), (biases, "biases")):
        if not hasattr(arg, "__len__") or isinstance(arg, str):
            raise TypeError(f"linear({what}) must be a list, got {type(arg).__name__}: {_short(arg)}")
    if len(weights) != len(biases):
        raise ValueError(f"linear: got {len(weights)} rows of weights but {len(biases)} biases")
    rows = [tuple(row) for row in weights]
    bs = tuple(biases)
    if not {v.__class__ for row in (bs, *rows) for v in row} <= {Value}:  # checked one by one only if not all Values
        for row in rows:
            for w in row:
                _check_value(w, "linear weight")
        for b in bs:
            _check_value(b, "linear bias")
    nin = len(rows[0]) if rows else 0
    for j, row in enumerate(rows):
        if len(row) != nin:
            raise ValueError(f"linear: weight row {j} has {len(row)} weights, row 0 has {nin}")
    rows_d = [[w._data for w in row] for row in rows]
    bs_d = [b._data for b in bs]
    units = list(zip(rows, bs, rows_d, bs_d))

    def layer(x: Sequence[Operand]) -> list[Value]:
        if len(x) != nin:
            raise ValueError(f"linear: expected {nin} inputs, got {len(x)}")
        if not _recording():  # under no_grad: only the numbers
            xd = [v if v.__class__ is float else _data(v, "linear input") for v in x]
            return [_node(sum(map(mul, wd, xd)) + bd, DOT, None, None) for _, _, wd, bd in units]
        if all(v.__class__ is Value for v in x):
            xs = tuple(x)
            xd = [v._data for v in xs]  # type: ignore[union-attr]
            return [
                _node(sum(map(mul, wd, xd)) + bd, DOT, (*w, *xs, b), (*xd, *wd, 1.0), nin)  # type: ignore[arg-type]
                for w, b, wd, bd in units
            ]
        if all(v.__class__ is float for v in x):
            return [_node(sum(map(mul, wd, x)) + bd, DOT, (*w, b), (*x, 1.0)) for w, b, wd, bd in units]  # type: ignore[arg-type]
        return [dot(w, x, b) for w, b, _, _ in units]

    return layer


# ------------------------------------------------------------ gradients
def _require_graph(out: Value, what: str) -> None:
    """Raise if ``out`` was computed inside ``no_grad()``: it has no graph to differentiate."""
    if out._op is _UNRECORDED:
        raise RuntimeError(
            f"{what}: this Value was computed inside no_grad(), so it has no graph and no gradient would reach "
            "what it was computed from; compute it outside the no_grad() block (grad, hessian, jvp and "
            "gradcheck record their graph even when called inside no_grad())"
        )


def _interior_nodes(root: Value) -> list[Value]:
    """The non-leaf nodes ``root`` depends on, root first, each before its parents.

    Like the traversal of ``backward()`` but writing nothing to any node (it keeps its
    visit marks in a dict), so several threads can walk graphs that share nodes.
    """
    done: dict[Value, bool] = {}  # False: entered, True: finished
    order: list[Value] = []
    stack = [root] if root._a is not None else []
    while stack:
        v = stack.pop()
        state = done.get(v)
        if state:
            continue
        if state is None:
            done[v] = False
            stack.append(v)
            stack += [p for p in reversed(v.parts().parents) if p._a is not None and p not in done]
        else:
            done[v] = True
            order.append(v)
    order.reverse()
    return order


def gradients(output: Value, inputs: Value | Sequence[Value], *, create_graph: bool = False) -> tuple[Value, ...]:
    """∂output/∂inputᵢ for each input, like ``torch.autograd.grad``; never reads or writes any ``.grad``.

    The sums live in a table of this call, so ``gradients`` can run while other threads
    backpropagate through graphs that share its leaves. An input that ``output`` does
    not depend on gets 0. An edge is skipped where the node's gradient or the local
    derivative is exactly 0, as in ``backward()``. With ``create_graph=True`` each result
    carries its own graph (the backward pass, built from the ops' local derivatives as
    Values, recorded even inside ``no_grad()``): it can be backpropagated, drawn, or
    differentiated again. Otherwise the results are constants. Every result is a new
    Value. Raises RuntimeError if ``output`` was computed inside ``no_grad()``.
    """
    _check_value(output, "gradients(output)")
    _check_bool(create_graph, "gradients(create_graph)")
    xs = [inputs] if isinstance(inputs, Value) else list(inputs)
    for i, x in enumerate(xs):
        _check_value(x, f"gradients(inputs[{i}])")
    _require_graph(output, "gradients(output)")
    if create_graph:
        with enable_grad():
            return _gradient_graph(output, xs)
    grad: dict[Value, float] = {output: 1.0}
    for v in _interior_nodes(output):
        g = grad.get(v)
        if not g:
            continue
        _, parents, local_grads, _, _ = v.parts()
        for p, d in zip(parents, local_grads):
            if d:
                grad[p] = grad.get(p, 0.0) + d * g
    return tuple(Value(grad.get(x, 0.0)) for x in xs)


def _times(d: Derivative, g: Derivative) -> Derivative:
    """d · g, without a node for a constant factor 1 (the seed, or ∂(a + b)/∂a)."""
    if d.__class__ is not Value and d == 1.0:
        return g
    if g.__class__ is not Value and g == 1.0:
        return d
    return d * g


def _first_order_only(op: Op) -> TypeError:
    return TypeError(
        f"op {op.name!r} gave its local derivatives as numbers, so create_graph cannot differentiate "
        f"through it; give local_grads as Values built from its parents (e.g. local_grads=(3 * x**2,) "
        "for x³), or an Op with grads, to make it twice differentiable"
    )


def _gradient_graph(output: Value, inputs: list[Value]) -> tuple[Value, ...]:
    """The backward pass built from Values: ḡ(p) += ∂node/∂p · ḡ(node), with ∂node/∂p from the op's ``grads``."""
    grad: dict[Value, Derivative] = {output: 1.0}
    fresh: set[Value] = set()  # the sums made here; any other Value is the caller's (or an op's) own
    for v in _interior_nodes(output):
        g = grad.get(v)
        if g is None:
            continue
        op = v._op
        assert op is not None
        if op.grads is None:
            raise _first_order_only(op)
        for p, d in zip(v.parts().parents, op.grads(v)):
            if d.__class__ is not Value and not d:  # a constant 0: no contribution at any order
                continue
            old = grad.get(p)
            new = grad[p] = _times(d, g) if old is None else old + _times(d, g)
            if isinstance(new, Value) and new is not d and new is not g:
                fresh.add(new)
    return tuple(_result(grad.get(x, 0.0), fresh) for x in inputs)


def _result(g: Derivative, fresh: set[Value]) -> Value:
    """A gradient as a new Value: a number as a constant, a Value that is not new as a new node (g + 0)."""
    if not isinstance(g, Value):
        return Value(g)
    if g in fresh:
        return g
    return _node(g._data, _ADD, g, 1.0, 0.0)
