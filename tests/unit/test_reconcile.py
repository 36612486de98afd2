"""The reconciliation sweep repairs what AWS's delivery lost: each test loses one thing on purpose."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pressrun.follow import follow_article_change
from pressrun.index import position_of
from pressrun.ingest import Change, Upload, accept_upload
from pressrun.listings import refresh_listings
from pressrun.model import ArticleRecord
from pressrun.reconcile import sweep
from pressrun.settings import SiteSettings
from pressrun.sweep_state import Budget, SweepReport
from tests.fakes import (
    MemoryArticles,
    MemoryFailedBatches,
    MemoryIndex,
    MemoryJournal,
    MemoryRedirects,
    MemorySite,
    MemoryUploads,
    RecordingAlerts,
    RecordingScheduler,
)

SITE = SiteSettings(listing_size=2, sitemap_size=4)
NOW = datetime(2026, 1, 10, 12, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=1)


def story(number: int, category: str = "World", date: str = "2026-01-0{day}T09:00:00Z") -> bytes:
    day = number % 9 + 1
    return (
        f"---\ntitle: Story {number}\ndate: {date.format(day=day)}\ncategories: [{category}]\n"
        f"slug: story-{number}\n---\nBody {number}.\n"
    ).encode()


def page_of(number: int) -> str:
    return f"2026/01/0{number % 9 + 1}/story-{number}/index.html"


@dataclass
class Newsroom:
    """The pipeline in memory, run kindly step by step, so that a test can leave one step out."""

    uploads: MemoryUploads = field(default_factory=MemoryUploads)
    articles: MemoryArticles = field(default_factory=lambda: MemoryArticles(clock=lambda: EARLIER))
    index: MemoryIndex = field(default_factory=MemoryIndex)
    site: MemorySite = field(default_factory=MemorySite)
    scheduler: RecordingScheduler = field(default_factory=RecordingScheduler)
    journal: MemoryJournal = field(default_factory=MemoryJournal)
    failed: MemoryFailedBatches = field(default_factory=MemoryFailedBatches)
    alerts: RecordingAlerts = field(default_factory=RecordingAlerts)
    redirects: MemoryRedirects = field(default_factory=MemoryRedirects)
    sequencer: int = 0

    def put(self, number: int, data: bytes | None = None) -> Upload:
        """The editor's upload: in the bucket, and the event S3 sends (not yet delivered)."""
        self.sequencer += 1
        key = f"incoming/story-{number}.md"
        version = f"v{self.sequencer}"
        self.uploads.add(key, data or story(number), version_id=version, at=EARLIER)
        return Upload(
            bucket="uploads",
            key=key,
            version_id=version,
            sequencer=f"{self.sequencer:04X}",
            change=Change.CREATED,
            event_time=EARLIER,
        )

    def delete(self, number: int) -> Upload:
        self.sequencer += 1
        key = f"incoming/story-{number}.md"
        self.uploads.mark_deleted(key, at=EARLIER)
        return Upload(
            bucket="uploads",
            key=key,
            version_id=f"marker{self.sequencer}",
            sequencer=f"{self.sequencer:04X}",
            change=Change.DELETE_MARKER,
            event_time=EARLIER,
        )

    def validate(self, upload: Upload) -> tuple[ArticleRecord | None, ArticleRecord | None]:
        """The validator, and the article change its write puts on the stream."""
        old = self.articles.current(upload.key)
        accept_upload(upload, self.uploads, self.articles, SITE, self.alerts, EARLIER)
        return old, self.articles.current(upload.key)

    def follow(self, change: tuple[ArticleRecord | None, ArticleRecord | None]) -> dict[str, set[str]]:
        """The article-change consumer, and the index changes its update puts on the index stream."""
        old, new = change
        followed = follow_article_change(
            old,
            new,
            uploads=self.uploads,
            site_store=self.site,
            index=self.index,
            scheduler=self.scheduler,
            articles=self.articles,
            redirects=self.redirects,
            site=SITE,
            now=EARLIER,
        )
        changes: dict[str, set[str]] = {}
        for listing, position in [*(entry.key for entry in followed.index.put), *followed.index.delete]:
            changes.setdefault(listing, set()).add(position)
        return changes

    def render(self, changes: dict[str, set[str]]) -> None:
        refresh_listings(changes, self.index, self.site, SITE, EARLIER)

    def publish(self, number: int) -> None:
        self.render(self.follow(self.validate(self.put(number))))

    def sweep(self, budget: Budget | None = None, now: datetime = NOW) -> SweepReport:
        return sweep(
            uploads=self.uploads,
            articles=self.articles,
            index=self.index,
            site_store=self.site,
            scheduler=self.scheduler,
            journal=self.journal,
            failed_batches=self.failed,
            alerts=self.alerts,
            redirects=self.redirects,
            site=SITE,
            now=now,
            budget=budget,
        )

    def listed(self, listing_page: str) -> str:
        return self.site.objects[listing_page].decode()


def kinds(report: SweepReport) -> set[str]:
    return {drift.kind for drift in report.drift}


def test_a_site_in_step_has_no_drift():
    newsroom = Newsroom()
    for number in range(5):
        newsroom.publish(number)

    report = newsroom.sweep()

    assert report.drift == []
    assert report.checked["articles"] == 5
    assert not report.persistent


def test_an_upload_whose_event_s3_dropped_is_announced_again():
    newsroom = Newsroom()
    newsroom.publish(1)
    # GIVEN an upload whose event never arrived
    newsroom.put(2)
    # WHEN the sweep runs
    report = newsroom.sweep()
    # THEN it asks S3 to tell of it again, which sends it through validation like any upload
    assert newsroom.uploads.reannounced == ["incoming/story-2.md"]
    assert kinds(report) == {"upload"}


def test_an_upload_changed_moments_ago_is_left_to_its_own_event():
    newsroom = Newsroom()
    newsroom.uploads.add("incoming/story-3.md", story(3), version_id="v9", at=NOW - timedelta(seconds=10))

    assert newsroom.sweep().drift == []
    assert newsroom.uploads.reannounced == []


def test_an_article_change_lost_with_its_stream_batch_gets_its_page_entries_and_listings():
    newsroom = Newsroom()
    newsroom.publish(1)
    # GIVEN a story validated whose change never reached the article-change consumer
    newsroom.validate(newsroom.put(2))

    report = newsroom.sweep()

    assert page_of(2) in newsroom.site.objects
    assert [entry.source_key for entry in newsroom.index.entries("category/world")] == [
        "incoming/story-2.md",
        "incoming/story-1.md",
    ]
    assert "/2026/01/03/story-2/" in newsroom.listed("index.html")
    assert "/2026/01/03/story-2/" in newsroom.listed("category/world/index.html")
    assert kinds(report) == {"page", "index", "listing"}
    # AND a second sweep finds the site in step
    assert newsroom.sweep().drift == []


def test_listings_left_stale_by_a_lost_index_record_are_rendered_again():
    newsroom = Newsroom()
    newsroom.publish(1)
    # GIVEN a story indexed whose index stream record was lost: its listings were never rendered
    newsroom.follow(newsroom.validate(newsroom.put(2)))

    report = newsroom.sweep()

    assert "/2026/01/03/story-2/" in newsroom.listed("category/world/index.html")
    assert kinds(report) == {"listing"}


def test_a_removal_whose_change_was_lost_takes_the_page_down():
    newsroom = Newsroom()
    newsroom.publish(1)
    newsroom.publish(2)
    # GIVEN the editor deleted story 2, and the removal was recorded but its change lost
    newsroom.validate(newsroom.delete(2))

    newsroom.sweep()

    assert page_of(2) not in newsroom.site.objects
    assert [entry.source_key for entry in newsroom.index.entries("site")] == ["incoming/story-1.md"]
    assert "/2026/01/03/story-2/" not in newsroom.listed("index.html")


def test_an_upload_gone_with_every_version_and_its_event_is_unpublished():
    newsroom = Newsroom()
    newsroom.publish(1)
    newsroom.publish(2)
    # GIVEN every version of story 2 deleted for good, and that event lost too
    del newsroom.uploads.current["incoming/story-2.md"]

    report = newsroom.sweep()

    assert newsroom.articles.current("incoming/story-2.md").status == "removed"  # type: ignore[union-attr]
    assert page_of(2) not in newsroom.site.objects
    assert "upload" in kinds(report)


def test_a_stream_batch_sent_to_the_failure_destination_is_repaired_from_its_time_span():
    # GIVEN a change made long before the last sweep, whose stream batch exhausted its retries
    long_ago = NOW - timedelta(days=1)
    newsroom = Newsroom(articles=MemoryArticles(clock=lambda: long_ago))
    newsroom.publish(1)
    newsroom.sweep(now=NOW - timedelta(hours=2))
    newsroom.validate(newsroom.put(2))
    no_archive = Budget(uploads=0, articles=0, listing_entries=0, site_keys=0)
    # WHEN a sweep runs without the batch's coordinates, it does not see it
    assert newsroom.sweep(budget=no_archive, now=NOW - timedelta(hours=1)).drift == []
    # AND with them (all the destination keeps: when its records arrived), it repairs it
    newsroom.failed.batches.append((long_ago - timedelta(seconds=1), long_ago + timedelta(seconds=1)))
    report = newsroom.sweep(budget=no_archive)
    assert page_of(2) in newsroom.site.objects
    assert "page" in kinds(report)


def test_a_page_nobody_owns_is_removed_by_the_walk_over_the_site():
    newsroom = Newsroom()
    newsroom.publish(1)
    newsroom.site.objects["2025/12/31/an-old-story/index.html"] = b"<p>gone</p>"

    report = newsroom.sweep()

    assert "2025/12/31/an-old-story/index.html" not in newsroom.site.objects
    assert kinds(report) == {"orphan"}


def test_a_feed_item_whose_page_is_gone_is_removed_by_the_walk_over_the_site():
    # GIVEN a feed item left by a story's settling cut short after its page went (no record names it)
    newsroom = Newsroom()
    newsroom.publish(1)
    newsroom.site.objects["2025/12/31/an-old-story/feed-item.json"] = b"{}"

    # WHEN the sweep walks the site
    newsroom.sweep()

    # THEN the item is gone, and the live story's item stays
    assert "2025/12/31/an-old-story/feed-item.json" not in newsroom.site.objects
    assert page_of(1).replace("index.html", "feed-item.json") in newsroom.site.objects


def test_a_scheduled_story_whose_release_was_lost_goes_live():
    newsroom = Newsroom()
    future = story(4, date="2026-01-10T10:00:00Z")
    newsroom.articles.clock = lambda: EARLIER
    # GIVEN a story scheduled for 10:00 whose release never ran
    upload = newsroom.put(4, future)
    accept_upload(upload, newsroom.uploads, newsroom.articles, SITE, newsroom.alerts, NOW - timedelta(days=1))
    assert newsroom.articles.current("incoming/story-4.md").status == "scheduled"  # type: ignore[union-attr]

    report = newsroom.sweep()

    assert newsroom.articles.current("incoming/story-4.md").status == "published"  # type: ignore[union-attr]
    assert "schedule" in kinds(report)


def test_drift_two_sweeps_in_a_row_is_persistent_and_a_clean_sweep_ends_it():
    newsroom = Newsroom()
    newsroom.put(1)
    newsroom.put(2)

    assert not newsroom.sweep(now=NOW).persistent
    # The re-announced uploads' events were lost again: still in drift
    assert newsroom.sweep(now=NOW + timedelta(minutes=15)).persistent
    for number in (1, 2):
        key = f"incoming/story-{number}.md"
        upload = Upload(
            bucket="uploads",
            key=key,
            version_id=newsroom.uploads.current[key],
            sequencer=f"{number:04X}",
            change=Change.CREATED,
            event_time=NOW,
        )
        newsroom.render(newsroom.follow(newsroom.validate(upload)))
    assert not newsroom.sweep(now=NOW + timedelta(minutes=30)).persistent


def test_a_sweep_checks_what_changed_plus_a_bounded_slice_and_walks_the_rest_later():
    newsroom = Newsroom()
    for number in range(30):
        newsroom.publish(number)
    newsroom.sweep(now=NOW - timedelta(minutes=30))  # the first sweep checks everything changed so far
    slice_of_ten = Budget(uploads=10, articles=10, listing_entries=4, site_keys=10)

    checked = [newsroom.sweep(budget=slice_of_ten, now=NOW + timedelta(minutes=15 * n)) for n in range(3)]

    assert [report.checked["articles"] for report in checked] == [10, 10, 10]
    assert [report.checked["uploads"] for report in checked] == [10, 10, 10]
    assert all(report.drift == [] for report in checked)


def test_a_stale_numbered_page_is_found_by_the_walk_over_the_listings():
    newsroom = Newsroom()
    for number in range(6):
        newsroom.publish(number)
    page = "category/world/page/1/index.html"
    newsroom.site.objects[page] = b"<p>stale</p>"

    report = newsroom.sweep()

    assert newsroom.site.objects[page] != b"<p>stale</p>"
    assert [drift.subject for drift in report.drift] == [page]


def test_an_index_entry_left_in_an_old_section_is_removed():
    newsroom = Newsroom()
    newsroom.publish(1)
    newsroom.publish(2)
    # GIVEN story 2 moved from World to Sport, and the index change lost
    moved = newsroom.articles.current("incoming/story-2.md")
    assert moved is not None
    newsroom.validate(newsroom.put(2, story(2, category="Sport")))

    newsroom.sweep()

    assert [entry.source_key for entry in newsroom.index.entries("category/world")] == ["incoming/story-1.md"]
    assert [entry.source_key for entry in newsroom.index.entries("category/sport")] == ["incoming/story-2.md"]
    position = position_of(moved.published_at, moved.source_key)  # type: ignore[arg-type]
    assert ("category/world", position) not in newsroom.index.items
