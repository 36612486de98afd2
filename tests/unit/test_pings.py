"""Pings on publish (pressrun.pings): who is told of what, when, and what a target's answer does."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest

from pressrun.index import update_index
from pressrun.listings import refresh_listings
from pressrun.model import ArticleRecord, SiteWrite
from pressrun.pages import apply_article_change
from pressrun.pings import (
    INDEXNOW_URLS_PER_REQUEST,
    LONGEST_DELAY_SECONDS,
    Ping,
    PingingSite,
    delay_seconds,
    pings_for,
    send_pings,
)
from pressrun.settings import SiteSettings
from tests.fakes import MemoryIndex, MemorySite, RecordingPings, ScriptedTarget
from tests.unit.test_index import record
from tests.unit.test_pages import NOW, POSITION, STORY, tables_holding, uploads_with_sample

KEY = "0b6e3c1e-5a4f-4b8e-9c1d-2f7a8e6d4c3b"
ENDPOINT = "https://indexnow.example/indexnow"
HUB = "https://hub.example/"
PINGING = SiteSettings(
    site_url="https://news.example.org",
    indexnow_endpoint=ENDPOINT,
    indexnow_key=KEY,
    websub_hub=HUB,
    ping_delay_seconds=35,
)
STORY_URL = "https://news.example.org/2025/06/25/t/"
FEEDS = {
    "https://news.example.org/feed.xml",
    "https://news.example.org/feed.json",
    "https://news.example.org/category/economics/feed.xml",
    "https://news.example.org/category/economics/feed.json",
}


def publish(
    old: ArticleRecord | None,
    new: ArticleRecord,
    store: MemorySite,
    pings: RecordingPings,
    site: SiteSettings,
) -> None:
    """What the follow step and the listings render do for one change, on a pinging site store."""
    pinging = PingingSite(store, pings, site)
    apply_article_change(old, new, uploads_with_sample(), tables_holding(new), pinging, site)


def test_a_story_going_live_pings_indexnow_with_its_url_and_the_hub_with_its_feeds():
    # GIVEN pings turned on, and a story recorded live
    store, pings, live = MemorySite(), RecordingPings(), record("Economics")
    index = tables_holding(live)
    pinging = PingingSite(store, pings, PINGING)
    # WHEN its page is written and its listings rendered
    apply_article_change(None, live, uploads_with_sample(), index, pinging, PINGING)
    memberships = MemoryIndex()
    update_index(None, live, memberships)
    refresh_listings(
        {"site": [POSITION], "category/economics": [POSITION]}, memberships, pinging, PINGING, NOW
    )
    # THEN IndexNow is told of the story's URL, and the hub of every feed that lists it
    assert [ping.url for ping in pings.pings if ping.kind == "indexnow"] == [STORY_URL]
    assert {ping.url for ping in pings.pings if ping.kind == "websub"} == FEEDS
    # and of nothing else: no listing page, no feed item, no stylesheet
    assert len(pings.pings) == 1 + len(FEEDS)


def test_a_story_uploaded_again_unchanged_pings_nobody():
    store, pings, live = MemorySite(), RecordingPings(), record("Economics")
    publish(None, live, store, pings, PINGING)
    pings.queued.clear()

    publish(live, live, store, pings, PINGING)

    assert pings.queued == []


def test_a_changed_story_pings_indexnow_again():
    store, pings, live = MemorySite(), RecordingPings(), record("Economics")
    publish(None, live, store, pings, PINGING)
    pings.queued.clear()
    uploads = uploads_with_sample()
    uploads.add("incoming/story.md", STORY.replace(b"Body.", b"A corrected body."), version_id="v2")
    corrected = live.model_copy(update={"source_version": "v2", "sequencer": "02"})

    apply_article_change(
        live, corrected, uploads, tables_holding(corrected), PingingSite(store, pings, PINGING), PINGING
    )

    assert pings.pings == [Ping(kind="indexnow", url=STORY_URL)]


def test_a_removed_story_pings_indexnow_with_its_url_which_now_answers_404():
    store, pings, live = MemorySite(), RecordingPings(), record("Economics")
    publish(None, live, store, pings, PINGING)
    pings.queued.clear()
    removed = record(status="removed", sequencer="02")

    apply_article_change(
        live,
        removed,
        uploads_with_sample(),
        tables_holding(live, removed),
        PingingSite(store, pings, PINGING),
        PINGING,
    )

    # IndexNow takes a removed URL: the engine fetches it, finds it gone, and drops it.
    assert pings.pings == [Ping(kind="indexnow", url=STORY_URL)]


def test_pings_are_off_until_an_endpoint_or_a_hub_is_set():
    store, pings = MemorySite(), RecordingPings()

    publish(None, record("Economics"), store, pings, SiteSettings())

    assert pings.queued == []


def test_a_feed_removed_with_its_emptied_section_pings_no_hub():
    # A hub told of a topic that is gone would fetch a 404 and tell subscribers nothing useful.
    removal = SiteWrite(key="category/economics/feed.xml", kind="deleted", digest="d")

    assert pings_for([removal], PINGING) == {}


def test_each_ping_waits_until_the_cdn_serves_what_it_announces():
    def wait(key: str, kind: str) -> int:
        return delay_seconds(SiteWrite(key=key, kind=kind, digest="d"), PINGING)  # type: ignore[arg-type]

    # A new page: the writer's time, and the 404 a reader may have been given before it existed.
    assert wait("2025/06/25/t/index.html", "created") == 35 + 5
    # A corrected or removed page: its invalidation gathered (10 s window) and made.
    assert wait("2025/06/25/t/index.html", "overwritten") > 35 + 10
    assert wait("2025/06/25/t/index.html", "deleted") == wait("2025/06/25/t/index.html", "overwritten")
    # A feed: every copy cached before the write expired, stale-while-revalidate included.
    assert wait("feed.xml", "overwritten") == 35 + 2 * 60
    # SQS waits at most 15 minutes.
    slow = PINGING.model_copy(update={"listing_freshness_seconds": 3600})
    assert (
        delay_seconds(SiteWrite(key="feed.xml", kind="overwritten", digest="d"), slow)
        == LONGEST_DELAY_SECONDS
    )


def test_a_ping_is_queued_before_the_write_it_announces():
    # Queued after, a process dying between the two would leave bytes no retry rewrites, and no ping.
    order: list[str] = []

    class Watching(RecordingPings):
        def send(self, pings, delay_seconds):  # type: ignore[no-untyped-def]
            order.append("queued")
            super().send(pings, delay_seconds)

    class Writing(MemorySite):
        def put(self, key, body, content_type, *, first_write=False, announce=None):  # type: ignore[no-untyped-def]
            written = super().put(key, body, content_type, first_write=first_write, announce=announce)
            order.append(f"wrote {key}")
            return written

    PingingSite(Writing(), Watching(), PINGING).put("2025/06/25/t/index.html", b"<p>story</p>", "text/html")

    assert order == ["queued", "wrote 2025/06/25/t/index.html"]


def test_a_failed_enqueue_fails_the_write_so_that_its_retry_asks_again():
    class Unreachable(RecordingPings):
        def send(self, pings, delay_seconds):  # type: ignore[no-untyped-def]
            raise ConnectionError("SQS unreachable")

    store = MemorySite()
    with pytest.raises(ConnectionError):
        PingingSite(store, Unreachable(), PINGING).put("2025/06/25/t/index.html", b"<p>s</p>", "text/html")
    # Nothing written: the retry finds new bytes, and asks again.
    retried = RecordingPings()
    PingingSite(store, retried, PINGING).put("2025/06/25/t/index.html", b"<p>s</p>", "text/html")
    assert retried.pings == [Ping(kind="indexnow", url=STORY_URL)]


def test_the_key_file_is_served_at_the_root_while_indexnow_is_on():
    index, store = MemoryIndex(), MemorySite()
    update_index(None, record("Economics"), index)

    refresh_listings({"site": [POSITION]}, index, store, PINGING, NOW)

    assert store.objects[f"{KEY}.txt"] == KEY.encode("ascii")


def test_no_key_file_while_indexnow_is_off():
    index, store = MemoryIndex(), MemorySite()
    update_index(None, record("Economics"), index)

    refresh_listings({"site": [POSITION]}, index, store, SiteSettings(indexnow_key=KEY), NOW)

    assert not [key for key in store.objects if key.endswith(".txt") and key != "robots.txt"]


# --- sending -------------------------------------------------------------------------------------


def test_a_batch_is_one_indexnow_request_naming_each_url_once():
    target = ScriptedTarget(status=202)
    jobs = {
        "m1": Ping(kind="indexnow", url=STORY_URL),
        "m2": Ping(kind="indexnow", url="https://news.example.org/2025/06/26/u/"),
        "m3": Ping(kind="indexnow", url=STORY_URL),  # the same story, changed twice in the window
    }

    run = send_pings(jobs, target, PINGING)

    assert run.delivered == {"m1", "m2", "m3"}
    [(url, body, content_type)] = target.requests
    assert url == ENDPOINT
    assert content_type == "application/json; charset=utf-8"
    assert json.loads(body) == {
        "host": "news.example.org",
        "key": KEY,
        "keyLocation": f"https://news.example.org/{KEY}.txt",
        "urlList": [STORY_URL, "https://news.example.org/2025/06/26/u/"],
    }


def test_indexnow_is_asked_10000_urls_at_a_time():
    target = ScriptedTarget()
    jobs = {
        str(n): Ping(kind="indexnow", url=f"https://news.example.org/2025/06/25/s{n}/")
        for n in range(INDEXNOW_URLS_PER_REQUEST + 1)
    }

    send_pings(jobs, target, PINGING)

    assert [len(json.loads(body)["urlList"]) for _, body, _ in target.requests] == [
        INDEXNOW_URLS_PER_REQUEST,
        1,
    ]


def test_the_hub_is_told_of_each_feed_once_as_websub_asks():
    target = ScriptedTarget(status=204)
    jobs = {
        "m1": Ping(kind="websub", url="https://news.example.org/feed.xml"),
        "m2": Ping(kind="websub", url="https://news.example.org/feed.xml"),
        "m3": Ping(kind="websub", url="https://news.example.org/feed.json"),
    }

    run = send_pings(jobs, target, PINGING)

    assert run.delivered == {"m1", "m2", "m3"}
    assert [(url, content_type) for url, _, content_type in target.requests] == [
        (HUB, "application/x-www-form-urlencoded")
    ] * 2
    assert [parse_qs(body.decode()) for _, body, _ in target.requests] == [
        {"hub.mode": ["publish"], "hub.url": ["https://news.example.org/feed.json"]},
        {"hub.mode": ["publish"], "hub.url": ["https://news.example.org/feed.xml"]},
    ]


@pytest.mark.parametrize("status", [400, 403, 422, 429, 500, 503])
def test_an_indexnow_refusal_fails_its_jobs_for_the_queue_to_retry(status: int):
    run = send_pings({"m1": Ping(kind="indexnow", url=STORY_URL)}, ScriptedTarget(status=status), PINGING)

    assert run.delivered == set()
    assert f"IndexNow answered {status}" in run.failed["m1"]


def test_a_target_that_is_down_fails_only_its_own_jobs():
    class HubDown(ScriptedTarget):
        def post(self, url: str, body: bytes, content_type: str) -> int:
            if url == HUB:
                raise ConnectionRefusedError("connection refused")
            return super().post(url, body, content_type)

    jobs = {
        "story": Ping(kind="indexnow", url=STORY_URL),
        "feed": Ping(kind="websub", url="https://news.example.org/feed.xml"),
    }

    run = send_pings(jobs, HubDown(), PINGING)

    assert run.delivered == {"story"}
    assert "could not be reached" in run.failed["feed"]


def test_jobs_for_a_target_turned_off_since_are_dropped_not_retried():
    target = ScriptedTarget()
    jobs = {
        "m1": Ping(kind="indexnow", url=STORY_URL),
        "m2": Ping(kind="websub", url="https://news.example.org/feed.xml"),
    }

    run = send_pings(jobs, target, SiteSettings(site_url="https://news.example.org"))

    assert run.delivered == {"m1", "m2"}
    assert target.requests == []


@pytest.mark.parametrize("key", ["short", "has space in it", "x" * 129, "under_score"])
def test_a_key_indexnow_would_refuse_is_refused_at_start(key: str):
    with pytest.raises(ValueError, match="IndexNow key"):
        SiteSettings(indexnow_key=key)


def test_an_endpoint_without_a_key_is_refused_at_start():
    with pytest.raises(ValueError, match="INDEXNOW_KEY"):
        SiteSettings(indexnow_endpoint=ENDPOINT)
