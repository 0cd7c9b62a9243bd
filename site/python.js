// Python for a page: Pyodide in a Web Worker (worker.js). call() returns a promise of the Python
// function's JSON text; stop() ends a running program by terminating the worker, and starts a fresh
// one. The page stays responsive while Python runs, and the worker inherits the page's
// Content-Security-Policy because it is started from a blob: URL (see worker.js).

export class Stopped extends Error {}

const SLOW_AFTER = 3; // seconds: then onTick tells the page, every second, how long the call has run

export class Python {
  // archives: zips unpacked into Pyodide's file system; module: the page's Python module;
  // preload: modules imported while loading; onState(state, detail): "loading", "ready" (seconds),
  // "slow" (seconds running), "failed" (message).
  constructor({ archives, module, preload = [], onState }) {
    this.config = { base: new URL(".", import.meta.url).href, archives, module, preload };
    this.onState = onState;
    this.pending = new Map(); // id -> { resolve, reject }
    this.nextId = 0;
    this.firstLoad = new Promise((resolve) => (this.loadedFirst = resolve)); // seconds the first start took
    this.start();
  }

  start() {
    const worker = new URL("worker.js", import.meta.url).href;
    const code = `import { start } from ${JSON.stringify(worker)};\nstart(${JSON.stringify(this.config)});\n`;
    const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
    this.worker = new Worker(url, { type: "module" });
    this.loaded = false;
    this.onState("loading");
    this.worker.onmessage = ({ data }) => {
      if (typeof data !== "object" || data === null) return; // run code can post anything: only answers count
      if ("ready" in data) {
        URL.revokeObjectURL(url);
        this.loaded = true;
        this.loadedFirst(Number(data.ready));
        this.onState("ready", Number(data.ready));
      } else if ("failed" in data) {
        this.onState("failed", String(data.failed));
      } else if (this.pending.has(data.id)) {
        const { resolve, reject } = this.pending.get(data.id);
        this.pending.delete(data.id);
        if (!this.pending.size) this.stopTicking();
        if (typeof data.result === "string") resolve(data.result);
        else reject(new Error(String(data.error)));
      }
    };
    this.worker.onerror = (event) => {
      event.preventDefault();
      this.onState("failed", event.message || "the Python worker could not start");
    };
  }

  get busy() {
    return this.pending.size > 0;
  }

  // Call the page module's function; the promise gives its JSON text.
  call(name, ...args) {
    const id = this.nextId++;
    if (!this.pending.size) this.startTicking();
    const answer = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.worker.postMessage({ id, call: name, args });
    return answer;
  }

  // End whatever runs: the worker is terminated (its Python state is gone) and a fresh one loads.
  stop() {
    this.worker.terminate();
    this.stopTicking();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const { reject } of pending) reject(new Stopped("stopped"));
    this.start();
  }

  startTicking() {
    const started = performance.now();
    this.ticker = setInterval(() => {
      const seconds = (performance.now() - started) / 1000;
      if (seconds >= SLOW_AFTER) this.onState("slow", seconds);
    }, 1000);
  }

  stopTicking() {
    clearInterval(this.ticker);
  }
}

// The SVG of viz-js, made inert: the DOT text comes from the worker, where run code could have
// written it, so links (Graphviz's URL/href attributes) and event attributes are removed.
export function inertSvg(svg) {
  for (const a of svg.querySelectorAll("a")) a.replaceWith(...a.childNodes);
  for (const el of [svg, ...svg.querySelectorAll("*")]) {
    for (const { name } of [...el.attributes]) {
      if (/^on|href$/i.test(name)) el.removeAttribute(name);
    }
  }
  return svg;
}
