"""Whatever the delivery, the site converges: a stateful property test of the whole chain in memory.

S3 events arrive late, twice and reversed; the article stream is read in order by each consumer at
its own pace; the index stream and invalidations lag. After draining, the site, the index and the
invalidations must match a simple reference model. PRESSRUN_STATEFUL_EXAMPLES raises the count.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from pressrun.index import Key, update_index
from pressrun.ingest import Change, Upload, accept_upload
from pressrun.invalidation import SiteChange, invalidate_changes
from pressrun.listings import refresh_listings
from pressrun.model import ArticleRecord
from pressrun.pages import apply_article_change
from pressrun.ports import CategoryIndex
from pressrun.settings import SiteSettings
from pressrun.urls import public_paths
from tests.fakes import MemoryArticles, MemoryIndex, MemorySite, MemoryUploads, RecordingAlerts, RecordingCdn

EXAMPLES = int(os.environ.get("PRESSRUN_STATEFUL_EXAMPLES", "200"))
SITE = SiteSettings(listing_size=3)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
KEYS = [f"incoming/story-{n}.md" for n in range(4)]
CATEGORIES = ["World", "Sport", "Politics"]
TITLES = ["First take", "Second take", "Third take"]


@dataclass
class StreamedArticles(MemoryArticles):
    """The articles table with its stream: every write appends (old, new), in order."""

    stream: list[tuple[ArticleRecord | None, ArticleRecord | None]] = field(default_factory=list)

    def _log(self, key: str, before: ArticleRecord | None) -> None:
        after = self.records.get(key)
        if after != before:
            self.stream.append((before, after))

    def save(self, record, previous):  # type: ignore[no-untyped-def]
        before = self.records.get(record.source_key)
        result = super().save(record, previous)
        self._log(record.source_key, before)
        return result

    def reject(self, source_key, sequencer, previous):  # type: ignore[no-untyped-def]
        before = self.records.get(source_key)
        result = super().reject(source_key, sequencer, previous)
        self._log(source_key, before)
        return result

    def finished(self, source_key, sequencer):  # type: ignore[no-untyped-def]
        before = self.records.get(source_key)
        super().finished(source_key, sequencer)
        self._log(source_key, before)


@dataclass
class StreamedIndex(MemoryIndex):
    """The index table with its stream of changed (listing, position) keys."""

    stream: list[Key] = field(default_factory=list)

    def apply(self, update):  # type: ignore[no-untyped-def]
        super().apply(update)
        self.stream += [entry.key for entry in update.put] + list(update.delete)


@dataclass
class WatchedSite(MemorySite):
    """The site bucket, with the change events its writes and deletes send to the invalidation queue."""

    events: list[SiteChange] = field(default_factory=list)
    serial: int = 0

    def _changed(self, key: str) -> None:
        self.serial += 1
        self.events.append(SiteChange(key=key, version=str(self.serial)))

    def put(self, key: str, body: bytes, content_type: str, *, first_write: bool = False) -> bool:
        written = super().put(key, body, content_type, first_write=first_write)
        if written:
            self._changed(key)
        return written

    def delete(self, key: str) -> bool:
        deleted = super().delete(key)
        if deleted:
            self._changed(key)
        return deleted


def article(key: str, title: str, category: str) -> bytes:
    number = key.split("-")[1].split(".")[0]
    return (
        f"---\ntitle: {title} {number}\ndate: 2025-06-2{number}T10:00:00Z\ncategories: [{category}]\n"
        f"slug: story-{number}\n---\nBody.\n"
    ).encode()


def s3_sequencer(count: int) -> str:
    """Increasing by S3's rule (right-padded with zeros, compared as strings) and of varying length,
    as S3's are: a fixed-width count, then a tail of zero to two more digits."""
    return f"{count:016X}" + "9E"[: count % 3]


class Pipeline(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.uploads = MemoryUploads()
        self.articles = StreamedArticles()
        self.index = StreamedIndex()
        self.site = WatchedSite()
        self.cdn = RecordingCdn()
        self.alerts = RecordingAlerts()
        self.sequencer = 0
        self.version = 0
        self.inbox: list[Upload] = []
        self.delivered: list[Upload] = []
        self.pages_read = 0
        self.index_read = 0
        self.listings_read = 0
        self.invalidations_read = 0
        self.invalidated: set[str] = set()
        # The reference model: what each key holds after the last S3 operation on it.
        self.expected: dict[str, tuple[str, str] | None] = {}

    def _event(self, key: str, version: str, change: Change) -> Upload:
        self.sequencer += 1
        return Upload(
            bucket="uploads",
            key=key,
            version_id=version,
            sequencer=s3_sequencer(self.sequencer),
            change=change,
            event_time=NOW,
        )

    @rule(key=st.sampled_from(KEYS), title=st.sampled_from(TITLES), category=st.sampled_from(CATEGORIES))
    def upload(self, key: str, title: str, category: str) -> None:
        self.version += 1
        version = f"v{self.version}"
        self.uploads.add(key, article(key, title, category), version_id=version)
        self.inbox.append(self._event(key, version, Change.CREATED))
        self.expected[key] = (title, category)

    @rule(key=st.sampled_from(KEYS))
    def delete(self, key: str) -> None:
        if self.uploads.current.get(key) is None:
            return
        self.uploads.current[key] = None
        self.inbox.append(self._event(key, "marker", Change.DELETE_MARKER))
        self.expected[key] = None

    @precondition(lambda self: self.delivered)
    @rule(data=st.data())
    def deliver_again(self, data: st.DataObject) -> None:
        self.inbox.append(data.draw(st.sampled_from(self.delivered)))

    @rule()
    def reverse_the_inbox(self) -> None:
        self.inbox.reverse()

    @precondition(lambda self: self.inbox)
    @rule(data=st.data())
    def deliver_an_upload(self, data: st.DataObject) -> None:
        event = self.inbox.pop(data.draw(st.integers(0, len(self.inbox) - 1)))
        accept_upload(event, self.uploads, self.articles, SITE, self.alerts, NOW)
        self.delivered.append(event)

    @precondition(lambda self: self.pages_read < len(self.articles.stream))
    @rule()
    def render_an_article_change(self) -> None:
        old, new = self.articles.stream[self.pages_read]
        apply_article_change(old, new, self.uploads, self.articles, self.site, SITE)
        self.pages_read += 1

    @precondition(lambda self: self.index_read < len(self.articles.stream))
    @rule()
    def index_an_article_change(self) -> None:
        old, new = self.articles.stream[self.index_read]
        update_index(old, new, self.index)
        self.index_read += 1

    @precondition(lambda self: self.listings_read < len(self.index.stream))
    @rule(count=st.integers(1, 5))
    def refresh_listings_in_a_batch(self, count: int) -> None:
        batch = self.index.stream[self.listings_read : self.listings_read + count]
        changes: dict[str, set[str]] = {}
        for listing, position in batch:
            changes.setdefault(listing, set()).add(position)
        refreshed = refresh_listings(changes, self.index, self.site, SITE, NOW)
        assert not refreshed.failed
        self.listings_read += len(batch)

    @precondition(lambda self: self.invalidations_read < len(self.site.events))
    @rule()
    def invalidate_a_window(self) -> None:
        window = self.site.events[self.invalidations_read :]
        plan = invalidate_changes(window, self.cdn)
        self.invalidated |= set(plan.items)
        self.invalidations_read = len(self.site.events)

    def _drain(self) -> None:
        while self.inbox:
            self.deliver_an_upload_now()
        while self.pages_read < len(self.articles.stream) or self.index_read < len(self.articles.stream):
            if self.pages_read < len(self.articles.stream):
                self.render_an_article_change()
            if self.index_read < len(self.articles.stream):
                self.index_an_article_change()
        while self.listings_read < len(self.index.stream):
            self.refresh_listings_in_a_batch(5)
        if self.invalidations_read < len(self.site.events):
            self.invalidate_a_window()

    def deliver_an_upload_now(self) -> None:
        event = self.inbox.pop(0)
        accept_upload(event, self.uploads, self.articles, SITE, self.alerts, NOW)

    def teardown(self) -> None:
        """After any sequence of steps: drain everything, then the site must match the model."""
        if not hasattr(self, "uploads"):
            return
        self._drain()
        self._check()

    def _check(self) -> None:
        live = {key: value for key, value in self.expected.items() if value is not None}
        for key in KEYS:
            number = key.split("-")[1].split(".")[0]
            page = f"2025/06/2{number}/story-{number}/index.html"
            if key in live:
                title, _ = live[key]
                assert f"<h1>{title} {number}</h1>".encode() in self.site.objects[page]
            else:
                assert page not in self.site.objects
        index: CategoryIndex = self.index
        summaries = index.summaries()
        for category in CATEGORIES:
            listing = f"category/{category.lower()}"
            members = sorted(e.source_key for e in index.entries(listing))
            assert members == sorted(key for key, (_, c) in live.items() if c == category)
            assert (summaries[listing].members if listing in summaries else 0) == len(members)
            front = f"category/{category.lower()}/index.html"
            if members:
                assert front in self.site.objects
            else:
                assert front not in self.site.objects
        assert sorted(e.source_key for e in index.entries("site")) == sorted(live)
        for change in self.site.events:
            assert any(_covers(item, path) for path in public_paths(change.key) for item in self.invalidated)


def _covers(item: str, path: str) -> bool:
    return path.startswith(item[:-1]) if item.endswith("*") else item == path


Pipeline.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_delivery_in_any_order_converges = Pipeline.TestCase
