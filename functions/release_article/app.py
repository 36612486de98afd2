"""EventBridge Scheduler, at an article's time → the scheduled article goes live.

Scheduler delivers at least once: the (article, version) pair is the natural idempotency key, so a
repeated delivery returns the first answer without touching the table again.
"""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressrun import runtime
from pressrun.scheduling import Release, release_article

logger, metrics = runtime.logger, runtime.metrics
once_per_version = IdempotencyConfig(event_key_jmespath="[source_key, source_version]")


@logger.inject_lambda_context
@metrics.log_metrics
@idempotent(persistence_store=runtime.idempotency(), config=once_per_version)
@event_parser(model=Release)
def lambda_handler(event: Release, context: LambdaContext) -> dict:
    logger.set_correlation_id(event.source_key)
    released = release_article(event, runtime.articles())
    logger.info("scheduled article released", extra={"released": released})
    metrics.add_metric(name="ArticlesReleased", unit=MetricUnit.Count, value=int(released))
    return {"released": released}
