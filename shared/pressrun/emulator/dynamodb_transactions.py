"""DynamoDB transactions without moto's whole-table backups.

moto 5's `TransactWriteItems` (moto/dynamodb/models/__init__.py, `transact_write_items`) first
`copy.deepcopy`s every table the transaction names, every item and the stream history included, so
that it can put the tables back if one of the writes fails. That makes each transaction O(table):
at 10,000 articles the index transaction alone took ~5 s of a ~14 s publish. DynamoDB has no such
cost: a transaction reads and writes only the items it names.

`install()` makes that backup a copy that is O(items named) for the items: a new dict of the table's
items that shares the untouched items, with a deep copy of each item the transaction names (the
only items its Put, Update, Delete and ConditionCheck can change, Updates changing them in place),
and a copy of the stream's record list. Rolling back to it therefore gives exactly what moto's deep
copy gives: the named items as they were, the items it inserted gone, the stream records it added
gone, everything else untouched. That is DynamoDB's all-or-nothing; conditions, errors, stream
records and responses are moto's own, unchanged. Idempotent; installed by `LocalStack.start`.
"""

from __future__ import annotations

import copy
import threading
import types
from collections import defaultdict
from typing import Any

from moto.dynamodb import models as backend_module
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

# The keys each table's item of the running transaction has: (hash, range or None) by table name.
_named: dict[str, list[tuple[DynamoType, DynamoType | None]]] = {}
_original_transact: Any = None
# One transaction at a time, since `_named` is shared (moto's backends take no locks of their own).
_lock = threading.Lock()


def _backup(table: Table) -> Table:
    """What moto's deep copy of the table would give back on a rollback, copying only what the
    running transaction can change."""
    backup = copy.copy(table)
    named = _named.get(table.name, [])
    items: Any = table.items
    if table.range_key_attr is not None:
        # Partitions no item of the transaction is in cannot change: shared, not copied.
        backup.items = defaultdict(dict, items)
        for hash_value in {hash_value for hash_value, _ in named if hash_value in items}:
            backup.items[hash_value] = dict(items[hash_value])
        for hash_value, range_value in named:
            item = items.get(hash_value, {}).get(range_value)
            if item is not None:
                backup.items[hash_value][range_value] = copy.deepcopy(item)
    else:
        backup.items = defaultdict(dict, items)
        for hash_value, _ in named:
            item = items.get(hash_value)
            if item is not None:
                backup.items[hash_value] = copy.deepcopy(item)
    if table.stream_shard is not None:
        shard = copy.copy(table.stream_shard)
        shard.items = list(table.stream_shard.items)
        shard.table = backup
        backup.stream_shard = shard
    return backup


def _deepcopy(value: Any, memo: Any = None) -> Any:
    if isinstance(value, Table) and value.name in _named:
        return _backup(value)
    return copy.deepcopy(value, memo)


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    with _lock:
        _named.clear()
        for entry in transact_items:
            _, operation = next(iter(entry.items()))
            name = operation.get("TableName")
            table = self.tables.get(name)
            if table is None:
                continue
            attributes = operation.get("Item") or operation.get("Key") or {}
            hash_value = attributes.get(table.hash_key_attr)
            range_value = attributes.get(table.range_key_attr) if table.range_key_attr else None
            # Every table named gets a backup; keys moto will reject as malformed name no item.
            keys = _named.setdefault(name, [])
            if isinstance(hash_value, dict):
                keys.append((DynamoType(hash_value), DynamoType(range_value) if range_value else None))
        try:
            _original_transact(self, transact_items)
        finally:
            _named.clear()


def install() -> None:
    """Make moto's transactions back up only the items they name. Idempotent."""
    global _original_transact
    if _original_transact is not None:
        return
    _original_transact = backend_module.DynamoDBBackend.transact_write_items
    # The backend module's `copy.deepcopy(self.tables[...])` is the backup; its other copies stay deep.
    backend_module.copy = types.SimpleNamespace(deepcopy=_deepcopy, copy=copy.copy)  # type: ignore[attr-defined,assignment]
    backend_module.DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
