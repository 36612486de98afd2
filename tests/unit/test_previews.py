"""Private previews of drafts and scheduled stories (README, "Previews"): the page at an unguessable,
expiring address, the editor's report, the redirect once the story is live, and nothing once it is
deleted or expired, whatever order the changes are delivered in."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pressrun.follow import follow_article_change
from pressrun.ingest import Change, Upload, accept_upload
from pressrun.model import PREVIEW_SETTLED_AFTER_EXPIRY, ArticleRecord
from pressrun.previews import preview_report_key
from pressrun.reconcile import sweep
from pressrun.scheduling import Release, release_article
from pressrun.settings import SiteSettings
from pressrun.urls import object_key, preview_expiry, refused_preview
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

SITE = SiteSettings(site_url="https://news.example.org")
NOW = datetime(2026, 3, 1, 9, 30, 15, tzinfo=UTC)
KEY = "incoming/budget.md"
REPORT = "previews/budget.md.json"


def story(*, draft: bool = True, title: str = "Budget talks", date: str = "2026-02-27T08:00:00Z") -> bytes:
    return (
        f"---\ntitle: {title}\ndate: {date}\ncategories: [Politics]\nslug: budget-talks\n"
        f"draft: {str(draft).lower()}\n---\nThe council met.\n"
    ).encode()


@dataclass
class Newsroom:
    """The validator and the article-change consumer on in-memory ports, each change delivered as the
    test says (or not at all)."""

    uploads: MemoryUploads = field(default_factory=MemoryUploads)
    articles: MemoryArticles = field(default_factory=lambda: MemoryArticles(clock=lambda: NOW))
    index: MemoryIndex = field(default_factory=MemoryIndex)
    site: MemorySite = field(default_factory=MemorySite)
    scheduler: RecordingScheduler = field(default_factory=RecordingScheduler)
    redirects: MemoryRedirects = field(default_factory=MemoryRedirects)
    alerts: RecordingAlerts = field(default_factory=RecordingAlerts)
    journal: MemoryJournal = field(default_factory=MemoryJournal)
    sequencer: int = 0
    tokens: int = 0

    def token(self) -> str:
        self.tokens += 1
        return f"token{self.tokens:027d}"

    def upload(self, data: bytes, at: datetime = NOW) -> Upload:
        self.sequencer += 1
        version = f"v{self.sequencer}"
        self.uploads.add(KEY, data, version_id=version, at=at)
        return self._event(version, Change.CREATED, at)

    def delete(self, at: datetime = NOW) -> Upload:
        self.sequencer += 1
        self.uploads.mark_deleted(KEY, at=at)
        return self._event(f"marker{self.sequencer}", Change.DELETE_MARKER, at)

    def _event(self, version: str, change: Change, at: datetime) -> Upload:
        return Upload(
            bucket="uploads",
            key=KEY,
            version_id=version,
            sequencer=f"{self.sequencer:04X}",
            change=change,
            event_time=at,
        )

    def validate(
        self, upload: Upload, now: datetime = NOW
    ) -> tuple[ArticleRecord | None, ArticleRecord | None]:
        """The validator; the change its write puts on the articles stream."""
        old = self.articles.current(KEY)
        accept_upload(upload, self.uploads, self.articles, SITE, self.alerts, now, token=self.token)
        return old, self.articles.current(KEY)

    def follow(self, change: tuple[ArticleRecord | None, ArticleRecord | None], now: datetime = NOW) -> None:
        old, new = change
        follow_article_change(
            old,
            new,
            uploads=self.uploads,
            site_store=self.site,
            index=self.index,
            scheduler=self.scheduler,
            articles=self.articles,
            redirects=self.redirects,
            site=SITE,
            now=now,
        )

    def publish(self, data: bytes, now: datetime = NOW) -> tuple[ArticleRecord | None, ArticleRecord | None]:
        change = self.validate(self.upload(data, at=now), now)
        self.follow(change, now)
        return change

    def sweep(self, now: datetime) -> None:
        sweep(
            uploads=self.uploads,
            articles=self.articles,
            index=self.index,
            site_store=self.site,
            scheduler=self.scheduler,
            journal=self.journal,
            failed_batches=MemoryFailedBatches(),
            alerts=self.alerts,
            redirects=self.redirects,
            site=SITE,
            now=now,
            grace=timedelta(0),
        )

    @property
    def record(self) -> ArticleRecord:
        record = self.articles.current(KEY)
        assert record is not None
        return record

    def previews(self) -> dict[str, str]:
        return {key: body.decode() for key, body in self.site.objects.items() if key.startswith("preview/")}

    def report(self) -> dict[str, str] | None:
        body = self.uploads.reports.get(REPORT)
        return None if body is None else json.loads(body)


def test_a_draft_gets_a_private_preview_and_the_editor_is_told_where():
    newsroom = Newsroom()
    # WHEN an editor uploads a draft
    newsroom.publish(story(draft=True))
    # THEN its page is at an unguessable address that says when it expires: a week on, to the minute
    preview = newsroom.record.preview
    assert preview is not None
    assert preview.expires == datetime(2026, 3, 8, 9, 31, tzinfo=UTC)
    assert preview.path == f"/preview/202603080931-{preview.token}/"
    page = newsroom.previews()[object_key(preview.path)]
    # AND the page is the story, marked as a preview, kept from search engines, naming no canonical
    assert "Budget talks" in page
    assert "The council met." in page
    assert "Preview — not published." in page
    assert '<meta name="robots" content="noindex">' in page
    assert 'rel="canonical"' not in page
    # AND the editor finds the address beside where refusals are reported
    assert preview_report_key(KEY) == REPORT
    assert newsroom.report() == {
        "source": KEY,
        "url": f"https://news.example.org{preview.path}",
        "expires": "2026-03-08T09:31:00Z",
    }
    # AND nothing public knows of it: no story page, no listing, no feed, no sitemap
    assert set(newsroom.site.objects) == {object_key(preview.path)}
    assert newsroom.index.entries("site") == []


def test_a_token_has_at_least_128_bits_and_differs_every_time():
    from pressrun.model import new_token

    tokens = {new_token() for _ in range(100)}

    assert len(tokens) == 100
    # URL-safe base64 of 24 random bytes: 32 characters of 6 bits each, 192 bits.
    assert all(
        len(token) == 32 and refused_preview(f"/preview/209901010000-{token}/", NOW) is False
        for token in tokens
    )


def test_a_redelivered_draft_keeps_its_one_address():
    newsroom = Newsroom()
    upload = newsroom.upload(story(draft=True))
    change = newsroom.validate(upload)
    newsroom.follow(change)
    first = newsroom.record.preview
    # WHEN S3 delivers the same event again, and the stream its change again
    newsroom.follow(newsroom.validate(upload))
    newsroom.follow(change)
    # THEN no second token was minted, and there is one preview
    assert newsroom.record.preview == first
    assert newsroom.tokens == 1
    assert len(newsroom.previews()) == 1


def test_an_edited_draft_keeps_its_address_and_shows_the_edit():
    newsroom = Newsroom()
    newsroom.publish(story(draft=True))
    first = newsroom.record.preview
    assert first is not None
    # WHEN the editor uploads the draft again, changed, a day later
    newsroom.publish(story(draft=True, title="Budget talks stall"), now=NOW + timedelta(days=1))
    # THEN the address and its expiry are the same, and the page there shows the edit
    assert newsroom.record.preview == first
    assert "Budget talks stall" in newsroom.previews()[object_key(first.path)]
    assert len(newsroom.previews()) == 1


def test_a_draft_edited_after_its_preview_expired_gets_a_new_address_and_the_old_one_goes():
    newsroom = Newsroom()
    newsroom.publish(story(draft=True))
    first = newsroom.record.preview
    assert first is not None
    later = NOW + timedelta(days=8)
    # WHEN the editor uploads the draft again once its preview has expired
    newsroom.publish(story(draft=True, title="Budget talks stall"), now=later)
    # THEN it has a new token and a new week, and the old address holds nothing
    second = newsroom.record.preview
    assert second is not None
    assert second.token != first.token
    assert second.expires == datetime(2026, 3, 16, 9, 31, tzinfo=UTC)
    assert list(newsroom.previews()) == [object_key(second.path)]
    assert newsroom.report()["url"].endswith(second.path)  # type: ignore[index]


def test_going_live_removes_the_preview_and_its_report_and_redirects_its_address_to_the_story():
    newsroom = Newsroom()
    newsroom.publish(story(draft=True))
    preview = newsroom.record.preview
    assert preview is not None
    # WHEN the editor publishes the story (draft: false)
    newsroom.publish(story(draft=False), now=NOW + timedelta(hours=2))
    # THEN the preview page and the report are gone, and the address redirects to the live story
    assert newsroom.previews() == {}
    assert newsroom.report() is None
    assert newsroom.redirects.targets == {preview.path: "/2026/02/27/budget-talks/"}
    assert "2026/02/27/budget-talks/index.html" in newsroom.site.objects


def test_deleting_the_story_takes_its_preview_its_report_and_its_redirect_down():
    newsroom = Newsroom()
    newsroom.publish(story(draft=True))
    preview = newsroom.record.preview
    assert preview is not None
    # GIVEN a draft's preview, and a live story's redirected one
    newsroom.follow(newsroom.validate(newsroom.delete()))
    assert newsroom.previews() == {}
    assert newsroom.report() is None
    newsroom.publish(story(draft=True))
    again = newsroom.record.preview
    assert again is not None
    assert again.token != preview.token
    newsroom.publish(story(draft=False))
    assert newsroom.redirects.targets == {again.path: "/2026/02/27/budget-talks/"}
    # WHEN the story is deleted
    newsroom.follow(newsroom.validate(newsroom.delete()))
    # THEN its address answers nothing at all
    assert newsroom.redirects.targets == {}
    assert newsroom.previews() == {}
    assert newsroom.report() is None


def test_a_stale_draft_change_delivered_after_the_story_went_live_does_not_bring_the_preview_back():
    newsroom = Newsroom()
    draft_change = newsroom.validate(newsroom.upload(story(draft=True)))
    draft_upload = newsroom.upload(story(draft=True, title="Budget talks (draft 2)"))
    live_upload = newsroom.upload(story(draft=False))
    newsroom.follow(newsroom.validate(live_upload))
    preview = newsroom.record.preview
    assert preview is not None
    # WHEN the draft's stream record, and a late event for an older draft, arrive after the story went live
    newsroom.follow(draft_change)
    newsroom.follow(newsroom.validate(draft_upload))
    # THEN the address still redirects to the story, and no preview page or report is there
    assert newsroom.previews() == {}
    assert newsroom.report() is None
    assert newsroom.redirects.targets == {preview.path: "/2026/02/27/budget-talks/"}


def test_a_scheduled_story_has_a_preview_until_it_is_released():
    newsroom = Newsroom()
    # WHEN an editor uploads a story dated tomorrow
    newsroom.publish(story(draft=False, date="2026-03-02T06:00:00Z"))
    record = newsroom.record
    assert record.status == "scheduled"
    assert record.preview is not None
    assert object_key(record.preview.path) in newsroom.previews()
    assert newsroom.report() is not None
    # AND its time comes
    before = newsroom.record
    released = release_article(
        Release(source_key=KEY, source_version=record.source_version), newsroom.articles
    )
    newsroom.follow((before, newsroom.record), now=datetime(2026, 3, 2, 6, tzinfo=UTC))
    # THEN the preview gives way to the story
    assert released
    assert newsroom.previews() == {}
    assert newsroom.report() is None
    assert newsroom.redirects.targets == {record.preview.path: "/2026/03/02/budget-talks/"}


def test_an_expired_preview_is_refused_and_the_sweep_takes_it_down():
    newsroom = Newsroom()
    newsroom.publish(story(draft=True))
    preview = newsroom.record.preview
    assert preview is not None
    # WHEN its expiry passes
    expired = preview.expires
    # THEN its address answers 404, whatever the bucket holds, from the address alone
    assert not refused_preview(preview.path, expired - timedelta(seconds=1))
    assert refused_preview(preview.path, expired)
    assert preview_expiry(object_key(preview.path)) == expired
    # AND the next sweep removes the page and the editor's report
    newsroom.sweep(expired + timedelta(minutes=15))
    assert newsroom.previews() == {}
    assert newsroom.report() is None


def test_a_guessed_or_tampered_preview_address_is_refused():
    # An address under /preview/ that is no preview's shape, or whose expiry has passed, answers 404;
    # one of the right shape with a made-up token is simply not in the bucket (S3's 403, the 404 page).
    assert refused_preview("/preview/", NOW)
    assert refused_preview("/preview/not-a-preview/", NOW)
    assert refused_preview("/preview/209913311299-x/", NOW)  # no such minute
    assert refused_preview("/preview/202603010929-abc/", NOW)  # a minute before now
    assert not refused_preview("/preview/202603010931-abc/", NOW)
    assert not refused_preview("/2026/02/27/budget-talks/", NOW)


def test_the_sweep_settles_a_preview_whose_change_was_lost():
    newsroom = Newsroom()
    newsroom.publish(story(draft=True))
    preview = newsroom.record.preview
    assert preview is not None
    # GIVEN the story published, but its change's stream batch lost
    newsroom.validate(newsroom.upload(story(draft=False)))
    # WHEN the sweep runs
    newsroom.sweep(NOW + timedelta(minutes=15))
    # THEN the preview went, and its address redirects to the story
    assert newsroom.previews() == {}
    assert newsroom.report() is None
    assert newsroom.redirects.targets == {preview.path: "/2026/02/27/budget-talks/"}


def test_the_sweep_takes_down_a_preview_whose_replacement_was_never_followed():
    """Found by the delivery simulation: a draft refused, then uploaded again, gets a new address; the
    stream records of both changes were lost, so only the record can say the old address must go."""
    newsroom = Newsroom()
    newsroom.publish(story(draft=True))
    first = newsroom.record.preview
    assert first is not None
    # GIVEN the draft deleted and uploaded again, neither change followed
    newsroom.validate(newsroom.delete())
    newsroom.validate(newsroom.upload(story(draft=True, title="Budget talks resume")))
    second = newsroom.record.preview
    assert second is not None
    assert second.token != first.token
    assert newsroom.record.retired_previews == (first,)
    # WHEN the sweep runs
    newsroom.sweep(NOW + timedelta(minutes=15))
    # THEN only the new address answers, with the new draft
    assert list(newsroom.previews()) == [object_key(second.path)]
    assert "Budget talks resume" in newsroom.previews()[object_key(second.path)]
    assert newsroom.report() is not None
    assert newsroom.report()["url"].endswith(second.path)


def test_a_retired_preview_is_forgotten_once_well_past_its_expiry():
    newsroom = Newsroom()
    newsroom.publish(story(draft=True))
    first = newsroom.record.preview
    assert first is not None
    newsroom.follow(newsroom.validate(newsroom.delete()))
    # WHEN a draft is uploaded again long after the first address expired
    later = first.expires + PREVIEW_SETTLED_AFTER_EXPIRY + timedelta(minutes=1)
    newsroom.publish(story(draft=True), now=later)
    # THEN the record no longer carries the old address
    assert newsroom.record.retired_previews == ()


def test_the_invalidation_planner_never_asks_for_a_preview():
    from pressrun.invalidation import stale_copies
    from pressrun.model import SiteWrite
    from pressrun.urls import cache_control

    key = "preview/202603080931-abc/index.html"
    writes = [SiteWrite(key=key, kind=kind) for kind in ("overwritten", "deleted")]

    assert stale_copies(writes) == []
    assert cache_control(key, 60) == "no-store, private"
