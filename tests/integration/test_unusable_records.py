"""A stream record that does not hold whole articles is logged and passed over, never retried into a
crash loop (issue 12, item 5). moto 5.2 emits such a record when it cancels a transaction, and when
an update creates an item (the key alone, before the whole item); DynamoDB emits neither."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.conftest import load_event
from tests.integration.conftest import Stack


def keys_only(event: dict[str, Any]) -> dict[str, Any]:
    """The record moto sends for a cancelled transaction: the key, no image."""
    event = copy.deepcopy(event)
    del event["Records"][0]["dynamodb"]["NewImage"]
    return event


def from_a_newer_schema(event: dict[str, Any]) -> dict[str, Any]:
    event = copy.deepcopy(event)
    event["Records"][0]["dynamodb"]["NewImage"]["status"] = {"S": "embargoed"}
    return event


@pytest.mark.parametrize("unusable", [keys_only, from_a_newer_schema])
def test_a_record_without_a_whole_article_is_skipped_with_a_log_line_and_a_metric(
    stack: Stack, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, unusable: Any
):
    event = unusable(load_event("follow_article_change"))

    response = stack.invoke("FollowArticleChangeFunction", event)

    assert response == {"batchItemFailures": []}
    [skipped] = [line for line in caplog.records if line.getMessage().startswith("stream record skipped")]
    assert skipped.levelname == "ERROR"
    assert skipped.source_key == "incoming/openvoicenews-uk-china-trade.txt"  # type: ignore[attr-defined]
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(line.get("UnusableRecordsSkipped") == [1.0] for line in metrics)
    assert stack.site_keys() == set()


def test_a_whole_record_beside_an_unusable_one_is_still_followed(stack: Stack):
    event = load_event("follow_article_change")
    broken = keys_only(event)["Records"][0]
    broken["dynamodb"]["SequenceNumber"] = "1"
    event["Records"].insert(0, broken)

    response = stack.invoke("FollowArticleChangeFunction", event)

    assert response == {"batchItemFailures": []}
