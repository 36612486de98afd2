"""Items in moto's DynamoDB responses, written directly by pressrun.emulator.dynamodb_responses, are
what moto's own serializer writes, attribute type by attribute type."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from moto.core.serialize import BaseJSONSerializer

from pressrun.emulator import dynamodb_responses

REGION = "us-east-1"

names = st.text(alphabet="abcxyz_", min_size=1, max_size=6)
numbers = st.decimals(min_value=-(10**6), max_value=10**6, places=3, allow_nan=False, allow_infinity=False)
scalars = st.one_of(
    st.text(max_size=20).map(lambda text: {"S": text}),
    numbers.map(lambda number: {"N": str(number)}),
    st.binary(min_size=1, max_size=12).map(lambda data: {"B": data}),
    st.booleans().map(lambda flag: {"BOOL": flag}),
    st.just({"NULL": True}),
    st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=4, unique=True).map(
        lambda texts: {"SS": texts}
    ),
    st.lists(st.integers(-99, 99), min_size=1, max_size=4, unique=True).map(
        lambda ints: {"NS": [str(number) for number in ints]}
    ),
    st.lists(st.binary(min_size=1, max_size=4), min_size=1, max_size=3, unique=True).map(
        lambda blobs: {"BS": blobs}
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda members: {"L": members}),
        st.dictionaries(names, inner, max_size=3).map(lambda members: {"M": members}),
    ),
    max_leaves=8,
)


@pytest.fixture
def client(clean_environment: None) -> Iterator[Any]:
    os.environ.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local", AWS_DEFAULT_REGION=REGION)
    with mock_aws():
        dynamodb_responses.install()
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName="Things",
            KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}, {"AttributeName": "r", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "p", "AttributeType": "S"},
                {"AttributeName": "r", "AttributeType": "N"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        yield client


def _reads(client: Any) -> list[Any]:
    return [
        client.get_item(TableName="Things", Key={"p": {"S": "x"}, "r": {"N": "1"}}),
        client.query(
            TableName="Things", KeyConditionExpression="p = :p", ExpressionAttributeValues={":p": {"S": "x"}}
        ),
        client.scan(TableName="Things"),
        client.batch_get_item(RequestItems={"Things": {"Keys": [{"p": {"S": "x"}, "r": {"N": "2"}}]}}),
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.dictionaries(names, values, max_size=5), second=st.dictionaries(names, values, max_size=5))
def test_items_of_every_attribute_type_read_back_as_moto_writes_them(
    client: Any, monkeypatch: pytest.MonkeyPatch, first: dict[str, Any], second: dict[str, Any]
) -> None:
    for number, attributes in ((1, first), (2, second)):
        client.put_item(TableName="Things", Item={**attributes, "p": {"S": "x"}, "r": {"N": str(number)}})
    ours = _reads(client)
    with monkeypatch.context() as stock:
        stock.setattr(BaseJSONSerializer, "_serialize_type_structure", dynamodb_responses._moto["structure"])
        theirs = _reads(client)

    for mine, moto_s in zip(ours, theirs, strict=True):
        mine.pop("ResponseMetadata")
        moto_s.pop("ResponseMetadata")
        assert mine == moto_s
    assert ours[0]["Item"] == {**first, "p": {"S": "x"}, "r": {"N": "1"}}


def test_a_response_of_decimals_and_nested_maps_is_written_without_moto_s_member_lookups(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = {
        "p": {"S": "x"},
        "r": {"N": "1"},
        "entry": {"M": {"title": {"S": "T"}, "at": {"N": str(Decimal("1.5"))}}},
    }
    client.put_item(TableName="Things", Item=item)
    lookups: list[str] = []
    original = BaseJSONSerializer.get_value

    def counting_get_value(self: Any, value: Any, key: str, shape: Any) -> Any:
        lookups.append(key)
        return original(self, value, key, shape)

    monkeypatch.setattr(BaseJSONSerializer, "get_value", counting_get_value)

    response = client.get_item(TableName="Things", Key={"p": {"S": "x"}, "r": {"N": "1"}})

    assert response["Item"] == item
    # The GetItem output's own members (Item, ConsumedCapacity), none of the item's attribute members.
    assert not {"S", "N", "M"} & set(lookups)
