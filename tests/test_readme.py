"""Every ```python block of README.md runs verbatim, each in a fresh namespace in an empty folder.

A block that needs Graphviz's ``dot`` may skip only where the suite's Graphviz rule allows:
without ``dot`` and without AUTOGRAD_CORE_REQUIRE_GRAPHVIZ. Test functions a block defines
(the property-test example) are called too.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from autograd_core.viz import GraphvizNotFoundError

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, code) of each ```python block."""
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in BLOCK.finditer(text)]


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


def test_the_readme_has_its_examples() -> None:
    assert len(BLOCKS) >= 5
    assert python_blocks("text\n```python\nx = 1\n```\n```sh\nls\n```\n") == [(3, "x = 1\n")]


@pytest.mark.parametrize(("line", "code"), BLOCKS, ids=[f"README.md:{line}" for line, _ in BLOCKS])
def test_readme_block_runs_verbatim(line: int, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"readme_line_{line}"}
    try:
        exec(compile(code, f"README.md:{line}", "exec"), namespace)
        for name, test in list(namespace.items()):
            if name.startswith("test_") and callable(test):
                test()
    except GraphvizNotFoundError:
        if os.environ.get("AUTOGRAD_CORE_REQUIRE_GRAPHVIZ"):
            raise
        pytest.skip(f"README.md:{line} needs Graphviz's `dot`")
