#!/usr/bin/env python3
"""Project tasks that set themselves up: ``python3 tasks.py demo|test|notebooks|bench``.

Each task creates ``.venv`` and installs ``.[dev]`` into it when needed, and installs
the system programs it uses (Graphviz's ``dot``; Chromium for the browser tests) with
apt-get when they are missing and we run as root; otherwise it prints the one-line
install hint. Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / ".installed"
HINTS = {
    "dot": "Graphviz's `dot` is missing: apt-get install graphviz | brew install graphviz"
    " | conda install -c conda-forge graphviz",
    "chromium": "Chromium is missing (browser tests): apt-get install chromium",
}
APT_PACKAGES = {"dot": "graphviz", "chromium": "chromium"}


def run(*cmd: str | Path, **kw: object) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kw)  # type: ignore[call-overload]


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def apt_install(*packages: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run("apt-get", "update", "-qq", env=env)
    run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages, env=env)


def ensure_program(name: str) -> bool:
    """True when the program is on PATH, installing it with apt-get if we are root."""
    if shutil.which(name):
        return True
    if is_root() and shutil.which("apt-get"):
        apt_install(APT_PACKAGES[name])
        return shutil.which(name) is not None
    print(f"note: {HINTS[name]}", flush=True)
    return False


def ensure_venv() -> None:
    """Create .venv and install the package with its dev extra when pyproject.toml changed."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest and (BIN / "python").exists():
        return
    if not (BIN / "python").exists():
        try:
            venv.create(VENV, with_pip=True, clear=True)
        except (subprocess.CalledProcessError, OSError):
            if not (is_root() and shutil.which("apt-get")):
                sys.exit("python3 -m venv does not work here: apt-get install python3-venv")
            apt_install("python3-venv")
            venv.create(VENV, with_pip=True, clear=True)
    run(BIN / "python", "-m", "pip", "install", "-q", "--upgrade", "pip")
    run(BIN / "python", "-m", "pip", "install", "-q", "-e", ".[dev]")
    STAMP.write_text(digest)


def task_demo(args: list[str]) -> None:
    """Train an MLP on the two moons (python3 tasks.py demo digits: the 8×8 digits); outputs go to out/."""
    ensure_venv()
    ensure_program("dot")
    run(BIN / "python", "-m", "nn.demo", *args)


def task_test(args: list[str]) -> None:
    """Lint, format check, and the whole test suite (unit, property, notebooks, browser)."""
    ensure_venv()
    ensure_program("dot")
    ensure_program("chromium")
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    notebooks = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb"))
    nbmake = ["--nbmake", "--nbmake-timeout=300", *notebooks] if notebooks else []
    run(BIN / "pytest", "-n", "2", "tests", *nbmake, *args)


def task_notebooks(args: list[str]) -> None:
    """Start JupyterLab on the course notebooks."""
    ensure_venv()
    ensure_program("dot")
    run(BIN / "jupyter", "lab", "notebooks", *args)


def task_bench(args: list[str]) -> None:
    """Run the benchmarks against micrograd (prints ms/step and ratios)."""
    ensure_venv()
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        run(BIN / "python", script, *args)


TASKS = {"demo": task_demo, "test": task_test, "notebooks": task_notebooks, "bench": task_bench}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        lines = "\n".join(f"  {name:<10} {fn.__doc__}" for name, fn in TASKS.items())
        sys.exit(f"usage: python3 tasks.py TASK [args]\n{lines}")
    try:
        TASKS[sys.argv[1]](sys.argv[2:])
    except subprocess.CalledProcessError as e:
        sys.exit(e.returncode)


if __name__ == "__main__":
    main()
