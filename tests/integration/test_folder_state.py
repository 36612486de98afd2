"""The emulated stack (pressrun.emulator) keeps its state in the site folder, in the format `pressrun
publish` keeps (pressrun.local): loaded into moto when it starts, handed back when it stops. These
test the emulator's loading and saving, not AWS."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pressrun.aws.dynamodb import DynamoArticles
from pressrun.emulator.site import LocalSite as EmulatedSite
from pressrun.local.site import LocalSite
from tests.conftest import SAMPLE
from tests.pictures import image_story, jpeg

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SAMPLE_KEY = f"incoming/{SAMPLE.name}"


def story(title: str, date: str = "2025-06-26", slug: str = "") -> bytes:
    extra = f"\nslug: {slug}" if slug else ""
    return f"---\ntitle: {title}\ndate: {date}\ncategories: [World]{extra}\n---\nText.\n".encode()


def a_site_with_one_of_everything(site_dir: Path) -> None:
    """A published story, a removed one, a scheduled one, a rejected one, one waiting for a slug, a
    story with its photo, and one waiting for a photo never uploaded."""
    with LocalSite(site_dir, now=NOW) as site:
        site.upload(SAMPLE.name, SAMPLE.read_bytes())
        site.upload("harbour.jpg", jpeg(640, 480, seed=4))
        site.upload("harbour.md", image_story("harbour.jpg"))
        site.upload("quay.md", image_story("quay.jpg", title="Quay"))
        site.upload("gone.md", story("Gone"))
        site.upload("later.md", story("Later", date="2026-04-01"))
        site.upload("broken.md", b"---\ntitle: Broken\ndate: June 31, 2025\n---\nText.\n")
        site.upload("first.md", story("First", slug="shared"))
        site.drain()
        site.upload("second.md", story("Second", slug="shared"))
        site.remove("gone.md")
        site.drain()


def state_of(site_dir: Path) -> dict[str, Any]:
    """Everything the folder keeps, as its tables and files hold it."""
    tables = {
        "upload_version": "SELECT key, version_id, blob, size FROM upload_version ORDER BY sequencer",
        "article": "SELECT source_key, sequencer, status, source_version, changed_at, record FROM article",
        "slug": "SELECT slug, source_key FROM slug",
        "slug_waiter": "SELECT slug, source_key, waiter FROM slug_waiter",
        "membership": "SELECT listing, position, source_key, entry FROM membership",
        "listing_summary": "SELECT listing, revision, summary FROM listing_summary",
        "schedule": "SELECT name, at, release FROM schedule",
        "site_file": "SELECT key, digest, content_type FROM site_file",
        "sweep": "SELECT state FROM sweep",
        "image": "SELECT source_key, revision, source_version, record FROM image",
    }
    with closing(sqlite3.connect(site_dir / ".pressrun" / "state.db")) as database:
        rows = {name: sorted(database.execute(query).fetchall()) for name, query in tables.items()}
    # The site's files and the editors' reports; the rest of .pressrun/ is the tables above.
    files = {
        path.relative_to(site_dir).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(site_dir.rglob("*"))
        if path.is_file()
        and (path.relative_to(site_dir).parts[0] != ".pressrun" or path.parent.name == "reports")
    }
    return {**rows, "files": files}


def test_a_site_the_emulated_stack_takes_over_and_hands_back_untouched_is_the_same_site(
    tmp_path: Path, clean_environment: None
):
    site_dir = tmp_path / "site"
    a_site_with_one_of_everything(site_dir)
    before = state_of(site_dir)

    with EmulatedSite(site_dir, now=NOW):
        pass

    after = state_of(site_dir)
    assert [name for name in before if before[name] != after[name]] == []
    assert before["schedule"]
    assert len(before["image"]) == 2
    assert before["slug_waiter"]


def test_records_in_the_emulated_stack_name_the_versions_moto_gave_the_uploads(
    tmp_path: Path, clean_environment: None
):
    site_dir = tmp_path / "site"
    a_site_with_one_of_everything(site_dir)

    with EmulatedSite(site_dir, now=NOW) as site:
        s3 = site.stack.client("s3")
        served = s3.head_object(Bucket=site.uploads_bucket, Key=SAMPLE_KEY)["VersionId"]
        record = DynamoArticles(
            site.stack.client("dynamodb"),
            site.stack.physical("ArticlesTable"),
            site.stack.physical("SlugsTable"),
        ).current(SAMPLE_KEY)
        scheduler, group = site.stack.client("scheduler"), site.stack.physical("ScheduleGroup")
        (schedule,) = scheduler.list_schedules(GroupName=group)["Schedules"]
        release = json.loads(
            scheduler.get_schedule(GroupName=group, Name=schedule["Name"])["Target"]["Input"]
        )
        later = s3.head_object(Bucket=site.uploads_bucket, Key="incoming/later.md")["VersionId"]

    assert record is not None
    assert record.source_version == served
    assert release == {"source_key": "incoming/later.md", "source_version": later}


def test_what_the_emulated_stack_did_is_in_the_folder_for_the_local_engine(
    tmp_path: Path, clean_environment: None
):
    site_dir = tmp_path / "site"
    a_site_with_one_of_everything(site_dir)
    reports = site_dir / ".pressrun" / "reports"

    with EmulatedSite(site_dir, now=NOW) as site:
        site.upload("broken.md", story("Broken, fixed"))
        site.remove("first.md")
        site.drain()
    with LocalSite(site_dir, now=NOW) as local:
        fixed = local.ports.articles.current("incoming/broken.md")
        holder = local.ports.articles.slug_holder("shared")
        versions = local.uploads.versions("incoming/broken.md")
        listed = [entry.source_key for entry in local.ports.index.entries("category/world")]
        counted = local.ports.index.summaries(["category/world", "site"])

    assert not (reports / "broken.md.report.json").exists()
    assert fixed is not None
    assert fixed.status == "published"
    assert fixed.source_version == versions[-1].version_id
    # The slug the removed story held went to the one waiting for it.
    assert holder == "incoming/second.md"
    assert sorted(listed) == ["incoming/broken.md", "incoming/second.md"]
    assert counted["category/world"].members == 2
    # The sample, the harbour story with its photo, the fixed story, the slug's new holder.
    assert counted["site"].members == 4
    assert (site_dir / "2025/06/26/shared/index.html").read_text().count("Second") >= 1
