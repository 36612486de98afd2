"""DynamoDB adapters: the articles table (newest version per source wins) and the index."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from pressrun.images import ImageRecord
from pressrun.index import (
    SITE_LISTING,
    IndexConflict,
    IndexUpdate,
    Key,
    ListingEntry,
    ListingSummary,
    category_listing,
    category_of,
    listings_sitemap_capacity,
)
from pressrun.model import ArticleRecord, AuthorProfile, Saved, SaveResult, Waiter
from pressrun.scheduling import Release
from pressrun.sweep_state import SweepState

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# The partition that holds one summary per listing; '#' sorts apart from every real listing name.
# Its sort keys are the listings' names, so the site's shards ("site#00"…) and the sections
# ("category/…") lie together between the authors ("author/…") and the tags ("tag/…"): the home
# page reads them with one query of that range, and a walk of every listing reads the partition.
SUMMARY_PARTITION = "#summary"
_SECTIONS_AND_SITE = (category_listing(""), f"{SITE_LISTING}#~")
# Items the site listing's count is spread over. Any number well above the publishing concurrency
# of a newsroom keeps two concurrent publishes from meeting on one item most of the time.
SITE_COUNT_SHARDS = 16
# The partition of the listings sitemap's files, one item each (sorted by number, zero-padded): the
# places it gave out, and the listings it names (`named`: NAMES is one of DynamoDB's reserved words).
LISTINGS_SITEMAP_PARTITION = "#listings-sitemap"
# Between the section names of the site's `header` (a name never holds a line break).
_HEADER_SEPARATOR = "\n"
# Placing a listing races only with other listings placed at once; a few tries settle it.
_PLACING_ATTEMPTS = 5
_CLAIM = "SET source_key = :source, waiting = if_not_exists(waiting, :none)"
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
# The articles table's index on the change time (template.yaml), and the index table's on the source.
CHANGED_INDEX = "ChangedIndex"
BY_SOURCE_INDEX = "BySource"
# One transaction holds at most 100 actions.
_TRANSACTION_LIMIT = 100


def _unchanged_since(previous: ArticleRecord | None) -> tuple[str, dict[str, Any]]:
    """The condition that the table still holds `previous` for this source: the write is based on it.
    A waiter accepted under the sequencer its refusal was recorded with differs from the refusal in
    `rejected_sequencer` only, so both are compared."""
    if previous is None:
        return "attribute_not_exists(source_key)", {}
    values = {":previous": {"S": previous.sequencer}}
    if not previous.rejected_sequencer:
        # An empty string is left out of the item (`exclude_defaults`), or was never set.
        return "sequencer = :previous AND attribute_not_exists(rejected_sequencer)", values
    values[":refused"] = {"S": previous.rejected_sequencer}
    return "sequencer = :previous AND rejected_sequencer = :refused", values


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def to_item(document: dict[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in document.items() if value is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def article_item(record: ArticleRecord) -> dict[str, Any]:
    """An article's item: its record, and the day it changed (the partition of `ChangedIndex`)."""
    item = to_item(record.model_dump(mode="json", exclude_defaults=True))
    if record.changed_at is not None:
        # The text the updates write (isoformat), so that the index orders every record alike.
        moment = record.changed_at.astimezone(UTC)
        item["changed_at"] = {"S": moment.isoformat()}
        item["changed_day"] = {"S": f"{moment:%Y-%m-%d}"}
    return item


def image_item(record: ImageRecord) -> dict[str, Any]:
    """An image's item, as `DynamoImages.save` writes it (its revision included)."""
    return to_item(record.model_dump(mode="json", exclude_defaults=True) | {"revision": record.revision})


def slug_item(slug: str, holder: str, waiters: Sequence[Waiter]) -> dict[str, Any]:
    """A slug's claim and who waits for it, as `save` and `wait_for_slug` leave it."""
    item = {
        "slug": {"S": slug},
        "source_key": {"S": holder},
        "waiting": {"M": {waiter.source_key: {"M": to_item(waiter.model_dump())} for waiter in waiters}},
    }
    if waiters:
        item["waiters_version"] = {"N": str(len(waiters))}
    return item


def slug_claim(item: dict[str, Any]) -> tuple[str, str, list[Waiter]]:
    """(slug, holder, waiters) of a slug's item."""
    claim = from_item(item)
    waiters = [Waiter.model_validate(waiter) for waiter in claim.get("waiting", {}).values()]
    return str(claim["slug"]), str(claim["source_key"]), waiters


class DynamoArticles:
    """Articles keyed by source, and slug claims in their own table so that no two sources share one.

    Every write stamps `changed_at` (and `changed_day`, the partition of the table's `ChangedIndex`),
    so that the reconciliation sweep reads only what changed since it last ran."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        slugs_table: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._table = table
        self._slugs = slugs_table
        self._clock = clock

    def _stamp(self) -> dict[str, Any]:
        moment = self._clock().astimezone(UTC)
        return {":changed_at": {"S": moment.isoformat()}, ":changed_day": {"S": f"{moment:%Y-%m-%d}"}}

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

    def live(self) -> Iterator[ArticleRecord]:
        # Consistent: a rebuild queued because the sections in use changed must not miss a story
        # recorded just before, whose page may have been rendered with the old ones.
        pages = self._client.get_paginator("scan").paginate(
            TableName=self._table,
            FilterExpression="#status = :published",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":published": {"S": "published"}},
            ConsistentRead=True,
        )
        for page in pages:
            for item in page["Items"]:
                yield ArticleRecord.model_validate(from_item(item))

    def by_keys(self, source_keys: Iterable[str]) -> list[ArticleRecord]:
        keys = [{"source_key": {"S": key}} for key in dict.fromkeys(source_keys)]
        items = _batch_get(self._client, self._table, keys)
        return [ArticleRecord.model_validate(from_item(item)) for item in items]

    def changed_between(self, start: datetime, end: datetime) -> list[ArticleRecord]:
        keys: list[str] = []
        day = start.astimezone(UTC).date()
        while day <= end.astimezone(UTC).date():
            pages = self._client.get_paginator("query").paginate(
                TableName=self._table,
                IndexName=CHANGED_INDEX,
                KeyConditionExpression="changed_day = :day AND changed_at BETWEEN :start AND :end",
                ExpressionAttributeValues={
                    ":day": {"S": f"{day:%Y-%m-%d}"},
                    ":start": {"S": start.astimezone(UTC).isoformat()},
                    ":end": {"S": end.astimezone(UTC).isoformat()},
                },
            )
            keys += [item["source_key"]["S"] for page in pages for item in page["Items"]]
            day += timedelta(days=1)
        # The index lags its table a moment; what it names is read again from the table itself.
        return self.by_keys(keys)

    def walk(self, after: str, limit: int) -> tuple[list[ArticleRecord], str]:
        if limit <= 0:
            return [], after
        scan: dict[str, Any] = {"TableName": self._table, "Limit": limit, "ConsistentRead": True}
        if after:
            scan["ExclusiveStartKey"] = {"source_key": {"S": after}}
        response = self._client.scan(**scan)
        records = [ArticleRecord.model_validate(from_item(item)) for item in response["Items"]]
        following = response.get("LastEvaluatedKey", {}).get("source_key", {}).get("S", "")
        return records, str(following)

    def finished(self, source_key: str, sequencer: str) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"source_key": {"S": source_key}},
                UpdateExpression=(
                    "REMOVE pending_waiters SET changed_at = :changed_at, changed_day = :changed_day"
                ),
                ConditionExpression="sequencer = :sequencer",
                ExpressionAttributeValues={":sequencer": {"S": sequencer}, **self._stamp()},
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
                UpdateExpression=(
                    "SET #status = :published, changed_at = :changed_at, changed_day = :changed_day"
                ),
                ConditionExpression=f"#status = :scheduled AND {version_matches}",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={**values, **self._stamp()},
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
        stamp = self._stamp()
        record = record.model_copy(update={"changed_at": datetime.fromisoformat(stamp[":changed_at"]["S"])})
        item = article_item(record)
        put: dict[str, Any] = {
            "Put": {
                "TableName": self._table,
                "Item": item,
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
        self,
        listing: str,
        limit: int | None = None,
        since: str | None = None,
        oldest_first: bool = False,
        before: str | None = None,
    ) -> list[ListingEntry]:
        condition = "listing = :listing"
        values: dict[str, Any] = {":listing": {"S": listing}}
        # Consistent: a listing is rendered straight after the write that changed it, and a stale
        # answer would render the old bytes, write nothing, and never be corrected.
        query: dict[str, Any] = {
            "TableName": self._table,
            "ScanIndexForward": oldest_first,
            "ConsistentRead": True,
        }
        # POSITION is one of DynamoDB's reserved words: an expression must name it by an alias.
        if since is not None and before is not None:
            raise ValueError("one bound at a time: a key condition holds one comparison of the sort key")
        if since is not None:
            condition += " AND #position >= :since"
            values[":since"] = {"S": since}
            query["ExpressionAttributeNames"] = {"#position": "position"}
        if before is not None:
            condition += " AND #position < :before"
            values[":before"] = {"S": before}
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
            ConsistentRead=True,
        )
        return [item["position"]["S"] for page in pages for item in page["Items"]]

    def summaries(self, listings: Iterable[str] | None = None) -> dict[str, ListingSummary]:
        if listings is None:
            pages = self._client.get_paginator("query").paginate(
                TableName=self._table,
                KeyConditionExpression="listing = :summary AND #position BETWEEN :first AND :last",
                ExpressionAttributeNames={"#position": "position"},
                ExpressionAttributeValues={
                    ":summary": {"S": SUMMARY_PARTITION},
                    ":first": {"S": _SECTIONS_AND_SITE[0]},
                    ":last": {"S": _SECTIONS_AND_SITE[1]},
                },
                ConsistentRead=True,
            )
            items = [item for page in pages for item in page["Items"]]
        else:
            names = sorted(set(listings))
            positions = [position for name in names for position in _summary_positions(name)]
            items = self._batch_get(
                [{"listing": {"S": SUMMARY_PARTITION}, "position": {"S": p}} for p in positions]
            )
        return _summaries_of(items)

    def listings_after(self, after: str, limit: int) -> list[str]:
        # The site's shards are one listing: a walk that stopped at it goes on after the last shard.
        start = f"{SITE_LISTING}#~" if after == SITE_LISTING else after
        names: list[str] = []
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "listing = :summary",
            # Listings with stories: an emptied one keeps its summary, at zero.
            "FilterExpression": "members > :none",
            "ProjectionExpression": "#position",
            "ExpressionAttributeNames": {"#position": "position"},
            "ExpressionAttributeValues": {":summary": {"S": SUMMARY_PARTITION}, ":none": {"N": "0"}},
            "ConsistentRead": True,
        }
        if start:  # a key condition cannot compare with an empty string
            query["KeyConditionExpression"] += " AND #position > :after"
            query["ExpressionAttributeValues"][":after"] = {"S": start}
        while len(names) < limit:
            query["Limit"] = limit - len(names) + SITE_COUNT_SHARDS
            response = self._client.query(**query)
            for item in response["Items"]:
                name = item["position"]["S"].partition("#")[0]
                if name not in names:
                    names.append(name)
            if "LastEvaluatedKey" not in response:
                break
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return names[:limit]

    def name_pages(self, listing: str, heading: str, revision: int) -> bool:
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"listing": {"S": SUMMARY_PARTITION}, "position": {"S": listing}},
                UpdateExpression="SET pages_heading = :heading",
                ConditionExpression="revision = :revision",
                ExpressionAttributeValues={":heading": {"S": heading}, ":revision": {"N": str(revision)}},
            )
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def set_profile(self, listing: str, profile: AuthorProfile | None, sequencer: str) -> bool:
        values: dict[str, Any] = {":sequencer": {"S": sequencer}}
        if profile is None:
            update = "SET profile_sequencer = :sequencer REMOVE profile"
        else:
            update = "SET profile_sequencer = :sequencer, profile = :profile"
            values[":profile"] = {"M": to_item(profile.model_dump(mode="json", exclude_defaults=True))}
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"listing": {"S": SUMMARY_PARTITION}, "position": {"S": listing}},
                UpdateExpression=update,
                ConditionExpression=(
                    "attribute_not_exists(profile_sequencer) OR profile_sequencer <= :sequencer"
                ),
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def note_header(self, was: tuple[str, ...], now: tuple[str, ...]) -> bool:
        # On the first of the site's count shards, as one string: a condition compares it whole.
        values: dict[str, Any] = {":now": {"S": _HEADER_SEPARATOR.join(now)}}
        if was:
            condition = "header = :was"
            values[":was"] = {"S": _HEADER_SEPARATOR.join(was)}
        else:
            condition = "attribute_not_exists(header) OR header = :was"
            values[":was"] = {"S": ""}
        try:
            self._client.update_item(
                TableName=self._table,
                Key={
                    "listing": {"S": SUMMARY_PARTITION},
                    "position": {"S": _summary_positions(SITE_LISTING)[0]},
                },
                UpdateExpression="SET header = :now",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def place_in_listings_sitemap(self, listing: str, file_size: int) -> int:
        summary_key = {"listing": {"S": SUMMARY_PARTITION}, "position": {"S": listing}}
        for _ in range(_PLACING_ATTEMPTS):
            stored = self._client.get_item(TableName=self._table, Key=summary_key, ConsistentRead=True)
            summary = from_item(stored.get("Item", {}))
            listed = int(summary.get("members", 0)) > 0
            number = int(summary.get("sitemap_file", 0))
            if number and bool(summary.get("in_sitemap", False)) == listed:
                return number
            if not number and not listed:
                return 0
            # The place is taken (or given up) only while the count is what was read: a story added
            # or removed since has its own render, which settles it again.
            counted = "members > :none" if listed else "(attribute_not_exists(members) OR members <= :none)"
            names = {":listing": {"SS": [listing]}}
            if number:
                actions = [
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": summary_key,
                            "UpdateExpression": "SET in_sitemap = :listed",
                            "ConditionExpression": f"sitemap_file = :number AND {counted}",
                            "ExpressionAttributeValues": {
                                ":listed": {"BOOL": listed},
                                ":number": {"N": str(number)},
                                ":none": {"N": "0"},
                            },
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _sitemap_file_key(number),
                            "UpdateExpression": f"{'ADD' if listed else 'DELETE'} named :listing",
                            "ExpressionAttributeValues": names,
                        }
                    },
                ]
            else:
                number, places = self._newest_sitemap_file()
                if places >= listings_sitemap_capacity(number, file_size):
                    number, places = number + 1, 0
                file_unchanged = "attribute_not_exists(places)" if places == 0 else "places = :places"
                file_values: dict[str, Any] = {**names, ":taken": {"N": str(places + 1)}}
                if places:
                    file_values[":places"] = {"N": str(places)}
                actions = [
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _sitemap_file_key(number),
                            "UpdateExpression": "SET places = :taken ADD named :listing",
                            "ConditionExpression": file_unchanged,
                            "ExpressionAttributeValues": file_values,
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": summary_key,
                            "UpdateExpression": "SET sitemap_file = :number, in_sitemap = :listed",
                            "ConditionExpression": f"attribute_not_exists(sitemap_file) AND {counted}",
                            "ExpressionAttributeValues": {
                                ":listed": {"BOOL": True},
                                ":number": {"N": str(number)},
                                ":none": {"N": "0"},
                            },
                        }
                    },
                ]
            try:
                self._client.transact_write_items(TransactItems=actions)  # type: ignore[arg-type]
            except ClientError as error:
                if _code(error) == "TransactionCanceledException":
                    continue
                raise
            return number
        raise IndexConflict(f"the listings sitemap kept changing while {listing} was placed in it")

    def _newest_sitemap_file(self) -> tuple[int, int]:
        """The newest file of the listings sitemap and the places it gave out; (1, 0) before any."""
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="listing = :files",
            ExpressionAttributeValues={":files": {"S": LISTINGS_SITEMAP_PARTITION}},
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )
        if not response["Items"]:
            return 1, 0
        newest = from_item(response["Items"][0])
        return int(newest["position"]), int(newest.get("places", 0))

    def listings_sitemap_file(self, number: int) -> tuple[list[str], int]:
        stored = self._client.get_item(
            TableName=self._table, Key=_sitemap_file_key(number), ConsistentRead=True
        ).get("Item")
        names = sorted(from_item(stored).get("named", ())) if stored else []
        newest = self._client.query(
            TableName=self._table,
            KeyConditionExpression="listing = :files",
            ProjectionExpression="#position",
            ExpressionAttributeNames={"#position": "position"},
            ExpressionAttributeValues={":files": {"S": LISTINGS_SITEMAP_PARTITION}},
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )["Items"]
        return names, int(newest[0]["position"]["S"]) if newest else 0

    def existing(self, keys: Iterable[Key]) -> dict[Key, ListingEntry]:
        wanted = [{"listing": {"S": listing}, "position": {"S": position}} for listing, position in set(keys)]
        held = [ListingEntry.model_validate(from_item(item)) for item in self._batch_get(wanted)]
        return {entry.key: entry for entry in held}

    def memberships_of(self, source_key: str) -> set[Key]:
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            IndexName=BY_SOURCE_INDEX,
            KeyConditionExpression="source_key = :source",
            ExpressionAttributeValues={":source": {"S": source_key}},
        )
        return {(item["listing"]["S"], item["position"]["S"]) for page in pages for item in page["Items"]}

    def _batch_get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return _batch_get(self._client, self._table, keys)

    def apply(self, update: IndexUpdate) -> None:
        actions: list[dict[str, Any]] = []
        for entry in update.put:
            put: dict[str, Any] = {"TableName": self._table, "Item": to_item(entry.model_dump(mode="json"))}
            # A new member must be absent and a changed one present: either way a plan made from
            # another state than the table's conflicts, instead of moving a count it does not match.
            exists = "attribute_not_exists" if entry.key in update.added else "attribute_exists"
            put["ConditionExpression"] = f"{exists}(listing)"
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
        actions += [
            self._section_update(summary, update.member_change(summary.listing))
            for summary in update.summaries
        ]
        actions += [self._count_update(listing, update.member_change(listing)) for listing in update.counted]
        if SITE_LISTING in update.listings:
            actions.append(
                self._count_update(_site_shard(update.source_key), update.member_change(SITE_LISTING))
            )
        # One transaction: no reader sees an article in two categories, and counts move with members.
        if len(actions) > _TRANSACTION_LIMIT:
            raise ValueError(
                f"{len(actions)} writes do not fit one transaction ({_TRANSACTION_LIMIT} at most)"
            )
        try:
            self._client.transact_write_items(TransactItems=actions)  # type: ignore[arg-type]
        except ClientError as error:
            if _code(error) == "TransactionCanceledException":
                raise IndexConflict(str(error)) from error
            raise

    def _section_update(self, summary: ListingSummary, members: int) -> dict[str, Any]:
        """A category's summary: its count moves by the memberships added and deleted; its heading and
        newest entries are as planned from the revision read, so the write holds only at that revision."""
        values: dict[str, Any] = {
            ":name": {"S": summary.name},
            ":newest": {"L": [{"M": to_item(entry.model_dump(mode="json"))} for entry in summary.newest]},
            ":members": {"N": str(members)},
            ":one": {"N": "1"},
        }
        if summary.revision:
            condition = "revision = :revision"
            values[":revision"] = {"N": str(summary.revision)}
        else:
            condition = "attribute_not_exists(listing)"
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"listing": {"S": SUMMARY_PARTITION}, "position": {"S": summary.listing}},
                "UpdateExpression": "SET #name = :name, newest = :newest ADD members :members, revision :one",
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#name": "name"},
                "ExpressionAttributeValues": values,
            }
        }

    def _count_update(self, position: str, members: int) -> dict[str, Any]:
        """A count without a condition: a tag's or an author's, or the site's in the shard the article
        picks (every publish moves it, and concurrent publishes of different articles mostly land on
        different items). The heading of a tag or an author is its newest entry's, read at render."""
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"listing": {"S": SUMMARY_PARTITION}, "position": {"S": position}},
                "UpdateExpression": "ADD members :members, revision :one",
                "ExpressionAttributeValues": {":members": {"N": str(members)}, ":one": {"N": "1"}},
            }
        }


def _sitemap_file_key(number: int) -> dict[str, Any]:
    return {"listing": {"S": LISTINGS_SITEMAP_PARTITION}, "position": {"S": f"{number:08d}"}}


def listings_sitemap_item(number: int, places: int, names: Iterable[str]) -> dict[str, Any]:
    """The item of file `number` of the listings sitemap, as `place_in_listings_sitemap` leaves it (a
    string set cannot be empty: a file that names no listing has none)."""
    item = {**_sitemap_file_key(number), "places": {"N": str(places)}}
    if names := sorted(names):
        item["named"] = {"SS": names}
    return item


def listings_sitemap_of(item: dict[str, Any]) -> tuple[int, int, list[str]]:
    """(number, places, names) of a listings sitemap file's item."""
    document = from_item(item)
    return int(document["position"]), int(document.get("places", 0)), sorted(document.get("named", ()))


def index_items(entries: Iterable[ListingEntry], summaries: Iterable[ListingSummary]) -> list[dict[str, Any]]:
    """The index table's items holding these memberships and summaries, as `DynamoIndex.apply` leaves
    them (the site listing's count all in one of its shards)."""
    items = [to_item(entry.model_dump(mode="json")) for entry in entries]
    for summary in summaries:
        counts: dict[str, Any] = {
            "members": {"N": str(summary.members)},
            "revision": {"N": str(summary.revision)},
        }
        site = summary.listing == SITE_LISTING
        position = _summary_positions(SITE_LISTING)[0] if site else summary.listing
        if category_of(summary.listing) is not None:
            # A tag's or an author's summary is a bare count, like the site's.
            counts["name"] = {"S": summary.name}
            newest = [{"M": to_item(entry.model_dump(mode="json"))} for entry in summary.newest]
            counts["newest"] = {"L": newest}
        if summary.pages_heading:
            counts["pages_heading"] = {"S": summary.pages_heading}
        if summary.profile_sequencer:
            counts["profile_sequencer"] = {"S": summary.profile_sequencer}
        if summary.profile is not None:
            counts["profile"] = {"M": to_item(summary.profile.model_dump(mode="json", exclude_defaults=True))}
        if summary.header:
            counts["header"] = {"S": _HEADER_SEPARATOR.join(summary.header)}
        if summary.sitemap_file:
            counts["sitemap_file"] = {"N": str(summary.sitemap_file)}
            counts["in_sitemap"] = {"BOOL": summary.in_sitemap}
        items.append({"listing": {"S": SUMMARY_PARTITION}, "position": {"S": position}, **counts})
    return items


def _batch_get(client: DynamoDBClient, table: str, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), 100):
        request: dict[str, Any] = {table: {"Keys": keys[start : start + 100], "ConsistentRead": True}}
        while request:
            response = client.batch_get_item(RequestItems=request)
            found += response["Responses"].get(table, [])
            request = response.get("UnprocessedKeys") or {}
    return found


def _site_shard(source_key: str) -> str:
    number = int(hashlib.sha256(source_key.encode("utf-8")).hexdigest(), 16) % SITE_COUNT_SHARDS
    return f"{SITE_LISTING}#{number:02d}"


def _summary_positions(listing: str) -> list[str]:
    if listing == SITE_LISTING:
        return [f"{SITE_LISTING}#{number:02d}" for number in range(SITE_COUNT_SHARDS)]
    return [listing]


def _summaries_of(items: Iterable[dict[str, Any]]) -> dict[str, ListingSummary]:
    """Summaries from their items; the site listing's shards add up to one summary."""
    summaries: dict[str, ListingSummary] = {}
    site_members = site_revision = 0
    site_seen = False
    header: tuple[str, ...] = ()
    for item in items:
        document = from_item(item)
        position = str(document.pop("position"))
        if position.partition("#")[0] == SITE_LISTING:
            site_seen = True
            site_members += int(document.get("members", 0))
            site_revision += int(document.get("revision", 0))
            if document.get("header"):
                header = tuple(str(document["header"]).split(_HEADER_SEPARATOR))
            continue
        document["listing"] = position
        summaries[position] = ListingSummary.model_validate(document)
    if site_seen:
        summaries[SITE_LISTING] = ListingSummary(
            listing=SITE_LISTING, members=site_members, revision=site_revision, header=header
        )
    return summaries


class DynamoSweepJournal:
    """The sweep's state, one item of the index table (its partition starts with '#', so the listing
    renderer passes over its stream records)."""

    _KEY: ClassVar[dict[str, Any]] = {"listing": {"S": "#sweep"}, "position": {"S": "state"}}

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def load(self) -> SweepState:
        item = self._client.get_item(TableName=self._table, Key=self._KEY, ConsistentRead=True).get("Item")
        return SweepState.model_validate_json(item["state"]["S"]) if item else SweepState()

    def save(self, state: SweepState) -> None:
        self._client.put_item(
            TableName=self._table, Item={**self._KEY, "state": {"S": state.model_dump_json()}}
        )


class DynamoImages:
    """The images table: one item per image upload, written only at the revision read."""

    def __init__(
        self, client: DynamoDBClient, table: str, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._client = client
        self._table = table
        self._clock = clock

    def current(self, source_key: str) -> ImageRecord | None:
        response = self._client.get_item(
            TableName=self._table, Key={"source_key": {"S": source_key}}, ConsistentRead=True
        )
        item = response.get("Item")
        return ImageRecord.model_validate(from_item(item)) if item else None

    def save(self, record: ImageRecord, previous: ImageRecord | None) -> bool:
        revision = (previous.revision if previous is not None else 0) + 1
        stored = record.model_copy(update={"revision": revision, "changed_at": self._clock()})
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(source_key)"}
        if previous is not None:
            condition = {
                "ConditionExpression": "revision = :revision",
                "ExpressionAttributeValues": {":revision": {"N": str(previous.revision)}},
            }
        try:
            self._client.put_item(
                TableName=self._table,
                Item=image_item(stored),
                **condition,
            )
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def walk(self, after: str, limit: int) -> tuple[list[ImageRecord], str]:
        if limit <= 0:
            return [], after
        scan: dict[str, Any] = {"TableName": self._table, "Limit": limit, "ConsistentRead": True}
        if after:
            scan["ExclusiveStartKey"] = {"source_key": {"S": after}}
        response = self._client.scan(**scan)
        records = [ImageRecord.model_validate(from_item(item)) for item in response["Items"]]
        following = response.get("LastEvaluatedKey", {}).get("source_key", {}).get("S", "")
        return records, str(following)
