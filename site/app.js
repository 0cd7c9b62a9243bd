// The playground page: Pyodide runs playground.py (autograd_core's public API), viz-js turns
// its DOT text into SVG. Every file comes from this folder: no CDN, no other host.
import { loadPyodide } from "./pyodide/pyodide.mjs";
import { instance as vizInstance } from "./viz/viz.mjs";

const $ = (id) => document.getElementById(id);
const editor = $("code");
const APP_DIR = "/home/pyodide/app";

let playground = null; // the playground module, once Pyodide has loaded
let viz = null;
let examples = [];
let steps = 0; // position 0: the whole graph after backward(); position k: after step k
let overview = null; // { dot, caption } of position 0
let position = 0;
const frames = new Map(); // position -> { svg, caption }, drawn when first shown

function setStatus(text, done = false) {
  $("status").textContent = text;
  $("status").classList.toggle("done", done);
}

function showError(text) {
  $("error").textContent = text;
  $("error").hidden = !text;
}

function showText(id, text) {
  $(id).textContent = text;
  $(id).hidden = !text;
}

// ---- the code in the address: #code=<the code, URI-encoded> ----
function codeFromHash() {
  const match = location.hash.match(/^#code=(.*)$/s);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}

function saveHash() {
  history.replaceState(null, "", "#code=" + encodeURIComponent(editor.value));
}

// ---- the editor: Tab inserts four spaces, Ctrl+Enter runs ----
editor.addEventListener("keydown", (event) => {
  if (event.key === "Tab" && !event.ctrlKey && !event.altKey && !event.metaKey) {
    event.preventDefault();
    const { selectionStart: start, selectionEnd: end, value } = editor;
    editor.value = value.slice(0, start) + "    " + value.slice(end);
    editor.selectionStart = editor.selectionEnd = start + 4;
    editor.dispatchEvent(new Event("input"));
  } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    run();
  }
});
editor.addEventListener("input", () => {
  saveHash();
  showExample();
});

// the menu shows the example in the editor, or "(your code)" once it is edited
function showExample() {
  const shown = examples.find((e) => e.code === editor.value);
  $("example").value = shown ? shown.id : "";
}

// ---- drawing and stepping ----
function frameAt(i) {
  if (!frames.has(i)) {
    const { dot, caption } = i === 0 ? overview : JSON.parse(playground.frame(i - 1));
    frames.set(i, { svg: viz.renderSVGElement(dot), caption });
  }
  return frames.get(i);
}

// scroll the graph's box (not the page) so that the current node is in its middle
function reveal(node) {
  const box = $("graph");
  const [n, b] = [node.getBoundingClientRect(), box.getBoundingClientRect()];
  box.scrollLeft += n.left + n.width / 2 - (b.left + b.width / 2);
  box.scrollTop += n.top + n.height / 2 - (b.top + b.height / 2);
}

function show(i) {
  if (!overview) return;
  position = Math.max(0, Math.min(i, steps));
  try {
    const { svg, caption } = frameAt(position);
    $("graph").replaceChildren(svg);
    const current = svg.querySelector("g.current");
    if (current) reveal(current);
    $("caption").textContent = caption;
  } catch (e) {
    showError(`This step could not be drawn: ${e}`);
  }
  const done = steps ? `all ${steps} steps done` : "no steps";
  $("counter").textContent = position === 0 ? done : `step ${position} / ${steps}`;
  $("prev").disabled = position === 0;
  $("next").disabled = position === steps;
}

function clearGraph() {
  overview = null;
  frames.clear();
  $("graph").replaceChildren();
  $("caption").textContent = "";
  $("counter").textContent = "";
  $("prev").disabled = $("next").disabled = true;
}

function run() {
  if (!playground) return;
  saveHash();
  showText("report", "");
  let result;
  try {
    result = JSON.parse(playground.run(editor.value));
  } catch (e) {
    result = { ok: false, stdout: "", error: String(e) };
  }
  showText("stdout", result.stdout);
  clearGraph();
  if (!result.ok) {
    showError(result.error);
    return;
  }
  showError("");
  const root = result.root || "root";
  const caption = result.steps
    ? `${root}: the whole graph after ${root}.backward(); ▶ steps through it node by node`
    : `${root} is a leaf: backward() has no steps`;
  steps = result.steps;
  overview = { dot: result.overview, caption };
  show(0);
}

function check() {
  if (!playground) return;
  saveHash();
  let result;
  try {
    result = JSON.parse(playground.check(editor.value));
  } catch (e) {
    result = { ok: false, error: String(e) };
  }
  showText("report", result.ok ? result.report : result.error);
}

$("run").addEventListener("click", run);
$("fit").addEventListener("change", () => $("graph").classList.toggle("fit", $("fit").checked));
$("check").addEventListener("click", check);
$("prev").addEventListener("click", () => show(position - 1));
$("next").addEventListener("click", () => show(position + 1));
document.addEventListener("keydown", (event) => {
  if (event.target === editor || event.target.tagName === "SELECT") return;
  if (event.key === "ArrowLeft") show(position - 1);
  else if (event.key === "ArrowRight") show(position + 1);
});
$("example").addEventListener("change", () => {
  const example = examples.find((e) => e.id === $("example").value);
  if (!example) return;
  editor.value = example.code;
  run();
});

// ---- start: Pyodide, viz-js, the Python code and the examples, in parallel ----
async function boot() {
  const start = performance.now();
  const pending = new Set(["Python (Pyodide)", "Graphviz (viz-js)", "autograd_core"]);
  window.playgroundTimes = {}; // seconds from the start until each part was ready
  const progress = (done) => {
    pending.delete(done);
    if (done) window.playgroundTimes[done] = (performance.now() - start) / 1000;
    if (pending.size) setStatus(`Loading ${[...pending].join(", ")}… (about 15 MB the first time, then cached)`);
  };
  progress(null);
  const manifest = await (await fetch("manifest.json")).json();
  examples = manifest.examples;
  const yours = new Option("(your code)", "");
  yours.hidden = true;
  $("example").add(yours);
  for (const e of examples) $("example").add(new Option(e.title, e.id));
  editor.value = codeFromHash() ?? examples[0].code;
  showExample();
  $("versions").textContent =
    `Pyodide ${manifest.pyodide} · viz-js ${manifest.viz} · graphviz (Python) ${manifest.graphviz}`;

  const [pyodide, vizReady, archive] = await Promise.all([
    loadPyodide({ indexURL: new URL("pyodide/", location.href).href }).then((p) => (progress("Python (Pyodide)"), p)),
    vizInstance().then((v) => (progress("Graphviz (viz-js)"), v)),
    fetch("python.zip").then((r) => r.arrayBuffer()).then((b) => (progress("autograd_core"), b)),
  ]);
  viz = vizReady;
  pyodide.unpackArchive(archive, "zip", { extractDir: APP_DIR });
  pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(APP_DIR)})`);
  playground = pyodide.pyimport("playground");
  const seconds = (performance.now() - start) / 1000;
  window.playgroundLoadSeconds = seconds;
  setStatus(`Ready: loaded in ${seconds.toFixed(1)} s.`, true);
  $("run").disabled = $("check").disabled = false;
  run();
}

boot().catch((e) => {
  setStatus("The playground could not start.");
  showError(`${e}\n\nServe this folder over http (python3 -m http.server), not from file://.`);
});
