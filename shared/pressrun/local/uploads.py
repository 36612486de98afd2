"""The uploads bucket on this machine: versioned, content-addressed, with the events S3 would send.

Bytes are files named by their SHA-256 under `.pressrun/uploads/`, so the same story published
twice is stored once. Every change (a new version, a delete marker, a version deleted) is a row
with a sequencer that only grows, as S3's does, and queues the event S3 would send, in the same
transaction. Reports for the editor are files under `.pressrun/reports/` (refusals, `rejected/` in the
bucket) and `.pressrun/previews/` (drafts' preview addresses, `previews/`), beside nothing else.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from pressrun.images import is_image_key
from pressrun.ingest import INCOMING, PREVIEWS, REJECTED, Change, Upload, report_key
from pressrun.local.state import State
from pressrun.local.work import Kind, WorkQueue
from pressrun.sweep_state import UploadState, UploadVersion

BUCKET = "uploads"
BLOBS = "uploads"
REPORTS = "reports"
PREVIEW_REPORTS = "previews"
# Fixed width: sequencers of one length compare the same whichever way the shorter would be padded.
_SEQUENCER_DIGITS = 16
_COUNTER = "upload sequencer"
_BLOCK = 1 << 20
# The modification time of a version stored before the column existed: long past.
_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Version:
    key: str
    version_id: str
    sequencer: int
    blob: str | None
    source: str

    @property
    def is_delete_marker(self) -> bool:
        return self.blob is None


def _safe_relative(name: str) -> list[str]:
    parts = name.split("/")
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or "\0" in name
        or any(p in ("", ".", "..") for p in parts)
    ):
        raise ValueError(f"{name!r} is not a plain relative name")
    return parts


class LocalUploads:
    """UploadStore, plus what an editor does to the bucket: put, delete, delete one version."""

    def __init__(self, state_dir: Path, state: State, work: WorkQueue, clock: Callable[[], datetime]) -> None:
        self.state = state
        self.work = work
        self.blobs = state_dir / BLOBS
        self.reports = state_dir / REPORTS
        self.previews = state_dir / PREVIEW_REPORTS
        self._clock = clock

    # --- the port -----------------------------------------------------------------------------

    def read(self, key: str, version_id: str | None, limit: int) -> bytes | None:
        version = self._version(key, version_id) if version_id is not None else self._newest(key)
        if version is None or version.blob is None:
            return None
        with (self.blobs / version.blob).open("rb") as file:
            return file.read(limit + 1)

    def current_version(self, key: str) -> str | None:
        newest = self._newest(key)
        return None if newest is None or newest.is_delete_marker else newest.version_id

    def write_report(self, key: str, body: bytes) -> None:
        path = self._report_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.tmp")
        temp.write_bytes(body)
        os.replace(temp, path)

    def history(self, key: str) -> list[UploadVersion]:
        return [
            UploadVersion(version_id=version.version_id, delete_marker=version.is_delete_marker)
            for version in reversed(self.versions(key))
        ]

    def delete_report(self, key: str) -> bool:
        try:
            self._report_path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    # --- what an editor does ------------------------------------------------------------------

    def put(self, key: str, data: bytes | Path, source: str = "") -> Upload:
        """A new version of the key (its bytes, or a file to copy them from), and its event. A file
        is copied a block at a time: an upload of any size costs no memory."""
        blob, size = self._store(io.BytesIO(data) if isinstance(data, bytes) else data.open("rb"))
        return self._change(key, blob, source, Change.CREATED, size)

    def delete(self, key: str) -> Upload | None:
        """A delete marker, as a plain DELETE on a versioned bucket makes; None if the key serves nothing."""
        newest = self._newest(key)
        if newest is None or newest.is_delete_marker:
            return None
        return self._change(key, None, newest.source, Change.DELETE_MARKER, 0)

    def delete_version(self, key: str, version_id: str) -> Upload | None:
        """Remove one version for good (a delete marker too: that undeletes); None when there is none."""
        version = self._version(key, version_id)
        if version is None:
            return None
        self.state.write("DELETE FROM upload_version WHERE version_id = ?", (version_id,))
        if version.blob is not None:
            self.state.write("INSERT OR IGNORE INTO garbage (blob) VALUES (?)", (version.blob,))
        upload = Upload(
            bucket=BUCKET,
            key=key,
            version_id=version_id,
            sequencer=self._next_sequencer(),
            change=Change.VERSION_DELETED,
            event_time=self._clock(),
        )
        self.work.add(_kind(key), key, upload.model_dump_json(), version_id)
        return upload

    def latest(self, prefix: str) -> Iterator[UploadState]:
        rows = self.state.execute(
            "SELECT v.key, v.version_id, v.blob, v.modified_at FROM upload_version v"
            " JOIN (SELECT key, max(sequencer) AS newest FROM upload_version GROUP BY key) n"
            " ON v.key = n.key AND v.sequencer = n.newest WHERE v.key >= ? ORDER BY v.key",
            (prefix,),
        ).fetchall()
        for key, version_id, blob, modified in rows:
            if not key.startswith(prefix):
                break
            moment = datetime.fromisoformat(modified) if modified else _LONG_AGO
            yield UploadState(key=key, version_id=version_id if blob else None, last_modified=moment)

    def reannounce(self, key: str) -> None:
        newest = self._newest(key)
        if newest is None:
            return
        if newest.is_delete_marker:
            self._change(key, None, newest.source, Change.DELETE_MARKER, 0)
        else:
            self._change(key, newest.blob, newest.source, Change.CREATED, self._size(newest))

    def versions(self, key: str) -> list[Version]:
        rows = self.state.execute(
            "SELECT key, version_id, sequencer, blob, source FROM upload_version"
            " WHERE key = ? ORDER BY sequencer",
            (key,),
        ).fetchall()
        return [Version(row[0], row[1], row[2], row[3], row[4]) for row in rows]

    def current(self, key: str) -> Version | None:
        """The version the key serves now (not a delete marker), or None."""
        newest = self._newest(key)
        return None if newest is None or newest.is_delete_marker else newest

    def current_names(self) -> dict[str, str]:
        """Every key that serves something now, with the file it was published from."""
        rows = self.state.execute(
            "SELECT v.key, v.source FROM upload_version v"
            " JOIN (SELECT key, max(sequencer) AS newest FROM upload_version GROUP BY key) n"
            " ON v.key = n.key AND v.sequencer = n.newest WHERE v.blob IS NOT NULL"
        ).fetchall()
        return {row[0]: row[1] for row in rows}

    def report(self, key: str) -> bytes | None:
        """The editor's report for an upload key, if it has one."""
        return self.read_report(report_key(key))

    def read_report(self, key: str) -> bytes | None:
        """The report stored under a report key (rejected/<name>.report.json, previews/<name>.json)."""
        try:
            return self._report_path(key).read_bytes()
        except FileNotFoundError:
            return None

    def expire_noncurrent(self) -> int:
        """Forget versions that are neither current, nor what an article was rendered from, nor owed
        work: S3's lifecycle rule for noncurrent versions, without its event. Their blobs become
        garbage, removed once this commits (`collect_garbage`). How many versions went."""
        self.state.write(
            "CREATE TEMP TABLE IF NOT EXISTS expiring (sequencer INTEGER PRIMARY KEY, blob TEXT)"
        )
        self.state.write("DELETE FROM temp.expiring")
        self.state.write(
            "INSERT INTO temp.expiring SELECT v.sequencer, v.blob FROM upload_version v"
            " WHERE v.sequencer < (SELECT max(sequencer) FROM upload_version n WHERE n.key = v.key)"
            " AND v.version_id NOT IN (SELECT source_version FROM article WHERE source_version IS NOT NULL)"
            " AND v.version_id NOT IN (SELECT version_id FROM work WHERE version_id IS NOT NULL)"
            " AND v.version_id NOT IN (SELECT version_id FROM dead_letter WHERE version_id IS NOT NULL)"
            " AND v.version_id NOT IN (SELECT source_version FROM image WHERE source_version IS NOT NULL)"
        )
        expired = int(self.state.execute("SELECT count(*) FROM temp.expiring").fetchone()[0])
        if expired:
            self.state.write(
                "INSERT OR IGNORE INTO garbage (blob) SELECT blob FROM temp.expiring WHERE blob IS NOT NULL"
            )
            self.state.write(
                "DELETE FROM upload_version WHERE sequencer IN (SELECT sequencer FROM temp.expiring)"
            )
        return expired

    def collect_garbage(self) -> None:
        """Delete the blobs that no version refers to any more. Only ever after the commit that let go
        of them, so that a killed run never leaves a version without its bytes."""
        if self.state.connection.in_transaction:
            raise RuntimeError("garbage is collected only once what let go of it has committed")
        blobs = [row[0] for row in self.state.execute("SELECT blob FROM garbage")]
        for blob in blobs:
            referenced = self.state.execute(
                "SELECT 1 FROM upload_version WHERE blob = ? LIMIT 1", (blob,)
            ).fetchone()
            if referenced is None:
                (self.blobs / blob).unlink(missing_ok=True)
            self.state.execute("DELETE FROM garbage WHERE blob = ?", (blob,))

    # --- another engine's changes (`pressrun dev`) -----------------------------------------------

    def adopt(self, key: str, data: bytes | None, version_id: str, modified_at: datetime) -> None:
        """A version another engine made (None: a delete marker), after every version there is. Its
        event was followed where it was made: no work is queued."""
        blob, size = self._store(io.BytesIO(data)) if data is not None else (None, 0)
        self.state.write(
            "INSERT INTO upload_version (sequencer, key, version_id, blob, size, source, modified_at)"
            " VALUES (?, ?, ?, ?, ?, '', ?)",
            (self.state.next_number(_COUNTER), key, version_id, blob, size, modified_at.isoformat()),
        )

    def forget(self, version_id: str) -> None:
        """A version another engine removed for good; its bytes go once nothing refers to them."""
        row = self.state.execute(
            "SELECT blob FROM upload_version WHERE version_id = ?", (version_id,)
        ).fetchone()
        if row is None:
            return
        self.state.write("DELETE FROM upload_version WHERE version_id = ?", (version_id,))
        if row[0] is not None:
            self.state.write("INSERT OR IGNORE INTO garbage (blob) VALUES (?)", (row[0],))

    def last_sequencer(self) -> int:
        """The sequencer of the last change, as a number (0 before any)."""
        row = self.state.execute("SELECT value FROM counter WHERE name = ?", (_COUNTER,)).fetchone()
        return 0 if row is None else int(row[0])

    def follow_sequencers(self, last: int) -> None:
        """Make the next change's sequencer come after `last`, another engine's latest: a record's
        sequencer from there must never look newer than an upload made here afterwards."""
        self.state.write(
            "INSERT INTO counter (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
            (_COUNTER, last),
        )

    # --- inside -------------------------------------------------------------------------------

    def _store(self, source: BinaryIO) -> tuple[str, int]:
        """The bytes kept under their SHA-256 (once, however many versions share them)."""
        self.blobs.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with (
            source,
            tempfile.NamedTemporaryFile(dir=self.blobs, prefix=".", suffix=".tmp", delete=False) as temp,
        ):
            while block := source.read(_BLOCK):
                digest.update(block)
                temp.write(block)
                size += len(block)
        blob = digest.hexdigest()
        if (self.blobs / blob).exists():
            os.unlink(temp.name)
        else:
            os.replace(temp.name, self.blobs / blob)
        return blob, size

    def _change(self, key: str, blob: str | None, source: str, change: Change, size: int) -> Upload:
        sequencer = self._next_sequencer()
        version_id = sequencer.lower()
        self.state.write(
            "INSERT INTO upload_version (sequencer, key, version_id, blob, size, source, modified_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (int(sequencer, 16), key, version_id, blob, size, source, self._clock().isoformat()),
        )
        upload = Upload(
            bucket=BUCKET,
            key=key,
            version_id=version_id,
            sequencer=sequencer,
            change=change,
            event_time=self._clock(),
            # As S3's event: the size of a created object, which a limit can refuse without a read.
            size=size if change is Change.CREATED else None,
        )
        self.work.add(_kind(key), key, upload.model_dump_json(), version_id)
        return upload

    def _size(self, version: Version) -> int:
        row = self.state.execute(
            "SELECT size FROM upload_version WHERE version_id = ?", (version.version_id,)
        ).fetchone()
        return int(row[0]) if row else 0

    def _next_sequencer(self) -> str:
        return f"{self.state.next_number(_COUNTER):0{_SEQUENCER_DIGITS}X}"

    def _newest(self, key: str) -> Version | None:
        row = self.state.execute(
            "SELECT key, version_id, sequencer, blob, source FROM upload_version WHERE key = ?"
            " ORDER BY sequencer DESC LIMIT 1",
            (key,),
        ).fetchone()
        return None if row is None else Version(*row)

    def _version(self, key: str, version_id: str) -> Version | None:
        row = self.state.execute(
            "SELECT key, version_id, sequencer, blob, source FROM upload_version"
            " WHERE version_id = ? AND key = ?",
            (version_id, key),
        ).fetchone()
        return None if row is None else Version(*row)

    def _report_path(self, key: str) -> Path:
        if key.startswith(PREVIEWS):
            return self.previews.joinpath(*_safe_relative(key.removeprefix(PREVIEWS)))
        if not key.startswith(REJECTED):
            raise ValueError(f"{key!r} is not a report key")
        return self.reports.joinpath(*_safe_relative(key.removeprefix(REJECTED)))


def _kind(key: str) -> Kind:
    """Which queue the bucket's event goes to: as the image rule and the uploads rule route it."""
    return Kind.IMAGE if is_image_key(key) else Kind.UPLOAD


def upload_key(name: str) -> str:
    return name if name.startswith(INCOMING) else f"{INCOMING}{name}"
