"""The playground site in a real browser: built by scripts/build_site.py, served from localhost, driven by Playwright.

Every request that does not go to the local server is blocked, so the site must work
offline. Skips without Chromium, Playwright or npm, unless AUTOGRAD_CORE_REQUIRE_BROWSER
is set, as in CI: then it fails. With AUTOGRAD_CORE_SCREENSHOT=path it also saves a
screenshot of the page (docs/images/playground.png was made so).
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import inspect
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from test_html_browser import ARGS, CHROMIUM, require

from autograd_core import BackpropStepper, Value, topological_order
from autograd_core.viz import fmt_number

ROOT = Path(__file__).resolve().parent.parent
NEURON = ROOT / "site" / "examples" / "1_neuron.py"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Build the site into a temporary folder and serve it on a free localhost port."""
    require("Chromium", Path(CHROMIUM).exists(), "AUTOGRAD_CORE_REQUIRE_BROWSER")
    require("npm", shutil.which("npm") is not None, "AUTOGRAD_CORE_REQUIRE_BROWSER")
    require(
        "the playwright package", importlib.util.find_spec("playwright") is not None, "AUTOGRAD_CORE_REQUIRE_BROWSER"
    )
    out = tmp_path_factory.mktemp("playground") / "site"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_site.py"), str(out)], check=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def engine_run(code: str) -> Value:
    """The example's f at xs in CPython, leaves named after f's parameters, after backward()."""
    namespace: dict[str, object] = {}
    exec(code, namespace)
    f, xs = namespace["f"], namespace["xs"]
    assert callable(f) and isinstance(xs, list)
    names = list(inspect.signature(f).parameters)
    root = f(*[Value(x, name) for x, name in zip(xs, names)])
    assert isinstance(root, Value)
    return root


def test_the_playground_runs_steps_and_checks_offline(
    site_url: str, record_property: Callable[[str, object], None]
) -> None:
    from playwright.sync_api import Page, Route, sync_playwright

    code = NEURON.read_text(encoding="utf-8")
    root = engine_run(code)
    stepper = BackpropStepper(root)  # runs root.backward() in CPython, recording each step
    order = topological_order(root)
    node_id = {id(v): f"n{i}" for i, v in enumerate(order)}
    expected_grads = {f"n{i}": f"grad {fmt_number(v.grad)}" for i, v in enumerate(order)}
    n = len(stepper)

    blocked: list[str] = []
    errors: list[str] = []

    def only_localhost(route: Route) -> None:
        if route.request.url.startswith(site_url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    def open_page(url: str) -> tuple[Page, float]:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        start = time.perf_counter()
        page.goto(url)
        page.wait_for_function("window.playgroundLoadSeconds !== undefined", timeout=90_000)
        return page, time.perf_counter() - start

    def shown_grads(page: Page) -> dict[str, str]:
        """Each value box's id (n0, n1, …) and its last line, ``grad …``, as drawn."""
        boxes = page.locator("#graph svg g.node").evaluate_all(
            "gs => gs.map(g => [g.querySelector('title').textContent,"
            " [...g.querySelectorAll('text')].map(t => t.textContent)])"
        )
        return {title: texts[-1] for title, texts in boxes if re.fullmatch(r"n\d+", title)}

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.route("**/*", only_localhost)
            page, seconds = open_page(site_url)
            in_page = page.evaluate("window.playgroundLoadSeconds")
            print(f"\nfirst load: {seconds:.1f} s to a drawn graph ({in_page:.1f} s in the page)")
            record_property("first_load_seconds", round(seconds, 2))

            # Run (done on load) draws the default example with every grad; then step to the end.
            assert page.locator("#code").input_value() == code
            assert page.locator("#error").is_hidden()
            assert page.locator("#counter").text_content() == f"all {n} steps done"
            assert shown_grads(page) == expected_grads
            page.locator("#graph").click()  # focus outside the editor: the arrow keys step
            for i in range(n):
                page.keyboard.press("ArrowRight") if i % 2 else page.click("#next")
                assert page.locator("#counter").text_content() == f"step {i + 1} / {n}"
                assert page.locator("#caption").text_content() == stepper.caption(i)
                current = page.locator("#graph svg g.node.current title").text_content()
                assert current == node_id[id(stepper.steps[i].node)]
            assert page.locator("#next").is_disabled()
            assert shown_grads(page) == expected_grads  # after the last step: the engine's grads in CPython
            page.keyboard.press("ArrowLeft")
            assert page.locator("#counter").text_content() == f"step {n - 1} / {n}"
            if os.environ.get("AUTOGRAD_CORE_SCREENSHOT"):
                page.screenshot(path=os.environ["AUTOGRAD_CORE_SCREENSHOT"])

            page.click("#check")
            report = page.locator("#report").text_content()
            assert "gradcheck(f, xs) → True" in report
            inputs = [line.split()[0] for line in report.splitlines()[1:6]]
            assert inputs == ["∂f/∂x1", "∂f/∂x2", "∂f/∂w1", "∂f/∂w2", "∂f/∂b"]

            # A syntax error shows a message, the page stays alive, and the code goes into the address.
            broken = "from autograd_core import Value\nroot = (Value(1.0) +\n"
            page.fill("#code", broken)
            page.click("#run")
            assert "SyntaxError" in page.locator("#error").text_content()
            assert page.locator("#graph svg").count() == 0
            assert page.url == site_url + "#code=" + quote(broken, safe="-_.!~*'()")
            page.fill("#code", "x = 1")
            page.keyboard.press("End")
            page.keyboard.press("Tab")  # indents in the editor instead of leaving it
            assert page.locator("#code").input_value() == "x = 1    "
            assert page.locator("#example").input_value() == ""  # the menu says "(your code)"
            page.fill("#code", "from autograd_core import Value\nx = Value(0.0, 'x')\nx.log()")
            page.keyboard.press("Control+Enter")
            assert "ValueError: op 'log'" in page.locator("#error").text_content()
            page.select_option("#example", "diamond")
            assert page.locator("#error").is_hidden() and page.locator("#counter").text_content() == "all 4 steps done"

            # The link reproduces the code.
            shared, _ = open_page(page.url)
            assert shared.locator("#code").input_value() == (ROOT / "site/examples/2_diamond.py").read_text()
            assert shared.locator("#counter").text_content() == "all 4 steps done"
        finally:
            browser.close()
    assert blocked == []
    assert errors == []
