"""The event pump: delivers what Lambda's event source mappings would, in the shapes Lambda uses,
to the handlers of template.yaml, until every queue and stream is drained."""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import sys
import time
import traceback
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from pressrun.emulator.stack import REGION, EventSource, LocalFunction, LocalStack, function_arn

# A bound on work, not on time: a pipeline that is still busy after this many rounds is looping.
_MAX_ROUNDS = 10_000


@dataclass
class LambdaContext:
    """The parts of Lambda's context object that Powertools reads."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def invoked_function_arn(self) -> str:
        return function_arn(self.function_name)

    @property
    def function_version(self) -> str:
        return "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_seconds * 1000


@dataclass
class _StreamPosition:
    after: str | None = None
    failures: int = 0
    iterator: str | None = None
    # The invocations the runner had made when the iterator was taken: a function run since may have
    # had a transaction cancelled, after which moto's table holds a copy of its stream, taken before
    # the transaction, and an iterator taken earlier reads the one moto set aside.
    taken_at: int = -1


@dataclass
class _Stream:
    """What the runner knows of one table's stream: where it is now, and what its records carry."""

    arn: str
    shards: list[str]
    images: bool
    described_at: int


# Records that carry the item as it was or became.
_IMAGE_VIEWS = {"NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"}


@dataclass
class Runner:
    stack: LocalStack
    log: TextIO = sys.stderr
    # The local clock for schedules; None is the real time.
    now: datetime | None = None
    # Told the function name after every delivery, for progress reports.
    on_delivery: Callable[[str], None] | None = None
    # Told the function name and the seconds of every invocation, as Lambda bills them (the bench
    # counts GB-seconds with it).
    on_invocation: Callable[[str, float], None] | None = None
    # The function being invoked now, None between invocations: whose the AWS calls made now are.
    running: str | None = None
    invocations: dict[str, int] = field(default_factory=dict)
    released: list[str] = field(default_factory=list)
    _positions: dict[tuple[str, str, str], _StreamPosition] = field(default_factory=dict)
    _streams: dict[str, _Stream] = field(default_factory=dict)
    # Every invocation counts: the moment a stream was last described, or an iterator taken.
    _invoked: int = 0
    _environment: dict[str, str] | None = None
    # The process environment when the runner started. A function sees it and its own variables, never
    # another function's: on Lambda each function has an execution environment of its own.
    _base_environment: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    def drain(self) -> None:
        """Deliver until nothing is left. Sources with a batching window wait until all else is idle,
        which is what a window does to a burst: it gathers the burst into one batch."""
        eager = [(f, s) for f in self.stack.functions for s in f.sources if s.batching_window == 0]
        patient = [(f, s) for f in self.stack.functions for s in f.sources if s.batching_window > 0]
        for _ in range(_MAX_ROUNDS):
            if any([self._deliver(f, s) for f, s in eager]):
                continue
            if any([self._deliver(f, s) for f, s in patient]):
                continue
            if not self._fire_due_schedules():
                return
        raise RuntimeError(f"the pipeline was still busy after {_MAX_ROUNDS} rounds of delivery")

    def invoke(self, name: str, event: dict[str, Any]) -> Any:
        """Invoke a function directly, as an operator does with `aws lambda invoke`."""
        function = next(f for f in self.stack.functions if f.name == name)
        return self._invoke(function, event)

    def _deliver(self, function: LocalFunction, source: EventSource) -> bool:
        # S3's events of what the last delivery wrote are in their queues before the next poll.
        self.stack.announce()
        delivered = (
            self._deliver_sqs(function, source)
            if source.kind == "sqs"
            else self._deliver_stream(function, source)
        )
        if delivered and self.on_delivery is not None:
            self.on_delivery(function.name)
        return delivered

    def _invoke(self, function: LocalFunction, event: dict[str, Any]) -> Any:
        _set_environment(self._base_environment | function.environment)
        self.running = function.name
        started = time.perf_counter()
        try:
            return self._run(function, event)
        finally:
            seconds = time.perf_counter() - started
            self.running = None
            _set_environment(self._base_environment)
            if self.on_invocation is not None:
                self.on_invocation(function.name, seconds)

    def _run(self, function: LocalFunction, event: dict[str, Any]) -> Any:
        self._invoked += 1
        self.stack.watch_default_session()
        if function.environment != self._environment:
            # A different function's configuration: its own settings, as in Lambda. The runtime module
            # is imported only now, so its logger and metrics see the function's settings. Clients are
            # made afresh once per runner (this session's endpoint, chaos mode), then kept.
            runtime = importlib.import_module("pressrun.runtime")
            if self._environment is None:
                runtime.reset()
            else:
                runtime.reload_settings()
            self._environment = function.environment
        self.invocations[function.name] = self.invocations.get(function.name, 0) + 1
        context = LambdaContext(function.name, function.memory, function.timeout)
        # Function output (log lines, EMF metrics) goes where CloudWatch Logs would have it, not to the CLI.
        with contextlib.redirect_stdout(self.log), warnings.catch_warnings(record=True) as caught:
            try:
                handler = function.handler
                logger_handler = importlib.import_module("pressrun.runtime").logger.registered_handler
                if isinstance(logger_handler, logging.StreamHandler):
                    # Assigned, not setStream(): that flushes the previous run's log, which may be closed.
                    logger_handler.stream = self.log
                return handler(event, context)
            except Exception:
                # Lambda logs an unhandled error and fails the whole batch; so does the runner.
                self.log.write(f"{function.name} failed:\n{traceback.format_exc()}")
                raise
            finally:
                # Warnings (Powertools' "no metrics to publish") belong in the function's log.
                for warning in caught:
                    self.log.write(f"{function.name} warning: {warning.message}\n")

    # --- EventBridge Scheduler ---------------------------------------------------------------------

    def _fire_due_schedules(self) -> bool:
        """Invoke the target of every one-time schedule whose time has come, as Scheduler would."""
        scheduler = self.stack.client("scheduler")
        now = self.now or datetime.now(UTC)
        fired = False
        for group, _ in self.stack.resources("AWS::Scheduler::ScheduleGroup"):
            for summary in scheduler.list_schedules(GroupName=group).get("Schedules", []):
                schedule = scheduler.get_schedule(GroupName=group, Name=summary["Name"])
                if one_time_at(schedule) > now:
                    continue
                target = schedule["Target"]
                function = next(f for f in self.stack.functions if function_arn(f.name) == target["Arn"])
                payload = json.loads(target.get("Input", "{}"))
                try:
                    self._invoke(function, payload)
                except Exception:
                    # Scheduler retries, then sets the event aside in the target's dead-letter queue.
                    dead_letter = target.get("DeadLetterConfig", {}).get("Arn")
                    if not dead_letter:
                        raise
                    sqs = self.stack.client("sqs")
                    url = sqs.get_queue_url(QueueName=dead_letter.rsplit(":", 1)[1])["QueueUrl"]
                    sqs.send_message(QueueUrl=url, MessageBody=target.get("Input", "{}"))
                else:
                    self.released.append(str(payload.get("source_key", "")))
                if schedule.get("ActionAfterCompletion") == "DELETE":
                    scheduler.delete_schedule(GroupName=group, Name=summary["Name"])
                fired = True
        return fired

    # --- SQS ----------------------------------------------------------------------------------------

    def _deliver_sqs(self, function: LocalFunction, source: EventSource) -> bool:
        sqs = self.stack.client("sqs")
        messages: list[dict[str, Any]] = []
        while len(messages) < source.batch_size:
            received = sqs.receive_message(
                QueueUrl=source.queue_url,
                MaxNumberOfMessages=min(10, source.batch_size - len(messages)),
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not received:
                break
            messages += received
        if not messages:
            return False
        event = {"Records": [_sqs_record(message, source.arn) for message in messages]}
        try:
            response = self._invoke(function, event)
        except Exception:
            failed = {message["MessageId"] for message in messages}
        else:
            reported = (response or {}).get("batchItemFailures", []) if source.report_failures else []
            failed = {failure["itemIdentifier"] for failure in reported}
        done = [message for message in messages if message["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            sqs.delete_message_batch(
                QueueUrl=source.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": message["ReceiptHandle"]}
                    for i, message in enumerate(done[start : start + 10])
                ],
            )
        for message in messages:
            if message["MessageId"] in failed:
                # Visible again at once rather than after the visibility timeout: the local clock
                # does not wait, but the receive count still climbs towards the dead-letter queue.
                sqs.change_message_visibility(
                    QueueUrl=source.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
        return True

    # --- DynamoDB Streams ---------------------------------------------------------------------------

    def _deliver_stream(self, function: LocalFunction, source: EventSource) -> bool:
        streams = self.stack.client("dynamodbstreams")
        stream = self._stream(source.arn)
        delivered = False
        for shard in stream.shards:
            position = self._positions.setdefault((function.name, stream.arn, shard), _StreamPosition())
            if position.iterator is None or position.taken_at != self._invoked:
                where: dict[str, str] = {"ShardIteratorType": "TRIM_HORIZON"}
                if position.after is not None:
                    where = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": position.after}
                position.iterator = streams.get_shard_iterator(StreamArn=stream.arn, ShardId=shard, **where)[
                    "ShardIterator"
                ]
                position.taken_at = self._invoked
            response = streams.get_records(ShardIterator=position.iterator, Limit=source.batch_size)
            position.iterator = response.get("NextShardIterator")
            read = response["Records"]
            records = [record for record in read if not stream.images or _has_image(record)]
            if not records:
                if read:
                    # Only records DynamoDB would not have written (below): passed over unseen.
                    position.after = read[-1]["dynamodb"]["SequenceNumber"]
                continue
            delivered = True
            event = {"Records": [_stream_record(record, source.arn) for record in records]}
            try:
                reply = self._invoke(function, event)
            except Exception:
                first_failed: str | None = records[0]["dynamodb"]["SequenceNumber"]
            else:
                reported = (reply or {}).get("batchItemFailures", []) if source.report_failures else []
                first_failed = min((f["itemIdentifier"] for f in reported), key=int, default=None)
            self._advance(function.name, position, records, first_failed, source, event, read[-1])
        return delivered

    def _stream(self, template_arn: str) -> _Stream:
        """The table's stream as it is now: described again whenever a function has run since, since
        a cancelled transaction leaves moto's table with a copy of its stream (and could leave it with
        another stream, or other shards, which the positions then follow)."""
        known = self._streams.get(template_arn)
        if known is not None and known.described_at == self._invoked:
            return known
        table = template_arn.split("/")[1]
        arn = self.stack.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
        description = self.stack.client("dynamodbstreams").describe_stream(StreamArn=arn)["StreamDescription"]
        stream = _Stream(
            arn=arn,
            shards=[shard["ShardId"] for shard in description["Shards"]],
            images=description.get("StreamViewType") in _IMAGE_VIEWS,
            described_at=self._invoked,
        )
        self._streams[template_arn] = stream
        return stream

    def _advance(
        self,
        function_name: str,
        position: _StreamPosition,
        records: list[dict[str, Any]],
        first_failed: str | None,
        source: EventSource,
        event: dict[str, Any],
        last_read: dict[str, Any],
    ) -> None:
        if first_failed is None:
            position.after = last_read["dynamodb"]["SequenceNumber"]
            position.failures = 0
            return
        position.failures += 1
        # -1 is Lambda's "until the record expires": here, until the pump's own bound stops it.
        if source.max_retries < 0 or position.failures <= source.max_retries:
            # Retry from the failed record, as Lambda does with ReportBatchItemFailures.
            before = [r for r in records if int(r["dynamodb"]["SequenceNumber"]) < int(first_failed)]
            if before:
                position.after = before[-1]["dynamodb"]["SequenceNumber"]
            return
        # Out of retries: the batch goes to the on-failure destination and the shard moves on.
        if source.on_failure_url:
            self.stack.client("sqs").send_message(
                QueueUrl=source.on_failure_url,
                MessageBody=json.dumps({"function": function_name, "failedBatch": event}, default=str),
            )
        position.after = last_read["dynamodb"]["SequenceNumber"]
        position.failures = 0


def _set_environment(variables: dict[str, str]) -> None:
    if os.environ != variables:
        os.environ.clear()
        os.environ.update(variables)


def one_time_at(schedule: dict[str, Any]) -> datetime:
    expression = schedule["ScheduleExpression"]
    if not expression.startswith("at("):
        raise ValueError(f"the local runner fires one-time schedules only, not {expression}")
    moment = datetime.fromisoformat(expression[3:-1])
    return moment.replace(tzinfo=ZoneInfo(schedule.get("ScheduleExpressionTimezone", "UTC")))


def _sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def _has_image(record: dict[str, Any]) -> bool:
    """Whether a record of a stream that carries images carries one: not only the item's key.

    Every item pressrun writes to such a table holds more than its key, so DynamoDB never streams a
    record like that; moto does, as the first of the two INSERTs it streams for an UpdateItem that
    creates an item."""
    change = record["dynamodb"]
    keys = change.get("Keys", {})
    return any(set(change.get(image) or {}) - set(keys) for image in ("NewImage", "OldImage"))


def _stream_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """boto3 parsed the timestamp; Lambda's event carries it as epoch seconds."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }
