"""What waits to be done, and what kept failing: the local queues and streams, in `state.db`.

Each change that the cloud would announce (an S3 event, a stream record, a schedule firing) is a row
of `work`, written in the same transaction as the change itself, so a change is never made without
its follow-up being owed, and a killed run leaves the follow-up for the next one. Rows are taken in
order and removed when done, or moved to `dead_letter` when they kept failing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from pressrun.local.state import State


class Kind(StrEnum):
    UPLOAD = "upload"
    # An image upload's event (the image rule routes it by its name), or crops asked for by ingest.
    IMAGE = "image"
    ARTICLE = "article"
    MEMBERSHIP = "membership"
    RELEASE = "release"
    REBUILD = "rebuild"


# Where the cloud sets such work aside (template.yaml), so that the summary names the same queues.
DEAD_LETTER_QUEUES = {
    Kind.UPLOAD: "IngestDeadLetterQueue",
    Kind.IMAGE: "ImageDeadLetterQueue",
    Kind.ARTICLE: "StreamFailureQueue",
    Kind.MEMBERSHIP: "StreamFailureQueue",
    Kind.RELEASE: "ScheduleDeadLetterQueue",
    Kind.REBUILD: "RebuildDeadLetterQueue",
}


@dataclass(frozen=True)
class WorkItem:
    id: int
    kind: Kind
    source: str
    version_id: str | None
    payload: str


@dataclass(frozen=True)
class DeadLetter:
    id: int
    queue: str
    kind: Kind
    source: str
    version_id: str | None
    payload: str
    error: str


class WorkQueue:
    def __init__(self, state: State) -> None:
        self.state = state

    def add(self, kind: Kind, source: str, payload: str, version_id: str | None = None) -> None:
        self.state.write(
            "INSERT INTO work (kind, source, version_id, payload) VALUES (?, ?, ?, ?)",
            (kind.value, source, version_id, payload),
        )

    def add_many(self, kind: Kind, items: list[tuple[str, str]]) -> None:
        """(source, payload) pairs, in order."""
        self.state.write_many(
            "INSERT INTO work (kind, source, payload) VALUES (?, ?, ?)",
            [(kind.value, source, payload) for source, payload in items],
        )

    def pending(self, kind: Kind) -> int:
        return int(
            self.state.execute("SELECT count(*) FROM work WHERE kind = ?", (kind.value,)).fetchone()[0]
        )

    def take(self, kind: Kind, limit: int, after: int = 0) -> list[WorkItem]:
        """The oldest items of a kind after id `after`, in order (they stay until `done`)."""
        rows = self.state.execute(
            "SELECT id, source, version_id, payload FROM work WHERE kind = ? AND id > ? ORDER BY id LIMIT ?",
            (kind.value, after, limit),
        ).fetchall()
        return [WorkItem(row[0], kind, row[1], row[2], row[3]) for row in rows]

    def by_ids(self, ids: list[int]) -> list[WorkItem]:
        """These items, in order."""
        rows = self.state.execute(
            "SELECT id, kind, source, version_id, payload FROM work"
            " WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
            (json.dumps(ids),),
        ).fetchall()
        return [WorkItem(row[0], Kind(row[1]), row[2], row[3], row[4]) for row in rows]

    def done(self, items: Iterable[WorkItem]) -> None:
        ids = [(item.id,) for item in items]
        if ids:
            self.state.write_many("DELETE FROM work WHERE id = ?", ids)

    def set_aside(self, item: WorkItem, error: str, now: datetime | None = None) -> None:
        """Move an item that kept failing to the dead letters, with why."""
        moment = (now or datetime.now(UTC)).astimezone(UTC).isoformat()
        self.state.write(
            "INSERT INTO dead_letter (queue, kind, source, version_id, payload, error, failed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                DEAD_LETTER_QUEUES[item.kind],
                item.kind.value,
                item.source,
                item.version_id,
                item.payload,
                error,
                moment,
            ),
        )
        self.state.write("DELETE FROM work WHERE id = ?", (item.id,))

    def dead_letters(self) -> list[DeadLetter]:
        rows = self.state.execute(
            "SELECT id, queue, kind, source, version_id, payload, error FROM dead_letter ORDER BY id"
        ).fetchall()
        return [DeadLetter(row[0], row[1], Kind(row[2]), row[3], row[4], row[5], row[6]) for row in rows]

    def redrive(self, letter: DeadLetter, payload: str | None = None) -> None:
        """Put a dead letter back in line, behind what is already waiting."""
        self.add(
            letter.kind, letter.source, payload if payload is not None else letter.payload, letter.version_id
        )
        self.state.write("DELETE FROM dead_letter WHERE id = ?", (letter.id,))
