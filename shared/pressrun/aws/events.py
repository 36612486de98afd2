"""The one place that turns Lambda event records into domain values (and decodes S3 keys)."""

from __future__ import annotations

from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel

from pressrun.ingest import Upload
from pressrun.invalidation import SiteChange
from pressrun.model import ArticleRecord

_DELETED = "Object Deleted"


def _s3_event(record: SQSRecord) -> S3EventNotificationEventBridgeModel:
    return S3EventNotificationEventBridgeModel.model_validate_json(record.body)


def upload_from_sqs(record: SQSRecord) -> Upload:
    """An S3 EventBridge event delivered through SQS. S3 URL-encodes keys in events ('red+flower.md')."""
    event = _s3_event(record)
    return Upload(
        bucket=event.detail.bucket.name,
        key=unquote_plus(event.detail.object.key),
        version_id=event.detail.object.version_id,
        sequencer=event.detail.object.sequencer or "0",
        deleted=event.detail_type == _DELETED,
        event_time=event.time,
    )


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


def changed_listing(record: DynamoDBRecord) -> str | None:
    """The listing an index-table stream record changed."""
    keys = record.dynamodb.keys if record.dynamodb else None
    listing = keys.get("listing") if keys else None
    return str(listing) if listing is not None else None
