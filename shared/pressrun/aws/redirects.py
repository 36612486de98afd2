"""The site's redirects on AWS: a DynamoDB table that knows who points where, and the CloudFront
KeyValueStore the viewer-request function reads at every request.

The function can only look a key up, so the store holds the forward map alone (old path → new path).
Collapsing a chain needs the other direction too (who points at B, now that B moved to C), which the
store cannot answer without listing every key; the table keeps both, in one transaction:

    pk "from#<path>", sk "-"         target          the forward map, read consistently
    pk "to#<target>", sk "<path>"                    one item per path pointing at target

The table is the truth and the store its copy for the CDN. A put writes the table, then the store; a
delete the store, then the table. So a retry after either step failed finds the table still saying
what must be copied, and redoes it (each store call is idempotent).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

_FROM = "from#"
_TO = "to#"
_FORWARD = "-"


class DynamoRedirects:
    def __init__(self, client: Any, table: str, store: CloudFrontKeyValueStore | None) -> None:
        self.client = client
        self.table = table
        # None where there is no CloudFront (`pressrun dev` on moto, whose site server reads the table).
        self.store = store

    def target(self, path: str) -> str | None:
        item = self.client.get_item(
            TableName=self.table,
            Key={"pk": {"S": _FROM + path}, "sk": {"S": _FORWARD}},
            ConsistentRead=True,
        ).get("Item")
        return str(item["target"]["S"]) if item else None

    def put(self, path: str, target: str) -> None:
        previous = self.target(path)
        actions: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {"pk": {"S": _FROM + path}, "sk": {"S": _FORWARD}, "target": {"S": target}},
                }
            },
            {"Put": {"TableName": self.table, "Item": {"pk": {"S": _TO + target}, "sk": {"S": path}}}},
        ]
        if previous is not None and previous != target:
            actions.append(
                {"Delete": {"TableName": self.table, "Key": {"pk": {"S": _TO + previous}, "sk": {"S": path}}}}
            )
        self.client.transact_write_items(TransactItems=actions)
        if self.store is not None:
            self.store.put(path, target)

    def delete(self, path: str) -> None:
        previous = self.target(path)
        if self.store is not None:
            self.store.delete(path)
        if previous is None:
            return
        self.client.transact_write_items(
            TransactItems=[
                {
                    "Delete": {
                        "TableName": self.table,
                        "Key": {"pk": {"S": _FROM + path}, "sk": {"S": _FORWARD}},
                    }
                },
                {
                    "Delete": {
                        "TableName": self.table,
                        "Key": {"pk": {"S": _TO + previous}, "sk": {"S": path}},
                    }
                },
            ]
        )

    def sources_of(self, target: str) -> list[str]:
        paths: list[str] = []
        arguments: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :target",
            "ExpressionAttributeValues": {":target": {"S": _TO + target}},
            "ConsistentRead": True,
        }
        while True:
            page = self.client.query(**arguments)
            paths += [str(item["sk"]["S"]) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return paths
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def redirect_items(path: str, target: str) -> list[dict[str, Any]]:
    """The table's two items for one redirect (forward and reverse), as `DynamoRedirects.put` writes
    them: what a local run copies into the emulated table."""
    return [
        {"pk": {"S": _FROM + path}, "sk": {"S": _FORWARD}, "target": {"S": target}},
        {"pk": {"S": _TO + target}, "sk": {"S": path}},
    ]


def redirect_of_item(key: dict[str, Any], item: dict[str, Any] | None) -> tuple[str, str | None] | None:
    """The redirect a table item (read back by its key, None if gone) says: (path, its target, or None
    when it was removed); None for a reverse item, which only mirrors a forward one."""
    pk = str(key["pk"]["S"])
    if not pk.startswith(_FROM):
        return None
    return pk.removeprefix(_FROM), (str(item["target"]["S"]) if item is not None else None)


class StoreKeptChanging(Exception):
    """Every write to the KeyValueStore met another writer's: the record is retried later."""


class CloudFrontKeyValueStore:
    """One CloudFront KeyValueStore, through its own API (`cloudfront-keyvaluestore`, SigV4A-signed,
    so the functions' boto3 needs the CRT: see the layer's requirements). Every write names the
    store's version it was based on (`IfMatch`, the ETag of DescribeKeyValueStore); another writer in
    between makes it fail with a conflict, and it is tried again on the new version."""

    def __init__(
        self,
        client: Any,
        arn: str,
        attempts: int = 6,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.arn = arn
        self.attempts = attempts
        self.sleep = sleep

    def put(self, key: str, value: str) -> None:
        self._write(lambda etag: self.client.put_key(KvsARN=self.arn, Key=key, Value=value, IfMatch=etag))

    def delete(self, key: str) -> None:
        self._write(
            lambda etag: self.client.delete_key(KvsARN=self.arn, Key=key, IfMatch=etag), absent_is_done=True
        )

    def _write(self, write: Callable[[str], object], absent_is_done: bool = False) -> None:
        for attempt in range(self.attempts):
            etag = self.client.describe_key_value_store(KvsARN=self.arn)["ETag"]
            try:
                write(etag)
                return
            except ClientError as error:
                code = str(error.response.get("Error", {}).get("Code", ""))
                if code == "ResourceNotFoundException" and absent_is_done:
                    return  # deleting a key that is not there: done
                if code != "ConflictException":
                    raise
            # Full jitter: two writers that met should not meet again on the next version.
            self.sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 - jitter, not secrets
        raise StoreKeptChanging(f"{self.arn} kept changing while it was written")
