"""moto's O(table) costs, removed in this process only, to tell pressrun's scaling from moto's.

moto 5 does two things real DynamoDB does not:

1. `TransactWriteItems` deep-copies every table the transaction names, items and stream history
   included, as a rollback backup (moto/dynamodb/models/__init__.py, `transact_write_items`). Each
   publish makes two transactions (the article and its slug; the index memberships and summaries),
   so each costs O(articles + index items + stream records). `pressrun publish` no longer pays
   this: `pressrun.local.dynamodb_transactions` (installed by `LocalStack.start`, so in every
   benchmark too) backs up only the items the transaction names.
2. `Query` lists and sorts every item of the table (`Table.all_items()`), then keeps the partition
   asked for (moto/dynamodb/models/table.py, `Table.query`): O(table log table) per query, where
   DynamoDB reads only the partition's pages it returns.

`install()` lets a table query read only its own partition (moto sorts the partition by range key
after), and installs the transaction patch of 1. for callers that have not started a LocalStack.
Requests, responses, conditions, stream records and every API call stay the same. The benchmarks
run pressrun both ways: "stock moto" is what `pressrun publish` does (moto with 1. patched);
"moto, partition-local" adds 2. and shows the work that is pressrun's own. The fixtures are built
with both (same calls, same state; `fixtures.py --verify 100` builds a site on moto with neither
patch and on moto with both, and compares them).
"""

from __future__ import annotations

from typing import Any

_installed = False
_partition: list[Any] = []


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.dynamodb.models import table as table_module

    from pressrun.local import dynamodb_transactions

    dynamodb_transactions.install()
    Table = table_module.Table
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


def stock() -> None:
    """Leave moto as it is, without even the transaction patch `LocalStack.start` installs (for
    `fixtures.verify_equivalence`); call before any LocalStack starts."""
    from pressrun.local import dynamodb_transactions

    dynamodb_transactions.install = lambda: None  # type: ignore[assignment]


def comparable_state(site_dir: Any) -> dict[str, Any]:
    """A built site's tables and pages without what differs from run to run (S3 version ids,
    sequencers and upload times, which come from the clock)."""
    import base64
    import hashlib
    import json
    from pathlib import Path

    site = Path(site_dir)
    state = json.loads((site / ".pressrun" / "state.json").read_text())
    volatile = {"sequencer", "source_version", "rejected_sequencer", "revision", "uploaded_at"}
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
    # Format 1 kept each upload's bytes in the JSON, base64; format 2 keeps them as files named by hash.
    uploads = sorted(
        (u["key"], u.get("blob") or hashlib.sha256(base64.b64decode(u["data"])).hexdigest())
        for u in state["uploads"]
    )
    return {"tables": tables, "pages": pages, "uploads": uploads}
