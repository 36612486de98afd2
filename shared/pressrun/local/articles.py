"""The articles table and the slug claims, in SQLite, with the conditions of the DynamoDB adapter.

Every write that changes a record queues its (old, new) pair, in the same transaction: the stream
a NEW_AND_OLD_IMAGES table would give, in order for each article.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from pressrun.local.state import State
from pressrun.local.work import Kind, WorkQueue
from pressrun.model import ArticleRecord, Saved, SaveResult, Waiter
from pressrun.scheduling import Release


class ArticleChange(BaseModel):
    """One stream record of the articles table."""

    model_config = ConfigDict(frozen=True)

    old: ArticleRecord | None
    new: ArticleRecord | None

    @property
    def source_key(self) -> str:
        record = self.new or self.old
        return record.source_key if record else ""


class SqliteArticles:
    """ArticleRepository, ReleasableArticles and LiveArticles on `state.db`."""

    def __init__(self, state: State, work: WorkQueue, clock: Callable[[], datetime]) -> None:
        self.state = state
        self.work = work
        self.clock = clock

    def current(self, source_key: str) -> ArticleRecord | None:
        row = self.state.execute("SELECT record FROM article WHERE source_key = ?", (source_key,)).fetchone()
        return None if row is None else ArticleRecord.model_validate_json(row[0])

    def slug_holder(self, slug: str) -> str | None:
        row = self.state.execute("SELECT source_key FROM slug WHERE slug = ?", (slug,)).fetchone()
        return None if row is None else str(row[0])

    def finished(self, source_key: str, sequencer: str) -> None:
        with self.state.atomic():
            current = self.current(source_key)
            # A newer version took the record's place: its waiters are its own business.
            if current is not None and current.sequencer == sequencer and current.pending_waiters:
                self._store(current, current.model_copy(update={"pending_waiters": ()}))

    def save(self, record: ArticleRecord, previous: ArticleRecord | None) -> SaveResult:
        with self.state.atomic():
            current = self.current(record.source_key)
            if not _unchanged_since(current, previous):
                return SaveResult(Saved.CONFLICT)
            holder = self.slug_holder(record.slug) if record.slug else None
            if holder not in (None, record.source_key):
                return SaveResult(Saved.SLUG_TAKEN, holder)
            if previous is not None and previous.slug and previous.slug != record.slug:
                if self.slug_holder(previous.slug) not in (None, record.source_key):
                    return SaveResult(Saved.CONFLICT)
                record = record.model_copy(update={"pending_waiters": self._release(previous.slug)})
            if record.slug:
                self.state.write(
                    "INSERT OR REPLACE INTO slug (slug, source_key) VALUES (?, ?)",
                    (record.slug, record.source_key),
                )
            self._store(current, record)
        return SaveResult(Saved.SAVED, record=record)

    def wait_for_slug(self, slug: str, waiter: Waiter) -> bool:
        with self.state.atomic():
            if self.slug_holder(slug) in (None, waiter.source_key):
                return False
            self.state.write(
                "INSERT OR REPLACE INTO slug_waiter (slug, source_key, waiter) VALUES (?, ?, ?)",
                (slug, waiter.source_key, waiter.model_dump_json()),
            )
        return True

    def go_live(self, release: Release) -> bool:
        with self.state.atomic():
            current = self.current(release.source_key)
            if (
                current is None
                or current.status != "scheduled"
                or current.source_version != release.source_version
            ):
                return False
            self._store(current, current.model_copy(update={"status": "published"}))
        return True

    def live(self) -> Iterator[ArticleRecord]:
        # Read whole before handing out: the caller may write while it iterates.
        rows = self.state.execute("SELECT record FROM article WHERE status = 'published'").fetchall()
        return (ArticleRecord.model_validate_json(row[0]) for row in rows)

    def by_keys(self, source_keys: Iterable[str]) -> list[ArticleRecord]:
        rows = self.state.execute(
            "SELECT record FROM article WHERE source_key IN (SELECT value FROM json_each(?))",
            (json.dumps(list(dict.fromkeys(source_keys))),),
        ).fetchall()
        return [ArticleRecord.model_validate_json(row[0]) for row in rows]

    def changed_between(self, start: datetime, end: datetime) -> list[ArticleRecord]:
        rows = self.state.execute(
            "SELECT record FROM article WHERE changed_at BETWEEN ? AND ? ORDER BY source_key",
            (_stamp(start), _stamp(end)),
        ).fetchall()
        return [ArticleRecord.model_validate_json(row[0]) for row in rows]

    def walk(self, after: str, limit: int) -> tuple[list[ArticleRecord], str]:
        rows = self.state.execute(
            "SELECT source_key, record FROM article WHERE source_key > ? ORDER BY source_key LIMIT ?",
            (after, max(limit, 0)),
        ).fetchall()
        following = rows[-1][0] if rows and len(rows) == limit else ""
        return [ArticleRecord.model_validate_json(row[1]) for row in rows], following

    def claims(self) -> tuple[dict[str, str], dict[str, list[Waiter]]]:
        """Every slug's holder, and who waits for each slug, in the order they came."""
        rows = self.state.execute("SELECT slug, source_key FROM slug")
        holders = {str(slug): str(source) for slug, source in rows}
        waiters: dict[str, list[Waiter]] = {}
        for slug, waiter in self.state.execute("SELECT slug, waiter FROM slug_waiter ORDER BY rowid"):
            waiters.setdefault(str(slug), []).append(Waiter.model_validate_json(waiter))
        return holders, waiters

    # --- another engine's writes (`pressrun dev`): it followed every change already, so none is
    # queued here.

    def keep(self, record: ArticleRecord) -> None:
        """Hold this record as another engine wrote it."""
        changed_at = _stamp(record.changed_at) if record.changed_at else ""
        self.state.write(
            "INSERT OR REPLACE INTO article"
            " (source_key, sequencer, status, source_version, changed_at, record) VALUES (?, ?, ?, ?, ?, ?)",
            (
                record.source_key,
                record.sequencer,
                record.status,
                record.source_version,
                changed_at,
                record.model_dump_json(),
            ),
        )

    def forget(self, source_key: str) -> None:
        self.state.write("DELETE FROM article WHERE source_key = ?", (source_key,))

    def keep_claim(self, slug: str, holder: str | None, waiters: Iterable[Waiter]) -> None:
        """Hold a slug's claim and its waiters as another engine left them (None: nobody holds it)."""
        self.state.write("DELETE FROM slug WHERE slug = ?", (slug,))
        self.state.write("DELETE FROM slug_waiter WHERE slug = ?", (slug,))
        if holder is None:
            return
        self.state.write("INSERT INTO slug (slug, source_key) VALUES (?, ?)", (slug, holder))
        self.state.write_many(
            "INSERT INTO slug_waiter (slug, source_key, waiter) VALUES (?, ?, ?)",
            [(slug, waiter.source_key, waiter.model_dump_json()) for waiter in waiters],
        )

    def _release(self, slug: str) -> tuple[Waiter, ...]:
        """Give up a slug; who waited for it, to be tried again."""
        rows = self.state.execute(
            "SELECT waiter FROM slug_waiter WHERE slug = ? ORDER BY rowid", (slug,)
        ).fetchall()
        self.state.write("DELETE FROM slug_waiter WHERE slug = ?", (slug,))
        self.state.write("DELETE FROM slug WHERE slug = ?", (slug,))
        return tuple(Waiter.model_validate_json(row[0]) for row in rows)

    def _store(self, old: ArticleRecord | None, new: ArticleRecord) -> None:
        if old is not None and old == new.model_copy(update={"changed_at": old.changed_at}):
            return  # DynamoDB writes no stream record for a write that changes nothing
        changed_at = self.clock()
        new = new.model_copy(update={"changed_at": changed_at})
        self.state.write(
            "INSERT OR REPLACE INTO article"
            " (source_key, sequencer, status, source_version, changed_at, record) VALUES (?, ?, ?, ?, ?, ?)",
            (
                new.source_key,
                new.sequencer,
                new.status,
                new.source_version,
                _stamp(changed_at),
                new.model_dump_json(),
            ),
        )
        change = ArticleChange(old=old, new=new)
        self.work.add(Kind.ARTICLE, new.source_key, change.model_dump_json(), new.source_version)


def _stamp(moment: datetime) -> str:
    # One zone and one width, so that the times order as strings do.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _unchanged_since(current: ArticleRecord | None, previous: ArticleRecord | None) -> bool:
    """The write is based on `previous`: the table must still hold it (or nothing, if it was None)."""
    if previous is None:
        return current is None
    # A waiter accepted under the sequencer its refusal was recorded with differs from the refusal in
    # `rejected_sequencer` only.
    return current is not None and (current.sequencer, current.rejected_sequencer) == (
        previous.sequencer,
        previous.rejected_sequencer,
    )
