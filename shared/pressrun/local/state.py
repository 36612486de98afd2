"""Local state between runs, kept under the site folder: the site bucket is the site folder itself;
the tables, the pending schedules, the dead letters, which uploads there are and what each site
object carries besides its bytes are in `.pressrun/state.json`; the uploads' bytes are files in
`.pressrun/uploads/`, named by their SHA-256. Restored before the stack is connected, so nothing
replays.

Restoring and saving go straight to moto's models rather than through the S3 and DynamoDB APIs:
the round trip of a 10,000-article site through botocore and moto's request parsing took ~2 minutes
around a pipeline of seconds. What ends up in moto is what those calls made: the same items, the
uploads with their saved version ids, and the site objects with the bytes, content type, metadata
and checksum their last writer gave them (so the pipeline's ETag and `content-sha256` comparisons
see what they saw when the state was saved). A site file that is new, or whose bytes differ from
what was saved, goes in through `S3Site.put` as any page does. At the end of a run only the site
objects that were written or deleted are mirrored to the folder, and only new uploads are written.
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
from moto.s3.models import FakeBucket, FakeKey, s3_backends

from pressrun.aws.s3 import S3Site
from pressrun.local.stack import ACCOUNT, REGION, LocalStack

STATE_DIR = ".pressrun"
_STATE_FILE = "state.json"
_UPLOADS_DIR = "uploads"
# 2: uploads as files, site objects' metadata; 1 (uploads in the JSON, base64) is still read.
_FORMAT = 2
_READABLE = {1, 2}
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
    """What `restore` put in the buckets, so that `mirror` and `save` can tell what the run changed."""

    # Site key -> the object restored for it, and the saved entry that describes it.
    site: dict[str, tuple[FakeKey, dict[str, Any]]] = field(default_factory=dict)
    # Upload key -> the object restored for it, and its saved entry.
    uploads: dict[str, tuple[FakeKey, dict[str, Any]]] = field(default_factory=dict)
    # Files of a site folder that had no state: not restored, so `mirror` removes them.
    stray: list[str] = field(default_factory=list)
    # The site objects as `mirror` left them, for `save`.
    site_entries: dict[str, dict[str, Any]] | None = None


def _s3_bucket(name: str) -> FakeBucket:
    return s3_backends[ACCOUNT]["aws"].buckets[name]


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
    return s3_backends[ACCOUNT]["aws"].put_object(
        bucket.name, key, data, etag=etag, disable_notification=True
    )


# --- site objects: what S3 keeps besides the bytes -------------------------------------------------


def _site_entry(obj: FakeKey) -> dict[str, Any]:
    entry: dict[str, Any] = {"etag": obj.etag.strip('"'), "metadata": dict(obj.metadata)}
    if obj.checksum_value is not None:
        entry["checksum"] = [obj.checksum_algorithm, obj.checksum_value, obj.checksum_type]
    return entry


def _restore_site_object(bucket: FakeBucket, key: str, data: bytes, entry: dict[str, Any]) -> FakeKey:
    obj = _put(bucket, key, data, etag=entry["etag"])
    obj.set_metadata(dict(entry["metadata"]))
    if "checksum" in entry:
        obj.checksum_algorithm, obj.checksum_value, obj.checksum_type = entry["checksum"]
    return obj


def _site_files(site_dir: Path) -> list[str]:
    """The site folder's files as bucket keys, the state folder left out."""
    keys = []
    for folder, folders, files in os.walk(site_dir):
        if Path(folder) == site_dir and STATE_DIR in folders:
            folders.remove(STATE_DIR)
        relative = Path(folder).relative_to(site_dir)
        keys += [(relative / name).as_posix() for name in files]
    return sorted(keys)


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


def _table_items(table: Table) -> list[dict[str, Any]]:
    items: Any = table.items
    stored = (
        [item for ranged in items.values() for item in ranged.values()]
        if table.range_key_attr is not None
        else list(items.values())
    )
    return [{name: _plain(value) for name, value in item.attrs.items()} for item in stored]


def _restore_items(table: Table, items: list[dict[str, Any]]) -> None:
    """The items as PutItem would store them (the stream is not connected yet, so it records none)."""
    stored: Any = table.items
    for attributes in items:
        hash_value = DynamoType(attributes[table.hash_key_attr])
        range_value = DynamoType(attributes[table.range_key_attr]) if table.range_key_attr else None
        item = Item(hash_value, range_value, {})
        # Item() checks the size on every attribute it adds (quadratic); these were checked when written.
        item.attrs.update({name: DynamoType(value) for name, value in attributes.items()})
        if range_value is not None:
            stored[hash_value][range_value] = item
        else:
            stored[hash_value] = item


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


# --- the round trip -------------------------------------------------------------------------------


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Restoring or saving a large site makes hundreds of thousands of objects that all live on;
    the collector's passes over them took more than half the time (1.9 of 3.3 s at 10,000 articles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def restore(stack: LocalStack, uploads_bucket: str, site_bucket: str, site_dir: Path) -> Restored:
    with _gc_paused():
        return _restore(stack, uploads_bucket, site_bucket, site_dir)


def _restore(stack: LocalStack, uploads_bucket: str, site_bucket: str, site_dir: Path) -> Restored:
    restored = Restored()
    folder = site_dir / STATE_DIR
    path = folder / _STATE_FILE
    if not path.exists():
        restored.stray = _site_files(site_dir) if site_dir.is_dir() else []
        return restored
    state = json.loads(path.read_text(encoding="utf-8"))
    if state.get("format") not in _READABLE:
        raise ValueError(
            f"{path} was written by another version of pressrun; remove {site_dir} to start over"
        )
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
        restored.uploads[upload["key"]] = (obj, upload)
    for table, items in state["tables"].items():
        _restore_items(_table(table), items)
    scheduler = stack.client("scheduler")
    for schedule in state["schedules"]:
        scheduler.create_schedule(**schedule)
    sqs = stack.client("sqs")
    for queue, bodies in state["dead_letters"].items():
        for body in bodies:
            sqs.send_message(QueueUrl=stack.physical(queue), MessageBody=body)
    site, saved = _s3_bucket(site_bucket), state.get("site", {})
    writer = S3Site(stack.client("s3"), site_bucket)
    for key in _site_files(site_dir):
        data = (site_dir / key).read_bytes()
        entry = saved.get(key)
        if entry is not None and hashlib.md5(data, usedforsecurity=False).hexdigest() == entry["etag"]:
            obj = _restore_site_object(site, key, data, entry)
        else:
            # New, or changed since the last run: in as any page goes in.
            writer.put(key, data, mimetypes.guess_type(key)[0] or "application/octet-stream")
            obj = site.keys[key]
            entry = _site_entry(obj)
        restored.site[key] = (obj, entry)
    return restored


def mirror(stack: LocalStack, site_bucket: str, site_dir: Path, restored: Restored) -> None:
    """Make the site folder hold exactly what the site bucket holds, writing only what the run changed."""
    entries: dict[str, dict[str, Any]] = {}
    for key, obj in _current(_s3_bucket(site_bucket)).items():
        before = restored.site.get(key)
        if before is not None and before[0] is obj:
            entries[key] = before[1]
            continue
        entries[key] = _site_entry(obj)
        target = site_dir / key
        if before is None or before[1]["etag"] != entries[key]["etag"] or not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(obj.value)
    for key in (restored.site.keys() | set(restored.stray)) - entries.keys():
        target = site_dir / key
        target.unlink(missing_ok=True)
        for parent in target.parents:
            if parent == site_dir or not parent.is_relative_to(site_dir):
                break
            with contextlib.suppress(OSError):  # not empty
                parent.rmdir()
    restored.site_entries = entries


def save(stack: LocalStack, uploads_bucket: str, site_dir: Path, restored: Restored) -> None:
    with _gc_paused():
        _save(stack, uploads_bucket, site_dir, restored)


def _save(stack: LocalStack, uploads_bucket: str, site_dir: Path, restored: Restored) -> None:
    folder = site_dir / STATE_DIR
    blobs = folder / _UPLOADS_DIR
    blobs.mkdir(parents=True, exist_ok=True)
    bucket = _s3_bucket(uploads_bucket)
    uploads = []
    for key, obj in sorted(_current(bucket).items()):
        before = restored.uploads.get(key)
        if before is not None and before[0] is obj and (blobs / before[1]["blob"]).exists():
            uploads.append(before[1])
            continue
        data = obj.value
        blob = hashlib.sha256(data).hexdigest()
        if not (blobs / blob).exists():
            (blobs / f"{blob}.tmp").write_bytes(data)
            (blobs / f"{blob}.tmp").replace(blobs / blob)
        uploads.append(
            {"key": key, "version_id": obj.version_id if bucket.is_versioned else None, "blob": blob}
        )
    state = {
        "format": _FORMAT,
        "uploads": uploads,
        "tables": {
            logical: _table_items(_table(logical)) for logical, _ in stack.resources("AWS::DynamoDB::Table")
        },
        "schedules": _schedules(stack),
        # Dead letters wait for `pressrun redrive`, however many runs later.
        "dead_letters": {queue: peek(stack, queue) for queue in stack.failure_queues()},
        "site": restored.site_entries if restored.site_entries is not None else {},
    }
    temporary = folder / f"{_STATE_FILE}.tmp"
    temporary.write_text(json.dumps(state), encoding="utf-8")
    temporary.replace(folder / _STATE_FILE)
    referenced = {upload["blob"] for upload in uploads}
    for name in os.listdir(blobs):
        if name not in referenced:
            (blobs / name).unlink()
