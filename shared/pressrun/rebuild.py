"""Re-rendering every page after a template change, fanned out in batches so that a large site
rebuilds in parallel: one message per batch of articles, one per listing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from pressrun.index import FROM_THE_START, ListingSummary, PageRange
from pressrun.listings import numbering, refresh_listings, render_range, write_listings_sitemap_file
from pressrun.model import SiteWrite
from pressrun.pages import SourceMissing, article_objects, header_overtaken, read_header
from pressrun.ports import CategoryIndex, JobQueue, LiveArticles, SiteStore, UploadStore
from pressrun.settings import SiteSettings
from pressrun.urls import day_folder

T = TypeVar("T")
# Articles per message: small enough that one worker invocation renders a batch well within its timeout.
ARTICLES_PER_MESSAGE = 25


def _batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    # itertools.batched arrived in 3.12; the project supports 3.11.
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


# Entries of a listing per job: fifty category pages, or one sitemap file of a thousand URLs. A job
# then renders in seconds however long the listing, instead of a whole category in one invocation.
ENTRIES_PER_JOB = 1000


class RebuildJob(BaseModel):
    """One message of a rebuild: a batch of articles, a run of a listing's numbered pages, a
    listing's newest pages (its front page, feed and, for the site, home and sitemap index), or a file
    of the listings sitemap."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["articles", "listing", "pages", "listings_sitemap"]
    source_keys: tuple[str, ...] = ()
    listing: str = ""
    pages: PageRange | None = None
    # The file of the listings sitemap a "listings_sitemap" job writes.
    file: int = 0


def plan_rebuild(
    articles: LiveArticles,
    index: CategoryIndex,
    queue: JobQueue,
    site: SiteSettings,
    entries_per_job: int = ENTRIES_PER_JOB,
) -> int:
    """Queue the whole site's rebuild; how many jobs were queued."""
    # In path order, a batch's pages share their day folders, which a job reads with one listing each.
    in_path_order = sorted(articles.live(), key=lambda record: record.path)
    jobs = [
        RebuildJob(kind="articles", source_keys=tuple(record.source_key for record in batch))
        for batch in _batched(in_path_order, ARTICLES_PER_MESSAGE)
    ]
    for listing, summary in sorted(_every_summary(index).items()):
        runs = _page_runs(listing, summary.members, index, site, entries_per_job)
        jobs += [RebuildJob(kind="pages", pages=span) for span in runs]
        jobs.append(RebuildJob(kind="listing", listing=listing))
    # The listings sitemap, a file a job: a render writes it only when a listing is placed or dropped.
    _, files = index.listings_sitemap_file(1)
    jobs += [RebuildJob(kind="listings_sitemap", file=number) for number in range(1, files + 1)]
    for batch in _batched(jobs, 10):
        queue.send(batch)
    return len(jobs)


@dataclass(frozen=True)
class QueuedRebuild:
    """`SiteRebuilds` as a rebuild's planner: the jobs of every page queued from where the change was
    seen (the listings function), for the rebuild workers to render."""

    articles: LiveArticles
    index: CategoryIndex
    queue: JobQueue
    site: SiteSettings

    def request(self) -> None:
        plan_rebuild(self.articles, self.index, self.queue, self.site)


def _every_summary(index: CategoryIndex) -> dict[str, ListingSummary]:
    """The summary of every listing of every kind, read a hundred at a time."""
    found: dict[str, ListingSummary] = {}
    names = index.listings_after("", _LISTINGS_PER_READ)
    while names:
        found |= index.summaries(names)
        names = index.listings_after(names[-1], _LISTINGS_PER_READ)
    return found


# What one batch read of the index's summaries takes.
_LISTINGS_PER_READ = 100


def _page_runs(
    listing: str, members: int, index: CategoryIndex, site: SiteSettings, entries_per_job: int
) -> list[PageRange]:
    """The listing's full numbered pages, cut into runs of about `entries_per_job` entries. Where each
    run starts comes from one read of the listing's positions (no entries), oldest first."""
    layout = numbering(listing, members, site)
    if layout is None or layout.count == 0:
        return []
    size = layout.size
    per_run = max(size, entries_per_job // size * size)
    oldest_first = list(reversed(index.positions(listing, since=FROM_THE_START)))
    full = min(len(oldest_first) // size, layout.count) * size
    return [
        PageRange(listing=listing, after=oldest_first[start - 1] if start else "", rank=start, count=per_run)
        for start in range(0, full, per_run)
    ]


def _newest_position(listing: str, index: CategoryIndex) -> list[str]:
    """Where a listing's newest pages start: its newest entry, or the very start for an empty one
    (which then loses every page it had)."""
    newest = index.entries(listing, limit=1)
    return [newest[0].position] if newest else [FROM_THE_START]


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
    if job.kind == "pages" and job.pages is not None:
        rendered, _, _ = render_range(job.pages, index, site_store, site)
        return rendered
    if job.kind == "listings_sitemap":
        return write_listings_sitemap_file(job.file, index, site_store, site)
    if job.kind == "listing":
        # Every item read again: a rebuild is how a feed catches up with what its stories' pages say.
        refreshed = refresh_listings(
            {job.listing: _newest_position(job.listing, index)},
            index,
            site_store,
            site,
            now,
            reuse_feed_items=False,
        )
        if refreshed.failed:
            raise RuntimeError(f"rebuilding {job.listing} failed: {refreshed.failed[job.listing]}")
        return refreshed.changed
    # Nothing moves in a rebuild: each live article's page is rendered again and written if its
    # bytes differ.
    # The sections in use noted anew while the pages were written: another rebuild's job may have
    # written them first, with the new set, so they are rendered again.
    written: list[SiteWrite] = []
    for _ in range(_HEADER_ATTEMPTS):
        header = read_header(index, site)
        pages: dict[str, tuple[bytes, str]] = {}
        for record in articles.by_keys(job.source_keys):
            if not record.is_live:
                continue
            try:
                pages.update(article_objects(record, uploads, site, index, header=header.sections))
            except SourceMissing:
                # It shows a version gone for good (kept up behind a refusal, then cleaned up):
                # retrying cannot render it, and would dead-letter the job. The sweep re-announces
                # its file, and the refusal that event makes settles the page.
                continue
        written += site_store.put_many(pages, folders={day_folder(key) for key in pages})
        if not header_overtaken(header, index, site):
            return written
    raise RuntimeError("the sections in use kept changing while the stories were rendered")


_HEADER_ATTEMPTS = 3
