"""The one place that turns Lambda event records into domain values (and decodes S3 keys).

The S3 events are read with Powertools' data classes (thin wrappers over the record's dict) rather
than its parser models: those are pydantic models built when first imported, and they cost every
cold start of the functions that read S3 events more than the few fields read here are worth.
A message without a field read here raises (a KeyError) and fails its record, as a model would.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.s3_event import (
    S3EventBridgeNotificationEvent,
    S3EventRecord,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from pressrun.ingest import Change, Upload
from pressrun.invalidation import SiteChange
from pressrun.media import ImageRequest
from pressrun.model import ArticleRecord

_DELETED = "Object Deleted"
_TEST_EVENT = "s3:TestEvent"


def _eventbridge_change(detail_type: str, deletion_type: str | None) -> Change:
    if detail_type != _DELETED:
        return Change.CREATED
    return Change.DELETE_MARKER if deletion_type == "Delete Marker Created" else Change.VERSION_DELETED


def _notification_change(event_name: str) -> Change:
    if not event_name.startswith("ObjectRemoved"):
        return Change.CREATED
    return Change.DELETE_MARKER if event_name.endswith("DeleteMarkerCreated") else Change.VERSION_DELETED


def _notification_upload(item: S3EventRecord) -> Upload:
    obj = item.s3.get_object
    return Upload(
        bucket=item.s3.bucket.name,
        key=unquote_plus(obj["key"]),
        version_id=obj.version_id,
        sequencer=obj.get("sequencer") or "0",
        change=_notification_change(item.event_name),
        event_time=item.event_time,  # ISO 8601: pydantic parses it
        size=obj.get("size"),
    )


def uploads_from_sqs(record: SQSRecord) -> list[Upload]:
    """The upload changes one ingest message carries.

    The stack routes S3 → EventBridge → SQS, whose message is one EventBridge event. A bucket wired
    straight to the queue sends S3's own notification (a `Records` list) instead, and first an
    `s3:TestEvent` when the wiring is made; both are understood, and the test event carries nothing.
    S3 URL-encodes keys in both forms ('budget+day.md'), so they are decoded here and nowhere else
    (the raw `key`, never the data classes' decoding `.key` properties, so nothing is decoded twice).
    """
    body: dict[str, Any] = record.json_body
    if body.get("Event") == _TEST_EVENT:
        return []
    if "Records" in body:
        return [
            _notification_upload(S3EventRecord(item))
            for item in body["Records"]
            if item.get("s3", {}).get("object") is not None
        ]
    event = S3EventBridgeNotificationEvent(body)
    obj = event.detail.object
    return [
        Upload(
            bucket=event.detail.bucket.name,
            key=unquote_plus(obj["key"]),
            version_id=obj.get("version-id"),
            sequencer=obj.get("sequencer") or "0",
            change=_eventbridge_change(event.detail_type, event.detail.deletion_type),
            event_time=event.time,  # ISO 8601: pydantic parses it
            size=obj.get("size"),
        )
    ]


def image_work_from_sqs(record: SQSRecord) -> list[Upload | ImageRequest]:
    """What one image-queue message asks: an image upload's change (S3's event, as for articles), or
    crops an article needs (`ImageRequest`, sent by the validator)."""
    body: dict[str, Any] = record.json_body
    if "image" in body and "detail" not in body:
        return [ImageRequest.model_validate(body)]
    return list(uploads_from_sqs(record))


def site_change_from_sqs(record: SQSRecord) -> SiteChange:
    """A stale site object: as the renderers request it (`SqsInvalidationRequests`), or as an S3
    event of the site bucket routed to the queue (how stacks deployed before the renderers asked
    themselves fed it; those messages may still be in flight after an update)."""
    body: dict[str, Any] = record.json_body
    if "detail" not in body:
        return SiteChange.model_validate(body)
    event = S3EventBridgeNotificationEvent(body)
    obj = event.detail.object
    return SiteChange(key=unquote_plus(obj["key"]), version=obj.get("sequencer") or obj.etag or event.get_id)


def _article(image: dict[str, object] | None) -> ArticleRecord | None:
    return ArticleRecord.model_validate(image) if image else None


class UnusableRecord(Exception):
    """A stream record that does not hold whole articles: only keys, an image that is not an article
    record, a status this code does not know (a newer schema). Retrying cannot make it whole, so it is
    logged and passed over rather than left to block its shard; the article it names is settled from
    the table by the reconciliation sweep, which never trusts a record anyway."""

    def __init__(self, source_key: str, reason: str) -> None:
        super().__init__(f"{source_key or 'an unknown article'}: {reason}")
        self.source_key = source_key
        self.reason = reason


# What a record's status may be; anything else comes from code newer than this.
KNOWN_STATUSES = frozenset({"published", "draft", "scheduled", "removed", "rejected", "profile", "redirects"})
# Which images a NEW_AND_OLD_IMAGES stream record carries for each kind of change.
_IMAGES = {"INSERT": (False, True), "MODIFY": (True, True), "REMOVE": (True, False)}


def article_change(record: DynamoDBRecord) -> tuple[ArticleRecord | None, ArticleRecord | None]:
    """(old, new) article records of one articles-table stream record; `UnusableRecord` when the
    record does not carry the whole images its kind of change must."""
    stream = record.dynamodb
    keys = (stream.keys if stream else None) or {}
    source_key = str(keys.get("source_key", ""))
    if stream is None:
        raise UnusableRecord(source_key, "the record has no change in it")
    wants_old, wants_new = _IMAGES.get(str(record.raw_event.get("eventName", "")), (False, False))
    images = {"old": stream.old_image, "new": stream.new_image}
    if (wants_old and not images["old"]) or (wants_new and not images["new"]) or not any(images.values()):
        raise UnusableRecord(source_key, f"a {record.raw_event.get('eventName')} record without its images")
    try:
        old, new = _article(images["old"]), _article(images["new"])
    except ValidationError as error:
        raise UnusableRecord(source_key, f"an image is not an article record: {error}") from None
    for each in (old, new):
        if each is not None and each.status not in KNOWN_STATUSES:
            raise UnusableRecord(source_key, f"status {each.status!r} is not one this code knows")
    return old, new


def changed_membership(record: DynamoDBRecord) -> tuple[str, str] | None:
    """The (listing, position) an index-table stream record changed; None for a listing's summary,
    which changes only together with memberships of the same listing (or is written by whoever
    renders it), and for the sweep's journal."""
    keys = record.dynamodb.keys if record.dynamodb else None
    if not keys:
        return None
    listing, position = str(keys.get("listing", "")), str(keys.get("position", ""))
    if listing.startswith("#") or not position:
        return None
    return listing, position
