"""Uploads bucket change (S3 → EventBridge → SQS) → the article record, or a report for the editor."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressrun import runtime
from pressrun.aws.events import uploads_from_sqs
from pressrun.ingest import accept_upload

logger, metrics = runtime.logger, runtime.metrics
processor = BatchProcessor(event_type=EventType.SQS)


def handle_record(record: SQSRecord) -> None:
    for upload in uploads_from_sqs(record):
        logger.set_correlation_id(upload.key)
        outcome = accept_upload(
            upload,
            runtime.uploads(),
            runtime.articles(),
            runtime.settings(),
            runtime.alerts(),
            runtime.now(),
            runtime.images(),
            runtime.image_requests(),
            runtime.redirects(),
        )
        runtime.record_outcome(outcome)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return runtime.process_batch(event, handle_record, processor, context)
