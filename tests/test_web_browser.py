"""The playground driven end to end in a real headless Chromium.

A uvicorn server runs on 127.0.0.1 in a background thread; Playwright drives
Debian's /usr/bin/chromium against it. The page exposes `window.nnfit`
(state, stats, plots) so tests can read what it drew and measured.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")

import uvicorn  # noqa: E402

from nnfit.web.app import UVICORN_OPTIONS, create_app  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1600, "height": 900}
TIMEOUT_MS = 30_000

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server_url():
    port = _free_port()
    config = uvicorn.Config(
        create_app(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        **UVICORN_OPTIONS,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the playground server did not start"
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server_url):
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=server_url.rstrip("/")
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server_url)
    ready(page)
    yield page
    context.close()
    assert not errors, errors


def ready(page) -> None:
    """Wait for the first frame of the current settings."""
    page.wait_for_function("window.nnfit && window.nnfit.state.frame !== null")


def read(page, expression: str):
    return page.evaluate(f"() => {expression}")


def curve(page) -> list[float]:
    return read(page, "Array.from(window.nnfit.state.frame.curve)")


def play_until(page, step: int) -> None:
    page.click("#play")
    page.wait_for_function(f"window.nnfit.state.frame.step >= {step}")
    page.click("#play")
    page.wait_for_function("!window.nnfit.state.playing")


def test_play_changes_the_curve(page):
    before = curve(page)
    play_until(page, 200)
    assert curve(page) != before


def test_play_lowers_the_loss(page):
    first = read(page, "window.nnfit.state.frame.loss")
    play_until(page, 300)
    assert read(page, "window.nnfit.state.frame.loss") < first


def test_play_redraws_the_fit(page):
    pixels = page.locator("#fit-plot").screenshot()
    play_until(page, 200)
    assert page.locator("#fit-plot").screenshot() != pixels


def test_default_run_streams_frames(page, record_property):
    """Frames per second of the default run, as the browser receives them."""
    page.click("#play")
    page.wait_for_function("window.nnfit.state.playing")
    start = read(page, "[window.nnfit.stats.frames, window.nnfit.stats.drawn]")
    began = time.perf_counter()
    page.wait_for_timeout(3000)
    end = read(page, "[window.nnfit.stats.frames, window.nnfit.stats.drawn]")
    seconds = time.perf_counter() - began
    page.click("#play")

    received = (end[0] - start[0]) / seconds
    drawn = (end[1] - start[1]) / seconds
    record_property("frames_per_second", round(received, 1))
    record_property("draws_per_second", round(drawn, 1))
    print(f"\nbrowser: {received:.1f} frames/s received, {drawn:.1f} draws/s")
    assert end[0] > start[0]


def test_changing_the_activation_restarts_with_it(page):
    page.click("#activations button[data-name='tanh']")
    page.wait_for_function("window.nnfit.state.settings.activation === 'tanh'")
    checked = page.get_attribute(
        "#activations button[data-name='tanh']", "aria-checked"
    )
    assert checked == "true" and "act=tanh" in page.url


def test_changing_the_learning_rate_keeps_the_step(page):
    play_until(page, 100)
    step = read(page, "window.nnfit.state.frame.step")
    page.select_option("#lr", "0.01")
    page.wait_for_function("window.nnfit.state.settings.lr === 0.01")
    page.click("#step")
    page.wait_for_function(f"window.nnfit.state.frame.step > {step}")
    assert read(page, "window.nnfit.state.frame.step") == step + 10


def test_clicking_the_fit_adds_a_point(page):
    box = page.locator("#fit-plot").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.3)
    page.wait_for_function("window.nnfit.state.data.x.length === 51")
    assert len(read(page, "window.nnfit.state.settings.added")) == 1
    assert "add=" in page.url and "add=&" not in page.url


def test_shift_click_removes_the_nearest_point(page):
    position = read(
        page,
        """(() => { const p = window.nnfit.plots.fit, d = window.nnfit.state.data;
            const box = p.canvas.getBoundingClientRect();
            return [box.left + p.px(d.x[0]), box.top + p.py(d.y[0])]; })()""",
    )
    page.keyboard.down("Shift")
    page.mouse.click(*position)
    page.keyboard.up("Shift")
    page.wait_for_function("window.nnfit.state.data.x.length === 49")
    assert read(page, "window.nnfit.state.settings.removed") == [0]


def test_copied_link_reproduces_the_run(page, browser):
    page.click("#activations button[data-name='cos']")
    page.fill("#hidden", "3")
    page.press("#hidden", "Enter")
    page.fill("#seed", "5")
    page.press("#seed", "Enter")
    page.wait_for_function(
        "window.nnfit.state.settings.hidden === 3"
        " && window.nnfit.state.settings.seed === 5"
    )
    box = page.locator("#fit-plot").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.4)
    page.wait_for_function("window.nnfit.state.settings.added.length === 1")
    page.click("#reset")
    page.wait_for_function("window.nnfit.state.frame.step === 0")
    page.click("#copy-link")
    link = read(page, "navigator.clipboard.readText()")
    original = read(page, "window.nnfit.state.settings")

    other = page.context.new_page()
    other.goto(link)
    ready(other)
    other.wait_for_function("window.nnfit.state.settings.hidden === 3")
    assert read(other, "window.nnfit.state.settings") == original
    assert curve(other) == curve(page)
    assert read(other, "Array.from(window.nnfit.state.data.x)") == read(
        page, "Array.from(window.nnfit.state.data.x)"
    )


def test_png_export_downloads_a_png(page):
    with page.expect_download() as download:
        page.click("#export-png")
    path = download.value.path()
    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_out_of_range_setting_shows_a_clear_message(page):
    page.fill("#hidden", "999")
    page.press("#hidden", "Enter")
    page.wait_for_selector("#banner:not([hidden])")
    text = page.inner_text("#banner")
    assert "hidden must be between 1 and 256" in text
    assert read(page, "window.nnfit.state.settings.hidden") == 10


def test_typed_formula_becomes_the_target(page):
    formula = "sin(2*x) + 0.3*x"
    page.fill("#target", formula)
    page.press("#target", "Enter")
    page.wait_for_function(f"window.nnfit.state.settings.target === '{formula}'")
    assert read(page, "new URLSearchParams(location.search).get('target')") == formula
