"""Search as a reader uses it: headless Chromium on the published site, under the Content-Security-Policy
the distribution sends, types a word from the sample article into Pagefind's box and sees its title.

Chromium is driven through the DevTools protocol (websocket-client), so the word is typed key by key
as a reader would, not passed in an address."""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pressrun.cli import main
from pressrun.emulator.template import load_template
from tests.conftest import ROOT, SAMPLE

pytestmark = pytest.mark.e2e

NOW = "2025-06-27T09:00:00+01:00"
TITLE = "UK Seeks Trade Ties with China Amid Heightened Security Concerns"
# A word of the sample's body, not of its title: found only if the body was indexed.
WORD = "espionage"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-port=0",
]
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
}


def content_security_policy() -> str:
    template = load_template(ROOT / "template.yaml")
    config = template["Resources"]["SecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    return str(config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"])


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    saved = dict(os.environ)
    root = tmp_path_factory.mktemp("search") / "site"
    try:
        samples = sorted(str(path) for path in SAMPLE.parent.iterdir() if path.is_file())
        assert main(["publish", "--site", str(root), "--now", NOW, *samples]) == 0
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return root


@pytest.fixture
def served(published: Path) -> Iterator[str]:
    """The site over HTTP with the distribution's Content-Security-Policy on every answer."""
    policy = content_security_policy()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def guess_type(self, path: str | os.PathLike[str]) -> str:
            return TYPES.get(Path(path).suffix, "application/octet-stream")

        def end_headers(self) -> None:
            self.send_header("Content-Security-Policy", policy)
            super().end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    handler = functools.partial(Handler, directory=str(published))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            thread.join()


class Browser:
    """One headless Chromium page, driven over the DevTools protocol."""

    def __init__(self, chromium: str, profile: Path) -> None:
        from websocket import create_connection

        self.process = subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.is_file() or not port_file.read_text().strip():
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            assert self.process.poll() is None, f"chromium exited with {self.process.returncode}"
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            targets = json.load(answer)
        (page,) = [target for target in targets if target["type"] == "page"]
        self.socket = create_connection(page["webSocketDebuggerUrl"], timeout=30)
        self.next_id = 0
        self.console: list[str] = []
        self.call("Runtime.enable")
        self.call("Log.enable")
        self.call("Page.enable")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("method") == "Log.entryAdded":
                self.console.append(message["params"]["entry"]["text"])
            elif message.get("method") == "Runtime.exceptionThrown":
                self.console.append(json.dumps(message["params"]["exceptionDetails"])[:500])
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                return dict(message.get("result", {}))

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str, seconds: float = 30) -> Any:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        pytest.fail(f"timed out waiting for {what}; console: {self.console}", pytrace=False)

    def type(self, text: str) -> None:
        for character in text:
            self.call("Input.dispatchKeyEvent", type="keyDown", key=character, text=character)
            self.call("Input.dispatchKeyEvent", type="keyUp", key=character)

    def press_enter(self) -> None:
        keys = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
        self.call("Input.dispatchKeyEvent", type="keyDown", text="\r", **keys)
        self.call("Input.dispatchKeyEvent", type="keyUp", **keys)

    def close(self) -> None:
        self.socket.close()
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("`chromium` is not on PATH; apt-get install -y chromium", pytrace=False)
    profile = tmp_path / "profile"
    profile.mkdir()
    opened = Browser(chromium, profile)
    try:
        yield opened
    finally:
        opened.close()


RESULT_TITLES = (
    "Array.from(document.querySelectorAll('.pagefind-ui__result-link'), a => a.textContent.trim())"
)


def test_typing_a_word_of_the_sample_into_the_search_page_shows_its_title(served: str, browser: Browser):
    # GIVEN the search page, as the distribution serves it
    browser.call("Page.navigate", url=f"{served}/search/")
    browser.wait_for("document.querySelector('.pagefind-ui__search-input') !== null", "the search box")
    # WHEN a reader types a word of the sample's body
    browser.evaluate("document.querySelector('.pagefind-ui__search-input').focus()")
    browser.type(WORD)
    # THEN the sample's title is among the results, and nothing was refused by the policy
    titles = browser.wait_for(f"{RESULT_TITLES}.length ? {RESULT_TITLES} : null", f"results for {WORD!r}")
    assert TITLE in titles
    refused = [line for line in browser.console if "Content Security Policy" in line]
    assert refused == []


def test_the_header_search_box_takes_the_reader_to_results(served: str, browser: Browser):
    # GIVEN a story's page, with the search box in its header
    browser.call("Page.navigate", url=f"{served}/")
    browser.wait_for("document.querySelector('#search-box-query') !== null", "the header's search box")
    # WHEN the reader searches from it
    browser.evaluate("document.querySelector('#search-box-query').focus()")
    browser.type(WORD)
    browser.press_enter()
    # THEN the search page opens with the results
    titles = browser.wait_for(f"{RESULT_TITLES}.length ? {RESULT_TITLES} : null", "results from the header")
    assert TITLE in titles
    assert browser.evaluate("location.pathname + location.search") == f"/search/?q={WORD}"


def test_on_a_phone_the_header_search_button_opens_the_search_page_ready_to_type(
    served: str, browser: Browser
):
    # GIVEN the home page at a phone's width, whose header has the search button but no box
    browser.call(
        "Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=1, mobile=True
    )
    browser.call("Page.navigate", url=f"{served}/")
    browser.wait_for("document.querySelector('.search-box button') !== null", "the header's search button")
    assert browser.evaluate("getComputedStyle(document.querySelector('#search-box-query')).display") == "none"
    # WHEN the reader taps it
    browser.evaluate("document.querySelector('.search-box button').click()")
    # THEN the search page opens with its own box focused, and what the reader types finds the sample
    browser.wait_for("location.pathname === '/search/'", "the search page")
    browser.wait_for(
        "document.activeElement && document.activeElement.classList.contains('pagefind-ui__search-input')",
        "the search page's box to take the focus",
    )
    browser.type(WORD)
    titles = browser.wait_for(f"{RESULT_TITLES}.length ? {RESULT_TITLES} : null", "results typed on a phone")
    assert TITLE in titles


def test_the_index_covers_story_bodies_and_leaves_the_site_chrome_out(published: Path):
    entry = json.loads((published / "pagefind" / "pagefind-entry.json").read_text())
    (language,) = entry["languages"].values()
    # The sample stories, each indexed once; the listings, the search page and author profiles are not.
    stories = [path for path in (ROOT / "samples").iterdir() if path.suffix in (".md", ".txt")]
    assert len(stories) == 6
    assert language["page_count"] == len(stories)
    assert (published / "search" / "index.html").is_file()
