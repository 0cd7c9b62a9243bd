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


@pytest.fixture
def page_file(tmp_path: Path) -> tuple[Path, BackpropStepper]:
    require("Graphviz's `dot`", shutil.which("dot") is not None, "AUTOGRAD_CORE_REQUIRE_GRAPHVIZ")
    x, w, b = Value(-1.5, "x"), Value(0.8, "w"), Value(0.3, "b")
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

            names = [step.name for step in stepper.steps]
            assert names[:3] == ["L", "v6", "v5"] and len(set(names)) == len(names)
            first = state()
            assert first == (stepper.caption(0), "L", f"1 / {len(stepper)}")
            page.click("#next")
            second = state()
            assert second == (stepper.caption(1), "v6", f"2 / {len(stepper)}")
            page.keyboard.press("ArrowRight")
            third = state()
            assert third == (stepper.caption(2), "v5", f"3 / {len(stepper)}")
            assert "z.grad += ∂v5/∂z · v5.grad" in third[0]
            page.keyboard.press("ArrowLeft")
            assert state() == second
            page.click("#prev")
            page.click("#prev")  # stops at the first frame
            assert state() == first
            assert page.locator("#frame svg g.node").count() == 8 + 5  # 8 value boxes and 5 op nodes
            assert errors == []
        finally:
            browser.close()
    assert requests and all(url.startswith("file://") for url in requests), requests
