"""Every ReconcileIntervalMinutes (EventBridge Scheduler) → one reconciliation sweep: what AWS's delivery
lost (a dropped S3 event, a stream batch that exhausted its retries) is found and repaired."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressrun import runtime
from pressrun.reconcile import sweep

logger, metrics = runtime.logger, runtime.metrics
# What one log line lists of the drift found; the counts cover the rest.
_DRIFT_LOGGED = 100


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    report = sweep(
        uploads=runtime.uploads(),
        articles=runtime.articles(),
        index=runtime.index(),
        site_store=runtime.site(),
        scheduler=runtime.scheduler(),
        journal=runtime.sweep_journal(),
        failed_batches=runtime.failed_batches(),
        alerts=runtime.alerts(),
        redirects=runtime.redirects(),
        site=runtime.settings(),
        now=runtime.now(),
        images=runtime.images(),
    )
    drift = [item.model_dump() for item in report.drift]
    logger.info(
        "sweep done",
        extra={"checked": report.checked, "drift": drift[:_DRIFT_LOGGED], "persistent": report.persistent},
    )
    metrics.add_metric(name="DriftFound", unit=MetricUnit.Count, value=report.found)
    # Every drift found is repaired in the same sweep (an upload by re-announcing it).
    metrics.add_metric(name="DriftRepaired", unit=MetricUnit.Count, value=report.found)
    metrics.add_metric(name="DriftPersistent", unit=MetricUnit.Count, value=int(report.persistent))
    return {"checked": report.checked, "found": report.found, "persistent": report.persistent}
