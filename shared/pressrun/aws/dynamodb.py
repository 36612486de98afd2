"""DynamoDB adapters: the articles table (newest version per source wins) and the category index."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from pressrun.index import IndexUpdate, ListingEntry
from pressrun.ingest import Saved, SaveResult
from pressrun.model import ArticleRecord
from pressrun.scheduling import Release

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
# One transaction holds at most 100 actions; an article in more listings than that is split.
_TRANSACTION_LIMIT = 100


def to_item(document: dict[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in document.items() if value is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


class DynamoArticles:
    """Articles keyed by source, and slug claims in their own table so that no two sources share one."""

    def __init__(self, client: DynamoDBClient, table: str, slugs_table: str) -> None:
        self._client = client
        self._table = table
        self._slugs = slugs_table

    def current(self, source_key: str) -> ArticleRecord | None:
        response = self._client.get_item(
            TableName=self._table, Key={"source_key": {"S": source_key}}, ConsistentRead=True
        )
        item = response.get("Item")
        return ArticleRecord.model_validate(from_item(item)) if item else None

    def reject(self, source_key: str, sequencer: str) -> bool:
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"source_key": {"S": source_key}},
                UpdateExpression="SET sequencer = :sequencer, #status = if_not_exists(#status, :rejected)",
                ConditionExpression="attribute_not_exists(source_key) OR sequencer < :sequencer",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":sequencer": {"S": sequencer}, ":rejected": {"S": "rejected"}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def go_live(self, release: Release) -> bool:
        version_matches = (
            "source_version = :version" if release.source_version else "attribute_not_exists(source_version)"
        )
        values = {":scheduled": {"S": "scheduled"}, ":published": {"S": "published"}}
        if release.source_version:
            values[":version"] = {"S": release.source_version}
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"source_key": {"S": release.source_key}},
                UpdateExpression="SET #status = :published",
                ConditionExpression=f"#status = :scheduled AND {version_matches}",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def save(self, record: ArticleRecord, previous: ArticleRecord | None) -> SaveResult:
        owner = {":source": {"S": record.source_key}}
        actions: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(record.model_dump(mode="json")),
                    "ConditionExpression": "attribute_not_exists(source_key) OR sequencer < :sequencer",
                    "ExpressionAttributeValues": {":sequencer": {"S": record.sequencer}},
                }
            }
        ]
        if record.slug:
            actions.append(
                {
                    "Put": {
                        "TableName": self._slugs,
                        "Item": {"slug": {"S": record.slug}, "source_key": {"S": record.source_key}},
                        "ConditionExpression": "attribute_not_exists(slug) OR source_key = :source",
                        "ExpressionAttributeValues": owner,
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
            )
        if previous is not None and previous.slug and previous.slug != record.slug:
            actions.append(
                {
                    "Delete": {
                        "TableName": self._slugs,
                        "Key": {"slug": {"S": previous.slug}},
                        "ConditionExpression": "attribute_not_exists(slug) OR source_key = :source",
                        "ExpressionAttributeValues": owner,
                    }
                }
            )
        try:
            self._client.transact_write_items(TransactItems=actions)  # type: ignore[arg-type]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons: list[dict[str, Any]] = error.response.get("CancellationReasons", [])  # type: ignore[assignment]
            failed = [i for i, reason in enumerate(reasons) if reason.get("Code") == "ConditionalCheckFailed"]
            if failed == [1] and record.slug:
                claim = reasons[1].get("Item", {})
                return SaveResult(Saved.SLUG_TAKEN, claim.get("source_key", {}).get("S"))
            if 0 in failed:
                return SaveResult(Saved.STALE)
            raise
        return SaveResult(Saved.SAVED)


class DynamoIndex:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def apply(self, update: IndexUpdate) -> None:
        actions: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table, "Item": to_item(entry.model_dump(mode="json"))}}
            for entry in update.put
        ]
        actions += [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": {"listing": {"S": listing}, "position": {"S": position}},
                }
            }
            for listing, position in update.delete
        ]
        # All of an article's moves in one transaction: no reader sees it in two categories at once.
        for start in range(0, len(actions), _TRANSACTION_LIMIT):
            self._client.transact_write_items(TransactItems=actions[start : start + _TRANSACTION_LIMIT])  # type: ignore[arg-type]

    def entries(self, listing: str, limit: int | None = None) -> list[ListingEntry]:
        entries: list[ListingEntry] = []
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "listing = :listing",
            "ExpressionAttributeValues": {":listing": {"S": listing}},
            "ScanIndexForward": False,
        }
        while True:
            if limit is not None:
                query["Limit"] = limit - len(entries)
            response = self._client.query(**query)
            entries += [ListingEntry.model_validate(from_item(item)) for item in response["Items"]]
            if "LastEvaluatedKey" not in response or (limit is not None and len(entries) >= limit):
                return entries
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
