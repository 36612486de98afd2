"""Index table stream → the category pages, home page, feed and sitemap of the listings that changed.

A batch names each listing many times; it is rendered once, after the batch's records are read.
"""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressrun import runtime
from pressrun.aws.events import changed_listing
from pressrun.listings import refresh_listings

logger, metrics = runtime.logger, runtime.metrics
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
changed_listings: set[str] = set()


def handle_record(record: DynamoDBRecord) -> None:
    listing = changed_listing(record)
    if listing is not None:
        changed_listings.add(listing)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    changed_listings.clear()
    response = runtime.process_batch(event, handle_record, processor, context)
    changed = refresh_listings(changed_listings, runtime.index(), runtime.site(), runtime.settings())
    logger.info("listings refreshed", extra={"listings": sorted(changed_listings), "changed": changed})
    metrics.add_metric(name="ListingPagesWritten", unit=MetricUnit.Count, value=len(changed))
    return response
