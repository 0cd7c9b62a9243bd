"""The offline HTML page of a backward pass: one drawing plus a small change per frame, against
one full SVG per frame (how save_html worked before), measured in the same run.

The case: one step of an MLP 2-16-16-1 on one point (67 backward steps, about 470 Values).
Goals: under 5 MB and under 6 s for the page.
Run: ``python benchmarks/bench_html.py`` (``python3 tasks.py bench`` runs every benchmark).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from autograd_core import BackpropStepper
from nn import MLP


def main() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        stepper = BackpropStepper(loss)
        path = stepper.save_html(Path(tmp) / "steps.html")
        page_s, page_mb = time.perf_counter() - t, path.stat().st_size / 1e6
    t = time.perf_counter()
    per_frame = BackpropStepper(loss)
    svg_mb = sum(len(per_frame.frame(i).svg().encode()) for i in range(len(per_frame))) / 1e6
    svg_s = time.perf_counter() - t
    print(f"{len(stepper)} frames of an MLP 2-16-16-1 step")
    print(f"{'':<34} {'MB':>8} {'seconds':>9}")
    print(f"{'save_html (one SVG + changes)':<34} {page_mb:>8.2f} {page_s:>9.2f}   goal < 5 MB, < 6 s")
    print(f"{'one SVG per frame (before)':<34} {svg_mb:>8.2f} {svg_s:>9.2f}")
    print(f"ratio: {svg_mb / page_mb:.0f}× smaller, {svg_s / page_s:.0f}× faster")


if __name__ == "__main__":
    main()
