"""Lambda's event source mappings, as documented: SQS batches with partial batch responses, a receive
count and a dead-letter queue; DynamoDB stream shards read in order by one invocation at a time,
parents before children, with ReportBatchItemFailures, BisectBatchOnFunctionError and
MaximumRetryAttempts, after which only the batch's coordinates reach the on-failure destination."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tests.simulation.dynamodb import Shard, Stream, StreamRecord

# --- SQS ----------------------------------------------------------------------------------------


@dataclass
class Message:
    message_id: str
    body: str
    receives: int = 0
    in_flight: bool = False

    def as_lambda_record(self, queue: str) -> dict[str, Any]:
        return {
            "messageId": self.message_id,
            "receiptHandle": f"handle-{self.message_id}-{self.receives}",
            "body": self.body,
            "attributes": {"ApproximateReceiveCount": str(self.receives)},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{queue}",
            "awsRegion": "us-east-1",
        }


@dataclass
class Queue:
    """A standard queue: no order, a message received may come back (visibility timeout), and one
    received `max_receives` times without success moves to the dead-letter queue."""

    name: str
    max_receives: int
    messages: list[Message] = field(default_factory=list)
    dead_letters: list[Message] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def send(self, body: str) -> None:
        self.messages.append(Message(f"{self.name}-{next(self._ids)}", body))

    def visible(self) -> list[Message]:
        return [message for message in self.messages if not message.in_flight]

    def receive(self, count: int, rng: random.Random) -> list[Message]:
        """Up to `count` visible messages, in any order."""
        visible = self.visible()
        batch = rng.sample(visible, min(count, len(visible)))
        for message in batch:
            message.in_flight = True
            message.receives += 1
        return batch

    def settle(self, batch: list[Message], failed: set[str]) -> None:
        """Delete what succeeded; what failed is visible again, or dead-lettered on its last receive."""
        for message in batch:
            message.in_flight = False
            if message.message_id not in failed:
                self.messages.remove(message)
            elif message.receives >= self.max_receives:
                self.messages.remove(message)
                self.dead_letters.append(message)

    def redrive(self) -> int:
        """What an operator's redrive does (StartMessageMoveTask): dead letters back, counts reset."""
        moved = len(self.dead_letters)
        for message in self.dead_letters:
            self.messages.append(Message(message.message_id, message.body))
        self.dead_letters.clear()
        return moved


# A function of an SQS source gets the batch's records and answers with the ids that failed
# (batchItemFailures); raising fails the whole batch.
SqsFunction = Callable[[list[dict[str, Any]]], set[str]]


def invoke_sqs(queue: Queue, function: SqsFunction, batch_size: int, rng: random.Random) -> int:
    """One invocation of the queue's function on a batch; how many messages it was given."""
    batch = queue.receive(batch_size, rng)
    if not batch:
        return 0
    try:
        failed = function([message.as_lambda_record(queue.name) for message in batch])
    except Exception:
        failed = {message.message_id for message in batch}
    queue.settle(batch, failed)
    return len(batch)


# --- DynamoDB streams ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FailedBatch:
    """What Lambda sends to a stream source's on-failure destination: where the batch was, not what
    it held. The records are gone from the consumer's point of view."""

    shard_id: str
    start_sequence: str
    end_sequence: str
    size: int
    # The arrival times of its first and last records (DDBStreamBatchInfo's approximate times).
    first_arrival: datetime | None = None
    last_arrival: datetime | None = None


# A stream function gets the batch's records and answers with the sequence numbers that failed
# (batchItemFailures); raising is a function error.
StreamFunction = Callable[[list[dict[str, Any]]], list[str]]


@dataclass
class _Reader:
    position: int = 0
    # Attempts at the batch starting at `position` that failed; reset when the position moves.
    retries: int = 0
    # After a function error the batch is bisected: the next batch is at most this long.
    cap: int | None = None
    busy: bool = False


class StreamMapping:
    """One function reading every shard of one stream, each at its own position."""

    def __init__(
        self,
        stream: Stream,
        function: StreamFunction,
        max_retries: int | None,
        on_failure: list[FailedBatch],
        bisect: bool = True,
    ) -> None:
        self.stream = stream
        self.function = function
        # None retries until the records expire, which this simulation does not model.
        self.max_retries = max_retries
        self.on_failure = on_failure
        self.bisect = bisect
        self._readers: dict[str, _Reader] = {}
        self.invocations = 0

    def _reader(self, shard: Shard) -> _Reader:
        return self._readers.setdefault(shard.shard_id, _Reader())

    def finished(self, shard: Shard) -> bool:
        return shard.closed and self._reader(shard).position >= len(shard.records)

    def runnable(self) -> list[Shard]:
        """Shards with records to read whose parent has been read to its end: Lambda reads a
        parent shard whole before its children, so one item's records keep their order."""
        ready = []
        for shard in self.stream.shards.values():
            reader = self._reader(shard)
            parent = self.stream.shards.get(shard.parent) if shard.parent else None
            if reader.busy or reader.position >= len(shard.records):
                continue
            if parent is not None and not self.finished(parent):
                continue
            ready.append(shard)
        return ready

    def behind(self) -> int:
        return sum(len(shard.records) - self._reader(shard).position for shard in self.stream.shards.values())

    def invoke(self, shard: Shard, batch_size: int) -> None:
        reader = self._reader(shard)
        assert not reader.busy, "one invocation per shard at a time"
        size = min(batch_size, reader.cap) if reader.cap else batch_size
        batch: list[StreamRecord] = shard.records[reader.position : reader.position + size]
        if not batch:
            return
        reader.busy = True
        self.invocations += 1
        try:
            failed = self.function([record.as_lambda_record(self.stream.view) for record in batch])
            error = False
        except Exception:
            failed, error = [], True
        finally:
            reader.busy = False
        if not error and not failed:
            reader.position += len(batch)
            reader.retries, reader.cap = 0, None
            return
        if error and self.bisect and len(batch) > 1:
            # Splitting does not count against the retries: the halves are tried in turn.
            reader.cap = max(1, len(batch) // 2)
            return
        sequences = [str(record.sequence) for record in batch]
        first = min((sequences.index(number) for number in failed if number in sequences), default=0)
        if first > 0:
            # ReportBatchItemFailures: everything before the first failure is done.
            reader.position += first
            reader.retries, reader.cap = 0, None
            return
        reader.retries += 1
        if self.max_retries is not None and reader.retries > self.max_retries:
            given_up = FailedBatch(
                shard.shard_id, sequences[0], sequences[-1], len(batch), batch[0].arrived, batch[-1].arrived
            )
            self.on_failure.append(given_up)
            reader.position += len(batch)
            reader.retries, reader.cap = 0, None
