"""`pressrun dev` on an existing site: how long it takes to start (the folder's state loaded into moto),
how long one upload takes to be served, and how long Ctrl-C takes (the state handed back).

    .venv/bin/python bench/dev_bench.py 1000 10000 [--runs 3]

For each size N, the corpus's first N stories are published into a folder with `pressrun publish`
(the local engine; the folder is kept and reused), the folder is copied, and `pressrun dev` is started
on the copy as a developer starts it: its own process, on free ports. Start-up is timed from launch to
its banner (it prints it once the site is loaded and the stack connected). Then `--runs` new stories
are uploaded one at a time with boto3 against its endpoint, each timed from the end of its PUT to the
first 200 of its page from dev's web server (which polls every 20 ms). Then SIGINT, timed to the
process's exit, whose CPU time and peak RSS are reported too. One JSON line per size.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import boto3

import corpus
from common import PRESSRUN_CLI, median

WORK = (
    Path("/dev/shm/pressrun-dev") if Path("/dev/shm").is_dir() else Path(__file__).parent / "results" / "dev"
)
NOW = corpus.NOW.isoformat()
# A served page within this, or the run failed.
PATIENCE_SECONDS = 600


def published_site(size: int) -> Path:
    """A folder holding the corpus's first `size` stories, published with `pressrun publish`."""
    site = WORK / f"site-{size}"
    marker = site / ".pressrun" / "dev-bench"
    if marker.exists():
        return site
    shutil.rmtree(site, ignore_errors=True)
    stories = corpus.write_corpus(WORK / f"corpus-{size}", size, "yaml")
    started = time.perf_counter()
    subprocess.run(
        [str(PRESSRUN_CLI), "publish", "--site", str(site), "--now", NOW, str(stories)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"published {size} stories in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    marker.write_text(str(size))
    return site


def served(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError):
        return False


def measure(size: int, runs: int) -> dict[str, Any]:
    site = WORK / f"dev-{size}"
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(published_site(size), site, symlinks=True)
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(PRESSRUN_CLI), "dev", "--site", str(site), "--port", "0", "--aws-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    banner = ""
    while not banner.endswith("\n") or not banner.splitlines()[-1].startswith("site"):
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"pressrun dev stopped before it was ready:\n{banner}")
        banner += line
    startup = time.perf_counter() - started
    endpoint = re.search(r"AWS\s+(http://\S+)", banner)
    bucket = re.search(r"s3://([^/]+)/incoming/", banner)
    site_url = re.search(r"site\s+(http://\S+?)/\s", banner)
    assert endpoint and bucket and site_url, banner
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint.group(1),
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    latencies = []
    for number in range(runs):
        story = corpus.extra_article(number)
        page = f"{site_url.group(1)}/{story.date:%Y/%m/%d}/{story.slug}/"
        s3.put_object(Bucket=bucket.group(1), Key=f"incoming/{story.name}", Body=story.yaml().encode())
        uploaded = time.perf_counter()
        while not served(page):
            if time.perf_counter() - uploaded > PATIENCE_SECONDS:
                raise RuntimeError(f"{page} was not served within {PATIENCE_SECONDS} s")
            time.sleep(0.02)
        latencies.append(time.perf_counter() - uploaded)
    stopping = time.perf_counter()
    process.send_signal(signal.SIGINT)
    _, status, usage = os.wait4(process.pid, 0)
    stop = time.perf_counter() - stopping
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(
            f"pressrun dev exited {os.waitstatus_to_exitcode(status)}: {process.stdout.read()}"
        )
    kept = all(
        (site / f"{corpus.extra_article(n).date:%Y/%m/%d}" / corpus.extra_article(n).slug).is_dir()
        for n in range(runs)
    )
    return {
        "size": size,
        "startup_seconds": round(startup, 2),
        "upload_to_served_seconds": [round(latency, 2) for latency in latencies],
        "upload_to_served_median": round(median(latencies), 2),
        "stop_seconds": round(stop, 2),
        "dev_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "dev_peak_rss_mb": round(usage.ru_maxrss / 1024),
        "uploads_kept_in_the_folder": kept,
        "load_average": os.getloadavg(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    for size in arguments.sizes:
        print(json.dumps(measure(size, arguments.runs)), flush=True)
