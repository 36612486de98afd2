from __future__ import annotations

import pytest

from pressrun.index import update_index
from pressrun.listings import refresh_listings
from pressrun.pages import SourceMissing, apply_article_change
from pressrun.settings import SiteSettings
from tests.fakes import MemoryIndex, MemorySite, MemoryUploads
from tests.unit.test_index import record

SITE = SiteSettings()
PAGE = "2025/06/25/t/index.html"


STORY = b"---\ntitle: UK Seeks Trade Ties with China\ndate: 2025-06-25\ncategories: [Economics]\n---\nBody.\n"


def uploads_with_sample() -> MemoryUploads:
    uploads = MemoryUploads()
    uploads.add("incoming/story.md", STORY)
    return uploads


def test_live_article_gets_its_page_rendered_from_the_recorded_version():
    site = MemorySite()
    live = record("Economics").model_copy(update={"slug": "t"})

    changed = apply_article_change(None, live, uploads_with_sample(), site, SITE)

    # The page is rendered from the upload; its path comes from the record's path.
    assert changed == [PAGE]
    assert b"UK Seeks Trade Ties with China" in site.objects[PAGE]


def test_same_version_twice_writes_the_page_once():
    site = MemorySite()
    uploads = uploads_with_sample()
    apply_article_change(None, record("Economics"), uploads, site, SITE)

    assert apply_article_change(record("Economics"), record("Economics"), uploads, site, SITE) == []
    assert site.writes == 1


def test_removal_deletes_the_page():
    site = MemorySite()
    uploads = uploads_with_sample()
    apply_article_change(None, record("Economics"), uploads, site, SITE)

    changed = apply_article_change(record("Economics"), record(status="removed"), uploads, site, SITE)

    assert changed == [PAGE]
    assert site.objects == {}


def test_moved_article_leaves_no_page_at_its_old_path():
    site = MemorySite()
    uploads = uploads_with_sample()
    old = record("Economics")
    apply_article_change(None, old, uploads, site, SITE)
    moved = old.model_copy(update={"path": "/2025/06/26/t/", "sequencer": "02"})

    apply_article_change(old, moved, uploads, site, SITE)

    assert set(site.objects) == {"2025/06/26/t/index.html"}


def test_missing_source_version_is_an_error_to_retry_not_a_silent_skip():
    with pytest.raises(SourceMissing):
        apply_article_change(None, record("Economics"), MemoryUploads(), MemorySite(), SITE)


def test_listings_render_category_home_feed_and_sitemap_then_nothing_when_unchanged():
    index, site = MemoryIndex(), MemorySite()
    update_index(None, record("Economics"), index)

    changed = refresh_listings({"site", "category/economics"}, index, site, SITE)

    assert set(changed) == {
        "category/economics/index.html",
        "index.html",
        "feed.xml",
        "sitemap.xml",
        "style.css",
    }
    assert refresh_listings({"site", "category/economics"}, index, site, SITE) == []


def test_emptied_category_loses_its_page():
    index, site = MemoryIndex(), MemorySite()
    update_index(None, record("Economics"), index)
    refresh_listings({"category/economics"}, index, site, SITE)
    update_index(record("Economics"), record("Politics", sequencer="02"), index)

    changed = refresh_listings({"category/economics", "category/politics"}, index, site, SITE)

    assert set(changed) == {"category/economics/index.html", "category/politics/index.html"}
    assert "category/economics/index.html" not in site.objects
