"""Listing pages follow the index: each changed listing re-renders the pages a change can reach.

Category pages are numbered from the oldest article, so a full page never changes again: the newest
articles sit on the category's front page, and `page/<n>/` holds articles (n-1)*S+1 to n*S. A new
article therefore rewrites the front page, and the page it completes, whatever the category's size.
Sitemaps past one file's limit are numbered the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pressrun import render
from pressrun.feeds import JSON_FEED, FeedItems
from pressrun.index import (
    SITE_LISTING,
    ListingEntry,
    ListingSummary,
    PageRange,
    category_listing,
    category_of,
)
from pressrun.model import SiteWrite
from pressrun.news_sitemap import news_pages, window_start
from pressrun.pages import HTML
from pressrun.pings import indexnow_key_path
from pressrun.ports import CategoryIndex, SiteStore
from pressrun.settings import SiteSettings
from pressrun.urls import (
    FEED,
    FEED_JSON,
    HOME,
    LOGO,
    NOT_FOUND,
    SITEMAP,
    STYLESHEET,
    category_feed_path,
    category_page_path,
    category_path,
    json_feed_path,
    object_key,
    sitemap_chunk_path,
)

ATOM = "application/atom+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"
CSS = "text/css; charset=utf-8"
PNG = "image/png"
TEXT = "text/plain; charset=utf-8"

Changes = Mapping[str, Iterable[str]]


@dataclass(frozen=True)
class Window:
    """The newest part of a listing, oldest first: at least a front page's worth, and everything from
    the first numbered page that a change can have touched."""

    entries: list[ListingEntry]
    members: int
    page_size: int
    first_changed_page: int
    removed: bool

    @property
    def start(self) -> int:
        """The rank, counted from the oldest article, of the window's first entry."""
        return self.members - len(self.entries)

    @property
    def full_pages(self) -> int:
        return self.members // self.page_size

    def page(self, number: int) -> list[ListingEntry]:
        first = (number - 1) * self.page_size - self.start
        if first < 0:
            raise ValueError(f"page {number} starts before the window read for it")
        return self.entries[first : first + self.page_size]

    def newest(self, count: int) -> list[ListingEntry]:
        return list(reversed(self.entries[-count:])) if count else []


def read_window(
    index: CategoryIndex,
    listing: str,
    positions: Iterable[str],
    members: int,
    page_size: int,
    front: int | None = None,
) -> Window:
    """Usually one query: the newest `front` entries (a page's worth unless told) and as many again,
    which rank a recent change, and the newest page whole. A change further back costs a query of the
    positions from it on (to rank it), and one more for the entries of its page on."""
    front = page_size if front is None else front
    changed = set(positions)
    earliest = min(changed) if changed else None
    newest_page = members - (members - 1) // page_size * page_size if members else 0
    first_read = max(2 * front, newest_page)
    newest = index.entries(listing, limit=min(members, first_read))
    reaches_back = len(newest) == members or (
        bool(newest) and earliest is not None and newest[-1].position <= earliest
    )
    if earliest is None:
        since: list[str] = []
    elif reaches_back:
        since = [entry.position for entry in newest if entry.position >= earliest]
    else:
        since = index.positions(listing, since=earliest)
    rank = members - len(since)
    page_start = (rank // page_size) * page_size
    wanted = max(members - page_start, min(front, members))
    if wanted > len(newest):
        newest = index.entries(listing, limit=wanted)
    newest = newest[:wanted]
    present = set(since)
    return Window(
        list(reversed(newest)),
        members,
        page_size,
        first_changed_page=rank // page_size + 1,
        removed=bool(changed - present),
    )


@dataclass
class _Writes:
    """The pages one refresh renders, written together at the end, changed bytes only."""

    site_store: SiteStore
    # Reads each story's feed item once for every feed of the refresh.
    items: FeedItems
    pages: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    deleted: list[SiteWrite] = field(default_factory=list)

    def put(self, path: str, body: bytes, content_type: str) -> None:
        self.pages[object_key(path)] = (body, content_type)

    def delete(self, path: str) -> bool:
        removed = self.site_store.delete(object_key(path))
        if removed is not None:
            self.deleted.append(removed)
        return removed is not None

    def drop_pages_after(self, last: int, path: Callable[[int], str]) -> None:
        """Remove numbered pages past the last one, after removals shortened a listing."""
        number = last + 1
        while self.delete(path(number)):
            number += 1

    def flush(self) -> list[SiteWrite]:
        return self.deleted + self.site_store.put_many(self.pages)


def _refresh_category(
    slug: str,
    positions: Iterable[str],
    index: CategoryIndex,
    summaries: Mapping[str, ListingSummary],
    writes: _Writes,
    site: SiteSettings,
) -> None:
    listing = category_listing(slug)
    summary = summaries.get(listing)
    category = summary.category if summary else None
    if summary is None or summary.members == 0 or category is None:
        writes.delete(category_path(slug))
        writes.delete(category_feed_path(slug))
        writes.delete(json_feed_path(category_feed_path(slug)))
        writes.drop_pages_after(0, lambda n: category_page_path(slug, n))
        return
    window = read_window(index, listing, positions, summary.members, site.listing_size)
    full = window.full_pages
    older = full if summary.members % site.listing_size else full - 1
    front = window.newest(site.listing_size)
    writes.put(
        category_path(slug),
        render.category_page(category, front, site, page=None, older_page=older or None),
        HTML,
    )
    feed = category_feed_path(slug)
    writes.items.remember(object_key(json_feed_path(feed)))
    writes.put(feed, render.category_feed(category, front, site, writes.items), ATOM)
    writes.put(
        json_feed_path(feed), render.category_json_feed(category, front, site, writes.items), JSON_FEED
    )
    for number in range(window.first_changed_page, full + 1):
        entries = list(reversed(window.page(number)))
        page = render.category_page(category, entries, site, page=number, older_page=number - 1 or None)
        writes.put(category_page_path(slug, number), page, HTML)
    if window.removed:
        writes.drop_pages_after(full, lambda n: category_page_path(slug, n))


def _sitemaps(
    positions: Iterable[str], members: int, index: CategoryIndex, writes: _Writes, site: SiteSettings
) -> list[ListingEntry]:
    """Render the sitemap (an index of numbered sitemaps past the per-file limit); the newest entries.

    Past the limit, a publish reads and rewrites only the newest sitemap (and one a change reaches back
    into) and the index: small files keep that cheap however large the archive."""
    # The home page counts as one URL of the single sitemap, which so is never empty.
    if members < site.sitemap_size:
        everything = index.entries(SITE_LISTING, oldest_first=True)
        writes.put(SITEMAP, render.sitemap(everything, site, home=True), XML)
        if set(positions) - {entry.position for entry in everything}:
            writes.drop_pages_after(0, sitemap_chunk_path)
        return list(reversed(everything))
    # The home page's worth, not two whole sitemaps.
    window = read_window(index, SITE_LISTING, positions, members, site.sitemap_size, site.listing_size)
    chunks = -(-members // site.sitemap_size)
    for number in range(window.first_changed_page, chunks + 1):
        writes.put(sitemap_chunk_path(number), render.sitemap(window.page(number), site), XML)
    writes.put(SITEMAP, render.sitemap_index(chunks, window.newest(1), site), XML)
    if window.removed:
        writes.drop_pages_after(chunks, sitemap_chunk_path)
    return list(reversed(window.entries))


def _refresh_site(
    positions: Iterable[str],
    index: CategoryIndex,
    summaries: Mapping[str, ListingSummary],
    writes: _Writes,
    site: SiteSettings,
    now: datetime,
) -> None:
    site_summary = summaries.get(SITE_LISTING)
    members = site_summary.members if site_summary else 0
    newest_first = _sitemaps(positions, members, index, writes, site)
    latest = newest_first[: site.listing_size]
    if len(latest) < min(site.listing_size, members):
        latest = index.entries(SITE_LISTING, limit=site.listing_size)
    since = window_start(now)
    recent = [entry for entry in newest_first if entry.position >= since]
    # Only when everything read is from the last two days can there be more of them to read.
    if len(newest_first) < members and (not newest_first or newest_first[-1].position >= since):
        recent = index.entries(SITE_LISTING, since=since)
    sections = sorted(
        (summary for summary in summaries.values() if summary.category is not None and summary.members),
        key=lambda summary: summary.name.casefold(),
    )
    writes.put(HOME, render.home_page(latest, sections, site), HTML)
    writes.items.remember(object_key(FEED_JSON))
    writes.put(FEED, render.atom_feed(latest, site, writes.items), ATOM)
    writes.put(FEED_JSON, render.site_json_feed(latest, site, writes.items), JSON_FEED)
    writes.pages.update(news_pages(recent, site))
    writes.put(NOT_FOUND, render.not_found_page(site), HTML)
    writes.put(STYLESHEET, render.stylesheet(site), CSS)
    writes.put(LOGO, render.logo(site), PNG)
    if site.indexnow_endpoint:
        # IndexNow reads the key from the site's root before it trusts a ping (pressrun.pings).
        writes.put(indexnow_key_path(site.indexnow_key), site.indexnow_key.encode("ascii"), TEXT)


@dataclass(frozen=True)
class Refreshed:
    """What a refresh wrote, and which listings failed (with why), to be retried on their own."""

    changed: list[SiteWrite]
    failed: dict[str, str]


def refresh_listings(
    changes: Changes,
    index: CategoryIndex,
    site_store: SiteStore,
    site: SiteSettings,
    now: datetime,
    *,
    reuse_feed_items: bool = True,
) -> Refreshed:
    """Re-render what the changed positions of each listing can reach; what was written.

    Each listing is written on its own: one that fails (a throttled call, say) leaves the others
    written, so a retry has less to do and is likelier to succeed. Renders of one listing may run
    at once (its memberships are items of their own, on any stream shard), so a listing is checked
    after it is written: if its summary moved meanwhile, what was written may be older than what
    another render wrote, and it is rendered again from what the index holds now."""
    changed: list[SiteWrite] = []
    failed: dict[str, str] = {}
    # Every summary, read once: the home page needs them all, and each listing its own.
    summaries = index.summaries() if changes else {}
    # A story's item is written before its index entries, so one read serves every listing and retry.
    items = FeedItems(site_store, site, reuse=reuse_feed_items)
    for listing in sorted(changes):
        try:
            for _ in range(_SETTLE_ATTEMPTS):
                writes = _Writes(site_store, items)
                slug = category_of(listing)
                if slug is not None:
                    _refresh_category(slug, changes[listing], index, summaries, writes, site)
                elif listing == SITE_LISTING:
                    _refresh_site(changes[listing], index, summaries, writes, site, now)
                changed += writes.flush()
                after = index.summaries(None if listing == SITE_LISTING else [listing])
                settled = _revision(listing, after) == _revision(listing, summaries)
                summaries = {**summaries, **after}
                if settled:
                    break
            else:
                raise ListingKeptChanging(f"{listing} kept changing while it was rendered")
        except Exception as error:
            failed[listing] = repr(error)
    return Refreshed(changed, failed)


class ListingKeptChanging(Exception):
    """Every render of a listing was overtaken by another change: the stream record is retried."""


# Concurrent renders of one listing settle within a try or two; more means a storm, better retried.
_SETTLE_ATTEMPTS = 3


def _revision(listing: str, summaries: Mapping[str, ListingSummary]) -> tuple[tuple[str, int], ...]:
    """What a listing's pages were rendered from: the home page shows every category's newest."""
    if listing == SITE_LISTING:
        return tuple(sorted((name, summary.revision) for name, summary in summaries.items()))
    summary = summaries.get(listing)
    return ((listing, summary.revision if summary else 0),)


def numbered_page_size(listing: str, members: int, site: SiteSettings) -> int | None:
    """The size of a listing's numbered pages, or None when it has none (a site listing whose
    sitemap still fits one file)."""
    if category_of(listing) is not None:
        return site.listing_size
    return site.sitemap_size if members >= site.sitemap_size else None


def render_range(
    span: PageRange, index: CategoryIndex, site_store: SiteStore, site: SiteSettings
) -> tuple[list[SiteWrite], PageRange | None, int]:
    """Render the full numbered pages the run holds; what changed, the run that follows (None at
    the end of the listing, whose newest pages `refresh_listings` keeps) and how many entries it
    read. Pages are numbered from the oldest, so a run of them needs no read of anything newer."""
    summary = index.summaries([span.listing]).get(span.listing)
    members = summary.members if summary else 0
    size = numbered_page_size(span.listing, members, site)
    if summary is None or size is None or span.rank % size:
        return [], None, 0
    read = index.entries(span.listing, since=span.after or None, oldest_first=True, limit=span.count + 1)
    entries = [entry for entry in read if entry.position != span.after][: span.count]
    first = span.rank // size + 1
    # Full pages only, and none past the listing's last full one: that one is the front's business.
    last = min(first - 1 + len(entries) // size, members // size)
    writes = _Writes(site_store, FeedItems(site_store, site))
    category = summary.category
    for number in range(first, last + 1):
        page = entries[(number - first) * size : (number - first + 1) * size]
        if category is not None:
            body = render.category_page(
                category, list(reversed(page)), site, page=number, older_page=number - 1 or None
            )
            writes.put(category_page_path(category.slug, number), body, HTML)
        else:
            writes.put(sitemap_chunk_path(number), render.sitemap(page, site), XML)
    written = writes.flush()
    rendered = (last - first + 1) * size if last >= first else 0
    if rendered == 0 or len(entries) < span.count:
        return written, None, len(entries)
    following = PageRange(
        listing=span.listing,
        after=entries[rendered - 1].position,
        rank=span.rank + rendered,
        count=span.count,
    )
    return written, following, len(entries)
