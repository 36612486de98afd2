"""Re-rendering every page after a template change, fanned out in batches so that a large site
rebuilds in parallel: one message per batch of articles, one per listing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from pressrun.index import FROM_THE_START
from pressrun.listings import refresh_listings
from pressrun.model import SiteWrite
from pressrun.pages import HTML, article_page
from pressrun.ports import CategoryIndex, JobQueue, LiveArticles, SiteStore, UploadStore
from pressrun.settings import SiteSettings
from pressrun.urls import day_folder, object_key

T = TypeVar("T")
# Articles per message: small enough that one worker invocation renders a batch well within its timeout.
ARTICLES_PER_MESSAGE = 25


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


def plan_rebuild(articles: LiveArticles, index: CategoryIndex, queue: JobQueue) -> int:
    """Queue the whole site's rebuild; how many jobs were queued."""
    # In path order, a batch's pages share their day folders, which a job reads with one listing each.
    in_path_order = sorted(articles.live(), key=lambda record: record.path)
    jobs = [
        RebuildJob(kind="articles", source_keys=tuple(record.source_key for record in batch))
        for batch in _batched(in_path_order, ARTICLES_PER_MESSAGE)
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
) -> list[SiteWrite]:
    """Render what the job names; what changed (unchanged pages are not rewritten)."""
    if job.kind == "listing":
        refreshed = refresh_listings({job.listing: [FROM_THE_START]}, index, site_store, site, now)
        if refreshed.failed:
            raise RuntimeError(f"rebuilding {job.listing} failed: {refreshed.failed[job.listing]}")
        return refreshed.changed
    # Nothing moves in a rebuild: each live article's page is rendered again and written if its
    # bytes differ.
    pages = {
        object_key(record.path): (article_page(record, uploads, site), HTML)
        for record in articles.by_keys(job.source_keys)
        if record.is_live
    }
    return site_store.put_many(pages, folders={day_folder(key) for key in pages})
