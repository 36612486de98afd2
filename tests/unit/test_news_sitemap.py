"""The news sitemap always exists, names only the last 48 hours, and forgets a story when its window
closes, without waiting for another story to re-render it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from pressrun.news_sitemap import refresh_news_sitemap
from pressrun.sweep_state import Budget
from tests.fakes import MemoryIndex, MemorySite
from tests.unit.test_reconcile import NOW, SITE, Newsroom

WALKS_NOTHING = Budget(uploads=0, articles=0, listing_entries=0, site_keys=0, images=0)
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def listed(site: MemorySite) -> list[str]:
    root = ET.fromstring(site.objects["news-sitemap.xml"])
    assert root.tag == f"{SITEMAP_NS}urlset"
    return [loc.text or "" for loc in root.iter(f"{SITEMAP_NS}loc")]


def test_with_nothing_recent_the_news_sitemap_is_an_empty_urlset_that_robots_still_names():
    # GIVEN a site whose only story is a week old
    newsroom = Newsroom()
    newsroom.publish(1)
    # WHEN the news sitemap is rendered a week later
    refresh_news_sitemap(newsroom.index, newsroom.site, SITE, NOW + timedelta(days=7))
    # THEN it is there, a well-formed urlset without a URL, and robots.txt names it
    assert listed(newsroom.site) == []
    assert f"Sitemap: {SITE.site_url}/news-sitemap.xml" in newsroom.listed("robots.txt")


def test_an_empty_site_has_a_news_sitemap_too():
    site = MemorySite()

    refresh_news_sitemap(MemoryIndex(), site, SITE, NOW)

    assert listed(site) == []


def test_the_sweep_takes_a_story_out_once_its_48_hours_have_passed():
    # GIVEN a story published an hour ago (story 8 is dated the morning before NOW), in the sitemap
    newsroom = Newsroom()
    newsroom.publish(8)
    assert listed(newsroom.site) == [f"{SITE.site_url}/2026/01/09/story-8/"]
    newsroom.sweep()
    # WHEN the sweep runs four days later, no other story published, its archive walk elsewhere
    report = newsroom.sweep(budget=WALKS_NOTHING, now=NOW + timedelta(days=4))
    # THEN the sitemap no longer lists it; time passing is not counted as drift
    assert listed(newsroom.site) == []
    assert report.drift == []
    assert report.checked["news sitemaps refreshed"] == 1


def test_a_refresh_with_nothing_aged_out_writes_nothing():
    newsroom = Newsroom()
    newsroom.publish(8)

    assert refresh_news_sitemap(newsroom.index, newsroom.site, SITE, NOW) == []
