"""The distribution's viewer-request function, run as CloudFront runs it: its code from template.yaml, under
Node, called with CloudFront's event shape (cloudfront-js-2.0) in a context with none of Node's globals
(CloudFront Functions has no `require`, `process` or `Buffer`).

The function is an ES module that imports CloudFront's runtime module (`import cf from 'cloudfront'`)
for its KeyValueStore. Node has no such module, so the runner stands in for CloudFront's runtime: it
takes the import line out and gives the code a `cf` whose `kvs().get` answers from a map of the
redirects the test sets, and rejects for a missing key, as CloudFront documents. So these tests pin
the function's own logic against that stub, not CloudFront's store."""

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
const redirects = input.redirects;
const cf = {
  kvs: () => ({
    get: async (key) => {
      if (!Object.prototype.hasOwnProperty.call(redirects, key)) {
        throw new Error('Key ' + key + ' not found');
      }
      return redirects[key];
    },
  }),
};
const code = input.code.replace(/^import cf from 'cloudfront';$/m, '');
const handler = vm.runInNewContext(code + '\\nhandler;', { cf: cf });
Promise.all(input.events.map((event) => handler(event))).then((results) => {
  process.stdout.write(JSON.stringify(results));
});
"""


def run(*requests: dict[str, Any], redirects: dict[str, str] | None = None) -> list[dict[str, Any]]:
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
        input=json.dumps({"code": FUNCTION["FunctionCode"], "events": events, "redirects": redirects or {}}),
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


def test_the_function_imports_cloudfronts_module_and_reads_the_redirect_store():
    assert FUNCTION["FunctionCode"].startswith("import cf from 'cloudfront';\n")
    assert FUNCTION["FunctionConfig"]["KeyValueStoreAssociations"] == [
        {"KeyValueStoreARN": {"Fn::GetAtt": ["RedirectStore", "Arn"]}}
    ]


def test_the_function_stays_within_cloudfronts_size_limit():
    # CloudFront Functions' code is limited to 10 KB.
    assert len(FUNCTION["FunctionCode"].encode()) < 10 * 1024


def test_an_old_address_answers_301_with_where_the_story_is_now():
    # GIVEN a story moved twice: the store holds the chain collapsed, as the pipeline writes it
    store = {
        "/2026/11/30/council-vote/": "/2026/12/01/council-vote-delayed/",
        "/2026/11/30/council-vote-postponed/": "/2026/12/01/council-vote-delayed/",
    }

    # WHEN readers ask for either old address
    first, second = run(
        request("/2026/11/30/council-vote/"), request("/2026/11/30/council-vote-postponed/"), redirects=store
    )

    # THEN both are sent to the newest address in one hop, permanently
    for response in (first, second):
        assert response["statusCode"] == 301
        assert response["statusDescription"] == "Moved Permanently"
        assert response["headers"]["location"] == {"value": "/2026/12/01/council-vote-delayed/"}


def test_a_redirect_from_a_moved_story_keeps_the_query_string():
    (response,) = run(
        request("/2026/11/30/council-vote/", {"utm_source": {"value": "newsletter"}}),
        redirects={"/2026/11/30/council-vote/": "/2026/12/01/council-vote-delayed/"},
    )

    assert (
        response["headers"]["location"]["value"] == "/2026/12/01/council-vote-delayed/?utm_source=newsletter"
    )


def test_an_old_address_without_its_slash_goes_to_the_new_one_in_one_hop():
    (response,) = run(
        request("/2026/11/30/council-vote"),
        redirects={"/2026/11/30/council-vote/": "/2026/12/01/council-vote-delayed/"},
    )

    assert response["statusCode"] == 301
    assert response["headers"]["location"]["value"] == "/2026/12/01/council-vote-delayed/"


def test_an_address_the_store_does_not_hold_falls_through_to_the_directory_index():
    # The store answers a missing key with an error, which the function takes for "no redirect".
    page, bare = run(
        request("/2026/12/01/council-vote-delayed/"),
        request("/category/economics"),
        redirects={"/2026/11/30/council-vote/": "/2026/12/01/council-vote-delayed/"},
    )

    assert page["uri"] == "/2026/12/01/council-vote-delayed/index.html"
    assert "statusCode" not in page
    assert bare["statusCode"] == 301
    assert bare["headers"]["location"]["value"] == "/category/economics/"


def test_an_unexpired_preview_is_served_from_its_index_page():
    # GIVEN a preview whose address expires long after this test runs
    folder, page = run(
        request("/preview/209912312359-Abc_DEF-123/"), request("/preview/209912312359-Abc_DEF-123/index.html")
    )

    assert folder["uri"] == page["uri"] == "/preview/209912312359-Abc_DEF-123/index.html"
    assert "statusCode" not in folder


def test_an_expired_or_malformed_preview_address_is_sent_to_a_key_no_object_has():
    # GIVEN addresses under /preview/: one expired (its minute is long past), one with no expiry, one
    # with nothing after the folder, one with something after the page
    expired, shapeless, bare, deeper = run(
        request("/preview/200001010000-Abc_DEF-123/"),
        request("/preview/Abc_DEF-123/"),
        request("/preview/"),
        request("/preview/209912312359-Abc_DEF-123/x/"),
    )

    # THEN each asks the bucket for the same missing key, so that S3's 403 becomes the site's 404 page
    # (CustomErrorResponses), the same answer as a token nobody minted gets
    assert {r["uri"] for r in (expired, shapeless, bare, deeper)} == {"/preview/gone/index.html"}
    assert all("statusCode" not in r for r in (expired, shapeless, bare, deeper))


def test_the_function_and_the_local_servers_refuse_the_same_preview_addresses():
    from datetime import UTC, datetime

    from pressrun.urls import refused_preview

    uris = [
        "/preview/200001010000-Abc/",
        "/preview/209912312359-Abc/",
        "/preview/209912312359-Abc/index.html",
        "/preview/Abc/",
        "/preview/",
        "/preview/209912312359-Abc/x/",
    ]
    answers = run(*(request(uri) for uri in uris))

    refused_at_the_edge = [answer["uri"] == "/preview/gone/index.html" for answer in answers]
    assert refused_at_the_edge == [refused_preview(uri, datetime.now(UTC)) for uri in uris]


def test_a_preview_is_never_cached_and_never_indexed():
    from pressrun.emulator.template import load_template

    resources = load_template(ROOT / "template.yaml")["Resources"]
    behaviours = resources["Distribution"]["Properties"]["DistributionConfig"]["CacheBehaviors"]
    preview = next(b for b in behaviours if b["PathPattern"] == "/preview/*")
    # The managed CachingDisabled policy, and a headers policy that says noindex
    assert preview["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    headers = resources["PreviewHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    custom = {item["Header"]: item["Value"] for item in headers["CustomHeadersConfig"]["Items"]}
    assert custom["X-Robots-Tag"].startswith("noindex")
    assert custom["Cache-Control"] == "no-store, private"
    # AND the viewer function, which refuses expired previews, runs for them
    assert [f["EventType"] for f in preview["FunctionAssociations"]] == ["viewer-request"]
