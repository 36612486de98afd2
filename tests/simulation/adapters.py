"""The ports, on the simulated services: each adapter makes the calls the AWS adapter makes, with the
same conditions and the same item layout (`pressrun.aws.dynamodb`, `pressrun.aws.s3`), so that what
the simulation proves about the domain holds for the domain behind the AWS adapters.

Every call first passes `PortCalls.before`, where the world may throw a transient error or let
another invocation run (concurrency at the granularity of calls); writes then pass `after`, where a
lost response may turn a write that happened into an error the caller sees.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pressrun.aws.dynamodb import LISTINGS_SITEMAP_PARTITION, SITE_COUNT_SHARDS
from pressrun.index import (
    SITE_LISTING,
    IndexConflict,
    IndexUpdate,
    Key,
    ListingEntry,
    ListingSummary,
    category_listing,
    listings_sitemap_capacity,
)
from pressrun.invalidation import SiteChange
from pressrun.model import ArticleRecord, AuthorProfile, Saved, SaveResult, SiteWrite, Waiter
from pressrun.ports import Announce
from pressrun.rebuild import RebuildJob
from pressrun.scheduling import Release
from pressrun.sweep_state import UploadState, UploadVersion
from tests.simulation.dynamodb import (
    Action,
    ConditionalCheckFailed,
    Database,
    Item,
    TransactionCanceled,
)
from tests.simulation.lambdas import FailedBatch
from tests.simulation.sequencers import SequencerClock

SUMMARY_PARTITION = "#summary"


class PortCalls(Protocol):
    def before(self, call: str) -> None: ...

    def after(self, call: str) -> None: ...


class Calm:
    """No faults, no interleaving: for tests of one adapter or of many threads."""

    def before(self, call: str) -> None:
        return None

    def after(self, call: str) -> None:
        return None


def _document(model: Any, **dump: Any) -> Item:
    # What `to_item` keeps: DynamoDB stores no null attributes.
    return {name: value for name, value in model.model_dump(mode="json", **dump).items() if value is not None}


# --- S3 -----------------------------------------------------------------------------------------


@dataclass
class Version:
    version_id: str
    sequencer: str
    # None for a delete marker.
    data: bytes | None
    # The simulated clock when the editor made this change.
    made_at: datetime
    # Permanently deleted since.
    deleted: bool = False
    # The version the pipeline showed for the key when this one was uploaded (the world notes it):
    # if this one is refused, that one, or a later one, must stay up.
    pipeline_had: str | None = None

    @property
    def is_marker(self) -> bool:
        return self.data is None


# (key, version id, sequencer, change, size) of one change, for the world to turn into an event.
UploadEvent = tuple[str, str, str, str, int | None]


class SimUploads:
    """A versioned uploads bucket. Each change gets a sequencer from its key's own clock and is
    handed to `emit`, which stands for S3's event notification (at least once, any order)."""

    def __init__(self, rng: random.Random, calls: PortCalls, emit: Callable[[UploadEvent], None]) -> None:
        self._rng = rng
        self._calls = calls
        self._emit = emit
        self._clocks: dict[str, SequencerClock] = {}
        self._serial = itertools.count(1)
        # Every version ever made, permanently deleted ones too, oldest first.
        self.every_version: dict[str, list[Version]] = {}
        self.reports: dict[str, bytes] = {}

    # What editors do.

    def _change(self, key: str, data: bytes | None, now: datetime) -> Version:
        clock = self._clocks.setdefault(key, SequencerClock(self._rng))
        token = hashlib.sha256(f"{key}{next(self._serial)}".encode()).hexdigest()[:24]
        version = Version(version_id=token, sequencer=clock.next(), data=data, made_at=now)
        self.every_version.setdefault(key, []).append(version)
        return version

    def put(self, key: str, data: bytes, now: datetime) -> Version:
        version = self._change(key, data, now)
        self._emit((key, version.version_id, version.sequencer, "created", len(data)))
        return version

    def delete(self, key: str, now: datetime) -> Version:
        marker = self._change(key, None, now)
        self._emit((key, marker.version_id, marker.sequencer, "delete marker", None))
        return marker

    def delete_version(self, key: str, version_id: str) -> None:
        """Permanently delete one version (a delete marker too: that undeletes the key)."""
        version = next(v for v in self.every_version[key] if v.version_id == version_id and not v.deleted)
        version.deleted = True
        # A permanent deletion has a sequencer of its own, later than everything before it.
        sequencer = self._clocks[key].next()
        self._emit((key, version_id, sequencer, "version deleted", None))

    def stack(self, key: str) -> list[Version]:
        """The versions the key keeps, oldest first; the last is what it serves (unless a marker)."""
        return [version for version in self.every_version.get(key, []) if not version.deleted]

    def serving(self, key: str) -> Version | None:
        stack = self.stack(key)
        return stack[-1] if stack and not stack[-1].is_marker else None

    # The port.

    def read(self, key: str, version_id: str | None, limit: int) -> bytes | None:
        self._calls.before("s3.GetObject")
        version = next((v for v in self.stack(key) if v.version_id == version_id), None)
        return None if version is None or version.data is None else version.data[: limit + 1]

    def current_version(self, key: str) -> str | None:
        self._calls.before("s3.HeadObject")
        serving = self.serving(key)
        return serving.version_id if serving else None

    def latest(self, prefix: str) -> Iterator[UploadState]:
        """ListObjectVersions: each key's newest version or delete marker (what IsLatest marks)."""
        self._calls.before("s3.ListObjectVersions")
        for key in sorted(self.every_version):
            stack = self.stack(key)
            if key.startswith(prefix) and stack:
                top = stack[-1]
                yield UploadState(
                    key=key, version_id=None if top.is_marker else top.version_id, last_modified=top.made_at
                )

    def reannounce(self, key: str) -> None:
        """A copy of the current version onto itself, or another delete marker: a new change, with
        its own event, as `S3Uploads.reannounce` makes."""
        self._calls.before("s3.HeadObject")
        serving = self.serving(key)
        now = self.every_version[key][-1].made_at if key in self.every_version else datetime.min
        self._calls.before("s3.CopyObject" if serving else "s3.DeleteObject")
        if serving is None or serving.data is None:
            self.delete(key, now)
        else:
            self.put(key, serving.data, now).pipeline_had = serving.pipeline_had
        self._calls.after("s3.CopyObject" if serving else "s3.DeleteObject")

    def write_report(self, key: str, body: bytes) -> None:
        self._calls.before("s3.PutObject")
        self.reports[key] = body
        self._calls.after("s3.PutObject")

    def history(self, key: str) -> list[UploadVersion]:
        self._calls.before("s3.ListObjectVersions")
        return [
            UploadVersion(version_id=version.version_id, delete_marker=version.is_marker)
            for version in reversed(self.stack(key))
        ]

    def delete_report(self, key: str) -> bool:
        self._calls.before("s3.HeadObject")
        if key not in self.reports:
            return False
        self._calls.before("s3.DeleteObject")
        # Deleting what another invocation deleted since the HEAD succeeds all the same.
        self.reports.pop(key, None)
        self._calls.after("s3.DeleteObject")
        return True


@dataclass(frozen=True)
class SiteTruth:
    """What a change did to the bucket, whatever the adapter said: whether an object was there."""

    tick: int
    key: str
    kind: str


class SimSite:
    """The site bucket, as `S3Site` uses it: a HEAD for the stored hash, a listing per folder for
    ETags (MD5 of the bytes, as a single PUT to an SSE-S3 bucket has). Every write and delete sends
    an S3 event (`emit`), as the bucket's EventBridge notifications do."""

    def __init__(
        self,
        rng: random.Random,
        calls: PortCalls,
        emit: Callable[[str, str, bool], None],
        tick: Callable[[], int],
    ) -> None:
        self._calls = calls
        self._emit = emit
        self._tick = tick
        self._rng = rng
        self._clocks: dict[str, SequencerClock] = {}
        self.objects: dict[str, bytes] = {}
        self.truth: list[SiteTruth] = []

    def _store(self, key: str, body: bytes | None) -> None:
        existed = key in self.objects
        if body is None:
            if not existed:
                # DeleteObject of a key that is not there (another invocation deleted it since this
                # one looked) succeeds and changes nothing.
                return
            del self.objects[key]
        else:
            if self.objects.get(key) == body:
                # The same bytes again (two renders that both found nothing there): nothing a reader
                # holds has gone stale.
                return
            self.objects[key] = body
        kind = "deleted" if body is None else "overwritten" if existed else "created"
        self.truth.append(SiteTruth(self._tick(), key, kind))
        sequencer = self._clocks.setdefault(key, SequencerClock(self._rng)).next()
        self._emit(key, sequencer, body is None)

    def _stored_hash(self, key: str) -> str | None:
        self._calls.before("s3.HeadObject")
        body = self.objects.get(key)
        return None if body is None else hashlib.sha256(body).hexdigest()

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
        stored = None if first_write else self._stored_hash(key)
        if stored == digest:
            return None
        write = SiteWrite(key=key, kind="created" if stored is None else "overwritten", digest=digest)
        if announce is not None:
            announce([write])
        self._calls.before("s3.PutObject")
        self._store(key, body)
        self._calls.after("s3.PutObject")
        return write

    def read(self, key: str) -> bytes | None:
        self._calls.before("s3.GetObject")
        return self.objects.get(key)

    def delete(self, key: str, *, announce: Announce | None = None) -> SiteWrite | None:
        stored = self._stored_hash(key)
        if stored is None:
            return None
        removal = SiteWrite(key=key, kind="deleted", digest=stored)
        if announce is not None:
            announce([removal])
        self._calls.before("s3.DeleteObject")
        self._store(key, None)
        self._calls.after("s3.DeleteObject")
        return removal

    def keys(self, after: str, limit: int) -> list[str]:
        self._calls.before("s3.ListObjectsV2")
        return sorted(key for key in self.objects if key > after)[:limit]

    def put_many(
        self,
        pages: dict[str, tuple[bytes, str]],
        folders: Iterable[str] | None = None,
        *,
        announce: Announce | None = None,
    ) -> list[SiteWrite]:
        prefixes = (
            {f"{folder.rstrip('/')}/" for folder in folders}
            if folders is not None
            else {f"{key.rpartition('/')[0]}/" if "/" in key else "" for key in pages}
        )
        stored: dict[str, str] = {}
        for prefix in sorted(prefixes):
            self._calls.before("s3.ListObjectsV2")
            for key, body in self.objects.items():
                # Without a delimiter a folder's listing holds everything below it; with one (a
                # page's own folder), only what sits directly in it.
                inside = key.startswith(prefix) and (folders is not None or "/" not in key[len(prefix) :])
                if inside:
                    stored[key] = hashlib.md5(body, usedforsecurity=False).hexdigest()
        changed = {
            key: body
            for key, (body, _) in pages.items()
            if stored.get(key) != hashlib.md5(body, usedforsecurity=False).hexdigest()
        }
        written = [
            SiteWrite(
                key=key,
                kind="overwritten" if key in stored else "created",
                digest=hashlib.sha256(body).hexdigest(),
            )
            for key, body in changed.items()
        ]
        if announce is not None and written:
            announce(written)
        for key, body in changed.items():
            self._calls.before("s3.PutObject")
            self._store(key, body)
            self._calls.after("s3.PutObject")
        return written


# --- DynamoDB -----------------------------------------------------------------------------------


def _unchanged_since(previous: ArticleRecord | None) -> Callable[[Item | None], bool]:
    """The articles table still holds `previous` for this source (`_unchanged_since` of the adapter)."""
    if previous is None:
        return lambda item: item is None
    return lambda item: (
        item is not None
        and item.get("sequencer") == previous.sequencer
        and item.get("rejected_sequencer", "") == previous.rejected_sequencer
    )


class SimArticles:
    """`DynamoArticles` on the simulated tables: articles keyed by source, slug claims beside them."""

    def __init__(self, database: Database, calls: PortCalls, clock: Callable[[], datetime]) -> None:
        self._db = database
        self._calls = calls
        self._clock = clock
        self.table = database.table("articles", ("source_key",))
        self.slugs = database.table("slugs", ("slug",))

    def current(self, source_key: str) -> ArticleRecord | None:
        self._calls.before("dynamodb.GetItem")
        item = self.table.get((source_key,), consistent=True)
        return ArticleRecord.model_validate(item) if item else None

    def slug_holder(self, slug: str) -> str | None:
        self._calls.before("dynamodb.GetItem")
        item = self.slugs.get((slug,), consistent=True)
        return str(item["source_key"]) if item and item.get("source_key") else None

    def _stamp(self) -> str:
        return self._clock().isoformat()

    def live(self) -> Iterator[ArticleRecord]:
        # A consistent scan, as the AWS adapter's: a rebuild for a change of the sections in use
        # must see every story recorded before it.
        self._calls.before("dynamodb.Scan")
        for item in self.table.scan(consistent=True):
            if item.get("status") == "published":
                yield ArticleRecord.model_validate(item)

    def by_keys(self, source_keys: Iterable[str]) -> list[ArticleRecord]:
        self._calls.before("dynamodb.BatchGetItem")
        found = (self.table.get((key,), consistent=True) for key in dict.fromkeys(source_keys))
        return [ArticleRecord.model_validate(item) for item in found if item]

    def changed_between(self, start: datetime, end: datetime) -> list[ArticleRecord]:
        # ChangedIndex, a global secondary index: its reads are never consistent.
        self._calls.before("dynamodb.Query")
        keys = [
            str(item["source_key"])
            for item in self.table.scan(consistent=False)
            if item.get("changed_at") and start <= datetime.fromisoformat(item["changed_at"]) <= end
        ]
        return self.by_keys(keys)

    def walk(self, after: str, limit: int) -> tuple[list[ArticleRecord], str]:
        if limit <= 0:
            return [], after
        self._calls.before("dynamodb.Scan")
        items = sorted(self.table.scan(consistent=True), key=lambda item: str(item["source_key"]))
        following = [item for item in items if str(item["source_key"]) > after]
        page = following[:limit]
        cursor = str(page[-1]["source_key"]) if len(following) > limit else ""
        return [ArticleRecord.model_validate(item) for item in page], cursor

    def finished(self, source_key: str, sequencer: str) -> None:
        def without_waiters(item: Item | None) -> Item | None:
            if item is None:
                return None
            kept = {k: v for k, v in item.items() if k != "pending_waiters"}
            return {**kept, "changed_at": self._stamp()}

        self._calls.before("dynamodb.UpdateItem")
        try:
            self._db.write(
                self.table,
                (source_key,),
                without_waiters,
                lambda item: item is not None and item.get("sequencer") == sequencer,
            )
        except ConditionalCheckFailed:
            return
        self._calls.after("dynamodb.UpdateItem")

    def go_live(self, release: Release) -> bool:
        def due(item: Item | None) -> bool:
            if item is None or item.get("status") != "scheduled":
                return False
            if release.source_version:
                return bool(item.get("source_version") == release.source_version)
            return "source_version" not in item

        self._calls.before("dynamodb.UpdateItem")
        try:
            self._db.write(
                self.table,
                (release.source_key,),
                lambda item: {**(item or {}), "status": "published", "changed_at": self._stamp()},
                due,
            )
        except ConditionalCheckFailed:
            return False
        self._calls.after("dynamodb.UpdateItem")
        return True

    def wait_for_slug(self, slug: str, waiter: Waiter) -> bool:
        def queued(item: Item | None) -> Item:
            assert item is not None
            waiting = {**item.get("waiting", {}), waiter.source_key: _document(waiter)}
            return {**item, "waiting": waiting, "waiters_version": item.get("waiters_version", 0) + 1}

        self._calls.before("dynamodb.UpdateItem")
        try:
            self._db.write(
                self.slugs,
                (slug,),
                queued,
                lambda item: item is not None and item.get("source_key") != waiter.source_key,
            )
        except ConditionalCheckFailed:
            return False
        self._calls.after("dynamodb.UpdateItem")
        return True

    def save(self, record: ArticleRecord, previous: ArticleRecord | None) -> SaveResult:
        actions: list[Action] = []
        if previous is not None and previous.slug and previous.slug != record.slug:
            # The release reads the claim first, as the adapter's does: it may be outdated by the time
            # the transaction runs, and then its condition fails.
            self._calls.before("dynamodb.GetItem")
            claim = self.slugs.get((previous.slug,), consistent=True) or {}
            freed = tuple(Waiter.model_validate(w) for w in claim.get("waiting", {}).values())
            seen = claim.get("waiters_version")

            def releasable(item: Item | None) -> bool:
                return item is None or (
                    item.get("source_key") == record.source_key and item.get("waiters_version") == seen
                )

            release = Action(self.slugs, (previous.slug,), releasable, lambda item: None)
            record = record.model_copy(update={"pending_waiters": freed})
        else:
            release = None
        record = record.model_copy(update={"changed_at": self._clock()})
        document = _document(record, exclude_defaults=True)
        actions.append(
            Action(self.table, (record.source_key,), _unchanged_since(previous), lambda item: document)
        )
        if record.slug:

            def claimed(item: Item | None) -> Item:
                kept = {k: v for k, v in (item or {}).items() if k in ("waiting", "waiters_version")}
                return {"waiting": {}, **kept, "slug": record.slug, "source_key": record.source_key}

            free_or_mine = lambda item: item is None or item.get("source_key") == record.source_key  # noqa: E731
            actions.append(Action(self.slugs, (record.slug,), free_or_mine, claimed))
        if release is not None:
            actions.append(release)
        self._calls.before("dynamodb.TransactWriteItems")
        try:
            self._db.transact(actions)
        except TransactionCanceled as cancelled:
            failed = [i for i, reason in enumerate(cancelled.reasons) if reason == "ConditionalCheckFailed"]
            if failed == [1] and record.slug:
                holder = cancelled.items[1] or {}
                return SaveResult(Saved.SLUG_TAKEN, holder.get("source_key"))
            if failed:
                return SaveResult(Saved.CONFLICT)
            raise
        self._calls.after("dynamodb.TransactWriteItems")
        return SaveResult(Saved.SAVED, record=record)


def site_shard(source_key: str, shards: int = SITE_COUNT_SHARDS) -> str:
    """The item that holds this article's part of the site listing's count (`_site_shard`)."""
    number = int(hashlib.sha256(source_key.encode("utf-8")).hexdigest(), 16) % shards
    return f"{SITE_LISTING}#{number:02d}"


class SimIndex:
    """`DynamoIndex` on the simulated table: membership items keyed (listing, position), summaries in
    `#summary` (the site listing's count spread over `site_count_shards` items; a tag's or an
    author's a bare count). Every read is consistent, as the adapter's are."""

    def __init__(
        self, database: Database, calls: PortCalls, site_count_shards: int = SITE_COUNT_SHARDS
    ) -> None:
        self._db = database
        self._calls = calls
        self._shards = site_count_shards
        self.table = database.table("index", ("listing", "position"))

    def entries(
        self,
        listing: str,
        limit: int | None = None,
        since: str | None = None,
        oldest_first: bool = False,
        before: str | None = None,
    ) -> list[ListingEntry]:
        self._calls.before("dynamodb.Query")
        items = self.table.query(listing, consistent=True)
        if since is not None:
            items = [item for item in items if item["position"] >= since]
        if before is not None:
            items = [item for item in items if item["position"] < before]
        if not oldest_first:
            items.reverse()
        return [ListingEntry.model_validate(item) for item in items[:limit]]

    def positions(self, listing: str, since: str) -> list[str]:
        self._calls.before("dynamodb.Query")
        items = self.table.query(listing, consistent=True)
        return [item["position"] for item in reversed(items) if item["position"] >= since]

    def summaries(self, listings: Iterable[str] | None = None) -> dict[str, ListingSummary]:
        if listings is None:
            # The sections' and the site's: the range `DynamoIndex` queries.
            self._calls.before("dynamodb.Query")
            first, last = category_listing(""), f"{SITE_LISTING}#~"
            items = [
                item
                for item in self.table.query(SUMMARY_PARTITION, consistent=True)
                if first <= item["position"] <= last
            ]
        else:
            self._calls.before("dynamodb.BatchGetItem")
            positions = [p for name in sorted(set(listings)) for p in self._summary_positions(name)]
            found = (self.table.get((SUMMARY_PARTITION, p), consistent=True) for p in positions)
            items = [item for item in found if item]
        summaries: dict[str, ListingSummary] = {}
        site = [item for item in items if item["position"].partition("#")[0] == SITE_LISTING]
        for item in items:
            if item not in site:
                fields = {k: v for k, v in item.items() if k != "position"}
                summaries[item["position"]] = ListingSummary.model_validate(
                    {**fields, "listing": item["position"]}
                )
        if site:
            header = next((item["header"] for item in site if item.get("header")), "")
            summaries[SITE_LISTING] = ListingSummary(
                listing=SITE_LISTING,
                members=sum(item.get("members", 0) for item in site),
                revision=sum(item.get("revision", 0) for item in site),
                header=tuple(header.split("\n")) if header else (),
            )
        return summaries

    def _summary_positions(self, listing: str) -> list[str]:
        if listing == SITE_LISTING:
            return [f"{SITE_LISTING}#{number:02d}" for number in range(self._shards)]
        return [listing]

    def listings_after(self, after: str, limit: int) -> list[str]:
        self._calls.before("dynamodb.Query")
        names: list[str] = []
        for item in self.table.query(SUMMARY_PARTITION, consistent=True):
            name = item["position"].partition("#")[0]
            # Listings with stories: an emptied one keeps its summary, at zero (`FilterExpression`).
            if name > after and item.get("members", 0) > 0 and name not in names:
                names.append(name)
        return names[:limit]

    def name_pages(self, listing: str, heading: str, revision: int) -> bool:
        self._calls.before("dynamodb.UpdateItem")

        def at_revision(item: Item | None) -> bool:
            return item is not None and item.get("revision") == revision

        try:
            self._db.write(
                self.table,
                (SUMMARY_PARTITION, listing),
                lambda item: {**(item or {}), "pages_heading": heading},
                at_revision,
            )
        except ConditionalCheckFailed:
            return False
        self._calls.after("dynamodb.UpdateItem")
        return True

    def set_profile(self, listing: str, profile: AuthorProfile | None, sequencer: str) -> bool:
        self._calls.before("dynamodb.UpdateItem")

        def older(item: Item | None) -> bool:
            return item is None or item.get("profile_sequencer", "") <= sequencer

        def kept(item: Item | None) -> Item:
            item = {
                **(item or {"listing": SUMMARY_PARTITION, "position": listing}),
                "profile_sequencer": sequencer,
            }
            item.pop("profile", None)
            if profile is not None:
                item["profile"] = profile.model_dump(mode="json", exclude_defaults=True)
            return item

        try:
            self._db.write(self.table, (SUMMARY_PARTITION, listing), kept, older)
        except ConditionalCheckFailed:
            return False
        self._calls.after("dynamodb.UpdateItem")
        return True

    def note_header(self, was: tuple[str, ...], now: tuple[str, ...]) -> bool:
        """`DynamoIndex.note_header`: on the first site shard, one string compared whole."""
        self._calls.before("dynamodb.UpdateItem")
        shard = self._summary_positions(SITE_LISTING)[0]

        def unchanged(item: Item | None) -> bool:
            return (item or {}).get("header", "") == "\n".join(was)

        def noted(item: Item | None) -> Item:
            return {**(item or {"listing": SUMMARY_PARTITION, "position": shard}), "header": "\n".join(now)}

        try:
            self._db.write(self.table, (SUMMARY_PARTITION, shard), noted, unchanged)
        except ConditionalCheckFailed:
            return False
        self._calls.after("dynamodb.UpdateItem")
        return True

    def place_in_listings_sitemap(self, listing: str, file_size: int) -> int:
        """`DynamoIndex.place_in_listings_sitemap`: the summary read, the newest file queried when the
        listing has none, and one transaction conditional on both."""
        for _ in range(5):
            placed = self._place_once(listing, file_size)
            if placed is not None:
                return placed
        raise IndexConflict(f"the listings sitemap kept changing while {listing} was placed in it")

    def _place_once(self, listing: str, file_size: int) -> int | None:
        self._calls.before("dynamodb.GetItem")
        summary = self.table.get((SUMMARY_PARTITION, listing), consistent=True) or {}
        listed = summary.get("members", 0) > 0
        number = int(summary.get("sitemap_file", 0))
        if number and summary.get("in_sitemap", False) == listed:
            return number
        if not number and not listed:
            return 0

        def counted(item: Item | None, placed: int) -> bool:
            return (
                item is not None
                and (item.get("members", 0) > 0) == listed
                and item.get("sitemap_file", 0) == placed
            )

        def named(item: Item | None, file: int) -> Item:
            held = item or {"listing": LISTINGS_SITEMAP_PARTITION, "position": f"{file:08d}"}
            names = set(held.get("named", ()))
            names = names | {listing} if listed else names - {listing}
            kept = {name: value for name, value in held.items() if name != "named"}
            return {**kept, "named": sorted(names)} if names else kept

        if number:
            actions = [
                Action(
                    self.table,
                    (SUMMARY_PARTITION, listing),
                    lambda item: counted(item, number),
                    lambda item: {**(item or {}), "in_sitemap": listed},
                ),
                Action(
                    self.table,
                    (LISTINGS_SITEMAP_PARTITION, f"{number:08d}"),
                    None,
                    lambda item: named(item, number),
                ),
            ]
        else:
            self._calls.before("dynamodb.Query")
            files = self.table.query(LISTINGS_SITEMAP_PARTITION, consistent=True)
            number, places = (int(files[-1]["position"]), files[-1].get("places", 0)) if files else (1, 0)
            if places >= listings_sitemap_capacity(number, file_size):
                number, places = number + 1, 0

            def unchanged(item: Item | None) -> bool:
                return item is None if places == 0 else item is not None and item.get("places") == places

            actions = [
                Action(
                    self.table,
                    (LISTINGS_SITEMAP_PARTITION, f"{number:08d}"),
                    unchanged,
                    lambda item: {**named(item, number), "places": places + 1},
                ),
                Action(
                    self.table,
                    (SUMMARY_PARTITION, listing),
                    lambda item: counted(item, 0),
                    lambda item: {**(item or {}), "sitemap_file": number, "in_sitemap": True},
                ),
            ]
        self._calls.before("dynamodb.TransactWriteItems")
        try:
            self._db.transact(actions)
        except TransactionCanceled:
            return None
        self._calls.after("dynamodb.TransactWriteItems")
        return number

    def listings_sitemap_file(self, number: int) -> tuple[list[str], int]:
        self._calls.before("dynamodb.GetItem")
        held = self.table.get((LISTINGS_SITEMAP_PARTITION, f"{number:08d}"), consistent=True) or {}
        self._calls.before("dynamodb.Query")
        files = self.table.query(LISTINGS_SITEMAP_PARTITION, consistent=True)
        return sorted(held.get("named", ())), int(files[-1]["position"]) if files else 0

    def existing(self, keys: Iterable[Key]) -> dict[Key, ListingEntry]:
        self._calls.before("dynamodb.BatchGetItem")
        found = (self.table.get(key, consistent=True) for key in set(keys))
        held = [ListingEntry.model_validate(item) for item in found if item is not None]
        return {entry.key: entry for entry in held}

    def memberships_of(self, source_key: str) -> set[Key]:
        # BySource, a global secondary index: its reads are never consistent.
        self._calls.before("dynamodb.Query")
        return {
            (str(item["listing"]), str(item["position"]))
            for item in self.table.scan(consistent=False)
            if item.get("source_key") == source_key
        }

    def actions(self, update: IndexUpdate) -> list[Action]:
        """The transaction `DynamoIndex.apply` sends for the update, item for item."""
        actions: list[Action] = []
        for entry in update.put:
            document = _document(entry)
            if entry.key in update.added:
                actions.append(
                    Action(self.table, entry.key, lambda item: item is None, lambda item, d=document: d)
                )
            else:
                actions.append(
                    Action(self.table, entry.key, lambda item: item is not None, lambda item, d=document: d)
                )
        for key in update.delete:
            actions.append(Action(self.table, key, lambda item: item is not None, lambda item: None))
        for summary in update.summaries:
            actions.append(self._section_update(summary, update.member_change(summary.listing)))
        for listing in update.counted:
            change = update.member_change(listing)
            actions.append(Action(self.table, (SUMMARY_PARTITION, listing), None, _counted(listing, change)))
        if SITE_LISTING in update.listings:
            shard = site_shard(update.source_key, self._shards)
            change = update.member_change(SITE_LISTING)
            actions.append(Action(self.table, (SUMMARY_PARTITION, shard), None, _counted(shard, change)))
        return actions

    def _section_update(self, summary: ListingSummary, members: int) -> Action:
        revision = summary.revision

        def unchanged(item: Item | None) -> bool:
            return item is None if not revision else item is not None and item.get("revision") == revision

        newest = [_document(entry) for entry in summary.newest]

        def updated(item: Item | None) -> Item:
            counted = _counted(summary.listing, members)(item)
            return {**counted, "name": summary.name, "newest": newest}

        return Action(self.table, (SUMMARY_PARTITION, summary.listing), unchanged, updated)

    def apply(self, update: IndexUpdate) -> None:
        actions = self.actions(update)
        self._calls.before("dynamodb.TransactWriteItems")
        try:
            self._db.transact(actions)
        except TransactionCanceled as cancelled:
            raise IndexConflict(str(cancelled)) from cancelled
        self._calls.after("dynamodb.TransactWriteItems")


def _counted(position: str, members: int) -> Callable[[Item | None], Item]:
    """ADD members :members, revision :one."""

    def add(item: Item | None) -> Item:
        item = item or {"listing": SUMMARY_PARTITION, "position": position}
        return {**item, "members": item.get("members", 0) + members, "revision": item.get("revision", 0) + 1}

    return add


# --- Scheduler, CloudFront, SNS, SQS (as ports) -------------------------------------------------


@dataclass
class Schedule:
    at: datetime
    release: Release
    attempts: int = 0


class SimScheduler:
    """EventBridge Scheduler's one-time schedules; the world fires them when their time comes."""

    def __init__(self, calls: PortCalls) -> None:
        self._calls = calls
        self.schedules: dict[str, Schedule] = {}

    def schedule(self, name: str, at: datetime, release: Release) -> None:
        self._calls.before("scheduler.CreateSchedule")
        self.schedules[name] = Schedule(at, release)
        self._calls.after("scheduler.CreateSchedule")

    def cancel(self, name: str) -> None:
        self._calls.before("scheduler.DeleteSchedule")
        self.schedules.pop(name, None)
        self._calls.after("scheduler.DeleteSchedule")


@dataclass(frozen=True)
class Invalidation:
    tick: int
    paths: tuple[str, ...]
    caller_reference: str


class SimCdn:
    """CloudFront's CreateInvalidation: a repeated caller reference is answered with the invalidation
    already made, and creates none."""

    def __init__(self, calls: PortCalls, tick: Callable[[], int]) -> None:
        self._calls = calls
        self._tick = tick
        self.invalidations: list[Invalidation] = []
        self._references: set[str] = set()

    def invalidate(self, paths: list[str], caller_reference: str) -> None:
        self._calls.before("cloudfront.CreateInvalidation")
        if caller_reference not in self._references:
            self._references.add(caller_reference)
            self.invalidations.append(Invalidation(self._tick(), tuple(paths), caller_reference))
        self._calls.after("cloudfront.CreateInvalidation")


@dataclass
class SimAlerts:
    calls: PortCalls
    sent: list[tuple[str, str]] = field(default_factory=list)

    def rejected(self, source_key: str, text: str) -> None:
        self.calls.before("sns.Publish")
        self.sent.append((source_key, text))


@dataclass
class SimRedirects:
    """RedirectStore as a key-value store at the edge holds it: each call may fail, or lose its
    response after it took effect, like any other AWS call."""

    calls: PortCalls
    redirects: dict[str, str] = field(default_factory=dict)

    def target(self, path: str) -> str | None:
        self.calls.before("kvs.GetKey")
        return self.redirects.get(path)

    def put(self, path: str, target: str) -> None:
        self.calls.before("kvs.PutKey")
        self.redirects[path] = target
        self.calls.after("kvs.PutKey")

    def delete(self, path: str) -> None:
        self.calls.before("kvs.DeleteKey")
        self.redirects.pop(path, None)
        self.calls.after("kvs.DeleteKey")

    def sources_of(self, target: str) -> list[str]:
        # The redirects table's reverse index, read consistently (pressrun.aws.redirects).
        self.calls.before("dynamodb.Query")
        return sorted(path for path, to in self.redirects.items() if to == target)


class SimJobQueue:
    """The rebuild queue, as the rebuild function sends to it."""

    def __init__(self, calls: PortCalls, send: Callable[[str], None]) -> None:
        self._calls = calls
        self._send = send

    def send(self, jobs: list[RebuildJob]) -> None:
        self._calls.before("sqs.SendMessageBatch")
        for job in jobs:
            self._send(job.model_dump_json())


class SimInvalidationRequests:
    """The InvalidationRequests port on the invalidation queue: one message per site change."""

    def __init__(self, calls: PortCalls, send: Callable[[str], None]) -> None:
        self._calls = calls
        self._send = send

    def request(self, changes: list[SiteChange]) -> None:
        self._calls.before("sqs.SendMessageBatch")
        for change in changes:
            self._send(change.model_dump_json())


class SimFailedBatches:
    """The stream's on-failure destination, as the sweep reads it: when each given-up batch's first
    and last records arrived, and nothing of what they held."""

    def __init__(self, batches: list[FailedBatch]) -> None:
        self._batches = batches
        self._taken: list[FailedBatch] = []

    def take(self) -> list[tuple[datetime, datetime]]:
        self._taken = list(self._batches)
        return [
            (batch.first_arrival, batch.last_arrival)
            for batch in self._taken
            if batch.first_arrival is not None and batch.last_arrival is not None
        ]

    def settled(self) -> None:
        for batch in self._taken:
            self._batches.remove(batch)
        self._taken = []
