"""draw_graph and Graph: the DOT text (no `dot` needed), real rendering, and the missing-`dot` path."""

from __future__ import annotations

import html
import math
import os
import re
import shutil
import time
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import BackpropStepper, Graph, GraphvizNotFoundError, Value, dot, draw_graph, vsum
from autograd_core.viz import (
    FILL,
    INSTALL_HINT,
    MAX_LABEL,
    GraphvizFailedError,
    Scene,
    is_parameter_label,
    shorten,
    visible,
)

REQUIRE_GRAPHVIZ = bool(os.environ.get("AUTOGRAD_CORE_REQUIRE_GRAPHVIZ"))
HAVE_DOT = shutil.which("dot") is not None
if REQUIRE_GRAPHVIZ and not HAVE_DOT:
    pytest.fail("AUTOGRAD_CORE_REQUIRE_GRAPHVIZ is set but Graphviz's `dot` is not on PATH", pytrace=False)
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason=INSTALL_HINT)


def notes_neuron() -> tuple[Value, dict[str, Value]]:
    """The neuron of the notes: x = (5, 3), w = (0.5, 0.5), b = 1, z = w·x + b, a = σ(z); backpropagated."""
    v = {name: Value(x, name) for name, x in [("x1", 5.0), ("x2", 3.0), ("w1", 0.5), ("w2", 0.5), ("b", 1.0)]}
    z = dot([v["w1"], v["w2"]], [v["x1"], v["x2"]], v["b"])
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    a.backward()
    return a, {**v, "z": z, "a": a}


def box(source: str, name: str) -> str:
    """The DOT statement of the value box whose bold name is ``name``."""
    (line,) = [s for s in source.splitlines() if f"<b>{name}</b>" in s]
    return line


def node_id(source: str, name: str) -> str:
    return box(source, name).split()[0]


def hand_labelled_layer() -> tuple[Value, list[Value]]:
    """Two neurons of a layer, labelled exactly as nn labels a Layer's parameters, and a loss."""
    x = [Value(1.0, "x1"), Value(-2.0, "x2")]
    outs, params = [], []
    for j in range(2):
        w = [Value(0.1 * (j + i + 1), f"neurons.{j}.w.{i}") for i in range(2)]
        b = Value(0.5, f"neurons.{j}.b")
        params += [*w, b]
        outs.append(dot(w, x, b).tanh())
    loss = (outs[0] + outs[1] - 1.0) ** 2
    return loss, x


def test_boxes_show_label_data_and_grad() -> None:
    a, v = notes_neuron()
    src = draw_graph(a).source
    for name in ("x1", "x2", "w1", "w2", "b", "z", "a"):
        line = box(src, name)
        assert f"data {v[name].data:.4g}" in line.replace(".0<", "<")
    assert "grad 0.03324" in box(src, "w1")  # ∂a/∂w1 = σ′(5)·x1
    assert "grad 0.006648" in box(src, "b")
    assert "grad 1.0" in box(src, "a")
    assert "grad" not in box(draw_graph(a, show_grads=False).source, "w1")


def test_edges_carry_local_derivatives() -> None:
    a, _ = notes_neuron()
    src = draw_graph(a).source
    z_op = node_id(src, "z") + "op"
    w1, x2, b = node_id(src, "w1"), node_id(src, "x2"), node_id(src, "b")
    assert f"{w1} -> {z_op} [label=5.0]" in src  # ∂z/∂w1 = x1
    assert f"{x2} -> {z_op} [label=0.5]" in src  # ∂z/∂x2 = w2
    assert f"{b} -> {z_op} [label=1.0]" in src
    assert f"{node_id(src, 'z')} -> {node_id(src, 'a')}op [label=0.006648]" in src  # σ′(z)
    assert "label=<σ>" in src and "label=<dot>" in src
    assert "label=5.0" not in draw_graph(a, show_local_grads=False).source


def test_duplicate_parents_keep_both_edges_and_constants_show_in_the_op() -> None:
    a = Value(3.0, "a")
    b = a + a
    b.label = "b"
    c = b * 2
    src = draw_graph(c).source
    edge = f"{node_id(src, 'a')} -> {node_id(src, 'b')}op [label=1.0]"
    assert src.count(edge) == 2
    assert "label=<*2>" in src
    assert f"{node_id(src, 'b')} -> " in src


def test_node_ids_are_deterministic_and_unlabelled_nodes_get_topological_names() -> None:
    def build() -> Value:
        x = Value(2.0)
        return (x * x + x.exp()).tanh()

    sources = {draw_graph(build()).source for _ in range(3)}
    assert len(sources) == 1
    (src,) = sources
    assert "0x" not in src  # no id()-based names
    assert re.findall(r"<b>(v\d+)</b>", src) == [f"v{i}" for i in range(1, 6)]


def test_unlabelled_nodes_are_numbered_without_gaps_in_drawings_and_formulas() -> None:
    x, w, b = Value(-1.5, "x"), Value(0.8, "w"), Value(0.3, "b")
    z = w * x + b
    z.label = "z"
    loss = (z.tanh() - 1.0) ** 2  # w·x, tanh, −1 and **2 are unlabelled: were v3, v6, v7, v8
    src = draw_graph(loss).source
    assert re.findall(r"<b>(v\d+)</b>", src) == ["v1", "v2", "v3", "v4"]
    stepper = BackpropStepper(loss)
    assert [s.name for s in stepper.steps] == ["v4", "v3", "v2", "z", "v1"]  # backward's order
    assert "v2.grad += ∂v3/∂v2 · v3.grad" in stepper.caption(1)
    assert "v2.grad += ∂v3/∂v2" in stepper.frame(1).source
    taken = Value(1.0, "v1") * Value(2.0, "y")  # a label v1 is never given to another node
    assert re.findall(r"<b>(v\d+)</b>", draw_graph(taken * 3).source) == ["v1", "v2", "v3"]


def test_labels_are_escaped() -> None:
    x = Value(1.0, '<x> & "q"')
    y = x * Value(2.0, "a:b")
    y.label = "out\\n{|}"
    src = draw_graph(y).source
    assert "&lt;x&gt; &amp; &quot;q&quot;" in src
    assert "<b>a:b</b>" in src
    assert "<b>out\\n{|}</b>" in src


@needs_dot
def test_tricky_labels_still_render() -> None:
    x = Value(1.0, "<x>")
    y = x * Value(2.0, "a:b")
    y.label = "out\\n{|}"
    svg = draw_graph(y).svg()
    assert "&lt;x&gt;" in svg and "a:b" in svg


def test_control_characters_in_labels_are_shown_as_escapes() -> None:
    y = Value(1.0, "a\x01b\x1b[0m") * Value(2.0, "tab\there")
    y.label = "new\nline \ud800"
    src = draw_graph(y).source
    assert "<b>a\\x01b\\x1b[0m</b>" in src and "<b>tab\\there</b>" in src and "<b>new\\nline \\ud800</b>" in src
    assert not any(ord(c) < 32 for c in src.replace("\n", "").replace("\t", ""))


@needs_dot
def test_control_characters_in_labels_still_render(tmp_path) -> None:
    y = Value(1.0, "a\x01b") * Value(2.0, "\x7f")
    y.label = "\ud800"  # a lone surrogate cannot even be encoded as UTF-8
    svg = draw_graph(y).save(tmp_path / "g.svg").read_text()
    assert "a\\x01b" in svg and "\\x7f" in svg and "\\ud800" in svg


def test_dot_crashing_on_a_huge_graph_says_how_big_and_suggests_max_nodes(tmp_path, monkeypatch) -> None:
    fake = tmp_path / "bin" / "dot"  # dies like dot on a 10,001-node chain (SIGSEGV after running out of stack)
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\ncat >/dev/null\necho 'Error: out of memory' >&2\nkill -SEGV $$\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    y = Value(0.5, "x")
    for _ in range(1000):
        y = y * 1.0001
    graph = draw_graph(y, max_nodes=100_000)
    message = r"crashed \(SIGSEGV\).* 1001 Values drawn as 2001 nodes \(max_nodes=100000\).*smaller max_nodes"
    with pytest.raises(GraphvizFailedError, match=message + r".*dot said: Error: out of memory"):
        graph.save(tmp_path / "chain.svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]  # no file, not even half a one
    fake.write_text("#!/bin/sh\ncat >/dev/null\nexit 3\n")
    with pytest.raises(GraphvizFailedError, match=r"failed \(exit status 3\) rendering the graph to png"):
        graph.pipe("png")


def test_colours_mark_inputs_parameters_root_and_highlight() -> None:
    loss, (x1, _) = hand_labelled_layer()
    src = draw_graph(loss, highlight=[x1]).source
    w0_boxes = [s for s in src.splitlines() if "<b>w0</b>" in s]
    assert len(w0_boxes) == 2 and all('fillcolor="#fde68a"' in s for s in w0_boxes)  # parameters
    assert 'fillcolor="#dbeafe"' in box(src, "x1")  # an input
    assert 'color="#dc2626"' in box(src, "x1") and "class=highlight" in box(src, "x1")
    assert 'color="#dc2626"' not in box(src, "x2")
    root = loss.label = "L"
    assert 'fillcolor="#bbf7d0"' in box(draw_graph(loss).source, root)


def test_clusters_from_nn_parameter_labels() -> None:
    loss, _ = hand_labelled_layer()
    src = draw_graph(loss).source
    assert re.findall(r"subgraph cluster_\w+ \{\n.* label=\"(.*?)\"", src) == ["neuron 0", "neuron 1"]
    # Each cluster holds its w0, w1, b, the dot node z and the activation tanh(z), and nothing else.
    for body in re.findall(r"subgraph cluster_\w+ \{(.*?)\n\t\}", src, re.S):
        names = re.findall(r"<b>(\w+)</b>", body)
        assert sorted(names) == ["a", "b", "w0", "w1", "z"]  # unlabelled z and a = tanh(z) get their roles
        assert "label=<dot>" in body and "label=<tanh>" in body
    outside = re.sub(r"subgraph cluster_\w+ \{(.*?)\n\t\}", "", src, flags=re.S)
    assert "<b>x1</b>" in outside and "label=<+>" in outside and "label=<**2>" in outside
    assert "subgraph" not in draw_graph(loss, group=False).source


def test_mlp_style_labels_and_short_parameter_names() -> None:
    x = [Value(1.0, "x1"), Value(2.0, "x2")]
    w = [Value(0.5, "layers.1.neurons.0.w.0"), Value(-0.5, "layers.1.neurons.0.w.1")]
    b = Value(0.1, "layers.1.neurons.0.b")
    out = dot(w, x, b).relu()
    src = draw_graph(out).source
    assert 'label="layer 1 · neuron 0"' in src
    assert "<b>w0</b>" in src and "<b>w1</b>" in src and "<b>b</b>" in src
    assert "layers.1" not in src.replace('label="layer 1', "")


def test_a_lone_b_label_is_not_a_neuron_but_still_a_parameter() -> None:
    a, _ = notes_neuron()  # labels w1, w2, b: the notes' names, not nn's
    src = draw_graph(a).source
    assert "subgraph" not in src
    for name in ("w1", "w2", "b"):
        assert 'fillcolor="#fde68a"' in box(src, name), name
    for name in ("x1", "x2"):
        assert 'fillcolor="#dbeafe"' in box(src, name), name


@pytest.mark.parametrize(
    "label, parameter",
    [
        *[(ok, True) for ok in ("w", "b", "w1", "w_2", "b0", "w₁", "w.0", "layers.0.neurons.3.w.1", "0.neurons.1.b")],
        *[(no, False) for no in ("x1", "y", "bias", "weights", "wb", "w1x", "", "W", "a.w.x")],
    ],
)
def test_the_parameter_rule_reads_the_label(label: str, parameter: bool) -> None:
    assert is_parameter_label(label) is parameter
    colour = FILL["parameter"] if parameter else FILL["input"]
    (line,) = [s for s in draw_graph(Value(2.0, label) * Value(3.0, "x1")).source.splitlines() if "data 2.0" in s]
    assert f'fillcolor="{colour}"' in line


def test_parameters_argument_marks_any_leaf() -> None:
    theta, x = Value(0.5, "theta"), Value(2.0, "x")
    y = theta * x
    y.label = "y"
    other = Value(9.0, "elsewhere")  # not in the graph: ignored, so model.parameters() can be passed whole
    src = draw_graph(y, parameters=[theta, y, other]).source
    assert 'fillcolor="#fde68a"' in box(src, "theta") and 'fillcolor="#dbeafe"' in box(src, "x")
    assert 'fillcolor="#bbf7d0"' in box(src, "y")  # the root (not a leaf) stays the root
    assert 'fillcolor="#dbeafe"' in box(draw_graph(y).source, "theta")


def test_max_nodes_collapses_neurons_then_truncates() -> None:
    loss, _ = hand_labelled_layer()
    full = draw_graph(loss).source
    assert "collapsed" not in full
    small = draw_graph(loss, max_nodes=10).source
    assert "each neuron is collapsed" in small
    assert small.count("Values collapsed") == 2 and "subgraph" not in small
    assert "<b>w0</b>" not in small and "<b>x1</b>" in small
    tiny = draw_graph(loss, max_nodes=3).source
    assert "only the 3 nodes nearest the root are drawn" in tiny
    assert (
        len(re.findall(r"^\t(?!graph|node|edge)(\w+) \[", tiny, re.M)) <= 3 + 3 + 1
    )  # 3 units, their op nodes, one summary


def test_a_long_chain_is_truncated_quickly() -> None:
    x = Value(0.5, "x")
    y = x
    for _ in range(20_000):
        y = y * 1.0001
    t = time.perf_counter()
    src = draw_graph(y, max_nodes=50).source
    assert time.perf_counter() - t < 5
    assert "only the 50 nodes nearest the root" in src
    assert len(re.findall(r"<b>v\d+</b>", src)) <= 50


def test_bad_arguments_raise_clear_errors() -> None:
    a, _ = notes_neuron()
    with pytest.raises(TypeError, match=r"draw_graph\(root\) must be a Value.*float"):
        draw_graph(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"rankdir.*'XY'"):
        draw_graph(a, rankdir="XY")
    with pytest.raises(ValueError, match=r"max_nodes.*0"):
        draw_graph(a, max_nodes=0)
    with pytest.raises(ValueError, match=r"highlight.*Value\(data=7\.0.*not in the graph"):
        draw_graph(a, highlight=[Value(7.0)])
    with pytest.raises(ValueError, match=r"unknown suffix '\.jpg'.*g\.jpg"):
        draw_graph(a).save("g.jpg")


@needs_dot
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF")])
def test_save_renders_with_dot(tmp_path, suffix: str, magic: bytes) -> None:
    a, _ = notes_neuron()
    path = draw_graph(a).save(tmp_path / f"g{suffix}")
    assert path.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [f"g{suffix}"]  # no temporary file left behind


@needs_dot
def test_inline_svg_shows_the_numbers() -> None:
    a, _ = notes_neuron()
    bundle = draw_graph(a)._repr_mimebundle_()
    svg = bundle["image/svg+xml"]
    assert svg.startswith("<svg") and "w1" in svg and "0.03324" in svg and "0.006648" in svg


@needs_dot
def labelled_mlp(nin: int, widths: list[int]) -> Value:
    """(MLP(x) − 1)² for an MLP with tanh hidden layers, labelled as nn labels it; backpropagated."""
    import random

    rng = random.Random(0)
    h = [Value(0.1 * i - 0.3, f"x{i + 1}") for i in range(nin)]
    for layer, width in enumerate(widths):
        outs = []
        for j in range(width):
            w = [Value(rng.uniform(-1, 1), f"layers.{layer}.neurons.{j}.w.{i}") for i in range(len(h))]
            b = Value(0.0, f"layers.{layer}.neurons.{j}.b")
            z = dot(w, h, b)
            outs.append(z.tanh() if layer < len(widths) - 1 else z)
        h = outs
    loss = (h[0] - 1.0) ** 2
    loss.backward()
    return loss


def top_edges(svg: str) -> dict[str, float]:
    """The y of the top edge of each drawn node and cluster, by its DOT name (SVG y grows downwards)."""
    tops = {}
    for name, shape in re.findall(
        r'<g id="\w+" class="(?:node|cluster)[^"]*">\s*<title>(\w+)</title>\s*(<[^>]+>)', svg
    ):
        ys = re.findall(r"[-\d.]+,([-\d.]+)", shape) or re.findall(r'cy="([-\d.]+)"', shape)  # ellipses: the centre
        tops[name] = min(float(y) for y in ys)
    return tops


@needs_dot
def test_neurons_are_drawn_in_order_layer_by_layer_and_parameters_in_order_inside() -> None:
    loss = labelled_mlp(2, [16, 16, 1])
    graph = draw_graph(loss)
    tops = top_edges(graph.svg())
    for layer in (0, 1):
        clusters = [f"cluster_layer{layer}_neuron{j}" for j in range(16)]
        assert sorted(clusters, key=tops.__getitem__) == clusters  # neuron 0 at the top, then 1, 2, …
    names = dict(re.findall(r"^\t+(n\d+) \[label=<<b>(\w+)</b>", graph.source, re.M))
    body = re.search(r"subgraph cluster_layer1_neuron3 \{(.*?)\n\t\}", graph.source, re.S).group(1)
    parameters = [n for n in re.findall(r"^\t\t(n\d+) \[", body, re.M) if names[n][0] in "wb"]
    assert [names[n] for n in sorted(parameters, key=tops.__getitem__)] == [f"w{i}" for i in range(16)] + ["b"]


@needs_dot
def test_collapsed_neurons_are_listed_and_drawn_in_order_with_their_titles_inside() -> None:
    loss = labelled_mlp(10, [64, 64, 1])
    src = draw_graph(loss, max_nodes=500).source
    listed = re.findall(r"^\t(c_layer\d+_neuron\d+) \[", src, re.M)
    assert listed == [f"c_layer{i}_neuron{j}" for i, n in enumerate([64, 64, 1]) for j in range(n)]
    svg = draw_graph(labelled_mlp(2, [16, 16, 1]), max_nodes=100).svg()  # small enough to render quickly
    tops = top_edges(svg)
    for layer in (0, 1):
        units = [f"c_layer{layer}_neuron{j}" for j in range(16)]
        assert sorted(units, key=tops.__getitem__) == units
    for name, front, baseline in re.findall(
        r'<title>(c_\w+)</title>.*?<polyline[^>]*points="[-\d.]+,([-\d.]+) .*?<text[^>]*y="([-\d.]+)"', svg, re.S
    ):
        assert float(baseline) - 0.8 * 11 > float(front) + 1, f"{name}: the title touches the box's top edge"


@needs_dot
def test_a_wide_graph_is_scaled_to_the_page_in_notebooks() -> None:
    wide = draw_graph(labelled_mlp(2, [16, 16, 1]))
    svg = wide._repr_mimebundle_()["image/svg+xml"]
    width = float(re.match(r'<svg width="([\d.]+)pt"', wide.svg()).group(1))
    assert width > 1000
    assert (
        svg.startswith(f'<svg width="100%" style="max-width: {width:g}pt"\n viewBox=') and " height=" not in svg[:200]
    )
    narrow = draw_graph(Value(1.0, "x") * 2)
    assert narrow._repr_mimebundle_()["image/svg+xml"] == narrow.svg()  # small graphs keep their size


def test_a_2_16_16_1_mlp_renders_fast() -> None:
    loss = labelled_mlp(2, [16, 16, 1])
    t = time.perf_counter()
    g = draw_graph(loss)
    svg = g.svg()
    elapsed = time.perf_counter() - t
    assert g.source.count("subgraph cluster_") == 33
    assert "layer 2 · neuron 0" in g.source and "collapsed" not in g.source
    assert svg.count('class="node"') > 400
    assert elapsed < 30, f"rendering took {elapsed:.1f} s"
    t = time.perf_counter()
    collapsed = draw_graph(loss, max_nodes=100)
    collapsed.svg()
    assert collapsed.source.count("Values collapsed") == 33
    assert time.perf_counter() - t < 10


def test_missing_dot_falls_back_to_text(tmp_path, monkeypatch) -> None:
    a, _ = notes_neuron()
    g = draw_graph(a)
    monkeypatch.setenv("PATH", "")
    bundle = g._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    first, rest = bundle["text/plain"].split("\n", 1)
    assert first == INSTALL_HINT and "apt-get install graphviz" in first and "brew" in first and "conda" in first
    assert rest == g.source
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        g.save(tmp_path / "x.svg")
    assert list(tmp_path.iterdir()) == []  # nothing half-written
    assert g.save(tmp_path / "x.dot").read_text() == g.source


def test_graph_is_importable_lazily() -> None:
    assert isinstance(draw_graph(Value(1.0, "x")), Graph)
    assert "<b>x</b>" in draw_graph(Value(1.0, "x")).source


def test_a_real_nn_mlp_reads_as_its_architecture() -> None:
    nn = pytest.importorskip("nn")
    model = nn.MLP(2, [16, 16, 1], activation="tanh", seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    src = draw_graph(loss).source
    labels = re.findall(r"label=\"(layer \d+ · neuron \d+)\"", src)
    assert labels == [f"layer {i} · neuron {j}" for i, n in enumerate([16, 16, 1]) for j in range(n)]
    for body in re.findall(r"subgraph cluster_\w+ \{(.*?)\n\t\}", src, re.S):
        assert "label=<dot>" in body and "<b>b</b>" in body and "<b>w1</b>" in body and "<b>z</b>" in body
    assert src.count("<b>a</b>") == 32  # the hidden neurons' a = tanh(z); the output neuron is linear
    hidden = re.findall(r"subgraph cluster_layer0_neuron3 \{(.*?)\n\t\}", src, re.S)[0]
    assert hidden.count("label=<tanh>") == 1 and len(re.findall(r"<b>w\d+</b>", hidden)) == 2
    assert "layers.0" not in src  # parameters show their short label inside the cluster


def test_hand_labels_win_over_neuron_roles() -> None:
    x = [Value(1.0, "x1"), Value(2.0, "x2")]
    w = [Value(0.5, "w.0"), Value(-0.5, "w.1")]
    z = dot(w, x, Value(0.1, "b"))
    z.label = "my z"
    src = draw_graph(z.sigmoid()).source
    assert "<b>my z</b>" in src and "<b>a</b>" in src and "<b>z</b>" not in src


def test_the_readme_example_runs(tmp_path, monkeypatch) -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Drawing graphs and stepping through backprop", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(code, namespace)
    assert namespace["w1"].grad == pytest.approx(5.0 * (namespace["a"].data - 1.0))  # ∂L/∂w1 = x1·(a − y)
    assert (tmp_path / "neuron.dot").read_text() == draw_graph(namespace["L"]).source


# ---------------------------------------------------------------- hostile and careless input (issue 19)
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_bidi_controls_are_escaped_in_boxes_ops_and_formulas() -> None:
    x = Value(2.0, "x\u202eevil")  # U+202E shows "x" then "live" reversed: a label can spoof another
    y = x * Value(3.0, "w\u2066")
    y.label = "y"
    src = draw_graph(Value(1.0, op="op\u202d", parents=(y,), local_grads=(1.0,))).source
    assert not any(c in src for c in BIDI)
    assert "<b>x\\u202eevil</b>" in src and "<b>w\\u2066</b>" in src and "label=<op\\u202d>" in src
    stepper = BackpropStepper(y)
    assert "x\\u202eevil.grad += " in stepper.caption(0) and not any(c in stepper.caption(0) for c in BIDI)
    assert not any(c in stepper.frame(0).source for c in BIDI)
    assert visible(BIDI + "\u2028é😀") == "".join(repr(c)[1:-1] for c in BIDI) + "\\u2028é😀"


@needs_dot
def test_bidi_controls_never_reach_the_svg_or_the_page(tmp_path) -> None:
    x = Value(2.0, "\u202ex")
    y = x * 3
    svg = draw_graph(y).svg()
    assert "\u202e" not in svg and "\\u202ex" in svg
    page = BackpropStepper(y).save_html(tmp_path / "p.html", title="steps \u202e").read_text()
    assert "\u202e" not in page and "steps \\u202e" in page


@pytest.mark.parametrize("n", [100, 20_000, 100_000])
def test_a_long_label_is_shortened_with_its_length(n: int) -> None:
    y = Value(1.0, "a" * n) * 2
    (name,) = re.findall(r"<b>(a.*?)</b>", draw_graph(y).source)
    assert len(name) <= MAX_LABEL and name.startswith("aaa") and name.endswith(f"… ({n:,} characters)")
    assert BackpropStepper(y).steps[0].updates[0].formula.startswith(name + ".grad += ")


@needs_dot
def test_a_100_kb_label_renders() -> None:  # was dot's "longer than 16384?" blamed on size, then BrokenPipeError
    y = Value(1.0, "a" * 100_000) * 2
    assert "(100,000 characters)" in draw_graph(y).svg()


def test_a_caption_is_cut_to_a_few_lines() -> None:
    xs = [Value(float(i), f"x{i}") for i in range(200)]
    total = dot(xs, xs)  # one step with 400 formula lines (dot refuses an HTML label over 16 KB)
    source = BackpropStepper(total).frame(0).source
    (caption,) = re.findall(r"\slabel=<(.*)> labelloc=b", source)
    assert caption.endswith("<br/>… (372 more lines)") and len(caption) < 16_384


def fake_dot(tmp_path, monkeypatch, script: str) -> None:
    fake = tmp_path / "bin" / "dot"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text("#!/bin/sh\n" + script)
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")


def test_dot_failing_on_a_small_graph_quotes_dot_and_does_not_blame_the_size(tmp_path, monkeypatch) -> None:
    fake_dot(
        tmp_path,
        monkeypatch,
        "echo 'Error: <stdin>: syntax error in line 5' >&2\necho 'String starting:<<b>a' >&2\nexit 1\n",
    )
    with pytest.raises(GraphvizFailedError) as e:
        draw_graph(Value(1.0, "x") * 2).svg()
    message = str(e.value)
    assert "failed (exit status 1)" in message and "max_nodes" not in message and "Values drawn" not in message
    assert "dot said: Error: <stdin>: syntax error in line 5 / String starting:<<b>a" in message


def test_dot_exiting_before_reading_its_input_is_an_honest_error(tmp_path, monkeypatch) -> None:
    fake_dot(tmp_path, monkeypatch, "echo 'Error: bad input' >&2\nexit 2\n")  # reads nothing: a BrokenPipeError before
    big = Value(1.0, "x")
    for _ in range(3000):
        big = big * 1.0001
    with pytest.raises(GraphvizFailedError, match=r"exit status 2.*dot said: Error: bad input"):
        draw_graph(big, max_nodes=100).pipe("svg")


@pytest.mark.parametrize("flag", ["show_grads", "show_local_grads", "group", "collapse"])
@pytest.mark.parametrize("value", ["no", 0, 1, None])
def test_flags_must_be_bools(flag: str, value: object) -> None:
    a, _ = notes_neuron()
    pattern = rf"draw_graph\({flag}\) must be True or False, got {type(value).__name__}: {re.escape(repr(value))}"
    with pytest.raises(TypeError, match=pattern):
        draw_graph(a, **{flag: value})
    with pytest.raises(TypeError, match=rf"BackpropStepper\({flag}\) must be True or False"):
        BackpropStepper(a, **{flag: value})


def test_stepper_options_are_checked_when_it_is_made() -> None:
    a, _ = notes_neuron()
    with pytest.raises(TypeError, match=r"BackpropStepper: unknown drawing option 'rankdr'; the options are rankdir"):
        BackpropStepper(a, rankdr="TB")
    with pytest.raises(ValueError, match=r"BackpropStepper\(rankdir\).*'XY'"):
        BackpropStepper(a, rankdir="XY")
    with pytest.raises(TypeError, match=r"BackpropStepper\(highlight\) item 0 must be a Value.*int: 3"):
        BackpropStepper(a, highlight=[3])
    stepper = BackpropStepper(a, highlight=iter([a]), rankdir="TB")  # an iterator is read once, for every frame
    assert all("class=highlight" in stepper.frame(i).source or i == 0 for i in range(len(stepper)))
    assert "rankdir=TB" in stepper.frame(1).source


def test_bad_option_types_name_the_argument() -> None:
    a, _ = notes_neuron()
    with pytest.raises(TypeError, match=r"draw_graph\(rankdir\) must be a str.*int: 5"):
        draw_graph(a, rankdir=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"draw_graph\(max_nodes\).*float: 5.0"):
        draw_graph(a, max_nodes=5.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"draw_graph\(highlight\) must be an iterable of Values.*Value"):
        draw_graph(a, highlight=a)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"draw_graph\(parameters\) item 1.*str: 'w'"):
        draw_graph(a, parameters=[a, "w"])  # type: ignore[list-item]


# ---------------------------------------------------------------- figures for the notebooks (issue 22)
def test_collapse_draws_each_neuron_as_one_node_whatever_the_size() -> None:
    loss, _ = hand_labelled_layer()
    src = draw_graph(loss, collapse=True).source
    assert src.count("Values collapsed") == 2 and "subgraph" not in src and "max_nodes" not in src
    assert "<b>x1</b>" in src and "<b>w0</b>" not in src
    assert draw_graph(loss, collapse=True, group=False).source == src  # collapsing needs no boxes
    assert draw_graph(Value(1.0, "x") * 2, collapse=True).source == draw_graph(Value(1.0, "x") * 2).source


@needs_dot
def test_page_fit_says_how_big_the_smallest_text_shows() -> None:
    small = draw_graph(Value(1.0, "x") * 2).page_fit()
    assert small.scale == 1.0 and small.smallest_text_px == pytest.approx(9 * 4 / 3)  # edge labels: 9 pt
    wide = draw_graph(labelled_mlp(2, [16, 16, 1]))
    fit = wide.page_fit(880)
    width_pt = float(re.match(r'<svg width="([\d.]+)pt"', wide.svg()).group(1))
    assert fit.scale == pytest.approx(880 / (width_pt * 4 / 3)) and fit.width_px == pytest.approx(880)
    assert fit.smallest_text_px < 8  # unreadable: the notebooks draw such graphs top to bottom or collapsed
    assert wide.page_fit(10_000).scale == 1.0


@needs_dot
def test_a_softmax_chain_is_readable_top_to_bottom() -> None:
    """Notebook 06's graph (C = −ln softmax(z)₀): 2,085 pt wide left to right, text ≈ 4 px on an 880 px page."""
    z = [Value(v, f"z{j}") for j, v in enumerate([5.0, 2.0, -1.0, 3.0])]
    t = [zj.exp() for zj in z]
    total = sum(t)
    cost = -(t[0] / total).log()
    cost.backward()
    assert draw_graph(cost).page_fit().smallest_text_px < 5
    assert draw_graph(cost, rankdir="TB").page_fit().smallest_text_px >= 8


@needs_dot
def test_a_small_mlp_with_its_cost_is_readable_collapsed_top_to_bottom() -> None:
    """Notebook 09's 2-3-1 graph with C = ln(1 + eᶻ) − y·z: text ≈ 4 px drawn in full on an 880 px page."""
    nn = pytest.importorskip("nn")
    net = nn.MLP(2, [3, 1], activation="tanh", output_activation="linear", seed=0)
    z = net([Value(0.3, "x1"), Value(-0.5, "x2")])
    cost = (z.exp() + 1).log() - Value(1.0, "y") * z
    cost.backward()
    assert draw_graph(cost).page_fit().smallest_text_px < 5
    assert draw_graph(cost, rankdir="TB", collapse=True).page_fit().smallest_text_px >= 8


@needs_dot
def test_scale_sets_the_size_shown_in_a_notebook() -> None:
    z = [Value(v, f"z{j}") for j, v in enumerate([5.0, 2.0, -1.0, 3.0])]
    cost = -(z[0].exp() / sum(zj.exp() for zj in z)).log()
    full, small = draw_graph(cost, rankdir="TB"), draw_graph(cost, rankdir="TB", scale=0.7)
    assert small.svg() == full.svg() and small.source == full.source  # dot's drawing and saved files unchanged
    width, height = (float(x) for x in re.match(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', full.svg()).groups())
    shown = small._repr_mimebundle_()["image/svg+xml"]
    assert shown.startswith(f'<svg width="{width * 0.7:g}pt" height="{height * 0.7:g}pt"')
    fit, small_fit = full.page_fit(), small.page_fit()
    assert small_fit.scale == pytest.approx(0.7) and small_fit.height_px == pytest.approx(0.7 * fit.height_px)
    assert small_fit.smallest_text_px == pytest.approx(0.7 * fit.smallest_text_px) and small_fit.smallest_text_px >= 8
    huge = draw_graph(cost, scale=3.0)  # wider than the page: shrunk to it anyway
    assert huge._repr_mimebundle_()["image/svg+xml"].startswith('<svg width="100%"')
    assert huge.page_fit().width_px == pytest.approx(880)


@pytest.mark.parametrize(
    "bad, error", [(0, ValueError), (-1.0, ValueError), (math.inf, ValueError), ("1", TypeError), (True, TypeError)]
)
def test_scale_must_be_a_positive_number(bad: object, error: type) -> None:
    with pytest.raises(error, match=rf"draw_graph\(scale\).*positive number.*{re.escape(repr(bad))}"):
        draw_graph(Value(1.0, "x") * 2, scale=bad)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=300) | st.text(alphabet=BIDI + "\x00\n\u2028a<>&", min_size=1))
def test_any_label_is_drawn_short_and_visible(text: str) -> None:
    label = "x" + text  # never an nn parameter's label, which would be drawn by its short name
    y = Value(1.0, label) * 2
    src = draw_graph(y).source
    invisible = ("Cs", "Zl", "Zp", "Cc")
    raw = [c for c in src if c in BIDI or (unicodedata.category(c) in invisible and c not in "\t\n")]
    assert raw == []
    name = Scene(y).name(y.parents[0])
    assert name == visible(shorten(label)) and len(shorten(label)) <= MAX_LABEL
    assert f"<b>{html.escape(name, quote=True)}</b>" in src


# ---------------------------------------------------------------- conv layers and residual blocks (issue 23)
def conv_graph(out_channels: int, size: int, kernel: int = 2, padding: int = 0, values: bool = False) -> Value:
    """C = Σ of the outputs of ``Sequential(Conv2d(1, out_channels, kernel, padding=padding), Flatten())`` on
    one size×size image (floats; or Values labelled x00, x01, …); backpropagated."""
    nn = pytest.importorskip("nn")
    model = nn.Sequential(nn.Conv2d(1, out_channels, kernel, padding=padding, seed=0), nn.Flatten())
    image: list = [[[(r * size + c) / size**2 for c in range(size)] for r in range(size)]]
    if values:
        image = [[[Value(p, f"x{r}{c}") for c, p in enumerate(row)] for r, row in enumerate(image[0])]]
    C = vsum(model(image))
    C.backward()
    return C


def cluster_bodies(src: str) -> dict[str, str]:
    """{a box's label: the DOT text inside it}."""
    return dict(re.findall(r'subgraph cluster_\w+ \{\n\t\t.*?label="(.*?)".*?\n(.*?)\n\t\}', src, re.S))


def test_a_conv_layer_draws_each_filter_in_a_box_with_its_positions() -> None:
    C = conv_graph(2, 3)  # two 2×2 filters over a 3×3 image: four positions each
    src = draw_graph(C).source
    bodies = cluster_bodies(src)
    assert list(bodies) == ["conv 0 · filter 0", "conv 0 · filter 1"]
    for body in bodies.values():
        names = re.findall(r"<b>(\w+)</b>", body)
        assert sorted(names) == sorted(["w0", "w1", "w2", "w3", "b", "z0", "z1", "z2", "z3", "a0", "a1", "a2", "a3"])
        assert body.count("label=<dot>") == 4 and body.count("label=<ReLU>") == 4
    assert "<b>v1</b>" in src and "collapsed" not in src  # the sum of all outputs is outside the boxes
    names = Scene(C).names
    assert "layers.0.filters.1.z3" in names and "layers.0.filters.0.a0" in names  # unique in the formulas


def test_weight_sharing_shows_as_one_weight_feeding_every_position() -> None:
    C = conv_graph(1, 3)
    src = draw_graph(C).source
    w1 = node_id(src, "w1")
    edges = re.findall(rf"^\t{w1} -> (n\d+)op \[label=([-\d.]+)\]", src, re.M)
    # ∂z/∂w1 at each position is the pixel under w1: x[r][c + 1] at the positions (r, c) = (0,0) (0,1) (1,0) (1,1)
    assert [float(d) for _, d in edges] == pytest.approx([1 / 9, 2 / 9, 4 / 9, 5 / 9], abs=1e-4)
    z_boxes = {box(src, f"z{k}").split()[0] for k in range(4)}
    assert {n for n, _ in edges} == z_boxes  # one weight, four dot nodes


def test_a_filters_sum_is_not_part_of_the_filter() -> None:
    nn = pytest.importorskip("nn")
    conv = nn.Conv2d(1, 1, kernel_size=2, activation="linear", seed=0)  # notebook 12's example
    z = conv([[[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 0.0, 1.0]]])
    C = vsum([pixel for row in z[0] for pixel in row])
    C.backward()
    src = draw_graph(C, rankdir="TB").source
    bodies = cluster_bodies(src)
    assert list(bodies) == ["filter 0"]
    assert sorted(re.findall(r"<b>(\w+)</b>", bodies["filter 0"])) == [
        "b",
        "w0",
        "w1",
        "w2",
        "w3",
        "z0",
        "z1",
        "z2",
        "z3",
    ]
    assert "<b>v1</b>" not in bodies["filter 0"] and "label=<Σ>" not in bodies["filter 0"]


def test_a_large_conv_layer_collapses_to_two_filters_of_three_positions() -> None:
    C = conv_graph(16, 8, kernel=3, padding=1, values=True)  # 16 filters on an 8×8 image: 2,273 Values
    graph = draw_graph(C)
    src = graph.source
    assert (
        "2273 Values &gt; max_nodes=500: each conv layer shows its first 2 filters and their first 3 positions" in src
    )
    bodies = cluster_bodies(src)
    assert list(bodies) == ["conv 0 · filter 0", "conv 0 · filter 1"]
    for key, body in zip(("conv0_filter0", "conv0_filter1"), bodies.values()):
        assert sorted(re.findall(r"<b>(\w+)</b>", body)) == ["a0", "a1", "a2", "z0", "z1", "z2"]
        assert "<b>w0–w8, b</b><br/>10 parameters,<br/>shared by 64 positions" in body
        assert "<b>… 61 more positions</b><br/>122 Values collapsed" in body
        ops = re.findall(rf"^\tw_{key} -> (n\d+op) \[label=\"×10\"\]", src, re.M)
        assert len(ops) == 3  # the shared parameters feed each drawn dot node (10 edges each)
        assert f'i_conv0 -> w_{key} [label="×484" constraint=false lhead=cluster_{key}]' in src
    assert "<b>… 14 more filters</b><br/>conv 0 · filters 2–15<br/>1932 Values collapsed" in src
    assert "<b>inputs of conv 0</b><br/>64 Values collapsed" in src and "<b>x00</b>" not in src
    assert graph.size is not None and graph.size[1] < 40  # nodes drawn
    assert draw_graph(conv_graph(2, 3), collapse=True).source.count("… 1 more position<") == 2


def test_a_cnn_collapses_its_pooling_with_the_positions_not_drawn() -> None:
    nn = pytest.importorskip("nn")
    import random

    cnn = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, seed=0),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Layer(256, 10, activation="linear", rng=random.Random(0)),
    )
    image = [[[((r + c) % 5) / 4 for c in range(8)] for r in range(8)]]
    loss = nn.cross_entropy([cnn(image)], [3])
    loss.backward()
    graph = draw_graph(loss)
    src = graph.source
    assert list(cluster_bodies(src)) == ["conv 0 · filter 0", "conv 0 · filter 1"]
    assert src.count("label=<max>") == 2  # the windows over positions 0, 1 (drawn) and 8, 9 (not drawn)
    assert [f"layer 3 · neuron {j}" for j in range(10)] == re.findall(r"<b>(layer 3 · neuron \d+)</b>", src)
    assert "137 Values collapsed" in src  # 61 positions' z and a, and their 15 pooling windows
    assert graph.size is not None and graph.size[1] < 60


def test_a_residual_blocks_bypass_is_drawn_apart() -> None:
    nn = pytest.importorskip("nn")
    import random

    x = [Value(0.5, "x1"), Value(-1.0, "x2")]
    L = vsum(nn.Residual(nn.Layer(2, 2, activation="tanh", rng=random.Random(0)))(x))
    L.backward()
    src = draw_graph(L).source
    bypasses = re.findall(r"^\t(n\d+) -> (n\d+op) \[(.*class=bypass.*)\]$", src, re.M)
    assert [tail for tail, _, _ in bypasses] == [node_id(src, "x1"), node_id(src, "x2")]
    assert all('xlabel="bypass · 1.0"' in attrs and 'color="#7c3aed"' in attrs for _, _, attrs in bypasses)
    assert all(re.search(rf"{head} \[label=<\+>", src) for _, head, _ in bypasses)  # into x + F(x)
    assert src.count("class=bypass") == 2  # x1 and x2 into the dot nodes are ordinary edges
    assert list(cluster_bodies(src)) == ["neuron 0", "neuron 1"]  # Residual's module.neurons.0.w.0 …
    assert "xlabel=bypass" in draw_graph(L, show_local_grads=False).source
    a = Value(2.0, "a")
    for no_bypass in (a + a, a * 2 + Value(1.0, "c"), a * a + a):  # x + x·x: no F with parameters
        assert "bypass" not in draw_graph(no_bypass).source
    image = [[[Value(float(r - c), f"x{r}{c}") for c in range(3)] for r in range(3)]]
    out = nn.Residual(nn.Conv2d(1, 1, 3, padding=1, seed=0))(image)
    assert draw_graph(vsum([v for row in out[0] for v in row])).source.count("class=bypass") == 9


@needs_dot
def test_conv_drawings_render_with_filters_and_positions_in_order() -> None:
    for rankdir in ("LR", "TB"):
        graph = draw_graph(conv_graph(16, 8, kernel=3, padding=1, values=True), rankdir=rankdir)
        svg = graph.svg()
        names = dict(re.findall(r"^\t+(n\d+) \[label=<<b>(\w+)</b>", graph.source, re.M))
        where = _node_positions(svg, vertical=rankdir == "LR")
        for cluster in ("conv0_filter0", "conv0_filter1"):
            body = re.search(rf"subgraph cluster_{cluster} \{{(.*?)\n\t\}}", graph.source, re.S).group(1)
            boxes = [n for n in re.findall(r"^\t\t(n\d+) \[", body, re.M) if names[n][0] in "za"]
            for role in "za":
                drawn = sorted((n for n in boxes if names[n][0] == role), key=where.__getitem__)
                assert [names[n] for n in drawn] == [f"{role}0", f"{role}1", f"{role}2"], rankdir
            others, zs = where[f"p_{cluster}"], [where[n] for n in boxes if names[n][0] == "z"]
            assert not min(zs) < others < max(zs), rankdir  # the other positions' node: not among them
        assert where["cluster_conv0_filter0"] < where["cluster_conv0_filter1"]
    stepper_frame = BackpropStepper(conv_graph(1, 3)).frame(2)
    assert "filter 0" in stepper_frame.source and stepper_frame.svg().startswith("<svg")


def _node_positions(svg: str, vertical: bool) -> dict[str, float]:
    """The top (``vertical``) or left edge of each drawn node and box, by its DOT name."""
    found = {}
    for name, shape in re.findall(
        r'<g id="\w+" class="(?:node|cluster)[^"]*">\s*<title>(\w+)</title>\s*(<[^>]+>)', svg
    ):
        outline = re.search(r'(?:points|d)="([^"]*)"', shape)
        pairs = re.findall(r"([-\d.]+),([-\d.]+)", outline.group(1)) if outline else []
        if not pairs:
            cx, cy = re.search(r'cx="([-\d.]+)" cy="([-\d.]+)"', shape).groups()
            pairs = [(cx, cy)]
        found[name] = min(float(y if vertical else x) for x, y in pairs)
    return found


@needs_dot
def test_a_neurons_parameters_read_in_order_top_to_bottom_too() -> None:  # were right to left: b, w1, w0
    nn = pytest.importorskip("nn")
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    graph = draw_graph(loss, rankdir="TB")
    where = _node_positions(graph.svg(), vertical=False)
    names = dict(re.findall(r"^\t+(n\d+) \[label=<<b>(\w+)</b>", graph.source, re.M))
    for label, body in cluster_bodies(graph.source).items():
        parameters = [n for n in re.findall(r"^\t\t(n\d+) \[", body, re.M) if names[n][0] in "wb"]
        expected = ["w0", "w1", "b"] if label.startswith("layer 0") else ["w0", "w1", "w2", "b"]
        assert [names[n] for n in sorted(parameters, key=where.__getitem__)] == expected, label


def test_two_conv_layers_collapse_each_with_its_own_inputs() -> None:
    nn = pytest.importorskip("nn")
    import random

    cnn = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, seed=0),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 3, 3, padding=1, seed=1),
        nn.Flatten(),
        nn.Layer(48, 3, rng=random.Random(0)),
    )
    image = [[[Value((r * c) % 3 / 2, f"x{r}{c}") for c in range(8)] for r in range(8)]]
    loss = nn.cross_entropy([cnn(image)], [1])
    loss.backward()
    src = draw_graph(loss).source
    assert list(cluster_bodies(src)) == [
        "conv 0 · filter 0",
        "conv 0 · filter 1",
        "conv 2 · filter 0",
        "conv 2 · filter 1",
    ]
    assert "<b>inputs of conv 0</b><br/>64 Values collapsed" in src  # the image
    assert "<b>inputs of conv 2</b>" in src  # pooled values used only by conv 2's filters
    assert "<b>… 1 more filter</b><br/>conv 2 · filter 2<br/>" in src
    assert re.search(r"^\ti_conv0 -> w_conv0_filter0 \[.*lhead=cluster_conv0_filter0", src, re.M)
    assert not re.search(r"^\ti_conv0 -> \w+_conv2", src, re.M)  # conv 0's inputs feed conv 0 only
