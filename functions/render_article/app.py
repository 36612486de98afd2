"""Articles table stream → the article's page in the site bucket (written, moved or removed)."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressrun import runtime
from pressrun.aws.events import article_change
from pressrun.pages import apply_article_change

logger, metrics = runtime.logger, runtime.metrics
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def handle_record(record: DynamoDBRecord) -> None:
    old, new = article_change(record)
    logger.set_correlation_id(runtime.source_key_of(old, new))
    changed = apply_article_change(
        old, new, runtime.uploads(), runtime.articles(), runtime.site(), runtime.settings()
    )
    if changed and new is not None and new.is_live:
        runtime.record_publish_latency(new)
    logger.info("article page handled", extra={"changed": changed})
    metrics.add_metric(name="ArticlePagesWritten", unit=MetricUnit.Count, value=len(changed))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return runtime.process_batch(event, handle_record, processor, context)
