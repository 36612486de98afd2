"""Incremental publish: one new article into an existing site of N articles, in process, on moto.

One process per (size, backend). It copies the fixture site, enters a LocalSite (restoring the
saved state: timed, but not part of the publish), publishes one warm-up article (the first delivery
to each function imports its handler module, a cold start the measured runs should not carry), then
publishes `runs` more articles, one at a time, each its own upload + drain. For each it records:

- wall time from the upload to the end of the drain (what an editor waits for, locally);
- time inside the handlers (the runner's `_invoke`), the rest being the local runner's polling;
- every AWS API call by scope (handler / poller / editor), service and operation;
- the CloudFront invalidation the publish made (calls and paths).

`backend` "local" is the emulated stack (pressrun.emulator: the handlers on moto as shipped, which
pressrun no longer patches), the one backend left.
`--profile` adds one cProfile'd publish at the end and writes its hot spots.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time
from pathlib import Path
from typing import Any

from codebase import code_root  # first: it picks the copy of pressrun to import
import calls
import corpus
from common import SITE_URL, WORK, copy_site, log, median, write_json
from fixtures import fixture_dir

# Functions whose cumulative time tells where a publish goes: (file suffix, function name, label).
HOT_SPOTS = [
    ("pressrun/emulator/runner.py", "drain", "runner.drain (the whole publish)"),
    ("pressrun/emulator/runner.py", "_invoke", "inside handlers (Runner._invoke)"),
    ("functions/validate_article/app.py", "lambda_handler", "ValidateArticleFunction"),
    ("functions/follow_article_change/app.py", "lambda_handler", "FollowArticleChangeFunction"),
    ("functions/render_listings/app.py", "lambda_handler", "RenderListingsFunction"),
    ("functions/invalidate_cdn/app.py", "lambda_handler", "InvalidateCdnFunction"),
    ("pressrun/listings.py", "_refresh_site", "listings._refresh_site (home, feed, sitemaps)"),
    ("pressrun/listings.py", "_sitemaps", "listings._sitemaps"),
    ("pressrun/render.py", "sitemap", "render.sitemap"),
    ("pressrun/listings.py", "_refresh_category", "listings._refresh_category"),
    ("pressrun/aws/dynamodb.py", "entries", "DynamoIndex.entries (Query + ListingEntry)"),
    ("pressrun/aws/dynamodb.py", "apply", "DynamoIndex.apply (TransactWriteItems)"),
    ("pressrun/aws/dynamodb.py", "save", "DynamoArticles.save (TransactWriteItems)"),
    ("moto/dynamodb/models/table.py", "query", "moto Table.query"),
    ("moto/dynamodb/models/__init__.py", "transact_write_items", "moto transact_write_items"),
    ("copy.py", "deepcopy", "copy.deepcopy (moto's backups and results)"),
    ("moto/core/serialize.py", "serialize", "moto response serialization"),
    ("botocore/parsers.py", "parse", "botocore response parsing"),
    ("botocore/session.py", "create_client", "boto3 client creation"),
    ("pressrun/aws/s3.py", "put", "S3Site.put (HeadObject + PutObject)"),
    ("pressrun/render.py", "article_page", "render.article_page"),
    ("pressrun/validation.py", "parse_article", "validation.parse_article"),
    ("pressrun/emulator/runner.py", "_deliver_stream", "runner stream polling + delivery"),
    ("pressrun/emulator/runner.py", "_deliver_sqs", "runner SQS polling + delivery"),
    ("pressrun/emulator/state.py", "restore", "state.restore"),
    ("pressrun/emulator/state.py", "mirror", "state.mirror"),
    ("pressrun/emulator/state.py", "save", "state.save"),
    ("pressrun/emulator/stack.py", "start", "LocalStack.start (moto + create)"),
    ("pressrun/emulator/stack.py", "connect", "LocalStack.connect"),
    ("pressrun/emulator/site.py", "summary", "LocalSite.summary"),
]


def hot_spots(profile: Path) -> list[dict[str, Any]]:
    stats = pstats.Stats(str(profile))
    total = max(ct for (_, _, _), (_, _, _, ct, _) in stats.stats.items())  # type: ignore[attr-defined]
    rows = []
    for suffix, name, label in HOT_SPOTS:
        matched = [
            (nc, ct)
            for (file, _, function), (_, nc, _, ct, _) in stats.stats.items()  # type: ignore[attr-defined]
            if file.endswith(suffix) and function == name
        ]
        if matched:
            calls_, cumulative = sum(m[0] for m in matched), max(m[1] for m in matched)
            rows.append({"what": label, "calls": calls_, "seconds": round(cumulative, 3)})
    return [{"what": "total (profiled)", "calls": 1, "seconds": round(total, 3)}, *rows]


def top_functions(profile: Path, limit: int = 25) -> str:
    import io

    buffer = io.StringIO()
    stats = pstats.Stats(str(profile), stream=buffer)
    stats.sort_stats("cumulative").print_stats(limit)
    return buffer.getvalue()


def publish_one(site: Any, number: int) -> dict[str, Any]:
    recorder = calls.RECORDER
    recorder.reset()
    article = corpus.extra_article(number)
    started = time.perf_counter()
    with calls.scope("editor"):
        site.upload(article.name, article.yaml().encode("utf-8"))
    site.drain()
    seconds = time.perf_counter() - started
    snapshot = recorder.snapshot()
    with calls.scope("summary"):
        summary = site.summary()
    published = [p.source for p in summary.published]
    if f"incoming/{article.name}" not in published or summary.failed or summary.rejected:
        raise RuntimeError(f"{article.name} was not published: {summary}")
    with calls.scope("summary"):
        home = site.stack.client("s3").get_object(Bucket=site.site_bucket, Key="index.html")["Body"].read()
    if article.slug.encode() not in home:
        raise RuntimeError(f"{article.name} is published but not on the home page: its listings were not rendered")
    return {
        **snapshot,
        "seconds": seconds,
        "handler_seconds_by_function": snapshot["handler_seconds"],
        "handler_seconds": sum(snapshot["handler_seconds"].values()),
    }


def run_case(size: int, backend: str, runs: int, profile: bool) -> dict[str, Any]:
    from pressrun.emulator.site import LocalSite

    calls.install()
    site_dir = copy_site(fixture_dir(size), WORK / f"publish-{size}-{backend}")
    results: dict[str, Any] = {"size": size, "backend": backend}
    started = time.perf_counter()
    with calls.scope("local-state"):
        site = LocalSite(site_dir, SITE_URL, now=corpus.NOW, root=code_root()).__enter__()
    results["enter_seconds"] = time.perf_counter() - started
    try:
        # An empty round first, so the runner knows every stream consumer before the first write (its
        # _expire_consumed otherwise drops a session's first batch before two of the three read it).
        site.drain()
        warm = publish_one(site, 0)
        results["warmup"] = {"seconds": warm["seconds"], "handler_calls": warm["handler_calls"]}
        measured = [publish_one(site, n) for n in range(1, runs + 1)]
        for n, run in enumerate(measured, 1):
            log(f"  publish into {size} ({backend}) run {n}: {run['seconds']:.3f} s, {run['handler_calls']} calls")
        results["runs"] = [
            {k: run[k] for k in ("seconds", "handler_seconds", "handler_calls", "poller_calls", "invalidation_paths")}
            for run in measured
        ]
        results["median_seconds"] = median([r["seconds"] for r in measured])
        results["median_handler_seconds"] = median([r["handler_seconds"] for r in measured])
        results["median_handler_calls"] = median([r["handler_calls"] for r in measured])
        results["median_poller_calls"] = median([r["poller_calls"] for r in measured])
        last = measured[-1]
        for key in (
            "handler_calls_by_operation",
            "handler_calls_by_function",
            "poller_calls_by_operation",
            "handler_seconds_by_function",
            "invocations",
            "invalidation_calls",
            "invalidation_paths",
        ):
            results[f"last_{key}"] = last[key]
        if profile:
            path = WORK.parent / "profiles" / f"publish-{size}-{backend}.prof"
            path.parent.mkdir(parents=True, exist_ok=True)
            profiler = cProfile.Profile()
            profiler.enable()
            publish_one(site, runs + 1)
            profiler.disable()
            profiler.dump_stats(str(path))
            results["profile"] = {"file": str(path), "hot_spots": hot_spots(path)}
            path.with_suffix(".txt").write_text(top_functions(path, 60))
    finally:
        started = time.perf_counter()
        with calls.scope("local-state"):
            site.__exit__(None, None, None)
        results["exit_seconds"] = time.perf_counter() - started
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--backend", choices=["local"], default="local")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--out", type=Path)
    arguments = parser.parse_args()
    outcome = run_case(arguments.size, arguments.backend, arguments.runs, arguments.profile)
    if arguments.out:
        write_json(arguments.out, outcome)
    else:
        print(json.dumps(outcome, indent=2, default=str))
