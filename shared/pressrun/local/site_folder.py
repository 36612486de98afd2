"""The site bucket is the site folder itself: what `pressrun serve` or any web server serves.

Every key stays inside the folder (`site_path` refuses anything else, and `.pressrun/`). pressrun
deletes only files it wrote itself: each one has a row in `site_file`, with the SHA-256 of its bytes,
so identical bytes are never written again, and the size and time the file had, so that a file is
read again only when someone changed it.

A write goes to a temp file beside the target, and is moved into place (`os.replace`, atomic) only
after the transaction that decided it has committed: the database never says a page is there that
is not, and a run killed between commit and move finishes the move the next time (`recover`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pressrun.local.state import STATE_DIR, State
from pressrun.model import SiteWrite
from pressrun.ports import Announce

TEMP_SUFFIX = ".pressrun-tmp"


class UnsafeKey(ValueError):
    """A site key that would reach outside the site folder, or into pressrun's own state."""


def site_path(root: Path, key: str) -> Path:
    """The file that holds `key`, refusing absolute keys, `..`, empty or hidden-state segments and
    anything a symbolic link would carry outside the folder."""
    parts = key.split("/")
    if (
        not key
        or key.startswith("/")
        or "\\" in key
        or "\0" in key
        or any(part in ("", ".", "..") for part in parts)
        or parts[0] == STATE_DIR
        or parts[-1].endswith(TEMP_SUFFIX)
    ):
        raise UnsafeKey(f"{key!r} is not a key inside the site folder")
    path = root.joinpath(*parts)
    # A folder on the way may be a link someone made; what it points at must be inside too.
    real_parent = Path(os.path.realpath(path.parent))
    real_root = Path(os.path.realpath(root))
    if real_parent != real_root and real_root not in real_parent.parents:
        raise UnsafeKey(f"{key!r} leads outside the site folder")
    return path


def _temp_path(path: Path) -> Path:
    # Named after its target, so that a temp left by a killed run is reused, not multiplied.
    return path.with_name(f".{path.name}{TEMP_SUFFIX}")


def _digest_of_file(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


@dataclass(frozen=True)
class _Known:
    digest: str
    size: int
    mtime_ns: int


@dataclass
class FolderSite:
    """SiteStore on a folder."""

    root: Path
    state: State
    # Keys decided in the open transaction, not yet in place: True to move in, False to remove.
    _pending: dict[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.state.on_rollback(self._forget_pending)

    def put(
        self,
        key: str,
        body: bytes,
        content_type: str,
        *,
        first_write: bool = False,
        announce: Announce | None = None,
    ) -> SiteWrite | None:
        path = site_path(self.root, key)
        digest = hashlib.sha256(body).hexdigest()
        stored = self._stored_digest(key, path)
        if stored == digest:
            return None
        write = SiteWrite(key=key, kind="created" if stored is None else "overwritten", digest=digest)
        if announce is not None:
            announce([write])
        temp = _temp_path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp.write_bytes(body)
        status = temp.stat()
        self.state.write(
            "INSERT OR REPLACE INTO site_file (key, digest, size, mtime_ns, content_type)"
            " VALUES (?, ?, ?, ?, ?)",
            (key, digest, status.st_size, status.st_mtime_ns, content_type),
        )
        self._decide(key, replace=True)
        return write

    def delete(self, key: str, *, announce: Announce | None = None) -> SiteWrite | None:
        path = site_path(self.root, key)
        known = self._known(key)
        if known is None:
            # Not a file pressrun wrote (or none at all): it is not pressrun's to remove.
            return None
        removal = SiteWrite(key=key, kind="deleted", digest=known.digest)
        if announce is not None:
            announce([removal])
        self.state.write("DELETE FROM site_file WHERE key = ?", (key,))
        if self._pending.get(key):
            _temp_path(path).unlink(missing_ok=True)
        self._decide(key, replace=False)
        return removal

    def keys(self, after: str, limit: int) -> list[str]:
        # The files pressrun wrote: the only ones a sweep may find orphaned, or remove.
        rows = self.state.execute(
            "SELECT key FROM site_file WHERE key > ? ORDER BY key LIMIT ?", (after, max(limit, 0))
        ).fetchall()
        return [str(row[0]) for row in rows]

    def read(self, key: str) -> bytes | None:
        path = site_path(self.root, key)
        # A write of the open transaction waits beside its target until the commit.
        if key in self._pending:
            return _temp_path(path).read_bytes() if self._pending[key] else None
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None

    def put_many(
        self,
        pages: dict[str, tuple[bytes, str]],
        folders: Iterable[str] | None = None,
        *,
        announce: Announce | None = None,
    ) -> list[SiteWrite]:
        # One row lookup and one stat per page cost less than reading whole folders would. Each is
        # announced before it is written; locally nothing is in place before the run commits anyway.
        written = (
            self.put(key, body, content_type, announce=announce)
            for key, (body, content_type) in pages.items()
        )
        return [change for change in written if change is not None]

    def content_type(self, key: str) -> str | None:
        row = self.state.execute("SELECT content_type FROM site_file WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _known(self, key: str) -> _Known | None:
        row = self.state.execute(
            "SELECT digest, size, mtime_ns FROM site_file WHERE key = ?", (key,)
        ).fetchone()
        return None if row is None else _Known(*row)

    def _stored_digest(self, key: str, path: Path) -> str | None:
        """The digest of what the key holds (or will hold once the transaction's moves are done)."""
        if key in self._pending:
            known = self._known(key)
            return known.digest if known is not None and self._pending[key] else None
        try:
            status = path.stat()
        except FileNotFoundError:
            return None
        known = self._known(key)
        if known is not None and (known.size, known.mtime_ns) == (status.st_size, status.st_mtime_ns):
            return known.digest
        # Edited by hand since pressrun wrote it, or a file pressrun never wrote: read what is there.
        return _digest_of_file(path)

    def _decide(self, key: str, *, replace: bool) -> None:
        if not self._pending:
            self.state.after_commit(self._move_into_place)
        self._pending[key] = replace
        self.state.write(
            "INSERT OR REPLACE INTO site_pending (key, replace) VALUES (?, ?)", (key, int(replace))
        )

    def _move_into_place(self) -> None:
        pending, self._pending = self._pending, {}
        finish(self.root, self.state, pending)

    def _forget_pending(self) -> None:
        # The transaction's decisions are void; their temp files are reused by the next write.
        self._pending = {}


def finish(root: Path, state: State, pending: dict[str, bool]) -> None:
    """Carry out committed decisions: move temp files into place, remove files; then forget them.

    A move the folder refuses (someone made a folder where the page goes, say) is said on stderr and
    its row dropped, so that the database never claims a page that is not there: the next write of
    that key fails as a step, with the reason, and is set aside rather than stuck."""
    refused = []
    for key, replace in pending.items():
        path = site_path(root, key)
        try:
            if replace:
                # Missing: moved by a run that was killed before it could say so.
                with contextlib.suppress(FileNotFoundError):
                    os.replace(_temp_path(path), path)
            else:
                path.unlink(missing_ok=True)
                _remove_empty_folders(root, path.parent)
        except OSError as error:
            refused.append(key)
            print(f"pressrun: {key} could not be put in place in {root}: {error}", file=sys.stderr)
    keys = json.dumps(list(pending))
    state.execute(
        "DELETE FROM site_file WHERE key IN (SELECT value FROM json_each(?))", (json.dumps(refused),)
    )
    state.execute("DELETE FROM site_pending WHERE key IN (SELECT value FROM json_each(?))", (keys,))


def recover(root: Path, state: State) -> None:
    """Finish what a killed run had committed but not yet moved into place."""
    pending = {key: bool(replace) for key, replace in state.execute("SELECT key, replace FROM site_pending")}
    if pending:
        finish(root, state, pending)


def _remove_empty_folders(root: Path, folder: Path) -> None:
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return  # not empty (or gone): leave it and its parents
        folder = folder.parent
