"""A publish costs the same whatever the size of the site: the calls each port gets (each one AWS call
on the AWS adapters, with the reads bounded as counted here) for a story with three authors, five
tags and two sections, into a site of 100 stories and into one of 10,000.
tests/integration/test_emulated_costs.py counts the AWS calls themselves, on the emulated stack."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pressrun.feeds import FeedItem
from pressrun.follow import follow_article_change
from pressrun.index import IndexUpdate, ListingEntry, update_index
from pressrun.ingest import Change, Upload, accept_upload
from pressrun.listings import refresh_listings, refresh_listings_sitemap
from pressrun.model import ArticleRecord, Category
from pressrun.settings import SiteSettings
from pressrun.urls import absolute, feed_item_key
from tests.fakes import (
    MemoryArticles,
    MemoryIndex,
    MemoryRedirects,
    MemorySite,
    MemoryUploads,
    RecordingAlerts,
    RecordingScheduler,
)

SITE = SiteSettings(site_url="https://news.example.org")
NOW = datetime(2026, 1, 1, tzinfo=UTC)
SECTIONS = ("World", "Politics", "Sport", "Business", "Culture")
TAGS = tuple(f"Tag {n}" for n in range(40))
AUTHORS = tuple(f"Writer {n}" for n in range(12))
STORY = (
    "---\ntitle: Council Votes on the Budget\ndate: 2025-12-31T18:00:00+00:00\n"
    "categories: [Politics, Business]\ntags: [Tag 1, Tag 2, Tag 3, Tag 4, Tag 5]\n"
    "authors: [Writer 1, Writer 2, Writer 3]\n---\nA paragraph.\n"
)
# Port calls for one publish, listing pages included (docs/architecture.md, "What a publish costs").
# It was 62 before full-content feeds: the story's feed item is written beside its page (a put), and
# each of the 11 feeds it joins takes its other items from its JSON twin as last written (a read each),
# with the new story's item read once for all of them. Redirects add one read: whether the story's
# address was a redirect's source, which its publication removes.
# The story's page names the sections in use in its header: one query of their summaries, and one
# read of the site's summary after the page is written (whether another set was noted meanwhile).
PORT_CALL_BUDGET = 78
# Listing entries read: the newest sitemap file (up to SITEMAP_SIZE entries, however large the archive)
# and a few pages' worth for each listing and the related stories (queries are paged by what they read).
ENTRY_READ_BUDGET = SITE.sitemap_size + 400


def earlier_story(number: int) -> ArticleRecord:
    return ArticleRecord(
        source_key=f"incoming/story-{number}.md",
        source_version="v1",
        sequencer="01",
        status="published",
        title=f"Story {number}",
        slug=f"story-{number}",
        path=f"/2025/01/01/story-{number}/",
        published_at=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=number),
        categories=(Category.named(SECTIONS[number % 5]), Category.named(SECTIONS[(number + 1) % 5])),
        tags=tuple(TAGS[(number + k) % len(TAGS)] for k in range(5)),
        authors=tuple(AUTHORS[(number + k) % len(AUTHORS)] for k in range(3)),
        summary="S",
        content_hash=f"hash-{number}",
    )


def feed_item_of(story: ArticleRecord) -> bytes:
    assert story.published_at is not None
    return (
        FeedItem(
            url=absolute(SITE.site_url, story.path),
            title=story.title,
            summary=story.summary,
            content_html="<p>A paragraph.</p>",
            published_at=story.published_at,
            updated_at=story.published_at,
            authors=story.authors,
            categories=story.categories,
            tags=story.tags,
            rendered_from=story.rendered_from,
        )
        .model_dump_json()
        .encode()
    )


@dataclass
class Counted:
    """A port that counts the calls it gets, and the listing entries they return."""

    port: Any
    name: str
    calls: Counter[str]
    entries_read: list[int] = field(default_factory=lambda: [0])

    def __getattr__(self, method: str) -> Any:
        target = getattr(self.port, method)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[f"{self.name}.{method}"] += 1
            result = target(*args, **kwargs)
            if isinstance(result, list) and result and isinstance(result[0], ListingEntry):
                self.entries_read[0] += len(result)
            return result

        return call


def publish_into_a_site_of(size: int) -> tuple[Counter[str], int]:
    articles, index, uploads, pages = MemoryArticles(), MemoryIndex(), MemoryUploads(), MemorySite()
    for number in range(size):
        story = earlier_story(number)
        articles.records[story.source_key] = story
        # Its feed item, as its page's render writes it beside the page (the feeds read it).
        pages.objects[feed_item_key(story.path)] = feed_item_of(story)
        update_index(None, story, index)
    refresh_listings({listing: ["0"] for listing, _ in index.items}, index, pages, SITE, NOW)
    uploads.add("incoming/council.md", STORY.encode(), version_id="v9")

    calls: Counter[str] = Counter()
    counted_index = Counted(index, "index", calls)
    ports = {
        "uploads": Counted(uploads, "uploads", calls),
        "articles": Counted(articles, "articles", calls),
        "site_store": Counted(pages, "site", calls),
    }
    upload = Upload(
        bucket="b",
        key="incoming/council.md",
        version_id="v9",
        sequencer="09",
        change=Change.CREATED,
        event_time=NOW,
    )
    accept_upload(upload, ports["uploads"], ports["articles"], SITE, RecordingAlerts(), NOW)
    record = articles.current("incoming/council.md")
    followed = follow_article_change(
        None,
        record,
        index=counted_index,
        scheduler=RecordingScheduler(),
        site=SITE,
        now=NOW,
        redirects=Counted(MemoryRedirects(), "redirects", calls),
        **ports,
    )
    # The listing renderer, as the index stream hands it the update's memberships.
    changes: dict[str, list[str]] = {}
    for entry in followed.index.put:
        changes.setdefault(entry.listing, []).append(entry.position)
    refreshed = refresh_listings(changes, counted_index, ports["site_store"], SITE, NOW)
    assert refreshed.failed == {}
    assert len(changes) == 3 + 5 + 2 + 1  # its authors, tags and sections, and the site's listing
    return calls, counted_index.entries_read[0]


@pytest.mark.parametrize("size", [10_000])
def test_a_story_with_three_authors_five_tags_and_two_sections_costs_the_same_in_a_site_of_100_or_10000(
    size: int,
):
    small_calls, small_entries = publish_into_a_site_of(100)
    large_calls, large_entries = publish_into_a_site_of(size)

    assert large_calls == small_calls
    assert sum(large_calls.values()) <= PORT_CALL_BUDGET, large_calls
    assert large_entries <= ENTRY_READ_BUDGET
    assert small_entries <= ENTRY_READ_BUDGET


def tagged(number: int) -> ListingEntry:
    return ListingEntry(
        listing=f"tag/topic-{number}",
        position=f"2025-01-01T00:00:00Z#incoming/story-{number}.md",
        source_key=f"incoming/story-{number}.md",
        title=f"Story {number}",
        path=f"/2025/01/01/story-{number}/",
        summary="S",
        published_at=datetime(2025, 1, 1, tzinfo=UTC),
        categories=(),
        listed_as=f"Topic {number}",
    )


def render_a_new_tag_in_a_site_of_listings(tags: int) -> tuple[Counter[str], MemorySite]:
    """The render of a tag no story had, into a site of `tags` other tags, every listing named by the
    listings sitemap: the render that places the tag in its file."""
    index, pages = MemoryIndex(), MemorySite()
    for number in range(tags):
        index.apply(IndexUpdate(put=[tagged(number)], added={tagged(number).key}))
    refresh_listings_sitemap(index, pages, SITE)
    newest = tagged(tags)
    index.apply(IndexUpdate(put=[newest], added={newest.key}))

    calls: Counter[str] = Counter()
    counted = Counted(index, "index", calls), Counted(pages, "site", calls)
    refreshed = refresh_listings({newest.listing: [newest.position]}, *counted, SITE, NOW)
    assert refreshed.failed == {}
    return calls, pages


def newest_listings_sitemap(pages: MemorySite) -> str:
    numbered = [key for key in pages.objects if key.startswith("sitemap-listings-")]
    return max(
        numbered, key=lambda key: int(key.split("-")[-1].split(".")[0]), default="sitemap-listings.xml"
    )


def test_a_new_listing_costs_the_same_in_a_site_of_100_listings_or_10000():
    # GIVEN sites of 100 and of 10,000 listings (one file of the listings sitemap, and eleven), each
    # WHEN a new tag's first story is rendered
    small, small_site = render_a_new_tag_in_a_site_of_listings(100)
    large, large_site = render_a_new_tag_in_a_site_of_listings(10_000)

    # THEN the new tag is named by the newest file of the listings sitemap
    assert "/tag/topic-100/" in small_site.objects[newest_listings_sitemap(small_site)].decode()
    assert "/tag/topic-10000/" in large_site.objects[newest_listings_sitemap(large_site)].decode()
    # AND the render costs the same port calls in both: one file read (and read again after writing,
    # to check), never every listing's name
    assert large == small
    assert large["index.listings_after"] == 0
    assert large["index.listings_sitemap_file"] == 2
