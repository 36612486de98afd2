from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from pressrun.index import ListingEntry, position_of, update_index
from pressrun.listings import refresh_listings
from pressrun.model import ArticleRecord, SiteWrite
from pressrun.pages import SourceMissing, apply_article_change
from pressrun.settings import SiteSettings
from tests.fakes import MemoryArticles, MemoryIndex, MemorySite, MemoryUploads
from tests.unit.test_index import record
from tests.unit.test_index import story as story_in

SITE = SiteSettings()
PAGE = "2025/06/25/t/index.html"
POSITION = "2025-06-24T23:00:00Z#incoming/story.md"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


STORY = b"---\ntitle: UK Seeks Trade Ties with China\ndate: 2025-06-25\ncategories: [Economics]\n---\nBody.\n"


def uploads_with_sample() -> MemoryUploads:
    uploads = MemoryUploads()
    uploads.add("incoming/story.md", STORY)
    return uploads


def tables_holding(*records: ArticleRecord) -> MemoryArticles:
    """The articles table as the records' saves left it: each record current, holding its slug."""
    articles = MemoryArticles()
    for each in records:
        articles.save(each, articles.current(each.source_key))
    return articles


def test_live_article_gets_its_page_rendered_from_the_recorded_version():
    site = MemorySite()
    live = record("Economics")

    changed = apply_article_change(None, live, uploads_with_sample(), tables_holding(live), site, SITE)

    # The page is rendered from the upload; its path comes from the record's path.
    assert [write.key for write in changed] == [PAGE]
    assert b"UK Seeks Trade Ties with China" in site.objects[PAGE]


def test_same_version_twice_writes_the_page_once():
    site, uploads, live = MemorySite(), uploads_with_sample(), record("Economics")
    articles = tables_holding(live)
    apply_article_change(None, live, uploads, articles, site, SITE)

    assert apply_article_change(live, live, uploads, articles, site, SITE) == []
    # The page and its feed item, once each.
    assert site.writes == 2


def test_removal_deletes_the_page():
    site, uploads, live = MemorySite(), uploads_with_sample(), record("Economics")
    apply_article_change(None, live, uploads, tables_holding(live), site, SITE)
    removed = record(status="removed", sequencer="02")

    changed = apply_article_change(live, removed, uploads, tables_holding(live, removed), site, SITE)

    assert [(write.key, write.kind) for write in changed] == [(PAGE, "deleted")]
    assert site.objects == {}


def test_moved_article_leaves_no_page_at_its_old_path():
    site, uploads, old = MemorySite(), uploads_with_sample(), record("Economics")
    apply_article_change(None, old, uploads, tables_holding(old), site, SITE)
    moved = old.model_copy(update={"path": "/2025/06/26/t/", "sequencer": "02"})

    apply_article_change(old, moved, uploads, tables_holding(old, moved), site, SITE)

    assert set(site.objects) == {"2025/06/26/t/index.html", "2025/06/26/t/feed-item.json"}


def renamed_pair() -> tuple[ArticleRecord, ArticleRecord, ArticleRecord, MemoryArticles, MemoryUploads]:
    """a.md published at /2025/06/25/t/; then b.md, the same story under a new name, took the slug
    over when a.md was deleted: a rename (copy, then delete). Returns a, a removed, b, the tables."""
    uploads = uploads_with_sample()
    uploads.add("incoming/a.md", STORY)
    uploads.add("incoming/b.md", STORY)
    a = record("Economics").model_copy(update={"source_key": "incoming/a.md"})
    a_removed = ArticleRecord(source_key="incoming/a.md", sequencer="02", status="removed")
    b = a.model_copy(update={"source_key": "incoming/b.md", "source_version": "v1"})
    return a, a_removed, b, tables_holding(a, a_removed, b), uploads


def test_a_rename_whose_removal_arrives_last_keeps_the_successors_page():
    # GIVEN a rename: b.md took over a.md's address when a.md was deleted
    a, a_removed, b, articles, uploads = renamed_pair()
    site = MemorySite()
    apply_article_change(None, a, uploads, tables_holding(a), site, SITE)
    # WHEN the two stream records, on different shards, arrive b's first, then a's removal
    apply_article_change(None, b, uploads, articles, site, SITE)
    apply_article_change(a, a_removed, uploads, articles, site, SITE)
    # THEN the story is still up, as b.md's page
    assert PAGE in site.objects
    assert articles.slug_holder("t") == "incoming/b.md"


def test_a_rename_whose_removal_arrives_first_ends_with_the_successors_page():
    a, a_removed, b, articles, uploads = renamed_pair()
    site = MemorySite()
    apply_article_change(None, a, uploads, tables_holding(a), site, SITE)

    apply_article_change(a, a_removed, uploads, articles, site, SITE)
    apply_article_change(None, b, uploads, articles, site, SITE)

    assert PAGE in site.objects


class OvertakingSite(MemorySite):
    """A site store whose first write is overtaken: while it writes, a newer version is saved, as a
    concurrent delivery on another shard would."""

    def __init__(self, overtake: Callable[[], None]) -> None:
        super().__init__()
        self.overtake: Callable[[], None] | None = overtake

    def put(self, key: str, body: bytes, content_type: str, *, first_write: bool = False) -> SiteWrite | None:
        written = super().put(key, body, content_type, first_write=first_write)
        if self.overtake is not None:
            overtake, self.overtake = self.overtake, None
            overtake()
        return written


def test_a_page_render_overtaken_by_a_newer_version_settles_on_the_newer_page():
    uploads = uploads_with_sample()
    newer_story = STORY.replace(b"UK Seeks", b"Britain Seeks")
    uploads.add("incoming/story.md", newer_story, version_id="v2")
    first = record("Economics")
    newer = first.model_copy(update={"source_version": "v2", "sequencer": "02"})
    articles = tables_holding(first)
    site = OvertakingSite(lambda: articles.save(newer, first))

    apply_article_change(None, first, uploads, articles, site, SITE)

    assert b"Britain Seeks" in site.objects[PAGE]


def test_missing_source_version_is_an_error_to_retry_not_a_silent_skip():
    live = record("Economics")
    with pytest.raises(SourceMissing):
        apply_article_change(None, live, MemoryUploads(), tables_holding(live), MemorySite(), SITE)


def test_listings_render_category_home_feed_and_sitemap_then_nothing_when_unchanged():
    index, site = MemoryIndex(), MemorySite()
    update_index(None, record("Economics"), index)

    changes = {"site": [POSITION], "category/economics": [POSITION]}

    changed = [write.key for write in refresh_listings(changes, index, site, SITE, NOW).changed]

    assert set(changed) == {
        "category/economics/index.html",
        "category/economics/feed.xml",
        # A section made: the sitemap of listings names it.
        "sitemap-listings.xml",
        "category/economics/feed.json",
        "index.html",
        "feed.xml",
        "feed.json",
        "sitemap.xml",
        "news-sitemap.xml",
        "robots.txt",
        "404.html",
        "style.css",
        "logo.png",
    }
    assert refresh_listings(changes, index, site, SITE, NOW).changed == []


def test_emptied_category_loses_its_page():
    index, site = MemoryIndex(), MemorySite()
    update_index(None, record("Economics"), index)
    refresh_listings({"category/economics": [POSITION]}, index, site, SITE, NOW)
    update_index(record("Economics"), record("Politics", sequencer="02"), index)

    changes = {"category/economics": [POSITION], "category/politics": [POSITION]}
    changed = [write.key for write in refresh_listings(changes, index, site, SITE, NOW).changed]

    assert set(changed) == {
        "category/economics/index.html",
        "category/economics/feed.xml",
        "category/economics/feed.json",
        "category/politics/index.html",
        "category/politics/feed.xml",
        "category/politics/feed.json",
        "sitemap-listings.xml",
    }
    assert "category/economics/index.html" not in site.objects
    listed = site.objects["sitemap-listings.xml"].decode()
    assert "/category/politics/</loc>" in listed
    assert "/category/economics/" not in listed


def numbered(
    count: int, first: int = 0, day_of: Callable[[int], int] = lambda n: n + 1
) -> list[ArticleRecord]:
    records = []
    for number in range(first, first + count):
        day = day_of(number)
        records.append(
            record("World").model_copy(
                update={
                    "source_key": f"incoming/{number}.md",
                    "slug": f"story-{number}",
                    "title": f"Story {number}",
                    "path": f"/2025/01/{day:02}/story-{number}/",
                    "published_at": datetime(2025, 1, day, tzinfo=UTC),
                }
            )
        )
    return records


def titles_on(site: MemorySite, key: str) -> list[str]:
    return re.findall(r">(Story \d+)</a>", site.objects[key].decode())


def test_a_backdated_article_reshuffles_the_pages_from_its_own_on():
    # GIVEN 12 stories two days apart, pages of 5: page 1 holds the oldest 5, the front the newest 7
    small = SiteSettings(listing_size=5)
    index, site = MemoryIndex(), MemorySite()
    for story in numbered(12, day_of=lambda n: 2 * n + 2):
        update_index(None, story, index)
    refresh_listings({"category/world": ["0"]}, index, site, small, NOW)
    assert titles_on(site, "category/world/page/1/index.html") == [f"Story {n}" for n in (4, 3, 2, 1, 0)]
    (backdated,) = numbered(1, first=99, day_of=lambda n: 7)

    # WHEN a story dated between the third and the fourth joins
    update_index(None, backdated, index)
    position = position_of(backdated.published_at, backdated.source_key)  # type: ignore[arg-type]
    changed = [
        write.key
        for write in refresh_listings({"category/world": [position]}, index, site, small, NOW).changed
    ]

    # THEN page 1 takes it and gives its newest to the front page; the feed's newest five are the same
    assert set(changed) == {"category/world/page/1/index.html", "category/world/index.html"}
    assert titles_on(site, "category/world/page/1/index.html") == [
        "Story 3",
        "Story 99",
        "Story 2",
        "Story 1",
        "Story 0",
    ]
    assert titles_on(site, "category/world/index.html") == [f"Story {n}" for n in range(11, 3, -1)]


def test_a_listing_that_fails_leaves_the_others_written():
    index = MemoryIndex()
    update_index(None, record("Economics"), index)

    class FailingOnHome(MemorySite):
        def put_many(
            self, pages: dict[str, tuple[bytes, str]], folders: Iterable[str] | None = None
        ) -> list[SiteWrite]:
            if "index.html" in pages:
                raise ConnectionError("S3 503")
            return super().put_many(pages, folders)

    flaky = FailingOnHome()
    refreshed = refresh_listings(
        {"site": [POSITION], "category/economics": [POSITION]}, index, flaky, SITE, NOW
    )

    assert list(refreshed.failed) == ["site"]
    assert "category/economics/index.html" in [write.key for write in refreshed.changed]
    assert "category/economics/index.html" in flaky.objects


@dataclass
class CountingIndex(MemoryIndex):
    """Counts the queries the listings make and the entries they read, which is what a DynamoDB
    query is billed and paged by."""

    read: int = 0
    positions_read: int = 0
    queried: list[str] = field(default_factory=list)

    def entries(
        self,
        listing: str,
        limit: int | None = None,
        since: str | None = None,
        oldest_first: bool = False,
        before: str | None = None,
    ) -> list[ListingEntry]:
        found = super().entries(listing, limit=limit, since=since, oldest_first=oldest_first, before=before)
        self.read += len(found)
        self.queried.append(listing)
        return found

    def positions(self, listing: str, since: str) -> list[str]:
        found = super().positions(listing, since)
        self.positions_read += len(found)
        self.queried.append(listing)
        return found


def indexed_past_the_sitemap_limit(index: MemoryIndex) -> tuple[list[ArticleRecord], SiteSettings]:
    """23 daily stories in an index whose sitemaps hold 5 URLs each, and those settings."""
    stories = numbered(23, day_of=lambda n: n + 2)
    for story in stories:
        update_index(None, story, index)
    return stories, SiteSettings(listing_size=2, sitemap_size=5)


def sitemap_locations(site: MemorySite) -> list[str]:
    return [
        location
        for key, body in sorted(site.objects.items())
        if key.startswith("sitemap-")
        for location in re.findall(r"<loc>[^<]*(/2025/[^<]+)</loc>", body.decode())
    ]


def publish_one_more_into(size: int) -> tuple[int, list[str]]:
    """(entries read, keys written) when one newer story joins a site of `size` stories."""
    settings = SiteSettings(listing_size=2, sitemap_size=5)
    index, site = CountingIndex(), MemorySite()
    stories = [
        story.model_copy(update={"published_at": datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=number)})
        for number, story in enumerate(numbered(size + 1, day_of=lambda n: 1))
    ]
    for story in stories[:size]:
        update_index(None, story, index)
    refresh_listings({"site": ["0"]}, index, site, settings, NOW)
    update_index(None, stories[size], index)
    index.read = 0
    position = position_of(stories[size].published_at, stories[size].source_key)  # type: ignore[arg-type]
    changed = [
        write.key for write in refresh_listings({"site": [position]}, index, site, settings, NOW).changed
    ]
    assert sorted(sitemap_locations(site)) == sorted(story.path for story in stories)
    return index.read, changed


def test_past_the_sitemap_limit_one_more_story_reads_and_rewrites_the_same_whatever_the_site_size():
    small_read, small_changed = publish_one_more_into(23)
    large_read, large_changed = publish_one_more_into(230)

    assert {key for key in small_changed if "sitemap" in key} == {"sitemap-5.xml", "sitemap.xml"}
    assert {key for key in large_changed if "sitemap" in key} == {"sitemap-47.xml", "sitemap.xml"}
    assert large_read == small_read


def test_a_story_backdated_far_reads_whole_entries_only_from_its_own_page_on():
    index, site = CountingIndex(), MemorySite()
    stories, settings = indexed_past_the_sitemap_limit(index)
    refresh_listings({"site": ["0"]}, index, site, settings, NOW)
    (backdated,) = numbered(1, first=99, day_of=lambda n: 3)
    update_index(None, backdated, index)
    index.read = index.positions_read = 0

    position = position_of(backdated.published_at, backdated.source_key)  # type: ignore[arg-type]
    refresh_listings({"site": [position]}, index, site, settings, NOW)

    # It ranks by the positions from its own on (22 of 24); whole entries are read for the front (two
    # listing pages) and for the sitemap files from its own on, which here is every one of the 24.
    assert index.positions_read == 22
    assert index.read == 2 * settings.listing_size + 24
    assert sorted(sitemap_locations(site)) == sorted(story.path for story in [*stories, backdated])


def test_a_backdated_story_reshuffles_the_sitemaps_from_its_own_on_and_lists_every_story_once():
    index, site = MemoryIndex(), MemorySite()
    stories, settings = indexed_past_the_sitemap_limit(index)
    refresh_listings({"site": ["0"]}, index, site, settings, NOW)
    (backdated,) = numbered(1, first=99, day_of=lambda n: 8)

    update_index(None, backdated, index)
    position = position_of(backdated.published_at, backdated.source_key)  # type: ignore[arg-type]
    changed = [
        write.key for write in refresh_listings({"site": [position]}, index, site, settings, NOW).changed
    ]

    assert {key for key in changed if key.startswith("sitemap-")} == {
        f"sitemap-{n}.xml" for n in (2, 3, 4, 5)
    }
    assert sorted(sitemap_locations(site)) == sorted(story.path for story in [*stories, backdated])


def test_past_the_sitemap_limit_the_site_listings_take_one_query_when_nothing_is_recent():
    index, site = CountingIndex(), MemorySite()
    stories, settings = indexed_past_the_sitemap_limit(index)
    last = stories[-1]
    position = position_of(last.published_at, last.source_key)  # type: ignore[arg-type]

    refresh_listings({"site": [position]}, index, site, settings, NOW)

    assert index.queried == ["site"]
    assert b"<url>" not in site.objects["news-sitemap.xml"]


class OvertakingListings(MemorySite):
    """A site store whose first listing write is overtaken: while the category's pages are written,
    another story joins the category, as a render on another stream shard would see."""

    def __init__(self, overtake: Callable[[], None]) -> None:
        super().__init__()
        self.overtake: Callable[[], None] | None = overtake

    def put_many(
        self, pages: dict[str, tuple[bytes, str]], folders: Iterable[str] | None = None
    ) -> list[SiteWrite]:
        if self.overtake is not None:
            overtake, self.overtake = self.overtake, None
            overtake()
        return super().put_many(pages, folders)


def test_a_listing_render_overtaken_by_another_story_settles_on_what_the_index_holds_now():
    # GIVEN one story in World, and another that joins World while World's pages are being written
    index = MemoryIndex()
    first = story_in("incoming/a.md", 9, "World")
    update_index(None, first, index)
    second = story_in("incoming/b.md", 10, "World")
    site = OvertakingListings(lambda: update_index(None, second, index))
    # WHEN the first story's change is rendered
    refresh_listings(
        {"category/world": [position_of(first.published_at, first.source_key)]}, index, site, SITE, NOW
    )  # type: ignore[arg-type]
    # THEN the category page lists both: the stale render was noticed and done again
    page = site.objects["category/world/index.html"].decode()
    assert "/2025/06/25/a/" in page
    assert "/2025/06/25/b/" in page
