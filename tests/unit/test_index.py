from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pressrun.index import SITE_LISTING, plan_index_update, update_index
from pressrun.model import ArticleRecord, Category
from tests.fakes import MemoryIndex


def record(
    *categories: str, status: str = "published", title: str = "T", sequencer: str = "01"
) -> ArticleRecord:
    return ArticleRecord(
        source_key="incoming/story.md",
        source_version="v1",
        sequencer=sequencer,
        status=status,
        title=title,
        slug="t",
        path="/2025/06/25/t/",
        published_at=datetime(2025, 6, 25, tzinfo=ZoneInfo("Europe/London")),
        categories=tuple(Category.named(name) for name in categories),
        summary="S",
    )


def listings(index: MemoryIndex) -> set[str]:
    return {listing for listing, _ in index.items}


def test_new_article_joins_its_categories_and_the_site_listing():
    index = MemoryIndex()

    update_index(None, record("Economics", "Politics"), index)

    assert listings(index) == {SITE_LISTING, "category/economics", "category/politics"}


def test_reupload_with_new_category_moves_article():
    index = MemoryIndex()
    update_index(None, record("Economics"), index)

    update_index(record("Economics"), record("Politics", sequencer="02"), index)

    assert listings(index) == {SITE_LISTING, "category/politics"}
    assert index.entries("category/economics") == []


def test_unchanged_listing_fields_write_nothing():
    update = plan_index_update(record("Economics"), record("Economics", sequencer="02"))

    assert not update


def test_title_change_rewrites_each_entry_in_place():
    update = plan_index_update(record("Economics"), record("Economics", title="New", sequencer="02"))

    assert {entry.listing for entry in update.put} == {SITE_LISTING, "category/economics"}
    assert update.delete == []


def test_removed_or_draft_article_leaves_every_listing():
    index = MemoryIndex()
    update_index(None, record("Economics"), index)

    update_index(record("Economics"), record("Economics", status="removed"), index)

    assert index.items == {}
    assert not plan_index_update(None, record("Economics", status="draft"))
