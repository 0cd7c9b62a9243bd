// The Python side of a page, in a Web Worker: Pyodide loads the page's module (playground.py or
// value_page.py) and answers { id, call, args } with { id, result } (the function's JSON text) or
// { id, error }. python.js starts it from a blob: URL so that the page's Content-Security-Policy
// applies here too (a worker loaded from its own URL would get the policy of that response, i.e.
// none on a static host): run code can reach this worker's globals through Pyodide's `js` module,
// but it has no DOM, and connect-src 'self' stops every request to another origin.
import { loadPyodide } from "./pyodide/pyodide.mjs";

const APP_DIR = "/home/pyodide/app";

export async function start({ base, archives, module, preload }) {
  const queue = [];
  let answer = null;
  self.onmessage = (event) => (answer ? answer(event.data) : queue.push(event.data));
  const start = performance.now();
  try {
    const [pyodide, ...zips] = await Promise.all([
      loadPyodide({ indexURL: new URL("pyodide/", base).href }),
      ...archives.map((name) => fetch(new URL(name, base)).then((r) => r.arrayBuffer())),
    ]);
    for (const zip of zips) pyodide.unpackArchive(zip, "zip", { extractDir: APP_DIR });
    pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(APP_DIR)})`);
    for (const name of preload) pyodide.pyimport(name); // e.g. hypothesis: imported once, not on the first Check
    const page = pyodide.pyimport(module);
    answer = ({ id, call, args }) => {
      try {
        postMessage({ id, result: page[call](...args) });
      } catch (e) {
        postMessage({ id, error: String(e) });
      }
    };
    postMessage({ ready: (performance.now() - start) / 1000 });
    queue.splice(0).forEach(answer);
  } catch (e) {
    postMessage({ failed: String(e) });
  }
}
