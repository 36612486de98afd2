"""Ping queue → IndexNow and the WebSub hub told of what readers can now see.

A batch is sent whole (one IndexNow request for all its URLs, one hub request per feed); the jobs of
a target that refused or could not be reached are handed back to the queue, which tries them again
after its visibility timeout and sets them aside in its dead-letter queue after its last receive.
"""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSEvent, SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from pressrun import runtime
from pressrun.pings import Ping, PingFailed, PingRun, send_pings

logger, metrics = runtime.logger, runtime.metrics
processor = BatchProcessor(event_type=EventType.SQS)
sent = PingRun(delivered=frozenset())


def handle_record(record: SQSRecord) -> None:
    if record.message_id not in sent.delivered:
        raise PingFailed(sent.failed.get(record.message_id, f"not a ping: {record.body[:200]!r}"))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    global sent
    jobs: dict[str, Ping] = {}
    for record in SQSEvent(event).records:
        try:
            jobs[record.message_id] = Ping.model_validate_json(record.body)
        except ValidationError:
            continue  # fails below, alone, and ends in the dead-letter queue for a person to read
    sent = send_pings(jobs, runtime.ping_sender(), runtime.settings())
    logger.info(
        "pings sent", extra={"delivered": len(sent.delivered), "failed": sorted(set(sent.failed.values()))}
    )
    metrics.add_metric(name="PingsSent", unit=MetricUnit.Count, value=len(sent.delivered))
    return runtime.process_batch(event, handle_record, processor, context)
