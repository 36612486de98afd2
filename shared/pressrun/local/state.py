"""The state of a local site: one SQLite database, `DIR/.pressrun/state.db`, shared by every adapter.

The format is plain on purpose, so that other tools (`pressrun dev`, a script, the sqlite3 shell) can
read it. Records are stored as the JSON of their pydantic models; times as ISO 8601 in UTC.

    upload_version(sequencer, key, version_id, blob, size, source, modified_at)
        The uploads bucket, versioned: one row per change of a key (a delete marker has no blob). The
        sequencer grows with every change, as S3's does; the newest row of a key is what it serves.
        `blob` names the bytes' file, `uploads/<sha256>`; `source` is the file it was published from.
    article(source_key, sequencer, status, source_version, changed_at, record)
    slug(slug, source_key)                        who holds each slug
    slug_waiter(slug, source_key, waiter)         uploads refused for a held slug, tried when it frees
    membership(listing, position, source_key, entry)   the category index (entry: a ListingEntry)
    listing_summary(listing, revision, summary)   one per listing (summary: a ListingSummary)
    listings_sitemap(number, places, names)       the files of the listings sitemap: the places each
        has given out, and the listings it names (a JSON list)
    schedule(name, at, release)                   one-time schedules (release: a Release)
    site_file(key, digest, size, mtime_ns, content_type)
        Every file pressrun wrote into the site folder, with the SHA-256 of its bytes and the size
        and time it had then: a file whose size and time still match is not read again.
    site_pending(key, replace)
        Files decided by a committed transaction but not yet in place: `replace` 1 moves the temp
        file `.<name>.pressrun-tmp` beside it into place, 0 removes the file. Done right after the
        commit, and again by the next run if the process was killed in between.
    work(id, kind, source, version_id, payload)
        What waits to be done, in order: an upload event ('upload', an ingest.Upload), a change of
        the articles table ('article', its old and new records), a changed index membership
        ('membership', a listing and position), a schedule that fired ('release', a Release).
    dead_letter(id, queue, kind, source, version_id, payload, error, failed_at)
        Work that kept failing, with the queue the cloud would have put it in; `redrive` retries it.
    garbage(blob)                                 upload blobs to delete once nothing refers to them
    counter(name, value)                          the uploads' sequencer, which only ever grows
    sweep(id, state)                              the reconciliation sweep's cursors (a SweepState)
    redirect(path, target)                        permanent redirects: old site path → new
    image(source_key, revision, source_version, record)
        The images table: one record per image upload (an ImageRecord), written only at the revision
        read; `source_version` keeps that upload version from expiring while crops may be made of it.

`PRAGMA user_version` is the format; a database of another format is refused, never guessed at.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

STATE_DIR = ".pressrun"
DATABASE = "state.db"
FORMAT = 4
# What each format adds to the one before: a database of an older format is brought up to date.
_MIGRATIONS = {
    2: """
CREATE TABLE image (
    source_key TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    source_version TEXT,
    record TEXT NOT NULL
);
""",
    3: """
CREATE TABLE redirect (path TEXT PRIMARY KEY, target TEXT NOT NULL);
CREATE INDEX redirect_by_target ON redirect (target);
""",
    4: """
CREATE TABLE listings_sitemap (number INTEGER PRIMARY KEY, places INTEGER NOT NULL, names TEXT NOT NULL);
""",
}

_SCHEMA = """
CREATE TABLE counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE upload_version (
    sequencer INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    version_id TEXT NOT NULL UNIQUE,
    blob TEXT,
    size INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT '',
    modified_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX upload_version_by_key ON upload_version (key, sequencer);
CREATE TABLE article (
    source_key TEXT PRIMARY KEY,
    sequencer TEXT NOT NULL,
    status TEXT NOT NULL,
    source_version TEXT,
    changed_at TEXT NOT NULL DEFAULT '',
    record TEXT NOT NULL
);
CREATE INDEX article_by_status ON article (status);
CREATE INDEX article_by_change ON article (changed_at);
CREATE TABLE slug (slug TEXT PRIMARY KEY, source_key TEXT NOT NULL);
CREATE TABLE slug_waiter (
    slug TEXT NOT NULL,
    source_key TEXT NOT NULL,
    waiter TEXT NOT NULL,
    PRIMARY KEY (slug, source_key)
);
CREATE TABLE membership (
    listing TEXT NOT NULL,
    position TEXT NOT NULL,
    source_key TEXT NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (listing, position)
) WITHOUT ROWID;
CREATE INDEX membership_by_source ON membership (source_key);
CREATE TABLE listing_summary (listing TEXT PRIMARY KEY, revision INTEGER NOT NULL, summary TEXT NOT NULL);
CREATE TABLE schedule (name TEXT PRIMARY KEY, at TEXT NOT NULL, release TEXT NOT NULL);
CREATE INDEX schedule_by_time ON schedule (at);
CREATE TABLE site_file (
    key TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    content_type TEXT NOT NULL
);
CREATE TABLE site_pending (key TEXT PRIMARY KEY, replace INTEGER NOT NULL);
CREATE TABLE work (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    version_id TEXT,
    payload TEXT NOT NULL
);
CREATE INDEX work_by_kind ON work (kind, id);
CREATE TABLE dead_letter (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    version_id TEXT,
    payload TEXT NOT NULL,
    error TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE TABLE garbage (blob TEXT PRIMARY KEY);
CREATE TABLE sweep (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL);
""" + "".join(_MIGRATIONS.values())


class StateFormatError(Exception):
    """The state was written by another version of pressrun."""


class State:
    """The connection every adapter of one process shares, and its unit of work.

    Writes join one open transaction, which the dispatcher commits at the end of each stage of work:
    a few commits per run, however many stories. `atomic` makes one adapter call all or nothing
    within it. What must follow a commit (files moved into place, garbage removed) is registered
    with `after_commit` and runs once the commit has happened."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        exists = path.exists()
        if not exists and not create:
            raise FileNotFoundError(path)
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.connection.execute("PRAGMA busy_timeout = 60000")
        self.connection.execute("PRAGMA journal_mode = WAL")
        # WAL with synchronous NORMAL: a commit survives a killed process; only a power cut may lose
        # the last commits, never corrupt the database.
        self.connection.execute("PRAGMA synchronous = NORMAL")
        self._after_commit: list[Callable[[], None]] = []
        self._on_rollback: list[Callable[[], None]] = []
        self._depth = 0
        version = self.connection.execute("PRAGMA user_version").fetchone()[0]
        if version == 0 and self.connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            self.connection.close()
            raise StateFormatError(f"{path} is not a database pressrun made")
        if version == 0:
            # One transaction: a run killed here leaves no half-made schema (the site's lock keeps
            # other runs out meanwhile).
            self.connection.executescript(f"BEGIN; {_SCHEMA} PRAGMA user_version = {FORMAT}; COMMIT;")
        elif version < FORMAT:
            steps = "".join(_MIGRATIONS[number] for number in range(version + 1, FORMAT + 1))
            self.connection.executescript(f"BEGIN; {steps} PRAGMA user_version = {FORMAT}; COMMIT;")
        elif version != FORMAT:
            self.connection.close()
            raise StateFormatError(
                f"{path} is in state format {version}, from another version of pressrun (this one reads"
                f" format {FORMAT})"
            )

    def execute(self, sql: str, parameters: tuple[object, ...] | list[object] = ()) -> sqlite3.Cursor:
        return self.connection.execute(sql, parameters)

    def write(self, sql: str, parameters: tuple[object, ...] | list[object] = ()) -> sqlite3.Cursor:
        """Run a statement that changes something, inside the open transaction."""
        self._begin()
        return self.connection.execute(sql, parameters)

    def next_number(self, counter: str) -> int:
        """The next value of a counter that only grows, in the open transaction."""
        self._begin()
        row = self.connection.execute(
            "INSERT INTO counter (name, value) VALUES (?, 1)"
            " ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
            (counter,),
        ).fetchone()
        return int(row[0])

    def write_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        self._begin()
        self.connection.executemany(sql, rows)

    def _begin(self) -> None:
        if not self.connection.in_transaction:
            self.connection.execute("BEGIN IMMEDIATE")

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """All of the block's writes, or none of them."""
        self._begin()
        self._depth += 1
        name = f"step{self._depth}"
        self.connection.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self.connection.execute(f"ROLLBACK TO {name}")
            self.connection.execute(f"RELEASE {name}")
            raise
        else:
            self.connection.execute(f"RELEASE {name}")
        finally:
            self._depth -= 1

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once the open transaction has committed (at once when none is open)."""
        if self.connection.in_transaction:
            self._after_commit.append(action)
        else:
            action()

    def on_rollback(self, action: Callable[[], None]) -> None:
        """Run `action` whenever an open transaction is rolled back (its decisions are void)."""
        self._on_rollback.append(action)

    def commit(self) -> None:
        if self.connection.in_transaction:
            self.connection.execute("COMMIT")
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            action()

    def rollback(self) -> None:
        if self.connection.in_transaction:
            self.connection.execute("ROLLBACK")
        self._after_commit = []
        for action in self._on_rollback:
            action()

    def close(self) -> None:
        self.rollback()
        self.connection.close()
