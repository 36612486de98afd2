"""Which items of the watched tables were written, so that saving the stack's state reads back only
those: moto answers a Scan a page at a time, each in time that grows with the table, and a GetItem
in time that does not.

Heard as S3's answers are (`s3_events`): from the requests of this process's clients (botocore's
events) and, under `pressrun dev`, from those the proxy passes on. A write is counted when it is
asked for, whether or not it holds: its item is read back either way.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3

_WATCH_ID = "pressrun-item-writes"


@dataclass
class ItemWrites:
    # Each watched table's key attributes.
    _key_names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Each table's keys written, by their JSON.
    _written: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def watch(self, table: str, key_names: Sequence[str]) -> None:
        self._key_names[table] = tuple(key_names)

    def keys(self, table: str) -> list[dict[str, Any]]:
        """The keys of the table's items written since it was watched."""
        with self._lock:
            return list(self._written.get(table, {}).values())

    def saw(self, operation: str, params: Mapping[str, Any]) -> None:
        """A request to DynamoDB, in the API's form (attribute values as {"S": ...})."""
        if operation in {"PutItem", "UpdateItem", "DeleteItem"}:
            self._add(params["TableName"], params.get("Item") or params["Key"])
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    put, delete = request.get("PutRequest"), request.get("DeleteRequest")
                    self._add(table, put["Item"] if put else delete["Key"])
        elif operation == "TransactWriteItems":
            for action in params["TransactItems"]:
                kind, body = next(iter(action.items()))
                if kind != "ConditionCheck":
                    self._add(body["TableName"], body.get("Item") or body["Key"])

    def _add(self, table: str, item: Mapping[str, Any]) -> None:
        names = self._key_names.get(table)
        if names is None:
            return
        key = {name: item[name] for name in names}
        with self._lock:
            self._written.setdefault(table, {})[json.dumps(key, sort_keys=True)] = key


def watch_clients(session: boto3.session.Session, writes: ItemWrites) -> None:
    """Tell `writes` of the writes asked by every DynamoDB client this session makes from now on."""
    event = "provide-client-params.dynamodb"

    def asked(params: dict[str, Any], model: Any, **_: Any) -> None:
        writes.saw(model.name, params)

    session.events.unregister(event, unique_id=_WATCH_ID)
    session.events.register(event, asked, unique_id=_WATCH_ID)
