"""Authors and tags are listings like sections: their own stable pages and feed, their members
counted in the same transaction, their pages repaired by the sweep like a section's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from pressrun.index import update_index
from pressrun.listings import refresh_listings
from pressrun.model import ArticleRecord
from pressrun.settings import SiteSettings
from tests.fakes import MemoryIndex, MemorySite
from tests.unit.test_index import record
from tests.unit.test_pages import CountingIndex
from tests.unit.test_reconcile import Newsroom

SMALL = SiteSettings(listing_size=2, sitemap_size=100)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def story(
    number: int, tags: tuple[str, ...] = ("Budget",), authors: tuple[str, ...] = ("Ann Lee",)
) -> ArticleRecord:
    published = datetime(2025, 6, 1, tzinfo=UTC) + timedelta(hours=number)
    return record("Politics", title=f"Story {number}").model_copy(
        update={
            "source_key": f"incoming/story-{number}.md",
            "slug": f"story-{number}",
            "path": f"/2025/06/01/story-{number}/",
            "published_at": published,
            "tags": tags,
            "authors": authors,
        }
    )


def everything_changed(index: MemoryIndex) -> dict[str, list[str]]:
    return {listing: ["0"] for listing, _ in index.items}


def titles(site: MemorySite, key: str) -> list[str]:
    return re.findall(r'class="headline" href="[^"]+">(Story \d+)</a>', site.objects[key].decode())


def test_a_story_is_listed_under_each_tag_and_author_with_pages_and_a_feed_like_a_sections():
    index, site = MemoryIndex(), MemorySite()
    for number in range(5):
        update_index(None, story(number, authors=("Ann Lee", "Bo Ray")), index)

    refresh_listings(everything_changed(index), index, site, SMALL, NOW)

    for listing in ("tag/budget", "author/ann-lee", "author/bo-ray"):
        assert titles(site, f"{listing}/index.html") == ["Story 4", "Story 3", "Story 2"]
        assert titles(site, f"{listing}/page/1/index.html") == ["Story 1", "Story 0"]
        assert f"{listing}/feed.xml" in site.objects
    author = site.objects["author/ann-lee/index.html"].decode()
    assert '<h1><span class="kind">Author</span> Ann Lee</h1>' in author
    assert '<a href="/author/bo-ray/">Bo Ray</a>' in author


def test_a_listings_heading_is_its_newest_storys_spelling_and_a_new_one_reaches_every_numbered_page():
    # GIVEN a tag spelt "Budget" by five stories, with numbered pages
    index, site = MemoryIndex(), MemorySite()
    for number in range(5):
        update_index(None, story(number), index)
    refresh_listings(everything_changed(index), index, site, SMALL, NOW)
    assert index.summaries(["tag/budget"])["tag/budget"].pages_heading == "Budget"
    # WHEN a newer story spells it "budget"
    newer = story(9, tags=("budget",))
    update = update_index(None, newer, index)
    refresh_listings(
        {"tag/budget": [e.position for e in update.put if e.listing == "tag/budget"]}, index, site, SMALL, NOW
    )
    # THEN every page of the tag says so, numbered pages included, and the index notes it
    for page in ("index.html", "page/1/index.html", "page/2/index.html"):
        heading = re.search(r"<h1>(.*?)</h1>", site.objects[f"tag/budget/{page}"].decode())
        assert heading is not None
        assert "</span> budget" in heading.group(1)
    assert index.summaries(["tag/budget"])["tag/budget"].pages_heading == "budget"


def test_a_tag_left_by_its_last_story_loses_its_pages():
    index, site = MemoryIndex(), MemorySite()
    only = story(1, tags=("Rare",))
    update_index(None, only, index)
    refresh_listings(everything_changed(index), index, site, SMALL, NOW)
    assert "tag/rare/index.html" in site.objects

    update_index(only, only.model_copy(update={"tags": (), "sequencer": "02"}), index)
    refresh_listings({"tag/rare": ["0"]}, index, site, SMALL, NOW)

    assert not any(key.startswith("tag/rare/") for key in site.objects)


def publish_one_more_into(size: int) -> int:
    """The entries read to render a tag's and an author's pages when one more story joins them."""
    index = CountingIndex()
    site = MemorySite()
    for number in range(size):
        update_index(None, story(number), index)
    refresh_listings(everything_changed(index), index, site, SMALL, NOW)
    update = update_index(None, story(size), index)
    index.read = index.positions_read = 0
    changes = {e.listing: [e.position] for e in update.put if e.listing.startswith(("tag/", "author/"))}
    refresh_listings(changes, index, site, SMALL, NOW)
    return index.read + index.positions_read


def test_publishing_into_a_tag_and_an_author_reads_the_same_whatever_their_size():
    assert publish_one_more_into(40) == publish_one_more_into(400)


def tagged(number: int) -> bytes:
    return (
        f"---\ntitle: Story {number}\ndate: 2026-01-0{number % 9 + 1}T09:00:00Z\ncategories: [World]\n"
        f"tags: [Budget]\nauthor: Ann Lee\nslug: story-{number}\n---\nBody {number}.\n"
    ).encode()


def test_the_sweep_repairs_a_stale_numbered_page_of_a_tag_and_of_an_author():
    newsroom = Newsroom()
    for number in range(6):
        newsroom.render(newsroom.follow(newsroom.validate(newsroom.put(number, tagged(number)))))
    stale = ["tag/budget/page/1/index.html", "author/ann-lee/page/1/index.html"]
    for page in stale:
        newsroom.site.objects[page] = b"<p>stale</p>"

    report = newsroom.sweep()

    assert all(newsroom.site.objects[page] != b"<p>stale</p>" for page in stale)
    assert sorted(drift.subject for drift in report.drift) == sorted(stale)


def test_the_sweep_lists_a_story_under_a_tag_whose_index_change_was_lost():
    newsroom = Newsroom()
    newsroom.render(newsroom.follow(newsroom.validate(newsroom.put(1, tagged(1)))))
    # GIVEN story 2 recorded, its index change lost with its stream batch
    newsroom.validate(newsroom.put(2, tagged(2)))

    report = newsroom.sweep()

    assert [e.source_key for e in newsroom.index.entries("tag/budget")] == [
        "incoming/story-2.md",
        "incoming/story-1.md",
    ]
    assert "Story 2" in newsroom.site.objects["tag/budget/index.html"].decode()
    assert {drift.kind for drift in report.drift} >= {"index", "listing"}


def test_the_sweep_makes_an_earlier_releases_record_again_so_the_story_joins_its_tags_undated():
    # GIVEN a story recorded by an earlier release: no tags kept, one author, and listed accordingly
    newsroom = Newsroom()
    newsroom.render(newsroom.follow(newsroom.validate(newsroom.put(1, tagged(1)))))
    key = "incoming/story-1.md"
    current = newsroom.articles.records[key]
    legacy = ArticleRecord.model_validate(
        current.model_dump(exclude={"tags", "authors", "format"})
        | {"author": "Ann Lee", "content_hash": "old"}
    )
    newsroom.articles.records[key] = legacy
    for listing, position in list(newsroom.index.items):
        if listing.startswith(("tag/", "author/")):
            del newsroom.index.items[(listing, position)]
            del newsroom.index.summary_items[listing]
    assert legacy.authors == ("Ann Lee",)

    report = newsroom.sweep()

    migrated = newsroom.articles.records[key]
    assert (migrated.format, migrated.tags) == (2, ("Budget",))
    assert migrated.updated_at == legacy.updated_at
    assert [e.source_key for e in newsroom.index.entries("tag/budget")] == [key]
    assert "tag/budget/index.html" in newsroom.site.objects
    assert report.checked["records migrated"] == 1
