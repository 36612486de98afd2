"""SQS adapter: the rebuild queue that fans a full re-render out over many workers."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    # A type only: pressrun.rebuild imports the renderers (jinja2 and the templates), which every
    # function would load at its cold start through runtime.py, which imports this adapter.
    from pressrun.rebuild import RebuildJob


class SqsJobQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        if not queue_url:
            raise ValueError("rebuilding needs REBUILD_QUEUE_URL")
        self._client = client
        self._queue_url = queue_url

    def send(self, jobs: list[RebuildJob]) -> None:
        response = self._client.send_message_batch(
            QueueUrl=self._queue_url,
            Entries=[
                {"Id": str(number), "MessageBody": job.model_dump_json()} for number, job in enumerate(jobs)
            ],
        )
        if response.get("Failed"):
            raise RuntimeError(
                f"{len(response['Failed'])} rebuild jobs were not queued: {response['Failed']}"
            )
