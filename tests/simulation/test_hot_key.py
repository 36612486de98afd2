"""No hot key in the index: concurrent publishes in different sections contend on no item.

N writer threads each publish stories into a section of their own through `update_index`, on the
simulated index table whose transactions hold their items for a moment and are cancelled with
TransactionConflict when another transaction holds one of them (DynamoDB's documented rule). This
proves the index's key layout under our emulator's conflict model, not DynamoDB itself: the items
an update writes are those `DynamoIndex.apply` writes (pinned by
`test_simulation.test_simulated_index_writes_the_items_dynamoindex_writes`), and two updates
contend exactly when they share one. The throughput is the emulator's, set by how long it holds a
transaction; what carries over to AWS is which items conflict and how often.

`pytest -s tests/simulation/test_hot_key.py` prints each run's updates, conflicts and updates/s.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pressrun.aws.dynamodb import SITE_COUNT_SHARDS
from pressrun.index import IndexConflict, update_index
from pressrun.model import ArticleRecord, Category
from tests.simulation.adapters import SUMMARY_PARTITION, Calm, SimIndex, site_shard
from tests.simulation.dynamodb import Database

WRITERS = 8
UPDATES_PER_WRITER = 30
# Long enough for every writer's transactions to overlap with the others'.
HOLD_SECONDS = 0.002
START = datetime(2025, 6, 20, 10, tzinfo=UTC)


@dataclass(frozen=True)
class Run:
    updates: int
    seconds: float
    # TransactionConflict cancellations, by the item that was held.
    conflicts: Counter[tuple[str, tuple[str, ...]]]
    # Transactions tried, cancelled for any reason (conflicts and revisions that moved).
    transactions: int
    # Stream records whose update gave up after its own attempts, to be retried by Lambda.
    retried_records: int
    index: SimIndex

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds

    def line(self, name: str) -> str:
        return (
            f"{name}: {self.updates} updates by {WRITERS} writers, {self.transactions} transactions,"
            f" {sum(self.conflicts.values())} conflicts, {self.retried_records} records retried,"
            f" {self.per_second:.0f} updates/s"
        )


def story(key: str, section: str, number: int) -> ArticleRecord:
    published = START + timedelta(minutes=number)
    return ArticleRecord(
        source_key=key,
        source_version="v1",
        sequencer="0A",
        status="published",
        title=f"Story {number}",
        slug=key.removeprefix("incoming/").removesuffix(".md"),
        path=f"/2025/06/20/{number}/",
        published_at=published,
        categories=(Category.named(section),),
        summary="Summary.",
        updated_at=published,
    )


def keys_in_shard(writer: int, shards: int) -> list[str]:
    """Source keys whose share of the site count lands in the writer's own shard."""
    wanted = (
        site_shard(f"incoming/w{writer}-probe.md", shards) if shards == 1 else f"site#{writer % shards:02d}"
    )
    found = (f"incoming/w{writer}-{n}.md" for n in itertools.count())
    return list(
        itertools.islice((key for key in found if site_shard(key, shards) == wanted), UPDATES_PER_WRITER)
    )


def publish_concurrently(sections: list[str], keys: list[list[str]], shards: int = SITE_COUNT_SHARDS) -> Run:
    database = Database(random.Random(0), transaction_hold=HOLD_SECONDS)
    index = SimIndex(database, Calm(), site_count_shards=shards)
    ready = threading.Barrier(len(sections))

    gave_up = Counter[int]()
    jitter = random.Random(1)

    def writer(number: int) -> None:
        ready.wait()
        for order, key in enumerate(keys[number]):
            record = story(key, sections[number], number * UPDATES_PER_WRITER + order)
            # `update_index` tries a few times at once; a record whose update still conflicts fails,
            # and Lambda retries it a little later: so here.
            while True:
                try:
                    update_index(None, record, index)
                    break
                except IndexConflict:
                    gave_up[number] += 1
                    time.sleep(jitter.uniform(0, 4 * HOLD_SECONDS))

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(len(sections))]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Run(
        updates=sum(len(k) for k in keys),
        seconds=time.perf_counter() - began,
        conflicts=database.conflicts,
        transactions=database.transactions,
        retried_records=sum(gave_up.values()),
        index=index,
    )


def _sections() -> list[str]:
    return [f"Section {number}" for number in range(WRITERS)]


def _counts_are_exact(run: Run, sections: list[str]) -> None:
    summaries = run.index.summaries()
    assert summaries["site"].members == run.updates
    for section in set(sections):
        expected = UPDATES_PER_WRITER * sections.count(section)
        assert summaries[f"category/{Category.named(section).slug}"].members == expected


def test_publishes_in_different_sections_whose_site_counts_land_in_different_shards_never_conflict() -> None:
    sections = _sections()
    run = publish_concurrently(sections, [keys_in_shard(n, SITE_COUNT_SHARDS) for n in range(WRITERS)])
    print(run.line("different sections, site count shards apart"))

    assert run.conflicts == Counter()
    assert run.transactions == run.updates
    _counts_are_exact(run, sections)


def test_publishes_in_different_sections_meet_only_on_a_shard_of_the_site_count() -> None:
    sections = _sections()
    keys = [[f"incoming/w{n}-{i}.md" for i in range(UPDATES_PER_WRITER)] for n in range(WRITERS)]
    run = publish_concurrently(sections, keys)
    print(run.line(f"different sections, keys spread over {SITE_COUNT_SHARDS} shards"))

    held = {item for _, item in run.conflicts}
    assert all(
        partition == SUMMARY_PARTITION and position.startswith("site#") for partition, position in held
    )
    _counts_are_exact(run, sections)


def test_without_shards_every_publish_meets_on_the_one_site_count_item() -> None:
    """The layout before the shards, for comparison: one count item for the whole site."""
    sections = _sections()
    run = publish_concurrently(sections, [keys_in_shard(n, 1) for n in range(WRITERS)], shards=1)
    print(run.line("different sections, one site count item"))

    assert {item for _, item in run.conflicts} == {(SUMMARY_PARTITION, "site#00")}
    _counts_are_exact(run, sections)


def test_publishes_in_one_section_contend_on_its_summary() -> None:
    """One section's summary is one guarded item: its publishes are serialised, by design."""
    sections = ["Economics"] * WRITERS
    run = publish_concurrently(sections, [keys_in_shard(n, SITE_COUNT_SHARDS) for n in range(WRITERS)])
    print(run.line("one section"))

    assert (SUMMARY_PARTITION, "category/economics") in {item for _, item in run.conflicts}
    _counts_are_exact(run, sections)
