"""Re-rendering every page after a template change, fanned out in batches so that a large site
rebuilds in parallel: one message per batch of articles, one per listing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice
from typing import Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from pressrun.index import CategoryIndex
from pressrun.ingest import UploadStore
from pressrun.listings import refresh_listings
from pressrun.model import ArticleRecord
from pressrun.pages import SiteStore, apply_article_change
from pressrun.settings import SiteSettings

T = TypeVar("T")
# Articles per message: small enough that one worker invocation renders a batch well within its timeout.
ARTICLES_PER_MESSAGE = 25
# The earliest possible position: a change "there" reaches every page of a listing.
_FROM_THE_START = "0"


def _batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    # itertools.batched arrived in 3.12; the project supports 3.11.
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class RebuildJob(BaseModel):
    """One message of a rebuild: a batch of articles, or one listing with all its pages."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["articles", "listing"]
    source_keys: tuple[str, ...] = ()
    listing: str = ""


class LiveArticles(Protocol):
    def live(self) -> Iterator[ArticleRecord]:
        """Every published article."""
        ...

    def by_keys(self, source_keys: Iterable[str]) -> list[ArticleRecord]: ...


class JobQueue(Protocol):
    def send(self, jobs: list[RebuildJob]) -> None: ...


def plan_rebuild(articles: LiveArticles, index: CategoryIndex, queue: JobQueue) -> int:
    """Queue the whole site's rebuild; how many jobs were queued."""
    jobs = [
        RebuildJob(kind="articles", source_keys=tuple(record.source_key for record in batch))
        for batch in _batched(articles.live(), ARTICLES_PER_MESSAGE)
    ]
    jobs += [RebuildJob(kind="listing", listing=listing) for listing in sorted(index.summaries())]
    for batch in _batched(jobs, 10):
        queue.send(batch)
    return len(jobs)


def run_job(
    job: RebuildJob,
    articles: LiveArticles,
    uploads: UploadStore,
    index: CategoryIndex,
    site_store: SiteStore,
    site: SiteSettings,
    now: datetime,
) -> list[str]:
    """Render what the job names; the keys whose bytes changed (unchanged pages are not rewritten)."""
    if job.kind == "listing":
        refreshed = refresh_listings({job.listing: [_FROM_THE_START]}, index, site_store, site, now)
        if refreshed.failed:
            raise RuntimeError(f"rebuilding {job.listing} failed: {refreshed.failed[job.listing]}")
        return refreshed.changed
    changed: list[str] = []
    for record in articles.by_keys(job.source_keys):
        if record.is_live:
            # The record against itself: nothing moved, so only pages whose bytes differ are written.
            changed += apply_article_change(record, record, uploads, site_store, site)
    return changed
