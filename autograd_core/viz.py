"""Drawing computation graphs with every number the chain rule uses.

A box per Value (its name, data and grad), an ellipse per operation (constants shown
in the op, e.g. ``*2``), and an edge from each parent to the op labelled with the local
derivative ∂out/∂parent. Node ids follow ``topological_order(root)``, so the same graph
always gives the same DOT text. Parameters labelled by ``nn`` (``layers.0.neurons.3.w.1``)
are grouped into one box per neuron; the grouping is read off the labels here, so
training records nothing extra. ``graphviz`` is imported only when you draw.
"""

from __future__ import annotations

import html
import os
import re
import signal
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd_core.engine import Value, _check_value, topological_order
from autograd_core.extras import require
from autograd_core.files import write_atomically as write_atomically  # also importable from here

if TYPE_CHECKING:
    import graphviz

INSTALL_HINT = (
    "Graphviz's `dot` program is missing; install it with: apt-get install graphviz | brew install graphviz"
    " | conda install -c conda-forge graphviz"
)
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot"}
FILL = {  # the colour legend (also in the README)
    "input": "#dbeafe",  # blue: an input (a leaf that is not a parameter)
    "parameter": "#fde68a",  # amber: a parameter (labelled by nn: w.1, b)
    "root": "#bbf7d0",  # green: the root (the output you called backward on)
    "other": "white",  # an intermediate result
    "done": "#d1d5db",  # grey (stepping): backward has finished this node
}
PAGE_WIDTH_PT = 720.0  # 960 px: a graph wider than this is scaled to the page width in notebooks
HIGHLIGHT = "#dc2626"  # red outline: highlighted nodes; the current step and its edges
ACTIVATIONS = frozenset({"tanh", "σ", "ReLU", "LeakyReLU", "softplus"})
_PARAMETER = re.compile(r"(?:layers\.(\d+)\.)?(?:neurons\.(\d+)\.)?(?:w\.(\d+)|b)")

ClusterKey = tuple[str, ...]  # ("layer 0", "neuron 3"), ("neuron 3",) or ("neuron",)


class GraphvizNotFoundError(RuntimeError):
    """Rendering needs Graphviz's ``dot`` program and it is not on ``PATH``."""


class GraphvizFailedError(RuntimeError):
    """Graphviz's ``dot`` failed or crashed (killed, out of memory) rendering a graph; the message says how big."""


def fmt_number(x: float) -> str:
    """A number as the graph and the formulas show it: 4 significant digits, ``5.0`` not ``5``."""
    s = format(x, ".4g")
    return s if any(c in s for c in ".eni") else s + ".0"


class Scene:
    """What a drawing needs to know about the graph under ``root``, computed once.

    ``order`` is ``topological_order(root)``; node ``i`` is drawn as ``n{i}``. ``names``
    are the names used in boxes and formulas: the label; in a neuron, the short parameter
    label (``w1``, ``b``) or the role ``z`` / ``a`` of an unlabelled node (each replaced by
    the full dotted name, e.g. ``layers.0.neurons.3.z``, when it is not unique); else
    ``v{i}``. ``cluster[i]`` is the neuron node ``i`` belongs to, reconstructed from the labels.
    """

    def __init__(self, root: Value) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"root must be a Value, got {type(root).__name__}: {root!r}")
        self.root = root
        self.order = topological_order(root)
        self.index = {id(v): i for i, v in enumerate(self.order)}
        self.parameters: dict[int, str] = {}  # index -> short label
        self.roles: dict[int, str] = {}  # index -> "z" or "a", for unlabelled nodes of a neuron
        self.full_names: dict[int, str] = {}  # index -> dotted name, for parameters and roles
        self.cluster: dict[int, ClusterKey] = {}
        self._find_clusters()
        shorts = [self.parameters.get(i) or v.label or self.roles.get(i) or f"v{i}" for i, v in enumerate(self.order)]
        self.shorts = shorts
        counts: dict[str, int] = {}
        for s in shorts:
            counts[s] = counts.get(s, 0) + 1
        self.names = [
            self.full_names[i] if i in self.full_names and counts[shorts[i]] > 1 else shorts[i]
            for i in range(len(self.order))
        ]

    def name(self, v: Value) -> str:
        return self.names[self.index[id(v)]]

    def _find_clusters(self) -> None:
        """A neuron is its parameters, the node z computed from them, and the activation a = σ(z)."""
        keys: dict[int, ClusterKey] = {}
        with_weights: set[ClusterKey] = set()
        prefix: dict[ClusterKey, str] = {}  # ("layer 0", "neuron 3") -> "layers.0.neurons.3."
        for i, v in enumerate(self.order):
            m = _PARAMETER.fullmatch(v.label) if v.is_leaf else None
            if m:
                layer, neuron, w = m.groups()
                key = tuple(f"{kind} {n}" for kind, n in (("layer", layer), ("neuron", neuron)) if n is not None)
                keys[i] = key or ("neuron",)
                self.parameters[i] = "b" if w is None else f"w{w}"
                self.full_names[i] = v.label
                prefix[keys[i]] = v.label[: m.start(3) - 2] if w is not None else v.label[:-1]
                if w is not None:
                    with_weights.add(keys[i])
        # A lone "b" is a parameter only next to weights of the same neuron.
        self.parameters = {i: short for i, short in self.parameters.items() if keys[i] in with_weights}
        z_nodes: set[int] = set()
        for i, v in enumerate(self.order):
            if v.is_leaf:
                continue
            parents = [self.index[id(p)] for p in v.parents]
            found = next((keys[j] for j in parents if j in self.parameters), None)
            same = len(parents) > 1 and all(j in z_nodes and keys[j] == keys[parents[0]] for j in parents)
            if found is None and same:
                found = keys[parents[0]]  # z = w1·x1 + w2·x2 + b built from several ops
            if found is not None:
                keys[i] = found
                z_nodes.add(i)
            elif len(parents) == 1 and parents[0] in z_nodes and v.op in ACTIVATIONS:
                keys[i] = keys[parents[0]]
                self.roles[parents[0]] = "z"
                self.roles[i] = "a"
        last_z: dict[ClusterKey, int] = {}  # a linear neuron has no a: its z is its last node
        for i in z_nodes:
            last_z[keys[i]] = max(i, last_z.get(keys[i], -1))
        for i in last_z.values():
            self.roles.setdefault(i, "z")
        self.cluster = {i: key for i, key in keys.items() if key in with_weights}
        self.roles = {i: role for i, role in self.roles.items() if i in self.cluster and not self.order[i].label}
        for i, role in self.roles.items():
            self.full_names[i] = prefix[self.cluster[i]] + role


class Graph:
    """A drawn computation graph: shows as SVG in Jupyter; ``.source``, ``.digraph``, ``.save(path)``.

    ``size`` says what was drawn, for error messages: (Values in the graph, nodes drawn, max_nodes).
    """

    def __init__(self, digraph: graphviz.Digraph, size: tuple[int, int, int] | None = None) -> None:
        self.digraph = digraph
        self.size = size
        self._svg: str | None = None

    @property
    def source(self) -> str:
        """The DOT text (needs no ``dot`` program)."""
        return self.digraph.source

    def pipe(self, format: str) -> bytes:
        """The graph rendered by ``dot`` (``svg``, ``png``, ``pdf``); GraphvizNotFoundError if it is missing."""
        graphviz = require("graphviz", "viz", "Graph.pipe")

        try:
            return self.digraph.pipe(format=format)
        except graphviz.ExecutableNotFound as e:
            raise GraphvizNotFoundError(INSTALL_HINT) from e
        except graphviz.CalledProcessError as e:
            raise GraphvizFailedError(self._failure(format, e.returncode, e.stderr)) from e

    def _failure(self, format: str, returncode: int, stderr: bytes | None) -> str:
        """Why ``dot`` failed, how big the graph is, and what to try instead."""
        how = (
            f"crashed ({signal.Signals(-returncode).name})" if returncode < 0 else f"failed (exit status {returncode})"
        )
        said = (stderr or b"").decode("utf-8", "replace").strip().splitlines()
        message = f"Graphviz's dot {how} rendering the graph to {format}"
        if self.size is not None:
            values, drawn, max_nodes = self.size
            message += (
                f": {values} Values drawn as {drawn} nodes (max_nodes={max_nodes}); a graph this large can exhaust"
                f" dot's memory or stack: draw it with a smaller max_nodes (e.g. draw_graph(root, max_nodes=500),"
                f" which collapses neurons and keeps the nodes nearest the root) or save it as .dot"
            )
        return message + (f". dot said: {said[-1]}" if said else "")

    def svg(self) -> str:
        """The SVG markup (rendered once, then cached), without the XML prolog."""
        if self._svg is None:
            text = self.pipe("svg").decode("utf-8")
            self._svg = text[text.index("<svg") :]
        return self._svg

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the graph to ``path``; the suffix picks the format: .svg .png .pdf or .dot (no ``dot`` needed).

        Writes to a temporary file in the same folder first, so ``path`` is never half-written.
        """
        path = Path(path)
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise ValueError(
                f"save(path): unknown suffix {path.suffix!r} in {str(path)!r}; use one of {', '.join(FORMATS)}"
            )
        data = self.source.encode("utf-8") if fmt == "dot" else self.pipe(fmt)
        write_atomically(path, data)
        return path

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """SVG for Jupyter (a wide graph scaled to the page); without ``dot``, the DOT text and an install hint."""
        try:
            return {"image/svg+xml": fit_to_page(self.svg()), "text/plain": repr(self)}
        except GraphvizNotFoundError:
            return {"text/plain": f"{INSTALL_HINT}\n{self.source}"}

    def __repr__(self) -> str:
        return f"<Graph: {self.source.count(' -> ')} edges; .source for the DOT text>"


def fit_to_page(svg: str, wide_pt: float = PAGE_WIDTH_PT) -> str:
    """``svg`` shown at most as wide as the page: wider than ``wide_pt``, its size becomes ``width="100%"``.

    Jupyter shows SVG output in an ``<img>`` (JupyterLab, HTML export) or inline; neither
    shrinks a 1,800 px graph to the page, so it is cut off. Without a height the viewBox keeps
    the proportions; ``max-width`` keeps an inline graph from growing past its own size.
    """
    m = re.match(r'<svg width="([\d.]+)pt" height="[\d.]+pt"', svg)
    if m is None or float(m.group(1)) <= wide_pt:
        return svg
    return f'<svg width="100%" style="max-width: {m.group(1)}pt"' + svg[m.end() :]


def draw_graph(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grads: bool = True,
    show_local_grads: bool = True,
    highlight: Iterable[Value] = (),
    group: bool = True,
    max_nodes: int = 500,
) -> Graph:
    """Draw the graph under ``root``: every Value with its data and grad, every op, every ∂out/∂parent.

    ``highlight``: Values to outline in red. ``group``: draw each neuron (from ``nn``'s
    parameter labels) inside a box labelled like ``layer 0 · neuron 3``, numbered as the
    parameter names ``layers.0.neurons.3.*`` are. With more than ``max_nodes`` Values,
    each neuron is collapsed into one summary node, and if that is still too many only
    the ``max_nodes`` nodes nearest the root are drawn; the graph says so.
    """
    _check_value(root, "draw_graph(root)")
    return render(
        Scene(root),
        rankdir=rankdir,
        show_grads=show_grads,
        show_local_grads=show_local_grads,
        highlight=highlight,
        group=group,
        max_nodes=max_nodes,
    )


def render(
    scene: Scene,
    *,
    rankdir: str = "LR",
    show_grads: bool = True,
    show_local_grads: bool = True,
    highlight: Iterable[Value] = (),
    group: bool = True,
    max_nodes: int = 500,
    grads: Sequence[float] | None = None,
    current: int | None = None,
    done: frozenset[int] = frozenset(),
    caption: str = "",
) -> Graph:
    """``draw_graph`` on a prepared Scene, with what a backprop frame adds: ``grads`` to show
    (by node index) instead of ``.grad``, the ``current`` node and its edges in red, ``done``
    nodes shaded, and a ``caption`` under the graph."""
    graphviz = require("graphviz", "viz", "draw_graph")

    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph(rankdir): must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_graph(max_nodes): must be a positive int, got {max_nodes!r}")
    order, n = scene.order, len(scene.order)
    marked = set()
    for v in highlight:
        if id(v) not in scene.index:
            raise ValueError(f"draw_graph(highlight): {v!r} is not in the graph under the root")
        marked.add(scene.index[id(v)])
    grads = [v.grad for v in order] if grads is None else grads
    cluster = scene.cluster if group else {}

    unit, notes = _units(scene, cluster, max_nodes)

    # ordering=in: each node's inputs are placed in the order of its parents (w0 above w1, x1 above x2). With
    # neurons, a low mclimit keeps dot from shuffling them: a dense layer's crossings cannot be avoided anyway,
    # so the order given (layer by layer, neuron 0 first) is the one drawn.
    graph_attr = {"rankdir": rankdir, "fontname": "Helvetica", "ordering": "in"}
    if cluster:
        graph_attr["mclimit"] = "0.01"
    dot = graphviz.Digraph("autograd", graph_attr=graph_attr)
    dot.attr("node", fontname="Helvetica", fontsize="11")
    dot.attr("edge", fontname="Helvetica", fontsize="9")
    groups: dict[ClusterKey | None, list[tuple[str, dict[str, str]]]] = {}

    def add(key: ClusterKey | None, name: str, **attrs: str) -> None:
        groups.setdefault(key, []).append((name, attrs))

    members: dict[str, list[int]] = {}
    for i, v in enumerate(order):
        if unit[i] != f"n{i}":
            members.setdefault(unit[i], []).append(i)
            continue
        kind = "root" if i == n - 1 else "parameter" if i in scene.parameters else "input" if v.is_leaf else "other"
        lines = [f"<b>{_escape(scene.shorts[i])}</b>", f"data {fmt_number(v.data)}"]
        if show_grads:
            lines.append(f"grad {fmt_number(grads[i])}")
        style = {"shape": "box", "style": "rounded,filled", "label": f"<{'<br/>'.join(lines)}>"}
        style["fillcolor"] = FILL["done"] if i in done else FILL[kind]
        if i in marked or i == current:
            style.update(color=HIGHLIGHT, penwidth="2.5", **{"class": "current" if i == current else "highlight"})
        add(cluster.get(i), f"n{i}", **style)
        if not v.is_leaf:
            op = {"shape": "ellipse", "label": f"<{_escape(v.op) or '?'}>", "fontsize": "10"}
            if i == current:
                op.update(color=HIGHLIGHT, penwidth="2.5")
            add(cluster.get(i), f"n{i}op", **op)
    for u, ms in sorted(members.items(), key=lambda kv: (kv[0] != "hidden", _natural(cluster.get(kv[1][-1])))):
        out = ms[-1]
        if u == "hidden":
            text = f"<b>{len(ms)} more Values</b><br/>(not drawn)"
        else:
            text = f"<b>{_escape(' · '.join(cluster[out]))}</b><br/>{len(ms)} Values collapsed"
            text += f"<br/>out {_escape(scene.shorts[out])} = {fmt_number(order[out].data)}"
        # the margin keeps the bold title clear of box3d's slanted top edge
        add(None, u, shape="box3d", style="filled", fillcolor="#f3f4f6", margin="0.15,0.1", label=f"<{text}>")

    for key, nodes in sorted(groups.items(), key=lambda kv: _natural(kv[0])):
        if key is None:
            for name, attrs in nodes:
                dot.node(name, **attrs)
            continue
        with dot.subgraph(name=f"cluster_{_slug(key)}") as sub:
            sub.attr(label=" · ".join(key), style="rounded,dashed", color="#6b7280", fontname="Helvetica")
            for name, attrs in nodes:
                sub.node(name, **attrs)

    seen: set[tuple[str, str]] = set()
    for i, v in enumerate(order):
        if v.is_leaf:
            continue
        if unit[i] != f"n{i}":  # inside a collapsed node: one plain edge per outside neighbour
            for p in v.parents:
                edge = (unit[scene.index[id(p)]], unit[i])
                if edge[0] != edge[1] and edge not in seen:
                    seen.add(edge)
                    dot.edge(*edge)
            continue
        head, key = f"n{i}op", cluster.get(i)
        # Edges from the op's own neuron first (w0, w1, …, b), then the inputs (x1, x2 or the previous layer's
        # a's): with ordering=in, a neuron's box then holds its parameters in one block, in order.
        edges = sorted(zip(v.parents, v.local_grads), key=lambda pd: cluster.get(scene.index[id(pd[0])]) != key)
        for p, d in edges:
            tail = unit[scene.index[id(p)]]
            attrs = {"label": fmt_number(d)} if show_local_grads else {}
            if i == current:
                attrs.update(color=HIGHLIGHT, penwidth="2", fontcolor=HIGHLIGHT)
            dot.edge(tail, head, **attrs)
        dot.edge(head, f"n{i}", **({"color": HIGHLIGHT, "penwidth": "2"} if i == current else {}))

    label = [*notes, *caption.splitlines()]
    if label:
        dot.attr(label="<" + "<br/>".join(_escape(t) for t in label) + ">", labelloc="b", fontsize="12")
    return Graph(dot, size=(n, sum(len(nodes) for nodes in groups.values()), max_nodes))


def _units(scene: Scene, cluster: dict[int, ClusterKey], max_nodes: int) -> tuple[list[str], list[str]]:
    """The drawn node standing for each Value (``n{i}``, a collapsed neuron or ``hidden``), and notes saying so."""
    n = len(scene.order)
    unit = [f"n{i}" for i in range(n)]
    notes = []
    if n > max_nodes and cluster:
        for i, key in cluster.items():
            unit[i] = f"c_{_slug(key)}"
        notes.append(f"{n} Values > max_nodes={max_nodes}: each neuron is collapsed into one node")
    units = list(dict.fromkeys(reversed(unit)))  # nearest the root first
    hidden = set(units[max_nodes:])
    if hidden:
        notes.append(f"only the {max_nodes} nodes nearest the root are drawn")
        unit = ["hidden" if u in hidden else u for u in unit]
    return unit, notes


def _slug(key: ClusterKey) -> str:
    """``("layer 0", "neuron 3")`` → ``layer0_neuron3``, for DOT names."""
    return "_".join(part.replace(" ", "") for part in key)


def _natural(key: ClusterKey | None) -> tuple[int, ...]:
    """Sort key: top-level nodes first, then neurons by number (layer 0 · neuron 2 before neuron 10)."""
    return (-1,) if key is None else tuple(int(part.split()[1]) if " " in part else 0 for part in key)


def _escape(text: str) -> str:
    """Text made safe inside a Graphviz HTML-like label; control characters shown as Python escapes (``\\x01``)."""
    visible = "".join(repr(c)[1:-1] if unicodedata.category(c) in ("Cc", "Cs") else c for c in text)
    return html.escape(visible, quote=True)
