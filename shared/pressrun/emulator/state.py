"""Local state between runs, kept under the site folder: the site bucket is the site folder itself;
the tables, the pending schedules, the dead letters, which uploads there are and what each site
object carries besides its bytes are rows of `.pressrun/state.db` (format 3, `state_store`); the
uploads' bytes are files in `.pressrun/uploads/`, named by their SHA-256. `.pressrun/state.json`
says which format the state is in (formats 1 and 2 were the whole state as JSON, and still read).
Restored before the stack is connected, so nothing replays.

Restoring and saving go straight to moto's models rather than through the S3 and DynamoDB APIs:
the round trip of a 10,000-article site through botocore and moto's request parsing took ~2 minutes
around a pipeline of seconds. What ends up in moto is what those calls made: the same items, the
uploads with their saved version ids, and the site objects with the bytes, content type, metadata
and checksum their last writer gave them (so the pipeline's ETag and `content-sha256` comparisons
see what they saw when the state was saved). Their bytes and attributes are read when first used
(`stored`), and a site file is read only when its size or time differ from the saved ones
(`folder_scan`): a publish into a site of 10,000 articles reads a handful of them. A site file that
is new, or whose bytes differ from what was saved, goes in through `S3Site.put` as any page does.
At the end of a run only the site objects that were written or deleted are mirrored to the folder,
and only the rows that changed are written.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import hashlib
import json
import mimetypes
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.s3.models import FakeBucket, FakeKey, S3Backend, s3_backends

from pressrun.aws.s3 import S3Site
from pressrun.emulator import folder_scan
from pressrun.emulator.stack import ACCOUNT, REGION, LocalStack
from pressrun.emulator.state_store import ItemRow, SiteEntry, StateStore, UploadEntry
from pressrun.emulator.stored import StoredItem, StoredKeys, attributes, scalar

STATE_DIR = ".pressrun"
_STATE_FILE = "state.json"
_DATABASE = "state.db"
_UPLOADS_DIR = "uploads"
# 3: the state in SQLite, read as it is used; 2: the whole state as JSON, uploads as files, site
# objects' metadata; 1: as 2 with the uploads in the JSON, base64, and no site objects.
_FORMAT = 3
_JSON_FORMATS = {1, 2}
_SCHEDULE_FIELDS = (
    "Name",
    "GroupName",
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "FlexibleTimeWindow",
    "Target",
    "ActionAfterCompletion",
)


@dataclass
class Restored:
    """What `restore` put in the buckets and tables, so that `mirror` and `save` can tell what the
    run changed."""

    # The database the state was restored from, open for the items read later; None when the state
    # was JSON (or there was none): then `save` writes a new database with everything in it.
    store: StateStore | None = None
    # Site key -> the object restored for it, and the entry that describes it.
    site: dict[str, tuple[FakeKey, SiteEntry]] = field(default_factory=dict)
    # Site keys the database has rows for (some may have lost their file since), and keys whose
    # entries restore made anew (files new or changed since), which the database does not have yet.
    site_rows: set[str] = field(default_factory=set)
    site_unsaved: set[str] = field(default_factory=set)
    # Upload key -> the object restored for it, and its entry.
    uploads: dict[str, tuple[FakeKey, UploadEntry]] = field(default_factory=dict)
    # Table -> the rows its items were restored from.
    item_rows: dict[str, set[int]] = field(default_factory=dict)
    # Files of a site folder that had no state: not restored, so `mirror` removes them.
    stray: list[str] = field(default_factory=list)
    # The site folder's folders, and those whose recorded time `save` must write again.
    folders: set[str] = field(default_factory=set)
    changed_folders: set[str] = field(default_factory=set)
    # The site objects as `mirror` left them, for `save`.
    site_entries: dict[str, SiteEntry] | None = None


def _s3_backend() -> S3Backend:
    return s3_backends[ACCOUNT]["aws"]


def _s3_bucket(name: str) -> FakeBucket:
    return _s3_backend().buckets[name]


def _table(name: str) -> Table:
    return dynamodb_backends[ACCOUNT][REGION].tables[name]


def _current(bucket: FakeBucket) -> dict[str, FakeKey]:
    """Each key's current object; keys whose current version is a delete marker are left out."""
    current = {}
    for key, versions in bucket.keys.lists():
        if versions and isinstance(versions[-1], FakeKey):
            current[key] = versions[-1]
    return current


def _put(bucket: FakeBucket, key: str, data: bytes, etag: str | None = None) -> FakeKey:
    """An object as PutObject makes it (a new version in a versioned bucket), sending no events."""
    return _s3_backend().put_object(bucket.name, key, data, etag=etag, disable_notification=True)


def _add(bucket: FakeBucket, objects: dict[str, FakeKey]) -> None:
    """Objects for keys the bucket does not have yet, as PutObject files them."""
    dict.update(bucket.keys, {key: [obj] for key, obj in objects.items()})


# --- site objects: what S3 keeps besides the bytes -------------------------------------------------


def _site_entry(obj: FakeKey, file: Path) -> SiteEntry:
    status = file.stat()
    checksum = (
        (obj.checksum_algorithm, obj.checksum_value, obj.checksum_type)
        if obj.checksum_value is not None
        else None
    )
    return SiteEntry(
        etag=obj.etag.strip('"'),
        metadata=json.dumps(dict(obj.metadata)),
        checksum=checksum,
        size=status.st_size,
        mtime_ns=status.st_mtime_ns,
    )


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


# --- DynamoDB items, in the API's JSON form ----------------------------------------------------------


def _plain(value: DynamoType) -> dict[str, Any]:
    if isinstance(value.value, dict):
        return {value.type: {name: _plain(member) for name, member in value.value.items()}}
    if isinstance(value.value, list):
        return {
            value.type: [
                _plain(member) if isinstance(member, DynamoType) else member for member in value.value
            ]
        }
    if isinstance(value.value, bytes):
        return {value.type: base64.b64encode(value.value).decode("ascii")}
    return {value.type: value.value}


def _item_json(item: Item) -> str:
    return json.dumps({name: _plain(value) for name, value in item.attrs.items()})


def _item_row(item: Item) -> ItemRow:
    hash_key = _plain(item.hash_key)
    range_key = _plain(item.range_key) if item.range_key is not None else {"": ""}
    (hash_type, hash_value), (range_type, range_value) = (
        next(iter(hash_key.items())),
        next(iter(range_key.items())),
    )
    return ItemRow(hash_type, hash_value, range_type, range_value)


def _stored_items(table: Table) -> list[Item]:
    items: Any = table.items
    if table.range_key_attr is not None:
        return [item for ranged in items.values() for item in ranged.values()]
    return list(items.values())


def _file(table: Table, item: Item) -> None:
    """An item into its table as PutItem would file it (the stream is not connected yet, so it
    records none)."""
    stored: Any = table.items
    if item.range_key is not None:
        stored[item.hash_key][item.range_key] = item
    else:
        stored[item.hash_key] = item


def _restore_items(table: Table, items: list[dict[str, Any]]) -> None:
    """Items of a JSON state."""
    for attributes_ in items:
        hash_value = DynamoType(attributes_[table.hash_key_attr])
        range_value = DynamoType(attributes_[table.range_key_attr]) if table.range_key_attr else None
        item = Item(hash_value, range_value, {})
        item.attrs = attributes(attributes_)
        _file(table, item)


# --- schedules and dead letters, few: through the API -------------------------------------------------


def peek(stack: LocalStack, queue: str) -> list[str]:
    """The bodies of every message in a queue, leaving them all there and visible."""
    sqs = stack.client("sqs")
    url = stack.physical(queue)
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get(
        "Messages", []
    ):
        messages += batch
    for message in messages:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return [message["Body"] for message in messages]


def _schedules(stack: LocalStack) -> list[dict[str, Any]]:
    scheduler = stack.client("scheduler")
    schedules = []
    for group, _ in stack.resources("AWS::Scheduler::ScheduleGroup"):
        for summary in scheduler.list_schedules(GroupName=group).get("Schedules", []):
            schedule = scheduler.get_schedule(GroupName=group, Name=summary["Name"])
            schedules.append({name: schedule[name] for name in _SCHEDULE_FIELDS if name in schedule})
    return schedules


def _restore_queues_and_schedules(
    stack: LocalStack, schedules: list[dict[str, Any]], dead_letters: dict[str, list[str]]
) -> None:
    scheduler = stack.client("scheduler")
    for schedule in schedules:
        scheduler.create_schedule(**schedule)
    sqs = stack.client("sqs")
    for queue, bodies in dead_letters.items():
        for body in bodies:
            sqs.send_message(QueueUrl=stack.physical(queue), MessageBody=body)


# --- the round trip -------------------------------------------------------------------------------


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Restoring or saving a large site makes many objects that all live on; the collector's passes
    over them took more than half the time (1.9 of 3.3 s at 10,000 articles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def restore(stack: LocalStack, uploads_bucket: str, site_bucket: str, site_dir: Path) -> Restored:
    with _gc_paused():
        restored = _restore(stack, uploads_bucket, site_bucket, site_dir)
    # What was restored lives for the whole run: the collector need not look at it again (until
    # `release`).
    gc.freeze()
    return restored


def release(restored: Restored) -> None:
    """The run is over: what `restore` froze may be collected again (a process may open more sites),
    and the database is closed if `save` did not (a run that failed)."""
    if restored.store is not None:
        restored.store.close()
        restored.store = None
    gc.unfreeze()


def _restore(stack: LocalStack, uploads_bucket: str, site_bucket: str, site_dir: Path) -> Restored:
    folder = site_dir / STATE_DIR
    path = folder / _STATE_FILE
    if not path.exists():
        restored = Restored()
        if site_dir.is_dir():
            restored.stray, restored.folders = folder_scan.walk(site_dir, STATE_DIR)
            restored.changed_folders = set(restored.folders)
        return restored
    state = json.loads(path.read_text(encoding="utf-8"))
    if state.get("format") in _JSON_FORMATS:
        return _restore_json(stack, uploads_bucket, site_bucket, site_dir, state)
    if state.get("format") != _FORMAT or not (folder / _DATABASE).exists():
        raise ValueError(
            f"{path} was written by another version of pressrun; remove {site_dir} to start over"
        )
    return _restore_database(stack, uploads_bucket, site_bucket, site_dir, StateStore(folder / _DATABASE))


def _restore_database(
    stack: LocalStack, uploads_bucket: str, site_bucket: str, site_dir: Path, store: StateStore
) -> Restored:
    restored = Restored(store=store)
    blobs = site_dir / STATE_DIR / _UPLOADS_DIR
    uploads = _s3_bucket(uploads_bucket)
    made = StoredKeys(_s3_backend(), uploads)
    restored_uploads: dict[str, FakeKey] = {}
    for upload in store.uploads():
        obj = made.make(
            upload.key, f"{blobs}/{upload.blob}", upload.etag, upload.size, None, upload.version_id
        )
        restored_uploads[upload.key] = obj
        restored.uploads[upload.key] = (obj, upload)
    _add(uploads, restored_uploads)
    for logical, _ in stack.resources("AWS::DynamoDB::Table"):
        table = _table(logical)
        rows = restored.item_rows[logical] = set()
        stored: Any = table.items
        # One key and one lookup per partition rather than per item: hashing a DynamoType is slow,
        # and the index table has ~20,000 items in ~20 partitions.
        partitions: dict[tuple[str, str], tuple[DynamoType, dict[DynamoType, Item]]] = {}
        for hash_type, hash_value, range_type, range_value, size, row in store.item_rows(logical):
            rows.add(row)
            known = partitions.get((hash_type, hash_value))
            if known is None:
                hash_key = scalar(hash_type, hash_value)
                known = partitions[(hash_type, hash_value)] = (
                    hash_key,
                    stored[hash_key] if range_type else {},
                )
            hash_key, partition = known
            if range_type:
                range_key = scalar(range_type, range_value)
                partition[range_key] = StoredItem.restored(hash_key, range_key, size, store, row)
            else:
                stored[hash_key] = StoredItem.restored(hash_key, None, size, store, row)
    _restore_queues_and_schedules(stack, store.value("schedules", []), store.value("dead_letters", {}))
    saved = store.site()
    restored.site_rows = set(saved)
    scan = folder_scan.scan(
        site_dir,
        {key: (entry.size, entry.mtime_ns) for key, entry in saved.items()},
        store.folders(),
        store.saved_at_ns,
        STATE_DIR,
    )
    restored.folders, restored.changed_folders = scan.folders, scan.changed_folders
    site = _s3_bucket(site_bucket)
    made = StoredKeys(_s3_backend(), site)
    restored_site: dict[str, FakeKey] = {}
    for key in scan.unchanged:
        entry = saved[key]
        obj = made.make(
            key, f"{site_dir}/{key}", entry.etag, entry.size, entry.metadata, checksum=entry.checksum
        )
        restored_site[key] = obj
        restored.site[key] = (obj, entry)
    changed = []
    for key in scan.suspect:
        data = (site_dir / key).read_bytes()
        entry = saved[key]
        if _md5(data) != entry.etag:
            changed.append((key, data))
            continue
        # Touched, not changed: the same object, with the file's new time recorded.
        status = (site_dir / key).stat()
        entry = SiteEntry(entry.etag, entry.metadata, entry.checksum, status.st_size, status.st_mtime_ns)
        obj = made.make(
            key, f"{site_dir}/{key}", entry.etag, entry.size, entry.metadata, checksum=entry.checksum
        )
        restored_site[key] = obj
        restored.site[key] = (obj, entry)
        restored.site_unsaved.add(key)
    _add(site, restored_site)
    changed += [(key, (site_dir / key).read_bytes()) for key in scan.new]
    _put_as_pages(stack, site, site_bucket, site_dir, changed, restored)
    return restored


def _put_as_pages(
    stack: LocalStack,
    site: FakeBucket,
    site_bucket: str,
    site_dir: Path,
    files: list[tuple[str, bytes]],
    restored: Restored,
) -> None:
    """Files that are new, or changed since the last run: in as any page goes in."""
    writer = S3Site(stack.client("s3"), site_bucket)
    for key, data in files:
        writer.put(key, data, mimetypes.guess_type(key)[0] or "application/octet-stream")
        obj = site.keys[key]
        restored.site[key] = (obj, _site_entry(obj, site_dir / key))
        restored.site_unsaved.add(key)


def _restore_json(
    stack: LocalStack, uploads_bucket: str, site_bucket: str, site_dir: Path, state: dict[str, Any]
) -> Restored:
    """A state of format 1 or 2, all of it read now; `save` writes it as format 3."""
    restored = Restored()
    folder = site_dir / STATE_DIR
    uploads = _s3_bucket(uploads_bucket)
    for upload in state["uploads"]:
        if "data" in upload:  # format 1
            data = base64.b64decode(upload.pop("data"))
            upload["blob"] = hashlib.sha256(data).hexdigest()
        else:
            data = (folder / _UPLOADS_DIR / upload["blob"]).read_bytes()
        obj = _put(uploads, upload["key"], data)
        if upload["version_id"]:
            # S3 has no call that sets a version id, but records, reports and schedules name the
            # saved ones: give the restored object its old id.
            obj._version_id = upload["version_id"]
        entry = UploadEntry(upload["key"], upload["version_id"], upload["blob"], _md5(data), len(data))
        restored.uploads[upload["key"]] = (obj, entry)
    for table, items in state["tables"].items():
        _restore_items(_table(table), items)
    _restore_queues_and_schedules(stack, state["schedules"], state["dead_letters"])
    site, saved = _s3_bucket(site_bucket), state.get("site", {})
    files, restored.folders = folder_scan.walk(site_dir, STATE_DIR)
    restored.changed_folders = set(restored.folders)
    changed = []
    for key in sorted(files):
        data = (site_dir / key).read_bytes()
        entry = saved.get(key)
        if entry is None or _md5(data) != entry["etag"]:
            changed.append((key, data))
            continue
        obj = _put(site, key, data, etag=entry["etag"])
        obj.set_metadata(dict(entry["metadata"]))
        if "checksum" in entry:
            obj.checksum_algorithm, obj.checksum_value, obj.checksum_type = entry["checksum"]
        restored.site[key] = (obj, _site_entry(obj, site_dir / key))
    _put_as_pages(stack, site, site_bucket, site_dir, changed, restored)
    return restored


def mirror(stack: LocalStack, site_bucket: str, site_dir: Path, restored: Restored) -> None:
    """Make the site folder hold exactly what the site bucket holds, writing only what the run changed."""
    entries: dict[str, SiteEntry] = {}
    touched: list[str] = []
    for key, obj in _current(_s3_bucket(site_bucket)).items():
        before = restored.site.get(key)
        if before is not None and before[0] is obj:
            entries[key] = before[1]
            continue
        target = site_dir / key
        if before is None or before[1].etag != obj.etag.strip('"') or not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(obj.value)
            touched.append(key)
        entries[key] = _site_entry(obj, target)
    for key in (restored.site.keys() | set(restored.stray)) - entries.keys():
        target = site_dir / key
        target.unlink(missing_ok=True)
        touched.append(key)
        for parent in target.parents:
            if parent == site_dir or not parent.is_relative_to(site_dir):
                break
            with contextlib.suppress(OSError):  # not empty
                parent.rmdir()
    # Folders made, emptied or removed: their times are recorded again.
    changed = folder_scan.ancestors(touched)
    restored.folders |= changed
    restored.changed_folders |= changed
    restored.site_entries = entries


def save(stack: LocalStack, uploads_bucket: str, site_dir: Path, restored: Restored) -> None:
    with _gc_paused():
        _save(stack, uploads_bucket, site_dir, restored)


def _save(stack: LocalStack, uploads_bucket: str, site_dir: Path, restored: Restored) -> None:
    folder = site_dir / STATE_DIR
    blobs = folder / _UPLOADS_DIR
    blobs.mkdir(parents=True, exist_ok=True)
    store = restored.store
    if store is None:
        # From JSON or from nothing: every row is new.
        (folder / _DATABASE).unlink(missing_ok=True)
        store = StateStore(folder / _DATABASE)
    with store.transaction():
        _save_uploads(store, uploads_bucket, blobs, restored)
        for logical, _ in stack.resources("AWS::DynamoDB::Table"):
            _save_items(store, logical, restored)
        store.set_value("schedules", _schedules(stack))
        # Dead letters wait for `pressrun redrive`, however many runs later.
        store.set_value("dead_letters", {queue: peek(stack, queue) for queue in stack.failure_queues()})
        _save_site(store, site_dir, restored)
    store.close()
    restored.store = None
    path = folder / _STATE_FILE
    if not path.exists() or json.loads(path.read_text(encoding="utf-8")).get("format") != _FORMAT:
        temporary = folder / f"{_STATE_FILE}.tmp"
        temporary.write_text(json.dumps({"format": _FORMAT}), encoding="utf-8")
        temporary.replace(path)


def _save_uploads(store: StateStore, uploads_bucket: str, blobs: Path, restored: Restored) -> None:
    bucket = _s3_bucket(uploads_bucket)
    current = _current(bucket)
    written = []
    referenced = set()
    for key, obj in current.items():
        before = restored.uploads.get(key)
        if before is not None and before[0] is obj and restored.store is not None:
            referenced.add(before[1].blob)
            continue
        data = obj.value
        blob = hashlib.sha256(data).hexdigest()
        if not (blobs / blob).exists():
            (blobs / f"{blob}.tmp").write_bytes(data)
            (blobs / f"{blob}.tmp").replace(blobs / blob)
        version_id = obj.version_id if bucket.is_versioned else None
        written.append(UploadEntry(key, version_id, blob, obj.etag.strip('"'), len(data)))
        referenced.add(blob)
    store.delete_uploads(restored.uploads.keys() - current.keys())
    store.put_uploads(written)
    for name in os.listdir(blobs):
        if name not in referenced:
            (blobs / name).unlink()


def _save_items(store: StateStore, logical: str, restored: Restored) -> None:
    kept: set[int] = set()
    written: list[tuple[ItemRow, str, int]] = []
    for item in _stored_items(_table(logical)):
        if isinstance(item, StoredItem) and item.row is not None:
            if item.pristine:
                kept.add(item.row)
                continue
            text = _item_json(item)
            if text == item.saved:
                kept.add(item.row)
                continue
        else:
            text = _item_json(item)
        written.append((_item_row(item), text, item.size()))
    # Rows first: an item deleted and put again under the same key is one row, written after.
    store.delete_items(restored.item_rows.get(logical, set()) - kept)
    store.put_items(logical, written)


def _save_site(store: StateStore, site_dir: Path, restored: Restored) -> None:
    entries = restored.site_entries if restored.site_entries is not None else {}
    fresh = restored.store is None
    store.delete_site(restored.site_rows - entries.keys())
    store.put_site(
        (key, entry)
        for key, entry in entries.items()
        if fresh or key in restored.site_unsaved or restored.site.get(key, (None, None))[1] is not entry
    )
    recorded, gone = [], []
    for path in (restored.folders | restored.changed_folders) if fresh else restored.changed_folders:
        try:
            recorded.append((path, (site_dir / path if path else site_dir).stat().st_mtime_ns))
        except FileNotFoundError:
            gone.append(path)
    store.delete_folders(gone)
    store.put_folders(recorded)
