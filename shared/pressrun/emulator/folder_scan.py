"""What changed in the site folder since the state was saved, without reading every file.

A file whose size and modification time are what the state recorded holds what the state says
(as git's index assumes); one whose time is not older than the state's own is read anyway, since a
later write within the same tick of the clock would leave the same time. A file added or removed
changes its folder's time, so only folders whose time moved are listed again, and a new folder is
listed in full.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class FolderScan:
    unchanged: list[str] = field(default_factory=list)
    # Recorded files whose size or time differ: to be read and compared.
    suspect: list[str] = field(default_factory=list)
    # Files the state has no record of.
    new: list[str] = field(default_factory=list)
    # Every folder there is now (relative, "" for the site folder itself).
    folders: set[str] = field(default_factory=set)
    # Folders whose recorded time is out of date or missing: to be recorded again.
    changed_folders: set[str] = field(default_factory=set)


def relative(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def walk(site_dir: Path, skip: str, start: str = "") -> tuple[list[str], set[str]]:
    """Every file (as a bucket key) and folder under `start`, the folder `skip` at the top left out."""
    files: list[str] = []
    folders: set[str] = set()
    pending = [start]
    while pending:
        folder = pending.pop()
        folders.add(folder)
        with os.scandir(site_dir / folder if folder else site_dir) as entries:
            for entry in entries:
                if not folder and entry.name == skip:
                    continue
                if entry.is_dir():
                    if not entry.is_symlink():
                        pending.append(relative(folder, entry.name))
                else:
                    files.append(relative(folder, entry.name))
    return files, folders


def scan(
    site_dir: Path,
    files: Mapping[str, tuple[int, int]],
    folders: Mapping[str, int],
    saved_at_ns: int,
    skip: str,
) -> FolderScan:
    """Compare the site folder with the recorded files ((size, mtime_ns) by key) and folders."""
    found = FolderScan()
    relist = []
    # Paths as strings: a Path for each of ~20,000 files and folders costs more than their stat.
    base = str(site_dir)
    for folder, recorded in folders.items():
        try:
            status = os.stat(f"{base}/{folder}" if folder else base)
        except (FileNotFoundError, NotADirectoryError):
            found.changed_folders.add(folder)
            continue
        if not stat.S_ISDIR(status.st_mode):
            found.changed_folders.add(folder)
            continue
        found.folders.add(folder)
        if status.st_mtime_ns != recorded or status.st_mtime_ns >= saved_at_ns:
            relist.append(folder)
            found.changed_folders.add(folder)
    if "" not in folders:
        relist.append("")
        found.folders.add("")
        found.changed_folders.add("")
    for folder in relist:
        _relist(site_dir, folder, files, folders, skip, found)
    for key, (size, mtime_ns) in files.items():
        try:
            status = os.stat(f"{base}/{key}")
        except (FileNotFoundError, NotADirectoryError):
            continue
        if not stat.S_ISREG(status.st_mode):
            continue
        if status.st_size == size and status.st_mtime_ns == mtime_ns and mtime_ns < saved_at_ns:
            found.unchanged.append(key)
        else:
            found.suspect.append(key)
    return found


def _relist(
    site_dir: Path,
    folder: str,
    files: Mapping[str, tuple[int, int]],
    folders: Mapping[str, int],
    skip: str,
    found: FolderScan,
) -> None:
    with os.scandir(site_dir / folder if folder else site_dir) as entries:
        listed = list(entries)
    for entry in listed:
        path = relative(folder, entry.name)
        if not folder and entry.name == skip:
            continue
        if entry.is_dir():
            if path not in folders and not entry.is_symlink():
                new_files, new_folders = walk(site_dir, skip, path)
                found.new += new_files
                found.folders |= new_folders
                found.changed_folders |= new_folders
        elif path not in files:
            found.new.append(path)


def ancestors(keys: Iterable[str]) -> set[str]:
    """The folders that hold these keys, up to the site folder ("")."""
    folders = {""}
    for key in keys:
        parts = key.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folders.add("/".join(parts[:depth]))
    return folders
