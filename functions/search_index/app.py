"""Every SearchIndexIntervalMinutes (EventBridge Scheduler) → the search bundle built again with Pagefind,
if the site changed since the last build."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressrun import runtime
from pressrun.search import refresh_search

logger, metrics = runtime.logger, runtime.metrics


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    run = refresh_search(
        runtime.index(), runtime.search_site(), runtime.search_indexer(), runtime.settings(), runtime.now()
    )
    logger.info("search index", extra=run.model_dump())
    metrics.add_metric(name="SearchIndexBuilt", unit=MetricUnit.Count, value=int(run.outcome == "built"))
    return run.model_dump()
