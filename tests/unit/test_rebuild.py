from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pressrun.index import position_of, update_index
from pressrun.listings import refresh_listings
from pressrun.model import ArticleRecord
from pressrun.rebuild import ARTICLES_PER_MESSAGE, RebuildJob, plan_rebuild, run_job
from pressrun.settings import SiteSettings
from tests.fakes import MemoryArticles, MemoryIndex, MemorySite, MemoryUploads
from tests.unit.test_index import record
from tests.unit.test_pages import CountingIndex

SITE = SiteSettings()
NOW = datetime(2026, 1, 1, tzinfo=UTC)


class RecordingQueue:
    def __init__(self) -> None:
        self.jobs: list[RebuildJob] = []

    def send(self, jobs: list[RebuildJob]) -> None:
        self.jobs += jobs


def story(number: int) -> tuple[ArticleRecord, bytes]:
    """Story `number`, one every six hours from 2025-06-01, as its record and its upload."""
    published = datetime(2025, 6, 1, tzinfo=UTC) + timedelta(hours=6 * number)
    key = f"incoming/story-{number}.md"
    front_matter = f"title: Story {number}\ndate: {published:%Y-%m-%dT%H:%M:%SZ}\ncategories: [World]"
    upload = f"---\n{front_matter}\n---\nBody {number}.\n".encode()
    live = record("World", title=f"Story {number}").model_copy(
        update={
            "source_key": key,
            "slug": f"story-{number}",
            "path": f"/{published:%Y/%m/%d}/story-{number}/",
            "published_at": published,
        }
    )
    return live, upload


def a_site(count: int) -> tuple[MemoryArticles, MemoryUploads, MemoryIndex]:
    articles, uploads, index = MemoryArticles(), MemoryUploads(), MemoryIndex()
    # Stored newest first, so the table's order is not the order of the paths.
    for number in reversed(range(count)):
        live, upload = story(number)
        articles.records[live.source_key] = live
        uploads.add(live.source_key, upload)
        update_index(None, live, index)
    return articles, uploads, index


def test_a_rebuild_batches_articles_in_path_order_so_a_job_shares_its_day_folders():
    articles, _, index = a_site(60)
    queue = RecordingQueue()

    queued = plan_rebuild(articles, index, queue, SITE)

    article_jobs = [job for job in queue.jobs if job.kind == "articles"]
    in_jobs = [key for job in article_jobs for key in job.source_keys]
    paths = [articles.records[key].path for key in in_jobs]
    assert paths == sorted(articles.records[key].path for key in articles.records)
    assert [len(job.source_keys) for job in article_jobs] == [ARTICLES_PER_MESSAGE, ARTICLES_PER_MESSAGE, 10]
    assert {job.listing for job in queue.jobs if job.kind == "listing"} == {"site", "category/world"}
    assert queued == len(queue.jobs)


def test_a_rebuild_job_rewrites_only_changed_pages_and_asks_for_each_day_folder_once():
    articles, uploads, index = a_site(8)
    site = MemorySite()
    keys = tuple(f"incoming/story-{number}.md" for number in range(8))
    run_job(RebuildJob(kind="articles", source_keys=keys), articles, uploads, index, site, SITE, NOW)
    site.objects["2025/06/01/story-2/index.html"] = b"<p>rendered by an older template</p>"
    site.folders_read.clear()

    changed = run_job(
        RebuildJob(kind="articles", source_keys=keys), articles, uploads, index, site, SITE, NOW
    )

    assert [write.key for write in changed] == ["2025/06/01/story-2/index.html"]
    assert b"Story 2" in site.objects["2025/06/01/story-2/index.html"]
    # Eight stories, four a day: two listings, not eight reads.
    assert site.folders_read == ["2025/06/01", "2025/06/02"]


def test_a_rebuild_job_skips_an_article_taken_down_since_it_was_queued():
    articles, uploads, index = a_site(2)
    articles.records["incoming/story-1.md"] = articles.records["incoming/story-1.md"].model_copy(
        update={"status": "removed"}
    )
    site = MemorySite()

    changed = run_job(
        RebuildJob(kind="articles", source_keys=("incoming/story-0.md", "incoming/story-1.md")),
        articles,
        uploads,
        index,
        site,
        SITE,
        NOW,
    )

    live = {"2025/06/01/story-0/index.html", "2025/06/01/story-0/feed-item.json"}
    assert {write.key for write in changed} == live
    assert set(site.objects) == live


def run_every_job(jobs: list[RebuildJob], articles, uploads, index, site, settings) -> None:  # type: ignore[no-untyped-def]
    for job in jobs:
        run_job(job, articles, uploads, index, site, settings, NOW)


def test_a_long_listing_rebuilds_in_bounded_runs_of_pages_that_give_the_same_site():
    # GIVEN a site of 137 stories, its listings rendered story by story as they were published
    small = SiteSettings(listing_size=5, sitemap_size=20)
    articles, uploads, index = a_site(137)
    published = MemorySite()
    # Pages first, as the chain writes a story's page before its index entries reach the listings.
    run_every_job(
        [RebuildJob(kind="articles", source_keys=tuple(articles.records))],
        articles,
        uploads,
        index,
        published,
        small,
    )
    for live in sorted(articles.records.values(), key=lambda each: each.published_at or NOW):
        position = position_of(live.published_at, live.source_key)  # type: ignore[arg-type]
        refresh_listings({"site": [position], "category/world": [position]}, index, published, small, NOW)
    # WHEN the whole site is rebuilt into an empty bucket, in jobs of at most 40 listing entries
    queue = RecordingQueue()
    plan_rebuild(articles, index, queue, small, entries_per_job=40)
    counting = CountingIndex(
        items=index.items,
        summary_items=index.summary_items,
        sitemap_files=index.sitemap_files,
        sitemap_places=index.sitemap_places,
    )
    rebuilt = MemorySite()
    for job in queue.jobs:
        counting.read = 0
        run_job(job, articles, uploads, counting, rebuilt, small, NOW)
        # THEN no job of numbered pages reads more than its run (and one entry to start after, and the
        # newest, whose spelling of the listing heads every page)
        if job.kind == "pages":
            assert counting.read <= 42
    # AND the rebuilt site is the published one, byte for byte
    assert rebuilt.objects == published.objects
    assert sum(job.kind == "pages" for job in queue.jobs) >= 137 // 40 + 1
