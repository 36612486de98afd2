"""The index on DynamoDB (moto): one transaction per update, no item every publish contends for."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from pressrun.aws.dynamodb import DynamoIndex
from pressrun.aws.events import changed_membership
from pressrun.index import FROM_THE_START, RENAMED_PARTITION, update_index
from pressrun.model import ArticleRecord, Category
from tests.integration.conftest import Stack


def story(key: str, hour: int, *categories: str) -> ArticleRecord:
    slug = key.removeprefix("incoming/").removesuffix(".md")
    return ArticleRecord(
        source_key=key,
        source_version="v1",
        sequencer="01",
        status="published",
        title=slug,
        slug=slug,
        path=f"/2025/06/25/{slug}/",
        published_at=datetime(2025, 6, 25, hour, tzinfo=ZoneInfo("Europe/London")),
        categories=tuple(Category.named(name) for name in categories),
        summary="S",
    )


def recorded_transactions(stack: Stack) -> tuple[DynamoIndex, list[list[dict[str, Any]]]]:
    client = stack.client("dynamodb")
    sent: list[list[dict[str, Any]]] = []
    client.meta.events.register(
        "before-parameter-build.dynamodb.TransactWriteItems",
        lambda params, **_: sent.append(params["TransactItems"]),
    )
    return DynamoIndex(client, stack.local.physical("IndexTable")), sent


def written_keys(actions: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    keyed = {}
    for action in actions:
        [body] = action.values()
        key = body.get("Key") or body["Item"]
        keyed[(key["listing"]["S"], key["position"]["S"])] = body
    return keyed


def test_a_story_in_ten_sections_is_indexed_in_one_transaction(stack: Stack):
    index, sent = recorded_transactions(stack)

    update_index(None, story("incoming/a.md", 9, *(f"Section {n}" for n in range(10))), index)

    assert len(sent) == 1
    assert len(index.entries("site")) == 1


def test_an_update_too_big_for_one_transaction_writes_nothing(stack: Stack):
    index, sent = recorded_transactions(stack)

    with pytest.raises(ValueError, match="one transaction"):
        update_index(None, story("incoming/a.md", 9, *(f"Section {n}" for n in range(60))), index)

    assert sent == []
    assert index.entries("site") == []


def test_stories_in_different_sections_meet_on_no_item_guarded_by_a_condition(stack: Stack):
    # GIVEN two stories in different sections, indexed as two concurrent publishes would be
    index, sent = recorded_transactions(stack)
    update_index(None, story("incoming/a.md", 9, "Economics"), index)
    update_index(None, story("incoming/b.md", 10, "Sport"), index)
    # THEN the only item both transactions may write is a shard of the site's count, written
    # without a condition (an ADD), so neither can fail because of the other
    first, second = (written_keys(actions) for actions in sent)
    shared = set(first) & set(second)
    assert all(listing == "#summary" and position.startswith("site#") for listing, position in shared)
    assert all("ConditionExpression" not in first[key] for key in shared)
    assert index.summaries()["site"].members == 2


def test_a_renamed_section_leaves_a_record_that_re_renders_all_its_pages(stack: Stack):
    index, _ = recorded_transactions(stack)
    update_index(None, story("incoming/a.md", 9, "Economie"), index)

    update_index(None, story("incoming/b.md", 10, "Économie"), index)

    marker = stack.client("dynamodb").get_item(
        TableName=stack.local.physical("IndexTable"),
        Key={"listing": {"S": RENAMED_PARTITION}, "position": {"S": "category/economie"}},
        ConsistentRead=True,
    )["Item"]
    assert marker["name"]["S"] == "Économie"
    keys_only = DynamoDBRecord(
        {
            "eventName": "INSERT",
            "dynamodb": {
                "Keys": {"listing": {"S": RENAMED_PARTITION}, "position": {"S": "category/economie"}}
            },
        }
    )
    assert changed_membership(keys_only) == ("category/economie", FROM_THE_START)


def test_a_change_handled_before_the_change_it_follows_keeps_the_counts_exact(stack: Stack):
    """A stream batch retried from its first failed record hands one article's later change to the
    index before its earlier one (found by tests/simulation): counts must still match members."""
    index, _ = recorded_transactions(stack)
    published = story("incoming/a.md", 9, "World")
    moved = story("incoming/a.md", 9, "World", "Sport")

    update_index(published, moved, index)
    update_index(None, published, index)
    update_index(published, moved, index)

    summaries = index.summaries()
    for listing in ("site", "category/world", "category/sport"):
        assert summaries[listing].members == len(index.entries(listing)) == 1
