"""The local state round trip: what one run leaves in the buckets and tables, the next run finds."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from pressrun.local.site import ARTICLES_TABLE, SLUGS_TABLE, LocalSite
from pressrun.local.state import STATE_DIR
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


def test_state_written_by_the_previous_format_is_read(tmp_path: Path, clean_environment):
    site_dir = tmp_path / "site"
    before = published_site(site_dir)
    # What the previous version wrote: the uploads' bytes in the JSON, nothing about site objects.
    folder = site_dir / STATE_DIR
    state = json.loads((folder / "state.json").read_text())
    for upload in state["uploads"]:
        upload["data"] = base64.b64encode((folder / "uploads" / upload.pop("blob")).read_bytes()).decode()
    del state["site"]
    state["format"] = 1
    (folder / "state.json").write_text(json.dumps(state))
    for blob in (folder / "uploads").iterdir():
        blob.unlink()
    os.rmdir(folder / "uploads")

    with LocalSite(site_dir, SITE_URL) as site:
        after = everything(site)
        site.drain()
        invalidated = site.invalidated_paths()

    def pages(found: dict[str, Any]) -> dict[str, Any]:
        # The previous format kept no content types: those go back as guessed from the file names.
        return {key: (page["body"], page["etag"], page["metadata"]) for key, page in found["site"].items()}

    assert pages(after) == pages(before)
    assert (after["uploads"], after["tables"]) == (before["uploads"], before["tables"])
    assert invalidated == []
    assert json.loads((folder / "state.json").read_text())["format"] == 2


def test_state_from_another_version_is_refused(tmp_path: Path, clean_environment):
    site_dir = tmp_path / "site"
    (site_dir / STATE_DIR).mkdir(parents=True)
    (site_dir / STATE_DIR / "state.json").write_text(json.dumps({"format": 99}))

    with pytest.raises(ValueError, match="another version of pressrun"), LocalSite(site_dir, SITE_URL):
        pass
