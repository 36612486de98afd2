"""S3's EventBridge events for the emulated stack, told from what S3 answered.

moto sends S3 events to EventBridge, but not as S3 does: a constant sequencer, an unencoded key, `eTag`
for `etag`, and nothing when a delete leaves a delete marker or removes one version of several. The
pipeline's ordering and unpublishing depend on exactly those. So the stack leaves moto's own
notifications off and tells of each change itself, from S3's answer to the call that made it (the
version a PUT made, the delete marker a DELETE left), and sends the event through EventBridge's
PutEvents, whose rules (the template's) route it.

It hears those answers on the wire, two ways: from the clients of this process (botocore's events), and
under `pressrun dev` from the requests of other processes (the AWS CLI), which reach moto's server
through a small proxy that tells of what it passes on (`dev.py`). Nothing of moto's is touched.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, quote_plus, unquote

import boto3
from botocore.exceptions import ClientError

# PutEvents takes at most this many entries per call.
_EVENTS_PER_CALL = 10
_WATCH_ID = "pressrun-s3-events"


class Kind(StrEnum):
    CREATED = "Object Created"
    DELETE_MARKER = "Delete Marker Created"
    DELETED = "Permanently Deleted"


@dataclass(frozen=True)
class ObjectChange:
    bucket: str
    key: str
    kind: Kind
    version_id: str | None = None
    reason: str = "PutObject"
    # Unknown (None) for a copy or a multipart upload: asked of the bucket when the event is made.
    size: int | None = None
    etag: str | None = None


@dataclass
class ChangeLog:
    """Every change S3 answered for the watched buckets, in order: kept whole for whoever saves the
    buckets' state, and announced once as events for the buckets that send them to EventBridge."""

    history: list[ObjectChange] = field(default_factory=list)
    _buckets: set[str] = field(default_factory=set)
    _announcing: set[str] = field(default_factory=set)
    _unannounced: list[ObjectChange] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def watch(self, bucket: str, *, announce: bool) -> None:
        self._buckets.add(bucket)
        if announce:
            self._announcing.add(bucket)

    def watches(self, bucket: str) -> bool:
        return bucket in self._buckets

    def saw(self, changes: Iterable[ObjectChange]) -> None:
        with self._lock:
            for change in changes:
                if change.bucket in self._buckets:
                    self.history.append(change)
                if change.bucket in self._announcing:
                    self._unannounced.append(change)

    def unannounced(self) -> list[ObjectChange]:
        with self._lock:
            taken, self._unannounced = self._unannounced, []
        return taken


@dataclass
class Sequencers:
    """S3's sequencers: hex, growing with every change, of one width for centuries to come, so that
    S3's rule (right-pad the shorter with zeros, then compare as strings) orders them by time. Each
    starts after `last`, so that a site's changes keep growing whichever engine made the ones before."""

    last: int = 0

    def next(self) -> str:
        self.last = max(time.time_ns() // 1000 * 1000, self.last + 1)
        return f"{self.last:016X}"


@dataclass
class Announcer:
    """Sends each change as the EventBridge event S3 sends for it."""

    events: Any
    s3: Any
    account: str
    region: str
    sequencers: Sequencers = field(default_factory=Sequencers)

    def announce(self, changes: list[ObjectChange]) -> None:
        entries = [self._entry(change) for change in changes]
        for start in range(0, len(entries), _EVENTS_PER_CALL):
            answer = self.events.put_events(Entries=entries[start : start + _EVENTS_PER_CALL])
            if answer.get("FailedEntryCount"):
                raise RuntimeError(f"EventBridge refused S3 events: {answer['Entries']}")

    def _entry(self, change: ObjectChange) -> dict[str, Any]:
        obj: dict[str, Any] = {"key": quote_plus(change.key, safe="/")}
        if change.kind is Kind.CREATED:
            size, etag = change.size, change.etag
            if size is None or etag is None:
                size, etag = self._measured(change)
            obj |= {"size": size, "etag": etag.strip('"')}
        if change.version_id:
            obj["version-id"] = change.version_id
        obj["sequencer"] = self.sequencers.next()
        detail: dict[str, Any] = {
            "version": "0",
            "bucket": {"name": change.bucket},
            "object": obj,
            "request-id": uuid.uuid4().hex[:16].upper(),
            "requester": self.account,
            "source-ip-address": "127.0.0.1",
            "reason": change.reason,
        }
        if change.kind is not Kind.CREATED:
            detail["deletion-type"] = change.kind.value
        return {
            "Source": "aws.s3",
            "DetailType": "Object Created" if change.kind is Kind.CREATED else "Object Deleted",
            "Detail": json.dumps(detail),
            "Resources": [f"arn:aws:s3:::{change.bucket}"],
        }

    def _measured(self, change: ObjectChange) -> tuple[int, str]:
        where = {"VersionId": change.version_id} if change.version_id else {}
        try:
            head = self.s3.head_object(Bucket=change.bucket, Key=change.key, **where)
        except ClientError:
            # Gone again already: S3 would still have told of it, and the reader will find nothing.
            return 0, ""
        return int(head["ContentLength"]), str(head["ETag"])


# --- hearing the answers: this process's clients ------------------------------------------------------

_CHANGING = {"PutObject", "CopyObject", "CompleteMultipartUpload", "DeleteObject", "DeleteObjects"}


def watch_clients(session: boto3.session.Session, log: ChangeLog) -> None:
    """Tell `log` of the changes made by every S3 client this session makes from now on (a client
    takes its session's event handlers when it is made)."""
    # A unique id names one handler of the session, whatever its event.
    for event, handler in (("provide-client-params.s3", _remember_request), ("after-call.s3", _Answers(log))):
        session.events.unregister(event, unique_id=f"{_WATCH_ID} {event}")
        session.events.register(event, handler, unique_id=f"{_WATCH_ID} {event}")


def _remember_request(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    if model.name in _CHANGING:
        context[_WATCH_ID] = dict(params)


@dataclass
class _Answers:
    log: ChangeLog

    def __call__(
        self, http_response: Any, parsed: dict[str, Any], model: Any, context: Any, **_: Any
    ) -> None:
        request = context.get(_WATCH_ID)
        if request is None or http_response.status_code >= 300 or not self.log.watches(request["Bucket"]):
            return
        self.log.saw(_changes_of(model.name, request, parsed))


def _changes_of(operation: str, request: dict[str, Any], answer: dict[str, Any]) -> Iterator[ObjectChange]:
    bucket = request["Bucket"]
    if operation == "DeleteObjects":
        for deleted in answer.get("Deleted", []):
            yield _deletion(
                bucket,
                deleted["Key"],
                deleted.get("VersionId"),
                bool(deleted.get("DeleteMarker")),
                deleted.get("DeleteMarkerVersionId"),
            )
    elif operation == "DeleteObject":
        yield _deletion(
            bucket,
            request["Key"],
            request.get("VersionId"),
            bool(answer.get("DeleteMarker")),
            answer.get("VersionId"),
        )
    else:
        body = request.get("Body")
        size = len(body) if isinstance(body, bytes | bytearray) else None
        etag = answer.get("ETag") or answer.get("CopyObjectResult", {}).get("ETag")
        yield ObjectChange(
            bucket, request["Key"], Kind.CREATED, answer.get("VersionId"), operation, size, etag
        )


def _deletion(
    bucket: str, key: str, asked_version: str | None, delete_marker: bool, marker_version: str | None
) -> ObjectChange:
    if asked_version is None and delete_marker:
        return ObjectChange(bucket, key, Kind.DELETE_MARKER, marker_version, "DeleteObject")
    # One version removed for good (a delete marker too, which undeletes), or an unversioned object.
    return ObjectChange(bucket, key, Kind.DELETED, asked_version, "DeleteObject")


# --- hearing the answers: another process's, through a proxy ------------------------------------------

# Sub-resources of an object whose PUT or POST changes something other than its versions.
_OTHER_SUBRESOURCES = {
    "acl",
    "tagging",
    "retention",
    "legal-hold",
    "restore",
    "select",
    "partNumber",
    "torrent",
}


def changes_on_the_wire(
    log: ChangeLog, method: str, target: str, host: str, sent: Mapping[str, str], answer: Answer
) -> None:
    """Tell `log` of the changes an S3 request made, from the request (method, path and query, Host
    header, headers sent; header names lowercase) and S3's answer (status, headers, body)."""
    if method not in {"PUT", "POST", "DELETE"} or answer.status >= 300:
        return
    raw_path, _, raw_query = target.partition("?")
    path = unquote(raw_path).removeprefix("/")
    virtual = host.split(":")[0].split(".", 1)[0]
    if "." in host.split(":")[0] and log.watches(virtual):
        bucket, key = virtual, path  # virtual-hosted style: bucket.host/key
    else:
        bucket, _, key = path.partition("/")
    if log.watches(bucket):
        query = parse_qs(raw_query, keep_blank_values=True)
        log.saw(_wire_changes(method, bucket, key, query, sent, answer))


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]  # lowercase names
    body: bytes


def _wire_changes(
    method: str, bucket: str, key: str, query: dict[str, list[str]], sent: Mapping[str, str], answer: Answer
) -> Iterator[ObjectChange]:
    if _OTHER_SUBRESOURCES & query.keys():
        return
    version = answer.headers.get("x-amz-version-id")
    if not key:
        if method == "POST" and "delete" in query:
            yield from _deleted_by_batch(bucket, answer.body)
    elif method == "DELETE" and "uploadId" not in query:
        asked = query.get("versionId", [None])[0]
        yield _deletion(bucket, key, asked, answer.headers.get("x-amz-delete-marker") == "true", version)
    elif method == "PUT" and "uploadId" not in query:
        if "x-amz-copy-source" in sent:
            yield ObjectChange(bucket, key, Kind.CREATED, version, "CopyObject")
            return
        length = sent.get("x-amz-decoded-content-length") or sent.get("content-length")
        size = int(length) if length else None
        yield ObjectChange(bucket, key, Kind.CREATED, version, "PutObject", size, answer.headers.get("etag"))
    elif method == "POST" and "uploadId" in query:
        yield ObjectChange(bucket, key, Kind.CREATED, version, "CompleteMultipartUpload")


def _deleted_by_batch(bucket: str, body: bytes) -> Iterator[ObjectChange]:
    """The DeleteObjects answer: what each deletion did."""
    root = ElementTree.fromstring(body)  # noqa: S314 - moto's own answer, made on this machine
    for deleted in root.iter():
        if deleted.tag.rsplit("}", 1)[-1] != "Deleted":
            continue
        fields = {child.tag.rsplit("}", 1)[-1]: child.text or "" for child in deleted}
        yield _deletion(
            bucket,
            fields["Key"],
            fields.get("VersionId"),
            fields.get("DeleteMarker") == "true",
            fields.get("DeleteMarkerVersionId"),
        )
