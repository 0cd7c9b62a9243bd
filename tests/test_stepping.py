"""backward_steps and BackpropStepper: the same gradients as backward(), bit for bit, and honest formulas."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_core import BackpropStepper, Value, backward_steps, dot, topological_order
from autograd_core.testing import build, input_values, programs
from autograd_core.viz import INSTALL_HINT, fmt_number

HAVE_DOT = shutil.which("dot") is not None
if os.environ.get("AUTOGRAD_CORE_REQUIRE_GRAPHVIZ") and not HAVE_DOT:
    pytest.fail("AUTOGRAD_CORE_REQUIRE_GRAPHVIZ is set but Graphviz's `dot` is not on PATH", pytrace=False)
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason=INSTALL_HINT)
SHORT = {"w0", "w1", "w2", "b"}  # nn parameters are named by their short label
ROLE = re.compile(r"(layers\.\d+\.)?(neurons\.\d+\.)?[za]")  # a neuron's unlabelled z and a
NUMBER = r"-?(?:inf|nan|\d+(?:\.\d+)?(?:e[-+]\d+)?)"


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def notes_neuron_loss() -> tuple[Value, dict[str, Value]]:
    """x = (5, 3), w = (0.5, 0.5), b = 1, z = w·x + b, a = σ(z), L = (a − 1)²; the notes' labels."""
    v = {name: Value(x, name) for name, x in [("x1", 5.0), ("x2", 3.0), ("w1", 0.5), ("w2", 0.5), ("b", 1.0)]}
    z = dot([v["w1"], v["w2"]], [v["x1"], v["x2"]], v["b"])
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    loss = (a - 1.0) ** 2
    loss.label = "L"
    return loss, {**v, "z": z, "a": a, "L": loss}


def reuse_a_plus_a() -> Value:
    a = Value(3.0, "a")
    return a + a


def reuse_twice() -> Value:
    a = Value(3.0, "a")
    b = a + a
    return b + b


def with_zero_edges() -> Value:
    x, y = Value(-1.0, "x"), Value(2.0, "y")
    dead = (x * y).relu()  # relu'(−2) = 0: backward skips x·y
    return dead + y * 0.0 + (x * y).tanh()  # *0 has local derivative 0


def sqrt_at_zero() -> Value:
    x = Value(0.0, "x")
    return x.sqrt() * 0.0  # upstream 0 meets ∂√x/∂x = inf: backward adds nothing (no nan)


def mlp_like() -> Value:
    x = [Value(0.3, "x1"), Value(-0.7, "x2")]
    h = [dot([Value(0.1 * (i + j), f"layers.0.neurons.{j}.w.{i}") for i in range(2)], x).tanh() for j in range(3)]
    out = dot(
        [Value(0.2 * j - 0.1, f"layers.1.neurons.0.w.{j}") for j in range(3)], h, Value(0.5, "layers.1.neurons.0.b")
    )
    return (out - 1.0) ** 2


GRAPHS = [lambda: notes_neuron_loss()[0], reuse_a_plus_a, reuse_twice, with_zero_edges, sqrt_at_zero, mlp_like]


def grads_after(make, run) -> list[bytes]:
    root = make()
    run(root)
    return [bits(v.grad) for v in topological_order(root)]


def exhaust(root: Value, gradient: float = 1.0) -> list:
    return list(backward_steps(root, gradient))


@pytest.mark.parametrize("make", GRAPHS)
def test_exhausting_the_steps_leaves_exactly_backwards_grads(make) -> None:
    assert grads_after(make, exhaust) == grads_after(make, Value.backward)
    assert grads_after(make, lambda r: exhaust(r, -2.5)) == grads_after(make, lambda r: r.backward(-2.5))


def test_reuse_cases() -> None:
    root = reuse_a_plus_a()
    steps = exhaust(root)
    (a,) = {id(p): p for p in root.parents}.values()
    assert a.grad == 2.0 and len(steps) == 1 and len(steps[0].updates) == 2
    first, second = steps[0].updates
    assert (first.grad_before, first.grad_after, second.grad_before, second.grad_after) == (0.0, 1.0, 1.0, 2.0)
    root = reuse_twice()
    steps = exhaust(root)
    assert [s.upstream for s in steps] == [1.0, 2.0]
    assert topological_order(root)[0].grad == 4.0


@pytest.mark.parametrize("make", GRAPHS)
def test_second_pass_with_leftover_grads_matches_backward(make) -> None:
    """Non-leaf grads left from an earlier backward are not propagated twice, as in backward()."""
    assert grads_after(make, lambda r: (r.backward(), exhaust(r))) == grads_after(
        make, lambda r: (r.backward(), r.backward())
    )


@given(st.data())
def test_random_graphs_match_backward_bit_for_bit(data) -> None:
    program = data.draw(programs())
    xs = data.draw(input_values(program))

    def make() -> Value:
        return build(program, [Value(x) for x in xs])

    root = make()
    if root.is_leaf:
        return
    assert grads_after(make, exhaust) == grads_after(make, Value.backward)


@pytest.mark.parametrize("make", GRAPHS)
def test_order_is_backwards_and_one_step_per_non_leaf(make) -> None:
    root = make()
    steps = exhaust(root)
    non_leaves = [v for v in reversed(topological_order(root)) if not v.is_leaf]
    assert [s.node for s in steps] == non_leaves
    assert [s.index for s in steps] == list(range(len(steps)))
    for s in steps:
        assert [u.parent for u in s.updates] == list(s.node.parents)
        assert [u.local_grad for u in s.updates] == list(s.node.local_grads)


@pytest.mark.parametrize("make", GRAPHS)
def test_every_formula_shows_the_numbers_it_applies(make) -> None:
    root = make()
    for step in backward_steps(root):
        assert step.upstream == step.node.grad  # nothing reaches a node after its own step
        for u in step.updates:
            lhs, rhs = u.formula.split(" += ", 1)
            name = lhs.removesuffix(".grad")
            assert lhs.endswith(".grad")
            assert name in {u.parent.label} | SHORT or ROLE.fullmatch(name) or re.fullmatch(r"v[1-9]\d*", name)
            assert f"· {step.name}.grad = " in rhs
            d, g, c = (float(x) for x in re.findall(rf"= ({NUMBER}) × ({NUMBER}) = ({NUMBER})", rhs)[0])
            assert d == pytest.approx(u.local_grad, rel=1e-3) or (math.isinf(d) and d == u.local_grad)
            assert g == pytest.approx(step.upstream, rel=1e-3, abs=1e-12)
            assert c == pytest.approx(u.contribution, rel=1e-3, abs=1e-12)
            if u.local_grad and step.upstream:
                assert u.contribution == u.local_grad * step.upstream
                assert u.grad_after == u.grad_before + u.contribution
            else:
                assert u.contribution == 0.0 and bits(u.grad_after) == bits(u.grad_before)
                assert "backward() skips this edge" in u.formula


def test_formulas_in_the_notes_chain_rule_form() -> None:
    loss, v = notes_neuron_loss()
    steps = exhaust(loss)
    assert [s.name for s in steps] == ["L", "v1", "a", "z"]  # unlabelled a − 1 is v1, the first unlabelled node
    z_step = steps[-1]
    sigma_prime = 1 / (1 + math.exp(-5)) * (1 - 1 / (1 + math.exp(-5)))
    dz = 2 * (v["a"].data - 1) * sigma_prime
    assert z_step.upstream == pytest.approx(dz)
    w1, _, _, x2, b = z_step.updates
    assert w1.formula == f"w1.grad += x1 · z.grad = 5.0 × {dz:.4g} = {5 * dz:.4g}"
    assert x2.formula.startswith("x2.grad += w2 · z.grad = 0.5 × ")
    assert b.formula.startswith("b.grad += ∂z/∂b · z.grad = 1.0 × ")
    assert steps[2].updates[0].formula.startswith("z.grad += ∂a/∂z · a.grad = 0.006648 × ")
    assert v["w1"].grad == w1.grad_after == pytest.approx(5 * dz)


def test_a_leaf_root_has_no_steps_but_gets_its_gradient() -> None:
    x = Value(2.0, "x")
    assert exhaust(x, 3.0) == [] and x.grad == 3.0


def test_steps_are_lazy() -> None:
    loss, v = notes_neuron_loss()
    steps = backward_steps(loss)
    assert loss.grad == 0.0
    next(steps)
    assert loss.grad == 1.0 and v["w1"].grad == 0.0


def test_bad_gradient_is_rejected() -> None:
    with pytest.raises(TypeError, match=r"gradient\) must be a real number.*'1'"):
        backward_steps(reuse_twice(), "1")  # type: ignore[arg-type]  (checked before the first step)
    with pytest.raises(TypeError, match=r"BackpropStepper\(gradient\) must be a real number.*True"):
        BackpropStepper(reuse_twice(), True)  # type: ignore[arg-type]


# ---------------------------------------------------------------- BackpropStepper
def test_stepper_has_one_frame_per_non_leaf_and_leaves_backwards_grads() -> None:
    assert grads_after(mlp_like, BackpropStepper) == grads_after(mlp_like, Value.backward)
    root = mlp_like()
    stepper = BackpropStepper(root)
    assert len(stepper) == len(stepper.steps) == sum(not v.is_leaf for v in topological_order(root))


def test_frames_show_the_current_node_finished_nodes_and_grads_as_of_that_step() -> None:
    loss, v = notes_neuron_loss()
    stepper = BackpropStepper(loss)
    names = [s.name for s in stepper.steps]
    assert names == ["L", "v1", "a", "z"]
    for i, name in enumerate(names):
        src = stepper.frame(i).source
        current = [line for line in src.splitlines() if "class=current" in line]
        assert len(current) == 1 and f"<b>{name}</b>" in current[0]
        for done in names[:i]:
            (line,) = [s for s in src.splitlines() if f"<b>{done}</b>" in s]
            assert 'fillcolor="#d1d5db"' in line
        assert stepper.steps[i].formula.splitlines()[0] in src.replace("&#183;", "·")
    w1_box = [next(s for s in stepper.frame(i).source.splitlines() if "<b>w1</b>" in s) for i in range(4)]
    assert all("grad 0.0<" in line or "grad 0.0>" in line for line in w1_box[:3])
    assert f"grad {v['w1'].grad:.4g}" in w1_box[3]
    a_box = next(s for s in stepper.frame(1).source.splitlines() if "<b>a</b>" in s)
    assert f"grad {v['a'].grad:.4g}" in a_box  # a's grad arrives at step 1 (v1 = a − 1 passes it on)
    assert stepper.frame(-1) is stepper.frame(3)  # each frame is made once
    with pytest.raises(IndexError, match=r"0\.\.3.*got 4"):
        stepper.frame(4)


def test_stepper_caption_names_the_step_and_its_formulas() -> None:
    loss, _ = notes_neuron_loss()
    stepper = BackpropStepper(loss)
    caption = stepper.caption(3)  # steps[3], the last: step 4 of 4
    assert caption.startswith("step 4 of 4: z.grad = ")
    assert stepper.caption(0).startswith("step 1 of 4: L.grad = 1.0 flows")  # frame(0): the graph after step 1
    assert stepper.caption(-1) == caption
    assert "w1.grad += x1 · z.grad = 5.0 × " in caption and len(caption.splitlines()) == 6


def test_widget_slider_shows_each_frame() -> None:
    pytest.importorskip("ipywidgets")
    loss, _ = notes_neuron_loss()
    stepper = BackpropStepper(loss)
    box = stepper.widget()
    (play, slider), view = box.children[0].children, box.children[1]
    assert (slider.min, slider.max) == (play.min, play.max) == (1, 4)  # step numbers, as the captions say
    first = view.value
    assert "step 1 of 4" in first
    slider.value = 4
    assert view.value != first and "step 4 of 4" in view.value and "w1.grad += x1 · z.grad" in view.value
    assert ("<svg" in view.value) == HAVE_DOT


def test_widget_without_dot_shows_the_install_hint(monkeypatch) -> None:
    pytest.importorskip("ipywidgets")
    monkeypatch.setenv("PATH", "")
    stepper = BackpropStepper(notes_neuron_loss()[0])
    view = stepper.widget().children[1]
    assert "apt-get install graphviz" in view.value and "digraph" in view.value


def page_data(page: str) -> dict:
    """The JSON block of a save_html page."""
    (block,) = re.findall(r'<script id="data" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(block)


@needs_dot
def test_save_html_is_one_offline_page(tmp_path) -> None:
    stepper = BackpropStepper(mlp_like())
    path = stepper.save_html(tmp_path / "steps.html")
    page = path.read_text()
    data = page_data(page)
    assert data["svg"].startswith("<svg") and data["svg"].count("<svg") == 1  # the graph is drawn once
    assert [f["caption"] for f in data["frames"]] == [stepper.caption(i) for i in range(len(stepper))]
    assert re.findall(r"""(?:src|href)=["']?https?:""", page) == []
    assert "<script src" not in page and "<link" not in page
    assert "DOCTYPE svg" not in page  # the SVG prolog (a DTD URL) is stripped
    assert page.count("</script>") == 2  # frames cannot close their JSON block early
    assert oct(path.stat().st_mode & 0o044) != "0o0"  # readable by the web server, not 0600
    with pytest.raises(ValueError, match=r"suffix must be \.html.*'\.svg'"):
        stepper.save_html(tmp_path / "steps.svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["steps.html"]


@needs_dot
def test_save_html_frames_are_the_grads_each_step_changed(tmp_path) -> None:
    stepper = BackpropStepper(notes_neuron_loss()[0])
    data = page_data(stepper.save_html(tmp_path / "steps.html").read_text())
    index, names = stepper.scene.index, stepper.scene.names
    shown = dict(data["start"])
    for i, (frame, step) in enumerate(zip(data["frames"], stepper.steps)):
        assert frame["current"] == f"n{index[id(step.node)]}"
        assert set(frame["grads"]) == {f"n{index[id(u.parent)]}" for u in step.updates}
        shown.update(frame["grads"])
        assert shown == {f"n{k}": fmt_number(g) for k, g in enumerate(stepper.grads_at(i))}, names


@needs_dot
def test_save_html_escapes_labels_that_would_end_the_data_block(tmp_path) -> None:
    x = Value(2.0, "<!--<script>")
    y = x * Value(3.0, "</script><b>&amp;")
    y.label = "y"
    stepper = BackpropStepper(y)
    page = stepper.save_html(tmp_path / "steps.html").read_text()
    assert page.count("<script") == 2 and page.count("</script>") == 2 and "<!--" not in page.split("<body>")[1]
    data = page_data(page)
    assert "<!--<script>" in data["frames"][0]["caption"] and "</script><b>&amp;" in data["frames"][0]["caption"]


@needs_dot
def test_save_html_of_a_2_16_16_1_mlp_is_small_and_fast(tmp_path) -> None:
    nn = pytest.importorskip("nn")
    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    stepper = BackpropStepper(loss)
    path = stepper.save_html(tmp_path / "steps.html")
    assert len(stepper) == 67
    assert path.stat().st_size < 5_000_000  # it was 51 MB with an SVG per frame (the time: benchmarks/bench_html.py)
    assert len(page_data(path.read_text())["frames"]) == 67


def test_a_real_nn_mlp_steps_like_backward() -> None:
    nn = pytest.importorskip("nn")

    def make() -> Value:
        model = nn.MLP(2, [16, 16, 1], activation="relu", seed=1)
        return (model([0.5, -1.0]) - 1.0) ** 2

    assert grads_after(make, BackpropStepper) == grads_after(make, Value.backward)
    steps = exhaust(make())
    assert len(steps) == 16 + 16 + 16 + 16 + 1 + 2  # z and a per hidden neuron, the output z, −1, **2
    assert any(u.contribution == 0.0 for s in steps for u in s.updates)  # dead ReLUs are recorded, not hidden
