"""Correct under faults: calls failing, steps retried and set aside as dead letters, nothing lost.

`make test` runs 100 uploads; `make soak` runs PRESSRUN_SOAK_UPLOADS (1,000) of them.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from pressrun.local.site import LocalSite

pytestmark = pytest.mark.e2e

UPLOADS = int(os.environ.get("PRESSRUN_SOAK_UPLOADS", "100"))
CATEGORIES = ["World", "Politics", "Economics", "Sport", "Culture"]


def story(number: int) -> bytes:
    day, month = 1 + number % 28, 1 + (number // 28) % 12
    return (
        f"---\ntitle: Story {number}\ndate: 2024-{month:02}-{day:02}T{number % 24:02}:{number % 60:02}:00Z\n"
        f"categories: [{CATEGORIES[number % len(CATEGORIES)]}]\n---\nBody of story {number}.\n"
    ).encode()


def test_uploads_with_one_call_in_ten_failing_converge_with_nothing_lost_or_doubled(
    tmp_path: Path, clean_environment
):
    site_dir = tmp_path / "site"
    keys = {f"incoming/story-{n:04}.md" for n in range(UPLOADS)}
    # GIVEN a tenth of the pipeline's storage calls failing, throttled or 5xx
    with LocalSite(site_dir, chaos=0.1, seed=2025) as site:
        for number in range(UPLOADS):
            site.upload(f"story-{number:04}.md", story(number))
        site.drain()
        assert site.chaos is not None
        injected = site.chaos.injected
        set_aside = site.summary()
        recorded = {key for key in keys if site.ports.articles.current(key)}
    # THEN every upload was recorded or set aside as a dead letter: none dropped
    assert injected > UPLOADS / 2
    assert set_aside.failed, "with this seed some work keeps failing past its retries"
    accounted = {s for f in set_aside.failed for s in f.sources} | recorded
    assert keys <= accounted

    # WHEN the cause is fixed and the dead letters are redriven
    with LocalSite(site_dir) as site:
        site.redrive()
        statuses = Counter(record.status for key in keys if (record := site.ports.articles.current(key)))
        site_entries = site.ports.index.entries("site")
        summaries = site.ports.index.summaries()
        failed_after = site.failures()

    # THEN every upload is published exactly once, everywhere
    assert failed_after == []
    assert statuses == Counter({"published": UPLOADS})
    sources = [entry.source_key for entry in site_entries]
    assert len(sources) == len(set(sources)) == UPLOADS
    assert summaries["site"].members == UPLOADS
    assert sum(summaries[f"category/{c.lower()}"].members for c in CATEGORIES) == UPLOADS
    pages = list(site_dir.glob("2024/*/*/story-*/index.html"))
    assert len(pages) == UPLOADS
    for category in CATEGORIES:
        front = (site_dir / f"category/{category.lower()}/index.html").read_text()
        assert front.count('class="headline"') == min(20, UPLOADS // len(CATEGORIES))
