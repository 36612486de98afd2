"""Image upload (S3 → EventBridge → SQS), or crops an article asked for → renditions and the image's
record, or a report for the editor; the articles that waited for the image are tried again.

Pillow is in this function's own package (requirements.txt beside this file), never in the layer."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressrun import runtime
from pressrun.aws.events import image_work_from_sqs
from pressrun.imaging import PillowCodec
from pressrun.ingest import Intake, Upload
from pressrun.media import ImageLimits, ImageWork

logger, metrics = runtime.logger, runtime.metrics
processor = BatchProcessor(event_type=EventType.SQS)
codec = PillowCodec()


def handle_record(record: SQSRecord) -> None:
    current = runtime.settings()
    # Articles tried again here never ask for crops: the crops their images were waiting for are the
    # ones just made, and this function never writes to the queue that triggers it.
    intake = Intake(
        runtime.uploads(), runtime.articles(), current, runtime.alerts(), runtime.now(), runtime.images()
    )
    work = ImageWork(
        uploads=runtime.uploads(),
        images=runtime.images(),
        site_store=runtime.site(),
        codec=codec,
        alerts=runtime.alerts(),
        intake=intake,
        limits=ImageLimits(current.max_image_bytes, current.max_image_pixels),
        now=runtime.now(),
    )
    for item in image_work_from_sqs(record):
        if isinstance(item, Upload):
            logger.set_correlation_id(item.key)
            outcome = work.upload(item)
        else:
            logger.set_correlation_id(item.image)
            outcome = work.request(item)
        logger.info("image handled", extra={"outcome": outcome.value})
        metrics.add_metric(name=f"Images{outcome.value.capitalize()}", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return runtime.process_batch(event, handle_record, processor, context)
