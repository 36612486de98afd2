"""Articles table stream → the one-time schedule of each scheduled article, created, moved or removed."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressrun import runtime
from pressrun.aws.events import article_change
from pressrun.scheduling import follow_schedule

logger, metrics = runtime.logger, runtime.metrics
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def handle_record(record: DynamoDBRecord) -> None:
    old, new = article_change(record)
    logger.set_correlation_id(runtime.source_key_of(old, new))
    action = follow_schedule(old, new, runtime.scheduler(), runtime.articles(), runtime.now())
    logger.info("schedule followed", extra={"action": action})


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return runtime.process_batch(event, handle_record, processor, context)
