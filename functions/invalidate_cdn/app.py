"""Site bucket changes (S3 → EventBridge → SQS, batched) → one CloudFront invalidation per batch.

While CloudFront is busy (its invalidations in flight fill the quota, or it throttles), the request is
retried with backoff for as long as the invocation has time; then it raises, so the whole batch returns
to the queue and is retried after the queue's visibility timeout.
"""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressrun import runtime
from pressrun.aws.events import site_change_from_sqs
from pressrun.invalidation import SiteChange, invalidate_changes

logger, metrics = runtime.logger, runtime.metrics
processor = BatchProcessor(event_type=EventType.SQS)
batch_changes: list[SiteChange] = []


def handle_record(record: SQSRecord) -> None:
    batch_changes.append(site_change_from_sqs(record))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    batch_changes.clear()
    response = runtime.process_batch(event, handle_record, processor, context)
    plan = invalidate_changes(batch_changes, runtime.cdn(context), runtime.settings().invalidation_mode)
    logger.info(
        "invalidation requested",
        extra={"items": plan.items, "fell_back": plan.fell_back, "reason": plan.reason},
    )
    # Paths are what CloudFront bills (a wildcard counts as one): this metric is the cost dashboard.
    metrics.add_metric(name="InvalidationPaths", unit=MetricUnit.Count, value=plan.billed_paths)
    return response
