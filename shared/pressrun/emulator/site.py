"""A site on the emulated stack: the handlers on moto, the site folder as its storage (the state
`pressrun publish` keeps, `folder_state`), and the uploads an editor makes.

Entering takes the folder as `pressrun publish` does (its lock, its remembered settings, work a killed
run left owed), loads it into moto and connects the stack; leaving hands everything back to the
folder. A run that fails keeps nothing of what it did, as a failed publish.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO
from urllib.parse import unquote_plus

from pressrun.aws.dynamodb import DynamoArticles
from pressrun.aws.s3 import S3Uploads
from pressrun.emulator import chaos, folder_state
from pressrun.emulator.chaos import Chaos
from pressrun.emulator.folder_state import SITE_BUCKET, UPLOADS_BUCKET
from pressrun.emulator.item_writes import ItemWrites
from pressrun.emulator.runner import Runner
from pressrun.emulator.s3_events import ChangeLog
from pressrun.emulator.stack import LocalStack
from pressrun.ingest import INCOMING, report_key
from pressrun.local.remembered import given_settings
from pressrun.local.site import LOG_FILE
from pressrun.local.site import LocalSite as LocalFolder
from pressrun.local.state import STATE_DIR
from pressrun.local.summary import Failed, Published, Rejected, Scheduled, Summary
from pressrun.local.work import Kind
from pressrun.model import Problem
from pressrun.settings import SiteSettings
from pressrun.urls import absolute

ARTICLES_TABLE = "ArticlesTable"
SLUGS_TABLE = "SlugsTable"
DISTRIBUTION = "Distribution"


def project_root() -> Path:
    """The checkout that holds template.yaml and functions/, which the local stack runs."""
    here = Path(__file__).resolve()
    for candidate in [Path.cwd(), *Path.cwd().parents, *here.parents]:
        if (candidate / "template.yaml").is_file() and (candidate / "functions").is_dir():
            return candidate
    raise FileNotFoundError("cannot find template.yaml and functions/; run pressrun from its checkout")


def template_parameters(settings: SiteSettings) -> dict[str, str]:
    """The template parameters that set what a site remembers (`pressrun.local.remembered`), so that
    the handlers render the folder's site as `pressrun publish` does (its theme included)."""
    return {
        "SiteName": settings.site_name,
        "SiteTagline": settings.site_tagline,
        "SiteUrl": settings.site_url,
        "SiteLanguage": settings.site_language,
        "SiteTimezone": settings.site_timezone,
        "SiteCategories": ",".join(settings.site_categories),
        "ListingSize": str(settings.listing_size),
        "SitemapSize": str(settings.sitemap_size),
        "ThemeDir": settings.theme_dir,
        "WebSubHub": settings.websub_hub,
    }


@dataclass
class LocalSite:
    site_dir: Path
    # Given once, then remembered by the folder (as `pressrun publish --site-url`); None: as remembered.
    site_url: str | None = None
    # The local clock: articles dated later are scheduled, and schedules due by then fire.
    now: datetime | None = None
    # Chaos mode: this fraction of the functions' AWS calls fail, reproducibly for the seed.
    chaos: float = 0.0
    seed: int = 0
    # Template parameters beyond the site's settings, such as InvalidationMode.
    parameters: dict[str, str] = field(default_factory=dict)
    # A moto server to build the stack on (`pressrun dev`), whose proxy tells `changes` and `writes`
    # what other processes did; None is an in-process moto.
    endpoint_url: str | None = None
    changes: ChangeLog = field(default_factory=ChangeLog)
    writes: ItemWrites = field(default_factory=ItemWrites)
    # As `pressrun rebuild`: the settings given may differ from the remembered ones.
    may_change_settings: bool = False
    root: Path = field(default_factory=project_root)
    stack: LocalStack = field(init=False)
    runner: Runner = field(init=False)
    # Site keys that were not written into the folder when the run ended, since none of its files
    # can hold them.
    refused: list[str] = field(default_factory=list)
    _uploaded: dict[str, str] = field(default_factory=dict)
    _removed: list[str] = field(default_factory=list)
    _log: TextIO = field(init=False)
    _folder: LocalFolder = field(init=False)
    _loaded: folder_state.Loaded = field(init=False)
    faults: Chaos | None = field(init=False, default=None)

    def __enter__(self) -> LocalSite:
        given = given_settings({"site_url": self.site_url})
        self._folder = LocalFolder(
            self.site_dir, given, now=self.now, may_change_settings=self.may_change_settings
        )
        self._folder.__enter__()
        try:
            self._start()
        except BaseException:
            self._folder.__exit__(*sys.exc_info())
            raise
        return self

    def _start(self) -> None:
        # Work a killed publish left owed is done first, as the next publish would (only then: a
        # drain also fires the schedules that are due, which is the functions' job here).
        if any(self._folder.ports.work.pending(kind) for kind in Kind):
            self._folder.drain()
        if self.now is not None:
            os.environ["PRESSRUN_NOW"] = self.now.isoformat()
        else:
            os.environ.pop("PRESSRUN_NOW", None)
        settings = self._folder.settings
        self.stack = LocalStack(
            self.root,
            parameters={**template_parameters(settings), **self.parameters},
            changes=self.changes,
            writes=self.writes,
        )
        self.stack.start(self.endpoint_url)
        try:
            ports = self._folder.ports
            self._loaded = folder_state.load(
                self.stack, ports, self.site_dir, settings.listing_freshness_seconds
            )
            self.stack.connect()
            folder_state.load_schedules(self.stack, ports, self._loaded)
            self._log = (self.site_dir / STATE_DIR / LOG_FILE).open("a", encoding="utf-8")
        except BaseException:
            self.stack.stop()
            raise
        self.runner = Runner(self.stack, log=self._log, now=self.now)
        self.faults = chaos.install(self.chaos, self.seed) if self.chaos else None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        chaos.uninstall()
        try:
            if kind is None:
                self.refused = folder_state.save(
                    self.stack, self._folder.ports, self._loaded, self.site_dir, self._log
                )
        except BaseException as failure:
            # A save that fails keeps nothing: the folder's transaction is rolled back.
            self._close(type(failure), failure, failure.__traceback__)
            raise
        self._close(kind, error, trace)

    def _close(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            self._log.close()
            self.stack.stop()
        finally:
            self._folder.__exit__(kind, error, trace)

    @property
    def uploads_bucket(self) -> str:
        return self.stack.physical(UPLOADS_BUCKET)

    @property
    def site_bucket(self) -> str:
        return self.stack.physical(SITE_BUCKET)

    def upload(self, name: str, data: bytes, source: str | None = None) -> str:
        """Put a file under incoming/, as an editor would; `source` is how the summary names it."""
        key = f"{INCOMING}{name}"
        self.stack.client("s3").put_object(Bucket=self.uploads_bucket, Key=key, Body=data)
        self._uploaded[key] = source or key
        return key

    def remove(self, name: str) -> bool:
        """Delete an upload, as an editor deleting the file would; False when there is no such upload."""
        key = name if name.startswith(INCOMING) else f"{INCOMING}{name}"
        s3 = self.stack.client("s3")
        if S3Uploads(s3, self.uploads_bucket).current_version(key) is None:
            return False
        s3.delete_object(Bucket=self.uploads_bucket, Key=key)
        self._removed.append(key)
        return True

    def drain(self) -> None:
        self.runner.drain()

    def search(self) -> dict[str, Any]:
        """SearchIndexFunction, as its schedule invokes it: it builds only if the site changed and its
        last build is old enough, so calling it often costs a query when there is nothing to do."""
        return dict(self.runner.invoke("SearchIndexFunction", {}))

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Re-render every page through the rebuild function and its workers; how many jobs it took.
        `progress` hears (jobs done, jobs queued) as the workers go."""
        jobs = int(self.runner.invoke("RebuildFunction", {})["jobs"])
        done = 0

        def delivered(function: str) -> None:
            nonlocal done
            if function == "RebuildWorkerFunction":
                done += 1
                if progress is not None:
                    progress(done, jobs)

        self.runner.on_delivery = delivered
        try:
            self.runner.drain()
        finally:
            self.runner.on_delivery = None
        return jobs

    def redrive(self) -> dict[str, int]:
        """Move what the dead-letter queues hold back to the queues they serve, as SQS's redrive
        does, then let it flow; how many messages each queue gave back."""
        sqs = self.stack.client("sqs")
        moved: dict[str, int] = {}
        for dead_letter, source in self.stack.redrive_pairs():
            dead_url, source_url = self.stack.physical(dead_letter), self.stack.physical(source)
            while messages := sqs.receive_message(QueueUrl=dead_url, MaxNumberOfMessages=10).get(
                "Messages", []
            ):
                for message in messages:
                    sqs.send_message(QueueUrl=source_url, MessageBody=message["Body"])
                    sqs.delete_message(QueueUrl=dead_url, ReceiptHandle=message["ReceiptHandle"])
                moved[dead_letter] = moved.get(dead_letter, 0) + len(messages)
        moved.update(self._replay_stream_failures())
        self.runner.drain()
        return moved

    def _replay_stream_failures(self) -> dict[str, int]:
        """Stream batches that ran out of retries go to their function again, as re-reading the
        stream from the failure record's sequence numbers would on AWS; kept if they fail again."""
        sqs = self.stack.client("sqs")
        dead_letters = {dead_letter for dead_letter, _ in self.stack.redrive_pairs()}
        replayed: dict[str, int] = {}
        for queue in self.stack.failure_queues():
            if queue in dead_letters:
                continue
            url = self.stack.physical(queue)
            messages = []
            while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                messages += batch
            for message in messages:
                failure = json.loads(message["Body"])
                if "failedBatch" not in failure:
                    # A release that kept failing: `pressrun publish --now` fires its schedule again.
                    continue
                try:
                    self.runner.invoke(failure["function"], failure["failedBatch"])
                except Exception:
                    sqs.change_message_visibility(
                        QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                    )
                    continue
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                replayed[queue] = replayed.get(queue, 0) + 1
        return replayed

    def invalidated_paths(self) -> list[str]:
        cloudfront = self.stack.client("cloudfront")
        distribution = self.stack.physical(DISTRIBUTION)
        listing = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]
        paths: set[str] = set()
        for item in listing.get("Items", []):
            invalidation = cloudfront.get_invalidation(DistributionId=distribution, Id=item["Id"])
            paths.update(invalidation["Invalidation"]["InvalidationBatch"]["Paths"].get("Items", []))
        return sorted(paths)

    def failures(self) -> list[Failed]:
        failed = []
        for queue in self.stack.failure_queues():
            bodies = self._peek(queue)
            if bodies:
                failed.append(
                    Failed(queue=queue, sources=sorted({s for b in bodies for s in _sources_in(b)}))
                )
        return failed

    def _peek(self, queue: str) -> list[str]:
        """The bodies of every message in a queue, leaving them all there and visible."""
        sqs = self.stack.client("sqs")
        url = self.stack.physical(queue)
        messages: list[dict[str, Any]] = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get(
            "Messages", []
        ):
            messages += batch
        for message in messages:
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        return [message["Body"] for message in messages]

    def summary(self) -> Summary:
        s3 = self.stack.client("s3")
        uploads = S3Uploads(s3, self.uploads_bucket)
        articles = DynamoArticles(self.stack.client("dynamodb"), ARTICLES_TABLE, SLUGS_TABLE)
        summary = Summary(
            removed=list(self._removed), invalidated=self.invalidated_paths(), failed=self.failures()
        )
        site_url = self._folder.settings.site_url
        released = {key: key for key in self.runner.released if key not in self._uploaded}
        for key, source in {**self._uploaded, **released}.items():
            report = uploads.read(report_key(key), None, limit=1 << 20)
            record = articles.current(key)
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
        return summary


def _sources_in(body: str) -> list[str]:
    """The uploads a dead message was about, as far as its body says."""
    try:
        message = json.loads(body)
    except ValueError:
        return ["(unreadable message)"]
    if isinstance(message, dict) and "detail" in message:
        return [unquote_plus(message["detail"]["object"]["key"])]
    if isinstance(message, dict) and "source_key" in message:
        return [str(message["source_key"])]
    records = message.get("failedBatch", {}).get("Records", []) if isinstance(message, dict) else []
    keys = [record.get("dynamodb", {}).get("Keys", {}) for record in records]
    return [next(iter(key.values()))["S"] for key in keys if key] or ["(unreadable message)"]
