"""DynamoDB adapters: the articles table (newest version per source wins) and the category index."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from pressrun.index import IndexConflict, IndexUpdate, Key, ListingEntry, ListingSummary
from pressrun.model import ArticleRecord, Saved, SaveResult, Waiter
from pressrun.scheduling import Release

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# The partition that holds one summary per listing; '#' sorts apart from every real listing name.
_SUMMARY = "#summary"
_CLAIM = "SET source_key = :source, waiting = if_not_exists(waiting, :none)"
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
# One transaction holds at most 100 actions; an article in more listings than that is split.
_TRANSACTION_LIMIT = 100


def _unchanged_since(previous: ArticleRecord | None) -> tuple[str, dict[str, Any]]:
    """The condition that the table still holds `previous` for this source: the write is based on it."""
    if previous is None:
        return "attribute_not_exists(source_key)", {}
    return "sequencer = :previous", {":previous": {"S": previous.sequencer}}


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


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

    def slug_holder(self, slug: str) -> str | None:
        response = self._client.get_item(
            TableName=self._slugs,
            Key={"slug": {"S": slug}},
            ConsistentRead=True,
            ProjectionExpression="source_key",
        )
        holder = response.get("Item", {}).get("source_key", {}).get("S")
        return str(holder) if holder else None

    def reject(self, source_key: str, sequencer: str, previous: ArticleRecord | None) -> Saved:
        condition, values = _unchanged_since(previous)
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"source_key": {"S": source_key}},
                UpdateExpression=(
                    "SET sequencer = :sequencer, rejected_sequencer = :sequencer,"
                    " #status = if_not_exists(#status, :rejected)"
                ),
                ConditionExpression=condition,
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    **values,
                    ":sequencer": {"S": sequencer},
                    ":rejected": {"S": "rejected"},
                },
            )
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                return Saved.CONFLICT
            raise
        return Saved.SAVED

    def live(self) -> Iterator[ArticleRecord]:
        pages = self._client.get_paginator("scan").paginate(
            TableName=self._table,
            FilterExpression="#status = :published",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":published": {"S": "published"}},
        )
        for page in pages:
            for item in page["Items"]:
                yield ArticleRecord.model_validate(from_item(item))

    def by_keys(self, source_keys: Iterable[str]) -> list[ArticleRecord]:
        keys = [{"source_key": {"S": key}} for key in dict.fromkeys(source_keys)]
        items = _batch_get(self._client, self._table, keys)
        return [ArticleRecord.model_validate(from_item(item)) for item in items]

    def finished(self, source_key: str, sequencer: str) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"source_key": {"S": source_key}},
                UpdateExpression="REMOVE pending_waiters",
                ConditionExpression="sequencer = :sequencer",
                ExpressionAttributeValues={":sequencer": {"S": sequencer}},
            )
        except ClientError as error:
            # A newer version took the record's place; its waiters are its own business.
            if _code(error) != "ConditionalCheckFailedException":
                raise

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
            if _code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def wait_for_slug(self, slug: str, waiter: Waiter) -> bool:
        try:
            self._client.update_item(
                TableName=self._slugs,
                Key={"slug": {"S": slug}},
                UpdateExpression="SET waiting.#waiter = :waiter ADD waiters_version :one",
                ConditionExpression="attribute_exists(slug) AND source_key <> :source",
                ExpressionAttributeNames={"#waiter": waiter.source_key},
                ExpressionAttributeValues={
                    ":waiter": {"M": to_item(waiter.model_dump())},
                    ":source": {"S": waiter.source_key},
                    ":one": {"N": "1"},
                },
            )
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def save(self, record: ArticleRecord, previous: ArticleRecord | None) -> SaveResult:
        owner = {":source": {"S": record.source_key}}
        claim: list[dict[str, Any]] = []
        if record.slug:
            claim.append(
                {
                    "Update": {
                        "TableName": self._slugs,
                        "Key": {"slug": {"S": record.slug}},
                        # An update, not a put: the claim keeps whoever waits for the slug.
                        "UpdateExpression": _CLAIM,
                        "ConditionExpression": "attribute_not_exists(slug) OR source_key = :source",
                        "ExpressionAttributeValues": {**owner, ":none": {"M": {}}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
            )
        release: list[dict[str, Any]] = []
        if previous is not None and previous.slug and previous.slug != record.slug:
            delete, freed = self._release(previous.slug, owner)
            release.append(delete)
            record = record.model_copy(update={"pending_waiters": freed})
        condition, values = _unchanged_since(previous)
        put: dict[str, Any] = {
            "Put": {
                "TableName": self._table,
                "Item": to_item(record.model_dump(mode="json", exclude_defaults=True)),
                "ConditionExpression": condition,
                **({"ExpressionAttributeValues": values} if values else {}),
            }
        }
        try:
            actions = [put, *claim, *release]
            self._client.transact_write_items(TransactItems=actions)  # type: ignore[arg-type]
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                raise
            reasons: list[dict[str, Any]] = error.response.get("CancellationReasons", [])  # type: ignore[assignment]
            failed = [i for i, reason in enumerate(reasons) if reason.get("Code") == "ConditionalCheckFailed"]
            if failed == [1] and claim:
                holder = reasons[1].get("Item", {})
                return SaveResult(Saved.SLUG_TAKEN, holder.get("source_key", {}).get("S"))
            if failed:
                return SaveResult(Saved.CONFLICT)
            raise
        return SaveResult(Saved.SAVED, record=record)

    def _release(self, slug: str, owner: dict[str, Any]) -> tuple[dict[str, Any], tuple[Waiter, ...]]:
        """The delete that gives up a slug, and who waits for it. The delete holds only while the
        waiters are the ones read here, so none can slip in unseen and be left waiting."""
        item = self._client.get_item(TableName=self._slugs, Key={"slug": {"S": slug}}, ConsistentRead=True)
        claim = from_item(item.get("Item", {}))
        waiters = tuple(Waiter.model_validate(w) for w in claim.get("waiting", {}).values())
        condition = "source_key = :source AND "
        values = dict(owner)
        if "waiters_version" in claim:
            condition += "waiters_version = :seen"
            values[":seen"] = {"N": str(claim["waiters_version"])}
        else:
            condition += "attribute_not_exists(waiters_version)"
        delete = {
            "Delete": {
                "TableName": self._slugs,
                "Key": {"slug": {"S": slug}},
                "ConditionExpression": f"attribute_not_exists(slug) OR ({condition})",
                "ExpressionAttributeValues": values,
            }
        }
        return delete, waiters


class DynamoIndex:
    """Membership items keyed (listing, position); summaries in their own partition, `#summary`."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def entries(
        self, listing: str, limit: int | None = None, since: str | None = None, oldest_first: bool = False
    ) -> list[ListingEntry]:
        condition = "listing = :listing"
        values: dict[str, Any] = {":listing": {"S": listing}}
        query: dict[str, Any] = {"TableName": self._table, "ScanIndexForward": oldest_first}
        if since is not None:
            # POSITION is one of DynamoDB's reserved words: an expression must name it by an alias.
            condition += " AND #position >= :since"
            values[":since"] = {"S": since}
            query["ExpressionAttributeNames"] = {"#position": "position"}
        query |= {"KeyConditionExpression": condition, "ExpressionAttributeValues": values}
        entries: list[ListingEntry] = []
        while limit is None or len(entries) < limit:
            if limit is not None:
                query["Limit"] = limit - len(entries)
            response = self._client.query(**query)
            entries += [ListingEntry.model_validate(from_item(item)) for item in response["Items"]]
            if "LastEvaluatedKey" not in response:
                break
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return entries

    def positions(self, listing: str, since: str) -> list[str]:
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="listing = :listing AND #position >= :since",
            ProjectionExpression="#position",
            ExpressionAttributeNames={"#position": "position"},
            ExpressionAttributeValues={":listing": {"S": listing}, ":since": {"S": since}},
            ScanIndexForward=False,
        )
        return [item["position"]["S"] for page in pages for item in page["Items"]]

    def summaries(self, listings: Iterable[str] | None = None) -> dict[str, ListingSummary]:
        if listings is None:
            items = [
                item
                for page in self._client.get_paginator("query").paginate(
                    TableName=self._table,
                    KeyConditionExpression="listing = :summary",
                    ExpressionAttributeValues={":summary": {"S": _SUMMARY}},
                )
                for item in page["Items"]
            ]
        else:
            keys = [{"listing": {"S": _SUMMARY}, "position": {"S": name}} for name in sorted(set(listings))]
            items = self._batch_get(keys)
        summaries = [_summary_of(item) for item in items]
        return {summary.listing: summary for summary in summaries}

    def existing(self, keys: Iterable[Key]) -> set[Key]:
        wanted = [{"listing": {"S": listing}, "position": {"S": position}} for listing, position in set(keys)]
        return {(item["listing"]["S"], item["position"]["S"]) for item in self._batch_get(wanted)}

    def _batch_get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {
                self._table: {"Keys": keys[start : start + 100], "ConsistentRead": True}
            }
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                found += response["Responses"].get(self._table, [])
                request = response.get("UnprocessedKeys") or {}
        return found

    def apply(self, update: IndexUpdate) -> None:
        actions: list[dict[str, Any]] = []
        for entry in update.put:
            put: dict[str, Any] = {"TableName": self._table, "Item": to_item(entry.model_dump(mode="json"))}
            if entry.key in update.added:
                put["ConditionExpression"] = "attribute_not_exists(listing)"
            actions.append({"Put": put})
        actions += [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": {"listing": {"S": listing}, "position": {"S": position}},
                    "ConditionExpression": "attribute_exists(listing)",
                }
            }
            for listing, position in update.delete
        ]
        for summary in update.summaries:
            item = to_item(summary.model_dump(mode="json") | {"revision": summary.revision + 1})
            item |= {"listing": {"S": _SUMMARY}, "position": {"S": summary.listing}}
            condition = "attribute_not_exists(listing)"
            values: dict[str, Any] = {}
            if summary.revision:
                condition = "revision = :revision"
                values = {":revision": {"N": str(summary.revision)}}
            put = {"TableName": self._table, "Item": item, "ConditionExpression": condition}
            if values:
                put["ExpressionAttributeValues"] = values
            actions.append({"Put": put})
        # One transaction: no reader sees an article in two categories, and counts move with members.
        for start in range(0, len(actions), _TRANSACTION_LIMIT):
            try:
                self._client.transact_write_items(TransactItems=actions[start : start + _TRANSACTION_LIMIT])  # type: ignore[arg-type]
            except ClientError as error:
                if _code(error) == "TransactionCanceledException":
                    raise IndexConflict(str(error)) from error
                raise


def _batch_get(client: DynamoDBClient, table: str, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), 100):
        request: dict[str, Any] = {table: {"Keys": keys[start : start + 100], "ConsistentRead": True}}
        while request:
            response = client.batch_get_item(RequestItems=request)
            found += response["Responses"].get(table, [])
            request = response.get("UnprocessedKeys") or {}
    return found


def _summary_of(item: dict[str, Any]) -> ListingSummary:
    document = from_item(item)
    document["listing"] = document.pop("position")
    return ListingSummary.model_validate(document)
