"""moto's queries and scans given only the items they reach (pressrun.emulator.dynamodb_reads) answer
exactly what unpatched moto answers, page by page."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from moto.dynamodb.models.table import Table

from pressrun.emulator import dynamodb_reads

REGION = "us-east-1"
KEY_CONDITIONS = [
    ("", []),
    (" AND #r = :a", ["a"]),
    (" AND #r < :a", ["a"]),
    (" AND #r <= :a", ["a"]),
    (" AND #r > :a", ["a"]),
    (" AND #r >= :a", ["a"]),
    (" AND #r BETWEEN :a AND :b", ["a", "b"]),
    (" AND begins_with(#r, :a)", ["a"]),
]


@pytest.fixture
def client(clean_environment: None) -> Iterator[Any]:
    os.environ.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local", AWS_DEFAULT_REGION=REGION)
    with mock_aws():
        dynamodb_reads.install()
        yield boto3.client("dynamodb", region_name=REGION)


def _stock_moto(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Swap moto's own query, scan and sort back in; the returned function swaps pressrun's back."""
    readers = ("query", "scan", "all_items")
    patched = {name: getattr(Table, name) for name in readers}

    def stock() -> None:
        for name in readers:
            monkeypatch.setattr(Table, name, dynamodb_reads._moto[name])

    def ours() -> None:
        for name, method in patched.items():
            monkeypatch.setattr(Table, name, method)

    stock()
    return ours


def _all_pages(read: Callable[..., dict[str, Any]], request: dict[str, Any]) -> list[dict[str, Any]]:
    pages = []
    while True:
        response = read(**request)
        pages.append(
            {key: response.get(key) for key in ("Items", "Count", "ScannedCount", "LastEvaluatedKey")}
        )
        if "LastEvaluatedKey" not in response or len(pages) > 50:
            return pages
        request = {**request, "ExclusiveStartKey": response["LastEvaluatedKey"]}


def _table(client: Any, name: str, range_type: str) -> None:
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}, {"AttributeName": "r", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "p", "AttributeType": "S"},
            {"AttributeName": "r", "AttributeType": range_type},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


range_keys = st.lists(st.text(alphabet="abc", min_size=1, max_size=3), max_size=25, unique=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    keys=range_keys,
    others=range_keys,
    condition=st.sampled_from(KEY_CONDITIONS),
    bounds=st.lists(st.text(alphabet="abc", min_size=1, max_size=2), min_size=2, max_size=2).map(sorted),
    forward=st.booleans(),
    limit=st.none() | st.integers(min_value=1, max_value=6),
    with_filter=st.booleans(),
)
def test_a_table_query_pages_as_moto_pages_it(
    client: Any,
    monkeypatch: pytest.MonkeyPatch,
    keys: list[str],
    others: list[str],
    condition: tuple[str, list[str]],
    bounds: list[str],
    forward: bool,
    limit: int | None,
    with_filter: bool,
) -> None:
    name = f"t{len(client.list_tables()['TableNames'])}"
    _table(client, name, "S")
    for partition, ranges in (("listing", keys), ("other", others)):
        for index, key in enumerate(ranges):
            client.put_item(
                TableName=name, Item={"p": {"S": partition}, "r": {"S": key}, "n": {"N": str(index)}}
            )
    expression, placeholders = condition
    request: dict[str, Any] = {
        "TableName": name,
        "KeyConditionExpression": "p = :p" + expression,
        "ExpressionAttributeNames": {"#r": "r"} if placeholders else None,
        "ExpressionAttributeValues": {
            ":p": {"S": "listing"},
            **{
                f":{placeholder}": {"S": bound}
                for placeholder, bound in zip(placeholders, bounds, strict=False)
            },
        },
        "ScanIndexForward": forward,
        "Limit": limit,
    }
    if with_filter:
        request["FilterExpression"] = "n >= :two"
        request["ExpressionAttributeValues"][":two"] = {"N": "2"}
    request = {key: value for key, value in request.items() if value is not None}

    ours = _all_pages(client.query, request)
    restore = _stock_moto(monkeypatch)
    stock = _all_pages(client.query, request)
    restore()

    assert ours == stock


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    numbers=st.lists(st.integers(min_value=-50, max_value=50), max_size=20, unique=True),
    limit=st.none() | st.integers(min_value=1, max_value=4),
    low=st.integers(min_value=-60, max_value=60),
)
def test_a_number_keyed_query_pages_as_moto_pages_it(
    client: Any, monkeypatch: pytest.MonkeyPatch, numbers: list[int], limit: int | None, low: int
) -> None:
    name = f"n{len(client.list_tables()['TableNames'])}"
    _table(client, name, "N")
    for number in numbers:
        client.put_item(TableName=name, Item={"p": {"S": "x"}, "r": {"N": str(number)}})
    request: dict[str, Any] = {
        "TableName": name,
        "KeyConditionExpression": "p = :p AND r >= :low",
        "ExpressionAttributeValues": {":p": {"S": "x"}, ":low": {"N": str(low)}},
        "ScanIndexForward": False,
    }
    if limit is not None:
        request["Limit"] = limit

    ours = _all_pages(client.query, request)
    restore = _stock_moto(monkeypatch)
    stock = _all_pages(client.query, request)
    restore()

    assert ours == stock
    assert [int(item["r"]["N"]) for page in ours for item in page["Items"]] == sorted(
        (number for number in numbers if number >= low), reverse=True
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    items=st.lists(
        st.tuples(st.sampled_from("abc"), st.text(alphabet="xyz", min_size=1, max_size=3)),
        max_size=30,
        unique=True,
    ),
    limit=st.integers(min_value=1, max_value=7),
)
def test_a_paged_scan_pages_as_moto_pages_it(
    client: Any, monkeypatch: pytest.MonkeyPatch, items: list[tuple[str, str]], limit: int
) -> None:
    name = f"s{len(client.list_tables()['TableNames'])}"
    _table(client, name, "S")
    for partition, key in items:
        client.put_item(TableName=name, Item={"p": {"S": partition}, "r": {"S": key}})

    ours = _all_pages(client.scan, {"TableName": name, "Limit": limit})
    restore = _stock_moto(monkeypatch)
    stock = _all_pages(client.scan, {"TableName": name, "Limit": limit})
    restore()

    assert ours == stock
    assert sum(page["Count"] for page in ours) == len(items)


operations = st.lists(
    st.tuples(st.sampled_from(["put", "delete", "query"]), st.text(alphabet="abcd", min_size=1, max_size=2)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations, limit=st.integers(min_value=1, max_value=4))
def test_queries_between_writes_see_every_write_as_moto_sees_it(
    client: Any, monkeypatch: pytest.MonkeyPatch, steps: list[tuple[str, str]], limit: int
) -> None:
    name = f"w{len(client.list_tables()['TableNames'])}"
    _table(client, name, "S")
    request = {
        "TableName": name,
        "KeyConditionExpression": "p = :p",
        "ExpressionAttributeValues": {":p": {"S": "listing"}},
        "ScanIndexForward": False,
        "Limit": limit,
    }
    for operation, key in steps:
        item_key = {"p": {"S": "listing"}, "r": {"S": key}}
        if operation == "put":
            client.put_item(TableName=name, Item={**item_key, "v": {"S": key * 2}})
        elif operation == "delete":
            client.delete_item(TableName=name, Key=item_key)
        else:
            ours = _all_pages(client.query, request)
            restore = _stock_moto(monkeypatch)
            stock = _all_pages(client.query, request)
            restore()
            assert ours == stock


def test_the_newest_entries_of_a_long_listing_come_without_sorting_the_table(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _table(client, "Index", "S")
    for number in range(300):
        client.put_item(TableName="Index", Item={"p": {"S": "site"}, "r": {"S": f"{number:05d}"}})
    compared: list[int] = []
    original_lt = dynamodb_reads.DynamoType.__lt__

    def counting_lt(self: Any, other: Any) -> bool:
        compared.append(1)
        return original_lt(self, other)

    monkeypatch.setattr(dynamodb_reads.DynamoType, "__lt__", counting_lt)

    response = client.query(
        TableName="Index",
        KeyConditionExpression="p = :p",
        ExpressionAttributeValues={":p": {"S": "site"}},
        ScanIndexForward=False,
        Limit=20,
    )

    assert [item["r"]["S"] for item in response["Items"]] == [
        f"{number:05d}" for number in range(299, 279, -1)
    ]
    assert response["LastEvaluatedKey"] == {"p": {"S": "site"}, "r": {"S": "00280"}}
    # moto sorts the 20 it is given (plus the one after them), not the 300 of the partition.
    assert 0 < len(compared) < 60
