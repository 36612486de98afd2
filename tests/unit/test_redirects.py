"""Redirects when a URL changes: a moved story's old addresses answer with its new one, for ever;
chains collapse; a live page beats a redirect; a late change never points back; editors' own lists
are checked before they are kept (pressrun.redirects)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from pressrun.follow import Followed, follow_article_change
from pressrun.ingest import Change, Outcome, Upload, accept_upload, report_key
from pressrun.model import ArticleRecord, InvalidArticle
from pressrun.reconcile import sweep
from pressrun.redirects import MAX_PATH_BYTES, follow_story_redirects, parse_redirects
from pressrun.settings import SiteSettings
from pressrun.sweep_state import SweepReport
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
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def story(title: str, date: str, slug: str | None = None) -> bytes:
    extra = f"slug: {slug}\n" if slug else ""
    return f"---\ntitle: {title}\ndate: {date}\ncategories: [World]\n{extra}---\nA paragraph.\n".encode()


@dataclass
class Newsroom:
    """Uploads accepted and their changes followed in order, as the cloud's chain does."""

    uploads: MemoryUploads = field(default_factory=MemoryUploads)
    # Its clock stamps each record's change at NOW, so that the sweep finds what changed recently.
    articles: MemoryArticles = field(default_factory=lambda: MemoryArticles(clock=lambda: NOW))
    site: MemorySite = field(default_factory=MemorySite)
    index: MemoryIndex = field(default_factory=MemoryIndex)
    redirects: MemoryRedirects = field(default_factory=MemoryRedirects)
    alerts: RecordingAlerts = field(default_factory=RecordingAlerts)
    changes: list[tuple[ArticleRecord | None, ArticleRecord | None]] = field(default_factory=list)
    sequencer: int = 0

    def upload(self, name: str, data: bytes, *, followed: bool = True) -> Outcome:
        """Accept the upload, then follow its change unless its stream record is to be lost."""
        self.sequencer += 1
        key = f"incoming/{name}"
        version = f"v{self.sequencer}"
        self.uploads.add(key, data, version_id=version)
        return self._accept(key, version, Change.CREATED, followed=followed)

    def remove(self, name: str, *, followed: bool = True) -> Outcome:
        self.sequencer += 1
        key = f"incoming/{name}"
        self.uploads.mark_deleted(key)
        return self._accept(key, None, Change.DELETE_MARKER, followed=followed)

    def _accept(self, key: str, version: str | None, change: Change, *, followed: bool = True) -> Outcome:
        before = self.articles.current(key)
        upload = Upload(
            bucket="uploads",
            key=key,
            version_id=version,
            sequencer=f"{self.sequencer:04X}",
            change=change,
            event_time=NOW,
        )
        outcome = accept_upload(
            upload, self.uploads, self.articles, SITE, self.alerts, NOW, redirects=self.redirects
        )
        after = self.articles.current(key)
        if after != before and followed:
            self.changes.append((before, after))
            self.follow(before, after)
        return outcome

    def sweep(self) -> SweepReport:
        """The reconciliation sweep, a quarter of an hour on, with nothing in flight."""
        return sweep(
            uploads=self.uploads,
            articles=self.articles,
            index=self.index,
            site_store=self.site,
            scheduler=RecordingScheduler(),
            journal=MemoryJournal(),
            failed_batches=MemoryFailedBatches(),
            alerts=self.alerts,
            redirects=self.redirects,
            site=SITE,
            now=NOW + timedelta(minutes=15),
            grace=timedelta(0),
        )

    def follow(self, old: ArticleRecord | None, new: ArticleRecord | None) -> Followed:
        return follow_article_change(
            old,
            new,
            uploads=self.uploads,
            site_store=self.site,
            index=self.index,
            scheduler=RecordingScheduler(),
            articles=self.articles,
            redirects=self.redirects,
            site=SITE,
            now=NOW,
        )


# --- a story that moves -------------------------------------------------------------------------------


def test_a_story_whose_slug_changes_leaves_a_redirect_from_its_old_address():
    # GIVEN a published story
    room = Newsroom()
    room.upload("vote.md", story("Vote", "2026-11-30", slug="council-vote"))

    # WHEN its editor changes its slug
    room.upload("vote.md", story("Vote", "2026-11-30", slug="council-vote-delayed"))

    # THEN its old address redirects to the new one, and its old page is gone
    assert room.redirects.targets == {"/2026/11/30/council-vote/": "/2026/11/30/council-vote-delayed/"}
    assert "2026/11/30/council-vote/index.html" not in room.site.objects
    assert "2026/11/30/council-vote-delayed/index.html" in room.site.objects


def test_a_story_moved_to_another_day_redirects_from_its_old_date():
    room = Newsroom()
    room.upload("vote.md", story("Vote", "2026-11-30", slug="vote"))

    room.upload("vote.md", story("Vote", "2026-11-29", slug="vote"))

    assert room.redirects.targets == {"/2026/11/30/vote/": "/2026/11/29/vote/"}


def test_an_edit_in_place_leaves_no_redirect():
    room = Newsroom()
    room.upload("vote.md", story("Vote", "2026-11-30", slug="vote"))

    room.upload("vote.md", story("Vote, updated", "2026-11-30", slug="vote"))

    assert room.redirects.targets == {}


def test_a_chain_collapses_so_that_every_old_address_points_at_the_newest():
    # GIVEN a story moved from A to B
    room = Newsroom()
    room.upload("vote.md", story("Vote", "2026-11-30", slug="a"))
    room.upload("vote.md", story("Vote", "2026-11-30", slug="b"))

    # WHEN it moves again, to C
    room.upload("vote.md", story("Vote", "2026-11-30", slug="c"))

    # THEN A and B both send readers straight to C: one hop
    assert room.redirects.targets == {
        "/2026/11/30/a/": "/2026/11/30/c/",
        "/2026/11/30/b/": "/2026/11/30/c/",
    }


def test_a_story_moved_back_to_an_old_address_serves_it_again_without_a_loop():
    room = Newsroom()
    room.upload("vote.md", story("Vote", "2026-11-30", slug="a"))
    room.upload("vote.md", story("Vote", "2026-11-30", slug="b"))

    room.upload("vote.md", story("Vote", "2026-11-30", slug="a"))

    assert room.redirects.targets == {"/2026/11/30/b/": "/2026/11/30/a/"}


def test_a_story_published_at_a_redirected_address_wins_over_the_redirect():
    # GIVEN a story moved away from /2026/11/30/vote/
    room = Newsroom()
    room.upload("vote.md", story("Vote", "2026-11-30", slug="vote"))
    room.upload("vote.md", story("Vote", "2026-11-30", slug="vote-delayed"))

    # WHEN another story is published at that address
    room.upload("other.md", story("Other vote", "2026-11-30", slug="vote"))

    # THEN the address is that story's page, not a redirect
    assert "/2026/11/30/vote/" not in room.redirects.targets
    assert "2026/11/30/vote/index.html" in room.site.objects


def test_a_late_change_never_points_a_redirect_at_an_older_address():
    # GIVEN a story moved from A to B, then to C, every change followed
    room = Newsroom()
    room.upload("vote.md", story("Vote", "2026-11-30", slug="a"))
    room.upload("vote.md", story("Vote", "2026-11-30", slug="b"))
    room.upload("vote.md", story("Vote", "2026-11-30", slug="c"))
    settled = dict(room.redirects.targets)

    # WHEN the change from A to B is delivered again, late
    old, new = room.changes[1]
    room.follow(old, new)

    # THEN nothing points at B: the redirects still lead to C
    assert room.redirects.targets == settled
    assert set(room.redirects.targets.values()) == {"/2026/11/30/c/"}


def test_a_change_whose_earlier_records_were_lost_still_redirects_every_address_it_names():
    # GIVEN a story that moved A → B → C where only the last change is followed (the others lost)
    room = Newsroom()
    articles = room.articles
    room.upload("vote.md", story("Vote", "2026-11-30", slug="a"))
    room.redirects.targets.clear()
    a_to_b_old = articles.current("incoming/vote.md")
    room.upload("vote.md", story("Vote", "2026-11-30", slug="b"), followed=False)
    assert a_to_b_old is not None

    # WHEN the story's change is followed from the current record alone
    follow_story_redirects(a_to_b_old, articles.current("incoming/vote.md"), articles, room.redirects)

    # THEN its old address redirects to where it is now
    assert room.redirects.targets == {"/2026/11/30/a/": "/2026/11/30/b/"}


def test_the_sweep_redirects_the_old_address_of_a_move_whose_stream_record_was_lost():
    # GIVEN a story that moved from a to b, its change never followed (its stream batch expired)
    room = Newsroom()
    room.upload("vote.md", story("Vote", "2026-11-30", slug="a"))
    room.upload("vote.md", story("Vote", "2026-11-30", slug="b"), followed=False)
    assert room.redirects.targets == {}

    # WHEN the reconciliation sweep runs
    report = room.sweep()

    # THEN the old address redirects to the new one, and the sweep says it found that drift
    assert room.redirects.targets == {"/2026/11/30/a/": "/2026/11/30/b/"}
    assert ("redirect", "incoming/vote.md") in {(drift.kind, drift.subject) for drift in report.drift}


def test_a_story_taken_down_keeps_the_redirects_to_its_last_address():
    # A reader of an old address learns what a reader of the last one learns: the story is gone.
    room = Newsroom()
    room.upload("vote.md", story("Vote", "2026-11-30", slug="a"))
    room.upload("vote.md", story("Vote", "2026-11-30", slug="b"))

    room.remove("vote.md")

    assert room.redirects.targets == {"/2026/11/30/a/": "/2026/11/30/b/"}


def test_following_a_move_twice_changes_nothing_the_second_time():
    room = Newsroom()
    room.upload("vote.md", story("Vote", "2026-11-30", slug="a"))
    room.upload("vote.md", story("Vote", "2026-11-30", slug="b"))
    settled = dict(room.redirects.targets)

    again = room.follow(*room.changes[-1])

    assert again.redirects == []
    assert room.redirects.targets == settled


# --- editors' lists -----------------------------------------------------------------------------------


def redirect_list(*pairs: tuple[str, str]) -> bytes:
    return json.dumps([{"from": source, "to": target} for source, target in pairs]).encode()


def test_an_editors_list_is_kept_and_removing_the_file_removes_its_redirects():
    room = Newsroom()

    outcome = room.upload("redirects/desk.json", redirect_list(("/old-desk/", "/category/world/")))

    assert outcome is Outcome.REDIRECTS
    assert room.redirects.targets == {"/old-desk/": "/category/world/"}
    room.remove("redirects/desk.json")
    assert room.redirects.targets == {}


def test_a_new_version_of_a_list_drops_what_it_no_longer_lists():
    room = Newsroom()
    room.upload("redirects/desk.json", redirect_list(("/a/", "/x/"), ("/b/", "/x/")))

    room.upload("redirects/desk.json", redirect_list(("/b/", "/y/")))

    assert room.redirects.targets == {"/b/": "/y/"}


def test_the_sweep_applies_an_editors_list_and_its_removal_when_their_stream_records_were_lost():
    room = Newsroom()
    # GIVEN a list whose change was never followed
    room.upload("redirects/desk.json", redirect_list(("/old-desk/", "/category/world/")), followed=False)
    assert room.redirects.targets == {}
    # WHEN the sweep runs, THEN its redirect is there
    assert "redirect" in {drift.kind for drift in room.sweep().drift}
    assert room.redirects.targets == {"/old-desk/": "/category/world/"}
    # GIVEN the list removed, the removal's change lost too
    room.remove("redirects/desk.json", followed=False)
    # WHEN the sweep runs again, THEN its redirect is gone
    room.sweep()
    assert room.redirects.targets == {}


def test_a_listed_redirect_to_a_story_that_moved_goes_straight_to_where_it_is():
    room = Newsroom()
    room.upload("vote.md", story("Vote", "2026-11-30", slug="a"))
    room.upload("vote.md", story("Vote", "2026-11-30", slug="b"))

    room.upload("redirects/desk.json", redirect_list(("/vote/", "/2026/11/30/a/")))

    assert room.redirects.targets["/vote/"] == "/2026/11/30/b/"


def test_a_listed_redirect_follows_its_story_when_the_story_moves():
    room = Newsroom()
    room.upload("vote.md", story("Vote", "2026-11-30", slug="a"))
    room.upload("redirects/desk.json", redirect_list(("/vote/", "/2026/11/30/a/")))

    room.upload("vote.md", story("Vote", "2026-11-30", slug="b"))

    assert room.redirects.targets["/vote/"] == "/2026/11/30/b/"


def test_a_full_address_of_the_site_counts_as_its_path():
    listed = parse_redirects(
        "incoming/redirects/x.json", redirect_list(("https://news.example.org/a/", "/b/")), SITE
    )

    assert [(redirect.path, redirect.target) for redirect in listed] == [("/a/", "/b/")]


@pytest.mark.parametrize(
    ("pairs", "said"),
    [
        ((("/a/", "https://elsewhere.example.com/a/"),), "not on this site"),
        ((("/a/", "//elsewhere.example.com/a/"),), "not on this site"),
        ((("a/", "/b/"),), "not a path of the site"),
        ((("/a/", "/a/"),), "redirects to itself"),
        ((("/a/", "/b/"), ("/b/", "/a/")), "loop"),
        ((("/a/", "/b/"), ("/a/", "/c/")), "listed twice"),
        ((("/a/?utm=1", "/b/"),), "query"),
        (((f"/{'x' * MAX_PATH_BYTES}/", "/b/"),), "the CDN keeps at most 512"),
    ],
)
def test_a_bad_list_is_refused_with_every_reason(pairs: tuple[tuple[str, str], ...], said: str):
    with pytest.raises(InvalidArticle) as refused:
        parse_redirects("incoming/redirects/x.json", redirect_list(*pairs), SITE)

    assert said in str(refused.value)


def test_a_list_that_is_not_json_is_refused():
    with pytest.raises(InvalidArticle, match="not JSON"):
        parse_redirects("incoming/redirects/x.json", b"/a/ -> /b/", SITE)


def test_a_list_redirecting_a_live_story_is_refused_with_a_report():
    # GIVEN a live story
    room = Newsroom()
    room.upload("vote.md", story("Vote", "2026-11-30", slug="vote"))

    # WHEN an editor lists a redirect from its address
    outcome = room.upload("redirects/desk.json", redirect_list(("/2026/11/30/vote/", "/category/world/")))

    # THEN the list is refused, the editor told why, and the story still answers
    assert outcome is Outcome.REJECTED
    report = json.loads(room.uploads.reports[report_key("incoming/redirects/desk.json")])
    assert "live story" in report["errors"][0]["message"]
    assert room.redirects.targets == {}


def test_a_list_that_loops_through_the_sites_redirects_is_refused():
    # GIVEN a story that moved from a to b
    room = Newsroom()
    room.upload("vote.md", story("Vote", "2026-11-30", slug="a"))
    room.upload("vote.md", story("Vote", "2026-11-30", slug="b"))
    room.upload("vote.md", story("Vote", "2026-11-30", slug="c"))
    room.remove("vote.md")

    # WHEN an editor sends c back to a, which redirects to c
    outcome = room.upload("redirects/desk.json", redirect_list(("/2026/11/30/c/", "/2026/11/30/a/")))

    # THEN it is refused: readers would go round for ever
    assert outcome is Outcome.REJECTED
    assert room.redirects.targets == {"/2026/11/30/a/": "/2026/11/30/c/", "/2026/11/30/b/": "/2026/11/30/c/"}
