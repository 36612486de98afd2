"""The redirects' CloudFront KeyValueStore, through its own API (`cloudfront-keyvaluestore`).

moto serves no KeyValueStore data plane, so these tests use botocore's Stubber: each call is checked
against the real API's shapes (its parameters validated by botocore's service model) and answered as
the API documents. They pin what the adapter asks and how it takes the answers (a write at the
store's ETag, tried again on a conflict; deleting a missing key is done), not the store's behaviour.
The redirects table beside it runs on moto, as template.yaml declares it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from pressrun.aws.redirects import CloudFrontKeyValueStore, DynamoRedirects, StoreKeptChanging
from tests.contracts.conftest import REGION, _table, moto_account  # noqa: F401 - a fixture

ARN = "arn:aws:cloudfront::123456789012:key-value-store/61a2c4f8-3b1e-4a5d-9c0e-2f7b8d6e4a10"
OLD = "/2026/11/30/council-vote/"
NEW = "/2026/12/01/council-vote-delayed/"


def described(etag: str) -> dict[str, object]:
    return {
        "ItemCount": 1,
        "TotalSizeInBytes": 64,
        "KvsARN": ARN,
        "Created": datetime(2026, 1, 1, tzinfo=UTC),
        "ETag": etag,
    }


def written(etag: str) -> dict[str, object]:
    return {"ItemCount": 1, "TotalSizeInBytes": 64, "ETag": etag}


@pytest.fixture
def stubbed() -> Iterator[tuple[CloudFrontKeyValueStore, Stubber]]:
    client = boto3.client(
        "cloudfront-keyvaluestore",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        yield CloudFrontKeyValueStore(client, ARN, sleep=lambda _: None), stubber
        stubber.assert_no_pending_responses()


def test_a_put_names_the_stores_version_it_read(stubbed: tuple[CloudFrontKeyValueStore, Stubber]):
    store, stubber = stubbed
    stubber.add_response("describe_key_value_store", described("E1"), {"KvsARN": ARN})
    stubber.add_response("put_key", written("E2"), {"KvsARN": ARN, "Key": OLD, "Value": NEW, "IfMatch": "E1"})

    store.put(OLD, NEW)


def test_a_put_that_meets_another_writer_is_made_again_on_the_new_version(
    stubbed: tuple[CloudFrontKeyValueStore, Stubber],
):
    # GIVEN another writer changes the store between the read of its ETag and the put
    store, stubber = stubbed
    stubber.add_response("describe_key_value_store", described("E1"), {"KvsARN": ARN})
    stubber.add_client_error("put_key", service_error_code="ConflictException", http_status_code=409)
    stubber.add_response("describe_key_value_store", described("E2"), {"KvsARN": ARN})
    stubber.add_response("put_key", written("E3"), {"KvsARN": ARN, "Key": OLD, "Value": NEW, "IfMatch": "E2"})

    # WHEN the redirect is put, THEN it is put at the store's new version
    store.put(OLD, NEW)


def test_a_store_that_keeps_changing_hands_the_write_back_for_a_retry(
    stubbed: tuple[CloudFrontKeyValueStore, Stubber],
):
    store, stubber = stubbed
    store.attempts = 2
    for etag in ("E1", "E2"):
        stubber.add_response("describe_key_value_store", described(etag), {"KvsARN": ARN})
        stubber.add_client_error("put_key", service_error_code="ConflictException", http_status_code=409)

    with pytest.raises(StoreKeptChanging):
        store.put(OLD, NEW)


def test_deleting_a_key_the_store_does_not_hold_is_done(stubbed: tuple[CloudFrontKeyValueStore, Stubber]):
    store, stubber = stubbed
    stubber.add_response("describe_key_value_store", described("E1"), {"KvsARN": ARN})
    stubber.add_client_error(
        "delete_key", service_error_code="ResourceNotFoundException", http_status_code=404
    )

    store.delete(OLD)


def test_a_put_into_a_missing_store_fails_loudly(stubbed: tuple[CloudFrontKeyValueStore, Stubber]):
    store, stubber = stubbed
    stubber.add_response("describe_key_value_store", described("E1"), {"KvsARN": ARN})
    stubber.add_client_error("put_key", service_error_code="ResourceNotFoundException", http_status_code=404)

    with pytest.raises(ClientError):
        store.put(OLD, NEW)


@pytest.mark.usefixtures("moto_account")
def test_the_table_is_written_before_the_store_and_the_store_emptied_before_the_table(
    stubbed: tuple[CloudFrontKeyValueStore, Stubber],
):
    """A put copies to the store what the table says; a delete empties the store first. Either way, a
    retry after a failure in between finds the table still saying what the store must hold."""
    store, stubber = stubbed
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    redirects = DynamoRedirects(dynamodb, _table(dynamodb, "RedirectsTable"), store)
    # GIVEN the store fails the put
    stubber.add_response("describe_key_value_store", described("E1"), {"KvsARN": ARN})
    stubber.add_client_error("put_key", service_error_code="InternalServerException", http_status_code=500)

    with pytest.raises(ClientError):
        redirects.put(OLD, NEW)

    # THEN the table holds the redirect, and putting it again copies it to the store
    assert redirects.target(OLD) == NEW
    stubber.add_response("describe_key_value_store", described("E1"), {"KvsARN": ARN})
    stubber.add_response("put_key", written("E2"), {"KvsARN": ARN, "Key": OLD, "Value": NEW, "IfMatch": "E1"})
    redirects.put(OLD, NEW)

    # AND a delete the store fails leaves the table saying the redirect is there, for the retry
    stubber.add_response("describe_key_value_store", described("E2"), {"KvsARN": ARN})
    stubber.add_client_error("delete_key", service_error_code="InternalServerException", http_status_code=500)
    with pytest.raises(ClientError):
        redirects.delete(OLD)
    assert redirects.target(OLD) == NEW
    stubber.add_response("describe_key_value_store", described("E2"), {"KvsARN": ARN})
    stubber.add_response("delete_key", written("E3"), {"KvsARN": ARN, "Key": OLD, "IfMatch": "E2"})
    redirects.delete(OLD)
    assert redirects.target(OLD) is None
    assert redirects.sources_of(NEW) == []
