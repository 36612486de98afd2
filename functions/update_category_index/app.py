"""Articles table stream → one membership item per (listing, article) in the index table."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressrun import runtime
from pressrun.aws.events import article_change
from pressrun.index import update_index

logger, metrics = runtime.logger, runtime.metrics
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def handle_record(record: DynamoDBRecord) -> None:
    old, new = article_change(record)
    logger.set_correlation_id(runtime.source_key_of(old, new))
    update = update_index(old, new, runtime.index())
    logger.info("index updated", extra={"put": len(update.put), "deleted": len(update.delete)})
    metrics.add_metric(
        name="IndexEntriesChanged", unit=MetricUnit.Count, value=len(update.put) + len(update.delete)
    )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return runtime.process_batch(event, handle_record, processor, context)
