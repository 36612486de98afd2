from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pressrun.index import MAX_ACTIONS, MAX_CATEGORIES, SITE_LISTING, plan_index_update, update_index
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


def story(key: str, hour: int, *categories: str) -> ArticleRecord:
    slug = key.removeprefix("incoming/").removesuffix(".md")
    return record(*categories).model_copy(
        update={
            "source_key": key,
            "slug": slug,
            "path": f"/2025/06/25/{slug}/",
            "published_at": datetime(2025, 6, 25, hour, tzinfo=ZoneInfo("Europe/London")),
        }
    )


def test_a_categorys_heading_does_not_depend_on_which_story_arrived_first():
    # GIVEN two stories that spell one section two ways, the accented one newer
    older, newer = story("incoming/a.md", 9, "Economie"), story("incoming/b.md", 10, "Économie")
    headings = []
    # WHEN they arrive in either order
    for arrival in ([older, newer], [newer, older]):
        index = MemoryIndex()
        for each in arrival:
            update_index(None, each, index)
        headings.append(index.summaries()["category/economie"].name)
    # THEN the heading is the newest story's spelling both times
    assert headings == ["Économie", "Économie"]


def test_a_story_recorded_under_looser_limits_is_listed_in_its_first_sections_in_one_transaction():
    # GIVEN a record from before the limits (every section a listing since): sixty sections
    index = MemoryIndex()
    sprawling = record(*(f"Section {number:02}" for number in range(60)))

    update = update_index(None, sprawling, index)

    # THEN it joins the site listing and its first five sections, within one transaction
    assert listings(index) == {SITE_LISTING, *(f"category/section-{n:02}" for n in range(MAX_CATEGORIES))}
    assert update.actions <= MAX_ACTIONS
