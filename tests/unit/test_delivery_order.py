"""Defects the delivery simulation (tests/simulation) found, each pinned on its own with the
in-memory fakes, in the order of events that showed it. Every one is fixed; these keep them so."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from pressrun.index import update_index
from pressrun.ingest import Change, Upload, accept_upload, padded_sequencer
from pressrun.listings import refresh_listings, refresh_listings_sitemap
from pressrun.model import ArticleRecord, SaveResult, SiteWrite, Waiter
from pressrun.pages import apply_article_change, settle_page
from pressrun.ports import Announce
from pressrun.rebuild import RebuildJob, run_job
from pressrun.settings import SiteSettings
from tests.fakes import MemoryArticles, MemoryIndex, MemorySite, MemoryUploads, RecordingAlerts
from tests.unit.test_index import record as index_record
from tests.unit.test_index import story as index_story

SITE = SiteSettings()
NOW = datetime(2026, 1, 10, 12, tzinfo=UTC)
KEY = "incoming/story.md"
GOOD = (
    b"---\ntitle: Budget day\ndate: 2025-06-20T10:00:00+01:00\ncategories: [World]\n---\nThe council met.\n"
)
INVALID = b"---\ntitle: Budget day\ndate: 2025-06-31\ncategories: [World]\n---\nThe council met.\n"


def event(sequencer: str, version: str, change: Change = Change.CREATED) -> Upload:
    return Upload(
        bucket="uploads", key=KEY, version_id=version, sequencer=sequencer, change=change, event_time=NOW
    )


def test_a_delete_marker_overtaken_by_a_newer_refused_upload_still_takes_the_story_down(
    alerts: RecordingAlerts,
) -> None:
    # GIVEN a published story
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(KEY, GOOD, "v1")
    accept_upload(event("0A", "v1"), uploads, articles, SITE, alerts, NOW)
    # WHEN the editor deletes it, then uploads invalid copy under the same name, and S3's events
    # arrive in the other order (as they may): the invalid upload's first, the delete marker's late
    uploads.mark_deleted(KEY, marker="m2")
    uploads.add(KEY, INVALID, "v3")
    accept_upload(event("0C", "v3"), uploads, articles, SITE, alerts, NOW)
    accept_upload(event("0B", "m2", Change.DELETE_MARKER), uploads, articles, SITE, alerts, NOW)
    # THEN the story is down, as it is when the events come in order
    assert articles.records[KEY].status != "published"


def test_cleaning_up_the_version_that_stays_up_behind_a_refused_upload_leaves_a_page_that_can_be_settled(
    alerts: RecordingAlerts,
) -> None:
    # GIVEN a published story whose newer upload was refused, so the first version stays up
    uploads, articles, site = MemoryUploads(), MemoryArticles(), MemorySite()
    uploads.add(KEY, GOOD, "v1")
    accept_upload(event("0A", "v1"), uploads, articles, SITE, alerts, NOW)
    published = articles.records[KEY]
    apply_article_change(None, published, uploads, articles, site, SITE)
    uploads.add(KEY, INVALID, "v2")
    accept_upload(event("0B", "v2"), uploads, articles, SITE, alerts, NOW)
    # WHEN the editor cleans up old versions (the bucket's lifecycle rule does the same), deleting
    # the first version for good, and its event is handled
    uploads.delete_version(KEY, "v1", now_current="v2")
    accept_upload(event("0C", "v1", Change.VERSION_DELETED), uploads, articles, SITE, alerts, NOW)
    # THEN the change that follows can be settled: the stream would retry it until it gave up
    changed = articles.records[KEY]
    apply_article_change(published, changed, uploads, articles, site, SITE)
    assert changed.status != "published" or f"{changed.path.lstrip('/')}index.html" in site.objects


def test_a_rebuild_passes_over_a_story_that_shows_a_version_gone_for_good(alerts: RecordingAlerts) -> None:
    # GIVEN a published story whose newer upload was refused, so the first version stays up, and
    # another story
    uploads, articles, site, index = MemoryUploads(), MemoryArticles(), MemorySite(), MemoryIndex()
    uploads.add(KEY, GOOD, "v1")
    accept_upload(event("0A", "v1"), uploads, articles, SITE, alerts, NOW)
    uploads.add(KEY, INVALID, "v2")
    accept_upload(event("0B", "v2"), uploads, articles, SITE, alerts, NOW)
    other = "incoming/other.md"
    uploads.add(other, GOOD.replace(b"Budget day", b"Council vote"), "w1")
    accept_upload(
        Upload(**{**event("0D", "w1").model_dump(), "key": other}), uploads, articles, SITE, alerts, NOW
    )
    # WHEN the first version is deleted for good, and a rebuild job reaches both stories before
    # that deletion's event is handled
    uploads.delete_version(KEY, "v1", now_current="v2")
    job = RebuildJob(kind="articles", source_keys=(KEY, other))
    run_job(job, articles, uploads, index, site, SITE, NOW)
    # THEN the job completes (retrying could never render the gone version) with the other page
    assert "2025/06/20/council-vote/index.html" in site.objects


def test_undeleting_brings_back_the_version_that_stayed_up_behind_a_refused_upload(
    alerts: RecordingAlerts,
) -> None:
    # GIVEN a published story whose newer upload was refused, so the first version stays up
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(KEY, GOOD, "v1")
    accept_upload(event("0A", "v1"), uploads, articles, SITE, alerts, NOW)
    uploads.add(KEY, INVALID, "v2")
    accept_upload(event("0B", "v2"), uploads, articles, SITE, alerts, NOW)
    # WHEN the editor deletes the file, then removes the delete marker (README: "removing the delete
    # marker brings it back")
    uploads.current[KEY] = None
    accept_upload(event("0C", "m3", Change.DELETE_MARKER), uploads, articles, SITE, alerts, NOW)
    uploads.current[KEY] = "v2"
    accept_upload(event("0D", "m3", Change.VERSION_DELETED), uploads, articles, SITE, alerts, NOW)
    # THEN the site is as it was before the delete: the first version up, the refusal reported
    assert (articles.records[KEY].status, articles.records[KEY].source_version) == ("published", "v1")
    assert "rejected/story.md.report.json" in uploads.reports


@dataclass
class RacingUploads(MemoryUploads):
    """The uploads bucket, where something else happens just before the next report is written
    or deleted: another invocation, handling another event of the same key at the same time."""

    meanwhile: Callable[[], object] | None = None

    def _first_the_other(self) -> None:
        if self.meanwhile is not None:
            run, self.meanwhile = self.meanwhile, None
            run()

    def write_report(self, key: str, body: bytes) -> None:
        self._first_the_other()
        super().write_report(key, body)

    def delete_report(self, key: str) -> bool:
        self._first_the_other()
        return super().delete_report(key)


def test_a_removal_handled_while_a_refusal_writes_its_report_leaves_no_report(
    alerts: RecordingAlerts,
) -> None:
    # GIVEN an invalid upload, and its deletion right after, handled by two invocations at once
    uploads, articles = RacingUploads(), MemoryArticles()
    uploads.add(KEY, INVALID, "v1")
    uploads.current[KEY] = None

    def the_deletion_is_handled() -> None:
        accept_upload(event("0B", "m2", Change.DELETE_MARKER), uploads, articles, SITE, alerts, NOW)

    uploads.meanwhile = the_deletion_is_handled
    # WHEN the refusal of the upload is recorded and the removal is handled before its report is written
    accept_upload(event("0A", "v1"), uploads, articles, SITE, alerts, NOW)
    # THEN the file is gone, and so is any report about it
    assert articles.records[KEY].status == "removed"
    assert uploads.reports == {}


def test_an_older_acceptance_does_not_delete_the_report_of_a_newer_refusal(alerts: RecordingAlerts) -> None:
    # GIVEN a refused upload with its report, then a valid one, then an invalid one
    uploads, articles = RacingUploads(), MemoryArticles()
    uploads.add(KEY, INVALID, "v1")
    accept_upload(event("0A", "v1"), uploads, articles, SITE, alerts, NOW)
    uploads.add(KEY, GOOD, "v2")
    uploads.add(KEY, INVALID, "v3")

    def the_newest_is_handled() -> None:
        accept_upload(event("0C", "v3"), uploads, articles, SITE, alerts, NOW)

    uploads.meanwhile = the_newest_is_handled
    # WHEN the valid one is recorded, and the invalid one is handled just before the valid one's
    # invocation deletes the report it made obsolete
    accept_upload(event("0B", "v2"), uploads, articles, SITE, alerts, NOW)
    # THEN the newest upload's report is there
    assert json.loads(uploads.reports["rejected/story.md.report.json"])["version"] == "v3"


@dataclass
class FlakyUploads(MemoryUploads):
    """The uploads bucket, where the next read of one key fails as a throttled GET does."""

    fail_next_read_of: str | None = None

    def read(self, key: str, version_id: str | None, limit: int) -> bytes | None:
        if key == self.fail_next_read_of:
            self.fail_next_read_of = None
            raise TimeoutError(f"GetObject {key}: throttled")
        return super().read(key, version_id, limit)


def story(slug: str) -> bytes:
    front = f"title: Budget day\ndate: 2025-06-20T10:00:00+01:00\ncategories: [World]\nslug: {slug}"
    return f"---\n{front}\n---\nBody.\n".encode()


def source(key: str, sequencer: str, version: str, change: Change = Change.CREATED) -> Upload:
    return event(sequencer, version, change).model_copy(update={"key": key})


def test_a_waiter_is_tried_even_when_a_newer_upload_of_the_freeing_file_is_handled_first(
    alerts: RecordingAlerts,
) -> None:
    first, second = "incoming/first.md", "incoming/second.md"
    # GIVEN a story holding the slug "lead", and another file refused for it, waiting
    uploads, articles = FlakyUploads(), MemoryArticles()
    uploads.add(first, story("lead"), "f1")
    accept_upload(source(first, "0A", "f1"), uploads, articles, SITE, alerts, NOW)
    uploads.add(second, story("lead"), "s1")
    accept_upload(source(second, "0A", "s1"), uploads, articles, SITE, alerts, NOW)
    # WHEN the first file is deleted, and trying the waiter fails for a moment (so the deletion's
    # message goes back to the queue), and the first file's next upload is handled before the
    # deletion's message comes back
    uploads.current[first] = None
    uploads.fail_next_read_of = second
    with pytest.raises(TimeoutError):
        accept_upload(source(first, "0B", "f2", Change.DELETE_MARKER), uploads, articles, SITE, alerts, NOW)
    uploads.add(first, INVALID, "f3")
    accept_upload(source(first, "0C", "f3"), uploads, articles, SITE, alerts, NOW)
    accept_upload(source(first, "0B", "f2", Change.DELETE_MARKER), uploads, articles, SITE, alerts, NOW)
    # THEN the waiting file has the slug nobody else holds
    assert articles.slugs.get("lead") == second
    assert articles.records[second].status == "published"


@dataclass
class ReportsFailingOnce(MemoryUploads):
    """The uploads bucket, where the next report deletion fails as a throttled call does."""

    fail_next_delete: bool = False

    def delete_report(self, key: str) -> bool:
        if self.fail_next_delete:
            self.fail_next_delete = False
            raise TimeoutError(f"HeadObject {key}: throttled")
        return super().delete_report(key)


def test_a_report_whose_deletion_failed_goes_even_when_a_newer_event_of_the_file_comes_first(
    alerts: RecordingAlerts,
) -> None:
    # GIVEN an invalid upload, refused with a report
    uploads, articles = ReportsFailingOnce(), MemoryArticles()
    uploads.add(KEY, INVALID, "v1")
    accept_upload(event("0A", "v1"), uploads, articles, SITE, alerts, NOW)
    # WHEN the file is deleted and deleting the report fails for a moment (so the deletion's message
    # goes back to the queue), and the editor's clean-up of the old version is handled before the
    # deletion's message comes back
    uploads.current[KEY] = None
    uploads.fail_next_delete = True
    with pytest.raises(TimeoutError):
        accept_upload(event("0B", "m2", Change.DELETE_MARKER), uploads, articles, SITE, alerts, NOW)
    accept_upload(event("0C", "v1", Change.VERSION_DELETED), uploads, articles, SITE, alerts, NOW)
    accept_upload(event("0B", "m2", Change.DELETE_MARKER), uploads, articles, SITE, alerts, NOW)
    # THEN no report is left about a file that is gone
    assert articles.records[KEY].status == "removed"
    assert uploads.reports == {}


def test_an_index_change_applied_before_the_change_it_follows_keeps_every_count_exact() -> None:
    # GIVEN an article published under World, then moved to World and Sport: two records of one item
    published = index_record("World")
    moved = index_record("World", "Sport")
    index = MemoryIndex()
    # WHEN the first record fails before its index update, the second is handled (Powertools goes on
    # with the batch), and Lambda then retries from the first: first, then second again
    update_index(published, moved, index)
    update_index(None, published, index)
    update_index(published, moved, index)
    # THEN every listing's count is the number of its members
    summaries = index.summaries()
    for listing in ("site", "category/world", "category/sport"):
        assert summaries[listing].members == len(index.entries(listing)) == 1


@dataclass
class RacingSite(MemorySite):
    """The site bucket, where another render runs just before the next one that writes `trigger`."""

    trigger: str = ""
    meanwhile: Callable[[], object] | None = None

    def put_many(
        self, pages: dict[str, tuple[bytes, str]], folders: Iterable[str] | None = None
    ) -> list[SiteWrite]:
        if self.meanwhile is not None and self.trigger in pages:
            run, self.meanwhile = self.meanwhile, None
            run()
        return super().put_many(pages, folders)

    def put(
        self,
        key: str,
        body: bytes,
        content_type: str,
        *,
        first_write: bool = False,
        announce: Announce | None = None,
    ) -> SiteWrite | None:
        if self.meanwhile is not None and self.trigger == key:
            run, self.meanwhile = self.meanwhile, None
            run()
        return super().put(key, body, content_type, first_write=first_write, announce=announce)


def numbered(hour: int) -> ArticleRecord:
    return index_story(f"incoming/s{hour}.md", hour, "World")


def test_a_render_overtaken_by_removals_leaves_no_sitemap_past_the_end() -> None:
    site_settings = SiteSettings(sitemap_size=4, listing_size=2)
    index, site = MemoryIndex(), RacingSite(trigger="sitemap-2.xml")
    stories = [numbered(hour) for hour in range(1, 6)]
    # GIVEN four stories, rendered into one sitemap
    for story in stories[:4]:
        update_index(None, story, index)
    refresh_listings({"site": {"0"}}, index, site, site_settings, NOW)
    # WHEN a fifth is published, and while its render is about to write the sitemaps it needs, two
    # stories are removed and rendered by another invocation
    update_index(None, stories[4], index)

    def two_removals_rendered() -> None:
        removed = [update_index(story, None, index) for story in stories[:2]]
        changed = {key[1] for update in removed for key in update.delete if key[0] == "site"}
        refresh_listings({"site": changed}, index, site, site_settings, NOW)

    site.meanwhile = two_removals_rendered
    added = {entry.position for entry in index.entries("site", limit=1)}
    refresh_listings({"site": added}, index, site, site_settings, NOW)
    # THEN the site has one sitemap, as three stories need, and no numbered ones
    assert [key for key in site.objects if key.startswith("sitemap")] == ["sitemap.xml"]


def test_emptied_listings_leave_no_numbered_listings_sitemap_even_past_a_missing_one() -> None:
    site_settings = SiteSettings(sitemap_size=4, listing_size=2)
    index, site = MemoryIndex(), MemorySite()
    story = index_story("incoming/s1.md", 1, "World")
    # GIVEN a story, and the second of two numbered listings sitemaps that a render cut short left
    # behind without the first (when the story had more tags, say)
    update_index(None, story, index)
    site.objects["sitemap-listings-2.xml"] = b"<urlset/>"
    # WHEN the sitemap of listings is written again, and then its only story is taken down
    refresh_listings_sitemap(index, site, site_settings)
    update_index(story, None, index)
    refresh_listings_sitemap(index, site, site_settings)
    # THEN no listings sitemap is left, numbered or not
    assert [key for key in site.objects if key.startswith("sitemap-listings")] == []


@dataclass
class RacingArticles(MemoryArticles):
    """The articles table, where something else happens just before the next removal is saved."""

    meanwhile: Callable[[], object] | None = None

    def save(self, record: ArticleRecord, previous: ArticleRecord | None) -> SaveResult:
        if self.meanwhile is not None and record.status == "removed":
            run, self.meanwhile = self.meanwhile, None
            run()
        return super().save(record, previous)


def test_a_file_deleted_while_it_is_accepted_as_a_waiter_leaves_its_slug_free(
    alerts: RecordingAlerts,
) -> None:
    holder, waiter = "incoming/holder.md", "incoming/waiter.md"
    # GIVEN a file refused for a slug another file holds, waiting for it
    uploads, articles = MemoryUploads(), RacingArticles()
    uploads.add(holder, story("lead"), "h1")
    accept_upload(source(holder, "0A", "h1"), uploads, articles, SITE, alerts, NOW)
    uploads.add(waiter, story("lead"), "w1")
    accept_upload(source(waiter, "0A", "w1"), uploads, articles, SITE, alerts, NOW)

    def the_holder_is_deleted() -> None:
        uploads.current[holder] = None
        accept_upload(source(holder, "0B", "h2", Change.DELETE_MARKER), uploads, articles, SITE, alerts, NOW)

    articles.meanwhile = the_holder_is_deleted
    # WHEN the waiting file is deleted, and just before its removal is saved, the holder is deleted
    # too, which frees the slug and accepts the waiting file
    uploads.current[waiter] = None
    accept_upload(source(waiter, "0B", "w2", Change.DELETE_MARKER), uploads, articles, SITE, alerts, NOW)
    # THEN both files are gone and nobody holds the slug
    assert (articles.records[holder].status, articles.records[waiter].status) == ("removed", "removed")
    assert articles.slugs == {}


@dataclass
class DeletionAnswerLost(MemoryUploads):
    """The uploads bucket, where another invocation runs just before the next report deletion, and
    that deletion happens but its answer is lost (a timeout after S3 acted)."""

    meanwhile: Callable[[], object] | None = None

    def delete_report(self, key: str) -> bool:
        if self.meanwhile is None:
            return super().delete_report(key)
        run, self.meanwhile = self.meanwhile, None
        run()
        super().delete_report(key)
        raise TimeoutError(f"DeleteObject {key}: no answer")


def test_a_report_an_older_event_deleted_with_its_answer_lost_is_back_once_that_event_comes_again(
    alerts: RecordingAlerts,
) -> None:
    # GIVEN a refused upload with its report, then a valid one, then an invalid one
    uploads, articles = DeletionAnswerLost(), MemoryArticles()
    uploads.add(KEY, INVALID, "v1")
    accept_upload(event("0A", "v1"), uploads, articles, SITE, alerts, NOW)
    uploads.add(KEY, GOOD, "v2")
    uploads.add(KEY, INVALID, "v3")

    def the_newest_is_handled() -> None:
        accept_upload(event("0C", "v3"), uploads, articles, SITE, alerts, NOW)

    uploads.meanwhile = the_newest_is_handled
    # WHEN the valid one's invocation deletes the report just after the newest was refused, and the
    # deletion's answer is lost, so its message comes back, stale by then
    with pytest.raises(TimeoutError):
        accept_upload(event("0B", "v2"), uploads, articles, SITE, alerts, NOW)
    accept_upload(event("0B", "v2"), uploads, articles, SITE, alerts, NOW)
    # THEN the newest upload's report is there
    assert json.loads(uploads.reports["rejected/story.md.report.json"])["version"] == "v3"


def test_an_older_version_kept_from_view_by_another_files_slug_comes_back_when_the_slug_frees(
    alerts: RecordingAlerts,
) -> None:
    holder = "incoming/holder.md"
    # GIVEN a story holding the slug "lead", and a file whose valid version asks for it too, and
    # whose newest version is invalid
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(holder, story("lead"), "h1")
    accept_upload(source(holder, "0A", "h1"), uploads, articles, SITE, alerts, NOW)
    uploads.add(KEY, story("lead"), "v1")
    uploads.add(KEY, INVALID, "v2")
    accept_upload(event("0B", "v2"), uploads, articles, SITE, alerts, NOW)
    assert articles.records[KEY].status == "rejected"
    # WHEN the story holding the slug is deleted
    uploads.mark_deleted(holder)
    accept_upload(source(holder, "0B", "h2", Change.DELETE_MARKER), uploads, articles, SITE, alerts, NOW)
    # THEN the valid version comes back behind the refused one, as if the events had come in order
    assert (articles.records[KEY].status, articles.records[KEY].source_version) == ("published", "v1")
    assert json.loads(uploads.reports["rejected/story.md.report.json"])["version"] == "v2"


@dataclass
class RebuildAtOnce:
    """The site's rebuild, its jobs for the listings run as soon as it is queued (as a rebuild worker
    may, while a render that started earlier is still on its way)."""

    index: MemoryIndex
    site: MemorySite
    settings: SiteSettings
    listings: tuple[str, ...]

    def request(self) -> None:
        for listing in self.listings:
            run_job(
                RebuildJob(kind="listing", listing=listing),
                MemoryArticles(),
                MemoryUploads(),
                self.index,
                self.site,
                self.settings,
                NOW,
            )


def test_a_listing_render_that_read_the_sections_in_use_before_one_was_emptied_renders_again() -> None:
    index, site = MemoryIndex(), RacingSite(trigger="category/world/index.html")
    world, economy = index_story("incoming/w1.md", 9, "World"), index_story("incoming/e1.md", 10, "Économie")
    rebuild = RebuildAtOnce(index, site, SITE, ("category/world",))
    # GIVEN a site whose every page names Économie and World
    for story in (world, economy):
        update_index(None, story, index)
    refresh_listings({"site": {"0"}, "category/world": {"0"}}, index, site, SITE, NOW, rebuild)
    # WHEN a second World story is rendered, and just before its render writes World's front page,
    # Économie's only story is taken down: the home page's render queues the site's rebuild, whose
    # job renders World's pages naming World alone, before the first render writes
    second = index_story("incoming/w2.md", 11, "World")
    update = update_index(None, second, index)

    def economy_emptied_and_the_site_rebuilt() -> None:
        removed = update_index(economy, None, index)
        refresh_listings(
            {"site": {key[1] for key in removed.delete if key[0] == "site"}}, index, site, SITE, NOW, rebuild
        )

    site.meanwhile = economy_emptied_and_the_site_rebuilt
    refresh_listings({"category/world": {e.position for e in update.put}}, index, site, SITE, NOW, rebuild)
    # THEN World's front page names the sections in use, not those its render read first
    front = site.objects["category/world/index.html"].decode()
    assert "/category/economie/" not in front
    assert 'href="/category/world/" aria-current="page"' in front


@dataclass
class ArticlesRebuiltAtOnce:
    """The site's rebuild, its job for the stories run as soon as it is queued (as a rebuild worker
    may, while a render that started earlier is still on its way)."""

    articles: MemoryArticles
    uploads: MemoryUploads
    index: MemoryIndex
    site: MemorySite
    source_keys: tuple[str, ...]

    def request(self) -> None:
        job = RebuildJob(kind="articles", source_keys=self.source_keys)
        run_job(job, self.articles, self.uploads, self.index, self.site, SITE, NOW)


def test_a_story_page_that_read_the_sections_in_use_before_one_was_added_renders_again(
    alerts: RecordingAlerts,
) -> None:
    uploads, articles, index = MemoryUploads(), MemoryArticles(), MemoryIndex()
    site = RacingSite(trigger="2025/06/20/budget-day/index.html")
    rebuild = ArticlesRebuiltAtOnce(articles, uploads, index, site, (KEY,))
    # GIVEN a World story, its page and the site's listing rendered, World noted as in use
    uploads.add(KEY, GOOD, "v1")
    accept_upload(event("0A", "v1"), uploads, articles, SITE, alerts, NOW)
    story = articles.records[KEY]
    update_index(None, story, index)
    refresh_listings({"site": {"0"}, "category/world": {"0"}}, index, site, SITE, NOW, rebuild)
    # WHEN its page is rendered again, and just before that render writes it, a first Sport story is
    # published: the home page's render notes Sport and queues the site's rebuild, whose job renders
    # the World story naming Sport, before the first render writes the page it rendered without
    sport_key = "incoming/sport.md"
    sport = GOOD.replace(b"Budget day", b"Cup final").replace(b"[World]", b"[Sport]")

    def sport_published_and_the_site_rebuilt() -> None:
        uploads.add(sport_key, sport, "s1")
        accept_upload(source(sport_key, "0B", "s1"), uploads, articles, SITE, alerts, NOW)
        added = update_index(None, articles.records[sport_key], index)
        refresh_listings(
            {"site": {key[1] for key in added.added if key[0] == "site"}}, index, site, SITE, NOW, rebuild
        )

    site.meanwhile = sport_published_and_the_site_rebuilt
    settle_page(story.path or "", uploads, articles, site, SITE, index)
    # THEN the World story's page names Sport, in use since
    page = site.objects["2025/06/20/budget-day/index.html"].decode()
    assert 'href="/category/sport/"' in page


def test_two_files_each_waiting_for_a_slug_the_other_gave_up_are_tried_once_each(
    alerts: RecordingAlerts,
) -> None:
    """Found by the delivery simulation: each file's record still named the other as a waiter (a
    write that freed them failed before trying them), so a redelivered event tried the other, whose
    record, already written, finished by trying the first, and so on until Python's recursion limit."""
    uploads, articles = MemoryUploads(), MemoryArticles()
    first, second = "incoming/first.md", "incoming/second.md"
    uploads.add(first, story("first"), "f1")
    uploads.add(second, story("second"), "s1")
    accept_upload(source(first, "0A", "f1"), uploads, articles, SITE, alerts, NOW)
    accept_upload(source(second, "0B", "s1"), uploads, articles, SITE, alerts, NOW)
    # GIVEN both files recorded, each record still naming the other's event as a waiter to try
    for key, other, sequencer, version in ((first, second, "0B", "s1"), (second, first, "0A", "f1")):
        waiting = Waiter(source_key=other, source_version=version, sequencer=padded_sequencer(sequencer))
        articles.records[key] = articles.records[key].model_copy(update={"pending_waiters": (waiting,)})
    # WHEN the first file's event is delivered again
    accept_upload(source(first, "0A", "f1"), uploads, articles, SITE, alerts, NOW)
    # THEN both are tried and forgotten, each once, and both stories stay published
    assert articles.records[first].pending_waiters == ()
    assert articles.records[second].pending_waiters == ()
    assert (articles.records[first].status, articles.records[second].status) == ("published", "published")
