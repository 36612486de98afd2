"""The local state round trip: what one run leaves in the buckets and tables, the next run finds."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from moto.dynamodb.models import dynamodb_backends
from moto.s3.models import s3_backends

from pressrun.emulator.site import ARTICLES_TABLE, SLUGS_TABLE, LocalSite
from pressrun.emulator.stack import ACCOUNT, REGION
from pressrun.emulator.state import STATE_DIR
from pressrun.emulator.stored import StoredItem, StoredKey
from tests.conftest import SAMPLE

pytestmark = pytest.mark.e2e

SITE_URL = "http://localhost:8000"


def story(title: str, category: str, day: int = 26) -> bytes:
    return f"---\ntitle: {title}\ndate: 2025-06-{day}\ncategories: [{category}]\n---\nA paragraph.\n".encode()


def site_objects(site: LocalSite) -> dict[str, dict[str, Any]]:
    s3 = site.stack.client("s3")
    objects = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=site.site_bucket):
        for summary in page.get("Contents", []):
            got = s3.get_object(Bucket=site.site_bucket, Key=summary["Key"], ChecksumMode="ENABLED")
            objects[summary["Key"]] = {
                "body": got["Body"].read(),
                "etag": got["ETag"],
                "listed_etag": summary["ETag"],
                "content_type": got["ContentType"],
                "metadata": got["Metadata"],
                "checksum": got.get("ChecksumCRC32"),
            }
    return objects


def uploads(site: LocalSite) -> dict[str, tuple[bytes, str]]:
    s3 = site.stack.client("s3")
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=site.uploads_bucket):
        for summary in page.get("Contents", []):
            got = s3.get_object(Bucket=site.uploads_bucket, Key=summary["Key"])
            found[summary["Key"]] = (got["Body"].read(), got["VersionId"])
    return found


def tables(site: LocalSite) -> dict[str, list[str]]:
    dynamodb = site.stack.client("dynamodb")
    return {
        name: sorted(
            json.dumps(item, sort_keys=True)
            for page in dynamodb.get_paginator("scan").paginate(TableName=name)
            for item in page["Items"]
        )
        for name in (ARTICLES_TABLE, SLUGS_TABLE, "IndexTable")
    }


def everything(site: LocalSite) -> dict[str, Any]:
    return {"site": site_objects(site), "uploads": uploads(site), "tables": tables(site)}


def published_site(site_dir: Path) -> dict[str, Any]:
    """A site of two stories, one edited once; what its buckets and tables hold at the end."""
    with LocalSite(site_dir, SITE_URL) as site:
        site.upload(SAMPLE.name, SAMPLE.read_bytes())
        site.upload("second.md", story("Second story", "World"))
        site.drain()
        site.upload("second.md", story("Second story, edited", "World"))
        site.drain()
        return everything(site)


def test_the_next_run_finds_the_buckets_and_tables_exactly_as_the_last_left_them(
    tmp_path: Path, clean_environment
):
    site_dir = tmp_path / "site"
    before = published_site(site_dir)

    with LocalSite(site_dir, SITE_URL) as site:
        after = everything(site)
        site.drain()
        invalidated = site.invalidated_paths()

    assert before["site"], "the first run published pages"
    assert after == before
    assert invalidated == []


def test_publishing_nothing_new_writes_no_file_and_invalidates_nothing(tmp_path: Path, clean_environment):
    site_dir = tmp_path / "site"
    published_site(site_dir)
    files = {p: p.stat().st_mtime_ns for p in site_dir.rglob("*") if p.is_file() and STATE_DIR not in p.parts}

    with LocalSite(site_dir, SITE_URL) as site:
        site.upload("second.md", story("Second story, edited", "World"))
        site.drain()
        summary = site.summary()

    assert summary.invalidated == []
    assert {p: p.stat().st_mtime_ns for p in files} == files


def test_a_new_story_rewrites_only_the_files_it_changes(tmp_path: Path, clean_environment):
    site_dir = tmp_path / "site"
    published_site(site_dir)
    old_page = site_dir / "2025/06/26/second-story-edited/index.html"
    untouched = old_page.stat().st_mtime_ns

    with LocalSite(site_dir, SITE_URL) as site:
        site.upload("third.md", story("Third story", "Science", day=27))
        site.drain()
        expected = {key: value["body"] for key, value in site_objects(site).items()}

    on_disk = {
        p.relative_to(site_dir).as_posix(): p.read_bytes()
        for p in site_dir.rglob("*")
        if p.is_file() and STATE_DIR not in p.parts
    }
    assert on_disk == expected
    assert "Third story" in (site_dir / "category/science/index.html").read_text()
    assert old_page.stat().st_mtime_ns == untouched


def test_a_page_removed_by_the_run_leaves_the_folder_with_its_empty_folders(
    tmp_path: Path, clean_environment
):
    site_dir = tmp_path / "site"
    published_site(site_dir)
    assert (site_dir / "category/world/index.html").exists()

    with LocalSite(site_dir, SITE_URL) as site:
        assert site.remove("second.md")
        site.drain()

    assert not (site_dir / "category/world").exists()
    assert not (site_dir / "2025/06/26/second-story-edited").exists()


def test_a_file_edited_in_the_site_folder_goes_back_as_a_page_would(tmp_path: Path, clean_environment):
    site_dir = tmp_path / "site"
    published_site(site_dir)
    edited = b"<!doctype html><p>edited by hand</p>"
    (site_dir / "about.html").write_bytes(b"<p>a page of my own</p>")
    (site_dir / "index.html").write_bytes(edited)

    with LocalSite(site_dir, SITE_URL) as site:
        s3 = site.stack.client("s3")
        head = s3.head_object(Bucket=site.site_bucket, Key="index.html")
        mine = s3.head_object(Bucket=site.site_bucket, Key="about.html")

    assert head["Metadata"]["content-sha256"] == hashlib.sha256(edited).hexdigest()
    assert head["ETag"].strip('"') == hashlib.md5(edited, usedforsecurity=False).hexdigest()
    assert head["ContentType"].startswith("text/html")
    assert mine["ContentType"].startswith("text/html")
    assert (site_dir / "about.html").exists()


def test_uploads_are_kept_as_files_and_only_the_current_ones(tmp_path: Path, clean_environment):
    site_dir = tmp_path / "site"
    before = published_site(site_dir)

    blobs = {p.name: p.read_bytes() for p in (site_dir / STATE_DIR / "uploads").iterdir()}

    assert sorted(blobs.values()) == sorted(data for data, _ in before["uploads"].values())
    assert all(hashlib.sha256(data).hexdigest() == name for name, data in blobs.items())


def legacy_state(site_dir: Path, version: int) -> None:
    """Turn the site's state into what an earlier pressrun wrote: all of it in state.json (format 2:
    uploads as files, site objects' metadata; format 1: uploads' bytes in the JSON, no site objects)."""
    folder = site_dir / STATE_DIR
    database = sqlite3.connect(folder / "state.db")
    tables: dict[str, list[Any]] = {}
    for table, item in database.execute("SELECT tbl, json FROM item"):
        tables.setdefault(table, []).append(json.loads(item))
    uploads = [
        {"key": key, "version_id": version_id, "blob": blob}
        for key, version_id, blob in database.execute("SELECT key, version_id, blob FROM upload")
    ]
    site = {
        key: {"etag": etag, "metadata": json.loads(metadata)}
        | ({"checksum": [algorithm, value, kind]} if value is not None else {})
        for key, etag, metadata, algorithm, value, kind in database.execute(
            "SELECT key, etag, metadata, checksum_algorithm, checksum_value, checksum_type FROM site"
        )
    }
    values = dict(database.execute("SELECT name, json FROM value").fetchall())
    database.close()
    state: dict[str, Any] = {
        "format": version,
        "uploads": uploads,
        "tables": tables,
        "schedules": json.loads(values["schedules"]),
        "dead_letters": json.loads(values["dead_letters"]),
    }
    if version == 2:
        state["site"] = site
    else:
        for upload in uploads:
            upload["data"] = base64.b64encode((folder / "uploads" / upload.pop("blob")).read_bytes()).decode()
        for blob in (folder / "uploads").iterdir():
            blob.unlink()
        os.rmdir(folder / "uploads")
    (folder / "state.db").unlink()
    (folder / "state.json").write_text(json.dumps(state))


@pytest.mark.parametrize("version", [1, 2])
def test_state_written_by_a_previous_format_is_read(tmp_path: Path, clean_environment, version: int):
    site_dir = tmp_path / "site"
    before = published_site(site_dir)
    legacy_state(site_dir, version)

    with LocalSite(site_dir, SITE_URL) as site:
        after = everything(site)
        site.drain()
        invalidated = site.invalidated_paths()
    with LocalSite(site_dir, SITE_URL) as site:
        again = everything(site)

    def pages(found: dict[str, Any]) -> dict[str, Any]:
        # Format 1 kept no content types: those go back as guessed from the file names.
        return {key: (page["body"], page["etag"], page["metadata"]) for key, page in found["site"].items()}

    assert pages(after) == pages(before)
    assert (after["uploads"], after["tables"]) == (before["uploads"], before["tables"])
    assert invalidated == []
    assert json.loads((site_dir / STATE_DIR / "state.json").read_text()) == {"format": 3}
    assert again == after


def test_state_from_another_version_is_refused(tmp_path: Path, clean_environment):
    site_dir = tmp_path / "site"
    (site_dir / STATE_DIR).mkdir(parents=True)
    (site_dir / STATE_DIR / "state.json").write_text(json.dumps({"format": 99}))

    with pytest.raises(ValueError, match="another version of pressrun"), LocalSite(site_dir, SITE_URL):
        pass


def stored_objects(site: LocalSite, bucket: str) -> dict[str, StoredKey]:
    objects = {
        key: versions[-1] for key, versions in s3_backends[ACCOUNT]["aws"].buckets[bucket].keys.lists()
    }
    assert all(isinstance(obj, StoredKey) for obj in objects.values()), "restored lazily"
    return objects


def stored_items(table: str) -> list[StoredItem]:
    items: Any = dynamodb_backends[ACCOUNT][REGION].tables[table].items
    found = [
        item for value in items.values() for item in (value.values() if isinstance(value, dict) else [value])
    ]
    assert all(isinstance(item, StoredItem) for item in found), "restored lazily"
    return found


def test_restore_reads_no_page_upload_or_item_until_it_is_used(tmp_path: Path, clean_environment):
    site_dir = tmp_path / "site"
    before = published_site(site_dir)

    with LocalSite(site_dir, SITE_URL) as site:
        pages, uploaded = stored_objects(site, site.site_bucket), stored_objects(site, site.uploads_bucket)
        articles = stored_items(ARTICLES_TABLE)
        read_at_restore = [key for key, obj in {**pages, **uploaded}.items() if obj.body_loaded]
        items_read_at_restore = [item for item in articles if not item.pristine]

        body = site.stack.client("s3").get_object(Bucket=site.site_bucket, Key="index.html")["Body"].read()
        site.stack.client("dynamodb").get_item(
            TableName=ARTICLES_TABLE, Key={"source_key": {"S": f"incoming/{SAMPLE.name}"}}
        )

        assert read_at_restore == []
        assert items_read_at_restore == []
        assert body == before["site"]["index.html"]["body"]
        assert [key for key, obj in pages.items() if obj.body_loaded] == ["index.html"]
        assert [item.hash_key.value for item in articles if not item.pristine] == [f"incoming/{SAMPLE.name}"]


def item_rows(site_dir: Path) -> dict[tuple[str, str, str], int]:
    database = sqlite3.connect(site_dir / STATE_DIR / "state.db")
    rows = {
        (table, hash_, range_): row
        for table, hash_, range_, row in database.execute("SELECT tbl, hash, range, rowid FROM item")
    }
    database.close()
    return rows


def test_a_run_writes_only_the_items_it_changed(tmp_path: Path, clean_environment):
    site_dir = tmp_path / "site"
    published_site(site_dir)
    with LocalSite(site_dir, SITE_URL) as site:
        for day in range(10):
            site.upload(f"old-{day}.md", story(f"Old story {day}", "Arts", day=10 + day))
        site.drain()
    before = item_rows(site_dir)

    with LocalSite(site_dir, SITE_URL) as site:
        site.upload("new.md", story("New story", "Science", day=28))
        site.drain()
    after = item_rows(site_dir)

    kept = {key for key, row in before.items() if after.get(key) == row}
    rewritten = before.keys() - kept
    assert len(before) > 40
    assert ("ArticlesTable", "incoming/old-3.md", "") in kept
    # The new story's article and slug, and the listings it joins: not the other stories' rows.
    assert not any(key[1].startswith("incoming/old-") for key in rewritten if key[0] != "IndexTable")
    assert len(rewritten) <= 8, sorted(rewritten)


def test_what_a_restored_run_changes_the_next_run_finds(tmp_path: Path, clean_environment):
    site_dir = tmp_path / "site"
    published_site(site_dir)
    with LocalSite(site_dir, SITE_URL) as site:
        site.upload("third.md", story("Third story", "Science", day=27))
        assert site.remove("second.md")
        site.upload(SAMPLE.name, SAMPLE.read_bytes().replace(b"\n\n", b"\n\nAn added line.\n\n", 1))
        site.drain()
        left = everything(site)

    with LocalSite(site_dir, SITE_URL) as site:
        found = everything(site)
        site.drain()
        invalidated = site.invalidated_paths()

    assert found == left
    assert invalidated == []
    assert "2025/06/26/second-story-edited/index.html" not in found["site"]
    assert "2025/06/27/third-story/index.html" in found["site"]


def test_files_added_by_hand_are_found_in_new_and_existing_folders(tmp_path: Path, clean_environment):
    site_dir = tmp_path / "site"
    published_site(site_dir)
    (site_dir / "2025/06/26/second-story-edited/notes.html").write_bytes(b"<p>notes</p>")
    (site_dir / "extra/deeper").mkdir(parents=True)
    (site_dir / "extra/deeper/page.html").write_bytes(b"<p>page</p>")
    (site_dir / "category/world/index.html").unlink()

    with LocalSite(site_dir, SITE_URL) as site:
        keys = set(site_objects(site))

    assert {"2025/06/26/second-story-edited/notes.html", "extra/deeper/page.html"} <= keys
    assert "category/world/index.html" not in keys
    with LocalSite(site_dir, SITE_URL) as site:
        assert set(site_objects(site)) == keys
