"""The handlers' shared glue: failed records are counted even when the invocation succeeds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from pressrun import runtime
from pressrun.emulator.runner import LambdaContext


@pytest.fixture
def metrics() -> Iterator[None]:
    runtime.metrics.clear_metrics()
    yield
    runtime.metrics.clear_metrics()


def failed_records() -> list[float] | None:
    serialized: dict[str, Any] = runtime.metrics.serialize_metric_set() if runtime.metrics.metric_set else {}
    return serialized.get(runtime.RECORDS_FAILED)


def stream_event(*sequence_numbers: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventID": number,
                "eventName": "INSERT",
                "eventSource": "aws:dynamodb",
                "dynamodb": {"Keys": {"listing": {"S": "site"}}, "SequenceNumber": number},
            }
            for number in sequence_numbers
        ]
    }


def test_records_that_fail_in_a_successful_batch_are_counted(metrics: None):
    def handler(record: DynamoDBRecord) -> None:
        if runtime.sequence_number(record) == "102":
            raise RuntimeError("poison")

    response = runtime.process_batch(
        stream_event("101", "102", "103"),
        handler,
        BatchProcessor(event_type=EventType.DynamoDBStreams),
        LambdaContext("RenderListingsFunction", 512, 30),
    )

    assert response == {"batchItemFailures": [{"itemIdentifier": "102"}]}
    assert failed_records() == [1.0]


def test_a_batch_without_failures_counts_none(metrics: None):
    runtime.process_batch(
        stream_event("101"),
        lambda record: None,
        BatchProcessor(event_type=EventType.DynamoDBStreams),
        LambdaContext("RenderListingsFunction", 512, 30),
    )

    assert failed_records() is None


def test_records_handed_back_for_retry_by_the_handler_are_counted_once(metrics: None):
    # A listing that failed after the batch's records were read: its first record goes back.
    response = runtime.retry_from({"batchItemFailures": [{"itemIdentifier": "105"}]}, ["103", "105", ""])

    assert response == {"batchItemFailures": [{"itemIdentifier": "103"}]}
    assert failed_records() == [1.0]
