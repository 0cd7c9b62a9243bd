#!/usr/bin/env python3
"""Build the browser playground into ``out/site/``: a static folder that works offline.

``python3 scripts/build_site.py [OUT_DIR]`` copies the two pages (``site/``: the playground
``index.html`` and ``value.html``, build your own Value), the files of Pyodide (CPython
compiled to WebAssembly) and of ``@viz-js/viz`` (Graphviz compiled to WebAssembly) that they
load, and two zips of Python code for Pyodide: ``python.zip`` (``autograd_core``, ``nn``, the
pages' ``playground.py`` and ``value_page.py``, the pure-Python ``graphviz`` package) and
``hypothesis.zip`` (``hypothesis`` and ``sortedcontainers``, for ``value.html``'s
``check_value_class``). The npm packages are pinned in ``package.json`` +
``package-lock.json`` and installed with ``npm ci`` when ``node_modules`` is missing or older
than the lock file; the wheels are downloaded once from PyPI with pip into ``out/cache/`` and
checked against their SHA-256. Serve the folder from any static host: no request leaves it.
Standard library only.
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
# Pure-Python wheels from PyPI, pinned by file name and SHA-256 (a wheel with compiled code cannot load in Pyodide).
GRAPHVIZ = ("graphviz-0.21-py3-none-any.whl", "54f33de9f4f911d7e84e4191749cac8cc5653f815b06738c54db9a15ab8b1e42")
# 6.155.7 is hypothesis's last pure-Python release: the later wheels ship a compiled extension.
HYPOTHESIS = ("hypothesis-6.155.7-py3-none-any.whl", "9f634bdb1f9e9b8ab6ba09431cf2deedb750c96978125a6fb3c5a0f6c6db4131")
SORTEDCONTAINERS = (
    "sortedcontainers-2.4.0-py2.py3-none-any.whl",  # hypothesis's one dependency
    "a163dcaede0f1c021485e957a39245190e74249897e2ae4b2aa38595db237ee0",
)
PYODIDE_FILES = (  # what loadPyodide fetches; the rest of the npm package is for Node.js
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
VIZ_BUNDLES = ("lib/viz-standalone.mjs", "dist/viz.js")  # @viz-js/viz's ES module with the wasm inlined (≤ 3.11, later)
PYTHON_PACKAGES = ("autograd_core", "nn")
PAGE_FILES = (
    "index.html",
    "app.js",
    "value.html",
    "value.js",
    "editor.js",
    "page.js",
    "python.js",
    "worker.js",
    "style.css",
)
PAGE_MODULES = ("playground.py", "value_page.py")  # the pages' Python side, at the top of Pyodide's sys.path


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


def wheel(pinned: tuple[str, str]) -> Path:
    """The pinned wheel from out/cache/, downloaded from PyPI with pip the first time, checked against its SHA-256."""
    name, digest = pinned
    path = CACHE / name
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        venv_python = ROOT / ".venv" / "bin" / "python"
        python = str(venv_python) if venv_python.exists() else sys.executable
        project, version = name.split("-")[:2]
        with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
            pip = [python, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", tmp]
            try:
                run(*pip, f"{project}=={version}")
                os.replace(Path(tmp) / name, path)
            except (subprocess.CalledProcessError, FileNotFoundError):
                sys.exit(
                    f"build_site: could not download {name} with {python} -m pip (needs pip and PyPI once; "
                    f"apt-get install python3-pip, or put the wheel into {CACHE} yourself)"
                )
    if sha256(path) != digest:
        path.unlink()
        sys.exit(f"build_site: {path} does not have the pinned SHA-256 {digest}; deleted it, run again")
    return path


def npm_version(package: str) -> str:
    return json.loads((NODE_MODULES / package / "package.json").read_text())["version"]


def python_zip(path: Path, graphviz: Path) -> None:
    """One zip for Pyodide's file system: the engine, nn, the pages' modules and the graphviz package."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for package in PYTHON_PACKAGES:
            for source in sorted((ROOT / package).glob("*.py")):
                out.write(source, f"{package}/{source.name}")
        for module in PAGE_MODULES:
            out.write(SITE / module, module)
        with zipfile.ZipFile(graphviz) as whl:
            for name in whl.namelist():
                if name.startswith("graphviz/"):
                    out.writestr(name, whl.read(name))


def wheels_zip(path: Path, wheels: list[Path]) -> None:
    """The wheels' files (packages and metadata) in one zip, as pip would install them into site-packages."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for whl_path in wheels:
            with zipfile.ZipFile(whl_path) as whl:
                for name in whl.namelist():
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
    graphviz, hypothesis, sortedcontainers = (wheel(w) for w in (GRAPHVIZ, HYPOTHESIS, SORTEDCONTAINERS))
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
        python_zip(tmp / "python.zip", graphviz)
        wheels_zip(tmp / "hypothesis.zip", [hypothesis, sortedcontainers])
        manifest = {
            "pyodide": npm_version("pyodide"),
            "viz": viz_version,
            "graphviz": GRAPHVIZ[0].split("-")[1],
            "hypothesis": HYPOTHESIS[0].split("-")[1],
            "examples": examples(),
            "skeleton": (SITE / "value_skeleton.py").read_text(encoding="utf-8"),
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
