"""The self-contained HTML page that plays backprop frames (``BackpropStepper.save_html``).

One file, no network. The graph is drawn once (one SVG); each frame is a small change
to it, applied by a few lines of JavaScript: the current node (its box, op and edges in
red), the grads that step changed, and the caption. Nodes of earlier steps are shaded
grey. Previous / next / play buttons, a slider and the arrow keys move between frames.
Title and captions show invisible characters as escapes (``viz.visible``), like the graph.
The data sit in a JSON block in which ``<``, ``>`` and ``&`` are ``\\u`` escapes, so no
label can end the block or open an HTML comment.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import TypedDict

from autograd_core.viz import visible


class Frame(TypedDict):
    """One step: ``current`` is the DOT name of its node (``n7``), ``grads`` the grad texts it changed."""

    current: str
    grads: dict[str, str]
    caption: str


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  body {{ font-family: system-ui, sans-serif; margin: 1.5em; color: #111827; }}
  .controls {{ display: flex; gap: .5em; align-items: center; margin-bottom: .8em; }}
  button {{ font-size: 1em; padding: .3em .9em; cursor: pointer; }}
  #slider {{ flex: 1; max-width: 30em; }}
  #caption {{ background: #f3f4f6; padding: .6em .9em; border-radius: 6px; font-size: 1.05em; white-space: pre-wrap; }}
  #frame svg {{ max-width: 100%; height: auto; }}
  #frame g.node.current > path, #frame g.node.current > polygon, #frame g.node.active > ellipse {{
    stroke: #dc2626; stroke-width: 2.5px; }}
  #frame g.edge.active > path {{ stroke: #dc2626; stroke-width: 2px; }}
  #frame g.edge.active > polygon {{ stroke: #dc2626; fill: #dc2626; }}
  #frame g.edge.active > text {{ fill: #dc2626; }}
  #frame g.node.done > path, #frame g.node.done > polygon {{ fill: #d1d5db; }}
  .hint {{ color: #6b7280; font-size: .85em; }}
</style>
</head>
<body>
<h1>{title}</h1>
<div class="controls">
  <button id="prev" title="previous step (←)">◀ previous</button>
  <button id="play" title="play / pause (space)">▶ play</button>
  <button id="next" title="next step (→)">next ▶</button>
  <input id="slider" type="range" min="0" max="{last}" value="0" aria-label="step">
  <span id="counter"></span>
</div>
<pre id="caption"></pre>
<div id="frame"></div>
<p class="hint">Keys: ← → step, space plays. Red: the node backprop is passing through and its edges;
grey: nodes already done; blue: inputs; amber: parameters; green: the root.</p>
<script id="data" type="application/json">{data}</script>
<script>
(function () {{
  const data = JSON.parse(document.getElementById("data").textContent);
  const frames = data.frames;
  const $ = (id) => document.getElementById(id);
  $("frame").innerHTML = data.svg;
  const svg = $("frame").querySelector("svg");
  const nodes = {{}}, gradText = {{}}, edgesInto = {{}};
  for (const g of svg.querySelectorAll("g.node")) {{
    const name = g.querySelector("title").textContent;
    nodes[name] = g;
    const t = Array.from(g.querySelectorAll("text")).find((t) => t.textContent.startsWith("grad "));
    if (!t) continue;
    const box = g.querySelector("path, polygon").getBBox();  // centre the grad line, whatever its length
    t.setAttribute("text-anchor", "middle");
    t.setAttribute("x", box.x + box.width / 2);
    gradText[name] = t;
  }}
  for (const g of svg.querySelectorAll("g.edge")) {{
    const head = g.querySelector("title").textContent.split("->")[1];
    (edgesInto[head] = edgesInto[head] || []).push(g);
  }}
  let i = 0, timer = null;
  function show(k) {{
    i = Math.max(0, Math.min(frames.length - 1, k));
    for (const el of svg.querySelectorAll(".current, .active, .done")) el.classList.remove("current", "active", "done");
    const grads = Object.assign({{}}, data.start);
    for (let j = 0; j <= i; j++) Object.assign(grads, frames[j].grads);
    for (const [name, t] of Object.entries(gradText)) t.textContent = "grad " + grads[name];
    for (let j = 0; j < i; j++) if (nodes[frames[j].current]) nodes[frames[j].current].classList.add("done");
    const cur = frames[i].current;
    if (nodes[cur]) nodes[cur].classList.add("current");
    for (const el of [nodes[cur + "op"], ...(edgesInto[cur + "op"] || []), ...(edgesInto[cur] || [])]) {{
      if (el) el.classList.add("active");
    }}
    $("caption").textContent = frames[i].caption;
    $("slider").value = i;
    $("counter").textContent = (i + 1) + " of " + frames.length;
  }}
  function play() {{
    if (timer) {{ clearInterval(timer); timer = null; $("play").textContent = "▶ play"; return; }}
    if (i === frames.length - 1) show(0);
    $("play").textContent = "❚❚ pause";
    timer = setInterval(() => {{ if (i === frames.length - 1) play(); else show(i + 1); }}, {interval});
  }}
  $("prev").onclick = () => show(i - 1);
  $("next").onclick = () => show(i + 1);
  $("play").onclick = play;
  $("slider").oninput = (e) => show(Number(e.target.value));
  document.addEventListener("keydown", (e) => {{
    if (e.target.tagName === "INPUT") return;
    if (e.key === "ArrowRight") show(i + 1);
    else if (e.key === "ArrowLeft") show(i - 1);
    else if (e.key === " ") {{ e.preventDefault(); play(); }}
  }});
  show(0);
}})();
</script>
</body>
</html>
"""


def player_page(
    title: str, svg: str, start: Mapping[str, str], frames: Sequence[Frame], interval_ms: int = 1500
) -> str:
    """The page: ``svg`` is the graph drawn once, ``start`` every node's grad text before the first step.

    The title and captions show control and bidi characters as escapes (``viz.visible``), as the graph does.
    """
    shown = [{**f, "caption": "\n".join(visible(line) for line in f["caption"].split("\n"))} for f in frames]
    data = {"svg": svg, "start": dict(start), "frames": shown}
    return _PAGE.format(
        title=html.escape(visible(title)), last=len(frames) - 1, data=json_for_html(data), interval=int(interval_ms)
    )


def json_for_html(data: object) -> str:
    """JSON safe inside a ``<script>`` block: ``<``, ``>`` and ``&`` (only ever inside strings) as ``\\u`` escapes."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
