"""Backprop one node at a time: the chain rule ``backward()`` applies, step by step.

``backward_steps(root)`` applies exactly the updates of ``root.backward()``, in the same
order, and yields a ``BackwardStep`` per non-leaf node recording every number it used::

    w1.grad += x1 · z.grad = 5.0 × -0.006648 = -0.03324

``BackpropStepper(root)`` turns the steps into frames (graphs with the current node in
red and finished nodes in grey), a notebook widget and a self-contained HTML page.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograd_core._html import Frame, player_page
from autograd_core.engine import Value, _as_float, _check_value, backward_pass
from autograd_core.extras import require
from autograd_core.viz import Graph, Scene, check_draw_options, fmt_number, render, write_atomically


@dataclass(frozen=True)
class ParentUpdate:
    """One term of the chain rule: ``parent.grad += local_grad · upstream``."""

    parent: Value
    local_grad: float  # ∂node/∂parent
    contribution: float  # local_grad · upstream, or 0.0 where backward() skips the edge
    grad_before: float
    grad_after: float
    formula: str


@dataclass(frozen=True)
class BackwardStep:
    """Backprop through one node: its upstream grad ∂root/∂node and one update per parent."""

    index: int  # position in backward()'s order (0: the root)
    node: Value
    name: str
    upstream: float  # node.grad when the step runs
    updates: tuple[ParentUpdate, ...]

    @property
    def formula(self) -> str:
        """The chain-rule lines of this step, one per parent."""
        return "\n".join(u.formula for u in self.updates)


def backward_steps(root: Value, gradient: float = 1.0) -> Iterator[BackwardStep]:
    """``root.backward(gradient)``, one node per ``next()``, in reverse topological order.

    Like ``backward()``: it starts by adding ``gradient`` to ``root.grad``; gradients
    accumulate; an edge whose local derivative or upstream grad is exactly 0 changes
    nothing (recorded with contribution 0); a non-leaf grad left from an earlier
    backward is set aside and added back once the iterator is exhausted.
    """
    _check_value(root, "backward_steps(root)")
    return _steps(Scene(root), _as_float(gradient, "backward_steps(gradient)"))


def _steps(scene: Scene, gradient: float) -> Iterator[BackwardStep]:
    """Record each node's updates while ``backward_pass``, the loop of ``backward()``, applies them."""
    before: tuple[int, Value, float, list[float]] | None = None  # a node about to be updated
    k = 0
    for v in backward_pass(scene.root, gradient, trace=True):
        if before is not None:  # its update has been applied
            yield _record(scene, *before)
            before = None
        if v is not None:
            before = (k, v, v.grad, [p.grad for p in v.parents])
            k += 1


def _record(scene: Scene, k: int, v: Value, g: float, grads_before: list[float]) -> BackwardStep:
    """The step through node ``v`` (upstream grad g), edge by edge: the same sums backward() made."""
    name = scene.name(v)
    parts = v.parts()
    running: dict[int, float] = {}  # a parent's grad as the edges into it are applied (a + a has two)
    updates = []
    for i, (p, d, first) in enumerate(zip(parts.parents, parts.local_grads, grads_before)):
        before = running.get(id(p), first)
        applied = bool(d and g)
        contribution = d * g if applied else 0.0
        after = running[id(p)] = before + contribution if applied else before
        partner = parts.partner(i)
        symbol = scene.name(partner) if partner is not None else f"∂{name}/∂{scene.name(p)}"
        arithmetic = f"{fmt_number(d)} × {fmt_number(g)} = {fmt_number(contribution)}"
        formula = f"{scene.name(p)}.grad += {symbol} · {name}.grad = {arithmetic}"
        if not applied:
            formula += " (a factor is 0: backward() skips this edge)"
        updates.append(ParentUpdate(p, d, contribution, before, after, formula))
    return BackwardStep(k, v, name, g, tuple(updates))


class BackpropStepper:
    """Step through ``root.backward(gradient)`` node by node.

    Creating it runs the whole backward pass (gradients accumulate, as with
    ``backward()``: call ``root.zero_grad()`` first for a fresh walk) and keeps the
    ``steps``. Steps are numbered from 1 for people and indexed from 0 in Python:
    ``frame(i)`` is the graph after step i + 1 of n (``steps[i]``), captioned
    "step i + 1 of n"; ``widget()`` and ``save_html(path)`` play the frames.
    """

    def __init__(self, root: Value, gradient: float = 1.0, **draw_options: Any) -> None:
        _check_value(root, "BackpropStepper(root)")
        self.scene = Scene(root)
        self.steps = list(_steps(self.scene, _as_float(gradient, "BackpropStepper(gradient)")))
        self.draw_options = check_draw_options(draw_options, "BackpropStepper")  # checked now, not at frame(i)
        self._frames: dict[int, Graph] = {}
        index = self.scene.index
        self._start = {len(self.scene.order) - 1: self.steps[0].upstream} if self.steps else {}
        for step in self.steps:
            for u in step.updates:
                self._start.setdefault(index[id(u.parent)], u.grad_before)

    def __len__(self) -> int:
        return len(self.steps)

    def _start_grads(self) -> list[float]:
        """Every node's grad (by topological index) before the first step."""
        grads = [v.grad for v in self.scene.order]
        for j, g in self._start.items():
            grads[j] = g
        return grads

    def grads_at(self, i: int) -> list[float]:
        """Every node's grad (by topological index) after step i + 1 (``steps[i]``)."""
        grads = self._start_grads()
        index = self.scene.index
        for step in self.steps[: self._check(i) + 1]:
            for u in step.updates:
                grads[index[id(u.parent)]] = u.grad_after
        return grads

    def caption(self, i: int) -> str:
        """``step i + 1 of n: …`` and the chain-rule lines of ``steps[i]``."""
        i = self._check(i)
        step = self.steps[i]
        head = f"step {i + 1} of {len(self.steps)}: {step.name}.grad = {fmt_number(step.upstream)} flows to its parents"
        return f"{head}\n{step.formula}"

    def frame(self, i: int) -> Graph:
        """The graph after step i + 1 (``steps[i]``): its node and edges in red, done nodes grey, formulas below."""
        i = self._check(i)
        if i not in self._frames:
            index = self.scene.index
            self._frames[i] = render(
                self.scene,
                grads=self.grads_at(i),
                current=index[id(self.steps[i].node)],
                done=frozenset(index[id(s.node)] for s in self.steps[:i]),
                caption=self.caption(i),
                **self.draw_options,
            )
        return self._frames[i]

    def widget(self) -> Any:
        """An ipywidgets player: a play button and a slider over the step numbers 1..n (frame(step − 1));
        each frame is rendered once, then cached."""
        widgets = require("ipywidgets", "notebooks", "BackpropStepper.widget")

        n = max(len(self.steps), 1)
        play = widgets.Play(min=1, max=n, interval=1500, description="play")
        slider = widgets.IntSlider(min=1, max=n, description="step")
        widgets.jslink((play, "value"), (slider, "value"))
        view = widgets.HTML()

        def show(change: Any = None) -> None:
            view.value = self._frame_html(slider.value - 1) if self.steps else "<p>the root is a leaf: no steps</p>"

        slider.observe(show, names="value")
        show()
        return widgets.VBox([widgets.HBox([play, slider]), view])

    def _frame_html(self, i: int) -> str:
        """Frame ``i`` as HTML: its SVG and caption, or the DOT text and the install hint without ``dot``."""
        caption = f"<pre>{html.escape(self.caption(i))}</pre>"
        bundle = self.frame(i)._repr_mimebundle_()
        return caption + bundle.get("image/svg+xml", f"<pre>{html.escape(bundle['text/plain'])}</pre>")

    def save_html(self, path: str | os.PathLike[str], title: str = "Backpropagation, step by step") -> Path:
        """Write one self-contained HTML page that plays the frames offline in any browser.

        The graph is drawn once, as inline SVG, and each frame is a small change to it (the
        current node, the grads its step changed, the caption), so a 2-16-16-1 MLP's 67 steps
        take well under a megabyte. Previous / next / play buttons, a slider and the arrow
        keys; no kernel, no network. Needs Graphviz's ``dot`` (GraphvizNotFoundError
        otherwise). Written atomically.
        """
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"save_html(path): the suffix must be .html or .htm, got {path.suffix!r} in {str(path)!r}")
        if not self.steps:
            raise ValueError("save_html: the root is a leaf, so backward has no steps to show")
        grads = self._start_grads()
        start = {f"n{k}": fmt_number(g) for k, g in enumerate(grads)}
        widest = list(grads)  # each box is drawn wide enough for the longest grad it will show
        frames: list[Frame] = []
        index = self.scene.index
        for i, step in enumerate(self.steps):
            changed = {}
            for u in step.updates:
                k = index[id(u.parent)]
                changed[f"n{k}"] = text = fmt_number(u.grad_after)
                if len(text) > len(fmt_number(widest[k])):
                    widest[k] = u.grad_after
            frames.append({"current": f"n{index[id(step.node)]}", "grads": changed, "caption": self.caption(i)})
        svg = render(self.scene, grads=widest, **self.draw_options).svg()
        write_atomically(path, player_page(title, svg, start, frames).encode("utf-8"))
        return path

    def _check(self, i: int) -> int:
        n = len(self.steps)
        if isinstance(i, bool) or not isinstance(i, int) or not -n <= i < n:
            raise IndexError(f"frame index i must be an int in 0..{n - 1} (or negative from the end), got {i!r}")
        return i % n
