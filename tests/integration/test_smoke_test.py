"""infra/smoke_test.py's checks of a deployed site, against a local HTTP server answering as the
distribution does (or as a misconfigured one would), and its failure-queue check against SQS on moto."""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import boto3
import pytest
from moto import mock_aws

from pressrun.model import slugify
from tests.conftest import ROOT


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("smoke_test", ROOT / "infra" / "smoke_test.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered first: its dataclasses look their module up while it runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


smoke = _load()

READER_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "max-age=60, stale-while-revalidate=60",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Amz-Cf-Id": "cloudfront-s-own",
}
HOME = '<a href="/category/economics/">Economics</a> <a href="/2025/06/26/markets/">Markets</a>'


class Distribution(BaseHTTPRequestHandler):
    """Answers as the distribution does: pages by path, /x redirected to /x/, anything else 404."""

    pages: ClassVar[dict[str, tuple[dict[str, str], str]]] = {}

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path in self.pages:
            headers, body = self.pages[path]
            self._answer(200, headers, body)
        elif path + "/" in self.pages:
            self._answer(301, {"Location": path + "/"}, "")
        else:
            self._answer(404, {"Content-Type": "text/html"}, "not here")

    def _answer(self, status: int, headers: dict[str, str], body: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def site() -> Iterator[tuple[str, dict[str, tuple[dict[str, str], str]]]]:
    pages: dict[str, tuple[dict[str, str], str]] = {
        "/": (READER_HEADERS, HOME),
        "/feed.xml": (READER_HEADERS, "<feed>/2025/06/26/markets/</feed>"),
        "/sitemap.xml": (READER_HEADERS, "<urlset/>"),
        "/category/economics/": (READER_HEADERS, HOME),
        "/2025/06/26/markets/": (READER_HEADERS, "<h1>Markets</h1>"),
    }
    handler = type("Handler", (Distribution,), {"pages": pages})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", pages
    finally:
        server.shutdown()
        server.server_close()


def test_a_site_served_as_the_distribution_serves_it_passes_the_read_only_checks(site):
    url, _ = site

    assert smoke.problems_read_only(url) == []


def test_s3s_headers_reaching_a_reader_and_missing_ones_are_reported(site):
    url, pages = site
    leaky = {k: v for k, v in READER_HEADERS.items() if k != "Cache-Control"}
    pages["/feed.xml"] = (leaky | {"x-amz-meta-cache-tag": "home", "x-amz-version-id": "v1"}, "<feed/>")

    problems = smoke.problems_read_only(url)

    assert problems == [
        f"{url}/feed.xml: S3's x-amz-meta-cache-tag header reached the reader",
        f"{url}/feed.xml: S3's x-amz-version-id header reached the reader",
        f"{url}/feed.xml: no cache-control header",
    ]


def test_an_address_without_its_slash_that_is_not_redirected_is_reported(site):
    url, _ = site

    assert smoke.redirect_problems(f"{url}/2025/06/26/markets/") == []
    assert smoke.redirect_problems(f"{url}/2025/06/27/missing/") == [
        f"{url}/2025/06/27/missing: HTTP 404 to nowhere, not a 301 to {url}/2025/06/27/missing/"
    ]


def test_the_listings_around_a_new_article_are_checked(site):
    url, _ = site
    sample = smoke.Sample(text="", title="Markets", day=datetime(2025, 6, 26).date(), category="economics")

    assert smoke.problems_around(f"{url}/2025/06/26/markets/", sample, url, timeout=0.2, interval=0.1) == []
    assert smoke.problems_around(f"{url}/2025/06/26/other/", sample, url, timeout=0.2, interval=0.1)[:3] == [
        f"the home page {url}/ did not list /2025/06/26/other/ within 0.2s",
        f"the category page {url}/category/economics/ did not list /2025/06/26/other/ within 0.2s",
        f"the feed {url}/feed.xml did not list /2025/06/26/other/ within 0.2s",
    ]


def test_the_published_copy_is_dated_now_and_knows_its_categorys_address(tmp_path: Path):
    source = tmp_path / "story.md"
    source.write_text(
        "---\ntitle: T\ndate: 2025-06-26\ncategories: [Économie & Société, World]\n---\nBody.\n"
    )
    now = datetime(2026, 1, 2, 23, 30, tzinfo=UTC)

    sample = smoke.read_sample(source, ZoneInfo("Europe/London"), now)

    assert "date: 2026-01-02T23:30:00+00:00" in sample.text
    assert "date: 2025-06-26" not in sample.text
    assert sample.day == now.date()
    assert sample.category == slugify("Économie & Société") == "economie-societe"


def test_messages_waiting_in_a_failure_queue_are_reported(monkeypatch: pytest.MonkeyPatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        sqs = boto3.client("sqs")
        empty = sqs.create_queue(QueueName="IngestDeadLetterQueue")["QueueUrl"]
        holding = sqs.create_queue(QueueName="StreamFailureQueue")["QueueUrl"]
        sqs.send_message(QueueUrl=holding, MessageBody="{}")

        problems = smoke.failure_queue_problems(sqs, [empty, holding])

    assert problems == [f"{holding} holds 1 message(s): see docs/operations.md, then redrive"]
