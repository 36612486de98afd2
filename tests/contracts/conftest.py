"""One contract per port, run against every adapter of it.

Each port's fixture is parametrized over a table of factories below: the in-memory fakes
(`tests/fakes.py`) and the local adapters (`pressrun.local`). The AWS adapters join by adding a
factory under "dynamodb_on_moto" / "s3_on_moto" / "scheduler_on_moto" to the tables: the factory
takes pytest's `tmp_path` and returns the harness the tests use (the port itself, plus the few
things a test must do or see that the port does not offer, such as an editor's upload).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pytest

from pressrun.local.articles import SqliteArticles
from pressrun.local.images import SqliteImages
from pressrun.local.index import SqliteIndex
from pressrun.local.scheduler import SqliteScheduler
from pressrun.local.site_folder import FolderSite
from pressrun.local.state import State
from pressrun.local.uploads import LocalUploads
from pressrun.local.work import WorkQueue
from pressrun.ports import (
    ArticleRepository,
    CategoryIndex,
    ImageRepository,
    LiveArticles,
    ReleasableArticles,
    Scheduler,
    SiteStore,
    UploadStore,
)
from pressrun.scheduling import Release
from tests.fakes import MemoryArticles, MemoryImages, MemoryIndex, MemorySite, MemoryUploads
from tests.unit.test_scheduling import RecordingScheduler

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class Articles(ArticleRepository, ReleasableArticles, LiveArticles, Protocol):
    """The articles table serves three ports; every adapter of it serves all three."""


class UploadsHarness(Protocol):
    store: UploadStore

    def put(self, key: str, data: bytes) -> str:
        """Upload a new version, as an editor would; its version id."""
        ...

    def delete(self, key: str) -> None:
        """Delete the key as an editor would (a delete marker in a versioned bucket)."""
        ...

    def delete_version(self, key: str, version_id: str) -> None: ...

    def report(self, key: str) -> bytes | None:
        """The report stored under a report key."""
        ...


class SiteHarness(Protocol):
    store: SiteStore

    def read(self, key: str) -> bytes | None:
        """What a reader of the bucket gets for the key now."""
        ...


class SchedulerHarness(Protocol):
    scheduler: Scheduler

    def pending(self) -> dict[str, tuple[datetime, Release]]: ...


# --- in memory --------------------------------------------------------------------------------


@dataclass
class MemoryUploadsHarness:
    store: MemoryUploads = field(default_factory=MemoryUploads)
    versions: int = 0

    def put(self, key: str, data: bytes) -> str:
        self.versions += 1
        self.store.add(key, data, version_id=f"v{self.versions}")
        return f"v{self.versions}"

    def delete(self, key: str) -> None:
        self.store.current[key] = None

    def delete_version(self, key: str, version_id: str) -> None:
        older = [v for (k, v) in self.store.objects if k == key and v != version_id]
        current = self.store.current.get(key)
        self.store.delete_version(key, version_id, older[-1] if current == version_id and older else current)

    def report(self, key: str) -> bytes | None:
        return self.store.reports.get(key)


@dataclass
class MemorySiteHarness:
    store: MemorySite = field(default_factory=MemorySite)

    def read(self, key: str) -> bytes | None:
        return self.store.objects.get(key)


@dataclass
class MemorySchedulerHarness:
    scheduler: RecordingScheduler = field(default_factory=RecordingScheduler)

    def pending(self) -> dict[str, tuple[datetime, Release]]:
        return dict(self.scheduler.schedules)


# --- local --------------------------------------------------------------------------------------


def _state(tmp_path: Path) -> tuple[State, WorkQueue]:
    (tmp_path / ".pressrun").mkdir(exist_ok=True)
    state = State(tmp_path / ".pressrun" / "state.db")
    return state, WorkQueue(state)


@dataclass
class LocalUploadsHarness:
    store: LocalUploads

    def put(self, key: str, data: bytes) -> str:
        version = self.store.put(key, data).version_id
        assert version is not None
        return version

    def delete(self, key: str) -> None:
        self.store.delete(key)

    def delete_version(self, key: str, version_id: str) -> None:
        self.store.delete_version(key, version_id)

    def report(self, key: str) -> bytes | None:
        return self.store.read_report(key)


@dataclass
class LocalSiteHarness:
    store: FolderSite

    def read(self, key: str) -> bytes | None:
        # What the folder shows readers is what a committed transaction decided.
        self.store.state.commit()
        path = self.store.root / key
        return path.read_bytes() if path.is_file() else None


@dataclass
class LocalSchedulerHarness:
    scheduler: SqliteScheduler

    def pending(self) -> dict[str, tuple[datetime, Release]]:
        return self.scheduler.pending()


def _local_uploads(tmp_path: Path) -> LocalUploadsHarness:
    state, work = _state(tmp_path)
    return LocalUploadsHarness(LocalUploads(tmp_path / ".pressrun", state, work, lambda: NOW))


def _local_articles(tmp_path: Path) -> Articles:
    return SqliteArticles(*_state(tmp_path), lambda: NOW)


def _local_images(tmp_path: Path) -> ImageRepository:
    state, _ = _state(tmp_path)
    return SqliteImages(state, lambda: NOW)


def _local_index(tmp_path: Path) -> CategoryIndex:
    return SqliteIndex(*_state(tmp_path))


def _local_site(tmp_path: Path) -> LocalSiteHarness:
    state, _ = _state(tmp_path)
    return LocalSiteHarness(FolderSite(tmp_path, state))


def _local_scheduler(tmp_path: Path) -> LocalSchedulerHarness:
    return LocalSchedulerHarness(SqliteScheduler(*_state(tmp_path)))


# --- the tables: add an adapter here and every contract test runs against it ----------------------

UPLOAD_STORES: dict[str, Callable[[Path], UploadsHarness]] = {
    "memory": lambda _: MemoryUploadsHarness(),
    "local": _local_uploads,
}
ARTICLE_REPOSITORIES: dict[str, Callable[[Path], Articles]] = {
    "memory": lambda _: MemoryArticles(),
    "local": _local_articles,
}
IMAGE_REPOSITORIES: dict[str, Callable[[Path], ImageRepository]] = {
    "memory": lambda _: MemoryImages(),
    "local": _local_images,
}
CATEGORY_INDEXES: dict[str, Callable[[Path], CategoryIndex]] = {
    "memory": lambda _: MemoryIndex(),
    "local": _local_index,
}
SITE_STORES: dict[str, Callable[[Path], SiteHarness]] = {
    "memory": lambda _: MemorySiteHarness(),
    "local": _local_site,
}
SCHEDULERS: dict[str, Callable[[Path], SchedulerHarness]] = {
    "memory": lambda _: MemorySchedulerHarness(),
    "local": _local_scheduler,
}


@pytest.fixture(params=sorted(UPLOAD_STORES))
def uploads(request: pytest.FixtureRequest, tmp_path: Path) -> UploadsHarness:
    return UPLOAD_STORES[request.param](tmp_path)


@pytest.fixture(params=sorted(ARTICLE_REPOSITORIES))
def articles(request: pytest.FixtureRequest, tmp_path: Path) -> Articles:
    return ARTICLE_REPOSITORIES[request.param](tmp_path)


@pytest.fixture(params=sorted(IMAGE_REPOSITORIES))
def images(request: pytest.FixtureRequest, tmp_path: Path) -> ImageRepository:
    return IMAGE_REPOSITORIES[request.param](tmp_path)


@pytest.fixture(params=sorted(CATEGORY_INDEXES))
def index(request: pytest.FixtureRequest, tmp_path: Path) -> CategoryIndex:
    return CATEGORY_INDEXES[request.param](tmp_path)


@pytest.fixture(params=sorted(SITE_STORES))
def site(request: pytest.FixtureRequest, tmp_path: Path) -> SiteHarness:
    return SITE_STORES[request.param](tmp_path)


@pytest.fixture(params=sorted(SCHEDULERS))
def schedules(request: pytest.FixtureRequest, tmp_path: Path) -> SchedulerHarness:
    return SCHEDULERS[request.param](tmp_path)
