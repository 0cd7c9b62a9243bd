"""Compiled batches: the scalar graph of one example, run over a whole batch as NumPy arrays.

``compile_batch(f, params, examples)`` calls ``f`` once on Values made from one example
and records its graph. It then runs *that graph* over a batch: every node becomes a column
of a (batch × nodes) array, and nodes that can go together become one array operation —
the ``dot`` nodes of a layer that read the same inputs one matrix product Z = X·Wᵀ + b,
the activations of a layer one elementwise call — forward, and backward in reverse
(∂C/∂X = ∂C/∂Z·W, ∂C/∂W = ∂C/∂Zᵀ·X). Each op's array rule is its ``Op.vectorised``, next
to its scalar definition in the engine. The numbers equal the scalar engine's up to
rounding (≈ 1e-16 relative).

The graph must not depend on the data: ``f`` is traced on up to three different
examples, and a different graph (a Python branch on ``.data``, a constant computed from
the data, dropout) raises ``GraphDependsOnDataError``. ReLU, abs and the other kinks
are fine: their local derivatives are masks. Needs NumPy (the ``nn`` extra).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd_core.engine import DOT, VSUM, Op, Value, _check_callable, parts, topological_order
from autograd_core.extras import require

Ref = tuple[str, int]  # ("v", column) for a node of the batch array, ("p", j) for parameter j


class GraphDependsOnDataError(ValueError):
    """The traced graph differs from one example to another, so it cannot be compiled."""


@dataclass
class _Group:
    """Nodes computed by one array operation: ``kind`` is "matmul", "elementwise" or "nary"."""

    kind: str
    op: Op
    out: list[int]  # columns of the outputs
    operands: list[list[Ref]]  # per operand position, one ref per node
    constant: Any = None
    weights: Any = None  # matmul: parameter indices, shape (nodes, k)
    bias: Any = None  # matmul: parameter index per node, or None
    offset: float = 0.0  # nary: the constant terms (dot's constant bias, vsum's numbers)
    saved: Any = None  # local derivatives of the last forward pass
    out_index: Any = None  # the output columns as a slice (adjacent) or an index array
    operand_index: list[Any] = field(default_factory=list)  # the same per operand, None if it reads parameters
    unique_weights: bool = True
    w_view: Any = None  # matmul: W as a strided view of the parameter array, when its layout allows
    b_view: Any = None
    needs_grad: list[bool] = field(default_factory=list)  # per operand: False when it reads only data
    unique: list[bool] = field(default_factory=list)  # per operand: its node columns are all different


def _trace(f: Callable[..., Any], example: Sequence[float]) -> tuple[list[Value], list[Value], list[Value]]:
    """(input leaves, outputs, every node in topological order) of f on one example."""
    leaves = [Value(x, f"x{i}") for i, x in enumerate(example)]
    result = f(*leaves)
    outs = list(result) if isinstance(result, (list, tuple)) else [result]
    for i, o in enumerate(outs):
        if not isinstance(o, Value):
            raise TypeError(f"compile_batch: f must return a Value or a list of Values, got {type(o).__name__} at {i}")
    order: list[Value] = []
    seen: set[int] = set()
    for o in outs:
        for v in topological_order(o):
            if id(v) not in seen:
                seen.add(id(v))
                order.append(v)
    return leaves, outs, order


def _signature(leaves: list[Value], outs: list[Value], order: list[Value], params: list[Value]) -> list[Any]:
    """What must be the same for every example: each node's op, parents and constants."""
    index = {id(v): i for i, v in enumerate(order)}
    param = {id(p): j for j, p in enumerate(params)}
    inputs = {id(x): i for i, x in enumerate(leaves)}
    sig: list[Any] = []
    for v in order:
        op, ps, constant = parts(v)
        if not ps:
            if id(v) in param:
                sig.append(("param", param[id(v)]))
            elif id(v) in inputs:
                sig.append(("input", inputs[id(v)]))
            else:
                sig.append(("constant", v.data))
        else:
            sig.append((id(op), tuple(index[id(p)] for p in ps), constant))
    sig.append(tuple(index[id(o)] for o in outs))
    return sig


def _describe(sig: list[Any], order: list[Value], k: int) -> str:
    if k >= len(order):
        return "the outputs differ"
    v = order[k]
    return f"node {k} ({v.label or v.op or 'a leaf'} = {v.data:.6g}) is {sig[k]!r}"


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


class CompiledBatch:
    """The graph of ``f`` for one example, run over batches. See ``compile_batch``."""

    def __init__(self, f: Callable[..., Any], params: Sequence[Value], examples: Sequence[Sequence[float]]) -> None:
        _check_callable(f, "compile_batch(f)")
        if not hasattr(examples, "__len__") or isinstance(examples, str):
            raise TypeError(f"compile_batch(examples) must be a list or array of rows, got {type(examples).__name__}")
        self.np = require("numpy", "nn", "compile_batch")
        np = self.np
        self.params = list(params)
        for j, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"compile_batch(params) must be Values, got {type(p).__name__} at {j}: {p!r}")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError("compile_batch(params): a parameter is listed twice")
        if not len(examples):
            raise ValueError("compile_batch(examples): give at least one example to trace")
        picks = sorted({0, len(examples) // 2, len(examples) - 1})  # traced: the first, middle and last
        rows = {r: [float(x) for x in examples[r]] for r in picks}
        leaves, outs, order = _trace(f, rows[0])
        sig = _signature(leaves, outs, order, self.params)
        for r in picks[1:]:
            other = _signature(*_trace(f, rows[r]), self.params)
            if other != sig:
                k = next((i for i, (s, t) in enumerate(zip(sig, other)) if s != t), min(len(sig), len(other)) - 1)
                raise GraphDependsOnDataError(
                    f"compile_batch: the graph of example {r} differs from the graph of example 0 "
                    f"({len(other) - 1} nodes vs {len(sig) - 1}; first difference at node {k}: "
                    f"{_describe(sig, order, k)}). The graph depends on the data (a Python branch on .data, "
                    "a constant computed from .data, or dropout), so it cannot be compiled: use compile=False"
                )
        self.n_inputs = len(leaves)
        self.values = np.array([p.data for p in self.params], dtype=float)  # the parameters' numbers
        param = {id(p): j for j, p in enumerate(self.params)}
        col: dict[int, int] = {}
        inputs = {id(x) for x in leaves}
        self._constants: list[tuple[int, float]] = []
        level: dict[int, int] = {}
        for v in order:
            if id(v) in param:
                continue
            col[id(v)] = len(col)
            op, ps, _ = parts(v)
            if not ps:
                if id(v) not in inputs:
                    self._constants.append((col[id(v)], v.data))
                level[id(v)] = 0
            else:
                level[id(v)] = 1 + max((level.get(id(p), 0) for p in ps), default=0)
        self.n_columns = len(col)
        self._input_cols = np.array([col[id(x)] for x in leaves], dtype=np.intp)

        def ref(v: Value) -> Ref:
            return ("p", param[id(v)]) if id(v) in param else ("v", col[id(v)])

        self._outputs = [ref(o) for o in outs]
        groups: dict[Any, _Group] = {}
        for v in order:
            op, ps, constant = parts(v)
            if not ps or op is None:
                continue
            key, group = self._place(v, op, ps, constant, ref, level[id(v)], col[id(v)])
            if key not in groups:
                groups[key] = group
                continue
            g = groups[key]  # one more node for the same array operation
            g.out += group.out
            if g.kind == "matmul":  # the same inputs: one more row of weights
                g.weights += group.weights
                g.bias += group.bias
            else:
                for refs, more in zip(g.operands, group.operands):
                    refs += more
        # by level: every group runs after the groups its operands come from
        self._groups = [g for _, g in sorted(((k[0], i), g) for i, (k, g) in enumerate(groups.items()))]
        self._renumber()

    def _renumber(self) -> None:
        """Give each group's outputs a block of adjacent columns, so a layer is a slice of the array."""
        np = self.np
        new: dict[int, int] = {}
        for c in [*list(self._input_cols), *(c for c, _ in self._constants)]:
            new[c] = len(new)
        data = set(range(len(new)))  # the input and constant columns: no gradient needed
        for g in self._groups:
            for c in g.out:
                new[c] = len(new)
        self._input_cols = _index(np, [new[c] for c in self._input_cols.tolist()])
        self._constants = [(new[c], x) for c, x in self._constants]
        self._outputs = [(kind, new[i] if kind == "v" else i) for kind, i in self._outputs]
        out_cols = [i for kind, i in self._outputs if kind == "v"]
        self._output_index = _index(np, out_cols) if len(out_cols) == len(self._outputs) else None
        for g in self._groups:
            g.out = [new[c] for c in g.out]
            g.operands = [[(kind, new[i] if kind == "v" else i) for kind, i in refs] for refs in g.operands]
            g.out_index = _index(np, g.out)
            g.operand_index = [
                _index(np, [i for _, i in refs]) if all(kind == "v" for kind, _ in refs) else None
                for refs in g.operands
            ]
            g.needs_grad = [any(kind == "p" or i not in data for kind, i in refs) for refs in g.operands]
            g.unique = [index is not None and _is_unique(index) for index in g.operand_index]
            if g.kind == "matmul":
                g.weights = np.array(g.weights, dtype=np.intp)
                g.bias = np.array(g.bias, dtype=np.intp) if all(b is not None for b in g.bias) else None
                g.unique_weights = len(set(g.weights.ravel().tolist())) == g.weights.size
                g.w_view, g.b_view = _strided(np, g.weights, g.bias, len(self.values))

    def _place(
        self,
        v: Value,
        op: Op,
        ps: tuple[Value, ...],
        constant: Any,
        ref: Callable[[Value], Ref],
        level: int,
        column: int,
    ) -> tuple[Any, _Group]:
        """The group key of node v, and a one-node group holding it."""
        out = [column]
        refs = [ref(p) for p in ps]
        if op is DOT:
            k, consts = constant
            rest = refs[2 * k :]
            w, x = refs[:k], refs[k : 2 * k]
            offset = (
                v.data
                - sum(a.data * b.data for a, b in zip(ps[:k], ps[k : 2 * k]))
                - sum(c * p.data for c, p in zip(consts, ps[2 * k :]))
            )
            is_bias = len(rest) <= 1 and all(c == 1.0 for c in consts) and all(r[0] == "p" for r in rest)
            if k and offset == 0.0 and is_bias and all(r[0] == "p" for r in w) and all(r[0] == "v" for r in x):
                bias = rest[0][1] if rest else None
                group = _Group("matmul", op, out, [x], weights=[[j for _, j in w]], bias=[bias])
                return (level, "matmul", tuple(x), bias is None), group
            return (level, "nary", id(v)), _Group("nary", op, out, [[r] for r in refs], constant, offset=offset)
        if op.vectorised is None:
            raise TypeError(
                f"compile_batch: op {op.name!r} has no vectorised rule, so the graph cannot run as arrays; "
                "use the engine's ops (or compile=False)"
            )
        if op is VSUM:  # Σ of the parents and of constants (the offset)
            offset = v.data - sum(p.data for p in ps)
            return (level, "nary", id(v)), _Group("nary", op, out, [[r] for r in refs], constant, offset=offset)
        return (level, "elementwise", id(op), constant, len(ps)), _Group(
            "elementwise", op, out, [[r] for r in refs], constant
        )

    def describe(self) -> list[str]:
        """One line per array operation, in forward order: what it computes from how many scalar nodes."""
        lines = []
        for g in self._groups:
            if g.kind == "matmul":
                m, k = g.weights.shape
                plus_b = " + b" if g.bias is not None else ""
                lines.append(
                    f"Z = X·Wᵀ{plus_b}: {m} dot node{'s' if m > 1 else ''} as one product (batch × {k}) · ({k} × {m})"
                )
            elif g.kind == "elementwise":
                n = len(g.out)
                lines.append(f"{g.op.name}: {n} node{'s' if n > 1 else ''} as one call on (batch × {n})")
            else:
                lines.append(f"{g.op.name}: 1 node with {len(g.operands)} parents")
        return lines

    # --------------------------------------------------------------- running
    def read_params(self) -> None:
        """Copy the parameters' ``.data`` into ``values`` (after you changed the Values)."""
        self.values[:] = [p.data for p in self.params]

    def write_params(self) -> None:
        """Copy ``values`` back into the parameters' ``.data``."""
        for p, x in zip(self.params, self.values.tolist()):
            p.data = x

    def _gather(self, V: Any, refs: list[Ref], index: Any) -> Any:
        """The operand columns of a group: a slice or a take of V, with parameters broadcast."""
        if index is not None:
            return V[:, index]
        out = self.np.empty((V.shape[0], len(refs)))
        for pos, (kind, i) in enumerate(refs):
            out[:, pos] = V[:, i] if kind == "v" else self.values[i]
        return out

    def forward(self, data: Any) -> Any:
        """The outputs of f for every example (rows of ``data``), as a (batch × outputs) array."""
        np = self.np
        X = np.asarray(data, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(f"compiled f: data must be (batch, {self.n_inputs}), got shape {X.shape}")
        V = np.empty((X.shape[0], self.n_columns))
        V[:, self._input_cols] = X
        for c, x in self._constants:
            V[:, c] = x
        P = self.values
        for g in self._groups:
            if g.kind == "matmul":  # Z = X·Wᵀ + b for the layer's neurons at once
                Xin = self._gather(V, g.operands[0], g.operand_index[0])
                W = (
                    P[g.weights]
                    if g.w_view is None
                    else P[g.w_view].reshape(g.weights.shape[0], -1)[:, : g.weights.shape[1]]
                )
                Z = Xin @ W.T
                if g.bias is not None:
                    Z += P[g.bias] if g.b_view is None else P[g.b_view]
                g.saved = (Xin, W)
                V[:, g.out_index] = Z
            elif g.kind == "elementwise":  # the op's array rule on every node of the group
                n_ops = len(g.operands)
                a = self._gather(V, g.operands[0], g.operand_index[0])
                b = self._gather(V, g.operands[1], g.operand_index[1]) if n_ops == 2 else g.constant
                out, grads = g.op.vectorised(np, a, b)  # type: ignore[misc]
                V[:, g.out_index] = out
                g.saved = grads[:n_ops]
            else:  # one n-ary node
                cols = [self._gather(V, refs, None)[:, 0] for refs in g.operands]
                out, grads = g.op.vectorised(np, cols, g.constant)  # type: ignore[misc]
                V[:, g.out[0]] = out + g.offset
                g.saved = grads
        self._V = V
        return self._gather(V, self._outputs, self._output_index)

    def backward(self, d_outputs: Any) -> Any:
        """∂C/∂p for every parameter, given ∂C/∂output for every example of the last ``forward``."""
        np = self.np
        V = self._V
        G = np.zeros_like(V)
        dP = np.zeros_like(self.values)
        dO = np.asarray(d_outputs, dtype=float).reshape(V.shape[0], len(self._outputs))
        for pos, (kind, i) in enumerate(self._outputs):
            if kind == "v":
                G[:, i] += dO[:, pos]
            else:
                dP[i] += dO[:, pos].sum()
        for g in reversed(self._groups):
            upstream = G[:, g.out_index] if g.kind != "nary" else G[:, g.out[0] : g.out[0] + 1]
            if g.kind == "matmul":  # ∂C/∂X = ∂C/∂Z·W, ∂C/∂W = ∂C/∂Zᵀ·X, ∂C/∂b = Σ ∂C/∂Z
                Xin, W = g.saved
                if g.needs_grad[0]:
                    self._scatter(G, dP, g.operands[0], g.operand_index[0], g.unique[0], upstream @ W)
                dW = upstream.T @ Xin
                if g.w_view is not None:
                    dP[g.w_view].reshape(g.weights.shape[0], -1)[:, : g.weights.shape[1]] += dW
                elif g.unique_weights:
                    dP[g.weights] += dW
                else:
                    np.add.at(dP, g.weights, dW)
                if g.bias is not None:
                    if g.b_view is not None:
                        dP[g.b_view] += upstream.sum(axis=0)
                    else:
                        np.add.at(dP, g.bias, upstream.sum(axis=0))
            elif g.kind == "elementwise":
                for refs, index, unique, needed, d in zip(g.operands, g.operand_index, g.unique, g.needs_grad, g.saved):
                    if needed:
                        self._scatter(G, dP, refs, index, unique, d * upstream)
            else:
                for refs, needed, d in zip(g.operands, g.needs_grad, g.saved):
                    if needed:
                        self._scatter(G, dP, refs, None, False, (d * upstream[:, 0])[:, None])
        return dP

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
        return float(F.mean()), self.backward(self.np.full(n, 1.0 / n))


def compile_batch(
    f: Callable[..., Value | Sequence[Value]], params: Sequence[Value], examples: Sequence[Sequence[float]]
) -> CompiledBatch:
    """Trace ``f(*x)`` on one example (x: Values made from a row of ``examples``) and return a
    ``CompiledBatch`` that runs the same graph over a whole batch of rows as NumPy arrays.

    ``params`` are the Values ``f`` reads that are trained (the parameters); every other
    leaf of the graph is a constant. ``compiled(X)`` → (mean of f over the rows of X,
    ∂mean/∂p as an array, in the order of ``params``); ``forward(X)`` / ``backward(dY)``
    for functions with several outputs. The parameters' numbers live in
    ``compiled.values`` (``read_params()`` / ``write_params()`` copy them from / to the Values).
    """
    return CompiledBatch(f, params, examples)
