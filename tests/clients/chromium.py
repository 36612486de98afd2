"""Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: JSON messages ended
by a NUL byte, read from the browser's fd 4 and written to its fd 3), so that a test can set the
viewport and the colour scheme, run axe-core in a page and take screenshots with the standard library
alone."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path
from typing import Any, Self


class ChromiumError(Exception):
    """The browser answered a command with an error, or went away."""


class Chromium:
    def __init__(self, executable: str, flags: list[str], profile: Path) -> None:
        self._to_browser_read, self._to_browser = os.pipe()
        self._from_browser, self._from_browser_write = os.pipe()
        inherited = (self._to_browser_read, self._from_browser_write)

        def as_fds_3_and_4() -> None:
            # Two dups through free numbers, so that neither overwrites the other's source.
            reading, writing = os.dup(inherited[0]), os.dup(inherited[1])
            os.dup2(reading, 3)
            os.dup2(writing, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self._process = subprocess.Popen(
            [executable, *flags, "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=as_fds_3_and_4,
            # Closing the parent's descriptors runs after preexec_fn and would close 3 and 4 too.
            close_fds=False,
        )
        os.close(self._to_browser_read)
        os.close(self._from_browser_write)
        self._reader = os.fdopen(self._from_browser, "rb", buffering=0)
        self._pending = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        try:
            self.send("Browser.close")
        except ChromiumError:
            pass
        finally:
            os.close(self._to_browser)
            self._reader.close()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def _message(self) -> dict[str, Any]:
        while b"\0" not in self._pending:
            chunk = self._reader.read(1 << 16)
            if not chunk:
                raise ChromiumError(f"chromium went away: {self._process.stderr.read()[-3000:]!r}")  # type: ignore[union-attr]
            self._pending += chunk
        message, self._pending = self._pending.split(b"\0", 1)
        return json.loads(message)  # type: ignore[no-any-return]

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        self._next_id += 1
        command: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            command["sessionId"] = session
        os.write(self._to_browser, json.dumps(command).encode() + b"\0")
        while True:
            message = self._message()
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise ChromiumError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str, session: str) -> dict[str, Any]:
        for index, message in enumerate(self.events):
            if message.get("method") == event and message.get("sessionId") == session:
                del self.events[: index + 1]
                return message
        while True:
            message = self._message()
            if message.get("method") == event and message.get("sessionId") == session:
                return message
            self.events.append(message)

    def page(self, width: int, height: int, scheme: str) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable", session=session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        self.send(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
            session=session,
        )
        return Page(self, session)


class Page:
    def __init__(self, browser: Chromium, session: str) -> None:
        self._browser = browser
        self._session = session

    def open(self, url: str) -> None:
        self._browser.send("Page.navigate", {"url": url}, session=self._session)
        self._browser.wait_for("Page.loadEventFired", self._session)

    def evaluate(self, expression: str) -> Any:
        result = self._browser.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            session=self._session,
        )
        if "exceptionDetails" in result:
            raise ChromiumError(f"{expression[:80]}…: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self) -> bytes:
        data = self._browser.send("Page.captureScreenshot", {"format": "png"}, session=self._session)["data"]
        return base64.b64decode(data)
