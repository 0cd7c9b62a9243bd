"""Drawing computation graphs with every number the chain rule uses.

A box per Value (its name, data and grad), an ellipse per operation (constants shown
in the op, e.g. ``*2``), and an edge from each parent to the op labelled with the local
derivative ∂out/∂parent. Node ids follow ``topological_order(root)``, so the same graph
always gives the same DOT text. Parameters labelled by ``nn`` (``layers.0.neurons.3.w.1``,
a convolution's ``layers.0.filters.3.w.1``) are grouped into one box per neuron or filter;
the grouping is read off the labels here, so training records nothing extra. An edge
x → x + F(x), F(x) a neuron's or a filter's output computed from x (a residual block's
bypass), is drawn in violet.
``graphviz`` is imported only when you draw.

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
BYPASS = "#7c3aed"  # violet: a bypass edge, x → x + F(x)
ACTIVATIONS = frozenset({"tanh", "σ", "ReLU", "LeakyReLU", "softplus"})
MAX_LABEL = 60  # characters of a label drawn; a longer one is cut, with an ellipsis and its length
MAX_CAPTION_LINES = 30  # lines of notes and caption under a graph (dot refuses an HTML label over 16 KB)
LARGE_GRAPH = 1000  # drawn nodes from which a dot failure is blamed on the size
SHOWN_FILTERS = 2  # a collapsed conv layer: its first filters drawn, the others one node
SHOWN_POSITIONS = 3  # and in each drawn filter its first positions, the others one node
_PARAMETER = re.compile(  # nn's labels: layers.0.neurons.3.w.1, layers.1.filters.2.b, layers.3.module.neurons.0.b
    r"(?P<path>(?:(?:layers\.\d+|module)\.)*)(?:(?P<unit>neurons|filters)\.(?P<number>\d+)\.)?(?:w\.(?P<w>\d+)|b)"
)
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

ClusterKey = tuple[str, ...]  # ("layer 0", "neuron 3"), ("neuron 3",), ("neuron",) or ("conv 0", "filter 3")


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
    are the names used in boxes and formulas: the label; in a neuron or a filter, the short
    parameter label (``w1``, ``b``) or the role of an unlabelled node, ``z`` / ``a`` in a
    neuron, ``z0``, ``a0``, ``z1``, … in a filter, one pair per position in the order the
    graph lists them (each replaced by the full dotted name, e.g. ``layers.0.neurons.3.z``,
    when it is not unique); else ``v1``, ``v2``, … numbering the other unlabelled nodes in
    topological order. ``cluster[i]`` is the neuron or filter node ``i`` belongs to,
    reconstructed from the labels, ``position[i]`` a filter node's position number and
    ``positions[key]`` how many a filter has; ``parameter_leaves`` the leaves whose label
    passes ``is_parameter_label``; ``bypasses`` the edges (parent, node) of x → x + F(x).
    """

    def __init__(self, root: Value) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"root must be a Value, got {type(root).__name__}: {root!r}")
        self.root = root
        self.order = topological_order(root)
        self.index = {id(v): i for i, v in enumerate(self.order)}
        self.parameters: dict[int, str] = {}  # index -> short label, for the parameters of a neuron
        self.roles: dict[int, str] = {}  # index -> "z" or "a" ("z3", "a3" in a filter), for unlabelled nodes
        self.full_names: dict[int, str] = {}  # index -> dotted name, for parameters and roles
        self.cluster: dict[int, ClusterKey] = {}
        self.position: dict[int, int] = {}
        self.positions: Counter[ClusterKey] = Counter()
        self._find_clusters()
        self.parameter_leaves = frozenset(
            i for i, v in enumerate(self.order) if v.is_leaf and is_parameter_label(v.label)
        )
        self.bypasses = self._find_bypasses()
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
        """A neuron is its parameters, the node z computed from them, and the activation a = σ(z); a filter
        its parameters and, at each position, the node z computed from them and its activation a."""
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
            keys[i] = _cluster_key(m)
            self.parameters[i] = "b" if m["w"] is None else f"w{m['w']}"
            self.full_names[i] = v.label
            prefix[keys[i]] = v.label[: m.end("number") + 1] if m["unit"] else m["path"]
            if m["w"] is not None:
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
        """The neuron of a node made from that neuron's parameters, or from its earlier z nodes (w1·x1 + w2·x2 + b).

        Not a filter's: its z nodes are its positions, and a node made from several (their sum) is outside it."""
        found = next((keys[j] for j in parents if j in self.parameters), None)
        if found is None and len(parents) > 1 and all(j in z_nodes and keys[j] == keys[parents[0]] for j in parents):
            return None if _is_filter(keys[parents[0]]) else keys[parents[0]]
        return found

    def _name_roles(
        self,
        keys: dict[int, ClusterKey],
        z_nodes: set[int],
        prefix: dict[ClusterKey, str],
        with_weights: set[ClusterKey],
    ) -> None:
        """Keep the neurons and filters that have weights; name their unlabelled z and a: a neuron's last z node
        (a linear neuron's output) and its a; each z node of a filter and its a, numbered by position."""
        self.cluster = {i: key for i, key in keys.items() if key in with_weights}
        last_z: dict[ClusterKey, int] = {}
        for i in sorted(z_nodes):
            if _is_filter(keys[i]):
                self.position[i] = self.positions[keys[i]]
                self.positions[keys[i]] += 1
                self.roles[i] = "z"
            else:
                last_z[keys[i]] = i
        for i in last_z.values():
            self.roles.setdefault(i, "z")
        for i, role in self.roles.items():
            z = self.index[id(self.order[i].parents[0])] if role == "a" else i
            if z in self.position:
                self.position[i] = self.position[z]
        self.roles = {
            i: f"{role}{self.position.get(i, '')}"
            for i, role in self.roles.items()
            if i in self.cluster and not self.order[i].label
        }
        for i, role in self.roles.items():
            self.full_names[i] = prefix[self.cluster[i]] + role

    def _find_bypasses(self) -> frozenset[tuple[int, int]]:
        """The edges (x, node) of each node = x + y where y is a neuron's or a filter's output computed from x:
        x + F(x), a residual block's bypass (not x + x·x, whose second term has no parameters)."""
        found = set()
        for i, v in enumerate(self.order):
            if v.op != "+":
                continue
            x, y = sorted(self.index[id(p)] for p in v.parents)  # an ancestor comes first in topological order
            if x != y and y in self.cluster and self._depends_on(y, x):
                found.add((x, i))
        return frozenset(found)

    def _depends_on(self, node: int, ancestor: int) -> bool:
        """Whether ``ancestor`` is among the Values ``node`` was computed from (searching only after it)."""
        stack, seen = [node], {node}
        while stack:
            for p in self.order[stack.pop()].parents:
                j = self.index[id(p)]
                if j == ancestor:
                    return True
                if j > ancestor and j not in seen:
                    seen.add(j)
                    stack.append(j)
        return False


def _cluster_key(m: re.Match[str]) -> ClusterKey:
    """The box of an ``nn`` parameter: ``layers.0.neurons.3.w.1`` → ("layer 0", "neuron 3"),
    ``layers.0.filters.3.b`` → ("conv 0", "filter 3"), ``neurons.3.b`` → ("neuron 3",), ``w.1`` → ("neuron",)."""
    layers = [f"layer {k}" for k in re.findall(r"layers\.(\d+)", m["path"])]
    if m["unit"] is None:
        return tuple(layers) or ("neuron",)
    if m["unit"] == "filters":
        return (*layers[:-1], *[name.replace("layer", "conv") for name in layers[-1:]], f"filter {m['number']}")
    return (*layers, f"neuron {m['number']}")


def _is_filter(key: ClusterKey) -> bool:
    return key[-1].startswith("filter ")


def _parameter_number(short: str) -> float:
    """w0, w1, …, then b (``Scene.parameters``' short names), in that order."""
    return math.inf if short == "b" else int(short[1:])


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
    the parameter names ``layers.0.neurons.3.*`` are, and each conv filter (``layers.0.filters.3.*``)
    in a box ``conv 0 · filter 3`` with its positions' z and a; ``collapse``: draw each neuron as
    one summary node, and each conv layer as its first 2 filters, each with one node for its
    parameters and its first 3 positions, the rest in summary nodes. With more than ``max_nodes``
    Values, they are collapsed anyway, and if that is still too many only the ``max_nodes``
    nodes nearest the root are drawn; the graph says so. An edge x → x + F(x), F(x) a neuron's
    or a filter's output computed from x (a residual block's bypass), is violet and labelled
    ``bypass``. ``scale``: how
    big it shows in a notebook (0.8: 80 % of dot's size; a graph wider than the page is shrunk
    to it anyway); ``Graph.page_fit()`` says how big its text shows.
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
        units = _Units(scene, self.cluster, options["max_nodes"], options["collapse"])
        self.unit, self.notes, self.summaries = units.unit, units.notes, units.summaries
        self.groups: dict[ClusterKey | None, list[tuple[str, dict[str, str]]]] = {}
        self.filters = any(_is_filter(key) for key in self.cluster.values())
        self.into_filter: Counter[tuple[str, ClusterKey]] = Counter()  # edges from a collapsed conv layer's inputs

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
        (a dense layer's crossings cannot be avoided anyway, so the order given is the one drawn). With conv
        filters, ``ordering=in`` is set on the nodes outside them, as inside dot cannot also keep their rows
        in order (``_keep_in_order``)."""
        graph_attr = {"rankdir": self.options["rankdir"], "fontname": "Helvetica"}
        if not self.filters:
            graph_attr["ordering"] = "in"
        if self.cluster:
            graph_attr["mclimit"] = "0.01"
        if self.filters:
            graph_attr["compound"] = "true"  # an edge may end at a filter's box
            graph_attr["ranksep"] = "0.35"  # a filter's rows close together: a conv layer fits the page sooner
        dot = graphviz.Digraph("autograd", graph_attr=graph_attr)
        dot.attr("node", fontname="Helvetica", fontsize="11")
        dot.attr("edge", fontname="Helvetica", fontsize="9")
        return dot

    def _add(self, key: ClusterKey | None, name: str, attrs: dict[str, str]) -> None:
        if self.filters and not (key and _is_filter(key)):
            attrs = {**attrs, "ordering": "in"}  # in a filter, rows in order instead (dot cannot do both)
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
        """One box per summary node: a collapsed neuron, a filter's parameters, its other positions, a conv
        layer's other filters, the inputs of the conv layers, the Values not drawn."""
        for u, summary in self.summaries.items():
            title, *lines = summary.lines
            text = "<br/>".join([f"<b>{_escape(title)}</b>", *map(_escape, lines)])
            # the margin keeps the bold title clear of box3d's slanted top edge
            style = {"shape": "box3d", "style": "filled", "fillcolor": summary.fill, "margin": "0.15,0.1"}
            self._add(summary.key, u, {**style, "label": f"<{text}>"})

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
                self._keep_in_order(sub, key)

    def _keep_in_order(self, sub: Any, key: ClusterKey) -> None:
        """A neuron's or filter's parameters in one row (w0, w1, …, b; ``ordering=in`` alone reverses them top to
        bottom), then for a filter a row each for the ops and boxes of its z's and a's, in order (positions 0, 1,
        2, …, and the node of the others): invisible edges in rank=same groups.
        (dot keeps such rows in order inside a box only when no edge from outside crosses them: the edges from
        the inputs of a collapsed layer end at the box, and the others from outside do not rank.)"""
        scene = self.scene
        rows: dict[str, list[str]] = {"parameters": [], "z op": [], "z": [], "a op": [], "a": []}
        for i, k in self.cluster.items():
            if k != key or self.unit[i] != f"n{i}":
                continue
            if i in scene.position:
                first = scene.index[id(scene.order[i].parents[0])]
                role = "a" if scene.position.get(first) == scene.position[i] else "z"
                rows[role] += [f"n{i}"]
                rows[f"{role} op"] += [f"n{i}op"]
            elif i in scene.parameters:
                rows["parameters"].append(f"n{i}")
        rows["parameters"].sort(key=lambda n: _parameter_number(scene.parameters[int(n[1:])]))
        rows["z op"] += [u for u, summary in self.summaries.items() if u.startswith("p_") and summary.key == key]
        sideways = self.options["rankdir"] in ("LR", "RL")  # drawn top to bottom, dot puts a flat edge's
        for row in rows.values():  # tail below its head: the edges point back
            row = row[::-1] if sideways else row
            if len(row) > 1:
                with sub.subgraph() as same:
                    same.attr(rank="same")
                    for tail, head in itertools.pairwise(row):
                        same.edge(tail, head, style="invis")

    def _add_edges(self, dot: Any) -> None:
        """Parent → op (labelled ∂out/∂parent) → result for each drawn node; plain edges between summary nodes,
        one per pair, labelled ×n when it stands for n edges."""
        between: Counter[tuple[str, str]] = Counter()
        for i, v in enumerate(self.scene.order):
            if v.is_leaf:
                continue
            if self.unit[i] == f"n{i}":
                self._add_op_edges(dot, i, v)
                continue
            for p in v.parents:
                edge = (self.unit[self.scene.index[id(p)]], self.unit[i])
                between[edge] += edge[0] != edge[1]
        for (tail, head), n in between.items():
            key = self.summaries[head].key if head in self.summaries else None
            if tail.startswith("i_") and key is not None:
                self.into_filter[tail, key] += n
            elif n:
                dot.edge(tail, head, **_edge_style(f"×{n}" if n > 1 else ""))
        for (tail, key), n in self.into_filter.items():  # one edge into each filter's box (keeps its rows in order)
            dot.edge(tail, f"w_{_slug(key)}", lhead=f"cluster_{_slug(key)}", **_edge_style(f"×{n}", loose=True))

    def _add_op_edges(self, dot: Any, i: int, v: Value) -> None:
        """Each parent → node i's op, labelled with ∂out/∂parent, then op → node i; red for the current node.

        Edges from the op's own neuron first (w0, w1, …, b), then the inputs (x1, x2 or the previous
        layer's a's): with ordering=in, a neuron's box then holds its parameters in one block, in order.
        Parents inside one summary node get one edge from it, labelled ×n for n; a bypass is violet.
        The edges into a filter from outside it do not rank the nodes, so that dot keeps its positions in order.
        """
        head, key, index = f"n{i}op", self.cluster.get(i), self.scene.index
        red = {"color": HIGHLIGHT, "penwidth": "2"} if i == self.current else {}
        edges = sorted(zip(v.parents, v.local_grads), key=lambda pd: self.cluster.get(index[id(pd[0])]) != key)
        tails = [(self.unit[index[id(p)]], index[id(p)]) for p, _ in edges]
        merged = Counter(tail for tail, j in tails if tail != f"n{j}")  # summary node -> parents it stands for
        bypass = {tail for tail, j in tails if (j, i) in self.scene.bypasses}
        drawn: set[str] = set()
        for (_, d), (tail, j) in zip(edges, tails):
            if tail in drawn:
                continue  # one edge from a summary node
            if tail in merged:
                drawn.add(tail)
            if tail.startswith("i_") and key is not None:
                self.into_filter[tail, key] += merged[tail]
                continue
            local = fmt_number(d) if self.options["show_local_grads"] else ""
            label = f"×{merged[tail]}" if merged[tail] > 1 else local
            loose = key is not None and _is_filter(key) and self.cluster.get(j) != key
            dot.edge(tail, head, **_edge_style(label, tail in bypass, red, loose))
        dot.edge(head, f"n{i}", **red)


def _edge_style(
    label: str, bypass: bool = False, red: Mapping[str, str] | None = None, loose: bool = False
) -> dict[str, str]:
    """An edge's attributes: its label; violet and thick, and labelled so beside it, for a bypass; red for the
    current node; ``loose``: not used to rank the nodes (dot keeps rows in order better without)."""
    attrs = {"label": label} if label else {}
    if bypass:  # an xlabel: a long edge's label placed beside it (dot may push a label off the drawing)
        text = " · ".join(["bypass", label] if label else ["bypass"])
        attrs = {"xlabel": text, "color": BYPASS, "fontcolor": BYPASS, "penwidth": "2.5", "class": "bypass"}
    if red:
        attrs.update(red, fontcolor=HIGHLIGHT)
    if loose:
        attrs["constraint"] = "false"
    return attrs


class Summary(NamedTuple):
    """A drawn node standing for several Values: the box it sits in (None: none), its title, then more lines."""

    key: ClusterKey | None
    lines: tuple[str, ...]
    fill: str = "#f3f4f6"


class _Units:
    """The drawn node standing for each Value: ``unit[i]`` is ``n{i}`` (drawn itself) or a summary node's name.

    Collapsed (``collapse=True``, or more than ``max_nodes`` Values): each neuron one node; each conv
    layer its first ``SHOWN_FILTERS`` filters, each drawn as one node for its parameters, its first
    ``SHOWN_POSITIONS`` positions and one node for the others, and one node for the other filters; a
    node fed only by one of these joins it (pooling over them), and the nodes used only by the filters
    of one layer (the image) are one node of its inputs. Then, if there are still more than
    ``max_nodes``, only the ``max_nodes`` nearest the root are drawn. ``notes`` say so;
    ``summaries`` describe the summary nodes, in drawing order.
    """

    def __init__(self, scene: Scene, cluster: dict[int, ClusterKey], max_nodes: int, collapse: bool) -> None:
        self.scene = scene
        n = len(scene.order)
        self.unit = [f"n{i}" for i in range(n)]
        self.notes: list[str] = []
        self.summaries: dict[str, Summary] = {}
        self._filters: dict[str, Summary] = {}  # a filter's parameters or other positions, a layer's other filters
        self._conv_of: dict[str, ClusterKey] = {}  # the conv layer of a filter's node or summary node
        if cluster and (collapse or n > max_nodes):
            filters = {key for key in cluster.values() if _is_filter(key)}
            for i, key in cluster.items():
                if key not in filters:
                    self.unit[i] = f"c_{_slug(key)}"
            self._collapse_filters({i: key for i, key in cluster.items() if key in filters})
            self._absorb(cluster)
            if not collapse:
                self.notes.append(f"{n} Values > max_nodes={max_nodes}: " + self._how(cluster, filters))
        units = list(dict.fromkeys(reversed(self.unit)))  # nearest the root first
        hidden = set(units[max_nodes:])
        if hidden:
            self.notes.append(f"only the {max_nodes} nodes nearest the root are drawn")
            self.unit = ["hidden" if u in hidden else u for u in self.unit]
        self._describe()

    def _collapse_filters(self, filters: dict[int, ClusterKey]) -> None:
        """Each conv layer's first filters, each as its parameters and first positions; the rest in summary nodes."""
        by_conv: dict[ClusterKey, list[ClusterKey]] = {}
        for key in sorted(set(filters.values()), key=_natural):
            by_conv.setdefault(key[:-1], []).append(key)
        hidden: dict[ClusterKey, str] = {}  # a filter not drawn -> its conv layer's summary node
        for conv, keys in by_conv.items():
            if len(keys) > SHOWN_FILTERS:
                u = f"f_{_slug(conv) or 'filters'}"
                first, last = keys[SHOWN_FILTERS][-1].split()[1], keys[-1][-1].split()[1]
                numbers = f"filters {first}–{last}" if first != last else f"filter {first}"
                title = f"… {_count(len(keys) - SHOWN_FILTERS, 'more filter')}"
                self._filters[u] = Summary(None, (title, " · ".join((*conv, numbers))))
                self._conv_of[u] = conv
                hidden.update(dict.fromkeys(keys[SHOWN_FILTERS:], u))
        scene = self.scene
        for i, key in filters.items():
            self._conv_of.setdefault(f"n{i}", key[:-1])
            if key in hidden:
                self.unit[i] = hidden[key]
            elif i in scene.parameters:
                self.unit[i] = u = f"w_{_slug(key)}"
                self._filters[u] = Summary(key, (), FILL["parameter"])
                self._conv_of[u] = key[:-1]
            elif scene.position.get(i, 0) >= SHOWN_POSITIONS:
                self.unit[i] = u = f"p_{_slug(key)}"
                more = _count(scene.positions[key] - SHOWN_POSITIONS, "more position")
                self._filters[u] = Summary(key, (f"… {more}",))
                self._conv_of[u] = key[:-1]

    def _absorb(self, cluster: dict[int, ClusterKey]) -> None:
        """A node fed only by one of the filters' summary nodes joins it (pooling over positions not drawn); then,
        root side first, a node outside the boxes used only by the filters of one conv layer joins the node of
        that layer's inputs (``i_conv0``)."""
        order, index, unit, root = self.scene.order, self.scene.index, self.unit, len(self.scene.order) - 1
        rest = {u for u in self._filters if not u.startswith("w_")}
        for i, v in enumerate(order[:root]):
            tails = {unit[index[id(p)]] for p in v.parents}
            if unit[i] == f"n{i}" and len(tails) == 1 and tails <= rest:
                unit[i] = tails.pop()
        uses: dict[int, set[ClusterKey | None]] = {}  # the conv layer of each use (None: not a filter's)
        for i in range(root, -1, -1):  # every use of node i comes after it, so is decided before it
            conv = next(iter(uses[i])) if i in uses and len(uses[i]) == 1 else None
            if i < root and unit[i] == f"n{i}" and i not in cluster and conv is not None:
                unit[i] = f"i_{_slug(conv) or 'filters'}"
                self._conv_of[unit[i]] = conv
            for p in order[i].parents:
                uses.setdefault(index[id(p)], set()).add(self._conv_of.get(unit[i]))

    @staticmethod
    def _how(cluster: dict[int, ClusterKey], filters: set[ClusterKey]) -> str:
        """What collapsing did, for the note under the graph."""
        how = ["each neuron is collapsed into one node"] if set(cluster.values()) - filters else []
        if filters:
            how.append(
                f"each conv layer shows its first {SHOWN_FILTERS} filters and their first {SHOWN_POSITIONS} positions"
            )
        return "; ".join(how)

    def _describe(self) -> None:
        """Each summary node's box and lines (its title, how many Values, a neuron's output), in drawing order:
        the Values not drawn first, then by neuron or filter."""
        scene, keys = self.scene, self.scene.cluster
        members: dict[str, list[int]] = {}
        for i, u in enumerate(self.unit):
            if u != f"n{i}":
                members.setdefault(u, []).append(i)
        for u, ms in sorted(members.items(), key=lambda kv: (kv[0] != "hidden", _natural(keys.get(kv[1][-1])))):
            n, out = len(ms), ms[-1]
            if u == "hidden":
                self.summaries[u] = Summary(None, (f"{n} more Values", "(not drawn)"))
            elif u.startswith("i_"):
                of = " · ".join(self._conv_of[u])
                self.summaries[u] = Summary(None, (f"inputs of {of}" if of else "inputs", f"{n} Values collapsed"))
            elif u.startswith("w_"):
                self.summaries[u] = self._parameters(self._filters[u].key, [scene.parameters[i] for i in ms])
            elif u in self._filters:
                key, lines, fill = self._filters[u]
                self.summaries[u] = Summary(key, (*lines, f"{n} Values collapsed"), fill)
            else:
                data = f"out {scene.shorts[out]} = {fmt_number(scene.order[out].data)}"
                self.summaries[u] = Summary(None, (" · ".join(keys[out]), f"{n} Values collapsed", data))

    def _parameters(self, key: ClusterKey | None, shorts: list[str]) -> Summary:
        """The node of a filter's parameters: which they are, and how many positions share them."""
        assert key is not None
        weights = sorted(_parameter_number(short) for short in shorts if short != "b")
        names = [f"w{weights[0]:g}" + (f"–w{weights[-1]:g}" if len(weights) > 1 else "")] if weights else []
        title = ", ".join(names + ["b"] * ("b" in shorts))
        shared = f"shared by {_count(self.scene.positions[key], 'position')}"
        lines = (title, f"{_count(len(shorts), 'parameter')},", shared)
        return Summary(key, lines, FILL["parameter"])


def _count(n: int, noun: str) -> str:
    """``3 more positions``, ``1 more position``."""
    return f"{n} {noun}{'s' * (n != 1)}"


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
