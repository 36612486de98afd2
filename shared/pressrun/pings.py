"""Pings on publish: telling IndexNow and the WebSub hub that readers can see something new.

A ping is planned from what a renderer is about to write, the way an invalidation is (`PingingSite`
beside `invalidation.InvalidatingSite`): only a write that changes bytes announces itself, so a
story uploaded again unchanged pings nobody. A story's page written or removed is an IndexNow ping
for its URL (IndexNow takes removed URLs too); a feed written is a WebSub ping for that feed, the
topic its `rel="hub"` link names. Each ping is one job on the ping queue, delayed until what it
announces is what the CDN serves (`delay_seconds`), and sent by `send_pings`: one IndexNow POST for
every URL of a batch, one hub POST per topic. A target that is down fails only its own jobs, which
the queue retries and finally sets aside; publishing never waits for a ping.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlencode, urlsplit

from pydantic import BaseModel, ConfigDict

from pressrun.announcing import AnnouncingSite
from pressrun.model import SiteWrite
from pressrun.ports import PingQueue, PingSender
from pressrun.settings import SiteSettings
from pressrun.urls import absolute, article_key_path, is_feed_key, public_paths

PingKind = Literal["indexnow", "websub"]

# IndexNow takes at most 10,000 URLs in one POST.
INDEXNOW_URLS_PER_REQUEST = 10_000
# SQS delays a message by at most 15 minutes.
LONGEST_DELAY_SECONDS = 900
# A 404 for a URL asked before its story existed is cached this long (the distribution's error
# caching): a crawler told of a new page a moment later could be given it.
NOT_FOUND_CACHED_SECONDS = 5
# How long an invalidation takes once CloudFront has it. CloudFront documents no bound: an allowance,
# not a measurement, and a ping that comes early costs a crawler one stale fetch, nothing more.
INVALIDATION_ALLOWANCE_SECONDS = 120


class Ping(BaseModel):
    """One job of the ping queue: tell IndexNow of a page's URL, or the hub of a feed's."""

    model_config = ConfigDict(frozen=True)

    kind: PingKind
    url: str


class PingFailed(Exception):
    """A target did not take a ping; its jobs go back to the queue."""


def pings_for(writes: Iterable[SiteWrite], site: SiteSettings) -> dict[int, list[Ping]]:
    """The pings these site changes call for, grouped by how long each must wait: until the CDN
    serves what was written. Only the targets the settings turn on are pinged."""
    planned: dict[int, list[Ping]] = {}
    for write in writes:
        ping = _ping_for(write, site)
        if ping is not None:
            planned.setdefault(delay_seconds(write, site), []).append(ping)
    return planned


def _ping_for(write: SiteWrite, site: SiteSettings) -> Ping | None:
    if site.indexnow_endpoint and article_key_path(write.key) is not None:
        return Ping(kind="indexnow", url=absolute(site.site_url, public_paths(write.key)[0]))
    if site.websub_hub and write.kind != "deleted" and is_feed_key(write.key):
        return Ping(kind="websub", url=absolute(site.site_url, f"/{write.key}"))
    return None


def delay_seconds(write: SiteWrite, site: SiteSettings) -> int:
    """How long after the announcement the CDN serves what the write leaves: the writer has had
    time to make it (`ping_delay_seconds`, its timeout and a margin) and then

    - a new page: the 404 a reader may have been given before it existed has expired;
    - a story page overwritten or removed: its invalidation (asked before the write, gathered for
      `invalidation_window_seconds`) has been made;
    - a feed: every copy cached before the write has expired, stale-while-revalidate included
      (`urls.cache_control`: both are `listing_freshness_seconds`).

    SQS delays a message 15 minutes at most: a longer wait (a listing freshness of an hour) is cut to
    that, and the hub may then fetch a feed the CDN still holds; docs/architecture.md says so.

    Without a writer's delay (0: the local engine, the emulated stack) no CDN stands in front of the
    site, and what was written is served as soon as the run that wrote it is over."""
    if not site.ping_delay_seconds:
        return 0
    if is_feed_key(write.key):
        settle = 2 * site.listing_freshness_seconds
    elif write.kind == "created":
        settle = NOT_FOUND_CACHED_SECONDS
    else:
        settle = site.invalidation_window_seconds + INVALIDATION_ALLOWANCE_SECONDS
    return min(site.ping_delay_seconds + settle, LONGEST_DELAY_SECONDS)


@dataclass
class PingingSite(AnnouncingSite):
    """A site store that queues the pings its writes call for, just before it makes them (asked
    after, a process dying in between would leave identical bytes that no retry rewrites, and the
    ping lost). A write that then fails costs a ping of a page that did not change: harmless, and
    its retry asks again."""

    pings: PingQueue
    site: SiteSettings

    def announce(self, writes: list[SiteWrite]) -> None:
        for delay, pings in sorted(pings_for(writes, self.site).items()):
            self.pings.send(pings, delay)


@dataclass(frozen=True)
class PingRun:
    """What a batch of pings did: the jobs delivered and, for the others, why not."""

    delivered: frozenset[str]
    failed: Mapping[str, str] = field(default_factory=dict)


def send_pings(jobs: Mapping[str, Ping], sender: PingSender, site: SiteSettings) -> PingRun:
    """Send a batch of jobs (by their queue ids): every IndexNow URL in one POST (10,000 a request,
    each URL once), each hub topic once. A target that refuses or cannot be reached fails only the
    jobs it was sent; a target the settings no longer name drops its jobs (nothing to tell)."""
    delivered: set[str] = set()
    failed: dict[str, str] = {}
    by_kind: dict[PingKind, dict[str, list[str]]] = {"indexnow": {}, "websub": {}}
    for job_id, ping in jobs.items():
        by_kind[ping.kind].setdefault(ping.url, []).append(job_id)

    def settle(job_ids: Iterable[str], error: str | None) -> None:
        for job_id in job_ids:
            if error is None:
                delivered.add(job_id)
            else:
                failed[job_id] = error

    urls = sorted(by_kind["indexnow"])
    for start in range(0, len(urls), INDEXNOW_URLS_PER_REQUEST):
        chunk = urls[start : start + INDEXNOW_URLS_PER_REQUEST]
        error = _indexnow(chunk, sender, site) if site.indexnow_endpoint and site.indexnow_key else None
        settle((job_id for url in chunk for job_id in by_kind["indexnow"][url]), error)
    for topic, job_ids in sorted(by_kind["websub"].items()):
        settle(job_ids, _websub(topic, sender, site) if site.websub_hub else None)
    return PingRun(delivered=frozenset(delivered), failed=failed)


def indexnow_request(urls: Sequence[str], site: SiteSettings) -> bytes:
    """IndexNow's JSON body for a set of URLs of the site."""
    body = {
        "host": urlsplit(site.site_url).hostname,
        "key": site.indexnow_key,
        "keyLocation": absolute(site.site_url, indexnow_key_path(site.indexnow_key)),
        "urlList": list(urls),
    }
    return json.dumps(body).encode("utf-8")


def indexnow_key_path(key: str) -> str:
    """Where the key file is served: at the site's root, which lets the key speak for every URL."""
    return f"/{key}.txt"


# What IndexNow's answers mean (its documentation), for the log.
_INDEXNOW_ANSWERS = {
    400: "bad request: the body is malformed",
    403: "forbidden: the key file is missing or does not hold the key",
    422: "unprocessable: a URL is not of the host, or the key breaks the protocol's rule",
    429: "too many requests: slow down",
}


def _indexnow(urls: Sequence[str], sender: PingSender, site: SiteSettings) -> str | None:
    status = _post(sender, site.indexnow_endpoint, indexnow_request(urls, site), INDEXNOW_CONTENT_TYPE)
    if isinstance(status, str):
        return status
    # 200: taken; 202: taken, the key is still being checked.
    if status in (200, 202):
        return None
    return f"IndexNow answered {status}: {_INDEXNOW_ANSWERS.get(status, 'unexpected')}"


def _websub(topic: str, sender: PingSender, site: SiteSettings) -> str | None:
    body = urlencode({"hub.mode": "publish", "hub.url": topic}).encode("ascii")
    status = _post(sender, site.websub_hub, body, FORM_CONTENT_TYPE)
    if isinstance(status, str):
        return status
    # WebSub leaves publishing to the hub; hubs answer 202 or 204, and any 2xx is taken.
    return None if 200 <= status < 300 else f"the hub answered {status}"


def _post(sender: PingSender, url: str, body: bytes, content_type: str) -> int | str:
    try:
        return sender.post(url, body, content_type)
    except OSError as error:  # refused, reset, timed out, unresolvable: the target is down
        return f"{url} could not be reached: {error}"


INDEXNOW_CONTENT_TYPE = "application/json; charset=utf-8"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
