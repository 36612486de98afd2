"""Full rebuild, in process: what each RebuildWorkerFunction job costs, for the Lambda fan-out estimate.

`LocalSite.rebuild()` invokes RebuildFunction (scan, queue one job per 25 articles and one per
listing) and drains the rebuild queue through RebuildWorkerFunction, one job per invocation
(BatchSize: 1), as `pressrun rebuild` does. Every invocation is timed and its job read back from the
event, so the article jobs and each listing job (the site listing renders the whole sitemap) are
timed apart. Stock moto, like the CLI. Pages are unchanged (same templates), so nothing is rewritten:
the estimate adds a PutObject per page for a real template change.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from typing import Any

from codebase import code_root  # first: it picks the copy of pressrun to import
import calls
import corpus
from common import SITE_URL, WORK, copy_site, median
from fixtures import fixture_dir

# Lambda gives a function CPU in proportion to memory: one vCPU at 1,769 MB.
MEMORY_MB = 512
VCPU_AT_MB = 1769
# Typical same-region latencies (illustrations, not measurements): per article page a GetObject of
# the upload and, after a template change, a PutObject; per job a BatchGetItem of its records and a
# ListObjectsV2 of each day folder its pages are in (articles go to jobs in path order).
LATENCY_MS = {"GetObject": 15, "PutObject": 25, "BatchGetItem": 10, "ListObjectsV2": 20, "other": 20}
# Day folders a job of 25 articles in path order reads, at the corpus's ~28 articles a day.
DAY_FOLDERS_PER_JOB = 2


def run(size: int) -> dict[str, Any]:
    from pressrun.emulator.site import LocalSite

    recorder = calls.install()
    site_dir = copy_site(fixture_dir(size), WORK / f"rebuild-{size}")
    started = time.perf_counter()
    with calls.scope("local-state"):
        site = LocalSite(site_dir, SITE_URL, now=corpus.NOW, root=code_root()).__enter__()
    entered = time.perf_counter()
    try:
        site.drain()
        recorder.reset()
        recorder.keep_log = True
        jobs = site.rebuild()
        rebuilt = time.perf_counter()
        log_ = list(recorder.invocation_log)
        snapshot = recorder.snapshot()
        recorder.keep_log = False
    finally:
        with calls.scope("local-state"):
            site.__exit__(None, None, None)
    finished = time.perf_counter()
    article_jobs: list[float] = []
    listing_jobs: dict[str, float] = {}
    planner = 0.0
    # Per listing job: its own time (outside moto, which stands for S3 and DynamoDB) and its calls.
    listing_work: dict[str, tuple[float, int]] = {}
    for function, seconds, mock_seconds, calls_made, event in log_:
        if function == "RebuildFunction":
            planner += seconds
        elif function == "RebuildWorkerFunction":
            job = json.loads(event["Records"][0]["body"])
            if job["kind"] == "articles":
                article_jobs.append(seconds)
            else:
                listing_jobs[job["listing"]] = seconds
                listing_work[job["listing"]] = (seconds - mock_seconds, calls_made)
    site_job = listing_jobs.get("site", 0.0)
    category_jobs = [s for name, s in listing_jobs.items() if name != "site"]
    site_own, site_calls = listing_work.get("site", (0.0, 0))
    category_own = median([own for name, (own, _) in listing_work.items() if name != "site"])
    category_calls = median([n for name, (_, n) in listing_work.items() if name != "site"])
    return {
        "size": size,
        "backend": "local",
        "jobs": jobs,
        "enter_seconds": round(entered - started, 2),
        "rebuild_seconds": round(rebuilt - entered, 2),
        "exit_seconds": round(finished - rebuilt, 2),
        "planner_seconds": round(planner, 3),
        "article_jobs": len(article_jobs),
        "article_job_median": median(article_jobs),
        "article_job_p90": statistics.quantiles(article_jobs, n=10)[-1] if len(article_jobs) > 1 else median(article_jobs),
        "article_jobs_total": round(sum(article_jobs), 2),
        "site_listing_job": round(site_job, 3),
        "site_listing_job_own_seconds": round(site_own, 3),
        "site_listing_job_calls": site_calls,
        "category_job_own_median": category_own,
        "category_job_calls_median": category_calls,
        "category_job_median": median(category_jobs),
        "listing_jobs_total": round(sum(listing_jobs.values()), 2),
        "handler_calls": snapshot["handler_calls"],
        "handler_calls_by_operation": snapshot["handler_calls_by_operation"],
        "poller_calls": snapshot["poller_calls"],
    }


def lambda_estimate(measured: dict[str, Any], render_cpu_ms: float) -> dict[str, Any]:
    """Wall time of the fan-out on Lambda for a template change, from the measured per-job costs.

    Article job: 25 pages, each `render_cpu_ms` of CPU (measured here without AWS) slowed by the CPU
    share of 512 MB, plus Get/Put latencies, and per job its records and day-folder listings. A
    listing job: its own time here (the job's time less moto's, which stands for S3 and DynamoDB's
    side) slowed by the CPU share, plus a typical latency per call it made. Queue scaling ramps are
    ignored (Lambda adds SQS pollers gradually)."""
    scale = VCPU_AT_MB / MEMORY_MB
    per_page_ms = render_cpu_ms * scale + LATENCY_MS["GetObject"] + LATENCY_MS["PutObject"]
    per_job_ms = LATENCY_MS["BatchGetItem"] + DAY_FOLDERS_PER_JOB * LATENCY_MS["ListObjectsV2"]
    article_job_s = (25 * per_page_ms + per_job_ms) / 1000
    site_job_s = measured["site_listing_job_own_seconds"] * scale + measured["site_listing_job_calls"] * LATENCY_MS["other"] / 1000
    category_job_s = (
        measured["category_job_own_median"] * scale + measured["category_job_calls_median"] * LATENCY_MS["other"] / 1000
    )
    jobs = measured["article_jobs"]
    rows = {}
    for workers in (10, 100, 400):
        waves = math.ceil(jobs / workers)
        rows[str(workers)] = round(max(waves * article_job_s, site_job_s, category_job_s), 1)
    return {
        "assumptions": f"{MEMORY_MB} MB = {MEMORY_MB / VCPU_AT_MB:.2f} vCPU (CPU x{scale:.1f} slower than one core here); "
        f"per page {render_cpu_ms:.1f} ms CPU here + S3 Get {LATENCY_MS['GetObject']} / Put "
        f"{LATENCY_MS['PutObject']} ms; per job of 25 articles a BatchGetItem ({LATENCY_MS['BatchGetItem']} ms) "
        f"and {DAY_FOLDERS_PER_JOB} ListObjectsV2 ({LATENCY_MS['ListObjectsV2']} ms); a listing job's own time here "
        f"(less moto's) scaled the same, plus {LATENCY_MS['other']} ms per call; BatchSize 1",
        "article_job_seconds": round(article_job_s, 2),
        "site_listing_job_seconds": round(site_job_s, 1),
        "wall_seconds_by_workers": rows,
    }


def render_cpu_ms(samples: int = 200) -> float:
    """Parse + render of one corpus article, no AWS: the CPU a rebuild spends per page."""
    from pressrun import render
    from pressrun.settings import SiteSettings
    from pressrun.validation import parse_article

    site = SiteSettings()
    data = [corpus.article(i).yaml().encode() for i in range(samples)]
    parse_article("incoming/x.md", data[0], site)
    started = time.perf_counter()
    for i, body in enumerate(data):
        article = parse_article(f"incoming/{i}.md", body, site)
        render.article_page(article, site, modified=article.published_at)
    return (time.perf_counter() - started) * 1000 / samples


if __name__ == "__main__":
    import sys

    result = run(int(sys.argv[1]))
    cpu = render_cpu_ms()
    print(json.dumps({**result, "render_cpu_ms": cpu, "lambda": lambda_estimate(result, cpu)}, indent=2))
