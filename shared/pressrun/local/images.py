"""The images table in SQLite, with the DynamoDB adapter's condition: a write holds only at the
revision read. And the image queue's requests, as owed work in the same database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pressrun.images import ImageRecord
from pressrun.local.state import State
from pressrun.local.work import Kind, WorkQueue
from pressrun.media import ImageRequest


class SqliteImages:
    """ImageRepository on `state.db`."""

    def __init__(self, state: State, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.state = state
        self.clock = clock

    def current(self, source_key: str) -> ImageRecord | None:
        row = self.state.execute("SELECT record FROM image WHERE source_key = ?", (source_key,)).fetchone()
        return None if row is None else ImageRecord.model_validate_json(row[0])

    def save(self, record: ImageRecord, previous: ImageRecord | None) -> bool:
        with self.state.atomic():
            row = self.state.execute(
                "SELECT revision FROM image WHERE source_key = ?", (record.source_key,)
            ).fetchone()
            held = None if row is None else int(row[0])
            if held != (previous.revision if previous is not None else None):
                return False
            revision = (held or 0) + 1
            stored = record.model_copy(update={"revision": revision, "changed_at": self.clock()})
            self.state.write(
                "INSERT OR REPLACE INTO image (source_key, revision, source_version, record)"
                " VALUES (?, ?, ?, ?)",
                (record.source_key, revision, record.source_version, stored.model_dump_json()),
            )
        return True

    def keep(self, record: ImageRecord) -> None:
        """Store the record as another engine left it, its revision included (pressrun dev's hand-back)."""
        self.state.write(
            "INSERT OR REPLACE INTO image (source_key, revision, source_version, record) VALUES (?, ?, ?, ?)",
            (record.source_key, record.revision, record.source_version, record.model_dump_json()),
        )

    def walk(self, after: str, limit: int) -> tuple[list[ImageRecord], str]:
        rows = self.state.execute(
            "SELECT source_key, record FROM image WHERE source_key > ? ORDER BY source_key LIMIT ?",
            (after, max(limit, 0)),
        ).fetchall()
        following = rows[-1][0] if rows and len(rows) == limit else ""
        return [ImageRecord.model_validate_json(row[1]) for row in rows], following


class LocalImageRequests:
    """ImageRequests: owed work for the image step, as a message on the image queue would be."""

    def __init__(self, work: WorkQueue) -> None:
        self.work = work

    def request(self, source_key: str) -> None:
        self.work.add(Kind.IMAGE, source_key, ImageRequest(image=source_key).model_dump_json())
