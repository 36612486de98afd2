"""Whose folder it is, and who is working in it: pressrun takes a folder that is new, empty or its
own, and one run at a time works in it (`fcntl.flock` on `.pressrun/lock`)."""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pressrun.local.state import DATABASE, STATE_DIR

LOCK_FILE = "lock"
# What pressrun's earlier, moto-based engine kept beside its database.
_EARLIER_ENGINE_MARK = "state.json"


class FolderRefused(Exception):
    """A folder pressrun will not publish into, with why and what to do."""


def claim(site_dir: Path, *, create: bool) -> Path:
    """The site's state folder, made if `create` and the site folder is new or empty.

    A folder that holds files and no `.pressrun/` is someone else's: publishing into it would mix
    pressrun's pages with them, so it is refused, never cleared."""
    state_dir = site_dir / STATE_DIR
    if state_dir.is_dir():
        if (state_dir / _EARLIER_ENGINE_MARK).exists():
            raise FolderRefused(
                f"{site_dir} was published by an earlier pressrun, whose state this version does not read."
                " Publish your stories into a new folder (the old one is left as it was)."
            )
        return state_dir
    if site_dir.exists() and not site_dir.is_dir():
        raise FolderRefused(f"{site_dir} is a file, not a folder")
    if not create:
        raise FolderRefused(f"{site_dir} holds no published site; run pressrun publish first")
    if site_dir.is_dir():
        found = sorted(entry.name for entry in site_dir.iterdir())
        if found:
            shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
            raise FolderRefused(
                f"{site_dir} already holds files that pressrun did not write ({shown}); pressrun publishes"
                " only into a new or empty folder, or one it published before. Choose another --site."
            )
    state_dir.mkdir(parents=True, exist_ok=True)
    return state_dir


def has_state(site_dir: Path) -> bool:
    return (site_dir / STATE_DIR / DATABASE).exists()


@contextmanager
def locked(state_dir: Path, *, wait: bool = True) -> Iterator[None]:
    """Hold the site's lock; a second run waits for the first (saying so), or refuses if told not to."""
    descriptor = os.open(state_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip() or "another process"
            if not wait:
                raise FolderRefused(
                    f"another pressrun (process {holder}) is working in {state_dir.parent};"
                    " try again when it is done"
                ) from None
            print(
                f"waiting for another pressrun (process {holder}) to finish in {state_dir.parent}…",
                file=sys.stderr,
                flush=True,
            )
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        os.close(descriptor)  # closing the last descriptor releases the lock
