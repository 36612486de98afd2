"""DynamoDB as its documentation allows it to behave, at the level of items: conditional writes and
all-or-nothing transactions, TransactionConflict when two transactions touch one item at once, reads
without ConsistentRead that may return any state from a recent window of writes, and streams that
keep order only within one item, spread over shards that split.

Items are JSON-mode dicts (what `model_dump(mode="json")` gives), so everything the adapters store
goes through the same round trip it takes through DynamoDB.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from boto3.dynamodb.types import TypeSerializer

Item = dict[str, Any]
ItemKey = tuple[str, ...]
_serializer = TypeSerializer()
# TransactWriteItems takes at most 100 actions.
TRANSACTION_LIMIT = 100


class ConditionalCheckFailed(Exception):
    """A single-item write whose condition did not hold (ConditionalCheckFailedException)."""


class TransactionConflict(Exception):
    """A single-item write to an item a transaction is writing (TransactionConflictException)."""


class TransactionCanceled(Exception):
    """TransactionCanceledException: one reason per action ("None", "ConditionalCheckFailed" or
    "TransactionConflict"), and the item as it was where a condition failed (ALL_OLD)."""

    def __init__(self, reasons: list[str], items: list[Item | None]) -> None:
        super().__init__(f"transaction cancelled: {reasons}")
        self.reasons = reasons
        self.items = items


@dataclass(frozen=True)
class Action:
    """One action of a transaction. `change` maps the item as it is to what it becomes (None
    deletes it); without a change the action is a ConditionCheck."""

    table: Table
    key: ItemKey
    condition: Callable[[Item | None], bool] | None = None
    change: Callable[[Item | None], Item | None] | None = None


@dataclass
class StreamRecord:
    sequence: int
    shard_id: str
    event_name: str
    keys: dict[str, str]
    old: Item | None
    new: Item | None
    # When the record reached the stream (ApproximateCreationDateTime).
    arrived: datetime | None = None

    def as_lambda_record(self, view: str) -> dict[str, Any]:
        """The record as Lambda hands it to a function: DynamoDB JSON, with only what the view keeps."""
        stream: dict[str, Any] = {
            "Keys": {name: {"S": value} for name, value in self.keys.items()},
            "SequenceNumber": str(self.sequence),
            "StreamViewType": view,
        }
        if view == "NEW_AND_OLD_IMAGES":
            if self.new is not None:
                stream["NewImage"] = _typed(self.new)
            if self.old is not None:
                stream["OldImage"] = _typed(self.old)
        return {
            "eventID": f"{self.shard_id}:{self.sequence}",
            "eventName": self.event_name,
            "dynamodb": stream,
        }


def _typed(item: Item) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in item.items() if value is not None}


@dataclass
class Shard:
    shard_id: str
    parent: str | None
    # The part of the key hash space whose items this shard carries: [low, high).
    low: int
    high: int
    records: list[StreamRecord] = field(default_factory=list)
    closed: bool = False


_HASH_SPACE = 2**32


def _key_hash(key: ItemKey) -> int:
    # Records of one item go to the shard of its partition: hashed as DynamoDB hashes partition keys.
    return int.from_bytes(hashlib.sha256(key[0].encode("utf-8")).digest()[:4], "big")


class Stream:
    """A table's stream: one record per change of an item, each in the open shard that covers the
    item, so one item's records keep their order; a split closes a shard and its children carry on."""

    def __init__(
        self,
        table_name: str,
        view: str,
        shards: int,
        sequence: Iterator[int],
        clock: Callable[[], datetime | None] = lambda: None,
    ) -> None:
        self.view = view
        self._clock = clock
        self._table_name = table_name
        self._sequence = sequence
        self._serial = itertools.count(1)
        self.shards: dict[str, Shard] = {}
        width = _HASH_SPACE // shards
        for number in range(shards):
            high = _HASH_SPACE if number == shards - 1 else (number + 1) * width
            self._open(None, number * width, high)

    def _open(self, parent: str | None, low: int, high: int) -> Shard:
        shard = Shard(f"shardId-{self._table_name}-{next(self._serial):08d}", parent, low, high)
        self.shards[shard.shard_id] = shard
        return shard

    def append(self, key: ItemKey, keys: dict[str, str], old: Item | None, new: Item | None) -> None:
        position = _key_hash(key)
        shard = next(s for s in self.shards.values() if not s.closed and s.low <= position < s.high)
        event = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
        record = StreamRecord(next(self._sequence), shard.shard_id, event, keys, old, new, self._clock())
        shard.records.append(record)

    def split(self, shard_id: str) -> None:
        shard = self.shards[shard_id]
        if shard.closed or shard.high - shard.low < 2:
            return
        shard.closed = True
        middle = (shard.low + shard.high) // 2
        self._open(shard_id, shard.low, middle)
        self._open(shard_id, middle, shard.high)

    def open_shards(self) -> list[Shard]:
        return [shard for shard in self.shards.values() if not shard.closed]


class Table:
    def __init__(self, database: Database, name: str, key_names: tuple[str, ...]) -> None:
        self.database = database
        self.name = name
        self.key_names = key_names
        self.items: dict[ItemKey, Item] = {}
        self.stream: Stream | None = None
        # The recent writes, newest last, as (key, item before): a read without ConsistentRead may
        # see the table as it was before any number of them.
        self.recent: deque[tuple[ItemKey, Item | None]] = deque(maxlen=database.stale_window)

    def key_of(self, item: Item) -> ItemKey:
        return tuple(str(item[name]) for name in self.key_names)

    def _as_of(self, lag: int) -> dict[ItemKey, Item | None]:
        """What differs from now in the table as it was `lag` writes ago."""
        overlay: dict[ItemKey, Item | None] = {}
        for key, before in list(self.recent)[len(self.recent) - lag :]:
            overlay.setdefault(key, before)  # the earliest write's "before" is the state at the lag
        return overlay

    def get(self, key: ItemKey, consistent: bool) -> Item | None:
        with self.database.lock:
            lag = self.database.read_lag(self, consistent)
            overlay = self._as_of(lag) if lag else {}
            item = overlay[key] if key in overlay else self.items.get(key)
            return dict(item) if item is not None else None

    def query(self, partition: str, consistent: bool) -> list[Item]:
        """Every item of one partition, in sort key order."""
        with self.database.lock:
            lag = self.database.read_lag(self, consistent)
            overlay = self._as_of(lag) if lag else {}
            found = {key: item for key, item in self.items.items() if key[0] == partition}
            for key, before in overlay.items():
                if key[0] == partition:
                    if before is None:
                        found.pop(key, None)
                    else:
                        found[key] = before
            return [dict(found[key]) for key in sorted(found)]

    def scan(self, consistent: bool) -> list[Item]:
        with self.database.lock:
            lag = self.database.read_lag(self, consistent)
            overlay = self._as_of(lag) if lag else {}
            found = dict(self.items)
            for key, before in overlay.items():
                if before is None:
                    found.pop(key, None)
                else:
                    found[key] = before
            # Scans come in hash order, which is no order a reader can use.
            return [dict(found[key]) for key in sorted(found, key=_key_hash)]

    def _write(self, key: ItemKey, new: Item | None) -> None:
        old = self.items.get(key)
        if old == new:
            # DynamoDB writes no stream record for a write that changes nothing.
            return
        if new is None:
            del self.items[key]
        else:
            self.items[key] = new
        self.recent.append((key, old))
        if self.stream is not None:
            keys = dict(zip(self.key_names, key, strict=True))
            self.stream.append(key, keys, old, new)


@dataclass
class Database:
    """The tables of one account, one lock for them all, and how unkind their reads are."""

    rng: random.Random
    # How many recent writes of a table a read without ConsistentRead may not see yet.
    stale_window: int = 6
    # Negative control: every read is served from the window, even one that asks for consistency.
    stale_everything: bool = False
    # How long a transaction holds its items (seconds of real time): long enough for concurrent
    # writers in threads to meet, for the hot-key test; zero in the single-threaded simulation.
    transaction_hold: float = 0.0
    lock: threading.RLock = field(default_factory=threading.RLock)
    tables: dict[str, Table] = field(default_factory=dict)
    # (table, key) of every item a transaction is writing right now, with that transaction's id.
    in_flight: dict[tuple[str, ItemKey], int] = field(default_factory=dict)
    conflicts: Counter[tuple[str, ItemKey]] = field(default_factory=Counter)
    transactions: int = 0
    # The items each transaction named, in order: what a test compares with the AWS adapters' calls.
    transaction_log: list[list[tuple[str, ItemKey]]] = field(default_factory=list)
    stale_reads: int = 0
    # The simulated clock, which stamps stream records as they arrive.
    clock: Callable[[], datetime | None] = lambda: None
    _transaction_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    # DynamoDB's sequence numbers are decimal strings that grow within a shard.
    _sequence: Iterator[int] = field(default_factory=lambda: itertools.count(100000000000000000000))

    def table(self, name: str, key_names: tuple[str, ...]) -> Table:
        table = Table(self, name, key_names)
        self.tables[name] = table
        return table

    def stream(self, table: Table, view: str, shards: int) -> Stream:
        table.stream = Stream(table.name, view, shards, self._sequence, self.clock)
        return table.stream

    def caught_up(self) -> None:
        """Time passes with no writes: every read, secondary indexes' too, sees the newest state.
        (DynamoDB propagates to a global secondary index "within a fraction of a second under normal
        conditions"; the sweep leaves changes younger than its grace to their own events.)"""
        for table in self.tables.values():
            table.recent.clear()

    def read_lag(self, table: Table, consistent: bool) -> int:
        if consistent and not self.stale_everything:
            return 0
        if not table.recent:
            return 0
        # Any state of the window: the newest too, unless every read is to be stale.
        lag = self.rng.randint(1 if self.stale_everything else 0, len(table.recent))
        self.stale_reads += bool(lag)
        return lag

    def transact(self, actions: list[Action]) -> None:
        """All or nothing. Raises TransactionCanceled with a reason per action."""
        if len(actions) > TRANSACTION_LIMIT:
            raise ValueError(f"{len(actions)} actions; a transaction takes at most {TRANSACTION_LIMIT}")
        names = [(action.table.name, action.key) for action in actions]
        if len(set(names)) != len(names):
            raise ValueError("a transaction names one item twice (DynamoDB's ValidationException)")
        with self.lock:
            self.transactions += 1
            self.transaction_log.append(names)
            taken = [name in self.in_flight for name in names]
            if any(taken):
                for name, busy in zip(names, taken, strict=True):
                    if busy:
                        self.conflicts[name] += 1
                reasons = ["TransactionConflict" if busy else "None" for busy in taken]
                raise TransactionCanceled(reasons, [None] * len(actions))
            mine = next(self._transaction_ids)
            for name in names:
                self.in_flight[name] = mine
        try:
            if self.transaction_hold:
                # Outside the lock: other writers run meanwhile and may meet these items.
                time.sleep(self.transaction_hold)
            with self.lock:
                before = [action.table.items.get(action.key) for action in actions]
                held = [
                    action.condition is None or action.condition(item)
                    for action, item in zip(actions, before, strict=True)
                ]
                if not all(held):
                    reasons = ["None" if ok else "ConditionalCheckFailed" for ok in held]
                    raise TransactionCanceled(
                        reasons, [None if ok else item for ok, item in zip(held, before, strict=True)]
                    )
                # In one order whatever the order of the actions: DynamoDB promises none between the
                # stream records of different items, and a fixed one keeps a failing run repeatable.
                changes = sorted(zip(names, actions, before, strict=True), key=lambda change: change[0])
                for _, action, item in changes:
                    if action.change is not None:
                        action.table._write(
                            action.key, action.change(dict(item) if item is not None else None)
                        )
        finally:
            with self.lock:
                for name in names:
                    if self.in_flight.get(name) == mine:
                        del self.in_flight[name]

    def write(
        self,
        table: Table,
        key: ItemKey,
        change: Callable[[Item | None], Item | None],
        condition: Callable[[Item | None], bool] | None = None,
    ) -> None:
        """PutItem, UpdateItem or DeleteItem: one item, conditional or not."""
        with self.lock:
            if (table.name, key) in self.in_flight:
                self.conflicts[(table.name, key)] += 1
                raise TransactionConflict(f"{table.name} {key} is being written by a transaction")
            item = table.items.get(key)
            if condition is not None and not condition(item):
                raise ConditionalCheckFailed(f"{table.name} {key}")
            table._write(key, change(dict(item) if item is not None else None))
