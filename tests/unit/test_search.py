"""The search bundle is built again only when the site changed, at most once per interval, and a build
never leaves readers an entry naming files that are not there."""

from __future__ import annotations

import json
import os
from datetime import timedelta

from pressrun.search import STATE_KEY, refresh_search
from pressrun.settings import SiteSettings
from pressrun.urls import is_long_cached
from tests.fakes import MemorySearchIndexer
from tests.unit.test_reconcile import EARLIER, Newsroom, story

SITE = SiteSettings(search_index_interval_minutes=5)


EDITED = story(1).replace(b"Body 1.", b"Body 1, corrected.")


def entry(newsroom: Newsroom) -> dict[str, list[str]]:
    return json.loads(newsroom.site.objects["pagefind/pagefind-entry.json"])


def named_fragments(newsroom: Newsroom) -> set[str]:
    return {f"pagefind/{name}" for name in entry(newsroom)["fragments"]}


def test_the_first_build_indexes_every_story_page_and_writes_the_search_page():
    newsroom, indexer = Newsroom(), MemorySearchIndexer()
    for number in (1, 2, 3):
        newsroom.publish(number)

    run = refresh_search(newsroom.index, newsroom.site, indexer, SITE, EARLIER)

    assert run.outcome == "built"
    assert run.stories == 3
    assert entry(newsroom)["pages"] == [
        "/2026/01/02/story-1/",
        "/2026/01/03/story-2/",
        "/2026/01/04/story-3/",
    ]
    # Pagefind is given each story's page as readers get it, and its files go under /pagefind/.
    pages = [newsroom.site.objects[key].decode() for key in sorted(named_fragments(newsroom))]
    assert sorted("<h1>Story 2</h1>" in page for page in pages) == [False, False, True]
    assert "search/index.html" in newsroom.site.objects
    assert "search.js" in newsroom.site.objects


def test_nothing_changed_means_no_build_however_long_since_the_last():
    newsroom, indexer = Newsroom(), MemorySearchIndexer()
    newsroom.publish(1)
    refresh_search(newsroom.index, newsroom.site, indexer, SITE, EARLIER)

    run = refresh_search(newsroom.index, newsroom.site, indexer, SITE, EARLIER + timedelta(days=3))

    assert run.outcome == "unchanged"
    assert len(indexer.builds) == 1


def test_a_change_within_the_interval_waits_for_it_then_one_build_takes_every_change():
    # GIVEN a bundle built a minute ago
    newsroom, indexer = Newsroom(), MemorySearchIndexer()
    newsroom.publish(1)
    refresh_search(newsroom.index, newsroom.site, indexer, SITE, EARLIER)
    # WHEN two stories arrive and the job runs within the interval, then after it
    newsroom.publish(2)
    newsroom.publish(3)
    early = refresh_search(newsroom.index, newsroom.site, indexer, SITE, EARLIER + timedelta(minutes=1))
    late = refresh_search(newsroom.index, newsroom.site, indexer, SITE, EARLIER + timedelta(minutes=5))
    # THEN the first run leaves the change for later, and the second builds once with both stories
    assert early.outcome == "deferred"
    assert late.outcome == "built"
    assert [len(pages) for pages in indexer.builds] == [1, 3]


def test_files_the_last_build_stopped_using_are_removed_one_build_later():
    newsroom, indexer = Newsroom(), MemorySearchIndexer()
    newsroom.publish(1)
    refresh_search(newsroom.index, newsroom.site, indexer, SITE, EARLIER)
    first = named_fragments(newsroom)
    # WHEN the story is edited (its fragment changes) and the bundle is built again
    newsroom.render(newsroom.follow(newsroom.validate(newsroom.put(1, EDITED))))
    refresh_search(newsroom.index, newsroom.site, indexer, SITE, EARLIER + timedelta(minutes=10))
    retired = first - named_fragments(newsroom)
    # THEN the old fragment is still there, for a search that began on the old entry
    assert len(retired) == 1
    assert retired <= set(newsroom.site.objects)
    # AND it is gone after the next build
    newsroom.publish(2)
    refresh_search(newsroom.index, newsroom.site, indexer, SITE, EARLIER + timedelta(minutes=20))
    assert not retired & set(newsroom.site.objects)
    assert json.loads(newsroom.site.objects[STATE_KEY])["stories"] == 2


def test_a_binary_unpacked_without_its_execute_bit_is_run_from_a_copy(tmp_path):
    from pressrun.search_bundle import runnable

    # GIVEN the binary as `sam build` leaves it in a function's package: readable, not executable
    binary = tmp_path / "package" / "pagefind"
    binary.parent.mkdir()
    binary.write_bytes(b"\x7fELF binary")
    binary.chmod(0o644)
    # WHEN the indexer looks for something to run
    usable = runnable(binary, tmp_path / "scratch")
    # THEN it runs a copy it made executable, and the package is left as it was
    assert usable == tmp_path / "scratch" / "pagefind"
    assert usable.read_bytes() == binary.read_bytes()
    assert os.access(usable, os.X_OK)
    assert not os.access(binary, os.X_OK)
    # AND a binary that may run is run where it is
    assert runnable(usable, tmp_path / "elsewhere") == usable


def test_nothing_the_search_build_writes_is_kept_by_the_cdn_so_it_asks_for_no_invalidation():
    """SearchIndexFunction writes through a plain site store (runtime.search_site): that holds only
    while every key it writes expires from the CDN by itself."""
    newsroom, indexer = Newsroom(), MemorySearchIndexer()
    newsroom.publish(1)
    before = set(newsroom.site.objects)

    refresh_search(newsroom.index, newsroom.site, indexer, SITE, EARLIER)

    written = set(newsroom.site.objects) - before
    assert {"pagefind/pagefind-entry.json", "search/index.html", "search.js"} <= written
    assert [key for key in sorted(written) if is_long_cached(key)] == []
