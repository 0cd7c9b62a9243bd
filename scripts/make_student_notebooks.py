"""Write the student versions of the exercise notebooks: solutions cleared, outputs removed.

    python scripts/make_student_notebooks.py [SOURCE_DIR] [OUT_DIR]

defaults: notebooks/exercises → out/exercises. The source notebooks keep the worked solutions
between nbgrader's ``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers (in cells whose
``nbgrader`` metadata says ``solution: true``); nbgrader's ``ClearSolutions`` replaces each region
with ``# YOUR CODE HERE`` / ``raise NotImplementedError()``. The outputs go too: they would show
the solutions' numbers.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearOutputPreprocessor
from nbgrader.preprocessors import ClearSolutions

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "notebooks" / "exercises"
OUT = ROOT / "out" / "exercises"


def student_version(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` with every solution region replaced by nbgrader's stub and no outputs."""
    nb = nbformat.from_dict(nb)
    nb, _ = ClearSolutions().preprocess(nb, {})
    nb, _ = ClearOutputPreprocessor().preprocess(nb, {})
    return nb


def write_atomically(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write ``nb`` to ``path`` through a temporary file in the same folder, so no half-written notebook is left.

    The file gets the mode a plain ``open()`` would give (0644 with the usual umask 022), not mkstemp's 0600:
    the notebooks are handed out.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(source: Path = SOURCE, out: Path = OUT) -> list[Path]:
    """Write one student notebook per ``source/*.ipynb`` into ``out``; return their paths."""
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"make_student_notebooks: no *.ipynb in {source}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        target = out / path.name
        write_atomically(student_version(nbformat.read(path, as_version=4)), target)
        written.append(target)
    return written


if __name__ == "__main__":
    if len(sys.argv) > 3:
        sys.exit(f"usage: {sys.argv[0]} [SOURCE_DIR] [OUT_DIR]")
    paths = main(*(Path(a) for a in sys.argv[1:]))
    print("\n".join(f"wrote {p}" for p in paths))
