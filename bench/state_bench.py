"""`pressrun publish` of one article into existing sites, two revisions of pressrun side by side.

    .venv/bin/python bench/state_bench.py BEFORE_REV AFTER_REV --sizes 100 1000 --runs 3

Each revision's shared/, functions/ and template.yaml are taken out of git (`git archive`) into
results/state-bench/<rev>/ and run from there, as cli_bench.py runs a frozen copy. Each revision
gets its own copy of each fixture site (results/fixtures/, see fixtures.py). Runs alternate between
the revisions so that both see the same machine load; run n of each publishes the same new article.
One untimed run per revision and size comes first: it warms the page cache and, where the newer
revision keeps its state in another form, converts the fixture's state (a one-off).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import tarfile
import time
from pathlib import Path
from typing import Any

import corpus
from cli_bench import _command
from common import PRESSRUN_CLI, RESULTS, ROOT, WORK, copy_site, log, median
from fixtures import fixture_dir

CODE = RESULTS / "state-bench"


def _code(revision: str) -> Path:
    target = CODE / revision
    if not (target / "template.yaml").exists():
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", revision, "shared", "functions", "template.yaml"],
            capture_output=True,
            check=True,
        ).stdout
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
    return target


def _publish(code: Path, site: Path, article: Path) -> float:
    environment = {**os.environ, "PYTHONPATH": str(code / "shared")}
    started = time.perf_counter()
    out = subprocess.run(
        [str(PRESSRUN_CLI), *_command("publish", site, [article])],
        capture_output=True,
        text=True,
        cwd=code,
        env=environment,
    )
    seconds = time.perf_counter() - started
    if out.returncode != 0:
        raise RuntimeError(f"publish into {site} exited {out.returncode}:\n{out.stderr[-3000:]}")
    summary = json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][-1])
    if len(summary.get("published", [])) != 1:
        raise RuntimeError(f"{article.name} was not published into {site}: {summary}")
    return seconds


def compare(revisions: list[str], size: int, runs: int) -> dict[str, Any]:
    codes = {revision: _code(revision) for revision in revisions}
    sites = {
        revision: copy_site(fixture_dir(size), WORK / f"state-{revision}-{size}") for revision in revisions
    }
    articles = WORK / f"state-articles-{size}"
    articles.mkdir(parents=True, exist_ok=True)
    times: dict[str, list[float]] = {revision: [] for revision in revisions}
    first: dict[str, float] = {}
    for n in range(runs + 1):
        article = corpus.extra_article(700 + n)
        path = articles / article.name
        path.write_text(article.yaml(), encoding="utf-8")
        for revision in revisions:
            seconds = _publish(codes[revision], sites[revision], path)
            if n == 0:
                first[revision] = seconds
            else:
                times[revision].append(seconds)
            log(f"  {revision} publish into {size + n}: {seconds:.2f} s{' (untimed)' if n == 0 else ''}")
    return {
        "size": size,
        **{
            revision: {
                "first_untimed": round(first[revision], 2),
                "runs": [round(t, 2) for t in times[revision]],
                "median": round(median(times[revision]), 2),
            }
            for revision in revisions
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("revisions", nargs="+")
    parser.add_argument("--sizes", nargs="+", type=int, default=[100, 1000])
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    results = [compare(arguments.revisions, size, arguments.runs) for size in arguments.sizes]
    print(json.dumps(results, indent=2))
