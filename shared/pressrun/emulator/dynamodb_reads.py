"""DynamoDB queries and scans that read about what DynamoDB reads, not the whole table.

moto 5's `Table.query` (moto/dynamodb/models/table.py) lists and sorts every item of the table
(`all_items()`, comparing `DynamoType`s in Python), keeps the partition asked for, sorts it again,
and then walks past every item before the `ExclusiveStartKey` one `DynamoType` comparison at a
time. A query for the newest 20 entries of a 10,000-entry listing therefore costs O(table log
table), and reading the whole listing page by page O(table²). `Table.scan` likewise re-sorts the
table for every page and walks past the pages already returned. DynamoDB reads only the items it
returns: a local publish into a large site paid for moto, not for pressrun.

`install()` keeps moto's own query and scan code and hands it only the items it would get to:

- `all_items()` sorts on the keys' plain values (`DynamoType.cast_value`, what moto's comparisons
  compare), once per item: the same order, without a Python comparison per pair;
- a table query (not an index's, no legacy `QueryFilter`) is given the partition's items inside
  its key condition, from the `ExclusiveStartKey` on, at most `Limit` of them, plus the next item
  of the partition in reading order, whose presence is how moto decides to answer a
  `LastEvaluatedKey`; moto then applies its own condition, limits, copies, filter and projection;
- a scan with an `ExclusiveStartKey` starts after it instead of walking up to it (each page still
  sorts the table, on plain values: a scan reads the whole table anyway);
- a partition's order is kept between queries, a new key inserted where it sorts by the
  `put_item` that adds it (and taken out by `delete_item`), so a listing is not sorted again for
  every query of every publish.

The items, their order, `LastEvaluatedKey`, `Count`, `ScannedCount`, filters and projections are
moto's (tests/integration/test_dynamodb_reads.py compares every answer with unpatched moto's). One
difference stays by design: an item of the partition outside the key condition no longer counts
towards moto's 1 MB page limit, as in DynamoDB, which reads only the key range. Idempotent;
installed by `LocalStack.start`.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

# moto's own methods, which do the reading once given the items.
_moto: dict[str, Any] = {}
# The items `all_items()` hands to the query or scan running on this thread, by table.
_given = threading.local()
# A write and the upkeep of its partition's order happen as one, with respect to a query reading
# that order (`pressrun dev`'s moto server answers on several threads).
_orders_lock = threading.RLock()


def _value(key: DynamoType) -> Any:
    # `cast_value` is what `DynamoType.__lt__` compares, so the order is moto's.
    return key.value if key.type == "S" else key.cast_value


def _table_order(item: Item) -> Any:
    if item.range_key is not None:
        return (_value(item.hash_key), _value(item.range_key))
    return _value(item.hash_key)


def _all_items(self: Table) -> list[Item]:
    given: dict[str, list[Item]] = getattr(_given, "items", {})
    if self.name in given:
        return given[self.name]
    items: list[Item] = []
    for hash_set in self.items.values():
        if self.range_key_attr:
            items.extend(hash_set.values())
        else:
            items.append(hash_set)  # type: ignore[arg-type]
    return sorted(items, key=_table_order)


def _with_items(table: Table, items: list[Item], read: Callable[[], Any]) -> Any:
    given: dict[str, list[Item]] = getattr(_given, "items", {})
    _given.items = {**given, table.name: items}
    try:
        return read()
    finally:
        _given.items = given


@dataclass
class _Order:
    """A partition's range keys in moto's order, with their plain values, kept while the partition is
    written through moto's `put_item` and `delete_item` (a new key is inserted where it sorts)."""

    partition: dict[DynamoType, Item]
    values: list[Any]
    range_keys: list[DynamoType]

    def holds(self, partition: dict[DynamoType, Item], change: int = 0) -> bool:
        return self.partition is partition and len(self.values) + change == len(partition)


def _orders(table: Table) -> dict[DynamoType, _Order]:
    # On the table, so it goes with it; a transaction's rolled-back copy brings new partition dicts,
    # which no order holds.
    orders: dict[DynamoType, _Order] = table.__dict__.setdefault("_pressrun_orders", {})
    return orders


def _order(table: Table, hash_key: DynamoType, partition: dict[DynamoType, Item]) -> _Order:
    order = _orders(table).get(hash_key)
    if order is None or not order.holds(partition):
        range_keys = list(partition)
        values = (
            [key.value for key in range_keys]
            if all(key.type == "S" for key in range_keys)
            else [_value(key) for key in range_keys]
        )
        # Sorted by index on the plain values: no Python call per comparison.
        by_value = sorted(range(len(values)), key=values.__getitem__)
        order = _Order(partition, [values[i] for i in by_value], [range_keys[i] for i in by_value])
        _orders(table)[hash_key] = order
    return order


def _put_item(self: Table, *args: Any, **kwargs: Any) -> Any:
    with _orders_lock:
        item = _moto["put_item"](self, *args, **kwargs)
        if item.range_key is not None:
            _keep_order(self, item.hash_key, item.range_key, added=True)
    return item


def _delete_item(self: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Any:
    with _orders_lock:
        item = _moto["delete_item"](self, hash_key, range_key)
        if item is not None and range_key is not None:
            _keep_order(self, hash_key, range_key, added=False)
    return item


def _keep_order(table: Table, hash_key: DynamoType, range_key: DynamoType, added: bool) -> None:
    order = _orders(table).get(hash_key)
    if order is None:
        return
    partition = table.items.get(hash_key, {})
    value = _value(range_key)
    index = bisect_left(order.values, value)
    present = index < len(order.values) and order.values[index] == value
    if added and present and order.holds(partition):
        return
    if order.holds(partition, change=1 if added else -1) and present != added:
        if added:
            order.values.insert(index, value)
            order.range_keys.insert(index, range_key)
        else:
            del order.values[index], order.range_keys[index]
    else:
        # The partition was also written some other way: it is sorted again when next read.
        del _orders(table)[hash_key]


def _key_range(keys: list[Any], comparison: str | None, bounds: list[Any]) -> tuple[int, int] | None:
    """The slice of the sorted `keys` inside a key condition; None for a condition left to moto."""
    whole = (0, len(keys))
    if comparison is None:
        return whole
    operator = {"=": "EQ", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE"}.get(comparison, comparison).upper()
    if operator == "EQ":
        return bisect_left(keys, bounds[0]), bisect_right(keys, bounds[0])
    if operator == "LT":
        return 0, bisect_left(keys, bounds[0])
    if operator == "LE":
        return 0, bisect_right(keys, bounds[0])
    if operator == "GT":
        return bisect_right(keys, bounds[0]), len(keys)
    if operator == "GE":
        return bisect_left(keys, bounds[0]), len(keys)
    if operator == "BETWEEN":
        start = bisect_left(keys, bounds[0])
        return start, max(start, bisect_right(keys, bounds[1]))
    if operator == "BEGINS_WITH" and all(isinstance(key, str) for key in keys):
        start = end = bisect_left(keys, bounds[0])
        while end < len(keys) and keys[end].startswith(bounds[0]):
            end += 1
        return start, end
    return None


def _query_window(
    table: Table,
    range_key_attr: str,
    hash_key: DynamoType,
    range_comparison: str | None,
    range_objs: list[DynamoType],
    limit: int | None,
    exclusive_start_key: dict[str, Any] | None,
    forward: bool,
) -> list[Item] | None:
    """The items of the partition moto's query would reach, ascending; None to leave it to moto.
    Called with `_orders_lock` held."""
    partition: dict[DynamoType, Item] | None = table.items.get(hash_key)
    if not partition:
        return []
    order = _order(table, hash_key, partition)
    keys = order.values
    try:
        span = _key_range(keys, range_comparison, [_value(obj) for obj in range_objs])
        if span is None:
            return None
        start, end = span
        if exclusive_start_key is not None:
            after = _value(DynamoType(exclusive_start_key[range_key_attr]))
            if forward:
                start = max(start, bisect_right(keys, after))
            else:
                end = min(end, bisect_left(keys, after))
    except (KeyError, TypeError):
        # A key condition or start key moto would reject or compare differently: moto answers it.
        return None
    end = max(start, end)
    if forward:
        end = min(end, start + limit) if limit is not None else end
        return [partition[key] for key in order.range_keys[start : end + 1]]
    start = max(start, end - limit) if limit is not None else start
    return [partition[key] for key in order.range_keys[max(start - 1, 0) : end]]


def _query(
    self: Table,
    hash_key: DynamoType | None,
    range_comparison: str | None,
    range_objs: list[DynamoType],
    limit: int | None,
    exclusive_start_key: dict[str, Any] | None,
    scan_index_forward: bool,
    projection_expressions: list[list[str]] | None,
    index_name: str | None = None,
    consistent_read: bool = False,
    filter_expression: Any = None,
    hash_key_conditions: list[tuple[str, DynamoType]] | None = None,
    range_key_conditions: list[tuple[str, str, list[DynamoType]]] | None = None,
    **filter_kwargs: Any,
) -> Any:
    def query(start_key: dict[str, Any] | None) -> Any:
        return _moto["query"](
            self,
            hash_key,
            range_comparison,
            range_objs,
            limit,
            start_key,
            scan_index_forward,
            projection_expressions,
            index_name,
            consistent_read,
            filter_expression,
            hash_key_conditions=hash_key_conditions,
            range_key_conditions=range_key_conditions,
            **filter_kwargs,
        )

    # Index queries, legacy QueryFilter and multi-attribute keys keep moto's own path.
    plain = index_name is None and not filter_kwargs and len(range_key_conditions or []) <= 1
    forward = scan_index_forward is not False
    window = None
    if plain and hash_key is not None and self.range_key_attr is not None:
        with _orders_lock:
            window = _query_window(
                self,
                self.range_key_attr,
                hash_key,
                range_comparison,
                range_objs,
                limit,
                exclusive_start_key,
                forward,
            )
    if window is None:
        return query(exclusive_start_key)
    return _with_items(self, window, lambda: query(None))


def _scan(
    self: Table,
    filters: dict[str, Any],
    limit: int | None,
    exclusive_start_key: dict[str, Any] | None,
    filter_expression: Any = None,
    index_name: str | None = None,
    consistent_read: bool = False,
    projection_expression: list[list[str]] | None = None,
    segments: tuple[None, None] | tuple[int, int] = (None, None),
) -> Any:
    def scan(items: list[Item] | None, start_key: dict[str, Any] | None) -> Any:
        def read() -> Any:
            return _moto["scan"](
                self,
                filters,
                limit,
                start_key,
                filter_expression,
                index_name,
                consistent_read,
                projection_expression,
                segments=segments,
            )

        return read() if items is None else _with_items(self, items, read)

    if exclusive_start_key is None or index_name is not None:
        return scan(None, exclusive_start_key)
    try:
        hash_value = _value(DynamoType(exclusive_start_key[self.hash_key_attr]))
        after = (
            (hash_value, _value(DynamoType(exclusive_start_key[self.range_key_attr])))
            if self.range_key_attr
            else hash_value
        )
        items = _all_items(self)
        remaining = items[bisect_right(items, after, key=_table_order) :]
    except (KeyError, TypeError):
        return scan(None, exclusive_start_key)
    return scan(remaining, None)


def install() -> None:
    """Make moto's queries and scans read only what they return. Idempotent."""
    if _moto:
        return
    _moto.update(
        query=Table.query,
        scan=Table.scan,
        all_items=Table.all_items,
        put_item=Table.put_item,
        delete_item=Table.delete_item,
    )
    Table.put_item = _put_item  # type: ignore[method-assign]
    Table.delete_item = _delete_item  # type: ignore[method-assign]
    Table.all_items = _all_items  # type: ignore[method-assign]
    Table.query = _query  # type: ignore[method-assign]
    Table.scan = _scan  # type: ignore[method-assign]
