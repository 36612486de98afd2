"""One contract per port, run against every adapter of it.

Each port's fixture is parametrized over a table of factories below: the in-memory fakes
(`tests/fakes.py`), the local adapters (`pressrun.local`) and the AWS adapters (`pressrun.aws`) on
moto, with the tables, buckets and schedule group made as template.yaml declares them. A factory
takes pytest's `tmp_path` and returns the harness the tests use (the port itself, plus the few
things a test must do or see that the port does not offer, such as an editor's upload). Where moto
is kinder than AWS (it is always consistent, it keeps no stream shards), these tests pin the
adapters' own logic and their conditions, not AWS's delivery: tests/simulation does that.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import boto3
import pytest
from moto import mock_aws

from pressrun.aws.dynamodb import DynamoArticles, DynamoImages, DynamoIndex
from pressrun.aws.redirects import DynamoRedirects
from pressrun.aws.s3 import S3Site, S3Uploads
from pressrun.aws.scheduler import EventBridgeScheduler
from pressrun.emulator.template import load_template
from pressrun.local.articles import SqliteArticles
from pressrun.local.images import SqliteImages
from pressrun.local.index import SqliteIndex
from pressrun.local.redirects import SqliteRedirects
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
    RedirectStore,
    ReleasableArticles,
    Scheduler,
    SiteStore,
    UploadStore,
)
from pressrun.scheduling import Release
from tests.conftest import ROOT
from tests.fakes import (
    MemoryArticles,
    MemoryImages,
    MemoryIndex,
    MemoryRedirects,
    MemorySite,
    MemoryUploads,
)
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
        self.versions += 1
        self.store.mark_deleted(key, marker=f"v{self.versions}")

    def delete_version(self, key: str, version_id: str) -> None:
        left = [version for version in self.store.versions.get(key, []) if version.version_id != version_id]
        newest = left[-1] if left else None
        self.store.delete_version(
            key, version_id, newest.version_id if newest is not None and not newest.delete_marker else None
        )

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


def _local_redirects(tmp_path: Path) -> RedirectStore:
    state, _ = _state(tmp_path)
    return SqliteRedirects(state)


def _local_site(tmp_path: Path) -> LocalSiteHarness:
    state, _ = _state(tmp_path)
    return LocalSiteHarness(FolderSite(tmp_path, state))


def _local_scheduler(tmp_path: Path) -> LocalSchedulerHarness:
    return LocalSchedulerHarness(SqliteScheduler(*_state(tmp_path)))


# --- AWS, on moto -------------------------------------------------------------------------------

REGION = "us-east-1"
TEMPLATE = load_template(ROOT / "template.yaml")["Resources"]


def _table(dynamodb: object, logical: str) -> str:
    """A table as template.yaml declares it: keys, secondary indexes, stream."""
    properties = TEMPLATE[logical]["Properties"]
    extra = {
        name: properties[name]
        for name in ("GlobalSecondaryIndexes", "StreamSpecification")
        if name in properties
    }
    if "StreamSpecification" in extra:
        extra["StreamSpecification"] = {**extra["StreamSpecification"], "StreamEnabled": True}
    dynamodb.create_table(  # type: ignore[attr-defined]
        TableName=logical,
        KeySchema=properties["KeySchema"],
        AttributeDefinitions=properties["AttributeDefinitions"],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
    return logical


@dataclass
class AwsUploadsHarness:
    store: S3Uploads
    client: object
    bucket: str

    def put(self, key: str, data: bytes) -> str:
        return str(self.client.put_object(Bucket=self.bucket, Key=key, Body=data)["VersionId"])  # type: ignore[attr-defined]

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)  # type: ignore[attr-defined]

    def delete_version(self, key: str, version_id: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key, VersionId=version_id)  # type: ignore[attr-defined]

    def report(self, key: str) -> bytes | None:
        return self.store.read(key, None, 1 << 20)


@dataclass
class AwsSiteHarness:
    store: S3Site
    client: object
    bucket: str

    def read(self, key: str) -> bytes | None:
        try:
            return bytes(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())  # type: ignore[attr-defined]
        except self.client.exceptions.NoSuchKey:  # type: ignore[attr-defined]
            return None


@dataclass
class AwsSchedulerHarness:
    scheduler: EventBridgeScheduler
    client: object

    def pending(self) -> dict[str, tuple[datetime, Release]]:
        found = {}
        for summary in self.client.list_schedules(GroupName="ScheduleGroup")["Schedules"]:  # type: ignore[attr-defined]
            schedule = self.client.get_schedule(Name=summary["Name"], GroupName="ScheduleGroup")  # type: ignore[attr-defined]
            at = datetime.fromisoformat(schedule["ScheduleExpression"].removeprefix("at(").removesuffix(")"))
            release = Release.model_validate(json.loads(schedule["Target"]["Input"]))
            found[summary["Name"]] = (at.replace(tzinfo=UTC), release)
        return found


@pytest.fixture
def moto_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def _s3_uploads(_: Path) -> AwsUploadsHarness:
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket="uploads")
    client.put_bucket_versioning(Bucket="uploads", VersioningConfiguration={"Status": "Enabled"})
    return AwsUploadsHarness(S3Uploads(client, "uploads"), client, "uploads")


def _dynamodb_articles(_: Path) -> Articles:
    client = boto3.client("dynamodb", region_name=REGION)
    return DynamoArticles(
        client, _table(client, "ArticlesTable"), _table(client, "SlugsTable"), clock=lambda: NOW
    )


def _dynamodb_images(_: Path) -> ImageRepository:
    client = boto3.client("dynamodb", region_name=REGION)
    return DynamoImages(client, _table(client, "ImagesTable"), clock=lambda: NOW)


def _dynamodb_index(_: Path) -> CategoryIndex:
    client = boto3.client("dynamodb", region_name=REGION)
    return DynamoIndex(client, _table(client, "IndexTable"))


def _dynamodb_redirects(_: Path) -> RedirectStore:
    # The table alone: moto serves no KeyValueStore API (tests/integration/test_redirect_store.py pins
    # the store's calls against its API with botocore's Stubber).
    client = boto3.client("dynamodb", region_name=REGION)
    return DynamoRedirects(client, _table(client, "RedirectsTable"), store=None)


def _s3_site(_: Path) -> AwsSiteHarness:
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket="site")
    return AwsSiteHarness(S3Site(client, "site"), client, "site")


def _scheduler_on_moto(_: Path) -> AwsSchedulerHarness:
    client = boto3.client("scheduler", region_name=REGION)
    client.create_schedule_group(Name="ScheduleGroup")
    scheduler = EventBridgeScheduler(
        client,
        "ScheduleGroup",
        "arn:aws:iam::123456789012:role/SchedulerRole",
        "arn:aws:lambda:us-east-1:123456789012:function:ReleaseArticleFunction",
        "arn:aws:sqs:us-east-1:123456789012:ScheduleDeadLetterQueue",
    )
    return AwsSchedulerHarness(scheduler, client)


# --- the tables: add an adapter here and every contract test runs against it ----------------------

UPLOAD_STORES: dict[str, Callable[[Path], UploadsHarness]] = {
    "memory": lambda _: MemoryUploadsHarness(),
    "local": _local_uploads,
    "s3_on_moto": _s3_uploads,
}
ARTICLE_REPOSITORIES: dict[str, Callable[[Path], Articles]] = {
    "memory": lambda _: MemoryArticles(),
    "local": _local_articles,
    "dynamodb_on_moto": _dynamodb_articles,
}
IMAGE_REPOSITORIES: dict[str, Callable[[Path], ImageRepository]] = {
    "memory": lambda _: MemoryImages(),
    "local": _local_images,
    "dynamodb_on_moto": _dynamodb_images,
}
CATEGORY_INDEXES: dict[str, Callable[[Path], CategoryIndex]] = {
    "memory": lambda _: MemoryIndex(),
    "local": _local_index,
    "dynamodb_on_moto": _dynamodb_index,
}
REDIRECT_STORES: dict[str, Callable[[Path], RedirectStore]] = {
    "memory": lambda _: MemoryRedirects(),
    "local": _local_redirects,
    "dynamodb_on_moto": _dynamodb_redirects,
}
SITE_STORES: dict[str, Callable[[Path], SiteHarness]] = {
    "memory": lambda _: MemorySiteHarness(),
    "local": _local_site,
    "s3_on_moto": _s3_site,
}
SCHEDULERS: dict[str, Callable[[Path], SchedulerHarness]] = {
    "memory": lambda _: MemorySchedulerHarness(),
    "local": _local_scheduler,
    "scheduler_on_moto": _scheduler_on_moto,
}


def _on_moto(request: pytest.FixtureRequest) -> None:
    if request.param.endswith("_on_moto"):
        request.getfixturevalue("moto_account")


@pytest.fixture(params=sorted(UPLOAD_STORES))
def uploads(request: pytest.FixtureRequest, tmp_path: Path) -> UploadsHarness:
    _on_moto(request)
    return UPLOAD_STORES[request.param](tmp_path)


@pytest.fixture(params=sorted(ARTICLE_REPOSITORIES))
def articles(request: pytest.FixtureRequest, tmp_path: Path) -> Articles:
    _on_moto(request)
    return ARTICLE_REPOSITORIES[request.param](tmp_path)


@pytest.fixture(params=sorted(IMAGE_REPOSITORIES))
def images(request: pytest.FixtureRequest, tmp_path: Path) -> ImageRepository:
    _on_moto(request)
    return IMAGE_REPOSITORIES[request.param](tmp_path)


@pytest.fixture(params=sorted(CATEGORY_INDEXES))
def index(request: pytest.FixtureRequest, tmp_path: Path) -> CategoryIndex:
    _on_moto(request)
    return CATEGORY_INDEXES[request.param](tmp_path)


@pytest.fixture(params=sorted(SITE_STORES))
def site(request: pytest.FixtureRequest, tmp_path: Path) -> SiteHarness:
    _on_moto(request)
    return SITE_STORES[request.param](tmp_path)


@pytest.fixture(params=sorted(SCHEDULERS))
def schedules(request: pytest.FixtureRequest, tmp_path: Path) -> SchedulerHarness:
    _on_moto(request)
    return SCHEDULERS[request.param](tmp_path)


@pytest.fixture(params=sorted(REDIRECT_STORES))
def redirects(request: pytest.FixtureRequest, tmp_path: Path) -> RedirectStore:
    _on_moto(request)
    return REDIRECT_STORES[request.param](tmp_path)
