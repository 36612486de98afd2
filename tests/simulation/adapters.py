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

from pressrun.aws.dynamodb import SITE_COUNT_SHARDS
from pressrun.index import (
    RENAMED_PARTITION,
    SITE_LISTING,
    IndexConflict,
    IndexUpdate,
    Key,
    ListingEntry,
    ListingSummary,
)
from pressrun.invalidation import SiteChange
from pressrun.model import ArticleRecord, Saved, SaveResult, SiteWrite, Waiter
from pressrun.rebuild import RebuildJob
from pressrun.scheduling import Release
from tests.simulation.dynamodb import (
    Action,
    ConditionalCheckFailed,
    Database,
    Item,
    TransactionCanceled,
)
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
        self.history: dict[str, list[Version]] = {}
        self.reports: dict[str, bytes] = {}
        # Reports whose deletion failed since they were last written.
        self.failed_deletions: set[str] = set()
        # Told of every report as it is written or deleted (the world notes what the tables said).
        self.on_report: Callable[[str, bytes], None] | None = None
        self.on_report_deleted: Callable[[str, bytes], None] | None = None

    # What editors do.

    def _change(self, key: str, data: bytes | None, now: datetime) -> Version:
        clock = self._clocks.setdefault(key, SequencerClock(self._rng))
        token = hashlib.sha256(f"{key}{next(self._serial)}".encode()).hexdigest()[:24]
        version = Version(version_id=token, sequencer=clock.next(), data=data, made_at=now)
        self.history.setdefault(key, []).append(version)
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
        version = next(v for v in self.history[key] if v.version_id == version_id and not v.deleted)
        version.deleted = True
        # A permanent deletion has a sequencer of its own, later than everything before it.
        sequencer = self._clocks[key].next()
        self._emit((key, version_id, sequencer, "version deleted", None))

    def stack(self, key: str) -> list[Version]:
        """The versions the key keeps, oldest first; the last is what it serves (unless a marker)."""
        return [version for version in self.history.get(key, []) if not version.deleted]

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

    def write_report(self, key: str, body: bytes) -> None:
        self._calls.before("s3.PutObject")
        self.reports[key] = body
        self.failed_deletions.discard(key)
        if self.on_report is not None:
            self.on_report(key, body)
        self._calls.after("s3.PutObject")

    def delete_report(self, key: str) -> None:
        try:
            self._calls.before("s3.HeadObject")
            if key in self.reports:
                self._calls.before("s3.DeleteObject")
                if key in self.reports and self.on_report_deleted is not None:
                    self.on_report_deleted(key, self.reports[key])
                # Deleting what another invocation deleted since the HEAD succeeds all the same.
                self.reports.pop(key, None)
                self._calls.after("s3.DeleteObject")
        except Exception:
            if key in self.reports:
                self.failed_deletions.add(key)
            raise


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
            self.objects[key] = body
        kind = "deleted" if body is None else "overwritten" if existed else "created"
        self.truth.append(SiteTruth(self._tick(), key, kind))
        sequencer = self._clocks.setdefault(key, SequencerClock(self._rng)).next()
        self._emit(key, sequencer, body is None)

    def _stored_hash(self, key: str) -> str | None:
        self._calls.before("s3.HeadObject")
        body = self.objects.get(key)
        return None if body is None else hashlib.sha256(body).hexdigest()

    def put(self, key: str, body: bytes, content_type: str, *, first_write: bool = False) -> SiteWrite | None:
        digest = hashlib.sha256(body).hexdigest()
        stored = None if first_write else self._stored_hash(key)
        if stored == digest:
            return None
        self._calls.before("s3.PutObject")
        self._store(key, body)
        self._calls.after("s3.PutObject")
        return SiteWrite(key=key, kind="created" if stored is None else "overwritten", digest=digest)

    def read(self, key: str) -> bytes | None:
        self._calls.before("s3.GetObject")
        return self.objects.get(key)

    def delete(self, key: str) -> SiteWrite | None:
        stored = self._stored_hash(key)
        if stored is None:
            return None
        self._calls.before("s3.DeleteObject")
        self._store(key, None)
        self._calls.after("s3.DeleteObject")
        return SiteWrite(key=key, kind="deleted", digest=stored)

    def put_many(
        self, pages: dict[str, tuple[bytes, str]], folders: Iterable[str] | None = None
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
        written = []
        for key, (body, _) in pages.items():
            if stored.get(key) == hashlib.md5(body, usedforsecurity=False).hexdigest():
                continue
            self._calls.before("s3.PutObject")
            self._store(key, body)
            self._calls.after("s3.PutObject")
            kind = "overwritten" if key in stored else "created"
            written.append(SiteWrite(key=key, kind=kind, digest=hashlib.sha256(body).hexdigest()))
        return written


# --- DynamoDB -----------------------------------------------------------------------------------


def _unchanged_since(previous: ArticleRecord | None) -> Callable[[Item | None], bool]:
    """The articles table still holds `previous` for this source (`_unchanged_since` of the adapter)."""
    if previous is None:
        return lambda item: item is None
    return lambda item: item is not None and item.get("sequencer") == previous.sequencer


class SimArticles:
    """`DynamoArticles` on the simulated tables: articles keyed by source, slug claims beside them."""

    def __init__(self, database: Database, calls: PortCalls) -> None:
        self._db = database
        self._calls = calls
        self.table = database.table("articles", ("source_key",))
        self.slugs = database.table("slugs", ("slug",))
        self.freed: set[str] = set()

    def current(self, source_key: str) -> ArticleRecord | None:
        self._calls.before("dynamodb.GetItem")
        item = self.table.get((source_key,), consistent=True)
        return ArticleRecord.model_validate(item) if item else None

    def slug_holder(self, slug: str) -> str | None:
        self._calls.before("dynamodb.GetItem")
        item = self.slugs.get((slug,), consistent=True)
        return str(item["source_key"]) if item and item.get("source_key") else None

    def reject(self, source_key: str, sequencer: str, previous: ArticleRecord | None) -> Saved:
        def refused(item: Item | None) -> Item:
            item = item or {"source_key": source_key}
            status = item.get("status", "rejected")
            return {**item, "sequencer": sequencer, "rejected_sequencer": sequencer, "status": status}

        self._calls.before("dynamodb.UpdateItem")
        try:
            self._db.write(self.table, (source_key,), refused, _unchanged_since(previous))
        except ConditionalCheckFailed:
            return Saved.CONFLICT
        self._calls.after("dynamodb.UpdateItem")
        return Saved.SAVED

    def live(self) -> Iterator[ArticleRecord]:
        # A scan without ConsistentRead, as the AWS adapter's: it may miss the newest writes.
        self._calls.before("dynamodb.Scan")
        for item in self.table.scan(consistent=False):
            if item.get("status") == "published":
                yield ArticleRecord.model_validate(item)

    def by_keys(self, source_keys: Iterable[str]) -> list[ArticleRecord]:
        self._calls.before("dynamodb.BatchGetItem")
        found = (self.table.get((key,), consistent=True) for key in dict.fromkeys(source_keys))
        return [ArticleRecord.model_validate(item) for item in found if item]

    def finished(self, source_key: str, sequencer: str) -> None:
        def without_waiters(item: Item | None) -> Item | None:
            return None if item is None else {k: v for k, v in item.items() if k != "pending_waiters"}

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
                self.table, (release.source_key,), lambda item: {**(item or {}), "status": "published"}, due
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
            # Who this write freed to try again: what the property test's oracle may ask about.
            self.freed.update(waiter.source_key for waiter in record.pending_waiters)
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
    `#summary` (the site listing's count spread over `site_count_shards` items), markers of renamed
    categories in `#renamed`. Every read is consistent, as the adapter's are."""

    def __init__(
        self, database: Database, calls: PortCalls, site_count_shards: int = SITE_COUNT_SHARDS
    ) -> None:
        self._db = database
        self._calls = calls
        self._shards = site_count_shards
        self.table = database.table("index", ("listing", "position"))

    def entries(
        self, listing: str, limit: int | None = None, since: str | None = None, oldest_first: bool = False
    ) -> list[ListingEntry]:
        self._calls.before("dynamodb.Query")
        items = self.table.query(listing, consistent=True)
        if since is not None:
            items = [item for item in items if item["position"] >= since]
        if not oldest_first:
            items.reverse()
        return [ListingEntry.model_validate(item) for item in items[:limit]]

    def positions(self, listing: str, since: str) -> list[str]:
        self._calls.before("dynamodb.Query")
        items = self.table.query(listing, consistent=True)
        return [item["position"] for item in reversed(items) if item["position"] >= since]

    def summaries(self, listings: Iterable[str] | None = None) -> dict[str, ListingSummary]:
        if listings is None:
            self._calls.before("dynamodb.Query")
            items = self.table.query(SUMMARY_PARTITION, consistent=True)
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
            summaries[SITE_LISTING] = ListingSummary(
                listing=SITE_LISTING,
                members=sum(item.get("members", 0) for item in site),
                revision=sum(item.get("revision", 0) for item in site),
            )
        return summaries

    def _summary_positions(self, listing: str) -> list[str]:
        if listing == SITE_LISTING:
            return [f"{SITE_LISTING}#{number:02d}" for number in range(self._shards)]
        return [listing]

    def existing(self, keys: Iterable[Key]) -> set[Key]:
        self._calls.before("dynamodb.BatchGetItem")
        return {key for key in set(keys) if self.table.get(key, consistent=True) is not None}

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
        if SITE_LISTING in update.listings:
            shard = site_shard(update.source_key, self._shards)
            change = update.member_change(SITE_LISTING)
            actions.append(Action(self.table, (SUMMARY_PARTITION, shard), None, _counted(shard, change)))
        for summary in update.summaries:
            if summary.listing in update.renamed:
                marker = {"listing": RENAMED_PARTITION, "position": summary.listing, "name": summary.name}
                actions.append(
                    Action(self.table, (RENAMED_PARTITION, summary.listing), None, lambda item, m=marker: m)
                )
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
