"""`pressrun publish` and `pressrun rebuild` as an editor runs them: the whole command, timed from outside.

The command restores the saved local state (uploads, tables, the site folder into the site bucket),
runs the pipeline, prints the summary, mirrors the site bucket back into the folder and saves the
state again. Each size gets its own copy of the fixture; `publish` publishes one more article per
run (runs N, N+1, ... articles). One extra run per size under cProfile shows where the command's
time goes (restore, pipeline, mirror, save).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from codebase import code_root  # first: it picks the copy of pressrun to import
import corpus
from common import PRESSRUN_CLI, PROJECT_PYTHON, RESULTS, SITE_URL, WORK, copy_site, log, median
from fixtures import fixture_dir
from publish import hot_spots

PROFILES = RESULTS / "profiles"
NOW = corpus.NOW.isoformat()


def _command(verb: str, site: Path, files: list[Path]) -> list[str]:
    return [verb, "--site", str(site), "--site-url", SITE_URL, "--now", NOW, "--json", *map(str, files)]


def _run(arguments: list[str], profile: Path | None = None) -> tuple[float, dict[str, Any]]:
    if profile is None:
        command = [str(PRESSRUN_CLI), *arguments]
    else:
        command = [str(PROJECT_PYTHON), "-m", "cProfile", "-o", str(profile), "-m", "pressrun.cli", *arguments]
    # The copy of pressrun this run measures comes first on the path (ahead of the .venv's editable
    # install of the checkout), and the command runs from it, so it finds that copy's template.yaml.
    environment = {**os.environ, "PYTHONPATH": str(code_root() / "shared")}
    started = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, cwd=code_root(), env=environment)
    seconds = time.perf_counter() - started
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {out.returncode}:\n{out.stderr[-3000:]}")
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    return seconds, json.loads(lines[-1]) if lines else {}


def publish_runs(size: int, runs: int, profile: bool) -> dict[str, Any]:
    site = copy_site(fixture_dir(size), WORK / f"cli-publish-{size}")
    articles = WORK / f"cli-articles-{size}"
    articles.mkdir(parents=True, exist_ok=True)
    times = []
    missing_from_listings: list[int] = []
    for n in range(runs + int(profile)):
        article = corpus.extra_article(500 + n)
        path = articles / article.name
        path.write_text(article.yaml(), encoding="utf-8")
        profiled = PROFILES / f"cli-publish-{size}.prof" if profile and n == runs else None
        if profiled:
            profiled.parent.mkdir(parents=True, exist_ok=True)
        seconds, summary = _run(_command("publish", site, [path]), profiled)
        if len(summary.get("published", [])) != 1:
            raise RuntimeError(f"the CLI did not publish {path.name}: {summary}")
        listed = article.slug in (site / "index.html").read_text(encoding="utf-8")
        if not listed:
            missing_from_listings.append(size + n)
        if profiled is None:
            times.append(seconds)
        log(f"  pressrun publish into {size + n}: {seconds:.2f} s{' (profiled)' if profiled else ''}")
    result: dict[str, Any] = {
        "size": size,
        "runs": [round(t, 3) for t in times],
        "median": median(times),
        # Runs whose article was published but never reached the home page (its listings not rendered).
        "missing_from_listings": missing_from_listings,
    }
    if profile:
        result["profile"] = hot_spots(PROFILES / f"cli-publish-{size}.prof")
    return result


def rebuild_runs(size: int, runs: int, profile: bool) -> dict[str, Any]:
    site = copy_site(fixture_dir(size), WORK / f"cli-rebuild-{size}")
    times = []
    invalidated = []
    for n in range(runs + int(profile)):
        profiled = PROFILES / f"cli-rebuild-{size}.prof" if profile and n == runs else None
        seconds, summary = _run(_command("rebuild", site, []), profiled)
        if summary.get("failed"):
            raise RuntimeError(f"rebuild failed: {summary}")
        if profiled is None:
            times.append(seconds)
            invalidated.append(len(summary.get("invalidated", [])))
        log(f"  pressrun rebuild of {size}: {seconds:.2f} s{' (profiled)' if profiled else ''}")
    result: dict[str, Any] = {
        "size": size,
        "runs": [round(t, 3) for t in times],
        "median": median(times),
        "invalidated_paths": invalidated,
    }
    if profile:
        result["profile"] = hot_spots(PROFILES / f"cli-rebuild-{size}.prof")
    return result


if __name__ == "__main__":
    verb, size, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    profile = "--profile" in sys.argv
    outcome = publish_runs(size, runs, profile) if verb == "publish" else rebuild_runs(size, runs, profile)
    print(json.dumps(outcome, indent=2))
