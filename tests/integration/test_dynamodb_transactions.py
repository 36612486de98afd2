"""moto's transactions with pressrun.emulator's backups of only the items they name: all or nothing, as
DynamoDB, stream records included."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType

from pressrun.emulator import dynamodb_reads, dynamodb_transactions

ACCOUNT, REGION = "123456789012", "us-east-1"


@pytest.fixture
def dynamodb(clean_environment: None) -> Iterator[Any]:
    os.environ.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local", AWS_DEFAULT_REGION=REGION)
    with mock_aws():
        dynamodb_transactions.install()
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName="Index",
            KeySchema=[
                {"AttributeName": "listing", "KeyType": "HASH"},
                {"AttributeName": "position", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "listing", "AttributeType": "S"},
                {"AttributeName": "position", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        client.create_table(
            TableName="Articles",
            KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for listing, position in [("a", "1"), ("a", "2"), ("b", "1"), ("c", "1")]:
            client.put_item(
                TableName="Index",
                Item={"listing": {"S": listing}, "position": {"S": position}, "count": {"N": "1"}},
            )
        client.put_item(TableName="Articles", Item={"key": {"S": "k"}, "tags": {"L": [{"S": "x"}]}})
        yield client


def contents(client: Any) -> dict[str, list[dict[str, Any]]]:
    return {name: sorted(client.scan(TableName=name)["Items"], key=str) for name in ("Index", "Articles")}


def stream_records() -> int:
    return len(dynamodb_backends[ACCOUNT][REGION].tables["Index"].stream_shard.items)


def writes(condition_holds: bool) -> list[dict[str, Any]]:
    return [
        {
            "Update": {
                "TableName": "Index",
                "Key": {"listing": {"S": "a"}, "position": {"S": "1"}},
                "UpdateExpression": "SET #c = #c + :one",
                "ExpressionAttributeNames": {"#c": "count"},
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
        {
            "Update": {
                "TableName": "Articles",
                "Key": {"key": {"S": "k"}},
                "UpdateExpression": "SET tags = list_append(tags, :y)",
                "ExpressionAttributeValues": {":y": {"L": [{"S": "y"}]}},
            }
        },
        {"Put": {"TableName": "Index", "Item": {"listing": {"S": "a"}, "position": {"S": "3"}}}},
        {"Delete": {"TableName": "Index", "Key": {"listing": {"S": "b"}, "position": {"S": "1"}}}},
        {
            "ConditionCheck": {
                "TableName": "Index",
                "Key": {"listing": {"S": "a"}, "position": {"S": "2"}},
                "ConditionExpression": "attribute_exists(listing)"
                if condition_holds
                else "attribute_not_exists(listing)",
            }
        },
    ]


def test_a_cancelled_transaction_leaves_items_and_stream_as_they_were(dynamodb: Any):
    before, records = contents(dynamodb), stream_records()
    items: Any = dynamodb_backends[ACCOUNT][REGION].tables["Index"].items
    untouched = next(item for item in items.values() for item in item.values() if item.hash_key.value == "c")

    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=writes(condition_holds=False))

    assert contents(dynamodb) == before
    assert stream_records() == records
    # Only the named items were copied: the others are the very objects they were.
    restored: Any = dynamodb_backends[ACCOUNT][REGION].tables["Index"].items
    assert untouched in [
        item for ranged in restored.values() for item in ranged.values() if item is untouched
    ]


def test_after_a_cancelled_transaction_each_partition_reads_as_it_was(dynamodb: Any):
    dynamodb_reads.install()

    def newest_first(listing: str) -> list[str]:
        items = dynamodb.query(
            TableName="Index",
            KeyConditionExpression="listing = :listing",
            ExpressionAttributeValues={":listing": {"S": listing}},
            ScanIndexForward=False,
        )["Items"]
        return [item["position"]["S"] for item in items]

    before = {listing: newest_first(listing) for listing in "abc"}
    partitions: Any = dynamodb_backends[ACCOUNT][REGION].tables["Index"].items
    untouched = partitions[DynamoType({"S": "c"})]

    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=writes(condition_holds=False))

    # "a" (an insert) and "b" (a delete) come back as they were; "c", which no item of the
    # transaction is in, is the very partition it was, not a copy.
    assert {listing: newest_first(listing) for listing in "abc"} == before
    restored: Any = dynamodb_backends[ACCOUNT][REGION].tables["Index"].items
    assert restored[DynamoType({"S": "c"})] is untouched


def test_a_transaction_that_succeeds_writes_every_item_and_its_stream_records(dynamodb: Any):
    records = stream_records()

    dynamodb.transact_write_items(TransactItems=writes(condition_holds=True))

    after = contents(dynamodb)
    assert after["Index"] == sorted(
        [
            {"listing": {"S": "a"}, "position": {"S": "1"}, "count": {"N": "2"}},
            {"listing": {"S": "a"}, "position": {"S": "2"}, "count": {"N": "1"}},
            {"listing": {"S": "a"}, "position": {"S": "3"}},
            {"listing": {"S": "c"}, "position": {"S": "1"}, "count": {"N": "1"}},
        ],
        key=str,
    )
    assert after["Articles"] == [{"key": {"S": "k"}, "tags": {"L": [{"S": "x"}, {"S": "y"}]}}]
    assert stream_records() == records + 3
