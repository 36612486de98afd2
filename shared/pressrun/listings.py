"""Listing pages follow the index: each changed listing re-renders the pages a change can reach.

A category's pages are numbered from its oldest article and hold S of them each (S = LISTING_SIZE):
`page/<n>/` holds articles (n-1)*S+1 to n*S. The front page holds the rest, the newest: from S to
2S-1 of them. When it would hold 2S, its oldest S become the next numbered page, which then never
changes again (a removed or backdated story aside), and the front page starts again from S. So no
story is on two pages, and a new article rewrites the front page and at most the page it creates
and the one before (whose "Newer" link now names it), whatever the category's size.
Sitemaps past one file's limit are numbered from the oldest too; their newest file fills up in place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pressrun import render
from pressrun.feeds import JSON_FEED, FeedItems
from pressrun.index import (
    FROM_THE_START,
    SITE_LISTING,
    ListingEntry,
    ListingKind,
    ListingSummary,
    PageRange,
    category_of,
    display_name,
    parse_listing,
)
from pressrun.model import SiteWrite
from pressrun.news_sitemap import news_pages, window_start
from pressrun.pages import HTML, header_overtaken, noted_header, page_header, read_header
from pressrun.pings import indexnow_key_path
from pressrun.ports import CategoryIndex, SiteRebuilds, SiteStore
from pressrun.settings import SiteSettings
from pressrun.urls import (
    FEED,
    FEED_JSON,
    HOME,
    LISTINGS_SITEMAP,
    LOGO,
    NOT_FOUND,
    SITEMAP,
    STYLESHEET,
    json_feed_path,
    listing_feed_path,
    listing_page_path,
    listing_path,
    listings_sitemap_chunk_path,
    object_key,
    sitemap_chunk_path,
)

ATOM = "application/atom+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"
CSS = "text/css; charset=utf-8"
PNG = "image/png"
TEXT = "text/plain; charset=utf-8"

Changes = Mapping[str, Iterable[str]]


def numbered_pages(members: int, size: int) -> int:
    """How many numbered pages a listing of `members` has: every S but the newest S to 2S-1, which
    are the front page's."""
    return max(0, members // size - 1)


@dataclass(frozen=True)
class Window:
    """The newest part of a listing, oldest first: what its newest pages always need, and everything
    from the first numbered page that a change can have touched."""

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
    index: CategoryIndex, listing: str, positions: Iterable[str], members: int, page_size: int, newest: int
) -> Window:
    """Usually one query: the `newest` entries the listing's newest pages always need (which also rank
    a recent change). A change further back costs a query of the positions from it on (to rank it),
    and one more for the entries of its page on."""
    changed = set(positions)
    earliest = min(changed) if changed else None
    first_read = min(members, newest)
    newest_entries = index.entries(listing, limit=first_read)
    reaches_back = len(newest_entries) == members or (
        bool(newest_entries) and earliest is not None and newest_entries[-1].position <= earliest
    )
    if earliest is None:
        since: list[str] = []
    elif reaches_back:
        since = [entry.position for entry in newest_entries if entry.position >= earliest]
    else:
        since = index.positions(listing, since=earliest)
    rank = members - len(since)
    page_start = (rank // page_size) * page_size
    wanted = max(members - page_start, first_read)
    if wanted > len(newest_entries):
        newest_entries = index.entries(listing, limit=wanted)
    newest_entries = newest_entries[:wanted]
    present = set(since)
    return Window(
        list(reversed(newest_entries)),
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
    following: list[Callable[[], object]] = field(default_factory=list)
    # Steps whose writes are counted with the pages'.
    steps: list[Callable[[], list[SiteWrite]]] = field(default_factory=list)

    def put(self, path: str, body: bytes, content_type: str) -> None:
        self.pages[object_key(path)] = (body, content_type)

    def delete(self, path: str) -> bool:
        removed = self.site_store.delete(object_key(path))
        if removed is not None:
            self.deleted.append(removed)
        return removed is not None

    def drop_pages_after(self, last: int, path: Callable[[int], str], through: int = 0) -> None:
        """Remove numbered pages past the last one, after removals shortened a listing: every one up
        to `through` (what an overtaken render of this invocation wrote, with gaps where another
        render removed pages first), then on while there are more."""
        number = last + 1
        while self.delete(path(number)) or number < through:
            number += 1

    def after(self, step: Callable[[], object]) -> None:
        """Something to do once the pages are written (not before: it says that they are); what it
        returns, if site writes, is counted with them."""
        self.following.append(step)

    def then(self, step: Callable[[], list[SiteWrite]]) -> None:
        """A step to take once the pages are written; its writes are counted with theirs."""
        self.steps.append(step)

    def flush(self) -> list[SiteWrite]:
        written = self.deleted + self.site_store.put_many(self.pages)
        for step in self.following:
            step()
        for step in self.steps:
            written += step()
        return written


def _refresh_listing(
    listing: str,
    positions: Iterable[str],
    index: CategoryIndex,
    summaries: Mapping[str, ListingSummary],
    writes: _Writes,
    site: SiteSettings,
    reach: int = 0,
) -> int:
    """A section's, tag's or author's pages and feed, as far as the changed positions reach; the number
    of its last numbered page. `reach` is the last one an earlier, overtaken render of this invocation
    wrote: any past the end now go."""
    parsed = parse_listing(listing)
    assert parsed is not None, f"{listing} has no pages of its own"
    kind, slug = parsed
    summary = summaries.get(listing)
    # Made or emptied: its file of the listings sitemap names it, or must stop naming it. Decided by
    # the summary, not by the page's creation, so that a retried render still does it.
    if summary is not None and (summary.members > 0) != summary.in_sitemap:
        writes.then(lambda: settle_listing_in_sitemap(listing, index, writes.site_store, site))
    if summary is None or summary.members == 0:
        writes.delete(listing_path(listing))
        writes.delete(listing_feed_path(listing))
        writes.delete(json_feed_path(listing_feed_path(listing)))
        writes.drop_pages_after(0, lambda n: listing_page_path(listing, n), through=reach)
        return 0
    size = site.listing_size
    pages = numbered_pages(summary.members, size)
    # The front page, and the two newest numbered pages: one may have just been made, and the one
    # before it then links to it.
    always = summary.members - max(0, pages - 2) * size
    window = read_window(index, listing, positions, summary.members, size, newest=always)
    front = window.newest(summary.members - pages * size)
    shown = _as_shown(kind, slug, summary, front)
    header = page_header(summaries, site)
    first_changed = min(window.first_changed_page, max(1, pages - 1))
    # A new heading (the newest story spells the listing otherwise) is on every numbered page.
    renamed = pages > 0 and summary.pages_heading != shown.heading
    if renamed:
        first_changed = 1
        window = read_window(index, listing, [FROM_THE_START], summary.members, size, newest=always)
    writes.put(shown.path, render.listing_page(shown, front, site, None, pages, header), HTML)
    writes.items.remember(object_key(json_feed_path(shown.feed_path)))
    writes.put(shown.feed_path, render.listing_feed(shown, front[:size], site, writes.items), ATOM)
    writes.put(
        json_feed_path(shown.feed_path),
        render.listing_json_feed(shown, front[:size], site, writes.items),
        JSON_FEED,
    )
    for number in range(first_changed, pages + 1):
        entries = list(reversed(window.page(number)))
        body = render.listing_page(shown, entries, site, number, pages, header)
        writes.put(shown.page_path(number), body, HTML)
    if window.removed or reach > pages:
        writes.drop_pages_after(pages, lambda n: listing_page_path(listing, n), through=reach)
    if renamed:
        writes.after(lambda: index.name_pages(listing, shown.heading, summary.revision))
    return pages


def _as_shown(
    kind: ListingKind, slug: str, summary: ListingSummary, newest: Iterable[ListingEntry]
) -> render.Listing:
    """A listing as every one of its pages shows it: an author's profile name first, else as its
    newest story spells it, else as its summary names it."""
    profile = summary.profile if kind is ListingKind.AUTHOR else None
    heading = (profile.name if profile else "") or display_name(newest) or summary.name
    return render.Listing(kind, slug, heading, profile)


def _sitemaps(
    positions: Iterable[str],
    members: int,
    index: CategoryIndex,
    writes: _Writes,
    site: SiteSettings,
    reach: int = 0,
) -> tuple[list[ListingEntry], int]:
    """Render the sitemap (an index of numbered sitemaps past the per-file limit); the newest entries,
    and the number of numbered sitemaps. `reach` as for `_refresh_listing`.

    Past the limit, a publish reads and rewrites only the newest sitemap (and one a change reaches back
    into) and the index: small files keep that cheap however large the archive."""
    # The home page counts as one URL of the single sitemap, which so is never empty.
    if members < site.sitemap_size:
        everything = index.entries(SITE_LISTING, oldest_first=True)
        writes.put(SITEMAP, render.sitemap(everything, site, home=True), XML)
        if reach or set(positions) - {entry.position for entry in everything}:
            writes.drop_pages_after(0, sitemap_chunk_path, through=reach)
        return list(reversed(everything)), 0
    # The home page's worth (and as many again, to rank a recent change) and the newest sitemap file,
    # not two whole sitemaps.
    newest_file = members - (members - 1) // site.sitemap_size * site.sitemap_size
    newest = max(2 * site.listing_size, newest_file)
    window = read_window(index, SITE_LISTING, positions, members, site.sitemap_size, newest)
    chunks = -(-members // site.sitemap_size)
    for number in range(window.first_changed_page, chunks + 1):
        writes.put(sitemap_chunk_path(number), render.sitemap(window.page(number), site), XML)
    writes.put(SITEMAP, render.sitemap_index(chunks, window.newest(1), site), XML)
    if window.removed or reach > chunks:
        writes.drop_pages_after(chunks, sitemap_chunk_path, through=reach)
    return list(reversed(window.entries)), chunks


def _refresh_site(
    positions: Iterable[str],
    index: CategoryIndex,
    summaries: Mapping[str, ListingSummary],
    writes: _Writes,
    site: SiteSettings,
    now: datetime,
    reach: int = 0,
    rebuilds: SiteRebuilds | None = None,
) -> int:
    """Render the home page, feed, sitemaps and site files; the number of numbered sitemaps. Given
    `rebuilds`, a change of the sections in use queues the site's rebuild."""
    site_summary = summaries.get(SITE_LISTING)
    members = site_summary.members if site_summary else 0
    newest_first, chunks = _sitemaps(positions, members, index, writes, site, reach)
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
    in_use = render.header_sections(summaries.values(), site)
    built = noted_header(summaries)
    now_named = tuple(section.name for section in in_use)
    # The render that notes a new set (below) names it at once; any other names the noted one.
    header = in_use if rebuilds is not None else page_header(summaries, site)
    if rebuilds is not None and not site.site_categories and now_named != built:
        # Every page's header names the sections in use: a section made, emptied or spelled anew
        # changes them all. The home page and 404 page take it now, and listing pages at their next
        # render; the rest take it from a rebuild, queued (never rendered here) once the change is
        # noted: a render of a listing that read the old ones before and writes after the rebuild's
        # job for it sees the noted change when it checks, and renders again.
        def rebuild_for_header(rebuilds: SiteRebuilds = rebuilds, was: tuple[str, ...] = built) -> None:
            for _ in range(_SETTLE_ATTEMPTS):
                if index.note_header(was, now_named):
                    break
                # Another render noted a set meanwhile: if it is this one, it queued the rebuild;
                # if it is another (it read the sections before they changed again), note over it.
                noted = index.summaries([SITE_LISTING]).get(SITE_LISTING)
                was = noted.header if noted else ()
                if was == now_named:
                    return
            else:
                raise ListingKeptChanging("the sections in use kept changing while they were noted")
            try:
                rebuilds.request()
            except Exception:
                # Not queued: noted as before, so that the retried render queues it.
                index.note_header(now_named, was)
                raise

        writes.after(rebuild_for_header)
    writes.put(HOME, render.home_page(latest, sections, site, header), HTML)
    writes.items.remember(object_key(FEED_JSON))
    writes.put(FEED, render.atom_feed(latest, site, writes.items), ATOM)
    writes.put(FEED_JSON, render.site_json_feed(latest, site, writes.items), JSON_FEED)
    writes.pages.update(news_pages(recent, site, listings=members > 0))
    writes.put(NOT_FOUND, render.not_found_page(site, header), HTML)
    writes.put(STYLESHEET, render.stylesheet(site), CSS)
    writes.put(LOGO, render.logo(site), PNG)
    if site.indexnow_endpoint:
        # IndexNow reads the key from the site's root before it trusts a ping (pressrun.pings).
        writes.put(indexnow_key_path(site.indexnow_key), site.indexnow_key.encode("ascii"), TEXT)
    return chunks


def _every_listing(index: CategoryIndex) -> list[str]:
    names: list[str] = []
    while batch := index.listings_after(names[-1] if names else "", _NAMES_PER_READ):
        names += batch
    return names


_NAMES_PER_READ = 1000


def listings_sitemap_file(number: int) -> str:
    return object_key(listings_sitemap_chunk_path(number))


def _listings_sitemap_files(site_store: SiteStore) -> list[int]:
    """The numbers of the numbered listings sitemaps the site holds: one listing of the bucket from
    where their keys start (a thousand keys a page; they sort together, before the unnumbered one)."""
    prefix, suffix = listings_sitemap_file(0).split("0", 1)
    numbers: list[int] = []
    after = prefix
    while keys := site_store.keys(after, _NAMES_PER_READ):
        ours = [key for key in keys if key.startswith(prefix)]
        numbers += [int(n) for key in ours if (n := key[len(prefix) : -len(suffix)]).isdigit()]
        if len(ours) < len(keys):
            break
        after = keys[-1]
    return numbers


def _put_listings_sitemap_file(
    writes: _Writes, number: int, names: list[str], files: int, site: SiteSettings
) -> None:
    """File `number` of the listings sitemap: the home page (in the first) and the front pages of the
    listings it names. While there is one file it is `/sitemap-listings.xml` itself, absent when it
    names no listing; past one, that is the index of the numbered files."""
    paths = [*([HOME] if number == 1 else []), *(listing_path(name) for name in names)]
    if files <= 1:
        if names:
            writes.put(LISTINGS_SITEMAP, render.pages_sitemap(paths, site), XML)
        else:
            writes.delete(LISTINGS_SITEMAP)
        return
    # A sitemap must list a URL: a file whose every listing was emptied lists the home page alone.
    body = render.pages_sitemap(paths or [HOME], site)
    writes.put(listings_sitemap_chunk_path(number), body, XML)
    writes.put(LISTINGS_SITEMAP, render.listings_sitemap_index(files, site), XML)


def write_listings_sitemap_file(
    number: int, index: CategoryIndex, site_store: SiteStore, site: SiteSettings
) -> list[SiteWrite]:
    """Write file `number` of the listings sitemap from the names it holds (one read), and the index
    of the files. Checked after it is written, as listings are: a listing placed or dropped meanwhile
    is written again."""
    for _ in range(_SETTLE_ATTEMPTS):
        names, files = index.listings_sitemap_file(number)
        writes = _Writes(site_store, FeedItems(site_store, site))
        _put_listings_sitemap_file(writes, number, names, files, site)
        if files == 2 and number == 2:
            # The second file is being filled: the first, `/sitemap-listings.xml` until then, is
            # numbered now (written once more by each placement into the second; unchanged bytes
            # are not rewritten).
            first, _ = index.listings_sitemap_file(1)
            _put_listings_sitemap_file(writes, 1, first, files, site)
        written = writes.flush()
        if index.listings_sitemap_file(number) == (names, files):
            return written
    raise ListingKeptChanging(f"listings sitemap file {number} kept changing while it was written")


def settle_listing_in_sitemap(
    listing: str, index: CategoryIndex, site_store: SiteStore, site: SiteSettings
) -> list[SiteWrite]:
    """Name the listing in its file of the listings sitemap while it has stories, and not once it has
    none, then write that file: one file, whatever the number of listings."""
    number = index.place_in_listings_sitemap(listing, site.sitemap_size)
    return write_listings_sitemap_file(number, index, site_store, site) if number else []


def refresh_listings_sitemap(
    index: CategoryIndex, site_store: SiteStore, site: SiteSettings
) -> list[SiteWrite]:
    """The sweep's check of the whole listings sitemap: every listing with stories named by its file,
    none without, and every file written (a render lost after a placement leaves its file stale).
    It reads every listing's name, a query per thousand, and every file: not for a publish."""
    with_stories = {name for name in _every_listing(index) if parse_listing(name) is not None}
    _, files = index.listings_sitemap_file(1)
    named = {name for number in range(1, files + 1) for name in index.listings_sitemap_file(number)[0]}
    for listing in sorted(with_stories ^ named):
        index.place_in_listings_sitemap(listing, site.sitemap_size)
    _, files = index.listings_sitemap_file(1)
    written: list[SiteWrite] = []
    if files == 0:
        written += [removed] if (removed := site_store.delete(object_key(LISTINGS_SITEMAP))) else []
    for number in range(1, files + 1):
        written += write_listings_sitemap_file(number, index, site_store, site)
    # Numbered files past the last (an earlier release numbered them otherwise), or any while there
    # is one file. Found by listing them, not by deleting on from the first missing one.
    last = files if files > 1 else 0
    for number in _listings_sitemap_files(site_store):
        if number > last and (removed := site_store.delete(listings_sitemap_file(number))):
            written.append(removed)
    return written


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
    rebuilds: SiteRebuilds | None = None,
    *,
    reuse_feed_items: bool = True,
) -> Refreshed:
    """Re-render what the changed positions of each listing can reach; what was written. Given
    `rebuilds` (the listings function's), a render of the site listing that finds the sections in use
    changed queues the site's rebuild.

    Each listing is written on its own: one that fails (a throttled call, say) leaves the others
    written, so a retry has less to do and is likelier to succeed. Renders of one listing may run
    at once (its memberships are items of their own, on any stream shard), so a listing is checked
    after it is written: if its summary moved meanwhile, what was written may be older than what
    another render wrote, and it is rendered again from what the index holds now."""
    changed: list[SiteWrite] = []
    failed: dict[str, str] = {}
    # Every summary needed, read once: the home page needs the sections' (and the site's), and each
    # listing its own (tags and authors together, in one read).
    summaries = index.summaries() if changes else {}
    others = sorted(listing for listing in changes if listing not in summaries and listing != SITE_LISTING)
    if others:
        summaries = {**summaries, **index.summaries(others)}
    # A story's item is written before its index entries, so one read serves every listing and retry.
    items = FeedItems(site_store, site, reuse=reuse_feed_items)
    for listing in sorted(changes):
        try:
            # The last numbered page written so far: a render overtaken by removals may have
            # written pages past the end the next render finds.
            reach = 0
            for _ in range(_SETTLE_ATTEMPTS):
                writes = _Writes(site_store, items)
                if parse_listing(listing) is not None:
                    last = _refresh_listing(listing, changes[listing], index, summaries, writes, site, reach)
                    reach = max(reach, last)
                elif listing == SITE_LISTING:
                    last = _refresh_site(
                        changes[listing], index, summaries, writes, site, now, reach, rebuilds
                    )
                    reach = max(reach, last)
                changed += writes.flush()
                # With a listing's own summary, the site's (in the same read), whose `header` moves
                # when the sections in use change: a page rendered with the old ones is rendered again.
                after = index.summaries(None if listing == SITE_LISTING else [listing, SITE_LISTING])
                settled = _revision(listing, after) == _revision(listing, summaries)
                if noted_header(after) != noted_header(summaries):
                    # The sections in use changed: read them again for the next render.
                    after = {**index.summaries(), **after}
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


def _revision(listing: str, summaries: Mapping[str, ListingSummary]) -> tuple[tuple[str, object], ...]:
    """What a listing's pages were rendered from: the home page shows every category's newest."""
    if listing == SITE_LISTING:
        shown = (name for name in summaries if name == SITE_LISTING or category_of(name) is not None)
        return tuple(sorted((name, summaries[name].revision) for name in shown))
    summary = summaries.get(listing)
    return ((listing, summary.revision if summary else 0), (SITE_LISTING, noted_header(summaries)))


@dataclass(frozen=True)
class Numbering:
    """A listing's numbered pages (or sitemap files): how many entries each holds, and how many of
    them a run may render (the rest are the newest pages', which `refresh_listings` keeps)."""

    size: int
    count: int


def numbering(listing: str, members: int, site: SiteSettings) -> Numbering | None:
    """How a listing's numbered pages are laid out, or None when it has none (a site listing whose
    sitemap still fits one file)."""
    if parse_listing(listing) is not None:
        return Numbering(site.listing_size, numbered_pages(members, site.listing_size))
    if members >= site.sitemap_size:
        # Full sitemap files only: the newest, filling up, is the site listing's own render.
        return Numbering(site.sitemap_size, members // site.sitemap_size)
    return None


def render_range(
    span: PageRange, index: CategoryIndex, site_store: SiteStore, site: SiteSettings
) -> tuple[list[SiteWrite], PageRange | None, int]:
    """Render the full numbered pages the run holds; what changed, the run that follows (None at
    the end of the listing, whose newest pages `refresh_listings` keeps) and how many entries it
    read. Pages are numbered from the oldest, so a run of them needs no read of anything newer."""
    summary = index.summaries([span.listing]).get(span.listing)
    members = summary.members if summary else 0
    layout = numbering(span.listing, members, site)
    if summary is None or layout is None or span.rank % layout.size:
        return [], None, 0
    size = layout.size
    read = index.entries(span.listing, since=span.after or None, oldest_first=True, limit=span.count + 1)
    entries = [entry for entry in read if entry.position != span.after][: span.count]
    first = span.rank // size + 1
    # Numbered pages only, none past the listing's last: the newer ones are the front page's business.
    last = min(first - 1 + len(entries) // size, layout.count)
    parsed = parse_listing(span.listing)
    # The heading, as the front page shows it (an author's profile name, else the newest entry's
    # spelling): the simulation found an author's numbered page rendered here with the stories'
    # spelling where the front page's render had written the profile's name.
    newest = index.entries(span.listing, limit=1) if parsed else []
    shown = _as_shown(*parsed, summary, newest) if parsed else None
    written: list[SiteWrite] = []
    for _ in range(_SETTLE_ATTEMPTS):
        header = read_header(index, site) if shown is not None and last >= first else None
        writes = _Writes(site_store, FeedItems(site_store, site))
        for number in range(first, last + 1):
            page = entries[(number - first) * size : (number - first + 1) * size]
            if shown is not None:
                sections = header.sections if header else ()
                body = render.listing_page(shown, list(reversed(page)), site, number, layout.count, sections)
                writes.put(shown.page_path(number), body, HTML)
            else:
                writes.put(sitemap_chunk_path(number), render.sitemap(page, site), XML)
        written += writes.flush()
        # Pages written after a new set of sections in use was noted may have overtaken the rebuild
        # that set queued: rendered again.
        if header is None or not header_overtaken(header, index, site):
            break
    else:
        raise ListingKeptChanging(f"the sections in use kept changing while {span.listing} was rendered")
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
