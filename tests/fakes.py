"""In-memory stand-ins for the adapters, so the domain is tested without AWS."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pressrun.images import ImageRecord
from pressrun.index import (
    SITE_LISTING,
    IndexConflict,
    IndexUpdate,
    Key,
    ListingEntry,
    ListingSummary,
    category_of,
    listings_sitemap_capacity,
)
from pressrun.invalidation import SiteChange
from pressrun.model import ArticleRecord, AuthorProfile, Saved, SaveResult, SiteWrite, Waiter
from pressrun.pings import Ping
from pressrun.ports import Announce
from pressrun.scheduling import Release
from pressrun.sweep_state import SweepState, UploadState, UploadVersion

# When a fake's objects were written, unless a test says: long before any test's "now".
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass
class MemoryUploads:
    """A versioned bucket: the newest version added is current until it is deleted or marked."""

    objects: dict[tuple[str, str | None], bytes] = field(default_factory=dict)
    current: dict[str, str | None] = field(default_factory=dict)
    reports: dict[str, bytes] = field(default_factory=dict)
    modified: dict[str, datetime] = field(default_factory=dict)
    reannounced: list[str] = field(default_factory=list)

    # Each key's versions and delete markers, oldest first.
    versions: dict[str, list[UploadVersion]] = field(default_factory=dict)

    def add(self, key: str, data: bytes, version_id: str | None = "v1", at: datetime = LONG_AGO) -> None:
        self.objects[(key, version_id)] = data
        self.current[key] = version_id
        self.modified[key] = at
        self.versions.setdefault(key, []).append(UploadVersion(version_id=version_id or "null"))

    def delete_version(self, key: str, version_id: str, now_current: str | None) -> None:
        self.objects.pop((key, version_id), None)
        self.current[key] = now_current
        kept = self.versions.get(key, [])
        self.versions[key] = [version for version in kept if version.version_id != version_id]

    def mark_deleted(self, key: str, at: datetime = LONG_AGO, marker: str | None = None) -> None:
        """A delete marker: the key answers 404, its versions stay."""
        self.current[key] = None
        self.modified[key] = at
        marker = marker or f"marker-{len(self.versions.get(key, []))}"
        self.versions.setdefault(key, []).append(UploadVersion(version_id=marker, delete_marker=True))

    def history(self, key: str) -> list[UploadVersion]:
        newest_first = list(reversed(self.versions.get(key, [])))
        # A test may set what a key serves by hand (`current`): a delete marker put or removed.
        serving = self.current.get(key)
        if serving is None and key in self.current and not (newest_first and newest_first[0].delete_marker):
            newest_first.insert(0, UploadVersion(version_id="marker", delete_marker=True))
        while serving is not None and newest_first and newest_first[0].delete_marker:
            newest_first.pop(0)
        return newest_first

    def latest(self, prefix: str) -> Iterator[UploadState]:
        for key in sorted(self.current):
            if key.startswith(prefix):
                yield UploadState(
                    key=key, version_id=self.current[key], last_modified=self.modified.get(key, LONG_AGO)
                )

    def reannounce(self, key: str) -> None:
        self.reannounced.append(key)

    def current_version(self, key: str) -> str | None:
        return self.current.get(key)

    def read(self, key: str, version_id: str | None, limit: int) -> bytes | None:
        # No version named reads what the key serves now, as a GET without VersionId does.
        data = self.objects.get((key, version_id if version_id is not None else self.current.get(key)))
        return None if data is None else data[: limit + 1]

    def write_report(self, key: str, body: bytes) -> None:
        self.reports[key] = body

    def delete_report(self, key: str) -> bool:
        return self.reports.pop(key, None) is not None


def _same_write(current: ArticleRecord, previous: ArticleRecord) -> bool:
    # A waiter accepted under the sequencer its refusal was recorded with differs from the refusal
    # only there: the condition every adapter puts on a write (`sequencer` and `rejected_sequencer`).
    return (current.sequencer, current.rejected_sequencer) == (
        previous.sequencer,
        previous.rejected_sequencer,
    )


@dataclass
class MemoryArticles:
    """The articles table and the slug claims, with the same conditions as the DynamoDB adapter."""

    records: dict[str, ArticleRecord] = field(default_factory=dict)
    slugs: dict[str, str] = field(default_factory=dict)
    waiting: dict[str, dict[str, Waiter]] = field(default_factory=dict)
    # The adapter's clock, which stamps `changed_at` as DynamoArticles does.
    clock: Callable[[], datetime] = lambda: LONG_AGO

    def _store(self, record: ArticleRecord) -> ArticleRecord:
        stamped = record.model_copy(update={"changed_at": self.clock()})
        self.records[record.source_key] = stamped
        return stamped

    def changed_between(self, start: datetime, end: datetime) -> list[ArticleRecord]:
        return [
            record
            for record in self.records.values()
            if record.changed_at is not None and start <= record.changed_at <= end
        ]

    def walk(self, after: str, limit: int) -> tuple[list[ArticleRecord], str]:
        keys = sorted(key for key in self.records if key > after)[:limit]
        return [self.records[key] for key in keys], keys[-1] if keys and len(keys) == limit else ""

    def current(self, source_key: str) -> ArticleRecord | None:
        return self.records.get(source_key)

    def slug_holder(self, slug: str) -> str | None:
        return self.slugs.get(slug)

    def live(self) -> Iterator[ArticleRecord]:
        # Table order, which is no order: DynamoDB scans by partition key hash.
        return (record for record in reversed(self.records.values()) if record.status == "published")

    def by_keys(self, source_keys: Iterable[str]) -> list[ArticleRecord]:
        return [self.records[key] for key in dict.fromkeys(source_keys) if key in self.records]

    def _unchanged_since(self, source_key: str, previous: ArticleRecord | None) -> bool:
        current = self.records.get(source_key)
        if previous is None:
            return current is None
        return current is not None and _same_write(current, previous)

    def finished(self, source_key: str, sequencer: str) -> None:
        current = self.records.get(source_key)
        if current is not None and current.sequencer == sequencer:
            self._store(current.model_copy(update={"pending_waiters": ()}))

    def save(self, record: ArticleRecord, previous: ArticleRecord | None) -> SaveResult:
        if not self._unchanged_since(record.source_key, previous):
            return SaveResult(Saved.CONFLICT)
        holder = self.slugs.get(record.slug)
        if record.slug and holder not in (None, record.source_key):
            return SaveResult(Saved.SLUG_TAKEN, holder)
        if previous is not None and previous.slug and previous.slug != record.slug:
            if self.slugs.get(previous.slug) not in (None, record.source_key):
                return SaveResult(Saved.CONFLICT)
            self.slugs.pop(previous.slug, None)
            freed = tuple(self.waiting.pop(previous.slug, {}).values())
            record = record.model_copy(update={"pending_waiters": freed})
        if record.slug:
            self.slugs[record.slug] = record.source_key
        return SaveResult(Saved.SAVED, record=self._store(record))

    def go_live(self, release: Release) -> bool:
        current = self.records.get(release.source_key)
        if (
            current is None
            or current.status != "scheduled"
            or current.source_version != release.source_version
        ):
            return False
        self._store(current.model_copy(update={"status": "published"}))
        return True

    def wait_for_slug(self, slug: str, waiter: Waiter) -> bool:
        if self.slugs.get(slug) in (None, waiter.source_key):
            return False
        self.waiting.setdefault(slug, {})[waiter.source_key] = waiter
        return True


@dataclass
class MemorySite:
    objects: dict[str, bytes] = field(default_factory=dict)
    writes: int = 0
    folders_read: list[str] = field(default_factory=list)

    def put(
        self,
        key: str,
        body: bytes,
        content_type: str,
        *,
        first_write: bool = False,
        announce: Announce | None = None,
    ) -> SiteWrite | None:
        digest = hashlib.sha256(body).hexdigest()
        existed = key in self.objects
        if existed and hashlib.sha256(self.objects[key]).hexdigest() == digest:
            return None
        write = SiteWrite(key=key, kind="overwritten" if existed else "created", digest=digest)
        if announce is not None:
            announce([write])
        self.objects[key] = body
        self.writes += 1
        return write

    def keys(self, after: str, limit: int) -> list[str]:
        return sorted(key for key in self.objects if key > after)[:limit]

    def read(self, key: str) -> bytes | None:
        return self.objects.get(key)

    def delete(self, key: str, *, announce: Announce | None = None) -> SiteWrite | None:
        if key not in self.objects:
            return None
        removal = SiteWrite(key=key, kind="deleted", digest=hashlib.sha256(self.objects[key]).hexdigest())
        if announce is not None:
            announce([removal])
        del self.objects[key]
        return removal

    def put_many(
        self,
        pages: dict[str, tuple[bytes, str]],
        folders: Iterable[str] | None = None,
        *,
        announce: Announce | None = None,
    ) -> list[SiteWrite]:
        self.folders_read += sorted(set(folders or ()))
        written = (
            self.put(key, body, content_type, announce=announce)
            for key, (body, content_type) in pages.items()
        )
        return [write for write in written if write is not None]


@dataclass
class MemoryIndex:
    """The index table, with the adapter's conditions: a replayed change conflicts, never counts twice.
    Counts and revisions move as the DynamoDB adapter moves them."""

    items: dict[Key, ListingEntry] = field(default_factory=dict)
    summary_items: dict[str, ListingSummary] = field(default_factory=dict)
    writes: int = 0
    # The listings sitemap: the names each file holds, and the places each has given out.
    sitemap_files: dict[int, set[str]] = field(default_factory=dict)
    sitemap_places: dict[int, int] = field(default_factory=dict)

    def entries(
        self,
        listing: str,
        limit: int | None = None,
        since: str | None = None,
        oldest_first: bool = False,
        before: str | None = None,
    ) -> list[ListingEntry]:
        found = sorted(
            (
                e
                for (name, position), e in self.items.items()
                if name == listing
                and (since is None or position >= since)
                and (before is None or position < before)
            ),
            key=lambda e: e.position,
            reverse=not oldest_first,
        )
        return found[:limit] if limit is not None else found

    def positions(self, listing: str, since: str) -> list[str]:
        return sorted((at for name, at in self.items if name == listing and at >= since), reverse=True)

    def summaries(self, listings: Iterable[str] | None = None) -> dict[str, ListingSummary]:
        if listings is None:
            names = [n for n in self.summary_items if n == SITE_LISTING or category_of(n) is not None]
        else:
            names = [n for n in listings if n in self.summary_items]
        return {name: self.summary_items[name] for name in names}

    def listings_after(self, after: str, limit: int) -> list[str]:
        return sorted(n for n, summary in self.summary_items.items() if n > after and summary.members > 0)[
            :limit
        ]

    def name_pages(self, listing: str, heading: str, revision: int) -> bool:
        stored = self.summary_items.get(listing)
        if stored is None or stored.revision != revision:
            return False
        self.summary_items[listing] = stored.model_copy(update={"pages_heading": heading})
        return True

    def set_profile(self, listing: str, profile: AuthorProfile | None, sequencer: str) -> bool:
        stored = self.summary_items.get(listing) or ListingSummary(listing=listing)
        if stored.profile_sequencer > sequencer:
            return False
        self.summary_items[listing] = stored.model_copy(
            update={"profile": profile, "profile_sequencer": sequencer}
        )
        return True

    def note_header(self, was: tuple[str, ...], now: tuple[str, ...]) -> bool:
        stored = self.summary_items.get(SITE_LISTING) or ListingSummary(listing=SITE_LISTING)
        if stored.header != was:
            return False
        self.summary_items[SITE_LISTING] = stored.model_copy(update={"header": now})
        return True

    def place_in_listings_sitemap(self, listing: str, file_size: int) -> int:
        stored = self.summary_items.get(listing) or ListingSummary(listing=listing)
        listed = stored.members > 0
        number = stored.sitemap_file
        if not number:
            if not listed:
                return 0
            number = max(self.sitemap_files, default=1)
            if self.sitemap_places.get(number, 0) >= listings_sitemap_capacity(number, file_size):
                number += 1
            self.sitemap_places[number] = self.sitemap_places.get(number, 0) + 1
        names = self.sitemap_files.setdefault(number, set())
        if listed:
            names.add(listing)
        else:
            names.discard(listing)
        self.summary_items[listing] = stored.model_copy(update={"sitemap_file": number, "in_sitemap": listed})
        return number

    def listings_sitemap_file(self, number: int) -> tuple[list[str], int]:
        return sorted(self.sitemap_files.get(number, ())), max(self.sitemap_files, default=0)

    def existing(self, keys: Iterable[Key]) -> dict[Key, ListingEntry]:
        return {key: self.items[key] for key in keys if key in self.items}

    def memberships_of(self, source_key: str) -> set[Key]:
        return {key for key, entry in self.items.items() if entry.source_key == source_key}

    def apply(self, update: IndexUpdate) -> None:
        changed = [entry.key for entry in update.put if entry.key not in update.added]
        if (
            any(key in self.items for key in update.added)
            or any(key not in self.items for key in update.delete)
            or any(key not in self.items for key in changed)
        ):
            raise IndexConflict("membership condition failed")
        for summary in update.summaries:
            stored = self.summary_items.get(summary.listing)
            if (stored.revision if stored else 0) != summary.revision:
                raise IndexConflict("summary changed")
        for key in update.delete:
            del self.items[key]
        for entry in update.put:
            self.items[entry.key] = entry
        planned = {summary.listing: summary for summary in update.summaries}
        for listing in update.listings:
            stored = self.summary_items.get(listing) or ListingSummary(listing=listing)
            plan = planned.get(listing)
            fields = {"name": plan.name, "newest": plan.newest} if plan else {}
            self.summary_items[listing] = stored.model_copy(
                update={
                    **fields,
                    "members": stored.members + update.member_change(listing),
                    "revision": stored.revision + 1,
                }
            )
        self.writes += 1


@dataclass
class RecordingCdn:
    requests: list[tuple[list[str], str]] = field(default_factory=list)

    def invalidate(self, paths: list[str], caller_reference: str) -> None:
        self.requests.append((paths, caller_reference))


@dataclass
class RecordingInvalidations:
    requested: list[SiteChange] = field(default_factory=list)

    def request(self, changes: list[SiteChange]) -> None:
        self.requested += changes


@dataclass
class RecordingPings:
    """PingQueue: each ping queued, with the delay it was queued with."""

    queued: list[tuple[Ping, int]] = field(default_factory=list)

    def send(self, pings: Sequence[Ping], delay_seconds: int) -> None:
        self.queued += [(ping, delay_seconds) for ping in pings]

    @property
    def pings(self) -> list[Ping]:
        return [ping for ping, _ in self.queued]


@dataclass
class ScriptedTarget:
    """PingSender without a network: every POST is recorded and answered with `status`, or, while
    the target is `down`, with no answer at all (OSError), as a dead server gives."""

    status: int = 200
    down: bool = False
    requests: list[tuple[str, bytes, str]] = field(default_factory=list)

    def post(self, url: str, body: bytes, content_type: str) -> int:
        if self.down:
            raise ConnectionRefusedError(f"{url}: connection refused")
        self.requests.append((url, body, content_type))
        return self.status


@dataclass
class MemoryJournal:
    state: SweepState = field(default_factory=SweepState)

    def load(self) -> SweepState:
        return self.state.model_copy(deep=True)

    def save(self, state: SweepState) -> None:
        self.state = state.model_copy(deep=True)


@dataclass
class MemoryFailedBatches:
    """The stream's on-failure destination: what is left of a batch is when its records arrived."""

    batches: list[tuple[datetime, datetime]] = field(default_factory=list)
    taken: list[tuple[datetime, datetime]] = field(default_factory=list)

    def take(self) -> list[tuple[datetime, datetime]]:
        self.taken = list(self.batches)
        return self.taken

    def settled(self) -> None:
        self.batches = [batch for batch in self.batches if batch not in self.taken]
        self.taken = []


@dataclass
class RecordingScheduler:
    schedules: dict[str, tuple[datetime, Release]] = field(default_factory=dict)

    def schedule(self, name: str, at: datetime, release: Release) -> None:
        self.schedules[name] = (at, release)

    def cancel(self, name: str) -> None:
        self.schedules.pop(name, None)


@dataclass
class RecordingAlerts:
    sent: list[tuple[str, str]] = field(default_factory=list)

    def rejected(self, source_key: str, text: str) -> None:
        self.sent.append((source_key, text))


@dataclass
class MemoryImages:
    """The images table, with the adapters' condition: a write holds only against the revision read."""

    records: dict[str, ImageRecord] = field(default_factory=dict)
    clock: Callable[[], datetime] = lambda: LONG_AGO

    def current(self, source_key: str) -> ImageRecord | None:
        return self.records.get(source_key)

    def save(self, record: ImageRecord, previous: ImageRecord | None) -> bool:
        stored = self.records.get(record.source_key)
        if (stored.revision if stored else None) != (previous.revision if previous else None):
            return False
        revision = (previous.revision if previous else 0) + 1
        self.records[record.source_key] = record.model_copy(
            update={"revision": revision, "changed_at": self.clock()}
        )
        return True

    def walk(self, after: str, limit: int) -> tuple[list[ImageRecord], str]:
        keys = sorted(key for key in self.records if key > after)[:limit]
        return [self.records[key] for key in keys], keys[-1] if keys and len(keys) == limit else ""


@dataclass
class RecordingImageRequests:
    requested: list[str] = field(default_factory=list)

    def request(self, source_key: str) -> None:
        self.requested.append(source_key)


@dataclass
class MemorySearchIndexer:
    """SearchIndexer as Pagefind behaves for pressrun: content-addressed fragments, one per page, an
    entry file naming them, and the UI's fixed files."""

    builds: list[list[str]] = field(default_factory=list)

    def build(self, pages: Sequence[tuple[str, str]]) -> dict[str, bytes]:
        self.builds.append([path for path, _ in pages])
        fragments = {
            f"fragment/{hashlib.sha256(html.encode()).hexdigest()[:12]}.pf_fragment": html.encode()
            for _, html in pages
        }
        entry = json.dumps({"pages": [path for path, _ in pages], "fragments": sorted(fragments)})
        return {"pagefind-ui.js": b"// ui", **fragments, "pagefind-entry.json": entry.encode()}


@dataclass
class MemoryRedirects:
    """The site's redirects: old path → the path it moved to."""

    targets: dict[str, str] = field(default_factory=dict)

    def target(self, path: str) -> str | None:
        return self.targets.get(path)

    def put(self, path: str, target: str) -> None:
        self.targets[path] = target

    def delete(self, path: str) -> None:
        self.targets.pop(path, None)

    def sources_of(self, target: str) -> list[str]:
        return sorted(path for path, to in self.targets.items() if to == target)
