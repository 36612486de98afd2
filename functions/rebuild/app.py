"""Invoked by an operator after a template change: queues the re-render of every page, in batches."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressrun import runtime
from pressrun.rebuild import plan_rebuild

logger, metrics = runtime.logger, runtime.metrics


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    jobs = plan_rebuild(runtime.articles(), runtime.index(), runtime.rebuild_queue(), runtime.settings())
    logger.info("rebuild queued", extra={"jobs": jobs})
    metrics.add_metric(name="RebuildJobsQueued", unit=MetricUnit.Count, value=jobs)
    return {"jobs": jobs}
