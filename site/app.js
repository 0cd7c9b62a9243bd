// The playground page: Python (playground.py, autograd_core's public API) runs in a Web Worker
// (python.js), viz-js turns its DOT text into SVG here. Every file comes from this folder: no CDN,
// no other host. Code from the address is shown, and runs only when Run is pressed.
import { codeFromHash, editorKeys, saveAddress } from "./editor.js";
import { Python, Stopped, inertSvg } from "./python.js";
import { $, isPresenting, setPresenting, setStatus, showText } from "./page.js";
import { instance as vizInstance } from "./viz/viz.mjs";

const editor = $("code");
const MIN_TEXT_PX = { present: 14, page: 10 }; // node text never smaller: the graph scrolls instead
const MAX_ZOOM = 2; // a small graph grows to fill the screen up to twice its natural size

let viz = null;
let examples = [];
let steps = 0; // position 0: the whole graph after backward(); position k: after step k
let overview = null; // { dot, caption } of position 0
let position = 0;
let scale = null; // px per SVG unit, chosen from position 0 and kept for every step
let overviewSvg = null; // position 0's SVG: its size is every step's size, so the graph never moves
let runs = 0; // counts runs, so that a frame arriving after a newer run is dropped
const frames = new Map(); // position -> Promise of { svg, caption }, drawn when first shown

const python = new Python({
  archives: ["python.zip"],
  module: "playground",
  onState(state, detail) {
    if (state === "loading") {
      setStatus("Loading Python (Pyodide)… (about 15 MB the first time, then cached)");
      $("run").disabled = $("check").disabled = true;
    } else if (state === "ready") {
      setStatus(`Ready: Python loaded in ${detail.toFixed(1)} s.`, true);
      $("run").disabled = $("check").disabled = false;
    } else if (state === "slow") {
      setStatus(`Still running after ${Math.floor(detail)} s… press Stop to end it.`);
    } else {
      setStatus("Python could not start.");
      showText("error", `${detail}\n\nServe this folder over http (python3 -m http.server), not from file://.`);
    }
  },
});

// Run a function of playground.py; null when Stop ended it (the message is shown).
async function callPython(name, ...args) {
  $("stop").disabled = false;
  setStatus("Running…");
  try {
    const result = JSON.parse(await python.call(name, ...args));
    setStatus("Done.", true);
    return result;
  } catch (e) {
    if (!(e instanceof Stopped)) throw e;
    showText("error", "Stopped: the program was ended and Python restarted (your code is still in the editor).");
    return null;
  } finally {
    $("stop").disabled = !python.busy;
  }
}

// ---- the code in the address, ?present for presentation mode; the editor's keys ----
const saveCode = () => saveAddress(editor.value, isPresenting());
editorKeys(editor, () => run());
editor.addEventListener("input", () => {
  saveCode();
  showExample();
});

// the menu shows the example in the editor, or "(your code)" once it is edited
function showExample() {
  const shown = examples.find((e) => e.code === editor.value);
  $("example").value = shown ? shown.id : "";
}

// ---- drawing and stepping ----
function draw(dot) {
  return inertSvg(viz.renderSVGElement(dot));
}

function frameAt(i) {
  if (!frames.has(i)) {
    const run = runs;
    const frame =
      i === 0
        ? Promise.resolve(overview)
        : python.call("frame", i - 1).then((text) => JSON.parse(text));
    frames.set(i, frame.then(({ dot, caption }) => ({ svg: run === runs ? draw(dot) : null, caption })));
  }
  return frames.get(i);
}

// The px per SVG unit: the graph fills the box, but node text stays at least MIN_TEXT_PX (then the box
// scrolls) and a small graph grows at most MAX_ZOOM times its natural size.
function chooseScale(svg) {
  const box = $("graph");
  const { width, height } = svg.viewBox.baseVal;
  const sizes = [...svg.querySelectorAll("g.node text")].map((t) => Number(t.getAttribute("font-size")) || 14);
  const smallest = Math.min(14, ...sizes);
  const present = isPresenting();
  const fit = Math.min((box.clientWidth - 2) / width, present ? (box.clientHeight - 2) / height : Infinity);
  const natural = 4 / 3; // Graphviz's points to CSS px
  const least = (present ? MIN_TEXT_PX.present : MIN_TEXT_PX.page) / smallest;
  return Math.max(least, Math.min(fit, natural * (present ? MAX_ZOOM : 1)));
}

function place(svg) {
  const { width, height } = (overviewSvg ?? svg).viewBox.baseVal;
  svg.setAttribute("width", `${width * scale}px`);
  svg.setAttribute("height", `${height * scale}px`);
}

// scroll the graph's box (not the page) so that the current node is in its middle
function reveal(node) {
  const box = $("graph");
  const [n, b] = [node.getBoundingClientRect(), box.getBoundingClientRect()];
  box.scrollLeft += n.left + n.width / 2 - (b.left + b.width / 2);
  box.scrollTop += n.top + n.height / 2 - (b.top + b.height / 2);
}

async function show(i) {
  if (!overview) return;
  position = Math.max(0, Math.min(i, steps));
  const done = steps ? `all ${steps} steps done` : "no steps";
  $("counter").textContent = position === 0 ? done : `step ${position} / ${steps}`;
  $("prev").disabled = position === 0;
  $("next").disabled = position === steps;
  const [shown, run] = [position, runs];
  try {
    const { svg, caption } = await frameAt(shown);
    if (shown !== position || run !== runs || !svg) return; // a newer step or run was asked for meanwhile
    if (!overviewSvg) {
      overviewSvg = svg;
      scale = chooseScale(svg);
    }
    place(svg);
    $("graph").replaceChildren(svg);
    const current = svg.querySelector("g.current");
    if (current) reveal(current);
    $("caption").textContent = caption;
  } catch (e) {
    if (!(e instanceof Stopped)) showText("error", `This step could not be drawn: ${e}`);
  }
}

function rescale() {
  if (!overviewSvg) return;
  scale = chooseScale(overviewSvg);
  const svg = $("graph").querySelector("svg");
  if (svg) place(svg);
}

function clearGraph() {
  runs += 1;
  overview = overviewSvg = null;
  frames.clear();
  $("graph").replaceChildren();
  $("caption").textContent = "";
  $("counter").textContent = "";
  $("prev").disabled = $("next").disabled = true;
}

async function run() {
  if (!python.loaded || python.busy) return;
  saveCode();
  showText("report", "");
  showText("error", "");
  clearGraph();
  let result;
  try {
    result = await callPython("run", editor.value);
  } catch (e) {
    result = { ok: false, stdout: "", error: String(e) };
  }
  if (!result) return;
  showText("stdout", result.stdout);
  if (!result.ok) {
    showText("error", result.error);
    return;
  }
  const root = result.root || "root";
  const caption = result.steps
    ? `${root}: the whole graph after ${root}.backward(); ▶ steps through it node by node`
    : `${root} is a leaf: backward() has no steps`;
  steps = result.steps;
  overview = { dot: result.overview, caption };
  await show(0);
}

async function check() {
  if (!python.loaded || python.busy) return;
  saveCode();
  let result;
  try {
    result = await callPython("check", editor.value);
  } catch (e) {
    result = { ok: false, error: String(e) };
  }
  if (result) showText("report", result.ok ? result.report : result.error);
}

function stop() {
  python.stop();
  $("stop").disabled = true;
}

function present(on) {
  setPresenting(on);
  if (codeFromHash() !== null || on) saveCode();
  rescale();
}

// drag the graph to pan it when it is larger than its box
function pannable(box) {
  let from = null;
  box.addEventListener("pointerdown", (e) => {
    if (box.scrollWidth <= box.clientWidth && box.scrollHeight <= box.clientHeight) return;
    from = { x: e.clientX, y: e.clientY, left: box.scrollLeft, top: box.scrollTop };
    box.setPointerCapture(e.pointerId);
    box.classList.add("panning");
  });
  box.addEventListener("pointermove", (e) => {
    if (!from) return;
    box.scrollLeft = from.left - (e.clientX - from.x);
    box.scrollTop = from.top - (e.clientY - from.y);
  });
  const end = () => {
    from = null;
    box.classList.remove("panning");
  };
  box.addEventListener("pointerup", end);
  box.addEventListener("pointercancel", end);
}

$("run").addEventListener("click", run);
$("stop").addEventListener("click", stop);
$("check").addEventListener("click", check);
$("present").addEventListener("click", () => present(!isPresenting()));
$("prev").addEventListener("click", () => show(position - 1));
$("next").addEventListener("click", () => show(position + 1));
pannable($("graph"));
window.addEventListener("resize", rescale);
document.addEventListener("keydown", (event) => {
  if (event.target === editor || event.target.tagName === "SELECT" || event.ctrlKey || event.altKey || event.metaKey) {
    return;
  }
  if (event.key === "ArrowLeft" || event.key === "PageUp") show(position - 1);
  else if (event.key === "ArrowRight" || event.key === "PageDown") show(position + 1);
  else if (event.key === "p" || event.key === "P") present(!isPresenting());
  else if (event.key === "Escape") present(false);
  else return;
  event.preventDefault();
});
$("example").addEventListener("change", () => {
  const example = examples.find((e) => e.id === $("example").value);
  if (!example) return;
  editor.value = example.code;
  saveCode();
  run();
});

// ---- start: the examples and viz-js here, Pyodide in the worker (already loading) ----
async function boot() {
  const manifest = await (await fetch("manifest.json")).json();
  examples = manifest.examples;
  const yours = new Option("(your code)", "");
  yours.hidden = true;
  $("example").add(yours);
  for (const e of examples) $("example").add(new Option(e.title, e.id));
  const shared = codeFromHash();
  editor.value = shared ?? examples[0].code;
  showExample();
  present(new URLSearchParams(location.search).has("present"));
  $("versions").textContent =
    `Pyodide ${manifest.pyodide} · viz-js ${manifest.viz} · graphviz (Python) ${manifest.graphviz}`;
  viz = await vizInstance();
  window.playgroundLoadSeconds = await python.firstLoad;
  if (shared === null) run(); // the site's own example; code from a link waits for Run
  else setStatus("Code from a link: read it, then press Run.", true);
}

boot().catch((e) => {
  setStatus("The playground could not start.");
  showText("error", `${e}\n\nServe this folder over http (python3 -m http.server), not from file://.`);
});
