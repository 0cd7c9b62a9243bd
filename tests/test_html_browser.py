"""The save_html page in a real browser: headless Chromium (Debian's) driven by Playwright.

Skips without Chromium, Playwright or Graphviz's ``dot``, unless AUTOGRAD_CORE_REQUIRE_BROWSER
(or AUTOGRAD_CORE_REQUIRE_GRAPHVIZ) is set, as in CI: then it fails. Never downloads a browser.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from autograd_core import BackpropStepper, Value
from autograd_core.viz import fmt_number

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require(what: str, present: bool, env: str) -> None:
    if present:
        return
    if os.environ.get(env):
        pytest.fail(f"{env} is set but {what} is missing", pytrace=False)
    pytest.skip(f"{what} is missing")


@pytest.fixture(params=["b", "<!--<script>"], ids=["plain", "hostile-label"])
def page_file(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, BackpropStepper]:
    """The page for (tanh(w·x + b) − 1)²; the bias is labelled ``b`` or with a label that used to break the page."""
    require("Graphviz's `dot`", shutil.which("dot") is not None, "AUTOGRAD_CORE_REQUIRE_GRAPHVIZ")
    x, w, b = Value(-1.5, "x"), Value(0.8, "w"), Value(0.3, request.param)
    z = w * x + b
    z.label = "z"
    loss = (z.tanh() - 1.0) ** 2
    loss.label = "L"
    stepper = BackpropStepper(loss)
    return stepper.save_html(tmp_path / "steps.html"), stepper


def test_the_page_steps_with_buttons_and_arrow_keys_offline(page_file) -> None:
    path, stepper = page_file
    require("Chromium", Path(CHROMIUM).exists(), "AUTOGRAD_CORE_REQUIRE_BROWSER")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require("the playwright package", False, "AUTOGRAD_CORE_REQUIRE_BROWSER")

    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.route("http*://**", lambda route: route.abort())  # any network fetch would fail the page
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri())

            def state() -> tuple[str, str, str]:
                caption = page.locator("#caption").text_content()
                current = page.locator("#frame svg g.current text").first.text_content()
                return caption, current, page.locator("#counter").text_content()

            def shown_grads() -> dict[str, str]:
                """Each value box's name and its grad line, as the page shows them now."""
                boxes = page.locator("#frame svg g.node").all()
                texts = [[t.text_content() for t in g.locator("text").all()] for g in boxes]
                return {lines[0]: lines[-1] for lines in texts if len(lines) == 3}

            def expected_grads(i: int) -> dict[str, str]:
                names = stepper.scene.names
                return {names[k]: f"grad {fmt_number(g)}" for k, g in enumerate(stepper.grads_at(i))}

            names = [step.name for step in stepper.steps]
            assert names[:3] == ["L", "v6", "v5"] and len(set(names)) == len(names)
            first = state()
            assert first == (stepper.caption(0), "L", f"1 of {len(stepper)}")
            assert shown_grads() == expected_grads(0)
            page.click("#next")
            second = state()
            assert second == (stepper.caption(1), "v6", f"2 of {len(stepper)}")
            assert shown_grads() == expected_grads(1)
            page.keyboard.press("ArrowRight")
            third = state()
            assert third == (stepper.caption(2), "v5", f"3 of {len(stepper)}")
            assert "z.grad += ∂v5/∂z · v5.grad" in third[0]
            page.keyboard.press("ArrowLeft")
            assert state() == second
            page.click("#prev")
            page.click("#prev")  # stops at the first frame
            assert state() == first
            assert page.locator("#frame svg g.node").count() == 8 + 5  # 8 value boxes and 5 op nodes
            for i in range(len(stepper)):  # every frame, in order: grads, grey done nodes, red edges
                page.locator("#slider").fill(str(i))
                assert state()[0] == stepper.caption(i)
                assert shown_grads() == expected_grads(i)
                done = [t.text_content() for t in page.locator("#frame svg g.node.done text:first-of-type").all()]
                assert sorted(done) == sorted(s.name for s in stepper.steps[:i])
                assert page.locator("#frame svg g.edge.active").count() == len(stepper.steps[i].updates) + 1
            page.click("#next")  # stays at the last frame
            assert state()[2] == f"{len(stepper)} of {len(stepper)}"
            assert errors == []
        finally:
            browser.close()
    assert requests and all(url.startswith("file://") for url in requests), requests
