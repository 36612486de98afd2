"""The news sitemap: the stories of the last 48 hours, always present, and right as they age out.

Google News reads `/news-sitemap.xml` for stories published in the last two days. It must exist even
when nothing is that recent (a sitemap submitted to Search Console must not turn into a 404), and it
must drop a story once its 48 hours have passed, whether or not a new story arrives: the listing
renderer writes it with every change of the site listing, and `refresh_news_sitemap` writes it on a
clock (the reconciliation sweep on AWS, every local run), so a story leaves it at the latest one sweep
interval after its window closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pressrun import render
from pressrun.index import SITE_LISTING, ListingEntry, position_of
from pressrun.model import SiteWrite
from pressrun.ports import CategoryIndex, SiteStore
from pressrun.settings import SiteSettings
from pressrun.urls import NEWS_SITEMAP, ROBOTS, object_key

# Google News takes articles from the last two days.
NEWS_WINDOW = timedelta(hours=48)
# The most <url> elements Google reads from one news sitemap.
NEWS_LIMIT = 1_000
XML = "application/xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
NEWS_SITEMAP_KEY = object_key(NEWS_SITEMAP)
# A refresh overtaken by a publish settles within a try or two; more is left to the next sweep.
_SETTLE_ATTEMPTS = 3


def window_start(now: datetime) -> str:
    """The earliest site-listing position the news sitemap lists at `now`."""
    return position_of(now - NEWS_WINDOW)


def recent(newest_first: Sequence[ListingEntry], now: datetime) -> list[ListingEntry]:
    """The entries of the window, newest first, from entries read newest first."""
    since = window_start(now)
    return [entry for entry in newest_first if entry.position >= since][:NEWS_LIMIT]


def news_pages(
    entries: Sequence[ListingEntry], site: SiteSettings, listings: bool
) -> dict[str, tuple[bytes, str]]:
    """The news sitemap (empty when nothing is recent: Google accepts that) and robots.txt, which
    always names it, and names the listings sitemap when there are listings (`listings`)."""
    return {
        NEWS_SITEMAP_KEY: (render.news_sitemap(entries[:NEWS_LIMIT], site), XML),
        object_key(ROBOTS): (render.robots(site, listings=listings), TEXT),
    }


def refresh_news_sitemap(
    index: CategoryIndex, site_store: SiteStore, site: SiteSettings, now: datetime
) -> list[SiteWrite]:
    """Render the news sitemap as it is at `now`; what changed (nothing, most of the time).

    A story published meanwhile may have had its listing render write a newer sitemap between this
    read and this write: the site listing's revision, read again after the write, tells, and the
    sitemap is rendered again from what the index holds then."""
    for _ in range(_SETTLE_ATTEMPTS):
        before, members = _revision_and_members(index)
        entries = index.entries(SITE_LISTING, limit=NEWS_LIMIT, since=window_start(now))
        written = site_store.put_many(news_pages(entries, site, listings=members > 0))
        if _revision_and_members(index)[0] == before:
            return written
    raise NewsSitemapKeptChanging("the site listing kept changing while the news sitemap was written")


class NewsSitemapKeptChanging(Exception):
    """Publishing kept overtaking the refresh; the listing renderer writes the sitemap with each."""


def _revision_and_members(index: CategoryIndex) -> tuple[int, int]:
    summary = index.summaries([SITE_LISTING]).get(SITE_LISTING)
    return (summary.revision, summary.members) if summary else (0, 0)
