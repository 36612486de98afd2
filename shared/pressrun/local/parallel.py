"""A large batch on every core: the uploads and article changes of a bulk import, or the jobs of a
rebuild, split into shards that worker processes follow side by side, as Lambda runs many consumers
at once.

A worker is a dispatcher of its own on the same state database: it runs the same steps, with the
same retries, and commits each item as it finishes it (the work row goes in the same commit), so
that workers only hold SQLite's write lock for the moment of a commit while they render. Shards
never share an upload or an article, nor a slug among article changes: all the changes that touch
one address (a renamed file taking over another's slug, say) are followed by one worker, in the
order they were made. Conditional writes settle the rest, as they do between Lambda consumers: two
workers adding to one listing conflict, and the later one plans again; two new files of one batch
claiming one slug are decided by whichever is recorded first, as two uploads racing in the cloud
are (a batch below PARALLEL_FROM is read in order, and the first file named wins).
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pressrun.invalidation import SiteChange
from pressrun.local.work import Kind, WorkItem
from pressrun.pings import Ping

# Below this many items a batch is followed in the run's own process: starting workers costs more.
PARALLEL_FROM = 200


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class ShardTask:
    site_dir: str
    settings: dict[str, object]
    now: datetime
    chaos_rate: float
    chaos_seed: int
    # The shard's work items, read by the worker itself: the parent need not hold their payloads.
    item_ids: list[int]


@dataclass
class ShardResult:
    invalidated: list[SiteChange] = field(default_factory=list)
    pings: list[Ping] = field(default_factory=list)
    log: str = ""
    injected: int = 0


def shards(kind: Kind, items: list[WorkItem], count: int) -> list[list[WorkItem]]:
    """Items split into at most `count` shards of about equal work; each in its original order."""
    if kind is Kind.ARTICLE:
        groups = _by_address(items)
    elif kind is Kind.UPLOAD:
        groups = list(_by_source(items).values())
    else:
        groups = [[item] for item in items]
    loads = [0] * count
    assigned: list[list[WorkItem]] = [[] for _ in range(count)]
    for group in sorted(groups, key=_weight, reverse=True):
        lightest = loads.index(min(loads))
        assigned[lightest] += group
        loads[lightest] += _weight(group)
    return [sorted(shard, key=lambda item: item.id) for shard in assigned if shard]


def weight(item: WorkItem) -> int:
    """About how many stories' work an item is: a rebuild's article job renders its batch, a run of a
    listing's pages a page per twenty entries (a page costs about what a story does), the rest one."""
    if item.kind is not Kind.REBUILD:
        return 1
    job = json.loads(item.payload)
    return len(job.get("source_keys", ())) or (job.get("pages") or {}).get("count", 0) // 20 or 1


def _weight(group: list[WorkItem]) -> int:
    return sum(weight(item) for item in group)


def _by_source(items: list[WorkItem]) -> dict[str, list[WorkItem]]:
    groups: dict[str, list[WorkItem]] = {}
    for item in items:
        groups.setdefault(item.source, []).append(item)
    return groups


def _by_address(items: list[WorkItem]) -> list[list[WorkItem]]:
    """Article changes grouped so that changes of one article, or of one slug, stay together."""
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for item in items:
        change = json.loads(item.payload)
        nodes = [f"source:{item.source}"] + [
            f"slug:{record['slug']}"
            for record in (change["old"], change["new"])
            if record and record.get("slug")
        ]
        for node in nodes[1:]:
            parent[root(node)] = root(nodes[0])
    groups: dict[str, list[WorkItem]] = {}
    for item in items:
        groups.setdefault(root(f"source:{item.source}"), []).append(item)
    return list(groups.values())


class Workers:
    """Worker processes for one run, started at its first large stage and kept for the next ones:
    a worker's start (a fresh interpreter importing pressrun) costs about what it renders in a
    hundred stories."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._size = 0

    def run(self, tasks: list[ShardTask], while_waiting: Callable[[], None]) -> list[ShardResult]:
        """Follow every shard in a worker of its own; `while_waiting` is called now and then."""
        if self._pool is None or self._size < len(tasks):
            self.close()
            # Spawned, not forked: the parent may have threads (a progress bar), which a fork would
            # copy mid-lock, and an open SQLite connection, which must not cross a fork.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=len(tasks), mp_context=context)
            self._size = len(tasks)
        futures: list[Future[ShardResult]] = [self._pool.submit(follow_shard, task) for task in tasks]
        while not all(future.done() for future in futures):
            wait(futures, timeout=0.2)
            while_waiting()
        return [future.result() for future in futures]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


def follow_shard(task: ShardTask) -> ShardResult:
    """A worker's whole life: the shard's items, each committed as it is done."""
    from pressrun.local.chaos import Chaos
    from pressrun.local.dispatcher import Dispatcher, LocalPorts
    from pressrun.local.log import StepLog
    from pressrun.local.state import DATABASE, STATE_DIR, State
    from pressrun.settings import SiteSettings

    site_dir = Path(task.site_dir)
    state = State(site_dir / STATE_DIR / DATABASE, create=False)
    lines = io.StringIO()
    try:
        ports = LocalPorts.open(site_dir, state, lambda: task.now)
        chaos = Chaos(task.chaos_rate, task.chaos_seed) if task.chaos_rate else None
        # The parent's settings exactly, not read again from this process's environment.
        settings = SiteSettings.model_validate(task.settings)
        dispatcher = Dispatcher(ports, settings, task.now, StepLog(to=lines), chaos=chaos, commit_each=True)
        dispatcher.process(ports.work.by_ids(task.item_ids))
        return ShardResult(
            invalidated=ports.invalidations.changes,
            pings=ports.pings.take(),
            log=lines.getvalue(),
            injected=chaos.injected if chaos else 0,
        )
    finally:
        state.close()
