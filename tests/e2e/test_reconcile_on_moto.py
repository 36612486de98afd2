"""The reconciliation function on the emulated stack: an upload whose event was lost on its way to the
ingest queue is found by the sweep, re-announced, and published by the pipeline like any upload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import SAMPLE, load_event

pytestmark = pytest.mark.e2e

PAGE = "2025/06/25/uk-seeks-trade-ties-with-china-amid-heightened-security-concerns/index.html"


def test_an_upload_whose_event_was_lost_is_published_after_one_sweep(tmp_path: Path, clean_environment):
    from pressrun.emulator.site import LocalSite

    # The sweep's clock past moto's: S3 dates objects by the real time, and a change younger than
    # the sweep's grace is left to its own event.
    later = datetime.now(UTC) + timedelta(hours=1)
    with LocalSite(tmp_path / "site", "http://localhost:8000", now=later) as site:
        s3 = site.stack.client("s3")
        s3.put_object(
            Bucket=site.stack.physical("UploadsBucket"),
            Key=f"incoming/{SAMPLE.name}",
            Body=SAMPLE.read_bytes(),
        )
        # GIVEN the upload's event lost on its way (S3 → EventBridge may drop one): the emulator's
        # announcer never sends it
        site.stack.changes.unannounced()
        site.drain()

        def published() -> bool:
            listing = s3.list_objects_v2(Bucket=site.stack.physical("SiteBucket"), Prefix=PAGE)
            return bool(listing.get("Contents"))

        assert not published()
        # WHEN the sweep runs on its schedule
        report = site.runner.invoke("ReconcileFunction", load_event("reconcile"))
        site.drain()
        # THEN it found the upload, S3 announced it again, and the story is published
        assert report["found"] >= 1
        assert published()
        second = site.runner.invoke("ReconcileFunction", load_event("reconcile"))
    assert (tmp_path / "site" / PAGE).is_file()
    assert second == {"checked": second["checked"], "found": 0, "persistent": False}


def test_the_sweep_takes_a_story_out_of_the_news_sitemap_once_its_48_hours_have_passed(
    tmp_path: Path, clean_environment
):
    from pressrun.emulator.site import LocalSite

    news = tmp_path / "site" / "news-sitemap.xml"
    dated = datetime(2025, 6, 25, 12, tzinfo=UTC)
    # GIVEN the sample published on the stack the day it is dated: the news sitemap lists it
    with LocalSite(tmp_path / "site", "http://localhost:8000", now=dated) as site:
        site.upload(SAMPLE.name, SAMPLE.read_bytes())
        site.drain()
    assert PAGE.removesuffix("index.html") in news.read_text(encoding="utf-8")
    # WHEN the sweep runs on its schedule four days later, no other story published meanwhile
    with LocalSite(tmp_path / "site", now=dated + timedelta(days=4)) as site:
        report = site.runner.invoke("ReconcileFunction", load_event("reconcile"))
    # THEN the news sitemap is still there, empty, and the sweep found nothing drifted
    assert "<url>" not in news.read_text(encoding="utf-8")
    assert report["found"] == 0
