"""SQS adapters: the rebuild queue that fans a full re-render out over many workers, and the
invalidation queue that gathers stale site objects into one CloudFront invalidation per window."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    # A type only: pressrun.rebuild imports the renderers (jinja2 and the templates), which every
    # function would load at its cold start through runtime.py, which imports this adapter.
    from pressrun.invalidation import SiteChange
    from pressrun.rebuild import RebuildJob

# SendMessageBatch takes at most ten messages.
_BATCH = 10


def _send(client: SQSClient, queue_url: str, bodies: list[str], what: str) -> None:
    for start in range(0, len(bodies), _BATCH):
        chunk = bodies[start : start + _BATCH]
        response = client.send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(number), "MessageBody": body} for number, body in enumerate(chunk)],
        )
        if response.get("Failed"):
            raise RuntimeError(f"{len(response['Failed'])} {what} were not queued: {response['Failed']}")


class SqsJobQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        if not queue_url:
            raise ValueError("rebuilding needs REBUILD_QUEUE_URL")
        self._client = client
        self._queue_url = queue_url

    def send(self, jobs: list[RebuildJob]) -> None:
        _send(self._client, self._queue_url, [job.model_dump_json() for job in jobs], "rebuild jobs")


class SqsInvalidationRequests:
    """Each stale object is one message; the queue's batching window gathers a burst into one batch."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        if not queue_url:
            raise ValueError("invalidating needs INVALIDATION_QUEUE_URL")
        self._client = client
        self._queue_url = queue_url

    def request(self, changes: list[SiteChange]) -> None:
        _send(
            self._client, self._queue_url, [change.model_dump_json() for change in changes], "invalidations"
        )
