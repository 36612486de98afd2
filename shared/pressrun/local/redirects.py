"""RedirectStore for the local engine: `DIR/.pressrun/redirects.json`, one object of old path → new path.

Written whole through a temp file and a rename, so a reader never sees half a file, under a lock of its
own, so that the workers of a parallel run (local/parallel.py) never lose each other's changes. It is
outside the state database's transactions: every change to it is settled again from the articles'
records (pressrun.previews), so a run killed after a change here and before its commit is put right
by running the same command again.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REDIRECTS_FILE = "redirects.json"
_LOCK_FILE = "redirects.lock"


class FolderRedirects:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / REDIRECTS_FILE
        self._lock = state_dir / _LOCK_FILE

    def target(self, path: str) -> str | None:
        return self.all().get(path)

    def put(self, path: str, target: str) -> None:
        with self._changing() as redirects:
            redirects[path] = target

    def delete(self, path: str) -> None:
        with self._changing() as redirects:
            redirects.pop(path, None)

    def all(self) -> dict[str, str]:
        try:
            redirects: dict[str, str] = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return {}
        return redirects

    @contextmanager
    def _changing(self) -> Iterator[dict[str, str]]:
        with self._lock.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            redirects = self.all()
            before = dict(redirects)
            yield redirects
            if redirects == before:
                return
            handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".redirects-", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(redirects, out, indent=1, sort_keys=True, ensure_ascii=False)
            os.replace(temp, self.path)
