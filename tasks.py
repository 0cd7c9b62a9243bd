#!/usr/bin/env python3
"""Project tasks that set themselves up: ``python3 tasks.py demo|test|notebooks|bench``.

Each task creates ``.venv`` when needed and installs the package with the extras it
needs (demo: ``nn,viz``; notebooks: ``notebooks``; test and bench: ``dev``). One
``.venv`` serves every task: ``.venv/.installed`` records what is installed, so a later
task installs only what is missing (and everything again when pyproject.toml changed).
Tasks install the system programs they use (Graphviz's ``dot``; Chromium for the browser
tests) with apt-get when they are missing and we run as root; otherwise they print the
one-line install hint. Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import json
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
    "npm": "npm is missing (the browser playground): apt-get install npm | https://nodejs.org",
}
APT_PACKAGES = {"dot": "graphviz", "chromium": "chromium", "npm": "npm"}
SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13")  # noxfile.py PYTHONS; the README says so


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


EXTRAS_INCLUDE = {  # what each extra of pyproject.toml pulls in (tests/test_tasks.py checks it)
    "viz": set(),
    "testing": set(),
    "nn": set(),
    "notebooks": {"viz", "nn", "testing"},
    "dev": {"viz", "testing", "nn", "notebooks", "mnist1d"},
    "mnist1d": {"nn"},
    "bench": set(),
}


def pyproject_digest() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def read_stamp() -> dict[str, object]:
    """``{"pyproject": sha256 of pyproject.toml, "extras": [...]}`` as the last install wrote it, or ``{}``."""
    try:
        stamp = json.loads(STAMP.read_text())
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) and (BIN / "python").exists() else {}


def stamped_extras(stamp: dict[str, object]) -> set[str]:
    extras = stamp.get("extras")
    return {e for e in extras if e in EXTRAS_INCLUDE} if isinstance(extras, list) else set()


def installed_extras() -> set[str]:
    """The extras .venv has for the current pyproject.toml, with every extra they include."""
    stamp = read_stamp()
    if stamp.get("pyproject") != pyproject_digest():
        return set()
    extras = stamped_extras(stamp)
    return extras.union(*(EXTRAS_INCLUDE[e] for e in extras))


def ensure_venv(*extras: str) -> None:
    """Create .venv and install the package with ``extras`` (default: dev) unless the stamp says they are there.

    A later call with other extras installs the union, so .venv only grows; a changed
    pyproject.toml reinstalls what was installed before.
    """
    wanted = set(extras or ("dev",))
    unknown = wanted - EXTRAS_INCLUDE.keys()
    if unknown:
        raise ValueError(f"ensure_venv: unknown extras {sorted(unknown)}; known: {', '.join(EXTRAS_INCLUDE)}")
    have = installed_extras()
    if wanted <= have:
        return
    if not (BIN / "python").exists():
        try:
            venv.create(VENV, with_pip=True, clear=True)
        except (subprocess.CalledProcessError, OSError):
            if not (is_root() and shutil.which("apt-get")):
                sys.exit("python3 -m venv does not work here: apt-get install python3-venv")
            apt_install("python3-venv")
            venv.create(VENV, with_pip=True, clear=True)
    extras = sorted(wanted | stamped_extras(read_stamp()))  # what was there is installed again
    run(BIN / "python", "-m", "pip", "install", "-q", "--upgrade", "pip")
    # setuptools warns on every editable install that a folder named like the package may
    # shadow it: that folder is this checkout, on purpose.
    quiet = {**os.environ, "PYTHONWARNINGS": "ignore:Editable installation:UserWarning"}
    run(BIN / "python", "-m", "pip", "install", "-q", "-e", f".[{','.join(extras)}]", env=quiet)
    if NBGRADER_EXTRAS.intersection(extras):
        keep_nbgrader_out_of_jupyterlab()
    STAMP.write_text(json.dumps({"pyproject": pyproject_digest(), "extras": extras}))


NBGRADER_EXTRAS = {"dev"}  # the extras that install nbgrader (for the exercises' tests and the student versions)
NBGRADER_SERVER_EXTENSIONS = ("formgrader", "validate_assignment", "assignment_list", "course_list")


def keep_nbgrader_out_of_jupyterlab() -> None:
    """Disable nbgrader's JupyterLab menus and server extensions in .venv (students share it).

    The tests and ``tasks.py exercises`` use nbgrader's Python API only. A lecturer who
    wants its formgrader: ``.venv/bin/jupyter labextension enable @jupyter/nbgrader`` and
    ``.venv/bin/jupyter server extension enable --sys-prefix nbgrader.server_extensions.formgrader``.
    """
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    run(BIN / "jupyter", "labextension", "disable", "--level=sys_prefix", "@jupyter/nbgrader", **quiet)
    modules = [f"nbgrader.server_extensions.{name}" for name in NBGRADER_SERVER_EXTENSIONS]
    run(BIN / "jupyter", "server", "extension", "disable", "--sys-prefix", *modules, **quiet)


def task_demo(args: list[str]) -> None:
    """Train an MLP on the two moons (python3 tasks.py demo digits: the 8×8 digits); outputs go to out/."""
    ensure_venv("nn", "viz")
    ensure_program("dot")
    run(BIN / "python", "-m", "nn.demo", *args)


def venv_python_version() -> str:
    out = subprocess.run(
        [BIN / "python", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def task_test(args: list[str]) -> None:
    """Lint, format, mypy, the whole suite (with notebooks, browser); engine + nn tests on the other Pythons (nox)."""
    ensure_venv(*(("dev", "bench") if os.environ.get("AUTOGRAD_CORE_REQUIRE_TORCH") else ("dev",)))
    ensure_program("dot")
    ensure_program("chromium")
    ensure_program("npm")  # the playground's browser test builds the site with npm ci
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    run(BIN / "mypy")  # autograd_core and nn, configured in pyproject.toml
    notebooks = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb"))
    nbmake = ["--nbmake", "--nbmake-timeout=300", *notebooks] if notebooks else []
    run(BIN / "pytest", "-n", "2", "tests", *nbmake, *args)
    default = venv_python_version()
    others = [v for v in SUPPORTED_PYTHONS if v != default]
    print(f"Python {default} passed the whole suite; now the engine and nn tests on {', '.join(others)}", flush=True)
    run(BIN / "nox", "--reuse-existing-virtualenvs", "--session", "tests", "--python", *others)


def task_notebooks(args: list[str]) -> None:
    """Start JupyterLab on the course notebooks."""
    ensure_venv("notebooks")
    ensure_program("dot")
    root = ["--allow-root"] if is_root() else []  # Jupyter refuses to start as root without it
    run(BIN / "jupyter", "lab", "notebooks", *root, *args)


def task_bench(args: list[str]) -> None:
    """Run the benchmarks against micrograd, PyTorch and network.py style (prints times and ratios)."""
    ensure_venv("dev", "bench")
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        run(BIN / "python", script, *args)


def task_exercises(args: list[str]) -> None:
    """Write the student versions of notebooks/exercises (solutions cleared by nbgrader) to out/exercises/."""
    ensure_venv("dev")
    run(BIN / "python", "scripts/make_student_notebooks.py", *args)


def task_site(args: list[str]) -> None:
    """Build the browser playground into out/site/ (serve it: python3 -m http.server -d out/site)."""
    ensure_program("npm")
    run(sys.executable, ROOT / "scripts" / "build_site.py", *args)


TASKS = {
    "demo": task_demo,
    "test": task_test,
    "notebooks": task_notebooks,
    "bench": task_bench,
    "exercises": task_exercises,
    "site": task_site,
}


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
