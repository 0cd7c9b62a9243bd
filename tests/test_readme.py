"""Every ```python block of README.md runs verbatim, and prints what its comments say.

Each block runs in a fresh namespace in an empty folder. A ``print(...)`` line states what
it prints in a trailing comment ``# → EXPECTED``: the printed text must match EXPECTED,
where ``...`` stands for any text (doctest's ELLIPSIS) and a remark may follow after two
spaces (``# → 12.0  = 6x at 2``). Every ``print`` line in a block must carry such a
comment, so no figure in the README can go stale. A block that needs Graphviz's ``dot``
may skip only where the suite's Graphviz rule allows: without ``dot`` and without
AUTOGRAD_CORE_REQUIRE_GRAPHVIZ. Test functions a block defines (the property-test
example) are called too.
"""

from __future__ import annotations

import os
import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from autograd_core.viz import GraphvizNotFoundError

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)
CLAIM = re.compile(r"#\s*→\s*(.*?)(?:\s{2,}.*)?$")


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, code) of each ```python block."""
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in BLOCK.finditer(text)]


def claims(code: str) -> dict[int, str]:
    """{line in the block (1-based): expected output} for each ``print`` line's ``# → …`` comment."""
    found = {}
    for i, line in enumerate(code.splitlines(), 1):
        if re.match(r"\s*print\(", line):
            if line.count("(") > line.count(")"):
                raise AssertionError(f"line {i}: keep a print on one line, its claim at the end: {line.strip()}")
            m = CLAIM.search(line)
            assert m, f"line {i} prints without saying what (add '# → expected output'): {line.strip()}"
            found[i] = m.group(1).strip()
    return found


def matches(expected: str, printed: str) -> bool:
    """``printed`` matches ``expected`` with ``...`` standing for any text (also across lines)."""
    pattern = ".*?".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, printed.strip(), re.DOTALL) is not None


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


def test_the_readme_has_its_examples() -> None:
    assert len(BLOCKS) >= 5
    assert python_blocks("text\n```python\nx = 1\n```\n```sh\nls\n```\n") == [(3, "x = 1\n")]
    assert sum(len(claims(code)) for _, code in BLOCKS) >= 8


def test_the_claim_convention() -> None:
    assert claims("x = 1\nprint(x)  # → 1  because x = 1\n") == {2: "1"}
    assert matches("(5.718..., 5.718...)", "(5.718281828459045, 5.718281828459045)")
    assert matches("a ... z", "a b\nc z")
    assert not matches("12.0", "12.5")
    assert not matches("0.1...", "0.2")
    with pytest.raises(AssertionError, match="prints without saying what"):
        claims("print(1)  # one\n")
    with pytest.raises(AssertionError, match="keep a print on one line"):
        claims("print(\n    1\n)  # → 1\n")


def run_block(line: int, code: str) -> dict[int, list[str]]:
    """Run ``code``; what each of its lines printed."""
    printed: dict[int, list[str]] = defaultdict(list)
    filename = f"README.md:{line}"

    def recording_print(*args: object, sep: str = " ", end: str = "\n", **kwargs: object) -> None:
        frame = sys._getframe(1)
        while frame.f_code.co_filename != filename and frame.f_back is not None:
            frame = frame.f_back
        printed[frame.f_lineno].append(sep.join(str(a) for a in args))

    namespace: dict[str, object] = {"__name__": f"readme_line_{line}", "print": recording_print}
    exec(compile(code, filename, "exec"), namespace)
    for name, test in list(namespace.items()):
        if name.startswith("test_") and callable(test):
            test()
    return printed


@pytest.mark.parametrize(("line", "code"), BLOCKS, ids=[f"README.md:{line}" for line, _ in BLOCKS])
def test_readme_block_prints_what_it_says(
    line: int, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    expected = claims(code)
    try:
        printed = run_block(line, code)
    except GraphvizNotFoundError:
        if os.environ.get("AUTOGRAD_CORE_REQUIRE_GRAPHVIZ"):
            raise
        pytest.skip(f"README.md:{line} needs Graphviz's `dot`")
    for i, claim in expected.items():
        text = "\n".join(printed.get(i, []))
        assert matches(claim, text), f"README.md:{line + i - 1} says it prints {claim!r}, but it printed {text!r}"
