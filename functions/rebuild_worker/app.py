"""Rebuild queue → the pages of one batch of articles, or of one listing, re-rendered."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressrun import runtime
from pressrun.rebuild import RebuildJob, run_job

logger, metrics = runtime.logger, runtime.metrics
processor = BatchProcessor(event_type=EventType.SQS)


def handle_record(record: SQSRecord) -> None:
    job = RebuildJob.model_validate_json(record.body)
    changed = run_job(
        job,
        runtime.articles(),
        runtime.uploads(),
        runtime.index(),
        runtime.site(),
        runtime.settings(),
        runtime.now(),
    )
    logger.info("rebuild job done", extra={"kind": job.kind, "changed": len(changed)})
    metrics.add_metric(name="RebuildPagesWritten", unit=MetricUnit.Count, value=len(changed))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return runtime.process_batch(event, handle_record, processor, context)
