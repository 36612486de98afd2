"""A site on this machine: its folder, its state, the uploads an editor makes and what they became.

    with LocalSite(Path("site"), {"site_url": "https://news.example.com"}) as site:
        site.upload("story.md", data, source="stories/story.md")
        site.drain()
        print(site.summary())

Entering takes the folder's lock, finishes what a killed run left committed but undone, and reads
the remembered settings; leaving commits, forgets upload versions nothing needs any more, and only
then deletes their bytes. A run that fails is rolled back: its work is still owed, and the same
command run again does it.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from pressrun.images import is_image_key
from pressrun.invalidation import plan_invalidation
from pressrun.local import folder, remembered
from pressrun.local.chaos import Chaos
from pressrun.local.dispatcher import Dispatcher, LocalPorts, Progress
from pressrun.local.log import StepLog
from pressrun.local.site_folder import recover
from pressrun.local.state import DATABASE, State
from pressrun.local.summary import Failed, PreviewLink, Published, Rejected, Scheduled, Summary
from pressrun.local.uploads import upload_key
from pressrun.model import Problem
from pressrun.previews import answers
from pressrun.search import SearchRun
from pressrun.sweep_state import Budget, SweepReport
from pressrun.urls import absolute

LOG_FILE = "functions.log"


# A budget no local site reaches: a local sweep checks everything it holds.
_WHOLE = 10**9


class LocalSite:
    def __init__(
        self,
        site_dir: Path,
        given: Mapping[str, object] | None = None,
        *,
        now: datetime | None = None,
        chaos: float = 0.0,
        seed: int = 0,
        create: bool = True,
        may_change_settings: bool = False,
        progress: Progress | None = None,
    ) -> None:
        self.site_dir = site_dir
        self._given = dict(given or {})
        self.now = now or datetime.now(UTC)
        self.chaos = Chaos(chaos, seed) if chaos else None
        self._create = create
        self._may_change_settings = may_change_settings
        self._progress = progress
        self._uploaded: dict[str, str] = {}
        self._removed: list[str] = []
        self._lock: AbstractContextManager[None] | None = None
        self.settings_changed: list[str] = []

    def __enter__(self) -> LocalSite:
        state_dir = folder.claim(self.site_dir, create=self._create)
        self._lock = folder.locked(state_dir)
        self._lock.__enter__()
        try:
            self._open(state_dir)
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self

    def _open(self, state_dir: Path) -> None:
        self.settings, self.settings_changed = remembered.resolve(
            state_dir, self._given, may_change=self._may_change_settings
        )
        self.state = State(state_dir / DATABASE)
        try:
            recover(self.site_dir, self.state)
            self.ports = LocalPorts.open(self.site_dir, self.state, lambda: self.now)
            self.uploads = self.ports.uploads
            self.uploads.collect_garbage()
            self.log = StepLog(state_dir / LOG_FILE)
        except BaseException:
            self.state.close()
            raise
        self.dispatcher = Dispatcher(
            self.ports, self.settings, self.now, self.log, chaos=self.chaos, progress=self._progress
        )

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            if kind is None:
                self.state.commit()
                self.uploads.expire_noncurrent()
                self.state.commit()
                self.uploads.collect_garbage()
                # Last: every page the pings announce is written and committed by now.
                self.dispatcher.send_pings()
            else:
                self.state.rollback()
        finally:
            self.dispatcher.close()
            self.log.close()
            self.state.close()
            if self._lock is not None:
                self._lock.__exit__(None, None, None)

    # --- what an editor does --------------------------------------------------------------------

    def upload(self, name: str, data: bytes | Path, source: str | None = None) -> str:
        """Put a file under incoming/, as an editor would: its bytes, or the file to read them from.
        `source` is how the summary names it. A file whose bytes are exactly what is published from
        that name already changes nothing."""
        key = upload_key(name)
        self._uploaded[key] = source or key
        where = os.path.abspath(source) if source else ""
        if not self._unchanged(key, data):
            self.uploads.put(key, data, where)
        elif where:
            self.state.write(
                "UPDATE upload_version SET source = ? WHERE key = ? AND blob IS NOT NULL", (where, key)
            )
        return key

    def _unchanged(self, key: str, data: bytes | Path) -> bool:
        current = self.uploads.current(key)
        if current is None:
            return False
        if isinstance(data, bytes):
            digest = hashlib.sha256(data).hexdigest()
        else:
            with data.open("rb") as file:
                digest = hashlib.file_digest(file, "sha256").hexdigest()
        if current.blob != digest:
            return False
        if is_image_key(key):
            image = self.ports.images.current(key)
            return image is not None and image.source_version == current.version_id
        record = self.ports.articles.current(key)
        set_aside = self.state.execute(
            "SELECT 1 FROM dead_letter WHERE source = ? LIMIT 1", (key,)
        ).fetchone()
        return (
            record is not None
            and record.source_version == current.version_id
            and record.status != "rejected"
            and not record.rejected_sequencer
            and set_aside is None
        )

    def remove(self, name: str) -> str | None:
        """Delete an upload by the name publish gave it (or the file it came from); None if none."""
        key = self.find(name)
        if key is None or self.uploads.delete(key) is None:
            return None
        self._removed.append(key)
        return key

    def find(self, name: str) -> str | None:
        current = self.uploads.current_names()
        if upload_key(name) in current:
            return upload_key(name)
        where = os.path.abspath(name)
        matches = [key for key, source in current.items() if source == where]
        return matches[-1] if matches else None

    def suggestions(self, name: str) -> list[str]:
        """The names closest to one that matched nothing, as publish printed them."""
        names = set()
        for key, source in self.uploads.current_names().items():
            names.add(key.removeprefix("incoming/"))
            if source:
                names.add(os.path.relpath(source))
        return difflib.get_close_matches(name, sorted(names), n=3, cutoff=0.5)

    # --- the pipeline ---------------------------------------------------------------------------

    def drain(self) -> None:
        self.dispatcher.drain()

    def search(self) -> SearchRun | None:
        """Build the search bundle again if the site changed since its last build, at most once
        every SEARCH_INDEX_INTERVAL_MINUTES on this run's clock (each command calls it once, after
        its work: a command is one batch, however many stories it publishes)."""
        return self.dispatcher.refresh_search()

    def rebuild(self) -> tuple[int, int]:
        """Re-render every page; (stories, listings) rendered."""
        counts = self.dispatcher.plan_rebuild()
        self.dispatcher.drain()
        return counts

    def redrive(self) -> dict[str, int]:
        return self.dispatcher.redrive()

    def reconcile(self) -> SweepReport:
        """One reconciliation sweep over the whole site (locally the archive is small enough to check
        at once), then what it set going."""
        report = self.dispatcher.sweep(
            Budget(uploads=_WHOLE, articles=_WHOLE, listing_entries=_WHOLE, site_keys=_WHOLE)
        )
        self.dispatcher.drain()
        return report

    # --- what it did ----------------------------------------------------------------------------

    def failures(self) -> list[Failed]:
        by_queue: dict[str, set[str]] = {}
        for letter in self.ports.work.dead_letters():
            by_queue.setdefault(letter.queue, set()).add(letter.source)
        return [Failed(queue=queue, sources=sorted(sources)) for queue, sources in sorted(by_queue.items())]

    def invalidated_paths(self) -> list[str]:
        changes = self.ports.invalidations.changes
        return list(plan_invalidation(changes).items) if changes else []

    def summary(self) -> Summary:
        summary = Summary(
            removed=list(self._removed), invalidated=self.invalidated_paths(), failed=self.failures()
        )
        released = {key: key for key in self.dispatcher.released if key not in self._uploaded}
        site_url = self.settings.site_url
        for key, source in {**self._uploaded, **released}.items():
            report = self.uploads.report(key)
            record = self.ports.articles.current(key)
            if report is not None:
                errors: list[dict[str, Any]] = json.loads(report)["errors"]
                summary.rejected.append(
                    Rejected(source=source, errors=[Problem.model_validate(error) for error in errors])
                )
            elif record is not None and record.status == "draft":
                summary.drafts.append(source)
            elif record is not None and record.status == "scheduled" and record.published_at is not None:
                summary.scheduled.append(
                    Scheduled(source=source, url=absolute(site_url, record.path), at=record.published_at)
                )
            elif record is not None and record.is_live:
                summary.published.append(
                    Published(
                        source=source,
                        url=absolute(site_url, record.path),
                        categories=[category.name for category in record.categories],
                    )
                )
            if record is not None and record.preview is not None and answers(record, self.now):
                summary.previews.append(
                    PreviewLink(
                        source=source,
                        url=absolute(site_url, record.preview.path),
                        expires=record.preview.expires,
                    )
                )
        return summary
