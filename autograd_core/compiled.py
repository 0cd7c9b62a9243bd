"""Compiled batches: the scalar graph of one example, run over a whole batch as NumPy arrays.

``compile_batch(f, params, examples)`` calls ``f`` once on Values made from one example
and records its graph. It then runs *that graph* over a batch: every node becomes a column
of a (batch × nodes) array, and nodes that can go together become one array operation —
the ``dot`` nodes of a layer that read the same inputs one matrix product Z = X·Wᵀ + b,
the ``dot`` nodes of a convolution's filters (weights shared over positions) one product
of the batch's patches with the filters (im2col), the activations of a layer one
elementwise call, the ``vmax``/``vsum`` nodes of a pooling layer one call — forward, and
backward in reverse (∂C/∂X = ∂C/∂Z·W, ∂C/∂W = ∂C/∂Zᵀ·X). Each op's array rule is its ``Op.vectorised``, next
to its scalar definition in the engine. The numbers equal the scalar engine's up to
rounding (≈ 1e-16 relative).

The graph must not depend on the data (nor on the parameters' values, since the plan is
reused as they change). One trace is enough because the engine reports every read of a
number (``autograd_core.reads``): if ``f`` reads ``.data``, calls ``float()``/``bool()``,
compares or formats a Value computed from the example or the parameters, the graph may
differ elsewhere, and ``compile_batch`` raises ``GraphDependsOnDataError`` naming that
line — unless you declare the graph fixed (``fixed_graph=True``). ReLU, abs and the other
kinks are fine: they read no number in ``f``, their local derivatives are masks.
Random draws inside ``f`` (dropout) are not reads: keep them out. Needs NumPy (the ``nn``
extra).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from operator import attrgetter
from typing import Any, cast

from autograd_core.engine import (
    DOT,
    Op,
    Parts,
    Value,
    _as_float,
    _check_bool,
    _check_callable,
    _reverse_topological_order,
    enable_grad,
    gc_paused,
    no_grad,
    vsum,
)
from autograd_core.extras import require
from autograd_core.reads import Read, watch_reads
from autograd_core.rows import Rows

_number = attrgetter("_data")  # a parameter's number, read by compile_batch itself (not a read of f's)
Ref = tuple[str, int]  # ("v", id of a node) while placing, ("v", column) after; ("p", j) for parameter j


class GraphDependsOnDataError(ValueError):
    """``f`` read a number out of a Value computed from the data or the parameters while it was
    traced, so its graph may differ for other examples: it cannot be compiled."""


@dataclass
class _Group:
    """Nodes computed by one array operation: ``kind`` is "matmul" (a layer's neurons: their own
    weights, the same inputs), "conv" (filters: weights shared by every position, one patch of
    inputs per position), "elementwise" or "nary" (ops of any number of parents, node by node
    in a column)."""

    kind: str
    op: Op
    out: list[int]  # the outputs (node ids while placing, then columns); conv: filter by filter
    operands: list[list[Ref]]  # per operand position, one ref per node; conv: per position, its patch
    constant: Any = None
    weights: Any = None  # matmul: parameter indices, shape (nodes, k); conv: (filters, patch size)
    bias: Any = None  # matmul: parameter index per node, or None
    offset: Any = None  # constant terms added to the output (dot's number bias, vsum's numbers), or None
    row: Any = None  # conv while placing: the same node as a row of a "matmul" group (key, group), if it can be
    patch: Any = None  # conv: the patches' columns, shape (positions, patch size)
    scatter: list[Any] = field(default_factory=list)  # conv: per patch slot, (slot, positions, columns, unique)
    saved: Any = None  # local derivatives of the last forward pass
    out_index: Any = None  # the output columns as a slice (adjacent) or an index array
    operand_index: list[Any] = field(default_factory=list)  # the same per operand, None if it reads parameters
    unique_weights: bool = True
    sole_writer: bool = False  # matmul: no other group adds to W's parameters (∂C/∂W written, not added)
    w_view: Any = None  # matmul: W as a strided view of the parameter array, when its layout allows
    b_view: Any = None
    needs_grad: list[bool] = field(default_factory=list)  # per operand: False when it reads only data
    unique: list[bool] = field(default_factory=list)  # per operand: its node columns are all different

    def absorb(self, other: _Group) -> None:
        """Take ``other``'s node(s) into this group (the same array operation, one more node)."""
        self.out += other.out
        self.offset += other.offset
        if self.kind == "matmul":  # the same inputs: one more row of weights
            self.weights += other.weights
            self.bias += other.bias
        elif self.kind == "conv":  # the same filter: one more position
            self.operands += other.operands
            self.row = None
        else:
            for refs, more in zip(self.operands, other.operands):
                refs += more

    def add_filter(self, other: _Group) -> None:
        """Take another filter over the same patches into this conv group (one more row of W)."""
        self.out += other.out
        self.offset += other.offset
        self.weights += other.weights

    def finish(self, np: Any, column: dict[int, int], data: set[int], n_params: int) -> None:
        """Turn node ids into columns and precompute the index arrays and views of the group."""
        if self.kind == "conv":
            self._finish_conv(np, column, data, n_params)
            return
        self.out = [column[i] for i in self.out]
        self.operands = [[(kind, column[i] if kind == "v" else i) for kind, i in refs] for refs in self.operands]
        self.out_index = _index(np, self.out)
        self.operand_index = [
            _index(np, [i for _, i in refs]) if all(kind == "v" for kind, _ in refs) else None for refs in self.operands
        ]
        self.needs_grad = [any(kind == "p" or i not in data for kind, i in refs) for refs in self.operands]
        self.unique = [index is not None and _is_unique(index) for index in self.operand_index]
        self.offset = np.array(self.offset) if any(self.offset) else None
        if self.kind == "matmul":
            self.weights = np.array(self.weights, dtype=np.intp)
            self.bias = np.array(self.bias, dtype=np.intp) if all(b is not None for b in self.bias) else None
            self.unique_weights = len(set(self.weights.ravel().tolist())) == self.weights.size
            self.w_view, self.b_view = _strided(np, self.weights, self.bias, n_params)

    def _finish_conv(self, np: Any, column: dict[int, int], data: set[int], n_params: int) -> None:
        """The patches as a (positions × patch size) array of columns (im2col), W's indices and
        views, and for each slot of the patch the positions whose node needs ∂C/∂node."""
        self.out = [column[i] for i in self.out]
        self.out_index = _index(np, self.out)
        self.patch = np.array([[column[i] for _, i in refs] for refs in self.operands], dtype=np.intp)
        self.weights = np.array(self.weights, dtype=np.intp)
        self.unique_weights = len(set(self.weights.ravel().tolist())) == self.weights.size
        self.w_view, _ = _strided(np, self.weights, None, n_params)
        self.offset = np.array(self.offset) if any(self.offset) else None
        for slot, cols in enumerate(self.patch.T.tolist()):
            positions = [pos for pos, c in enumerate(cols) if c not in data]
            if positions:
                index = np.array([cols[pos] for pos in positions], dtype=np.intp)
                self.scatter.append((slot, np.array(positions, dtype=np.intp), index, _is_unique(index)))

    def describe(self) -> str:
        """What the group computes, in one line (the same for any parameter values)."""
        if self.kind == "conv":
            (m, k), n = self.weights.shape, len(self.patch)
            return (
                f"Z = patches·Wᵀ: {m} filter{'s' if m > 1 else ''} × {n} position{'s' if n > 1 else ''} "
                f"({m * n} dot nodes) as one product (batch·{n} × {k}) · ({k} × {m})"
            )
        if self.kind == "matmul":
            m, k = self.weights.shape
            plus_b = " + b" if self.bias is not None else ""
            return f"Z = X·Wᵀ{plus_b}: {m} dot node{'s' if m > 1 else ''} as one product (batch × {k}) · ({k} × {m})"
        if self.kind == "elementwise":
            n = len(self.out)
            return f"{self.op.name}: {n} node{'s' if n > 1 else ''} as one call on (batch × {n})"
        n = len(self.out)
        if n == 1:
            return f"{self.op.name}: 1 node with {len(self.operands)} parents"
        return f"{self.op.name}: {n} nodes of {len(self.operands)} parents each as one call on (batch × {n})"


# ------------------------------------------------------------------ tracing
def _refusal(read: Read, on: str) -> GraphDependsOnDataError:
    return GraphDependsOnDataError(
        f"compile_batch: f reads the number of a Value computed from {on} ({read.how}) at {read.where}, so "
        f"its graph may differ for other {'examples' if on == 'the data' else 'parameter values'} and one trace "
        "cannot stand for all. Build the graph from Value ops only (relu, abs and other kinks are fine), use "
        "compile=False, or, if the graph is the same whatever the numbers, pass fixed_graph=True"
    )


def _trace(f: Callable[..., Any], row: list[float], params: list[Value], fixed_graph: bool) -> tuple[list[Value], Any]:
    """(input leaves, what f returned) for one example, refusing a read of a data- or parameter-dependent number."""
    leaves = [Value(x, f"x{i}") for i, x in enumerate(row)]
    if fixed_graph:
        with enable_grad():
            return leaves, f(*leaves)
    reads: list[GraphDependsOnDataError] = []

    def refuse(on: str) -> Callable[[Read], None]:
        def on_read(read: Read) -> None:
            reads.append(_refusal(read, on))
            raise reads[-1]

        return on_read

    with enable_grad(), watch_reads(leaves, refuse("the data")), watch_reads(params, refuse("the parameters")):
        result = f(*leaves)
    if reads:  # f caught the error itself
        raise reads[0]
    return leaves, result


def _outputs(result: Any) -> list[Value]:
    outs = list(result) if isinstance(result, (list, tuple)) else [result]
    for i, o in enumerate(outs):
        if not isinstance(o, Value):
            raise TypeError(f"compile_batch: f must return a Value or a list of Values, got {type(o).__name__} at {i}")
    if not outs:
        raise ValueError("compile_batch: f returned an empty list; it must return at least one Value")
    return outs


def _op_nodes(outs: list[Value]) -> list[Value]:
    """The op nodes (not the leaves: there may be 10⁵ weights) the outputs depend on, parents
    first, each once: one walk, from a Σ of the outputs."""
    if len(outs) == 1:
        root = outs[0]
    else:
        with enable_grad():
            root = vsum(outs)
    order = _reverse_topological_order(root, with_leaves=False)[0]
    order.reverse()
    return order if len(outs) == 1 else order[:-1]


def _row(examples: Rows) -> list[float]:
    """The first example as floats (the one f is traced on), with errors naming the argument."""
    if not hasattr(examples, "__len__") or isinstance(examples, (str, bytes)):
        raise TypeError(f"compile_batch(examples) must be a list or array of rows, got {type(examples).__name__}")
    if not len(examples):
        raise ValueError("compile_batch(examples): give at least one example to trace")
    first = examples[0]
    if not hasattr(first, "__len__") or isinstance(first, (str, bytes)):
        raise TypeError(f"compile_batch(examples): row 0 must be a list of numbers, got {type(first).__name__}")
    return [_as_float(x, f"compile_batch(examples) row 0 item {i}") for i, x in enumerate(first)]


# ------------------------------------------------------------------ the plan
def _index(np: Any, cols: list[int]) -> Any:
    """``slice(a, b)`` for adjacent ascending columns (a view, no copy), else an index array."""
    if cols and cols == list(range(cols[0], cols[0] + len(cols))):
        return slice(cols[0], cols[0] + len(cols))
    return np.array(cols, dtype=np.intp)


def _strided(np: Any, weights: Any, bias: Any, size: int) -> tuple[Any, Any]:
    """Slices of the parameter array holding W (rows ``stride`` apart) and b, when nn's layout
    (w.0 … w.k−1, b per neuron) makes them regular; else (None, None) and index arrays are used."""
    m, k = weights.shape
    start = int(weights[0, 0])
    stride = int(weights[1, 0] - weights[0, 0]) if m > 1 else k + 1
    regular = stride >= k and start + m * stride <= size
    if not regular or not bool((weights == start + stride * np.arange(m)[:, None] + np.arange(k)).all()):
        return None, None
    b_view = None
    if bias is not None and bool((bias == bias[0] + stride * np.arange(m)).all()):
        b_view = slice(int(bias[0]), int(bias[0]) + m * stride, stride)
    return slice(start, start + m * stride), b_view


def _is_unique(index: Any) -> bool:
    return isinstance(index, slice) or len(set(index.tolist())) == len(index)


def _place_dot(v: Value, p: Parts, refs: list[Ref], level: int, number: Callable[[float], Ref]) -> tuple[Any, _Group]:
    """A dot node whose weights are all parameters and inputs all nodes: a position of a filter,
    z = Σ W[j]·patch[j] (a number partner, the bias's 1 among them, is a constant of the patch),
    and, if it has its own inputs and a parameter bias, also a candidate row of a layer's matrix
    product (``_layers`` decides). Any other dot is one n-ary node. Decided by structure alone."""
    k, consts = constant = p.array_constant
    offset = p.constant_term
    w, x, rest = refs[:k], refs[k : 2 * k], refs[2 * k :]
    if not (all(r[0] == "p" for r in w) and all(r[0] == "v" for r in x) and all(r[0] == "p" for r in rest)):
        group = _Group("nary", DOT, [id(v)], [[r] for r in refs], constant, offset=[offset])
        return (level, "nary", DOT, constant, len(refs)), group
    weights = [j for _, j in w + rest]
    patch = x + [number(c) for c in consts]
    if any(a > b for a, b in pairwise(weights)):  # a window at the border: weights paired with padding
        weights, patch = map(list, zip(*sorted(zip(weights, patch))))
    group = _Group("conv", DOT, [id(v)], [patch], weights=[weights], offset=[offset])
    if k and len(rest) <= 1 and all(c == 1.0 for c in consts):
        bias = rest[0][1] if rest else None
        row = _Group("matmul", DOT, [id(v)], [x], weights=[[j for _, j in w]], bias=[bias], offset=[offset])
        group.row = ((level, "matmul", tuple(x), bias is None), row)
    return (level, "filter", tuple(weights)), group


def _place(v: Value, p: Parts, refs: list[Ref], level: int, number: Callable[[float], Ref]) -> tuple[Any, _Group]:
    """The group key of node v (``p``: its parts; ``refs``: its parents'), and a one-node group holding it."""
    op = p.op
    assert op is not None
    if op is DOT:
        return _place_dot(v, p, refs, level, number)
    if op.vectorised is None:
        raise TypeError(
            f"compile_batch: op {op.name!r} has no vectorised rule, so the graph cannot run as arrays; "
            "use the engine's ops (or compile=False)"
        )
    operands, constant = [[r] for r in refs], p.array_constant
    if op.nary:  # vsum, vmax: any number of parents; nodes of the same arity side by side
        group = _Group("nary", op, [id(v)], operands, constant, offset=[p.constant_term])
        return (level, "nary", op, constant, len(refs)), group
    key = (level, "elementwise", id(op), constant, len(refs))
    return key, _Group("elementwise", op, [id(v)], operands, constant, offset=[0.0])


def _layers(groups: dict[Any, _Group]) -> dict[Any, _Group]:
    """Filters into array operations: a filter at one position with its own inputs is a neuron,
    a row of its layer's matrix product; filters at one level over the same patches are one
    conv group (one product of the batch's patches with all their weights)."""
    out: dict[Any, _Group] = {}
    for key, g in groups.items():
        if g.kind != "conv":
            out[key] = g
            continue
        if g.row is not None:
            key, g = g.row
            if key in out:
                out[key].absorb(g)
            else:
                out[key] = g
            continue
        key = (key[0], "conv", tuple(map(tuple, g.operands)))
        if key in out:
            out[key].add_filter(g)
        else:
            out[key] = g
    return out


class CompiledBatch:
    """The graph of ``f`` for one example, run over batches. See ``compile_batch``."""

    def __init__(
        self,
        f: Callable[..., Any],
        params: Sequence[Value],
        examples: Rows,
        *,
        fixed_graph: bool = False,
    ) -> None:
        _check_callable(f, "compile_batch(f)")
        _check_bool(fixed_graph, "compile_batch(fixed_graph)")
        self.np = require("numpy", "nn", "compile_batch")
        self.params = _checked_params(params)
        self._f = f
        with gc_paused():  # tens of thousands of nodes, no cycles: no full collections on the way
            leaves, result = _trace(f, _row(examples), self.params, fixed_graph)
            outs = _outputs(result)
            self.n_inputs = len(leaves)
            self.values = self.np.array(list(map(_number, self.params)), dtype=float)  # the parameters' numbers
            self._plan(leaves, outs, _op_nodes(outs))
        self._V: Any = None

    def _plan(self, leaves: list[Value], outs: list[Value], order: list[Value]) -> None:
        """Group the nodes into array operations (by level, op and shared inputs), then give every node a column."""
        param = dict(zip(map(id, self.params), range(len(self.params))))
        ref: dict[int, Ref] = {i: ("p", j) for i, j in param.items()}  # ("v", id) for any other node
        ref.update((id(x), ("v", id(x))) for x in leaves)
        level = dict.fromkeys(ref, 0)  # 0 for a leaf, 1 + the deepest parent's for an op node
        constants: list[Value] = []

        def constant(v: Value) -> Ref:  # a leaf that is neither a parameter nor an input
            constants.append(_checked_constant(v))
            ref[id(v)], level[id(v)] = ("v", id(v)), 0
            return ref[id(v)]

        numbers: dict[float, Ref] = {}

        def number(c: float) -> Ref:  # a plain number in a patch (padding, the bias's 1): one constant column each
            if c not in numbers:
                numbers[c] = constant(Value(c))
            return numbers[c]

        groups: dict[Any, _Group] = {}
        for v in order:  # op nodes, parents first
            p = v.parts()
            ids = list(map(id, p.parents))
            found = list(map(ref.get, ids))
            refs = [r or constant(q) for r, q in zip(found, p.parents)] if None in found else cast(list[Ref], found)
            i = id(v)
            ref[i] = ("v", i)
            level[i] = 1 + max(map(level.__getitem__, ids))
            key, group = _place(v, p, refs, level[i], number)
            if key in groups:
                groups[key].absorb(group)
            else:
                groups[key] = group
        groups = _layers(groups)
        for o in outs:  # an output may be a leaf
            if id(o) not in ref:
                constant(o)
        # by level: every group runs after the groups its operands come from
        self._groups = [g for _, g in sorted(((k[0], i), g) for i, (k, g) in enumerate(groups.items()))]
        self._assign_columns(leaves, constants, outs, param)

    def _assign_columns(
        self, leaves: list[Value], constants: list[Value], outs: list[Value], param: dict[int, int]
    ) -> None:
        """Columns: the inputs first (every one, used or not), then the constants, then each
        group's outputs side by side, so a layer is a slice of the array."""
        np = self.np
        column = {id(v): c for c, v in enumerate([*leaves, *constants])}
        for g in self._groups:
            for i in g.out:
                column[i] = len(column)
        self.n_columns = len(column)
        self._input_cols = slice(0, len(leaves))
        self._constants = [(column[id(v)], v.data) for v in constants]
        data = set(range(len(leaves) + len(constants)))  # input and constant columns: no gradient needed
        for g in self._groups:
            g.finish(np, column, data, len(self.params))
        self._outputs = [("p", param[id(o)]) if id(o) in param else ("v", column[id(o)]) for o in outs]
        out_cols = [i for kind, i in self._outputs if kind == "v"]
        self._output_index = _index(np, out_cols) if len(out_cols) == len(self._outputs) else None
        _mark_sole_writers(np, self._groups, self._outputs, len(self.params))

    def describe(self) -> list[str]:
        """One line per array operation, in forward order: what it computes from how many scalar nodes."""
        return [g.describe() for g in self._groups]

    # --------------------------------------------------------------- running
    def read_params(self) -> None:
        """Copy the parameters' ``.data`` into ``values`` (after you changed the Values)."""
        self.values[:] = list(map(_number, self.params))

    def write_params(self) -> None:
        """Copy ``values`` back into the parameters' ``.data``."""
        for p, x in zip(self.params, self.values.tolist()):
            p._data = x  # floats from a float array: nothing to check

    def _gather(self, V: Any, refs: list[Ref], index: Any) -> Any:
        """The operand columns of a group: a slice or a take of V, with parameters broadcast."""
        if index is not None:
            return V[:, index]
        out = self.np.empty((V.shape[0], len(refs)))
        for pos, (kind, i) in enumerate(refs):
            out[:, pos] = V[:, i] if kind == "v" else self.values[i]
        return out

    def _batch(self, data: Any) -> Any:
        """``data`` as a (batch × inputs) float array, refusing what would convert silently."""
        np = self.np
        X = np.asarray(data)
        kind = X.dtype.kind
        if kind not in "fiu":
            what = {"b": "booleans", "c": "complex numbers", "U": "strings", "S": "bytes", "O": "Python objects"}
            raise TypeError(
                f"compiled f(data) must hold real numbers (float or int), got an array of "
                f"{what.get(kind, X.dtype.name)} (dtype {X.dtype})"
            )
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(f"compiled f: data must be (batch, {self.n_inputs}), got shape {X.shape}")
        return X.astype(float, copy=False)

    def forward(self, data: Any) -> Any:
        """The outputs of f for every example (rows of ``data``), as a (batch × outputs) array.

        A domain error (log of a negative, an overflowing exp) raises the scalar engine's
        error for the first example where it happens, naming the example."""
        np = self.np
        X = self._batch(data)
        V = np.empty((X.shape[0], self.n_columns))
        V[:, self._input_cols] = X
        for c, x in self._constants:
            V[:, c] = x
        failed: list[Any] = []  # NumPy's floating-point errors, checked after the pass (no warning printed)
        with np.errstate(divide="call", over="call", invalid="call", under="ignore", call=lambda *e: failed.append(e)):
            for g in self._groups:
                if g.kind == "matmul":
                    self._forward_matmul(g, V)
                elif g.kind == "conv":
                    self._forward_conv(g, V)
                elif g.kind == "elementwise":
                    self._forward_elementwise(g, V)
                else:
                    self._forward_nary(g, V)
        self._V = V
        if failed:
            self._raise_like_the_engine(X, V)
        return self._gather(V, self._outputs, self._output_index)

    def _forward_matmul(self, g: _Group, V: Any) -> None:
        """Z = X·Wᵀ + b for the layer's neurons at once."""
        P = self.values
        Xin = self._gather(V, g.operands[0], g.operand_index[0])
        m, k = g.weights.shape
        W = P[g.weights] if g.w_view is None else P[g.w_view].reshape(m, -1)[:, :k]
        Z = Xin @ W.T
        if g.bias is not None:
            Z += P[g.bias] if g.b_view is None else P[g.b_view]
        if g.offset is not None:
            Z += g.offset
        g.saved = (Xin, W)
        V[:, g.out_index] = Z

    def _forward_conv(self, g: _Group, V: Any) -> None:
        """Z = patches·Wᵀ for every filter at every position: the batch's patches as the rows of
        one matrix (im2col), a filter's weights as one column."""
        P = self.values
        patches = V[:, g.patch]  # (batch, positions, patch size)
        batch, n, k = patches.shape
        m = g.weights.shape[0]
        W = P[g.weights] if g.w_view is None else P[g.w_view].reshape(m, -1)[:, :k]
        Z = (patches.reshape(batch * n, k) @ W.T).reshape(batch, n, m).transpose(0, 2, 1)
        if g.offset is not None:
            Z = Z + g.offset.reshape(m, n)
        V[:, g.out_index].reshape(batch, m, n)[...] = Z  # the columns are filter by filter
        g.saved = (patches, W)

    def _forward_elementwise(self, g: _Group, V: Any) -> None:
        """The op's array rule on every node of the group."""
        n_ops = len(g.operands)
        a = self._gather(V, g.operands[0], g.operand_index[0])
        b = self._gather(V, g.operands[1], g.operand_index[1]) if n_ops == 2 else g.constant
        out, grads = g.op.vectorised(self.np, a, b)  # type: ignore[misc]
        V[:, g.out_index] = out
        g.saved = grads[:n_ops]

    def _forward_nary(self, g: _Group, V: Any) -> None:
        """n-ary nodes of one op and arity (vmax, vsum: a pooling layer; a dot that is neither a row
        nor a filter): the op's array rule on their parents' columns, one array per parent slot."""
        cols = [self._gather(V, refs, index) for refs, index in zip(g.operands, g.operand_index)]
        out, grads = g.op.vectorised(self.np, cols, g.constant)  # type: ignore[misc]
        V[:, g.out_index] = out if g.offset is None else out + g.offset
        g.saved = grads

    def _raise_like_the_engine(self, X: Any, V: Any) -> None:
        """A floating-point error happened: rerun f in the scalar engine on the first example
        with a number that is not finite, and raise its error naming the example."""
        np = self.np
        bad = np.flatnonzero(~np.isfinite(V).all(axis=1))
        if not len(bad):
            return
        i = int(bad[0])
        old = [p.data for p in self.params]
        self.write_params()
        try:
            with no_grad():
                self._f(*[Value(x) for x in X[i].tolist()])
        except (ArithmeticError, ValueError) as e:
            raise type(e)(f"compiled f, example {i}: {e}") from None
        finally:
            for p, x in zip(self.params, old):
                p.data = x

    def backward(self, d_outputs: Any) -> Any:
        """∂C/∂p for every parameter, given ∂C/∂output for every example of the last ``forward``."""
        np = self.np
        V = self._V
        if V is None:
            raise RuntimeError("compiled f: call forward(data) before backward(d_outputs)")
        dO = np.asarray(d_outputs, dtype=float)
        if dO.size != V.shape[0] * len(self._outputs):
            raise ValueError(
                f"compiled f: backward(d_outputs) needs one number per example and output "
                f"({V.shape[0]} × {len(self._outputs)}), got shape {dO.shape}"
            )
        dO = dO.reshape(V.shape[0], len(self._outputs))
        G = np.zeros_like(V)
        dP = np.zeros_like(self.values)
        for pos, (kind, i) in enumerate(self._outputs):
            if kind == "v":
                G[:, i] += dO[:, pos]
            else:
                dP[i] += dO[:, pos].sum()
        for g in reversed(self._groups):
            if g.kind == "matmul":
                self._backward_matmul(g, G, dP)
            elif g.kind == "conv":
                self._backward_conv(g, G, dP)
            else:  # elementwise and n-ary: ∂C/∂parent = ∂node/∂parent · ∂C/∂node, slot by slot
                upstream = G[:, g.out_index]
                for refs, index, unique, needed, d in zip(g.operands, g.operand_index, g.unique, g.needs_grad, g.saved):
                    if needed:
                        self._scatter(G, dP, refs, index, unique, d * upstream)
        return dP

    def _backward_matmul(self, g: _Group, G: Any, dP: Any) -> None:
        """∂C/∂X = ∂C/∂Z·W, ∂C/∂W = ∂C/∂Zᵀ·X, ∂C/∂b = Σ ∂C/∂Z."""
        np = self.np
        upstream = G[:, g.out_index]
        Xin, W = g.saved
        if g.needs_grad[0]:
            self._scatter(G, dP, g.operands[0], g.operand_index[0], g.unique[0], upstream @ W)
        if g.sole_writer:  # written straight into dP's view: no temporary, no read-and-add pass
            m, k = g.weights.shape
            np.matmul(upstream.T, Xin, out=dP[g.w_view].reshape(m, -1)[:, :k])
        else:
            self._add_to_weights(g, dP, upstream.T @ Xin)
        if g.bias is not None:
            if g.b_view is not None:
                dP[g.b_view] += upstream.sum(axis=0)
            else:
                np.add.at(dP, g.bias, upstream.sum(axis=0))

    def _backward_conv(self, g: _Group, G: Any, dP: Any) -> None:
        """∂C/∂W = Σ over the batch and the positions of ∂C/∂Z · patch; ∂C/∂patch = ∂C/∂Z · W,
        added back slot by slot into the nodes each patch read (col2im)."""
        patches, W = g.saved
        batch, n, k = patches.shape
        m = W.shape[0]
        dZ = G[:, g.out_index].reshape(batch, m, n).transpose(0, 2, 1).reshape(batch * n, m)
        self._add_to_weights(g, dP, dZ.T @ patches.reshape(batch * n, k))
        if not g.scatter:
            return
        d_patches = (dZ @ W).reshape(batch, n, k)
        for slot, positions, cols, unique in g.scatter:
            if unique:
                G[:, cols] += d_patches[:, positions, slot]
            else:
                self.np.add.at(G, (slice(None), cols), d_patches[:, positions, slot])

    def _add_to_weights(self, g: _Group, dP: Any, dW: Any) -> None:
        """dP[W's parameters] += dW: through the strided view, a plain += or (repeated weights) np.add.at."""
        m, k = g.weights.shape
        if g.w_view is not None:
            dP[g.w_view].reshape(m, -1)[:, :k] += dW
        elif g.unique_weights:
            dP[g.weights] += dW
        else:
            self.np.add.at(dP, g.weights, dW)

    def _scatter(self, G: Any, dP: Any, refs: list[Ref], index: Any, unique: bool, contribution: Any) -> None:
        """Add each operand's ∂C/∂operand into G (nodes) or dP (parameters, summed over the batch)."""
        np = self.np
        if unique:  # adjacent or different node columns: a plain +=
            G[:, index] += contribution
            return
        contribution = np.broadcast_to(contribution, (G.shape[0], len(refs)))
        if index is not None:  # nodes, some more than once (a + a)
            np.add.at(G, (slice(None), index), contribution)
            return
        v_pos = [pos for pos, (kind, _) in enumerate(refs) if kind == "v"]
        if v_pos:
            np.add.at(G, (slice(None), [refs[pos][1] for pos in v_pos]), contribution[:, v_pos])
        p_pos = [pos for pos, (kind, _) in enumerate(refs) if kind == "p"]
        if p_pos:
            np.add.at(dP, [refs[pos][1] for pos in p_pos], contribution[:, p_pos].sum(axis=0))

    def __call__(self, data: Any) -> tuple[float, Any]:
        """(mean over the batch of f, ∂mean/∂p for every parameter) — f must return one Value."""
        if len(self._outputs) != 1:
            raise ValueError(f"compiled f returns {len(self._outputs)} outputs; call forward and backward instead")
        F = self.forward(data)[:, 0]
        n = F.shape[0]
        if not n:
            raise ValueError("compiled f(data): data has no rows, and the mean of an empty batch is undefined")
        return float(F.mean()), self.backward(self.np.full(n, 1.0 / n))


def _mark_sole_writers(np: Any, groups: list[_Group], outputs: list[Ref], n_params: int) -> None:
    """Mark the matmul groups whose weights get ∂C/∂p from nothing else (a layer of an MLP):
    backward writes their ∂C/∂W straight into dP instead of adding a temporary to it."""
    writes = np.zeros(n_params, dtype=np.intp)
    for g in groups:
        for indices in (g.weights, g.bias):
            if indices is not None:
                np.add.at(writes, np.asarray(indices).ravel(), 1)
        if g.kind != "conv":
            np.add.at(writes, [i for refs in g.operands for kind, i in refs if kind == "p"], 1)
    np.add.at(writes, [i for kind, i in outputs if kind == "p"], 1)
    for g in groups:
        g.sole_writer = g.kind == "matmul" and g.w_view is not None and bool((writes[g.weights] == 1).all())


def _checked_params(params: Sequence[Value]) -> list[Value]:
    if not hasattr(params, "__iter__") or isinstance(params, (str, Value)):
        raise TypeError(f"compile_batch(params) must be a list of Values, got {type(params).__name__}")
    ps = list(params)
    if not all(type(p) is Value for p in ps):  # the usual case in one pass; subclasses checked one by one
        for j, p in enumerate(ps):
            if not isinstance(p, Value):
                raise TypeError(f"compile_batch(params) must be Values, got {type(p).__name__} at {j}: {p!r}")
    if len(set(map(id, ps))) != len(ps):
        raise ValueError("compile_batch(params): a parameter is listed twice")
    return ps


def _checked_constant(v: Value) -> Value:
    """A leaf that is neither an input nor a parameter is a constant — unless f computed it
    under ``no_grad`` (it then has an op but no parents), which hides what it came from."""
    op = v.parts().op
    if op is not None and not op.name:  # the engine's mark of a result computed under no_grad
        raise GraphDependsOnDataError(
            f"compile_batch: the graph of f holds {v!r}, computed under no_grad(), so it does not show what that "
            "number came from (the data? the parameters?) and it would stay as traced on the first example; "
            "compute it outside no_grad"
        )
    return v


def compile_batch(
    f: Callable[..., Value | Sequence[Value]],
    params: Sequence[Value],
    examples: Rows,
    *,
    fixed_graph: bool = False,
) -> CompiledBatch:
    """Trace ``f(*x)`` once, on Values x made from the first row of ``examples``, and return a
    ``CompiledBatch`` that runs the same graph over a whole batch of rows as NumPy arrays.

    ``params`` are the Values ``f`` reads that are trained (the parameters); every other
    leaf of the graph is a constant. ``compiled(X)`` → (mean of f over the rows of X,
    ∂mean/∂p as an array, in the order of ``params``); ``forward(X)`` / ``backward(dY)``
    for functions with several outputs. The parameters' numbers live in
    ``compiled.values`` (``read_params()`` / ``write_params()`` copy them from / to the Values).

    If ``f`` reads a number out of a Value computed from the example or the parameters
    (``.data``, ``float()``, ``bool()``, ``<``, formatting), its graph may differ for other
    numbers: ``GraphDependsOnDataError`` names the line. ``fixed_graph=True`` says the graph
    is the same for every example and parameter value (e.g. a read only for printing), and
    skips the check.
    """
    return CompiledBatch(f, params, examples, fixed_graph=fixed_graph)
