"""The save_html page in a real browser: headless Chromium (Debian's) driven by Playwright.

Skips without Chromium, Playwright or Graphviz's ``dot``, unless AUTOGRAD_CORE_REQUIRE_BROWSER
(or AUTOGRAD_CORE_REQUIRE_GRAPHVIZ) is set, as in CI: then it fails. Never downloads a browser.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from pathlib import Path

import pytest

from autograd_core import BackpropStepper, Value, dot, draw_graph
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


def sync_playwright():
    """Playwright's sync API with Debian's Chromium, or a skip (a failure in CI) when either is missing."""
    require("Chromium", Path(CHROMIUM).exists(), "AUTOGRAD_CORE_REQUIRE_BROWSER")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require("the playwright package", False, "AUTOGRAD_CORE_REQUIRE_BROWSER")
    return sync_playwright()


def test_the_page_steps_with_buttons_and_arrow_keys_offline(page_file) -> None:
    path, stepper = page_file

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
            assert names[:3] == ["L", "v3", "v2"] and len(set(names)) == len(names)
            first = state()
            assert first == (stepper.caption(0), "L", f"1 of {len(stepper)}")
            assert shown_grads() == expected_grads(0)
            page.click("#next")
            second = state()
            assert second == (stepper.caption(1), "v3", f"2 of {len(stepper)}")
            assert shown_grads() == expected_grads(1)
            page.keyboard.press("ArrowRight")
            third = state()
            assert third == (stepper.caption(2), "v2", f"3 of {len(stepper)}")
            assert "z.grad += ∂v2/∂z · v2.grad" in third[0]
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


def test_a_wide_graph_fits_a_notebook_page_as_img_and_inline(tmp_path) -> None:
    """Jupyter shows SVG in an <img> (JupyterLab, HTML export) or inline: a 2-16-16-1 MLP fits a 1,158 px page."""
    require("Graphviz's `dot`", shutil.which("dot") is not None, "AUTOGRAD_CORE_REQUIRE_GRAPHVIZ")
    x = [Value(0.5, "x1"), Value(-1.0, "x2")]
    h = x
    for layer, width in enumerate([16, 16, 1]):
        h = [
            dot([Value(0.1, f"layers.{layer}.neurons.{j}.w.{i}") for i in range(len(h))], h).tanh()
            for j in range(width)
        ]
    svg = draw_graph(h[0])._repr_mimebundle_()["image/svg+xml"]
    small = draw_graph(x[0] * 2)._repr_mimebundle_()["image/svg+xml"]
    scaled = draw_graph(x[0] * 2, scale=0.6)._repr_mimebundle_()["image/svg+xml"]
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    small_uri = "data:image/svg+xml;base64," + base64.b64encode(small.encode()).decode()
    page_path = tmp_path / "notebook.html"
    page_path.write_text(
        f'<html><body style="margin:0"><div style="width:1158px"><img id="img" src="{uri}"><div id="inline">{svg}'
        f'</div><div id="small">{small}</div><img id="small-img" src="{small_uri}"><div id="scaled">{scaled}</div>'
        "</div></body></html>"
    )
    view_box = [float(n) for n in re.search(r'viewBox="([^"]+)"', svg).group(1).split()]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(page_path.as_uri())
            page.wait_for_function(
                "document.getElementById('img').complete && document.getElementById('small-img').complete"
            )
            for selector in ("#img", "#inline svg"):
                box = page.locator(selector).bounding_box()
                assert box["width"] == pytest.approx(1158, abs=1), selector  # was about 2,500 px, cut off
                assert box["height"] / box["width"] == pytest.approx(view_box[3] / view_box[2], rel=0.01)
            small_width = float(re.search(r'width="([\d.]+)pt"', small).group(1))
            for selector in ("#small svg", "#small-img"):  # a small graph keeps its own size
                assert page.locator(selector).bounding_box()["width"] == pytest.approx(small_width * 4 / 3, abs=1)
            scaled_box = page.locator("#scaled svg").bounding_box()  # scale=0.6: 60 % of dot's size, same shape
            assert scaled_box["width"] == pytest.approx(0.6 * small_width * 4 / 3, abs=1)
            assert scaled_box["height"] / scaled_box["width"] == pytest.approx(
                page.locator("#small svg").bounding_box()["height"] / (small_width * 4 / 3), rel=0.02
            )
        finally:
            browser.close()
