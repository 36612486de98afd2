"""The site folder as the emulated stack's storage: the stack starts from the state `pressrun publish`
keeps (`pressrun.local`: one `DIR/.pressrun/state.db`, read and written through its own adapters) and
hands back to it, so that one folder is one site whichever way it is published.

`load` puts into moto, through the same AWS APIs the pipeline uses, what the cloud's buckets and tables
would hold: every upload version (moto gives each a new version id, so the records, waiters and
schedules that name one are given the new one), the editors' reports, the articles, slug claims, index
and sweep state, the redirects, the pending schedules and the site's files. It runs before the stack's
streams and bucket events are connected (`schedules` just after: they need the functions), so nothing
replays.

`save` goes the other way: the upload versions made and removed since, as S3 answered them
(`s3_events`), the table items written since (`item_writes`), the pending schedules, and the site
objects written or removed, each at its key inside the
folder (`site_path`); a key that would leave the folder is refused and said, never written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import ClientError

from pressrun.aws.dynamodb import (
    LISTINGS_SITEMAP_PARTITION,
    SUMMARY_PARTITION,
    DynamoIndex,
    DynamoSweepJournal,
    article_item,
    from_item,
    image_item,
    index_items,
    listings_sitemap_item,
    listings_sitemap_of,
    slug_claim,
    slug_item,
)
from pressrun.aws.redirects import redirect_items, redirect_of_item
from pressrun.aws.s3 import S3Site, S3Uploads
from pressrun.aws.scheduler import EventBridgeScheduler
from pressrun.emulator.item_writes import ItemWrites
from pressrun.emulator.runner import one_time_at
from pressrun.emulator.s3_events import Kind
from pressrun.emulator.stack import LocalStack
from pressrun.images import ImageRecord
from pressrun.index import ListingEntry
from pressrun.ingest import PREVIEWS, REJECTED
from pressrun.local.dispatcher import LocalPorts
from pressrun.local.site_folder import UnsafeKey, site_path
from pressrun.local.sweeping import SqliteSweepJournal
from pressrun.model import ArticleRecord, Waiter
from pressrun.scheduling import Release

UPLOADS_BUCKET = "UploadsBucket"
SITE_BUCKET = "SiteBucket"
ARTICLES_TABLE = "ArticlesTable"
SLUGS_TABLE = "SlugsTable"
INDEX_TABLE = "IndexTable"
IMAGES_TABLE = "ImagesTable"
REDIRECTS_TABLE = "RedirectsTable"
# BatchWriteItem and BatchGetItem take at most this many items per call.
_WRITE_BATCH = 25
_READ_BATCH = 100
_PAGE = 1000
# A report is a few lines per problem: far below this.
_REPORT_LIMIT = 1 << 20


@dataclass
class Loaded:
    # moto's id of each upload version loaded, by the local engine's id, and the other way round.
    moto_ids: dict[str, str] = field(default_factory=dict)
    local_ids: dict[str, str] = field(default_factory=dict)

    def to_moto(self, version_id: str | None) -> str | None:
        return self.moto_ids.get(version_id, version_id) if version_id else version_id

    def to_local(self, version_id: str | None) -> str | None:
        return self.local_ids.get(version_id, version_id) if version_id else version_id


# --- into moto -------------------------------------------------------------------------------------


def load(stack: LocalStack, ports: LocalPorts, site_dir: Path, listing_freshness_seconds: int) -> Loaded:
    loaded = Loaded()
    _load_uploads(stack, ports, loaded)
    _load_tables(stack, ports, loaded)
    site = S3Site(stack.client("s3"), stack.physical(SITE_BUCKET), listing_freshness_seconds)
    for key in _site_keys(ports):
        try:
            body = site_path(site_dir, key).read_bytes()
        except (FileNotFoundError, UnsafeKey):
            continue  # removed by hand: what a sweep would find missing
        content_type = ports.site_store.content_type(key) or "application/octet-stream"
        site.put(key, body, content_type, first_write=True)
    # The site's next changes come after the ones it has: sequencers only grow.
    stack.announcer.sequencers.last = max(stack.announcer.sequencers.last, ports.uploads.last_sequencer())
    return loaded


def load_schedules(stack: LocalStack, ports: LocalPorts, loaded: Loaded) -> None:
    """The pending schedules, as the scheduling function made them (it names the function they call)."""
    scheduler = _scheduler(stack)
    for name, (at, release) in ports.scheduler.pending().items():
        scheduler.schedule(name, at, _release(release, loaded.to_moto))


def _load_uploads(stack: LocalStack, ports: LocalPorts, loaded: Loaded) -> None:
    s3, bucket = stack.client("s3"), stack.physical(UPLOADS_BUCKET)
    for upload in list(ports.uploads.latest("")):
        for version in ports.uploads.versions(upload.key):
            if version.blob is None:
                answer = s3.delete_object(Bucket=bucket, Key=version.key)
            else:
                body = (ports.uploads.blobs / version.blob).read_bytes()
                answer = s3.put_object(Bucket=bucket, Key=version.key, Body=body)
            if answer.get("VersionId"):
                loaded.moto_ids[version.version_id] = answer["VersionId"]
                loaded.local_ids[answer["VersionId"]] = version.version_id
    reports = S3Uploads(s3, bucket)
    for prefix, folder in ((REJECTED, ports.uploads.reports), (PREVIEWS, ports.uploads.previews)):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                reports.write_report(prefix + path.relative_to(folder).as_posix(), path.read_bytes())


def _load_tables(stack: LocalStack, ports: LocalPorts, loaded: Loaded) -> None:
    dynamodb = stack.client("dynamodb")
    records = [_record(record, loaded.to_moto) for record in _articles(ports)]
    _put_items(dynamodb, stack.physical(ARTICLES_TABLE), [article_item(record) for record in records])
    holders, waiters = ports.articles.claims()
    claims = [
        slug_item(slug, holder, [_waiter(waiter, loaded.to_moto) for waiter in waiters.get(slug, [])])
        for slug, holder in holders.items()
    ]
    _put_items(dynamodb, stack.physical(SLUGS_TABLE), claims)
    index = index_items(ports.index.all_entries(), ports.index.all_summaries())
    index += [listings_sitemap_item(*file) for file in ports.index.listings_sitemap_files()]
    _put_items(dynamodb, stack.physical(INDEX_TABLE), index)
    DynamoSweepJournal(dynamodb, stack.physical(INDEX_TABLE)).save(SqliteSweepJournal(ports.state).load())
    images = [image_item(_image(record, loaded.to_moto)) for record in _images(ports)]
    _put_items(dynamodb, stack.physical(IMAGES_TABLE), images)
    redirects = ports.redirects.everything()
    items = [item for path, target in redirects for item in redirect_items(path, target)]
    _put_items(dynamodb, stack.physical(REDIRECTS_TABLE), items)


def _put_items(dynamodb: Any, table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), _WRITE_BATCH):
        request = {table: [{"PutRequest": {"Item": item}} for item in items[start : start + _WRITE_BATCH]]}
        while request:
            request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def _articles(ports: LocalPorts) -> Iterator[ArticleRecord]:
    after = ""
    while True:
        records, after = ports.articles.walk(after, _PAGE)
        yield from records
        if not after:
            return


def _images(ports: LocalPorts) -> Iterator[ImageRecord]:
    after = ""
    while True:
        records, after = ports.images.walk(after, _PAGE)
        yield from records
        if not after:
            return


def _site_keys(ports: LocalPorts) -> Iterator[str]:
    after = ""
    while keys := ports.site_store.keys(after, _PAGE):
        yield from keys
        after = keys[-1]


# --- back to the folder ------------------------------------------------------------------------------


def save(stack: LocalStack, ports: LocalPorts, loaded: Loaded, site_dir: Path, log: TextIO) -> list[str]:
    """Hand the stack's state back to the local state (in its open transaction; the caller commits).
    The site keys refused, since no file inside the folder holds them."""
    _save_uploads(stack, ports, loaded, log)
    _save_tables(stack, ports, loaded)
    return _save_site(stack, ports, site_dir, log)


def _save_uploads(stack: LocalStack, ports: LocalPorts, loaded: Loaded, log: TextIO) -> None:
    s3, bucket = stack.client("s3"), stack.physical(UPLOADS_BUCKET)
    now = datetime.now(UTC)
    reports: dict[str, None] = {}
    for change in stack.changes.history:
        if change.bucket != bucket:
            continue
        if change.key.startswith((REJECTED, PREVIEWS)):
            reports[change.key] = None
        elif change.kind is Kind.DELETED:
            if change.version_id:
                ports.uploads.forget(loaded.to_local(change.version_id) or "")
        elif change.version_id is None:
            continue  # the uploads bucket is versioned: never
        elif change.kind is Kind.DELETE_MARKER:
            ports.uploads.adopt(change.key, None, change.version_id, now)
        else:
            try:
                body = s3.get_object(Bucket=bucket, Key=change.key, VersionId=change.version_id)[
                    "Body"
                ].read()
            except ClientError:
                continue  # removed for good since: its removal comes later in the history
            ports.uploads.adopt(change.key, body, change.version_id, now)
    ports.uploads.follow_sequencers(stack.announcer.sequencers.last)
    uploads = S3Uploads(s3, bucket)
    for key in reports:
        report = uploads.read(key, None, _REPORT_LIMIT)
        try:
            if report is None:
                ports.uploads.delete_report(key)
            else:
                ports.uploads.write_report(key, report)
        except ValueError as refused:
            print(f"pressrun dev: not kept: {refused}", file=log)


def _save_tables(stack: LocalStack, ports: LocalPorts, loaded: Loaded) -> None:
    """The items written since the stack was connected, read back one by one (`item_writes`)."""
    dynamodb = stack.client("dynamodb")
    for key, item in _read_back(dynamodb, stack.physical(ARTICLES_TABLE), stack.writes):
        if item is None:
            ports.articles.forget(key["source_key"]["S"])
        else:
            ports.articles.keep(_record(ArticleRecord.model_validate(from_item(item)), loaded.to_local))
    for key, item in _read_back(dynamodb, stack.physical(SLUGS_TABLE), stack.writes):
        if item is None:
            ports.articles.keep_claim(key["slug"]["S"], None, [])
        else:
            slug, holder, waiters = slug_claim(item)
            ports.articles.keep_claim(slug, holder, [_waiter(waiter, loaded.to_local) for waiter in waiters])
    index_table = stack.physical(INDEX_TABLE)
    summaries = set()
    for key, item in _read_back(dynamodb, index_table, stack.writes):
        listing, position = key["listing"]["S"], key["position"]["S"]
        if listing == SUMMARY_PARTITION:
            # The site listing's count is spread over shards, read back together as one summary.
            summaries.add(position.partition("#")[0])
        elif listing == LISTINGS_SITEMAP_PARTITION:
            if item is not None:
                ports.index.keep_listings_sitemap_file(*listings_sitemap_of(item))
        elif listing.startswith("#"):
            continue  # the sweep's state (below) and markers of renamed categories
        elif item is None:
            ports.index.forget((listing, position))
        else:
            ports.index.keep(ListingEntry.model_validate(from_item(item)))
    for summary in DynamoIndex(dynamodb, index_table).summaries(summaries).values() if summaries else ():
        ports.index.keep_summary(summary)
    for _, item in _read_back(dynamodb, stack.physical(IMAGES_TABLE), stack.writes):
        if item is not None:
            ports.images.keep(_image(ImageRecord.model_validate(from_item(item)), loaded.to_local))
    for key, item in _read_back(dynamodb, stack.physical(REDIRECTS_TABLE), stack.writes):
        redirect = redirect_of_item(key, item)
        if redirect is None:
            continue
        path, target = redirect
        if target is None:
            ports.redirects.delete(path)
        else:
            ports.redirects.put(path, target)
    swept, journal = DynamoSweepJournal(dynamodb, index_table).load(), SqliteSweepJournal(ports.state)
    if swept != journal.load():
        journal.save(swept)
    scheduler, group = stack.client("scheduler"), stack.physical("ScheduleGroup")
    schedules = {}
    for summary in scheduler.list_schedules(GroupName=group).get("Schedules", []):
        schedule = scheduler.get_schedule(GroupName=group, Name=summary["Name"])
        release = Release.model_validate_json(schedule["Target"]["Input"])
        schedules[summary["Name"]] = (one_time_at(schedule), _release(release, loaded.to_local))
    ports.scheduler.replace_all(schedules)


def _read_back(
    dynamodb: Any, table: str, writes: ItemWrites
) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    """(key, item as the table holds it now, None if gone) for each item written."""
    keys = writes.keys(table)
    for start in range(0, len(keys), _READ_BATCH):
        wanted = keys[start : start + _READ_BATCH]
        found: dict[str, dict[str, Any]] = {}
        request: dict[str, Any] = {table: {"Keys": wanted, "ConsistentRead": True}}
        while request:
            answer = dynamodb.batch_get_item(RequestItems=request)
            for item in answer["Responses"].get(table, []):
                found[_key_id(item, wanted[0])] = item
            request = answer.get("UnprocessedKeys") or {}
        for key in wanted:
            yield key, found.get(_key_id(key, key))


def _key_id(item: dict[str, Any], key: dict[str, Any]) -> str:
    return json.dumps({name: item[name] for name in key}, sort_keys=True)


def _save_site(stack: LocalStack, ports: LocalPorts, site_dir: Path, log: TextIO) -> list[str]:
    s3, bucket = stack.client("s3"), stack.physical(SITE_BUCKET)
    changed = dict.fromkeys(change.key for change in stack.changes.history if change.bucket == bucket)
    refused = []
    for key in changed:
        try:
            site_path(site_dir, key)
            try:
                obj = s3.get_object(Bucket=bucket, Key=key)
            except ClientError:
                ports.site_store.delete(key)
                continue
            ports.site_store.put(key, obj["Body"].read(), obj.get("ContentType", "application/octet-stream"))
        except (UnsafeKey, OSError) as error:
            # A key outside the folder, or one the folder cannot hold (a file where a folder is):
            # said, and the rest of the site kept.
            refused.append(key)
            print(f"pressrun dev: {key!r} not written into {site_dir}: {error}", file=log)
    return refused


# --- what names an upload version --------------------------------------------------------------------


def _record(record: ArticleRecord, version: Any) -> ArticleRecord:
    return record.model_copy(
        update={
            "source_version": version(record.source_version),
            "rejected_version": version(record.rejected_version),
            "pending_waiters": tuple(_waiter(waiter, version) for waiter in record.pending_waiters),
        }
    )


def _image(record: ImageRecord, version: Any) -> ImageRecord:
    return record.model_copy(
        update={
            "source_version": version(record.source_version),
            "waiters": tuple(_waiter(waiter, version) for waiter in record.waiters),
            "pending_waiters": tuple(_waiter(waiter, version) for waiter in record.pending_waiters),
        }
    )


def _waiter(waiter: Waiter, version: Any) -> Waiter:
    return waiter.model_copy(update={"source_version": version(waiter.source_version)})


def _release(release: Release, version: Any) -> Release:
    return release.model_copy(update={"source_version": version(release.source_version)})


def _scheduler(stack: LocalStack) -> EventBridgeScheduler:
    environment = next(f.environment for f in stack.functions if f.environment.get("SCHEDULE_GROUP"))
    return EventBridgeScheduler(
        stack.client("scheduler"),
        environment["SCHEDULE_GROUP"],
        environment["SCHEDULER_ROLE_ARN"],
        environment["RELEASE_FUNCTION_ARN"],
        environment["SCHEDULE_DEAD_LETTER_ARN"],
    )
