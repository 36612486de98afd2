"""The site's redirects in `state.db`, which `pressrun serve` answers as the CDN's function does."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pressrun.local.state import DATABASE, STATE_DIR, State


class SqliteRedirects:
    def __init__(self, state: State) -> None:
        self.state = state

    def target(self, path: str) -> str | None:
        row = self.state.execute("SELECT target FROM redirect WHERE path = ?", (path,)).fetchone()
        return str(row[0]) if row else None

    def put(self, path: str, target: str) -> None:
        self.state.write("INSERT OR REPLACE INTO redirect (path, target) VALUES (?, ?)", (path, target))

    def delete(self, path: str) -> None:
        self.state.write("DELETE FROM redirect WHERE path = ?", (path,))

    def everything(self) -> list[tuple[str, str]]:
        """Every redirect (path, target), in path order: what `pressrun dev` hands its emulated table."""
        rows = self.state.execute("SELECT path, target FROM redirect ORDER BY path")
        return [(str(path), str(target)) for path, target in rows]

    def sources_of(self, target: str) -> list[str]:
        rows = self.state.execute("SELECT path FROM redirect WHERE target = ? ORDER BY path", (target,))
        return [str(path) for (path,) in rows]


def redirect_of(site_dir: Path, path: str) -> str | None:
    """Where the site folder's redirects send `path`, read without taking the state's lock (as the
    CDN's function reads its store while the pipeline writes): None when it is no redirect, or the
    folder has no state of this format yet."""
    database = site_dir / STATE_DIR / DATABASE
    if not database.is_file():
        return None
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        row = connection.execute("SELECT target FROM redirect WHERE path = ?", (path,)).fetchone()
    except sqlite3.DatabaseError:
        return None  # a state from before redirects, or no database at all: nothing redirects
    finally:
        connection.close()
    return str(row[0]) if row else None
