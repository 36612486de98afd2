"""Pagination that makes sense: numbered pages hold S stories each, from the oldest; the front page
holds the newest S to 2S-1; no story is on two pages; a numbered page's stories never change."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from pressrun.index import position_of, update_index
from pressrun.listings import numbered_pages, refresh_listings
from pressrun.model import ArticleRecord
from pressrun.settings import SiteSettings
from tests.fakes import MemoryIndex, MemorySite
from tests.unit.test_pages import numbered, titles_on

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SMALL = SiteSettings(listing_size=5)
FRONT = "category/world/index.html"


def page_key(number: int) -> str:
    return f"category/world/page/{number}/index.html"


def stories(count: int) -> list[ArticleRecord]:
    """`count` stories in World, an hour apart, Story 0 the oldest."""
    return [
        story.model_copy(update={"published_at": datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=n)})
        for n, story in enumerate(numbered(count, day_of=lambda n: 1))
    ]


def position(story: ArticleRecord) -> str:
    assert story.published_at is not None
    return position_of(story.published_at, story.source_key)


def test_the_front_page_holds_the_newest_s_to_2s_minus_1_and_no_story_is_on_two_pages():
    for count in range(1, 31):
        site = MemorySite()
        index = MemoryIndex()
        for story in stories(count):
            update_index(None, story, index)
        refresh_listings({"category/world": ["0"]}, index, site, SMALL, NOW)

        pages = numbered_pages(count, 5)
        shown = titles_on(site, FRONT) + [
            t for n in range(1, pages + 1) for t in titles_on(site, page_key(n))
        ]
        assert sorted(shown) == sorted(f"Story {n}" for n in range(count)), count
        assert len(titles_on(site, FRONT)) == (count if count < 5 else count - 5 * pages)
        assert count < 5 or 5 <= len(titles_on(site, FRONT)) <= 9
        assert all(len(titles_on(site, page_key(n))) == 5 for n in range(1, pages + 1))
        assert page_key(pages + 1) not in site.objects


def test_one_story_at_a_time_a_numbered_page_keeps_its_stories_and_changes_once_when_the_next_is_made():
    # GIVEN stories published one at a time into pages of 5
    index, site = MemoryIndex(), MemorySite()
    versions: dict[str, list[bytes]] = {}
    written_per_story = []
    for story in stories(40):
        update_index(None, story, index)
        changed = refresh_listings({"category/world": [position(story)]}, index, site, SMALL, NOW).changed
        written_per_story.append({write.key for write in changed if "/page/" in write.key})
        for key, body in site.objects.items():
            if "/page/" in key and (not versions.get(key) or versions[key][-1] != body):
                versions.setdefault(key, []).append(body)
    # THEN each story writes at most two numbered pages: the one it makes and the one before it
    assert max(len(keys) for keys in written_per_story) <= 2
    # and a numbered page is written when made and once more, when the next page is made, keeping its
    # stories: only its links to newer pages moved
    for key, bodies in versions.items():
        assert len(bodies) <= 2, key
        assert len({tuple(re.findall(r">(Story \d+)</a>", body.decode())) for body in bodies}) == 1
    newest = numbered_pages(40, 5)
    assert len(versions[page_key(newest)]) == 1
    assert all(len(versions[page_key(n)]) == 2 for n in range(1, newest))


def nav(site: MemorySite, key: str) -> str:
    found = re.search(r'<nav class="pages".*?</nav>', site.objects[key].decode(), re.DOTALL)
    return found.group(0) if found else ""


def test_pages_link_newer_and_older_with_rel_and_number_only_pages_that_cannot_change_what_they_say():
    index, site = MemoryIndex(), MemorySite()
    for story in stories(27):  # five numbered pages of 5, seven stories in front
        update_index(None, story, index)
    refresh_listings({"category/world": ["0"]}, index, site, SMALL, NOW)

    front, third, newest = nav(site, FRONT), nav(site, page_key(3)), nav(site, page_key(4))

    assert '<a class="older" rel="next" href="/category/world/page/4/">Older →</a>' in front
    assert "Newer" not in front
    assert re.findall(r">(Latest|\d+|…)<", front) == ["Latest", "4", "3", "2", "1"]
    assert '<a aria-current="page" href="/category/world/">Latest</a>' in front
    assert '<a class="newer" rel="prev" href="/category/world/page/4/">← Newer</a>' in third
    assert '<a class="older" rel="next" href="/category/world/page/2/">Older →</a>' in third
    assert re.findall(r">(Latest|\d+|…)<", third) == ["Latest", "4", "3", "2", "1"]
    assert '<a class="newer" rel="prev" href="/category/world/">← Newer</a>' in newest
    page_3 = site.objects[page_key(3)].decode()
    assert '<link rel="prev" href="http://localhost:8000/category/world/page/4/">' in page_3
    assert '<link rel="next" href="http://localhost:8000/category/world/page/2/">' in page_3


def test_far_back_pages_show_a_gap_instead_of_every_number():
    index, site = MemoryIndex(), MemorySite()
    for story in stories(60):
        update_index(None, story, index)
    refresh_listings({"category/world": ["0"]}, index, site, SMALL, NOW)

    assert re.findall(r">(Latest|\d+|…)<", nav(site, FRONT)) == ["Latest", "11", "10", "9", "…", "1"]
    assert re.findall(r">(Latest|\d+|…)<", nav(site, page_key(6))) == ["Latest", "7", "6", "5", "…", "1"]


def test_a_listing_of_one_page_has_no_empty_nav():
    index, site = MemoryIndex(), MemorySite()
    for story in stories(9):
        update_index(None, story, index)
    refresh_listings({"category/world": ["0"]}, index, site, SMALL, NOW)

    assert "<nav" not in site.objects[FRONT].decode().split("<main", 1)[1].split("</main>")[0]


def test_a_removal_below_a_page_boundary_folds_the_newest_numbered_page_back_into_the_front():
    # GIVEN 10 stories: page 1 holds the oldest five, the front the newest five
    index, site = MemoryIndex(), MemorySite()
    ten = stories(10)
    for story in ten:
        update_index(None, story, index)
    refresh_listings({"category/world": ["0"]}, index, site, SMALL, NOW)
    assert page_key(1) in site.objects
    # WHEN one of them is taken down
    removed = ten[2].model_copy(update={"status": "removed", "sequencer": "02"})
    update_index(ten[2], removed, index)
    refresh_listings({"category/world": [position(ten[2])]}, index, site, SMALL, NOW)
    # THEN the nine left are all on the front page, and page 1 is gone
    assert page_key(1) not in site.objects
    assert len(titles_on(site, FRONT)) == 9
    assert "Story 2" not in titles_on(site, FRONT)
