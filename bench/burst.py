"""CDN cost: a burst of uploads within a minute, and a normal day of 100 articles, on the 1,000 site.

The local runner has no clock: `drain()` runs the batching-window sources only when all else is idle.
To see what the windows do on Lambda, the burst is replayed on a simulated clock, driving the
runner's own delivery (`Runner._deliver`) source by source:

- the uploads arrive evenly over `seconds` (1,000 in 60 s by default), each in its own second;
- every simulated second, the eager sources (validate, render, index, schedule) run until idle,
  then the listings renderer (MaximumBatchingWindowInSeconds: 1) takes what the second gathered;
- every `window` seconds (InvalidationWindowSeconds, 10 by default) the invalidation function takes
  the queue in batches of its BatchSize (1,000 messages), one CreateInvalidation per batch, as Lambda
  invokes it when the window ends or the batch is full.

Burst articles are dated within one day (a big news day); the day model publishes articles one at a
time (100 a day arrive minutes apart, far more than a window), each its own drain and invalidation.
CloudFront bills every item of an invalidation as one path, a wildcard too; the first 1,000 paths
a month are free, then $0.005 each.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta
from typing import Any

from codebase import code_root  # first: it picks the copy of pressrun to import
import calls
import corpus
from common import SITE_URL, WORK, copy_site
from fixtures import fixture_dir

FREE_PATHS = 1000
PRICE_PER_PATH = 0.005


def burst_article(i: int) -> corpus.Article:
    return corpus.article(30_000 + i, date=corpus.NOW - timedelta(hours=10) + timedelta(seconds=20 * i))


def day_article(i: int) -> corpus.Article:
    return corpus.article(40_000 + i, date=corpus.NOW - timedelta(hours=11) + timedelta(minutes=6 * i))


def _sources(site: Any) -> tuple[list[tuple[Any, Any]], tuple[Any, Any], tuple[Any, Any]]:
    eager, listings, invalidation = [], None, None
    for function in site.stack.functions:
        for source in function.sources:
            if source.batching_window == 0:
                eager.append((function, source))
            elif function.name == "RenderListingsFunction":
                listings = (function, source)
            elif function.name == "InvalidateCdnFunction":
                invalidation = (function, source)
    assert listings is not None and invalidation is not None
    return eager, listings, invalidation


def run_burst(size: int, uploads: int, seconds: int, window: int) -> dict[str, Any]:
    from pressrun.emulator.site import LocalSite

    recorder = calls.install()
    site_dir = copy_site(fixture_dir(size), WORK / f"burst-{size}")
    started = time.perf_counter()
    with LocalSite(site_dir, SITE_URL, now=corpus.NOW, root=code_root()) as site:
        site.drain()  # register every stream consumer first (see publish.py)
        recorder.reset()
        eager, listings, invalidation = _sources(site)
        runner = site.runner
        per_window: list[dict[str, int]] = []
        arrived = 0
        for second in range(seconds):
            due = math.floor(uploads * (second + 1) / seconds)
            with calls.scope("editor"):
                for i in range(arrived, due):
                    article = burst_article(i)
                    site.upload(article.name, article.yaml().encode("utf-8"))
            arrived = due
            while any([runner._deliver(f, s) for f, s in eager]):
                pass
            while runner._deliver(*listings):
                while any([runner._deliver(f, s) for f, s in eager]):
                    pass
            if (second + 1) % window == 0:
                before = len(recorder.invalidations)
                while runner._deliver(*invalidation):
                    pass
                made = recorder.invalidations[before:]
                per_window.append({"calls": len(made), "paths": sum(len(p) for p in made)})
        site.drain()  # whatever is left after the last full window
        if len(recorder.invalidations) > sum(w["calls"] for w in per_window):
            made = recorder.invalidations[sum(w["calls"] for w in per_window) :]
            per_window.append({"calls": len(made), "paths": sum(len(p) for p in made)})
        failed = site.failures()
        if failed:
            raise RuntimeError(f"burst failed: {failed}")
    paths = sum(len(p) for p in recorder.invalidations)
    wildcards = sum(1 for p in recorder.invalidations for item in p if item.endswith("*"))
    return {
        "site_size": size,
        "uploads": uploads,
        "seconds": seconds,
        "window_seconds": window,
        "windows": math.ceil(seconds / window),
        "invalidation_calls": len(recorder.invalidations),
        "billed_paths": paths,
        "wildcard_items": wildcards,
        "paths_per_100_articles": round(paths * 100 / uploads, 1),
        "per_window": per_window,
        "sample_items": sorted({item for p in recorder.invalidations for item in p})[:40],
        "wall_seconds": round(time.perf_counter() - started, 1),
    }


def run_day(size: int, articles: int, per_day: int = 100) -> dict[str, Any]:
    from pressrun.emulator.site import LocalSite

    recorder = calls.install()
    site_dir = copy_site(fixture_dir(size), WORK / f"day-{size}")
    each: list[int] = []
    items: list[list[str]] = []
    with LocalSite(site_dir, SITE_URL, now=corpus.NOW, root=code_root()) as site:
        site.drain()
        for i in range(articles):
            recorder.reset()
            article = day_article(i)
            site.upload(article.name, article.yaml().encode("utf-8"))
            site.drain()
            each.append(sum(len(p) for p in recorder.invalidations))
            items.extend(recorder.invalidations)
    mean = sum(each) / len(each)
    monthly = mean * per_day * 30
    return {
        "site_size": size,
        "articles": articles,
        "per_day": per_day,
        "mean_billed_paths_per_article": round(mean, 2),
        "min_max_paths": [min(each), max(each)],
        "paths_per_100_articles": round(mean * 100, 1),
        "monthly_paths": round(monthly),
        "monthly_cost_usd": round(max(0.0, monthly - FREE_PATHS) * PRICE_PER_PATH, 2),
        "typical_items": items[len(items) // 2] if items else [],
    }


if __name__ == "__main__":
    import json
    import sys

    if sys.argv[1] == "day":
        print(json.dumps(run_day(int(sys.argv[2]), int(sys.argv[3])), indent=2))
    else:
        print(json.dumps(run_burst(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), 10), indent=2))
