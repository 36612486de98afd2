"""Built once per cold start: the logger, the metrics and the adapters the handlers pass to the domain."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BasePartialBatchProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressrun.aws.cloudfront import CloudFrontCdn
from pressrun.aws.dynamodb import DynamoArticles, DynamoImages, DynamoIndex, DynamoSweepJournal
from pressrun.aws.s3 import S3Site, S3Uploads
from pressrun.aws.scheduler import EventBridgeScheduler
from pressrun.aws.sns import SnsEditorAlerts
from pressrun.aws.sqs import SqsFailedBatches, SqsImageRequests, SqsInvalidationRequests, SqsJobQueue
from pressrun.ingest import Outcome
from pressrun.invalidation import InvalidatingSite
from pressrun.model import ArticleRecord
from pressrun.settings import StackSettings, stack_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from pressrun.ports import RedirectStore

logger = Logger()
metrics = Metrics()

_OUTCOME_METRICS = {
    Outcome.PUBLISHED: "ArticlesPublished",
    Outcome.SCHEDULED: "ArticlesScheduled",
    Outcome.DRAFT: "DraftsRecorded",
    Outcome.REJECTED: "ArticlesRejected",
    Outcome.REMOVED: "ArticlesRemoved",
    Outcome.PROFILE: "ProfilesRecorded",
    Outcome.STALE: "StaleEventsIgnored",
    Outcome.IGNORED: "NonArticleEventsIgnored",
}


# Records a batch handed back for retry, though the invocation itself succeeded: Lambda's Errors metric
# never counts them, and a record that keeps failing would otherwise stall its shard unseen.
RECORDS_FAILED = "RecordsFailed"


def record_outcome(outcome: Outcome) -> None:
    """One log line and one metric per handled upload."""
    logger.info("upload handled", extra={"outcome": outcome.value})
    metrics.add_metric(name=_OUTCOME_METRICS[outcome], unit=MetricUnit.Count, value=1)


@cache
def _client(service: str) -> Any:
    return boto3.client(service)  # type: ignore[call-overload]


def settings() -> StackSettings:
    return stack_settings()


def uploads() -> S3Uploads:
    return S3Uploads(_client("s3"), settings().uploads_bucket)


def site() -> InvalidatingSite:
    """The site bucket, asking the invalidation queue for whatever its writes leave stale."""
    current = settings()
    bucket = S3Site(_client("s3"), current.site_bucket, current.listing_freshness_seconds)
    requests = SqsInvalidationRequests(
        _client("sqs"), current.invalidation_queue_url, current.invalidation_delay_seconds
    )
    return InvalidatingSite(bucket, requests)


def articles() -> DynamoArticles:
    current = settings()
    return DynamoArticles(_client("dynamodb"), current.articles_table, current.slugs_table, clock=now)


def images() -> DynamoImages:
    return DynamoImages(_client("dynamodb"), settings().images_table, clock=now)


def image_requests() -> SqsImageRequests:
    return SqsImageRequests(_client("sqs"), settings().image_queue_url)


def index() -> DynamoIndex:
    return DynamoIndex(_client("dynamodb"), settings().index_table)


def alerts() -> SnsEditorAlerts:
    return SnsEditorAlerts(_client("sns"), settings().editor_alerts_topic)


def scheduler() -> EventBridgeScheduler:
    current = settings()
    return EventBridgeScheduler(
        _client("scheduler"),
        current.schedule_group,
        current.scheduler_role_arn,
        current.release_function_arn,
        current.schedule_dead_letter_arn,
    )


def rebuild_queue() -> SqsJobQueue:
    return SqsJobQueue(_client("sqs"), settings().rebuild_queue_url)


def sweep_journal() -> DynamoSweepJournal:
    return DynamoSweepJournal(_client("dynamodb"), settings().index_table)


def failed_batches() -> SqsFailedBatches:
    return SqsFailedBatches(_client("sqs"), settings().stream_failure_queue_url)


def redirects() -> RedirectStore:
    # MERGE (issue 16, part 5): return the AWS RedirectStore of the redirects branch here, the one
    # place the functions get theirs. Until then nothing is kept: a preview's address, once its story
    # is live, answers 404 instead of redirecting to it (everything else about previews works).
    return _RedirectsNotWired()


class _RedirectsNotWired:
    """Stands in for part 5's AWS RedirectStore until the branches meet (see `redirects`)."""

    def target(self, path: str) -> str | None:
        return None

    def put(self, path: str, target: str) -> None:
        logger.warning("no redirect store wired yet: redirect not kept", extra={"path": path, "to": target})

    def delete(self, path: str) -> None:
        return None


def now() -> datetime:
    return settings().pressrun_now or datetime.now(UTC)


def cdn(context: LambdaContext | None = None) -> CloudFrontCdn:
    """Given the invocation's context, a busy CloudFront is waited for only while the invocation has time."""
    remaining = (lambda: context.get_remaining_time_in_millis() / 1000) if context is not None else None
    return CloudFrontCdn(_client("cloudfront"), settings().distribution_id, remaining_seconds=remaining)


def reset() -> None:
    """Forget clients and settings, as a new Lambda execution environment would (the local runner uses it)."""
    _client.cache_clear()
    stack_settings.cache_clear()


def reload_settings() -> None:
    """Read the settings again but keep the clients, which no function setting shapes: the local
    runner switching functions in one process, where each function on Lambda keeps its own warm
    clients (making them again cost ~5 ms each, a third of a local publish)."""
    stack_settings.cache_clear()


def source_key_of(old: ArticleRecord | None, new: ArticleRecord | None) -> str:
    """The correlation id of a stream record: the upload the article came from."""
    record = new or old
    return record.source_key if record else ""


def process_batch(
    event: dict[str, Any],
    record_handler: Callable[[Any], Any],
    processor: BasePartialBatchProcessor,
    context: LambdaContext,
) -> PartialItemFailureResponse:
    """Powertools' partial batch processing, with each failed record's error logged for the operator and
    counted as `RecordsFailed`."""
    try:
        return process_partial_response(event, record_handler, processor, context)
    finally:
        for _, error, _ in processor.exceptions:
            logger.error("record failed; it will be retried", extra={"error": repr(error)})
        _count_failed_records(len(processor.exceptions))


def _count_failed_records(failed: int) -> None:
    if failed:
        metrics.add_metric(name=RECORDS_FAILED, unit=MetricUnit.Count, value=failed)


def sequence_number(record: DynamoDBRecord) -> str:
    return record.dynamodb.sequence_number if record.dynamodb and record.dynamodb.sequence_number else ""


def retry_from(
    response: PartialItemFailureResponse, sequence_numbers: list[str]
) -> PartialItemFailureResponse:
    """Add the earliest of these stream records to the batch's failures: Lambda retries from there.
    Those not already reported count as `RecordsFailed` too."""
    reported = [str(failure["itemIdentifier"]) for failure in response["batchItemFailures"]]
    _count_failed_records(len({number for number in sequence_numbers if number} - set(reported)))
    candidates = [number for number in [*reported, *sequence_numbers] if number]
    if not candidates:
        return response
    return {"batchItemFailures": [{"itemIdentifier": min(candidates, key=int)}]}


def record_publish_latency(record: ArticleRecord) -> None:
    """Upload to page, in milliseconds: how long a reader waits for a story after the editor saves it."""
    if record.uploaded_at is not None:
        latency = (now() - record.uploaded_at).total_seconds() * 1000
        metrics.add_metric(name="PublishLatency", unit=MetricUnit.Milliseconds, value=max(latency, 0.0))


def idempotency() -> DynamoDBPersistenceLayer:
    """Powertools idempotency records, for functions with a natural key."""
    # Imported here: only ReleaseArticleFunction uses it (at its import), and it would add ~8 ms to
    # the cold start of every other function.
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    # The function's own DynamoDB client: Powertools would make a second one (~40 ms) at import.
    return DynamoDBPersistenceLayer(table_name=settings().idempotency_table, boto3_client=_client("dynamodb"))
