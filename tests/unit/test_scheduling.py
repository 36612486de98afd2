from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from pressrun.ingest import Outcome, accept_upload
from pressrun.model import ArticleRecord
from pressrun.scheduling import Release, follow_schedule, schedule_name
from pressrun.settings import SiteSettings
from tests.fakes import MemoryArticles, MemoryUploads, RecordingAlerts
from tests.unit.test_index import record
from tests.unit.test_ingest import upload

SITE = SiteSettings()
EARLY = datetime(2026, 1, 1, tzinfo=UTC)
MORNING = b"---\ntitle: Morning news\ndate: 2026-03-02T06:00:00+00:00\ncategories: [News]\n---\nBody.\n"


@dataclass
class RecordingScheduler:
    schedules: dict[str, tuple[datetime, Release]] = field(default_factory=dict)

    def schedule(self, name: str, at: datetime, release: Release) -> None:
        self.schedules[name] = (at, release)

    def cancel(self, name: str) -> None:
        self.schedules.pop(name, None)


def scheduled(at: datetime) -> ArticleRecord:
    return record("News").model_copy(update={"status": "scheduled", "published_at": at})


def test_article_dated_after_now_is_scheduled_not_published(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add("incoming/morning.md", MORNING)

    outcome = accept_upload(
        upload("0A", key="incoming/morning.md"),
        uploads,
        articles,
        SITE,
        alerts,
        datetime(2026, 3, 1, tzinfo=UTC),
    )

    assert outcome is Outcome.SCHEDULED
    assert articles.records["incoming/morning.md"].status == "scheduled"
    assert not articles.records["incoming/morning.md"].is_live


def test_article_whose_time_has_come_is_published_at_once(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add("incoming/morning.md", MORNING)

    outcome = accept_upload(
        upload("0A", key="incoming/morning.md"),
        uploads,
        articles,
        SITE,
        alerts,
        datetime(2026, 3, 2, 7, tzinfo=UTC),
    )

    assert outcome is Outcome.PUBLISHED


def test_scheduled_record_gets_a_one_time_schedule_at_its_time():
    scheduler = RecordingScheduler()
    at = datetime(2026, 3, 2, 6, tzinfo=UTC)

    assert follow_schedule(None, scheduled(at), scheduler, MemoryArticles(), EARLY) == "scheduled"

    name = schedule_name("incoming/story.md")
    assert scheduler.schedules == {name: (at, Release(source_key="incoming/story.md", source_version="v1"))}
    assert len(name) <= 64


def test_new_time_moves_the_schedule_and_publishing_or_removal_cancels_it():
    scheduler = RecordingScheduler()
    first, later = datetime(2026, 3, 2, 6, tzinfo=UTC), datetime(2026, 3, 3, 6, tzinfo=UTC)
    follow_schedule(None, scheduled(first), scheduler, MemoryArticles(), EARLY)

    follow_schedule(scheduled(first), scheduled(later), scheduler, MemoryArticles(), EARLY)
    assert [at for at, _ in scheduler.schedules.values()] == [later]

    assert (
        follow_schedule(
            scheduled(later), record("News", status="removed"), scheduler, MemoryArticles(), EARLY
        )
        == "cancelled"
    )
    assert scheduler.schedules == {}


def test_records_that_never_were_scheduled_leave_schedules_alone():
    assert (
        follow_schedule(
            record("News"), record("News", title="New"), RecordingScheduler(), MemoryArticles(), EARLY
        )
        is None
    )


def test_article_whose_time_came_in_transit_is_released_at_once():
    scheduler, articles = RecordingScheduler(), MemoryArticles()
    at = datetime(2026, 3, 2, 6, tzinfo=UTC)
    record = scheduled(at)
    articles.records[record.source_key] = record

    action = follow_schedule(None, record, scheduler, articles, datetime(2026, 3, 2, 6, 0, 1, tzinfo=UTC))

    assert action == "released"
    assert scheduler.schedules == {}
    assert articles.records[record.source_key].status == "published"
