"""EventBridge Scheduler, at an article's time → the scheduled article goes live."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressrun import runtime
from pressrun.scheduling import Release, release_article

logger, metrics = runtime.logger, runtime.metrics


@logger.inject_lambda_context
@metrics.log_metrics
@event_parser(model=Release)
def lambda_handler(event: Release, context: LambdaContext) -> dict:
    logger.set_correlation_id(event.source_key)
    released = release_article(event, runtime.articles())
    logger.info("scheduled article released", extra={"released": released})
    metrics.add_metric(name="ArticlesReleased", unit=MetricUnit.Count, value=int(released))
    return {"released": released}
