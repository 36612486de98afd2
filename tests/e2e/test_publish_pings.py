"""`pressrun publish` with pings on: the key file at the site's root, and IndexNow and the hub told
once the run's pages are written (played by HTTP servers on localhost)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from pressrun.cli import main
from tests.conftest import SAMPLE
from tests.ping_target import ping_target, unused_url

KEY = "0b6e3c1e-5a4f-4b8e-9c1d-2f7a8e6d4c3b"
SITE_URL = "https://news.example.org"


def turn_pings_on(monkeypatch: pytest.MonkeyPatch, indexnow: str, hub: str) -> None:
    for name, value in {
        "SITE_URL": SITE_URL,
        "INDEXNOW_ENDPOINT": indexnow,
        "INDEXNOW_KEY": KEY,
        "WEBSUB_HUB": hub,
    }.items():
        monkeypatch.setenv(name, value)


def test_publish_serves_the_key_and_tells_indexnow_and_the_hub(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    site = tmp_path / "site"
    with ping_target("/indexnow") as indexnow, ping_target("/hub") as hub:
        turn_pings_on(monkeypatch, indexnow.url, hub.url)
        # WHEN the sample is published
        assert main(["publish", "--site", str(site), "--json", str(SAMPLE)]) == 0
        # THEN the key file is at the root, holding the key
        assert (site / f"{KEY}.txt").read_text(encoding="ascii") == KEY
        # and IndexNow is told of the story, once, with the key's location
        [request] = indexnow.received
        body = json.loads(request.body)
        assert body["host"] == "news.example.org"
        assert body["keyLocation"] == f"{SITE_URL}/{KEY}.txt"
        [url] = body["urlList"]
        assert url.startswith(f"{SITE_URL}/2025/06/")
        assert (site / url.removeprefix(SITE_URL).lstrip("/") / "index.html").exists()
        # and the hub of the site's feeds and its section's
        topics = {parse_qs(request.body.decode())["hub.url"][0] for request in hub.received}
        assert f"{SITE_URL}/feed.xml" in topics
        assert f"{SITE_URL}/feed.json" in topics
        assert any(topic.startswith(f"{SITE_URL}/category/") for topic in topics)

        # WHEN the same file is published again, THEN nobody is told anything
        told = len(indexnow.received), len(hub.received)
        assert main(["publish", "--site", str(site), "--json", str(SAMPLE)]) == 0
        assert (len(indexnow.received), len(hub.received)) == told


def test_a_target_that_is_down_never_fails_the_publish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    site = tmp_path / "site"
    turn_pings_on(monkeypatch, unused_url(), unused_url())

    assert main(["publish", "--site", str(site), "--json", str(SAMPLE)]) == 0

    summary = json.loads(capsys.readouterr().out)
    assert len(summary["published"]) == 1
    assert summary["failed"] == []
