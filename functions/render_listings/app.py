"""Index table stream → the category pages, home page, feed and sitemap of the listings that changed.

A batch names each listing many times; it is rendered once, after the batch's records are read.
"""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressrun import runtime
from pressrun.aws.events import changed_membership
from pressrun.listings import refresh_listings
from pressrun.rebuild import QueuedRebuild

logger, metrics = runtime.logger, runtime.metrics
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
changed_positions: dict[str, set[str]] = {}
first_records: dict[str, str] = {}


def handle_record(record: DynamoDBRecord) -> None:
    membership = changed_membership(record)
    if membership is not None:
        listing, position = membership
        # The article the change is about: its upload's key ends the position.
        logger.set_correlation_id(position.partition("#")[2])
        changed_positions.setdefault(listing, set()).add(position)
        first_records.setdefault(listing, runtime.sequence_number(record))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    changed_positions.clear()
    first_records.clear()
    response = runtime.process_batch(event, handle_record, processor, context)
    rebuilds = QueuedRebuild(runtime.articles(), runtime.index(), runtime.rebuild_queue(), runtime.settings())
    refreshed = refresh_listings(
        changed_positions, runtime.index(), runtime.site(), runtime.settings(), runtime.now(), rebuilds
    )
    logger.info(
        "listings refreshed", extra={"listings": sorted(changed_positions), "changed": refreshed.changed}
    )
    metrics.add_metric(name="ListingPagesWritten", unit=MetricUnit.Count, value=len(refreshed.changed))
    if refreshed.failed:
        logger.error("listings failed; retrying from their first record", extra={"failed": refreshed.failed})
    return runtime.retry_from(response, [first_records[listing] for listing in refreshed.failed])
