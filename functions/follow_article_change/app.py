"""Articles table stream → what follows an article change: its page, its index entries, its schedule.

The articles stream's only reader: DynamoDB Streams throttles past two readers per shard, so the page,
the index and the schedule follow the change here, one after the other (each part is idempotent, so a
retried record redoes them all safely).
"""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressrun import runtime
from pressrun.aws.events import UnusableRecord, article_change
from pressrun.follow import follow_article_change

logger, metrics = runtime.logger, runtime.metrics
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def handle_record(record: DynamoDBRecord) -> None:
    try:
        old, new = article_change(record)
    except UnusableRecord as unusable:
        logger.set_correlation_id(unusable.source_key)
        logger.error(
            "stream record skipped: it does not hold whole articles",
            extra={"source_key": unusable.source_key, "reason": unusable.reason},
        )
        metrics.add_metric(name="UnusableRecordsSkipped", unit=MetricUnit.Count, value=1)
        return
    logger.set_correlation_id(runtime.source_key_of(old, new))
    followed = follow_article_change(
        old,
        new,
        uploads=runtime.uploads(),
        site_store=runtime.site(),
        index=runtime.index(),
        scheduler=runtime.scheduler(),
        articles=runtime.articles(),
        redirects=runtime.redirects(),
        site=runtime.settings(),
        now=runtime.now(),
    )
    if followed.pages and new is not None and new.is_live:
        runtime.record_publish_latency(new)
    index_changes = len(followed.index.put) + len(followed.index.delete)
    logger.info(
        "article change followed",
        extra={"pages": followed.pages, "index_changes": index_changes, "schedule": followed.schedule},
    )
    metrics.add_metric(name="ArticlePagesWritten", unit=MetricUnit.Count, value=len(followed.pages))
    metrics.add_metric(name="IndexEntriesChanged", unit=MetricUnit.Count, value=index_changes)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return runtime.process_batch(event, handle_record, processor, context)
