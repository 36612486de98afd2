"""Two of moto's own O(table) costs, removed in this process only, to tell pressrun's scaling from moto's.

moto 5 (as `pressrun publish` runs it) does two things real DynamoDB does not:

1. `TransactWriteItems` deep-copies every table the transaction names, items and stream history
   included, as a rollback backup (moto/dynamodb/models/__init__.py, `transact_write_items`). Each
   publish makes two transactions (the article and its slug; the index memberships and summaries),
   so each costs O(articles + index items + stream records).
2. `Query` lists and sorts every item of the table (`Table.all_items()`), then keeps the partition
   asked for (moto/dynamodb/models/table.py, `Table.query`): O(table log table) per query, where
   DynamoDB reads only the partition's pages it returns.

`install()` replaces the backup with a structural copy that deep-copies only the items the
transaction names (so a failed transaction still rolls back exactly, in-place Updates included),
and lets a table query read only its own partition (moto sorts the partition by range key after).
Requests, responses, conditions, stream records and every API call stay the same. The benchmarks
run pressrun both ways: "stock moto" is what `pressrun publish` does; "moto, partition-local" shows
the work that is pressrun's own. The fixtures are built with the patch (same calls, same state; see
`verify_equivalence`), because stock moto makes building the 10,000 site quadratic.
"""

from __future__ import annotations

import copy as _copy
import types
from collections import defaultdict
from typing import Any

_installed = False
_pending: dict[str, list[tuple[Any, Any]]] = {}
_partition: list[Any] = []


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.dynamodb import models as backend_module
    from moto.dynamodb.models import table as table_module
    from moto.dynamodb.models.dynamo_type import DynamoType

    Table = table_module.Table

    def snapshot(table: Any) -> Any:
        snap = _copy.copy(table)
        touched = _pending.get(table.name, [])
        if table.range_key_attr is not None:
            snap.items = defaultdict(dict, {h: dict(r) for h, r in table.items.items()})
            for hash_value, range_value in touched:
                item = table.items.get(hash_value, {}).get(range_value)
                if item is not None:
                    snap.items[hash_value][range_value] = _copy.deepcopy(item)
        else:
            snap.items = defaultdict(dict, table.items)
            for hash_value, _ in touched:
                item = table.items.get(hash_value)
                if item is not None:
                    snap.items[hash_value] = _copy.deepcopy(item)
        if table.stream_shard is not None:
            shard = _copy.copy(table.stream_shard)
            shard.items = list(table.stream_shard.items)
            shard.table = snap
            snap.stream_shard = shard
        return snap

    def deepcopy(value: Any, memo: Any = None) -> Any:
        if isinstance(value, Table):
            return snapshot(value)
        return _copy.deepcopy(value, memo)

    shim = types.SimpleNamespace(deepcopy=deepcopy, copy=_copy.copy)
    backend_module.copy = shim  # the module's `copy.deepcopy(self.tables[...])` now snapshots

    original_transact = backend_module.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        _pending.clear()
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            name = op.get("TableName")
            if name not in self.tables:
                continue
            table = self.tables[name]
            attrs = op.get("Item") or op.get("Key") or {}
            if table.hash_key_attr not in attrs:
                continue
            hash_value = DynamoType(attrs[table.hash_key_attr])
            range_value = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr in attrs else None
            _pending.setdefault(name, []).append((hash_value, range_value))
        try:
            return original_transact(self, transact_items)
        finally:
            _pending.clear()

    backend_module.DynamoDBBackend.transact_write_items = transact_write_items

    original_query = Table.query
    original_all_items = Table.all_items

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name")
        _partition.append(None if index_name else hash_key)
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            _partition.pop()

    def all_items(self: Any) -> list[Any]:
        if _partition and _partition[-1] is not None:
            hash_key = _partition[-1]
            if self.range_key_attr is not None:
                return list(self.items.get(hash_key, {}).values())
            item = self.items.get(hash_key)
            return [item] if item is not None else []
        return original_all_items(self)

    Table.query = query
    Table.all_items = all_items
    _installed = True


def comparable_state(site_dir: Any) -> dict[str, Any]:
    """A built site's tables and pages without what differs from run to run (S3 version ids and
    sequencers, which come from the clock)."""
    import hashlib
    import json
    from pathlib import Path

    site = Path(site_dir)
    state = json.loads((site / ".pressrun" / "state.json").read_text())
    volatile = {"sequencer", "source_version", "rejected_sequencer", "revision"}
    tables = {
        name: sorted(
            json.dumps({k: v for k, v in item.items() if k not in volatile}, sort_keys=True) for item in items
        )
        for name, items in state["tables"].items()
    }
    pages = {
        path.relative_to(site).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in site.rglob("*")
        if path.is_file() and ".pressrun" not in path.parts
    }
    uploads = sorted((u["key"], u["data"]) for u in state["uploads"])
    return {"tables": tables, "pages": pages, "uploads": uploads}
