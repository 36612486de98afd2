"""SQS adapters: the rebuild queue that fans a full re-render out over many workers, the
invalidation queue that gathers stale site objects into one CloudFront invalidation per window, and
the ping queue that holds each ping until what it announces is served."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    # A type only: pressrun.rebuild imports the renderers (jinja2 and the templates), which every
    # function would load at its cold start through runtime.py, which imports this adapter.
    from pressrun.invalidation import SiteChange
    from pressrun.pings import Ping
    from pressrun.rebuild import RebuildJob

# SendMessageBatch takes at most ten messages.
_BATCH = 10


def _send(client: SQSClient, queue_url: str, bodies: list[str], what: str, delay_seconds: int = 0) -> None:
    for start in range(0, len(bodies), _BATCH):
        chunk = bodies[start : start + _BATCH]
        response = client.send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(number), "MessageBody": body, "DelaySeconds": delay_seconds}
                for number, body in enumerate(chunk)
            ],
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
    """Each stale object is one message; the queue's batching window gathers a burst into one batch.

    A request is made before its write (`InvalidatingSite`) and must be served after it: nothing else
    orders an SQS batch after the write that asked, and an invalidation made before the new bytes are
    there lets the CDN cache the old ones again. Each message is delayed past the end of the sending
    invocation (`delay_seconds`, longer than the function's timeout): by then its writes are made,
    or it failed and its retry asks again."""

    def __init__(self, client: SQSClient, queue_url: str, delay_seconds: int = 0) -> None:
        if not queue_url:
            raise ValueError("invalidating needs INVALIDATION_QUEUE_URL")
        self._client = client
        self._queue_url = queue_url
        self._delay_seconds = delay_seconds

    def request(self, changes: list[SiteChange]) -> None:
        bodies = [change.model_dump_json() for change in changes]
        _send(self._client, self._queue_url, bodies, "invalidations", self._delay_seconds)


class SqsPingQueue:
    """One message per ping, delayed by SQS (`DelaySeconds`, per message) until the CDN serves what
    it announces; the ping function's batching window gathers a burst into one IndexNow request."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        if not queue_url:
            raise ValueError("pinging needs PING_QUEUE_URL")
        self._client = client
        self._queue_url = queue_url

    def send(self, pings: Sequence[Ping], delay_seconds: int) -> None:
        _send(
            self._client,
            self._queue_url,
            [ping.model_dump_json() for ping in pings],
            "pings",
            delay_seconds=delay_seconds,
        )


class SqsFailedBatches:
    """The stream consumers' on-failure destination. Lambda sends it only a batch's coordinates and
    the arrival times of its first and last records (`DDBStreamBatchInfo`): the records are gone, and
    the sweep re-checks what changed in that time span instead."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url
        self._taken: list[str] = []

    def take(self) -> list[tuple[datetime, datetime]]:
        spans: list[tuple[datetime, datetime]] = []
        seen: set[str] = set()
        while True:
            messages = self._client.receive_message(
                QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            # A message comes back once its visibility timeout passes: seeing one again means done.
            fresh = [message for message in messages if message["MessageId"] not in seen]
            if not fresh:
                return spans
            for message in fresh:
                seen.add(message["MessageId"])
                batch = json.loads(message.get("Body", "{}")).get("DDBStreamBatchInfo", {})
                first = batch.get("approximateArrivalOfFirstRecord")
                last = batch.get("approximateArrivalOfLastRecord")
                if first and last:
                    spans.append((_moment(first), _moment(last)))
                self._taken.append(message["ReceiptHandle"])

    def settled(self) -> None:
        # Deleted only once the sweep has re-checked them: a sweep that fails part-way leaves them
        # to come back after the queue's visibility timeout, for the next one.
        for receipt in self._taken:
            self._client.delete_message(QueueUrl=self._queue_url, ReceiptHandle=receipt)
        self._taken.clear()


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SqsImageRequests:
    """What ingest asks of the image function, as a message on the image queue beside S3's events."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def request(self, source_key: str) -> None:
        if not self._queue_url:
            raise ValueError("asking for crops needs IMAGE_QUEUE_URL")
        self._client.send_message(QueueUrl=self._queue_url, MessageBody=json.dumps({"image": source_key}))
