"""The distribution's viewer-request function, run as CloudFront runs it: its code from template.yaml, under
Node, called with CloudFront's event shape (cloudfront-js-2.0) in a context with none of Node's globals
(CloudFront Functions has no `require`, `process` or `Buffer`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import pytest

from pressrun.emulator.template import load_template
from tests.conftest import ROOT

FUNCTION = load_template(ROOT / "template.yaml")["Resources"]["DirectoryIndexFunction"]["Properties"]
# Reads the function's code and a list of events on stdin; prints what the handler returned for each.
RUNNER = """
const vm = require('vm');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const handler = vm.runInNewContext(input.code + '\\nhandler;', {});
process.stdout.write(JSON.stringify(input.events.map((event) => handler(event))));
"""


def run(*requests: dict[str, Any]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is not on PATH")
        pytest.skip("node is not on PATH")
    events = [
        {
            "version": "1.0",
            "context": {"distributionId": "E2EXAMPLE12345", "eventType": "viewer-request", "requestId": "r1"},
            "viewer": {"ip": "198.51.100.7"},
            "request": {"method": "GET", "headers": {"host": {"value": "news.example.org"}}, "cookies": {}}
            | request,
        }
        for request in requests
    ]
    done = subprocess.run(
        [node, "-e", RUNNER],
        input=json.dumps({"code": FUNCTION["FunctionCode"], "events": events}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def request(uri: str, querystring: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"uri": uri, "querystring": querystring or {}}


def test_the_function_runs_on_cloudfronts_javascript_runtime():
    assert FUNCTION["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"


def test_a_folder_is_served_from_its_index_page():
    root, category, article = run(
        request("/"), request("/category/economics/"), request("/2025/06/25/uk-trade/")
    )

    assert root["uri"] == "/index.html"
    assert category["uri"] == "/category/economics/index.html"
    assert article["uri"] == "/2025/06/25/uk-trade/index.html"
    assert "statusCode" not in root


def test_an_address_without_its_trailing_slash_is_redirected_to_it():
    category, article, page = run(
        request("/category/economics"), request("/2025/06/25/uk-trade"), request("/category/economics/page/2")
    )

    for response, location in [
        (category, "/category/economics/"),
        (article, "/2025/06/25/uk-trade/"),
        (page, "/category/economics/page/2/"),
    ]:
        assert response["statusCode"] == 301
        assert response["headers"]["location"] == {"value": location}


def test_a_redirect_keeps_the_query_string():
    single, repeated = run(
        request("/category/economics", {"utm_source": {"value": "newsletter"}, "page": {"value": "2"}}),
        request(
            "/2025/06/25/uk-trade", {"tag": {"value": "a", "multiValue": [{"value": "a"}, {"value": "b"}]}}
        ),
    )

    assert single["headers"]["location"]["value"] == "/category/economics/?utm_source=newsletter&page=2"
    assert repeated["headers"]["location"]["value"] == "/2025/06/25/uk-trade/?tag=a&tag=b"


def test_files_pass_through_unchanged():
    feed, style, sitemap, nested = run(
        request("/feed.xml"),
        request("/style.css"),
        request("/sitemap-2.xml", {"v": {"value": "1"}}),
        request("/category/economics/feed.xml"),
    )

    assert [r["uri"] for r in (feed, style, sitemap, nested)] == [
        "/feed.xml",
        "/style.css",
        "/sitemap-2.xml",
        "/category/economics/feed.xml",
    ]
    assert sitemap["querystring"] == {"v": {"value": "1"}}
    assert all("statusCode" not in r for r in (feed, style, sitemap, nested))
