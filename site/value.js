// value.html: the Value class in the editor is graded by check_value_class (value_page.py) in a Web
// Worker (python.js), with hypothesis from its pure-Python wheel. Code from the address waits for Check.
import { codeFromHash, editorKeys, saveAddress } from "./editor.js";
import { Python, Stopped } from "./python.js";
import { $, isPresenting, setPresenting, setStatus, showText } from "./page.js";

const editor = $("code");
const MARK = { passed: "✓", "not implemented": "·", skipped: "·", warning: "!", failed: "✗" };

let skeleton = "";

const saveCode = () => saveAddress(editor.value, isPresenting());

const python = new Python({
  archives: ["python.zip", "hypothesis.zip"],
  module: "value_page",
  preload: ["hypothesis", "autograd_core.grading"],
  onState(state, detail) {
    if (state === "loading") {
      setStatus("Loading Python (Pyodide) and hypothesis… (about 16 MB the first time, then cached)");
      $("check").disabled = true;
    } else if (state === "ready") {
      setStatus(`Ready: Python loaded in ${detail.toFixed(1)} s.`, true);
      $("check").disabled = false;
    } else if (state === "slow") {
      setStatus(`Still checking after ${Math.floor(detail)} s… (a whole correct class takes several seconds); Stop ends it.`);
    } else {
      setStatus("Python could not start.");
      showText("error", `${detail}\n\nServe this folder over http (python3 -m http.server), not from file://.`);
    }
  },
});

// One row of the report: a mark, the check's name, its status and what was checked (or the message).
function row(check, status, detail) {
  const tr = document.createElement("tr");
  tr.className = status.replace(" ", "-");
  for (const text of [MARK[status], check, status, detail]) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.append(td);
  }
  return tr;
}

// The rows of the checks that ran; when one failed, its message (inputs, expected, actual, hint) under them.
function showReport(result) {
  const summary = document.createElement("p");
  summary.className = result.passed ? "summary passed" : "summary failed";
  summary.textContent = result.passed
    ? result.summary
    : `✗ ${result.failed}: a wrong result (the checks stop at the first one: fix it, Check again)`;
  const table = document.createElement("table");
  for (const r of result.rows) table.append(row(r.check, r.status, r.detail));
  const message = document.createElement("pre");
  message.className = "message";
  message.textContent = result.message;
  $("report").replaceChildren(summary, ...(result.passed ? [table] : [message, table]));
  $("report").hidden = false;
}

async function check() {
  if (!python.loaded || python.busy) return;
  saveCode();
  showText("error", "");
  $("report").replaceChildren();
  $("report").hidden = true;
  $("stop").disabled = false;
  setStatus("Checking…");
  try {
    const result = JSON.parse(await python.call("check", editor.value));
    showText("stdout", result.stdout);
    if (result.ok) showReport(result);
    else showText("error", result.error);
    setStatus(result.ok && result.passed ? "Checked: every op your class has is right." : "Checked.", true);
  } catch (e) {
    if (e instanceof Stopped) showText("error", "Stopped: the check was ended and Python restarted (your code is still in the editor).");
    else showText("error", String(e));
  } finally {
    $("stop").disabled = true;
  }
}

function present(on) {
  setPresenting(on);
  if (codeFromHash() !== null || on) saveCode();
}

editorKeys(editor, check);
editor.addEventListener("input", saveCode);
$("check").addEventListener("click", check);
$("stop").addEventListener("click", () => python.stop());
$("reset").addEventListener("click", () => {
  editor.value = skeleton;
  saveCode();
});
$("present").addEventListener("click", () => present(!isPresenting()));
document.addEventListener("keydown", (event) => {
  if (event.target === editor || event.ctrlKey || event.altKey || event.metaKey) return;
  if (event.key === "p" || event.key === "P") present(!isPresenting());
  else if (event.key === "Escape") present(false);
});

async function boot() {
  const manifest = await (await fetch("manifest.json")).json();
  skeleton = manifest.skeleton;
  editor.value = codeFromHash() ?? skeleton;
  present(new URLSearchParams(location.search).has("present"));
  $("versions").textContent = `Pyodide ${manifest.pyodide} · hypothesis ${manifest.hypothesis}`;
  window.playgroundLoadSeconds = await python.firstLoad;
}

boot().catch((e) => {
  setStatus("The page could not start.");
  showText("error", String(e));
});
