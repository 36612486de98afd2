"""The cloud chain, in one process: the same domain calls the Lambda handlers make, in the order and
under the rules the event sources give them.

    upload event ───────▶ ingest.accept_upload            (IngestQueue → ValidateArticle)
    image event ────────▶ media.process_image             (ImageQueue → ProcessImage; and crops
                          media.process_request            asked for by ingest, on the same queue)
    articles change ────▶ follow.follow_article_change    (the articles stream, in order per item)
    index change ───────▶ listings.refresh_listings       (the index stream; each listing once per drain)
    schedule due ───────▶ scheduling.release_article      (EventBridge Scheduler → ReleaseArticle)
    rebuild job ────────▶ rebuild.run_job                 (RebuildQueue → RebuildWorker)

Each domain function is called from one method here. Work waits in `state.db` (`work.py`), written
with the change that owes it. A step that fails is retried a few times with a growing backoff on a
simulated clock (nobody waits), then set aside as a dead letter with its source: never lost, and
`pressrun redrive` puts it back. A stage commits as it goes, in a few large transactions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar

from pressrun.follow import follow_article_change
from pressrun.ingest import Intake, Upload, accept_upload
from pressrun.invalidation import InvalidatingSite
from pressrun.listings import refresh_listings
from pressrun.local import parallel
from pressrun.local.articles import ArticleChange, SqliteArticles
from pressrun.local.chaos import Chaos
from pressrun.local.images import LocalImageRequests, SqliteImages
from pressrun.local.index import SqliteIndex, membership_key
from pressrun.local.log import StepLog
from pressrun.local.records import RecordedAlerts, RecordedInvalidations, RecordedJobs, RecordedPings
from pressrun.local.redirects import SqliteRedirects
from pressrun.local.scheduler import SqliteScheduler
from pressrun.local.site_folder import FolderSite
from pressrun.local.state import STATE_DIR, State
from pressrun.local.sweeping import NoLostBatches, SqliteSweepJournal
from pressrun.local.uploads import LocalUploads
from pressrun.local.work import DeadLetter, Kind, WorkItem, WorkQueue
from pressrun.media import ImageLimits, ImageRequest, ImageWork
from pressrun.news_sitemap import refresh_news_sitemap
from pressrun.outbound import UrllibPingSender
from pressrun.pings import PingingSite, PingRun, send_pings
from pressrun.rebuild import ARTICLES_PER_MESSAGE, QueuedRebuild, RebuildJob, plan_rebuild, run_job
from pressrun.reconcile import sweep
from pressrun.scheduling import Release, release_article
from pressrun.search import SearchRun, refresh_search
from pressrun.settings import SiteSettings
from pressrun.sweep_state import Budget, SweepReport

# Tries per step before it is set aside: an SQS message is received 5 times before its dead-letter
# queue (template.yaml); the streams and schedules retry more on AWS, where a retry costs a wait,
# not a user's run.
ATTEMPTS = {
    Kind.UPLOAD: 5,
    Kind.IMAGE: 5,
    Kind.ARTICLE: 4,
    Kind.MEMBERSHIP: 4,
    Kind.RELEASE: 4,
    Kind.REBUILD: 4,
}
FIRST_BACKOFF_SECONDS = 1.0
# Work is read and committed in chunks: a few transactions however large the batch, and a killed
# run loses at most one chunk of progress.
CHUNK = 1000

T = TypeVar("T")
Progress = Callable[[str, int, int], None]
"""Told (stage, done, total) as work advances: 'stories' checked, 'pages' rendered, 'listings'."""


@dataclass
class SimulatedClock:
    """Backoff without waiting: the time a real consumer would have slept, added up."""

    slept: float = 0.0

    def sleep(self, seconds: float) -> None:
        self.slept += seconds


@dataclass
class LocalPorts:
    """The adapters of one run, around one state database."""

    state: State
    work: WorkQueue
    uploads: LocalUploads
    articles: SqliteArticles
    index: SqliteIndex
    site_store: FolderSite
    scheduler: SqliteScheduler
    images: SqliteImages
    image_requests: LocalImageRequests
    redirects: SqliteRedirects
    alerts: RecordedAlerts = field(default_factory=RecordedAlerts)
    invalidations: RecordedInvalidations = field(default_factory=RecordedInvalidations)
    pings: RecordedPings = field(default_factory=RecordedPings)

    @classmethod
    def open(cls, site_dir: Path, state: State, clock: Callable[[], datetime]) -> LocalPorts:
        work = WorkQueue(state)
        return cls(
            state=state,
            work=work,
            uploads=LocalUploads(site_dir / STATE_DIR, state, work, clock),
            articles=SqliteArticles(state, work, clock),
            index=SqliteIndex(state, work),
            site_store=FolderSite(site_dir, state),
            scheduler=SqliteScheduler(state, work),
            images=SqliteImages(state, clock),
            image_requests=LocalImageRequests(work),
            redirects=SqliteRedirects(state),
        )


@dataclass
class Dispatcher:
    ports: LocalPorts
    settings: SiteSettings
    now: datetime
    log: StepLog
    chaos: Chaos | None = None
    progress: Progress | None = None
    # A worker of a parallel stage commits each item as it finishes it (parallel.py).
    commit_each: bool = False
    workers: int = field(default_factory=lambda: parallel.cores())
    clock: SimulatedClock = field(default_factory=SimulatedClock)
    released: list[str] = field(default_factory=list)
    _rebuild_stories: int = 0
    _rebuilt_stories: int = 0
    _workers: parallel.Workers = field(default_factory=parallel.Workers)

    def __post_init__(self) -> None:
        wrap = self.chaos.wrap if self.chaos is not None else _unchanged
        # What the domain is given; the dispatcher's own bookkeeping never fails on purpose.
        self._uploads = wrap(self.ports.uploads)
        self._articles = wrap(self.ports.articles)
        self._index = wrap(self.ports.index)
        # As the renderers do on AWS: what readers may hold stale is asked to be invalidated as
        # soon as it is written (the recorder itself is not made to fail: nothing would ask again).
        pinging = PingingSite(wrap(self.ports.site_store), self.ports.pings, self.settings)
        self._site_store = InvalidatingSite(pinging, self.ports.invalidations)
        # A rebuild re-renders for a new look, not for news: its writes are told to nobody, as on AWS,
        # where the rebuild's workers are given no ping queue.
        self._rebuild_site_store = InvalidatingSite(wrap(self.ports.site_store), self.ports.invalidations)
        self._scheduler = wrap(self.ports.scheduler)
        self._alerts = wrap(self.ports.alerts)
        self._images = wrap(self.ports.images)
        self._image_requests = wrap(self.ports.image_requests)
        self._redirects = wrap(self.ports.redirects)

    # --- the loop -------------------------------------------------------------------------------

    def drain(self) -> None:
        """Deliver until nothing is owed and no schedule is due."""
        while True:
            if (
                self._run(Kind.UPLOAD)
                or self._run(Kind.IMAGE)
                or self._run(Kind.RELEASE)
                or self._run(Kind.ARTICLE)
            ):
                continue
            if self._run(Kind.REBUILD):
                continue
            if self._listings():
                continue
            if self.ports.scheduler.fire_due(self.now):
                self._commit()
                continue
            self._age_news_sitemap()
            return

    def _run(self, kind: Kind) -> bool:
        """Every item of a kind, in order, including those queued meanwhile; whether there were any."""
        total = self.ports.work.pending(kind)
        # A rebuild's jobs are each a batch of stories.
        stories = total * (ARTICLES_PER_MESSAGE if kind is Kind.REBUILD else 1)
        # Images are rendered one after another: each takes a core's worth of encoders already.
        serial = kind in (Kind.RELEASE, Kind.IMAGE)
        if not serial and stories >= parallel.PARALLEL_FROM and self.workers > 1:
            self._run_in_parallel(kind, total, stories)
            return True
        done, last = 0, 0
        while items := self.ports.work.take(kind, CHUNK, after=last):
            for item in items:
                self._process(item)
                done += 1
                last = item.id
                if kind is not Kind.REBUILD:  # told in stories, not jobs, by the step itself
                    self._tell(kind.value, done, max(total, done))
            self._commit()
        return done > 0

    def process(self, items: list[WorkItem]) -> None:
        """These items, in order (a worker's shard)."""
        for item in items:
            self._process(item)

    def _process(self, item: WorkItem) -> None:
        steps: dict[Kind, Callable[[WorkItem], None]] = {
            Kind.UPLOAD: self._ingest,
            Kind.IMAGE: self._image,
            Kind.RELEASE: self._release,
            Kind.ARTICLE: self._follow,
            Kind.REBUILD: self._rebuild_job,
        }
        if self._with_retries(item, partial(steps[item.kind], item)):
            self.ports.work.done([item])
        if self.commit_each:
            self._commit()

    def _run_in_parallel(self, kind: Kind, total: int, stories: int) -> None:
        """The whole backlog of a kind, split between worker processes (parallel.py)."""
        self._commit()  # the workers see what this process decided, and it holds no lock meanwhile
        items: list[WorkItem] = []
        while batch := self.ports.work.take(kind, CHUNK * 10, after=items[-1].id if items else 0):
            items += batch
        # Enough stories for each worker to be worth its start.
        workers = min(self.workers, -(-stories // (parallel.PARALLEL_FROM // 2)))
        shards = parallel.shards(kind, items, workers)
        settings = self.settings.model_dump()
        tasks = [
            parallel.ShardTask(
                site_dir=str(self.ports.site_store.root),
                settings=settings,
                now=self.now,
                chaos_rate=self.chaos.rate if self.chaos else 0.0,
                chaos_seed=hash((self.chaos.seed if self.chaos else 0, number)),
                item_ids=[item.id for item in shard],
            )
            for number, shard in enumerate(shards)
        ]
        taken = len(items)
        del items, shards  # the workers read their own; a large batch's payloads weigh tens of MB

        def tell() -> None:
            left = self.ports.work.pending(kind)
            if kind is Kind.REBUILD:
                done = round(self._rebuild_stories * (taken - left) / taken)
                self._tell(kind.value, done, self._rebuild_stories)
            else:
                self._tell(kind.value, total - left, total)

        results = self._workers.run(tasks, tell)
        tell()
        for result in results:
            self.log.add(result.log)
            self.ports.invalidations.request(result.invalidated)
            self.ports.pings.send(result.pings, 0)
            if self.chaos is not None:
                self.chaos.injected += result.injected
        if kind is Kind.REBUILD:
            self._rebuilt_stories = self._rebuild_stories

    def _with_retries(self, item: WorkItem, attempt: Callable[[], None]) -> bool:
        """Try a step; after its last try it is set aside as a dead letter. Whether it succeeded."""
        tries = ATTEMPTS[item.kind]
        backoff = FIRST_BACKOFF_SECONDS
        for number in range(1, tries + 1):
            try:
                attempt()
            except Exception as error:
                last = number == tries
                self.log.error(
                    item.kind.value,
                    item.source,
                    "set aside as a dead letter" if last else "failed; retrying",
                    error,
                    attempt=number,
                    retry_in=None if last else backoff,
                )
                if last:
                    self.ports.work.set_aside(item, repr(error), self.now)
                    return False
                self.clock.sleep(backoff)
                backoff *= 2
            else:
                return True
        return False

    def _commit(self) -> None:
        self.ports.state.commit()

    def _tell(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)

    def close(self) -> None:
        """Stop the worker processes, if a large stage started them."""
        self._workers.close()

    # --- the steps: one domain call each -----------------------------------------------------------

    def _ingest(self, item: WorkItem) -> None:
        upload = Upload.model_validate_json(item.payload)
        outcome = accept_upload(
            upload,
            self._uploads,
            self._articles,
            self.settings,
            self._alerts,
            self.now,
            self._images,
            self._image_requests,
            self._redirects,
        )
        for source_key, text in self.ports.alerts.take():
            self.log.info("alerts", source_key, "editor alerted", text=text)
        self.log.info(
            "ingest", upload.key, "upload handled", outcome=outcome.value, change=upload.change.value
        )

    def _image(self, item: WorkItem) -> None:
        from pressrun.imaging import PillowCodec  # Pillow only where images are rendered

        intake = Intake(
            self._uploads,
            self._articles,
            self.settings,
            self._alerts,
            self.now,
            self._images,
            self._image_requests,
        )
        work = ImageWork(
            uploads=self._uploads,
            images=self._images,
            site_store=self._site_store,
            codec=PillowCodec(),
            alerts=self._alerts,
            intake=intake,
            limits=ImageLimits(self.settings.max_image_bytes, self.settings.max_image_pixels),
            now=self.now,
        )
        if '"image"' in item.payload and '"key"' not in item.payload:
            request = ImageRequest.model_validate_json(item.payload)
            self.log.info("image", request.image, "crops asked for", outcome=work.request(request).value)
        else:
            upload = Upload.model_validate_json(item.payload)
            outcome = work.upload(upload)
            self.log.info(
                "image", upload.key, "image handled", outcome=outcome.value, change=upload.change.value
            )
        for source_key, text in self.ports.alerts.take():
            self.log.info("alerts", source_key, "editor alerted", text=text)

    def _follow(self, item: WorkItem) -> None:
        change = ArticleChange.model_validate_json(item.payload)
        followed = follow_article_change(
            change.old,
            change.new,
            uploads=self._uploads,
            site_store=self._site_store,
            index=self._index,
            scheduler=self._scheduler,
            articles=self._articles,
            redirects=self._redirects,
            site=self.settings,
            now=self.now,
        )
        extra = {}
        if change.new is not None and change.new.is_live and change.new.uploaded_at is not None:
            extra["publish_latency_ms"] = max((self.now - change.new.uploaded_at).total_seconds() * 1000, 0.0)
        self.log.info(
            "follow",
            change.source_key,
            "article change followed",
            pages=[page.key for page in followed.pages],
            index_changes=len(followed.index.put) + len(followed.index.delete),
            schedule=followed.schedule,
            **extra,
        )

    def _release(self, item: WorkItem) -> None:
        release = Release.model_validate_json(item.payload)
        released = release_article(release, self._articles)
        if released:
            self.released.append(release.source_key)
        self.log.info("release", release.source_key, "scheduled article released", released=released)

    def _rebuild_job(self, item: WorkItem) -> None:
        job = RebuildJob.model_validate_json(item.payload)
        changed = run_job(
            job, self._articles, self._uploads, self._index, self._rebuild_site_store, self.settings, self.now
        )
        self.log.info("rebuild", item.source, "rebuild job done", kind=job.kind, changed=len(changed))
        if job.kind == "articles":
            self._rebuilt_stories += len(job.source_keys)
            self._tell(
                Kind.REBUILD.value, self._rebuilt_stories, max(self._rebuild_stories, self._rebuilt_stories)
            )

    def _listings(self) -> bool:
        """Every changed listing, rendered once for all its changes; failed listings are retried on
        their own, and set aside after their last try."""
        items: list[WorkItem] = []
        while batch := self.ports.work.take(Kind.MEMBERSHIP, CHUNK * 10, after=items[-1].id if items else 0):
            items += batch
        if not items:
            return False
        by_listing: dict[str, list[WorkItem]] = {}
        for item in items:
            by_listing.setdefault(membership_key(item.payload)[0], []).append(item)
        failing = set(by_listing)
        backoff = FIRST_BACKOFF_SECONDS
        errors: dict[str, str] = {}
        for number in range(1, ATTEMPTS[Kind.MEMBERSHIP] + 1):
            changes = {
                listing: {membership_key(item.payload)[1] for item in by_listing[listing]}
                for listing in failing
            }
            errors = self._refresh(changes)
            self.ports.work.done(item for listing in failing - set(errors) for item in by_listing[listing])
            self._tell(Kind.MEMBERSHIP.value, len(by_listing) - len(errors), len(by_listing))
            failing = set(errors)
            if not failing:
                break
            for listing, error in errors.items():
                self.log.error(
                    "listings", listing, "listing failed; retrying", RuntimeError(error), attempt=number
                )
            self.clock.sleep(backoff)
            backoff *= 2
        for listing in sorted(failing):
            for item in by_listing[listing]:
                self.ports.work.set_aside(item, errors[listing], self.now)
        self._commit()
        return True

    def _refresh(self, changes: dict[str, set[str]]) -> dict[str, str]:
        """The listings that failed, with why; all of them when the refresh failed as a whole."""
        try:
            rebuilds = QueuedRebuild(
                self.ports.articles, self._index, _WorkJobs(self.ports.work), self.settings
            )
            refreshed = refresh_listings(
                changes, self._index, self._site_store, self.settings, self.now, rebuilds
            )
        except Exception as error:
            return dict.fromkeys(changes, repr(error))
        self.log.info(
            "listings",
            ",".join(sorted(changes)),
            "listings refreshed",
            changed=len(refreshed.changed),
            failed=sorted(refreshed.failed),
        )
        return refreshed.failed

    def _age_news_sitemap(self) -> None:
        """On AWS the sweep takes stories out of the news sitemap once their 48 hours have passed;
        here no sweep runs by itself, so every run does it, at its own clock (`--now`). A failure is
        only logged: the next run, or `pressrun reconcile`, renders it again."""
        try:
            refresh_news_sitemap(self._index, self._site_store, self.settings, self.now)
        except Exception as error:
            self.log.error("listings", "news-sitemap.xml", "news sitemap not refreshed", error)
        self._commit()

    def refresh_search(self) -> SearchRun | None:
        """The search bundle, built again if the site changed and the last build is old enough
        (`search.refresh_search`), as the scheduled function does on AWS. A build that fails is
        logged and left to the next run: search lagging never stops publishing."""
        from pressrun.search_bundle import PagefindIndexer

        try:
            run = refresh_search(
                self._index,
                self._site_store,
                PagefindIndexer(self.settings.site_language),
                self.settings,
                self.now,
            )
        except Exception as error:
            self.log.error("search", "pagefind", "search index not built", error)
            self._commit()
            return None
        self.log.info(
            "search", "pagefind", f"search index {run.outcome}", stories=run.stories, written=run.written
        )
        self._commit()
        return run

    def send_pings(self) -> PingRun | None:
        """Tell IndexNow and the WebSub hub what this run changed, once its work is done and every
        page is written (no CDN stands in front of the folder: nothing more to wait for). A target
        that refuses or is down is logged, never fails the run: it is told again with the next
        change of that story or feed."""
        pings = self.ports.pings.take()
        if not pings:
            return None
        jobs = {str(number): ping for number, ping in enumerate(pings)}
        run = send_pings(jobs, UrllibPingSender(), self.settings)
        for job, reason in sorted(run.failed.items()):
            self.log.error("pings", jobs[job].url, "not told", RuntimeError(reason), kind=jobs[job].kind)
        self.log.info("pings", "pings", "pings sent", delivered=len(run.delivered), failed=len(run.failed))
        return run

    # --- what an operator asks for ----------------------------------------------------------------

    def sweep(self, budget: Budget | None = None) -> SweepReport:
        """The reconciliation sweep, as the scheduled function runs it on AWS; what it re-announces
        is owed work like any upload, delivered by the next drain."""
        report = sweep(
            uploads=self._uploads,
            articles=self._articles,
            index=self._index,
            site_store=self._site_store,
            scheduler=self._scheduler,
            journal=SqliteSweepJournal(self.ports.state),
            failed_batches=NoLostBatches(),
            alerts=self._alerts,
            redirects=self._redirects,
            site=self.settings,
            now=self.now,
            budget=budget,
            # Every change here is delivered in the transaction that made it: none is in flight.
            grace=timedelta(0),
            images=self._images,
        )
        self._commit()
        return report

    def plan_rebuild(self) -> tuple[int, int]:
        """Queue the re-render of every page; (stories, listings) it will render."""
        jobs = RecordedJobs()
        plan_rebuild(self.ports.articles, self.ports.index, jobs, self.settings)
        for job in jobs.jobs:
            self.ports.work.add(Kind.REBUILD, _job_source(job), job.model_dump_json())
        self._commit()
        self._rebuild_stories = sum(len(job.source_keys) for job in jobs.jobs)
        return self._rebuild_stories, sum(1 for job in jobs.jobs if job.kind == "listing")

    def redrive(self) -> dict[str, int]:
        """Put every dead letter back in line, then drain; how many each queue gave back."""
        moved: dict[str, int] = {}
        for letter in self.ports.work.dead_letters():
            self.ports.work.redrive(letter, self._redriven_payload(letter))
            moved[letter.queue] = moved.get(letter.queue, 0) + 1
        self._commit()
        self.drain()
        return moved

    def _redriven_payload(self, letter: DeadLetter) -> str:
        if letter.kind is not Kind.ARTICLE:
            return letter.payload
        # Later changes of the article may have been followed meanwhile: what is owed now is the way
        # from the failed change's old record to the current one, not back to the failed change's new.
        change = ArticleChange.model_validate_json(letter.payload)
        return ArticleChange(old=change.old, new=self.ports.articles.current(letter.source)).model_dump_json()


@dataclass(frozen=True)
class _WorkJobs:
    """The rebuild queue, locally: its jobs are work, drained after the rest."""

    work: WorkQueue

    def send(self, jobs: list[RebuildJob]) -> None:
        for job in jobs:
            self.work.add(Kind.REBUILD, _job_source(job), job.model_dump_json())


def _job_source(job: RebuildJob) -> str:
    """What a rebuild job is about, as its dead letter names it."""
    if job.pages is not None:
        return job.pages.listing
    if job.kind == "listings_sitemap":
        return f"sitemap-listings-{job.file}"
    return job.listing or job.source_keys[0]


def _unchanged(adapter: T) -> T:
    return adapter
