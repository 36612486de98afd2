"""The one place that turns Lambda event records into domain values (and decodes S3 keys)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel, S3Model
from pydantic import BaseModel, ConfigDict, Field

from pressrun.ingest import Change, Upload
from pressrun.invalidation import SiteChange
from pressrun.model import ArticleRecord

_DELETED = "Object Deleted"
_TEST_EVENT = "s3:TestEvent"


class _Body(BaseModel):
    """Enough of a message body to tell the three shapes an ingest queue can receive apart."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    event: str | None = Field(default=None, alias="Event")
    detail_type: str | None = Field(default=None, alias="detail-type")
    records: list[Any] | None = Field(default=None, alias="Records")


def _eventbridge_change(detail_type: str, deletion_type: str | None) -> Change:
    if detail_type != _DELETED:
        return Change.CREATED
    return Change.DELETE_MARKER if deletion_type == "Delete Marker Created" else Change.VERSION_DELETED


def _notification_change(event_name: str) -> Change:
    if not event_name.startswith("ObjectRemoved"):
        return Change.CREATED
    return Change.DELETE_MARKER if event_name.endswith("DeleteMarkerCreated") else Change.VERSION_DELETED


def _s3_event(record: SQSRecord) -> S3EventNotificationEventBridgeModel:
    return S3EventNotificationEventBridgeModel.model_validate_json(record.body)


def uploads_from_sqs(record: SQSRecord) -> list[Upload]:
    """The upload changes one ingest message carries.

    The stack routes S3 → EventBridge → SQS, whose message is one EventBridge event. A bucket wired
    straight to the queue sends S3's own notification (a `Records` list) instead, and first an
    `s3:TestEvent` when the wiring is made; both are understood, and the test event carries nothing.
    S3 URL-encodes keys in both forms ('budget+day.md'), so they are decoded here and nowhere else.
    """
    body = _Body.model_validate_json(record.body)
    if body.event == _TEST_EVENT:
        return []
    if body.records is not None:
        notification = S3Model.model_validate_json(record.body)
        return [
            Upload(
                bucket=item.s3.bucket.name,
                key=unquote_plus(item.s3.object.key),
                version_id=item.s3.object.versionId,
                sequencer=item.s3.object.sequencer or "0",
                change=_notification_change(item.eventName),
                event_time=item.eventTime,
            )
            for item in notification.Records
            if item.s3.object is not None
        ]
    event = _s3_event(record)
    return [
        Upload(
            bucket=event.detail.bucket.name,
            key=unquote_plus(event.detail.object.key),
            version_id=event.detail.object.version_id,
            sequencer=event.detail.object.sequencer or "0",
            change=_eventbridge_change(event.detail_type, event.detail.deletion_type),
            event_time=event.time,
        )
    ]


def site_change_from_sqs(record: SQSRecord) -> SiteChange:
    event = _s3_event(record)
    obj = event.detail.object
    return SiteChange(key=unquote_plus(obj.key), version=obj.sequencer or obj.etag or event.id)


def _article(image: dict[str, object] | None) -> ArticleRecord | None:
    return ArticleRecord.model_validate(image) if image else None


def article_change(record: DynamoDBRecord) -> tuple[ArticleRecord | None, ArticleRecord | None]:
    """(old, new) article records of one articles-table stream record."""
    stream = record.dynamodb
    if stream is None:
        return None, None
    return _article(stream.old_image), _article(stream.new_image)


def changed_membership(record: DynamoDBRecord) -> tuple[str, str] | None:
    """The (listing, position) an index-table stream record changed; None for a listing's summary,
    which changes only together with memberships of the same listing."""
    keys = record.dynamodb.keys if record.dynamodb else None
    if not keys or str(keys.get("listing", "")).startswith("#"):
        return None
    return str(keys["listing"]), str(keys["position"])
