"""Every port of the domain, in one place: what pressrun needs from storage, queues and the CDN.

Each port has three adapters: in-memory fakes (`tests/fakes.py`), AWS (`pressrun.aws`, boto3) and
local (`pressrun.local`, SQLite and the site folder). One contract suite per port
(`tests/contracts/`) runs against all of them, so they cannot drift apart.

Every read that a decision follows is a strongly consistent read: the AWS adapters pass
`ConsistentRead=True`, and the delivery simulation (`tests/simulation/`) serves any read that does
not promise it from a recent window of writes, as DynamoDB may.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pressrun.images import ImageRecord, Recipe, Rendered, SourceImage
    from pressrun.index import IndexUpdate, Key, ListingEntry, ListingSummary
    from pressrun.invalidation import SiteChange
    from pressrun.model import ArticleRecord, AuthorProfile, SaveResult, SiteWrite, Waiter
    from pressrun.pings import Ping
    from pressrun.rebuild import RebuildJob
    from pressrun.scheduling import Release
    from pressrun.sweep_state import SweepState, UploadState, UploadVersion


# Told what a site store is about to change, before it does.
Announce = Callable[[list["SiteWrite"]], None]


class UploadStore(Protocol):
    """The uploads bucket: what editors uploaded (versioned), and the reports they get back."""

    def read(self, key: str, version_id: str | None, limit: int) -> bytes | None:
        """The upload's bytes at that version, at most `limit + 1` of them (so that an upload over the
        limit is known to be without reading it whole); None when that version no longer exists."""
        ...

    def current_version(self, key: str) -> str | None:
        """The version the key serves now, or None when it serves nothing."""
        ...

    def history(self, key: str) -> list[UploadVersion]:
        """Every version and delete marker the key still keeps, newest first (ListObjectVersions):
        what a refusal may leave up is decided from it, not from the order events came in."""
        ...

    def write_report(self, key: str, body: bytes) -> None: ...

    def delete_report(self, key: str) -> bool:
        """Remove the report; whether there was one."""
        ...

    def latest(self, prefix: str) -> Iterator[UploadState]:
        """What every key under the prefix serves now, in key order: its current version, or a
        delete marker (`version_id` None). A key with no version left at all is not listed."""
        ...

    def reannounce(self, key: str) -> None:
        """Make the bucket tell of the key's current state again, with a fresh event and sequencer:
        its current version copied onto itself, or a new delete marker. What S3 dropped then flows
        through the pipeline as any upload does."""
        ...


class ArticleRepository(Protocol):
    """The articles table (newest version of each source wins) and the slug claims beside it."""

    def current(self, source_key: str) -> ArticleRecord | None:
        """The record as it is now (a consistent read)."""
        ...

    def finished(self, source_key: str, sequencer: str) -> None:
        """Forget the pending waiters of the record at this sequencer: they have been tried."""
        ...

    def save(self, record: ArticleRecord, previous: ArticleRecord | None) -> SaveResult:
        """Store the record, all or nothing, if the table still holds `previous` (else CONFLICT) and
        no other source holds its slug (else SLUG_TAKEN). The record claims its slug and releases the
        previous record's slug when that differs, keeping who waited for it as pending waiters."""
        ...

    def wait_for_slug(self, slug: str, waiter: Waiter) -> bool:
        """Queue the waiter on a slug another source holds; False when the slug is free by now."""
        ...

    def slug_holder(self, slug: str) -> str | None:
        """The source that holds the slug now (a consistent read), or None."""
        ...

    def go_live(self, release: Release) -> bool:
        """Publish the scheduled article if it is still that version and still scheduled."""
        ...

    def changed_between(self, start: datetime, end: datetime) -> list[ArticleRecord]:
        """The records the table changed between these times (`changed_at`), read again consistently.
        On DynamoDB from an index on the change time, so a sweep never reads the whole table."""
        ...

    def walk(self, after: str, limit: int) -> tuple[list[ArticleRecord], str]:
        """Up to `limit` records after the cursor (empty: from the start) and the cursor after
        them, empty once the table is done: a sweep checks the archive a slice at a time."""
        ...

    def by_keys(self, source_keys: Iterable[str]) -> list[ArticleRecord]:
        """The records of these sources that exist (consistent reads)."""
        ...


class ReleasableArticles(Protocol):
    def go_live(self, release: Release) -> bool:
        """Publish the scheduled article if it is still that version and still scheduled."""
        ...


class LiveArticles(Protocol):
    def live(self) -> Iterator[ArticleRecord]:
        """Every published article, in no particular order; one recorded before the call is never
        missed (a consistent scan)."""
        ...

    def by_keys(self, source_keys: Iterable[str]) -> list[ArticleRecord]:
        """The records of these sources that exist (consistent reads)."""
        ...


class ImageRepository(Protocol):
    """The images table: one record per image upload (newest S3 sequencer wins, as for articles),
    with who waits for it and who uses it. Every write is conditional on the record read."""

    def current(self, source_key: str) -> ImageRecord | None:
        """The record as it is now (a consistent read)."""
        ...

    def save(self, record: ImageRecord, previous: ImageRecord | None) -> bool:
        """Store the record if the table still holds `previous` (the same `revision`, or nothing when
        None), its revision one past the one read; False when it changed meanwhile."""
        ...

    def walk(self, after: str, limit: int) -> tuple[list[ImageRecord], str]:
        """Up to `limit` records after the cursor (empty: from the start) and the cursor after them,
        empty once the table is done."""
        ...


class ImageCodec(Protocol):
    """What an image file is and what it renders to (Pillow, in `pressrun.imaging`). A file that is
    no usable image raises `images.ImageRefused`, whatever is wrong with it."""

    def inspect(self, data: bytes, max_pixels: int) -> SourceImage:
        """Its format and upright size, from its header alone: refused past `max_pixels`."""
        ...

    def render(self, data: bytes, max_pixels: int, recipe: Recipe) -> Iterator[Rendered]:
        """Every output of the recipe, upright, in sRGB, without metadata."""
        ...


class ImageRequests(Protocol):
    """The image queue, for what ingest asks of an image besides its upload: crops at a focus an
    article needs that it has none at yet."""

    def request(self, source_key: str) -> None: ...


class CategoryIndex(Protocol):
    """Membership items keyed (listing, position), and one summary per listing."""

    def entries(
        self,
        listing: str,
        limit: int | None = None,
        since: str | None = None,
        oldest_first: bool = False,
        before: str | None = None,
    ) -> list[ListingEntry]:
        """Newest first (or oldest first), optionally only those at or after position `since`, or
        only those before position `before`."""
        ...

    def positions(self, listing: str, since: str) -> list[str]:
        """The positions at or after `since`, newest first: what `entries` would give, without the
        rest of each entry (DynamoDB reads whole items all the same; less is sent and parsed)."""
        ...

    def summaries(self, listings: Iterable[str] | None = None) -> dict[str, ListingSummary]:
        """The summaries of the listings named or, given None, the site's and every section's (what the
        home page shows; tags and authors are too many to read on every publish). A summary's
        `revision` grows with every change to its listing, so a renderer can tell whether what it
        read still holds."""
        ...

    def listings_after(self, after: str, limit: int) -> list[str]:
        """Up to `limit` names of listings of every kind that have stories, after `after`, in name
        order: a rebuild or a sweep walks them all a slice at a time."""
        ...

    def name_pages(self, listing: str, heading: str, revision: int) -> bool:
        """Note that every numbered page of the listing now shows `heading`, if the listing is still at
        `revision` (what the pages were rendered from); False when it has moved on."""
        ...

    def set_profile(self, listing: str, profile: AuthorProfile | None, sequencer: str) -> bool:
        """Keep an author's profile (None: none any more) in their listing's summary, unless the one
        it holds came from a newer upload (a greater sequencer): then False. The same upload judged
        again (its photo's new renditions) replaces it. The summary need not have members."""
        ...

    def note_header(self, was: tuple[str, ...], now: tuple[str, ...]) -> bool:
        """Note in the site listing's summary (`header`) the sections every page's header names now,
        if it still notes `was`; False when another render noted something else meanwhile."""
        ...

    def place_in_listings_sitemap(self, listing: str, file_size: int) -> int:
        """Keep the listing named by its file of the listings sitemap while its summary counts stories,
        and out of it once it counts none (the summary's `in_sitemap` says which, written with the
        file's names); the number of its file, 0 when it never had one. The file is chosen the first
        time the listing is named: the newest, or a new one once the newest has given out
        `listings_sitemap_capacity` places. It never changes: an emptied listing leaves its place
        unused, and takes it again if it comes back."""
        ...

    def listings_sitemap_file(self, number: int) -> tuple[list[str], int]:
        """The listings file `number` of the listings sitemap names, in name order, and how many files
        there are."""
        ...

    def existing(self, keys: Iterable[Key]) -> dict[Key, ListingEntry]:
        """Which of these memberships the index holds now, as it holds them."""
        ...

    def memberships_of(self, source_key: str) -> set[Key]:
        """Where the index lists this article. On DynamoDB from an index on the source, which may lag
        a moment: confirm with `existing` before acting."""
        ...

    def apply(self, update: IndexUpdate) -> None:
        """Write the update in one transaction; raise `IndexConflict` if a condition fails."""
        ...


class SiteStore(Protocol):
    """The site bucket: what readers get. Identical bytes are never rewritten."""

    def put(
        self,
        key: str,
        body: bytes,
        content_type: str,
        *,
        first_write: bool = False,
        announce: Announce | None = None,
    ) -> SiteWrite | None:
        """Write the object unless it already holds exactly these bytes; what was done, or None.
        `first_write` says no object can be there yet, so there is nothing to look at first.
        `announce` is told what is about to change before it changes, so that whatever must follow
        a change (an invalidation) is asked for even if the process dies right after the write."""
        ...

    def delete(self, key: str, *, announce: Announce | None = None) -> SiteWrite | None:
        """Remove the object; None when there was none. `announce` as for `put`."""
        ...

    def put_many(
        self,
        pages: dict[str, tuple[bytes, str]],
        folders: Iterable[str] | None = None,
        *,
        announce: Announce | None = None,
    ) -> list[SiteWrite]:
        """`put` for several pages at once, cheaper than one by one; what was written. `folders`, when
        given, hold every page, and reading each of them whole is cheaper than a read per page.
        `announce` is told of every change at once, before any is made."""
        ...

    def keys(self, after: str, limit: int) -> list[str]:
        """Up to `limit` object keys after `after`, in key order: a sweep walks the site a slice at
        a time for pages nobody owns."""
        ...

    def read(self, key: str) -> bytes | None:
        """The object's bytes as the store holds them now (what this store's writes left, even
        before they reach readers), or None when there is none."""
        ...


class SearchIndexer(Protocol):
    """What builds the static search bundle (Pagefind, `pressrun.search_bundle`)."""

    def build(self, pages: Sequence[tuple[str, str]]) -> dict[str, bytes]:
        """The whole bundle for these pages, each given as (URL path, HTML): every file's path within
        the bundle's folder, and its bytes. The entry file is `pagefind-entry.json`."""
        ...


class RedirectStore(Protocol):
    """Permanent redirects the CDN and the local servers answer: an old site path to the path it moved to."""

    def target(self, path: str) -> str | None: ...

    def put(self, path: str, target: str) -> None: ...

    def delete(self, path: str) -> None: ...

    def sources_of(self, target: str) -> list[str]:
        """Every path that redirects to `target`, in path order (a consistent read): when the target
        moves on, they follow it, so that no reader ever takes two hops."""
        ...


class InvalidationRequests(Protocol):
    """The invalidation queue: site objects that readers may hold stale copies of."""

    def request(self, changes: list[SiteChange]) -> None: ...


class PingQueue(Protocol):
    """The ping queue: jobs telling IndexNow or a WebSub hub of a change readers can see."""

    def send(self, pings: Sequence[Ping], delay_seconds: int) -> None:
        """Queue the pings, each to be handled no sooner than `delay_seconds` from now."""
        ...


class PingSender(Protocol):
    """HTTP out to a ping's target."""

    def post(self, url: str, body: bytes, content_type: str) -> int:
        """POST the body and return the answer's status (any status, 4xx and 5xx included); raise
        `OSError` when there is no answer (refused, reset, timed out, a name that does not resolve)."""
        ...


class Cdn(Protocol):
    def invalidate(self, paths: list[str], caller_reference: str) -> None: ...


class EditorAlerts(Protocol):
    def rejected(self, source_key: str, text: str) -> None:
        """Tell the newsroom an upload was rejected, with the same lines `pressrun check` prints."""
        ...


class Scheduler(Protocol):
    def schedule(self, name: str, at: datetime, release: Release) -> None:
        """Create the one-time schedule, or move it if it exists."""
        ...

    def cancel(self, name: str) -> None:
        """Remove the schedule; removing one that is gone is fine."""
        ...


class JobQueue(Protocol):
    def send(self, jobs: list[RebuildJob]) -> None: ...


class SiteRebuilds(Protocol):
    """Asks for every page to be rendered again (a rebuild's jobs queued, not rendered here):
    something every page shows has changed."""

    def request(self) -> None: ...


class SweepJournal(Protocol):
    """Where the reconciliation sweep keeps its cursors and what it found last time."""

    def load(self) -> SweepState: ...

    def save(self, state: SweepState) -> None: ...


class FailedBatches(Protocol):
    """The stream's on-failure destination: coordinates of batches whose records are gone."""

    def take(self) -> list[tuple[datetime, datetime]]:
        """The times spanned by each batch that exhausted its retries (first and last record's
        arrival)."""
        ...

    def settled(self) -> None:
        """Forget the batches taken: the sweep has re-checked their spans. Until then a sweep that
        fails part-way leaves them for the next."""
        ...
