"""Existing sites of 100, 1,000 and 10,000 articles, made once through the whole local pipeline and
kept under bench/results/fixtures/ for every later run.

How a fixture is made (honest: nothing is written behind the pipeline's back): the corpus articles
are uploaded in batches to `incoming/` of a LocalSite, oldest first, and the runner drains each
batch through validate → articles stream → render/index → index stream → listings → invalidation,
exactly as `pressrun publish` does, in ONE LocalSite session per fixture (so the O(N) state restore
and save that every `pressrun publish` pays happen once, not once per batch). A larger fixture
starts from a copy of the next smaller one (the 1,000 site is the 100 site plus articles 100-999).

A fixture records the revision and the fingerprint of pressrun's code (shared/, functions/,
template.yaml) it was made with. `--fixtures reuse` (the default) makes only missing fixtures, since
the 10,000 one takes a while and its tables and pages do not depend on most code changes;
`--fixtures fresh` remakes those whose fingerprint differs from the code now; `--fixtures rebuild`
remakes all. The report says which revision each fixture came from.

While a fixture is made, one thing differs from `pressrun publish`, not changing the result
: the listings renderer takes wide batches (FIXTURE_LISTINGS_BATCH).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from codebase import code_root  # first: it picks the copy of pressrun to import
import calls
import corpus
from common import FIXTURES, SITE_URL, code_fingerprint, copy_site, git_revision, log

BATCH = 500
# While a fixture is built, the listings renderer takes up to this many index stream records per
# delivery instead of the template's 100. Listing pages are a pure function of the index table, so
# the pages after the last delivery are the same; the build just
# skips re-rendering the whole sitemap every 25 articles, which made it quadratic.
FIXTURE_LISTINGS_BATCH = 20_000


def fixture_dir(size: int) -> Path:
    return FIXTURES / f"site-{size}"


def _meta_path(size: int) -> Path:
    return fixture_dir(size) / ".pressrun" / "bench-fixture.json"


def fixture_meta(size: int) -> dict[str, Any] | None:
    path = _meta_path(size)
    return json.loads(path.read_text()) if path.exists() else None


def is_fresh(size: int) -> bool:
    meta = fixture_meta(size)
    return meta is not None and meta.get("fingerprint") == code_fingerprint() and meta.get("size") == size


def _widen_listings_batch(site: Any) -> None:
    import dataclasses

    for function in site.stack.functions:
        if function.name == "RenderListingsFunction":
            function.sources = [dataclasses.replace(s, batch_size=FIXTURE_LISTINGS_BATCH) for s in function.sources]


def publish_range(site_dir: Path, start: int, stop: int, wide_listings: bool = True) -> dict[str, Any]:
    from pressrun.emulator.site import LocalSite

    recorder = calls.install()
    recorder.reset()
    started = time.perf_counter()
    with calls.scope("local-state"), LocalSite(site_dir, SITE_URL, now=corpus.NOW, root=code_root()) as site:
        entered = time.perf_counter()
        if wide_listings:
            _widen_listings_batch(site)
        with calls.scope("poller"):
            # An empty first round registers every stream consumer with the runner before anything is
            # written, so that no consumer's first batch is expired before it has read it (see the
            # runner's _expire_consumed: it only counts the consumers it has already seen).
            site.drain()
        for batch_start in range(start, stop, BATCH):
            batch_stop = min(batch_start + BATCH, stop)
            with calls.scope("editor"):
                for i in range(batch_start, batch_stop):
                    a = corpus.article(i)
                    site.upload(a.name, a.yaml().encode("utf-8"))
            with calls.scope("poller"):
                site.drain()
            log(f"  published {batch_stop}/{stop} ({time.perf_counter() - started:.0f} s)")
        with calls.scope("summary"):
            failed = site.failures()
        drained = time.perf_counter()
    finished = time.perf_counter()
    if failed:
        raise RuntimeError(f"fixture build failed: {failed}")
    return {
        "restore_seconds": round(entered - started, 2),
        "pipeline_seconds": round(drained - entered, 2),
        "save_seconds": round(finished - drained, 2),
        "calls": recorder.snapshot(),
    }


def _upgrade_state(site_dir: Path) -> None:
    """A fixture whose state an older pressrun saved (JSON, formats 1 and 2) is opened and closed
    once, which saves it as the database of format 3: no measured run then pays the conversion."""
    from pressrun.emulator.site import LocalSite

    if (site_dir / ".pressrun" / "state.db").exists():
        return
    log(f"saving {site_dir.name}'s state in the current format")
    with LocalSite(site_dir, SITE_URL, now=corpus.NOW, root=code_root()):
        pass


def ensure(sizes: list[int], mode: str = "reuse") -> dict[int, dict[str, Any]]:
    """Make (or reuse) the fixture of each size; what each took to make."""
    made: dict[int, dict[str, Any]] = {}
    for size in sorted(sizes):
        target = fixture_dir(size)
        if target.exists() and (mode == "reuse" or (mode == "fresh" and is_fresh(size))):
            _upgrade_state(target)
            made[size] = fixture_meta(size) or {}
            continue
        smaller = [s for s in sorted(made) if s < size and fixture_dir(s).exists()]
        start = 0
        scratch = target.with_name(target.name + ".building")
        if scratch.exists():
            shutil.rmtree(scratch)
        if smaller:
            start = smaller[-1]
            copy_site(fixture_dir(start), scratch)
            (scratch / ".pressrun" / "bench-fixture.json").unlink(missing_ok=True)
        log(f"building the {size}-article fixture from {start} (batches of {BATCH})")
        revision, fingerprint = git_revision(), code_fingerprint()  # what the build runs, read before it
        started = time.perf_counter()
        stats = publish_range(scratch, start, size)
        meta = {
            "size": size,
            "fingerprint": fingerprint,
            "revision": revision,
            "built_from": start,
            "batch": BATCH,
            "seconds": round(time.perf_counter() - started, 1),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            **{k: v for k, v in stats.items() if k != "calls"},
            "handler_calls": stats["calls"]["handler_calls"],
            "poller_calls": stats["calls"]["poller_calls"],
        }
        (scratch / ".pressrun" / "bench-fixture.json").write_text(json.dumps(meta, indent=2))
        if target.exists():
            shutil.rmtree(target)
        scratch.rename(target)
        log(f"  {size}-article fixture made in {meta['seconds']} s")
        made[size] = meta
    return made


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int)
    parser.add_argument("--fixtures", choices=["reuse", "fresh", "rebuild"], default="reuse")
    arguments = parser.parse_args()
    if arguments.sizes:
        print(json.dumps(ensure(arguments.sizes, arguments.fixtures), indent=2))
