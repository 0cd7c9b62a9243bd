"""Drawing computation graphs with every number the chain rule uses.

A box per Value (its name, data and grad), an ellipse per operation (constants shown
in the op, e.g. ``*2``), and an edge from each parent to the op labelled with the local
derivative ∂out/∂parent. Node ids follow ``topological_order(root)``, so the same graph
always gives the same DOT text. Parameters labelled by ``nn`` (``layers.0.neurons.3.w.1``)
are grouped into one box per neuron; the grouping is read off the labels here, so
training records nothing extra. ``graphviz`` is imported only when you draw.

Text from labels reaches the picture only through ``label_text`` (shortened, control and
bidi characters shown as escapes) and ``_escape`` (HTML-safe), in boxes, formulas and captions.
"""

from __future__ import annotations

import html
import itertools
import math
import os
import re
import signal
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

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
    "parameter": "#fde68a",  # amber: a parameter (see is_parameter_label, or draw_graph(parameters=))
    "root": "#bbf7d0",  # green: the root (the output you called backward on)
    "other": "white",  # an intermediate result
    "done": "#d1d5db",  # grey (stepping): backward has finished this node
}
PAGE_WIDTH_PX = 880.0  # the notebook page: a graph wider than this is scaled to the page width in notebooks
PX_PER_PT = 4 / 3  # CSS: 96 px per inch, 72 pt per inch
HIGHLIGHT = "#dc2626"  # red outline: highlighted nodes; the current step and its edges
ACTIVATIONS = frozenset({"tanh", "σ", "ReLU", "LeakyReLU", "softplus"})
MAX_LABEL = 60  # characters of a label drawn; a longer one is cut, with an ellipsis and its length
MAX_CAPTION_LINES = 30  # lines of notes and caption under a graph (dot refuses an HTML label over 16 KB)
LARGE_GRAPH = 1000  # drawn nodes from which a dot failure is blamed on the size
_PARAMETER = re.compile(r"(?:layers\.(\d+)\.)?(?:neurons\.(\d+)\.)?(?:w\.(\d+)|b)")
_PARAMETER_NAME = re.compile(r"(?:\w+\.)*[wb](?:[._]?\d+|[₀-₉]+)?")  # w, b, w1, w_2, b₁, w.0, layers.0.neurons.3.w.1
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_INVISIBLE = frozenset({"Cc", "Cs", "Zl", "Zp"})  # control characters, lone surrogates, line/paragraph separators
_FLAGS = ("show_grads", "show_local_grads", "group", "collapse")
DRAW_OPTIONS: dict[str, Any] = {  # draw_graph's options and their defaults (BackpropStepper takes the same)
    "rankdir": "LR",
    "show_grads": True,
    "show_local_grads": True,
    "highlight": (),
    "parameters": (),
    "group": True,
    "collapse": False,
    "max_nodes": 500,
    "scale": 1.0,
}

ClusterKey = tuple[str, ...]  # ("layer 0", "neuron 3"), ("neuron 3",) or ("neuron",)


class GraphvizNotFoundError(RuntimeError):
    """Rendering needs Graphviz's ``dot`` program and it is not on ``PATH``."""


class GraphvizFailedError(RuntimeError):
    """Graphviz's ``dot`` failed or crashed rendering a graph; the message quotes what ``dot`` said."""


class PageFit(NamedTuple):
    """How a drawn graph shows on a page ``page_width_px`` wide: a wider graph is scaled down to the page."""

    scale: float  # shown size over dot's size: ``scale=`` times, for a graph wider than the page, page / width
    width_px: float
    height_px: float
    smallest_text_px: float  # the smallest font of the graph as shown (the course's rule: at least 8 px)


def fmt_number(x: float) -> str:
    """A number as the graph and the formulas show it: 4 significant digits, ``5.0`` not ``5``."""
    s = format(x, ".4g")
    return s if any(c in s for c in ".eni") else s + ".0"


def visible(text: str) -> str:
    """``text`` with every character that could hide or reorder text shown as a Python escape.

    Control characters (``\\x01``, newlines), lone surrogates, line and paragraph separators
    and the Unicode bidi controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C),
    which would let a label display reversed, become ``\\x01``, ``\\n``, ``\\u202e``…
    Everything else, accents and emoji included, is kept.
    """
    return "".join(repr(c)[1:-1] if c in _BIDI_CONTROLS or unicodedata.category(c) in _INVISIBLE else c for c in text)


def shorten(text: str, limit: int = MAX_LABEL) -> str:
    """``text`` cut to at most ``limit`` characters, the cut marked with an ellipsis and the full length."""
    if len(text) <= limit:
        return text
    tail = f"… ({len(text):,} characters)"
    return text[: max(limit - len(tail), 1)] + tail


def label_text(label: str) -> str:
    """A label as drawn and used in formulas: at most ``MAX_LABEL`` characters, nothing invisible."""
    return visible(shorten(label))


def is_parameter_label(label: str) -> bool:
    """The rule that draws a leaf as a parameter (amber): its label names a weight or a bias.

    That is ``w`` or ``b``, optionally with an index (``w1``, ``w_2``, ``b₁``, ``w.0``),
    optionally after a dotted path (``nn``'s ``layers.0.neurons.3.w.1``). Other leaves are
    inputs (blue) unless passed to ``draw_graph(parameters=...)``.
    """
    return _PARAMETER_NAME.fullmatch(label) is not None


class Scene:
    """What a drawing needs to know about the graph under ``root``, computed once.

    ``order`` is ``topological_order(root)``; node ``i`` is drawn as ``n{i}``. ``names``
    are the names used in boxes and formulas: the label; in a neuron, the short parameter
    label (``w1``, ``b``) or the role ``z`` / ``a`` of an unlabelled node (each replaced by
    the full dotted name, e.g. ``layers.0.neurons.3.z``, when it is not unique); else
    ``v1``, ``v2``, … numbering the other unlabelled nodes in topological order.
    ``cluster[i]`` is the neuron node ``i`` belongs to, reconstructed from the labels;
    ``parameter_leaves`` the leaves whose label passes ``is_parameter_label``.
    """

    def __init__(self, root: Value) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"root must be a Value, got {type(root).__name__}: {root!r}")
        self.root = root
        self.order = topological_order(root)
        self.index = {id(v): i for i, v in enumerate(self.order)}
        self.parameters: dict[int, str] = {}  # index -> short label, for the parameters of a neuron
        self.roles: dict[int, str] = {}  # index -> "z" or "a", for unlabelled nodes of a neuron
        self.full_names: dict[int, str] = {}  # index -> dotted name, for parameters and roles
        self.cluster: dict[int, ClusterKey] = {}
        self._find_clusters()
        self.parameter_leaves = frozenset(
            i for i, v in enumerate(self.order) if v.is_leaf and is_parameter_label(v.label)
        )
        self.shorts = self._short_names()
        self.names = self._unique_names()

    def name(self, v: Value) -> str:
        return self.names[self.index[id(v)]]

    def _short_names(self) -> list[str]:
        """Each node's name in its box: short parameter label, label, role, or the next free ``v1``, ``v2``, …"""
        labels = [label_text(v.label) for v in self.order]
        taken = set(labels)
        numbers = (f"v{k}" for k in itertools.count(1) if f"v{k}" not in taken)
        return [self.parameters.get(i) or labels[i] or self.roles.get(i) or next(numbers) for i in range(len(labels))]

    def _unique_names(self) -> list[str]:
        """The short names, with a parameter's or role's full dotted name where the short one is not unique."""
        counts = Counter(self.shorts)
        return [
            label_text(self.full_names[i]) if i in self.full_names and counts[short] > 1 else short
            for i, short in enumerate(self.shorts)
        ]

    def _find_clusters(self) -> None:
        """A neuron is its parameters, the node z computed from them, and the activation a = σ(z)."""
        keys, prefix, with_weights = self._read_parameter_labels()
        z_nodes = self._grow_neurons(keys)
        self._name_roles(keys, z_nodes, prefix, with_weights)

    def _read_parameter_labels(self) -> tuple[dict[int, ClusterKey], dict[ClusterKey, str], set[ClusterKey]]:
        """Each leaf labelled like an ``nn`` parameter: its neuron, the neuron's prefix, the neurons with weights."""
        keys: dict[int, ClusterKey] = {}
        prefix: dict[ClusterKey, str] = {}  # ("layer 0", "neuron 3") -> "layers.0.neurons.3."
        with_weights: set[ClusterKey] = set()
        for i, v in enumerate(self.order):
            m = _PARAMETER.fullmatch(v.label) if v.is_leaf else None
            if m is None:
                continue
            layer, neuron, w = m.groups()
            key = tuple(f"{kind} {n}" for kind, n in (("layer", layer), ("neuron", neuron)) if n is not None)
            keys[i] = key or ("neuron",)
            self.parameters[i] = "b" if w is None else f"w{w}"
            self.full_names[i] = v.label
            prefix[keys[i]] = v.label[: m.start(3) - 2] if w is not None else v.label[:-1]
            if w is not None:
                with_weights.add(keys[i])
        # A lone "b" is a neuron's parameter only next to weights of the same neuron.
        self.parameters = {i: short for i, short in self.parameters.items() if keys[i] in with_weights}
        return keys, prefix, with_weights

    def _grow_neurons(self, keys: dict[int, ClusterKey]) -> set[int]:
        """Add to ``keys`` each node z computed from a neuron's parameters and its activation a = f(z); the z nodes."""
        z_nodes: set[int] = set()
        for i, v in enumerate(self.order):
            if v.is_leaf:
                continue
            parents = [self.index[id(p)] for p in v.parents]
            key = self._neuron_of_z(parents, keys, z_nodes)
            if key is not None:
                keys[i] = key
                z_nodes.add(i)
            elif len(parents) == 1 and parents[0] in z_nodes and v.op in ACTIVATIONS:
                keys[i] = keys[parents[0]]
                self.roles[parents[0]] = "z"
                self.roles[i] = "a"
        return z_nodes

    def _neuron_of_z(self, parents: list[int], keys: dict[int, ClusterKey], z_nodes: set[int]) -> ClusterKey | None:
        """The neuron of a node made from that neuron's parameters, or from its earlier z nodes (w1·x1 + w2·x2 + b)."""
        found = next((keys[j] for j in parents if j in self.parameters), None)
        if found is None and len(parents) > 1 and all(j in z_nodes and keys[j] == keys[parents[0]] for j in parents):
            return keys[parents[0]]
        return found

    def _name_roles(
        self,
        keys: dict[int, ClusterKey],
        z_nodes: set[int],
        prefix: dict[ClusterKey, str],
        with_weights: set[ClusterKey],
    ) -> None:
        """Keep the neurons that have weights; name their unlabelled z (a linear neuron's last z node) and a."""
        last_z: dict[ClusterKey, int] = {}
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

    ``size`` says what was drawn, for error messages: (Values in the graph, nodes drawn, max_nodes);
    ``scale`` how big it shows in a notebook, relative to dot's size (``.svg()`` and ``.save()`` keep dot's).
    """

    def __init__(self, digraph: graphviz.Digraph, size: tuple[int, int, int] | None = None, scale: float = 1.0) -> None:
        self.digraph = digraph
        self.size = size
        self.scale = scale
        self._svg: str | None = None

    @property
    def source(self) -> str:
        """The DOT text (needs no ``dot`` program)."""
        source: str = self.digraph.source
        return source

    def pipe(self, format: str) -> bytes:
        """The graph rendered by ``dot`` (``svg``, ``png``, ``pdf``); GraphvizNotFoundError if it is missing,
        GraphvizFailedError (quoting dot) if it fails."""
        graphviz = require("graphviz", "viz", "Graph.pipe")

        try:  # the whole text at once: dot's error is read even if it stops reading early
            rendered: bytes = graphviz.pipe(self.digraph.engine, format, self.source.encode("utf-8"))
        except graphviz.ExecutableNotFound as e:
            raise GraphvizNotFoundError(INSTALL_HINT) from e
        except graphviz.CalledProcessError as e:
            raise GraphvizFailedError(self._failure(format, e.returncode, e.stderr)) from e
        return rendered

    def _failure(self, format: str, returncode: int, stderr: bytes | None) -> str:
        """What ``dot`` said; for a crash or a large graph, how big it is and what to try instead."""
        crashed = returncode < 0
        how = f"crashed ({signal.Signals(-returncode).name})" if crashed else f"failed (exit status {returncode})"
        message = f"Graphviz's dot {how} rendering the graph to {format}"
        if self.size is not None and (crashed or self.size[1] >= LARGE_GRAPH):
            values, drawn, max_nodes = self.size
            message += (
                f": {values} Values drawn as {drawn} nodes (max_nodes={max_nodes}); a graph this large can exhaust"
                f" dot's memory or stack: draw it with a smaller max_nodes (e.g. draw_graph(root, max_nodes=500),"
                f" which collapses neurons and keeps the nodes nearest the root) or save it as .dot"
            )
        said = [shorten(line, 200) for line in (stderr or b"").decode("utf-8", "replace").splitlines() if line.strip()]
        return message + (". dot said: " + " / ".join(said[:5]) if said else "")

    def svg(self) -> str:
        """The SVG markup (rendered once, then cached), without the XML prolog."""
        if self._svg is None:
            text = self.pipe("svg").decode("utf-8")
            self._svg = text[text.index("<svg") :]
        return self._svg

    def page_fit(self, page_width_px: float = PAGE_WIDTH_PX) -> PageFit:
        """How the graph shows on a page ``page_width_px`` wide (renders it): its scale, size and smallest text.

        A notebook shows the graph ``scale`` times dot's size, and a graph still wider than the page
        scaled to the page width (``fit_to_page``), so its text shrinks with it; ``rankdir="TB"``,
        ``collapse=True`` or drawing a part (any Value as the root) keep it legible. The course's
        rule: ``smallest_text_px >= 8``.
        """
        svg = self.svg()
        m = _SVG_SIZE.match(svg)
        if m is None:
            raise ValueError("page_fit: the SVG from dot has no width and height in pt")
        width, height = (float(x) * PX_PER_PT * self.scale for x in m.groups())
        fit = min(1.0, page_width_px / width)
        fonts = [float(f) for f in re.findall(r'font-size="([\d.]+)"', svg)]
        smallest = min(fonts, default=0.0) * PX_PER_PT * self.scale * fit
        return PageFit(self.scale * fit, width * fit, height * fit, smallest)

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
            return {"image/svg+xml": fit_to_page(self.svg(), scale=self.scale), "text/plain": repr(self)}
        except GraphvizNotFoundError:
            return {"text/plain": f"{INSTALL_HINT}\n{self.source}"}

    def __repr__(self) -> str:
        return f"<Graph: {self.source.count(' -> ')} edges; .source for the DOT text>"


_SVG_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


def fit_to_page(svg: str, page_width_px: float = PAGE_WIDTH_PX, scale: float = 1.0) -> str:
    """``svg`` shown ``scale`` times its size, at most as wide as the page: wider than ``page_width_px``,
    its size becomes ``width="100%"``.

    Jupyter shows SVG output in an ``<img>`` (JupyterLab, HTML export) or inline; neither
    shrinks a 1,800 px graph to the page, so it is cut off. Without a height the viewBox keeps
    the proportions; ``max-width`` keeps an inline graph from growing past its own size.
    """
    m = _SVG_SIZE.match(svg)
    if m is None:
        return svg
    width, height = float(m.group(1)) * scale, float(m.group(2)) * scale
    if width * PX_PER_PT > page_width_px:
        return f'<svg width="100%" style="max-width: {width:g}pt"' + svg[m.end() :]
    if scale == 1.0:
        return svg
    return f'<svg width="{width:g}pt" height="{height:g}pt"' + svg[m.end() :]


def draw_graph(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grads: bool = True,
    show_local_grads: bool = True,
    highlight: Iterable[Value] = (),
    parameters: Iterable[Value] = (),
    group: bool = True,
    collapse: bool = False,
    max_nodes: int = 500,
    scale: float = 1.0,
) -> Graph:
    """Draw the graph under ``root``: every Value with its data and grad, every op, every ∂out/∂parent.

    ``rankdir``: ``"LR"`` (inputs on the left) or ``"TB"`` (inputs on top; narrower for long
    chains), ``"RL"``, ``"BT"``. ``highlight``: Values to outline in red. ``parameters``:
    Values to draw as parameters (e.g. ``model.parameters()``), besides the leaves labelled
    like one (``is_parameter_label``: ``w1``, ``b``). ``group``: draw each neuron (from
    ``nn``'s parameter labels) inside a box labelled like ``layer 0 · neuron 3``, numbered as
    the parameter names ``layers.0.neurons.3.*`` are; ``collapse``: draw each neuron as one
    summary node. With more than ``max_nodes`` Values, neurons are collapsed anyway, and if
    that is still too many only the ``max_nodes`` nodes nearest the root are drawn; the
    graph says so. ``scale``: how big it shows in a notebook (0.8: 80 % of dot's size; a graph
    wider than the page is shrunk to it anyway); ``Graph.page_fit()`` says how big its text shows.
    """
    _check_value(root, "draw_graph(root)")
    return render(
        Scene(root),
        rankdir=rankdir,
        show_grads=show_grads,
        show_local_grads=show_local_grads,
        highlight=highlight,
        parameters=parameters,
        group=group,
        collapse=collapse,
        max_nodes=max_nodes,
        scale=scale,
    )


def check_draw_options(options: Mapping[str, object], where: str) -> dict[str, Any]:
    """``draw_graph``'s options checked (``where`` names the caller in errors), with the defaults filled in.

    Unknown names and wrong types raise TypeError, wrong values ValueError; ``highlight``
    and ``parameters`` become tuples of Values (an iterator is read once, here).
    """
    unknown = sorted(set(options) - set(DRAW_OPTIONS))
    if unknown:
        raise TypeError(f"{where}: unknown drawing option {unknown[0]!r}; the options are {', '.join(DRAW_OPTIONS)}")
    checked = {**DRAW_OPTIONS, **options}
    for flag in _FLAGS:
        if not isinstance(checked[flag], bool):
            raise TypeError(
                f"{where}({flag}) must be True or False, got {type(checked[flag]).__name__}: {checked[flag]!r}"
            )
    rankdir, max_nodes = checked["rankdir"], checked["max_nodes"]
    if not isinstance(rankdir, str):
        raise TypeError(f"{where}(rankdir) must be a str, got {type(rankdir).__name__}: {rankdir!r}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"{where}(rankdir): must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int):
        raise TypeError(f"{where}(max_nodes) must be a positive int, got {type(max_nodes).__name__}: {max_nodes!r}")
    if max_nodes < 1:
        raise ValueError(f"{where}(max_nodes): must be a positive int, got {max_nodes!r}")
    scale = checked["scale"]
    if isinstance(scale, bool) or not isinstance(scale, (int, float)):
        raise TypeError(f"{where}(scale) must be a positive number, got {type(scale).__name__}: {scale!r}")
    if not 0 < scale < math.inf:
        raise ValueError(f"{where}(scale): must be a positive number, got {scale!r}")
    checked["scale"] = float(scale)
    for name in ("highlight", "parameters"):
        checked[name] = _values(checked[name], f"{where}({name})")
    return checked


def _values(values: object, what: str) -> tuple[Value, ...]:
    """``values`` as a tuple of Values, or TypeError naming ``what`` and the offending item."""
    if isinstance(values, (Value, str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{what} must be an iterable of Values, got {type(values).__name__}: {values!r}")
    items = tuple(values)
    for k, v in enumerate(items):
        _check_value(v, f"{what} item {k}")
    return items


def render(
    scene: Scene,
    *,
    grads: Sequence[float] | None = None,
    current: int | None = None,
    done: frozenset[int] = frozenset(),
    caption: str = "",
    **options: Any,
) -> Graph:
    """``draw_graph`` on a prepared Scene (``options``: draw_graph's), with what a backprop frame adds:
    ``grads`` to show (by node index) instead of ``.grad``, the ``current`` node and its edges in red,
    ``done`` nodes shaded, and a ``caption`` under the graph."""
    checked = check_draw_options(options, "draw_graph")
    graphviz = require("graphviz", "viz", "draw_graph")
    return _Drawing(scene, checked, grads, current, done).graph(graphviz, caption)


class _Drawing:
    """One drawing of a Scene: which drawn node stands for each Value, the boxes by neuron, the edges."""

    def __init__(
        self,
        scene: Scene,
        options: dict[str, Any],
        grads: Sequence[float] | None,
        current: int | None,
        done: frozenset[int],
    ) -> None:
        self.scene, self.options, self.current, self.done = scene, options, current, done
        self.grads = [v.grad for v in scene.order] if grads is None else grads
        self.marked = {self._index(v, "draw_graph(highlight)") for v in options["highlight"]}
        explicit = {scene.index[id(v)] for v in options["parameters"] if id(v) in scene.index}
        self.parameters = scene.parameter_leaves | {i for i in explicit if scene.order[i].is_leaf}
        self.cluster = scene.cluster if options["group"] or options["collapse"] else {}
        self.unit, self.notes = _units(scene, self.cluster, options["max_nodes"], options["collapse"])
        self.groups: dict[ClusterKey | None, list[tuple[str, dict[str, str]]]] = {}

    def _index(self, v: Value, what: str) -> int:
        if id(v) not in self.scene.index:
            raise ValueError(f"{what}: {v!r} is not in the graph under the root")
        return self.scene.index[id(v)]

    def graph(self, graphviz: Any, caption: str) -> Graph:
        """The Graph: value boxes and op ellipses by neuron, summary nodes, edges, notes and caption below."""
        dot = self._digraph(graphviz)
        self._add_values()
        self._add_summaries()
        self._place_nodes(dot)
        self._add_edges(dot)
        label = _caption_lines([*self.notes, *caption.splitlines()])
        if label:
            dot.attr(label="<" + "<br/>".join(_escape(t) for t in label) + ">", labelloc="b", fontsize="12")
        drawn = sum(len(nodes) for nodes in self.groups.values())
        return Graph(dot, size=(len(self.scene.order), drawn, self.options["max_nodes"]), scale=self.options["scale"])

    def _digraph(self, graphviz: Any) -> Any:
        """An empty Digraph with the fonts and the layout: ``ordering=in`` keeps each node's inputs in the order
        of its parents (w0 above w1, x1 above x2); with neurons, a low mclimit keeps dot from shuffling them
        (a dense layer's crossings cannot be avoided anyway, so the order given is the one drawn)."""
        graph_attr = {"rankdir": self.options["rankdir"], "fontname": "Helvetica", "ordering": "in"}
        if self.cluster:
            graph_attr["mclimit"] = "0.01"
        dot = graphviz.Digraph("autograd", graph_attr=graph_attr)
        dot.attr("node", fontname="Helvetica", fontsize="11")
        dot.attr("edge", fontname="Helvetica", fontsize="9")
        return dot

    def _add(self, key: ClusterKey | None, name: str, attrs: dict[str, str]) -> None:
        self.groups.setdefault(key, []).append((name, attrs))

    def _add_values(self) -> None:
        """A box per Value drawn on its own, and an ellipse for the op that made it."""
        for i, v in enumerate(self.scene.order):
            if self.unit[i] != f"n{i}":
                continue
            self._add(self.cluster.get(i), f"n{i}", self._value_box(i))
            if not v.is_leaf:
                op = {"shape": "ellipse", "label": f"<{_escape(shorten(v.op)) or '?'}>", "fontsize": "10"}
                if i == self.current:
                    op.update(color=HIGHLIGHT, penwidth="2.5")
                self._add(self.cluster.get(i), f"n{i}op", op)

    def _kind(self, i: int) -> str:
        """The colour of node i: ``root``, ``parameter``, ``input`` (another leaf) or ``other``."""
        if i == len(self.scene.order) - 1:
            return "root"
        if not self.scene.order[i].is_leaf:
            return "other"
        return "parameter" if i in self.parameters else "input"

    def _value_box(self, i: int) -> dict[str, str]:
        """Node i's box: bold name, data, grad; its colour, and a red outline if highlighted or current."""
        lines = [f"<b>{_escape(self.scene.shorts[i])}</b>", f"data {fmt_number(self.scene.order[i].data)}"]
        if self.options["show_grads"]:
            lines.append(f"grad {fmt_number(self.grads[i])}")
        style = {"shape": "box", "style": "rounded,filled", "label": f"<{'<br/>'.join(lines)}>"}
        style["fillcolor"] = FILL["done"] if i in self.done else FILL[self._kind(i)]
        if i in self.marked or i == self.current:
            style.update(color=HIGHLIGHT, penwidth="2.5", **{"class": "current" if i == self.current else "highlight"})
        return style

    def _add_summaries(self) -> None:
        """One box per collapsed neuron (its title, size and output) and one for the Values not drawn."""
        members: dict[str, list[int]] = {}
        for i in range(len(self.scene.order)):
            if self.unit[i] != f"n{i}":
                members.setdefault(self.unit[i], []).append(i)
        keys = self.scene.cluster
        for u, ms in sorted(members.items(), key=lambda kv: (kv[0] != "hidden", _natural(keys.get(kv[1][-1])))):
            out = ms[-1]
            if u == "hidden":
                text = f"<b>{len(ms)} more Values</b><br/>(not drawn)"
            else:
                text = f"<b>{_escape(' · '.join(keys[out]))}</b><br/>{len(ms)} Values collapsed"
                text += f"<br/>out {_escape(self.scene.shorts[out])} = {fmt_number(self.scene.order[out].data)}"
            # the margin keeps the bold title clear of box3d's slanted top edge
            summary = {"shape": "box3d", "style": "filled", "fillcolor": "#f3f4f6", "margin": "0.15,0.1"}
            self._add(None, u, {**summary, "label": f"<{text}>"})

    def _place_nodes(self, dot: Any) -> None:
        """The nodes into the Digraph: top-level ones first, then each neuron's in its own dashed box, in order."""
        for key, nodes in sorted(self.groups.items(), key=lambda kv: _natural(kv[0])):
            if key is None:
                for name, attrs in nodes:
                    dot.node(name, **attrs)
                continue
            with dot.subgraph(name=f"cluster_{_slug(key)}") as sub:
                sub.attr(label=" · ".join(key), style="rounded,dashed", color="#6b7280", fontname="Helvetica")
                for name, attrs in nodes:
                    sub.node(name, **attrs)

    def _add_edges(self, dot: Any) -> None:
        """Parent → op (labelled ∂out/∂parent) → result for each drawn node; plain edges around summary nodes."""
        seen: set[tuple[str, str]] = set()
        for i, v in enumerate(self.scene.order):
            if v.is_leaf:
                continue
            if self.unit[i] != f"n{i}":
                self._add_summary_edges(dot, i, v, seen)
            else:
                self._add_op_edges(dot, i, v)

    def _add_summary_edges(self, dot: Any, i: int, v: Value, seen: set[tuple[str, str]]) -> None:
        """Inside a summary node: one plain edge per outside neighbour, drawn once."""
        for p in v.parents:
            edge = (self.unit[self.scene.index[id(p)]], self.unit[i])
            if edge[0] != edge[1] and edge not in seen:
                seen.add(edge)
                dot.edge(*edge)

    def _add_op_edges(self, dot: Any, i: int, v: Value) -> None:
        """Each parent → node i's op, labelled with ∂out/∂parent, then op → node i; red for the current node.

        Edges from the op's own neuron first (w0, w1, …, b), then the inputs (x1, x2 or the previous
        layer's a's): with ordering=in, a neuron's box then holds its parameters in one block, in order.
        """
        head, key, index = f"n{i}op", self.cluster.get(i), self.scene.index
        red = {"color": HIGHLIGHT, "penwidth": "2"} if i == self.current else {}
        edges = sorted(zip(v.parents, v.local_grads), key=lambda pd: self.cluster.get(index[id(pd[0])]) != key)
        for p, d in edges:
            attrs = {"label": fmt_number(d)} if self.options["show_local_grads"] else {}
            if red:
                attrs.update(red, fontcolor=HIGHLIGHT)
            dot.edge(self.unit[index[id(p)]], head, **attrs)
        dot.edge(head, f"n{i}", **red)


def _units(
    scene: Scene, cluster: dict[int, ClusterKey], max_nodes: int, collapse: bool = False
) -> tuple[list[str], list[str]]:
    """The drawn node standing for each Value (``n{i}``, a collapsed neuron or ``hidden``), and notes saying so."""
    n = len(scene.order)
    unit = [f"n{i}" for i in range(n)]
    notes = []
    if cluster and (collapse or n > max_nodes):
        for i, key in cluster.items():
            unit[i] = f"c_{_slug(key)}"
        if not collapse:
            notes.append(f"{n} Values > max_nodes={max_nodes}: each neuron is collapsed into one node")
    units = list(dict.fromkeys(reversed(unit)))  # nearest the root first
    hidden = set(units[max_nodes:])
    if hidden:
        notes.append(f"only the {max_nodes} nodes nearest the root are drawn")
        unit = ["hidden" if u in hidden else u for u in unit]
    return unit, notes


def _caption_lines(lines: list[str]) -> list[str]:
    """At most ``MAX_CAPTION_LINES`` lines for under the graph, the cut said."""
    if len(lines) <= MAX_CAPTION_LINES:
        return lines
    keep = MAX_CAPTION_LINES - 1
    return [*lines[:keep], f"… ({len(lines) - keep} more lines)"]


def _slug(key: ClusterKey) -> str:
    """``("layer 0", "neuron 3")`` → ``layer0_neuron3``, for DOT names."""
    return "_".join(part.replace(" ", "") for part in key)


def _natural(key: ClusterKey | None) -> tuple[int, ...]:
    """Sort key: top-level nodes first, then neurons by number (layer 0 · neuron 2 before neuron 10)."""
    return (-1,) if key is None else tuple(int(part.split()[1]) if " " in part else 0 for part in key)


def _escape(text: str) -> str:
    """Text made safe inside a Graphviz HTML-like label, invisible characters shown as escapes (``visible``)."""
    return html.escape(visible(text), quote=True)
