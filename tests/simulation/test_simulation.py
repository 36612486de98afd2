"""The simulation itself: each test proves our emulator behaves as AWS documents, not AWS itself.
The property test is only as unkind as these behaviours, so they are pinned here."""

from __future__ import annotations

import itertools
import random
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from pressrun.aws.dynamodb import DynamoArticles, DynamoIndex
from pressrun.index import update_index
from pressrun.ingest import padded_sequencer
from pressrun.model import ArticleRecord, Category
from tests.simulation.adapters import Calm, SimArticles, SimIndex
from tests.simulation.dynamodb import Action, Database, TransactionCanceled
from tests.simulation.lambdas import Queue, StreamMapping, invoke_sqs
from tests.simulation.sequencers import SequencerClock, compare

NOW = datetime(2026, 1, 10, 12, tzinfo=UTC)


def test_emulated_sequencers_grow_under_s3s_rule_and_a_newer_one_is_often_shorter() -> None:
    clock = SequencerClock(random.Random(7))
    issued = [clock.next() for _ in range(200)]

    assert all(compare(newer, older) > 0 for older, newer in itertools.pairwise(issued))
    assert len({len(sequencer) for sequencer in issued}) > 3
    # Where a newer one is shorter, padding on the left would call it older: the trap S3 documents.
    shorter = [(a, b) for a, b in itertools.pairwise(issued) if len(b) < len(a)]
    assert any(b.rjust(len(a), "0") < a for a, b in shorter)
    # The pipeline's own form of a sequencer orders them the same way.
    assert [padded_sequencer(s) for s in issued] == sorted(padded_sequencer(s) for s in issued)


def _table_with_stream(shards: int) -> tuple[Database, Any]:
    database = Database(random.Random(1))
    table = database.table("things", ("name",))
    stream = database.stream(table, "NEW_AND_OLD_IMAGES", shards)
    return database, stream


def _write(database: Database, name: str, value: int) -> None:
    table = database.tables["things"]
    database.write(table, (name,), lambda item: {"name": name, "value": value})


def test_emulated_stream_keeps_each_items_order_through_splits_but_not_the_order_across_items() -> None:
    database, stream = _table_with_stream(shards=2)
    seen: list[tuple[str, int]] = []

    def consume(records: list[dict[str, Any]]) -> list[str]:
        seen.extend(
            (record["dynamodb"]["NewImage"]["name"]["S"], int(record["dynamodb"]["NewImage"]["value"]["N"]))
            for record in records
        )
        return []

    mapping = StreamMapping(stream, consume, max_retries=None, on_failure=[])
    rng = random.Random(3)
    names = [f"item-{n}" for n in range(8)]
    for value in range(1, 31):
        for name in names:
            _write(database, name, value)
        if value % 10 == 0:
            stream.split(rng.choice(stream.open_shards()).shard_id)
        while (shards := mapping.runnable()) and rng.random() < 0.7:
            mapping.invoke(rng.choice(shards), rng.randint(1, 10))
    while shards := mapping.runnable():
        mapping.invoke(rng.choice(shards), rng.randint(1, 10))

    assert len(seen) == 30 * len(names)
    for name in names:
        assert [value for item, value in seen if item == name] == list(range(1, 31))
    # Across items, the order is not the order of the writes.
    assert seen != sorted(seen, key=lambda change: (change[1], names.index(change[0])))
    assert any(shard.parent for shard in stream.shards.values())


def test_emulated_stream_batch_out_of_retries_leaves_only_its_coordinates() -> None:
    database, stream = _table_with_stream(shards=1)
    for value in range(5):
        _write(database, "poison", value)
    failed_batches: list[Any] = []
    delivered: list[str] = []

    def always_failing(records: list[dict[str, Any]]) -> list[str]:
        delivered.extend(record["dynamodb"]["SequenceNumber"] for record in records)
        raise RuntimeError("poison")

    mapping = StreamMapping(stream, always_failing, max_retries=2, on_failure=failed_batches)
    while shards := mapping.runnable():
        mapping.invoke(shards[0], 10)

    assert [(batch.size, batch.start_sequence == batch.end_sequence) for batch in failed_batches] == [
        (1, True)
    ] * 5
    # The destination holds where each batch was and when its records arrived (DDBStreamBatchInfo),
    # not what it held.
    coordinates = {"shard_id", "start_sequence", "end_sequence", "size", "first_arrival", "last_arrival"}
    assert all(set(vars(batch)) == coordinates for batch in failed_batches)
    assert mapping.behind() == 0


def test_emulated_stream_retries_from_the_first_failed_record_of_a_batch() -> None:
    database, stream = _table_with_stream(shards=1)
    for value in range(6):
        _write(database, "thing", value)
    batches: list[list[int]] = []
    fail_once = {"3"}

    def consume(records: list[dict[str, Any]]) -> list[str]:
        values = [record["dynamodb"]["NewImage"]["value"]["N"] for record in records]
        batches.append([int(value) for value in values])
        failed = [
            r["dynamodb"]["SequenceNumber"] for r, v in zip(records, values, strict=True) if v in fail_once
        ]
        fail_once.clear()
        return failed

    mapping = StreamMapping(stream, consume, max_retries=None, on_failure=[])
    while shards := mapping.runnable():
        mapping.invoke(shards[0], 10)

    assert batches == [[0, 1, 2, 3, 4, 5], [3, 4, 5]]


def test_emulated_sqs_dead_letters_a_message_after_max_receives_and_redrive_brings_it_back() -> None:
    queue = Queue("IngestQueue", max_receives=3)
    queue.send("poison")
    queue.send("fine")
    rng = random.Random(5)
    handled: list[str] = []

    def function(records: list[dict[str, Any]]) -> set[str]:
        handled.extend(record["body"] for record in records)
        return {record["messageId"] for record in records if record["body"] == "poison"}

    while queue.visible():
        invoke_sqs(queue, function, 10, rng)

    assert handled.count("poison") == 3
    assert handled.count("fine") == 1
    assert [message.body for message in queue.dead_letters] == ["poison"]
    assert queue.redrive() == 1
    assert [message.body for message in queue.visible()] == ["poison"]


def test_emulated_reads_without_consistent_read_may_be_stale_and_consistent_ones_never_are() -> None:
    database = Database(random.Random(11), stale_window=4)
    table = database.table("things", ("name",))
    for value in range(10):
        database.write(table, ("a",), lambda item, v=value: {"name": "a", "value": v})

    eventual = {table.get(("a",), consistent=False)["value"] for _ in range(200)}  # type: ignore[index]
    consistent = {table.get(("a",), consistent=True)["value"] for _ in range(200)}  # type: ignore[index]

    assert eventual == {5, 6, 7, 8, 9}
    assert consistent == {9}


def test_emulated_write_that_changes_nothing_leaves_no_stream_record() -> None:
    database, stream = _table_with_stream(shards=1)
    _write(database, "same", 1)
    _write(database, "same", 1)

    assert sum(len(shard.records) for shard in stream.shards.values()) == 1


def test_emulated_transaction_is_all_or_nothing_with_a_reason_per_action() -> None:
    database = Database(random.Random(1))
    table = database.table("things", ("name",))
    put = Action(table, ("new",), lambda item: item is None, lambda item: {"name": "new"})
    needs_missing = Action(table, ("missing",), lambda item: item is not None, lambda item: None)

    with pytest.raises(TransactionCanceled) as cancelled:
        database.transact([put, needs_missing])

    assert cancelled.value.reasons == ["None", "ConditionalCheckFailed"]
    assert table.items == {}


def test_emulated_transactions_touching_one_item_at_once_conflict() -> None:
    database = Database(random.Random(1), transaction_hold=0.05)
    table = database.table("things", ("name",))
    inside = threading.Event()

    def slow() -> None:
        inside.set()
        database.transact([Action(table, ("shared",), None, lambda item: {"name": "shared", "by": "slow"})])

    first = threading.Thread(target=slow)
    first.start()
    inside.wait()
    while ("things", ("shared",)) not in database.in_flight:
        pass
    with pytest.raises(TransactionCanceled) as cancelled:
        database.transact([Action(table, ("shared",), None, lambda item: {"name": "shared", "by": "fast"})])
    first.join()

    assert cancelled.value.reasons == ["TransactionConflict"]
    assert table.items[("shared",)]["by"] == "slow"


# --- the simulated adapters write the items the AWS adapters write ------------------------------


class _RecordingClient:
    """Enough of a DynamoDB client to capture the items the AWS adapters name in their calls."""

    def __init__(self) -> None:
        self.transactions: list[list[dict[str, Any]]] = []

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        self.transactions.append(TransactItems)
        return {}

    def get_item(self, **_: Any) -> dict[str, Any]:
        return {}


_KEY_NAMES = {"index": ("listing", "position"), "articles": ("source_key",), "slugs": ("slug",)}


def _keys_of(transaction: list[dict[str, Any]]) -> list[tuple[str, tuple[str, ...]]]:
    keys = []
    for action in transaction:
        ((_, body),) = action.items()
        item = body.get("Key") or body["Item"]
        names = _KEY_NAMES[body["TableName"]]
        keys.append((body["TableName"], tuple(item[name]["S"] for name in names)))
    return sorted(keys)


def _article(key: str, *sections: str, slug: str = "story") -> ArticleRecord:
    return ArticleRecord(
        source_key=key,
        source_version="v1",
        sequencer="0A",
        status="published",
        title="Story",
        slug=slug,
        path=f"/2025/06/20/{slug}/",
        published_at=datetime(2025, 6, 20, 10, tzinfo=UTC),
        categories=tuple(Category.named(name) for name in sections),
        summary="Summary.",
    )


def test_simulated_index_writes_the_items_dynamoindex_writes() -> None:
    """The hot-key test and the property test rely on the emulator's item layout being the real one."""
    client = _RecordingClient()
    real = DynamoIndex(client, "index")  # type: ignore[arg-type]
    simulated = SimIndex(Database(random.Random(1)), Calm())
    before = _article("incoming/a.md", "World", "Sport")
    after = _article("incoming/a.md", "World", "Économie")
    for old, new in ((None, before), (before, after), (after, None)):
        planned = update_index(old, new, simulated)
        real.apply(planned)
        assert sorted(("index", action.key) for action in simulated.actions(planned)) == _keys_of(
            client.transactions[-1]
        )
    assert len(client.transactions) == 3


def test_simulated_articles_write_the_items_dynamoarticles_writes() -> None:
    client = _RecordingClient()
    real = DynamoArticles(client, "articles", "slugs")  # type: ignore[arg-type]
    database = Database(random.Random(1))
    simulated = SimArticles(database, Calm(), lambda: datetime(2025, 6, 20, 12, tzinfo=UTC))
    first = _article("incoming/a.md", "World", slug="first")
    moved = _article("incoming/a.md", "World", slug="second").model_copy(update={"sequencer": "0B"})
    for record, previous in ((first, None), (moved, first)):
        real.save(record, previous)
        simulated.save(record, previous)
        written = sorted(database.transaction_log[-1])
        assert written == _keys_of(client.transactions[-1])
    assert len(client.transactions) == 2
