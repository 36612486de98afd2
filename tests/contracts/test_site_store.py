"""The site bucket: identical bytes are never rewritten, and every write says what it did."""

from __future__ import annotations

import hashlib

from tests.contracts.conftest import SiteHarness

HTML = "text/html; charset=utf-8"
KEY = "2025/06/25/story/index.html"


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def test_a_new_object_is_created_with_the_digest_of_its_bytes(site: SiteHarness):
    written = site.store.put(KEY, b"<p>one</p>", HTML)

    assert written is not None
    assert (written.key, written.kind, written.digest) == (KEY, "created", sha256(b"<p>one</p>"))
    assert site.read(KEY) == b"<p>one</p>"


def test_a_first_write_creates_the_object(site: SiteHarness):
    written = site.store.put(KEY, b"<p>one</p>", HTML, first_write=True)

    assert written is not None
    assert written.kind == "created"
    assert site.read(KEY) == b"<p>one</p>"


def test_identical_bytes_are_not_written_again(site: SiteHarness):
    site.store.put(KEY, b"<p>one</p>", HTML)

    assert site.store.put(KEY, b"<p>one</p>", HTML) is None
    assert site.read(KEY) == b"<p>one</p>"


def test_other_bytes_overwrite_the_object(site: SiteHarness):
    site.store.put(KEY, b"<p>one</p>", HTML)

    written = site.store.put(KEY, b"<p>two</p>", HTML)

    assert written is not None
    assert (written.kind, written.digest) == ("overwritten", sha256(b"<p>two</p>"))
    assert site.read(KEY) == b"<p>two</p>"


def test_deleting_says_what_was_removed_and_deleting_nothing_says_none(site: SiteHarness):
    site.store.put(KEY, b"<p>one</p>", HTML)

    removed = site.store.delete(KEY)

    assert removed is not None
    assert (removed.key, removed.kind, removed.digest) == (KEY, "deleted", sha256(b"<p>one</p>"))
    assert site.read(KEY) is None
    assert site.store.delete(KEY) is None


def test_writing_after_deleting_creates_again(site: SiteHarness):
    site.store.put(KEY, b"<p>one</p>", HTML)
    site.store.delete(KEY)

    written = site.store.put(KEY, b"<p>one</p>", HTML)

    assert written is not None
    assert written.kind == "created"


def test_put_many_writes_only_what_changed(site: SiteHarness):
    site.store.put("category/world/index.html", b"same", HTML)
    site.store.put("category/world/page/1/index.html", b"old", HTML)
    pages = {
        "category/world/index.html": (b"same", HTML),
        "category/world/page/1/index.html": (b"new", HTML),
        "category/world/page/2/index.html": (b"added", HTML),
    }

    written = site.store.put_many(pages)

    assert {(w.key, w.kind) for w in written} == {
        ("category/world/page/1/index.html", "overwritten"),
        ("category/world/page/2/index.html", "created"),
    }
    assert site.read("category/world/page/2/index.html") == b"added"


def test_put_many_with_folders_named_writes_the_same(site: SiteHarness):
    site.store.put("2025/06/25/a/index.html", b"a", HTML)
    pages = {"2025/06/25/a/index.html": (b"a2", HTML), "2025/06/26/b/index.html": (b"b", HTML)}

    written = site.store.put_many(pages, folders=["2025/06/25", "2025/06/26"])

    assert {(w.key, w.kind) for w in written} == {
        ("2025/06/25/a/index.html", "overwritten"),
        ("2025/06/26/b/index.html", "created"),
    }


def test_reading_gives_what_was_written_and_none_once_deleted(site: SiteHarness):
    assert site.store.read(KEY) is None

    site.store.put(KEY, b"<p>one</p>", HTML)
    assert site.store.read(KEY) == b"<p>one</p>"

    site.store.put(KEY, b"<p>two</p>", HTML)
    assert site.store.read(KEY) == b"<p>two</p>"

    site.store.delete(KEY)
    assert site.store.read(KEY) is None
