"""The local state's database (format 3): one SQLite file, `.pressrun/state.db`.

A row for each table item, upload, site object and site folder, so that a run reads only the rows
it needs in full and writes only the rows that changed, in one transaction: the whole state as one
JSON document cost a run into a 10,000-article site ~1 s to parse and ~1 s to write again.
Items and site objects keep their JSON as text: it is parsed only for what the run reads.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS value (name TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS item (
    tbl TEXT NOT NULL, hash_type TEXT NOT NULL, hash TEXT NOT NULL,
    range_type TEXT NOT NULL, range TEXT NOT NULL, json TEXT NOT NULL, size INTEGER NOT NULL,
    PRIMARY KEY (tbl, hash_type, hash, range_type, range)
);
CREATE TABLE IF NOT EXISTS upload (
    key TEXT PRIMARY KEY, version_id TEXT, blob TEXT NOT NULL, etag TEXT NOT NULL, size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS site (
    key TEXT PRIMARY KEY, etag TEXT NOT NULL, metadata TEXT NOT NULL,
    checksum_algorithm TEXT, checksum_value TEXT, checksum_type TEXT,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS folder (path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class SiteEntry:
    """What S3 keeps of a site object besides its bytes, and the file's size and time when saved."""

    etag: str
    metadata: str  # JSON
    checksum: tuple[str | None, str | None, str | None] | None
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class UploadEntry:
    key: str
    version_id: str | None
    blob: str  # the SHA-256 of its bytes, the name of their file in .pressrun/uploads/
    etag: str
    size: int


@dataclass(frozen=True)
class ItemRow:
    """A table item's key as the state keeps it: type and value of its hash and range attributes
    (range_type "" for a table without a range key)."""

    hash_type: str
    hash: str
    range_type: str
    range: str


class StateStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        # Items are read when first used, which under `pressrun dev` is on moto's server thread.
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._connection.executescript(_SCHEMA)

    @property
    def saved_at_ns(self) -> int:
        """When the state was last written, on the file system's clock."""
        return self.path.stat().st_mtime_ns

    def close(self) -> None:
        self._connection.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            self._connection.execute("BEGIN")
            try:
                yield
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    # --- reading ----------------------------------------------------------------------------------

    def value(self, name: str, default: Any) -> Any:
        found = self._connection.execute("SELECT json FROM value WHERE name = ?", (name,)).fetchone()
        return default if found is None else json.loads(found[0])

    def item_rows(self, table: str) -> list[tuple[str, str, str, str, int, int]]:
        """(hash type, hash, range type, range, size, row) of every item of a table."""
        return self._connection.execute(
            "SELECT hash_type, hash, range_type, range, size, rowid FROM item WHERE tbl = ?", (table,)
        ).fetchall()

    def item(self, row: int) -> str:
        with self._lock:
            found = self._connection.execute("SELECT json FROM item WHERE rowid = ?", (row,)).fetchone()
        if found is None:
            raise KeyError(f"{self.path}: no item in row {row}")
        text: str = found[0]
        return text

    def uploads(self) -> list[UploadEntry]:
        return [
            UploadEntry(*row)
            for row in self._connection.execute("SELECT key, version_id, blob, etag, size FROM upload")
        ]

    def site(self) -> dict[str, SiteEntry]:
        entries = {}
        for key, etag, metadata, algorithm, value, kind, size, mtime_ns in self._connection.execute(
            "SELECT key, etag, metadata, checksum_algorithm, checksum_value, checksum_type, size, mtime_ns"
            " FROM site"
        ):
            checksum = (algorithm, value, kind) if value is not None else None
            entries[key] = SiteEntry(etag, metadata, checksum, size, mtime_ns)
        return entries

    def folders(self) -> dict[str, int]:
        return dict(self._connection.execute("SELECT path, mtime_ns FROM folder").fetchall())

    # --- writing, inside `transaction` ------------------------------------------------------------

    def set_value(self, name: str, value: Any) -> None:
        self._connection.execute(
            "INSERT OR REPLACE INTO value (name, json) VALUES (?, ?)", (name, json.dumps(value))
        )

    def put_items(self, table: str, items: Iterable[tuple[ItemRow, str, int]]) -> None:
        """Items as (key, JSON, size as DynamoDB counts it)."""
        self._connection.executemany(
            "INSERT OR REPLACE INTO item (tbl, hash_type, hash, range_type, range, json, size)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (table, key.hash_type, key.hash, key.range_type, key.range, text, size)
                for key, text, size in items
            ),
        )

    def delete_items(self, rows: Iterable[int]) -> None:
        self._connection.executemany("DELETE FROM item WHERE rowid = ?", ((row,) for row in rows))

    def put_uploads(self, uploads: Iterable[UploadEntry]) -> None:
        self._connection.executemany(
            "INSERT OR REPLACE INTO upload (key, version_id, blob, etag, size) VALUES (?, ?, ?, ?, ?)",
            ((u.key, u.version_id, u.blob, u.etag, u.size) for u in uploads),
        )

    def delete_uploads(self, keys: Iterable[str]) -> None:
        self._connection.executemany("DELETE FROM upload WHERE key = ?", ((key,) for key in keys))

    def put_site(self, entries: Iterable[tuple[str, SiteEntry]]) -> None:
        self._connection.executemany(
            "INSERT OR REPLACE INTO site (key, etag, metadata, checksum_algorithm, checksum_value,"
            " checksum_type, size, mtime_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (key, e.etag, e.metadata, *(e.checksum or (None, None, None)), e.size, e.mtime_ns)
                for key, e in entries
            ),
        )

    def delete_site(self, keys: Iterable[str]) -> None:
        self._connection.executemany("DELETE FROM site WHERE key = ?", ((key,) for key in keys))

    def put_folders(self, folders: Iterable[tuple[str, int]]) -> None:
        self._connection.executemany("INSERT OR REPLACE INTO folder (path, mtime_ns) VALUES (?, ?)", folders)

    def delete_folders(self, paths: Iterable[str]) -> None:
        self._connection.executemany("DELETE FROM folder WHERE path = ?", ((path,) for path in paths))
