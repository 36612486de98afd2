"""One-time schedules in SQLite, fired by the dispatcher when the local clock (`--now`) reaches them."""

from __future__ import annotations

from datetime import UTC, datetime

from pressrun.local.state import State
from pressrun.local.work import Kind, WorkQueue
from pressrun.scheduling import Release


def _utc(moment: datetime) -> str:
    # Fixed width and one zone, so that times compare as strings in SQL.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SqliteScheduler:
    def __init__(self, state: State, work: WorkQueue) -> None:
        self.state = state
        self.work = work

    def schedule(self, name: str, at: datetime, release: Release) -> None:
        self.state.write(
            "INSERT OR REPLACE INTO schedule (name, at, release) VALUES (?, ?, ?)",
            (name, _utc(at), release.model_dump_json()),
        )

    def cancel(self, name: str) -> None:
        self.state.write("DELETE FROM schedule WHERE name = ?", (name,))

    def pending(self) -> dict[str, tuple[datetime, Release]]:
        rows = self.state.execute("SELECT name, at, release FROM schedule").fetchall()
        return {
            name: (datetime.fromisoformat(at), Release.model_validate_json(release))
            for name, at, release in rows
        }

    def replace_all(self, schedules: dict[str, tuple[datetime, Release]]) -> None:
        """Hold exactly these schedules, as another engine kept them (`pressrun dev`)."""
        self.state.write("DELETE FROM schedule")
        self.state.write_many(
            "INSERT INTO schedule (name, at, release) VALUES (?, ?, ?)",
            [(name, _utc(at), release.model_dump_json()) for name, (at, release) in schedules.items()],
        )

    def fire_due(self, now: datetime) -> int:
        """Hand every schedule due by `now` to the release queue and remove it, as a one-time schedule
        with ActionAfterCompletion DELETE does; how many fired."""
        rows = self.state.execute(
            "SELECT name, release FROM schedule WHERE at <= ? ORDER BY at, name", (_utc(now),)
        ).fetchall()
        for name, release in rows:
            with self.state.atomic():
                self.state.write("DELETE FROM schedule WHERE name = ?", (name,))
                self.work.add(Kind.RELEASE, Release.model_validate_json(release).source_key, release)
        return len(rows)
