"""The self-contained HTML page that plays backprop frames (``BackpropStepper.save_html``).

One file, no network: the frames are inline SVG in a JSON block, the player is a few
lines of JavaScript (previous / next / play buttons, a slider, the arrow keys).
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

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
<script id="frames" type="application/json">{frames}</script>
<script>
(function () {{
  const frames = JSON.parse(document.getElementById("frames").textContent);
  const $ = (id) => document.getElementById(id);
  let i = 0, timer = null;
  function show(k) {{
    i = Math.max(0, Math.min(frames.length - 1, k));
    $("frame").innerHTML = frames[i].svg;
    $("caption").textContent = frames[i].caption;
    $("slider").value = i;
    $("counter").textContent = (i + 1) + " / " + frames.length;
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
    else return;
  }});
  show(0);
}})();
</script>
</body>
</html>
"""


def player_page(title: str, frames: Sequence[tuple[str, str]], interval_ms: int = 1500) -> str:
    """The page for ``frames``, a list of (SVG markup, caption text)."""
    data = json.dumps([{"svg": svg, "caption": caption} for svg, caption in frames], ensure_ascii=False)
    return _PAGE.format(
        title=html.escape(title),
        last=len(frames) - 1,
        frames=data.replace("</", "<\\/"),  # no "</script>" inside the JSON block
        interval=int(interval_ms),
    )
