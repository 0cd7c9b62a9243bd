#!/usr/bin/env python3
"""Build the browser playground into ``out/site/``: a static folder that works offline.

``python3 scripts/build_site.py [OUT_DIR]`` copies the page (``site/``), the files of
Pyodide (CPython compiled to WebAssembly) and of ``@viz-js/viz`` (Graphviz compiled to
WebAssembly) that the page loads, and one zip of Python code for Pyodide: ``autograd_core``,
``nn``, the page's ``playground.py`` and the pure-Python ``graphviz`` package. The npm
packages are pinned in ``package.json`` + ``package-lock.json`` and installed with
``npm ci`` when ``node_modules`` is missing or older than the lock file; the ``graphviz``
wheel is downloaded once with pip into ``out/cache/`` and checked against its SHA-256.
Serve the folder from any static host: no request leaves it. Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
NODE_MODULES = ROOT / "node_modules"
NPM_STAMP = NODE_MODULES / ".autograd-core-lock.sha256"
CACHE = ROOT / "out" / "cache"
GRAPHVIZ_WHEEL = "graphviz-0.21-py3-none-any.whl"  # pure Python: draw_graph builds its DOT text with it
GRAPHVIZ_SHA256 = "54f33de9f4f911d7e84e4191749cac8cc5653f815b06738c54db9a15ab8b1e42"
PYODIDE_FILES = (  # what loadPyodide fetches; the rest of the npm package is for Node.js
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
VIZ_BUNDLES = ("lib/viz-standalone.mjs", "dist/viz.js")  # @viz-js/viz's ES module with the wasm inlined (≤ 3.11, later)
PYTHON_PACKAGES = ("autograd_core", "nn")
PAGE_FILES = ("index.html", "app.js", "style.css")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(*cmd: str) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def ensure_node_modules() -> None:
    """``npm ci`` unless node_modules was installed from this very package-lock.json."""
    digest = sha256(ROOT / "package-lock.json")
    if NPM_STAMP.exists() and NPM_STAMP.read_text() == digest:
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("build_site: npm is missing (it comes with Node.js): apt-get install nodejs npm | brew install node")
    run(npm, "ci", "--no-audit", "--no-fund")
    NPM_STAMP.write_text(digest)


def graphviz_wheel() -> Path:
    """The pinned graphviz wheel from out/cache/, downloaded with pip the first time."""
    wheel = CACHE / GRAPHVIZ_WHEEL
    if not wheel.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        venv_python = ROOT / ".venv" / "bin" / "python"
        python = str(venv_python) if venv_python.exists() else sys.executable
        version = GRAPHVIZ_WHEEL.split("-")[1]
        with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
            pip = [python, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", tmp]
            try:
                run(*pip, f"graphviz=={version}")
            except subprocess.CalledProcessError:
                sys.exit(
                    f"build_site: could not download {GRAPHVIZ_WHEEL} with {python} -m pip (needs pip and PyPI once; "
                    f"apt-get install python3-pip, or put the wheel into {CACHE} yourself)"
                )
            os.replace(Path(tmp) / GRAPHVIZ_WHEEL, wheel)
    if sha256(wheel) != GRAPHVIZ_SHA256:
        wheel.unlink()
        sys.exit(f"build_site: {wheel} does not have the pinned SHA-256 {GRAPHVIZ_SHA256}; deleted it, run again")
    return wheel


def npm_version(package: str) -> str:
    return json.loads((NODE_MODULES / package / "package.json").read_text())["version"]


def python_zip(path: Path, wheel: Path) -> None:
    """One zip for Pyodide's file system: the engine, nn, playground.py and the graphviz package."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for package in PYTHON_PACKAGES:
            for source in sorted((ROOT / package).glob("*.py")):
                out.write(source, f"{package}/{source.name}")
        out.write(SITE / "playground.py", "playground.py")
        with zipfile.ZipFile(wheel) as whl:
            for name in whl.namelist():
                if name.startswith("graphviz/"):
                    out.writestr(name, whl.read(name))


def examples() -> list[dict[str, str]]:
    """site/examples/*.py in name order; the first line (a comment) is the title shown in the menu."""
    found = []
    for path in sorted((SITE / "examples").glob("*.py")):
        code = path.read_text(encoding="utf-8")
        title = code.splitlines()[0].removeprefix("#").strip()
        found.append({"id": path.stem.split("_", 1)[1], "title": title, "code": code})
    return found


def build(out: Path) -> Path:
    """Build the site into ``out`` (replaced as a whole, never left half-written) and return it."""
    ensure_node_modules()
    wheel = graphviz_wheel()
    viz_version = npm_version("@viz-js/viz")
    viz_dir = NODE_MODULES / "@viz-js" / "viz"
    viz_file = next((viz_dir / f for f in VIZ_BUNDLES if (viz_dir / f).exists()), None)
    if viz_file is None:
        sys.exit(f"build_site: found none of {', '.join(VIZ_BUNDLES)} in @viz-js/viz {viz_version}")
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name in PAGE_FILES:
            shutil.copy2(SITE / name, tmp / name)
        (tmp / "pyodide").mkdir()
        for name in PYODIDE_FILES:
            shutil.copy2(NODE_MODULES / "pyodide" / name, tmp / "pyodide" / name)
        (tmp / "viz").mkdir()
        shutil.copy2(viz_file, tmp / "viz" / "viz.mjs")
        python_zip(tmp / "python.zip", wheel)
        manifest = {
            "pyodide": npm_version("pyodide"),
            "viz": viz_version,
            "graphviz": GRAPHVIZ_WHEEL.split("-")[1],
            "examples": examples(),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        (tmp / ".nojekyll").touch()  # GitHub Pages: serve the files as they are
        tmp.chmod(0o755)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"built {out} ({size / 1e6:.1f} MB): serve it with  python3 -m http.server -d {out}", flush=True)
    return out


def main() -> None:
    if len(sys.argv) > 2:
        sys.exit("usage: python3 scripts/build_site.py [OUT_DIR]   (default: out/site)")
    build(Path(sys.argv[1]) if len(sys.argv) == 2 else ROOT / "out" / "site")


if __name__ == "__main__":
    main()
