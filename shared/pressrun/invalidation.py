"""Planning CDN invalidations: which paths a batch of site changes makes stale, asked for once.

A plan is the smallest set of CloudFront items that covers every changed path: each path once, a
crowded directory as one wildcard, and the whole site (`/*`) when the batch is too big to list.
CloudFront wildcards only end a path, and `/dir/*` matches `/dir/` and everything below it.

In tag mode the items are cache tags (`#category:economy`) instead: every object carries its tags
(`urls.cache_tags`), so a story's publish costs a handful of items however many listing pages, feeds
and sitemaps it touched.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from pressrun.announcing import AnnouncingSite
from pressrun.model import SiteWrite
from pressrun.ports import Cdn, InvalidationRequests
from pressrun.urls import cache_tags, is_immutable, is_long_cached, public_paths

ROOT = "/"
EVERYTHING = "/*"

# One story touches at most five paths under any one directory (a category's front page in both forms,
# its feed, and the listing page it completes) and two of its own. Only bulk rewrites cross twenty: a
# template change, a rebuild, a backdated story re-rendering a category's pages, more than ten stories
# of one day in one window. Then most of the directory changed anyway, and one wildcard bills as one path.
COALESCE_AFTER = 20
# CloudFront's quotas for invalidations in progress on one distribution, shared by every invalidation on
# it. A plan cannot see the others in flight, but InvalidateCdnFunction runs at most
# INVALIDATION_CONSUMERS at once (template.yaml: its SQS source's ScalingConfig.MaximumConcurrency, 2
# being the least SQS allows), so each plan keeps to its share and two plans in flight never crowd each
# other out. One that still finds the budget taken (an operator's invalidation, or the previous one still
# in progress) is retried with backoff inside the invocation, then by the queue (aws/cloudfront.py).
PATHS_IN_FLIGHT = 3000
WILDCARDS_IN_FLIGHT = 15
INVALIDATION_CONSUMERS = 2
MAX_PATHS = PATHS_IN_FLIGHT // INVALIDATION_CONSUMERS
MAX_WILDCARDS = WILDCARDS_IN_FLIGHT // INVALIDATION_CONSUMERS
# A batch (at most 1,000 queue messages, so up to 2,000 paths) this big comes from a rebuild or a
# template change, not from publishing, which touches tens of paths per window. By then most of the
# site is stale: `/*` bills one path where the list would eat the month's free 1,000 in one go.
FALLBACK_AFTER = 1000
# CreateInvalidation's own cap on the items of one request, whatever is in flight.
ITEMS_PER_REQUEST = 3000

InvalidationMode = Literal["paths", "tags"]


class SiteChange(BaseModel):
    """An object written to or removed from the site bucket; `version` tells two changes of one key apart."""

    model_config = ConfigDict(frozen=True)

    key: str
    version: str


class InvalidationPlan(BaseModel):
    """The items of one CreateInvalidation, in a stable order; `reason` says why it fell back to `/*`."""

    model_config = ConfigDict(frozen=True)

    items: tuple[str, ...]
    fell_back: bool = False
    reason: str | None = None

    @property
    def billed_paths(self) -> int:
        # CloudFront bills every item as one path, a wildcard too, however much it matches.
        return len(self.items)


def stale_copies(writes: Iterable[SiteWrite], asked: str = "") -> list[SiteChange]:
    """What readers may hold a stale copy of after these writes: long-cached objects that were
    overwritten or removed. A key written for the first time was never served, so nothing anywhere
    holds it; listings expire by themselves within LISTING_FRESHNESS_SECONDS; an image rendition's
    name is its content's hash, so it never changes, and one removed is named by no page any more.
    `asked` tells one request apart from another for the same change (see `InvalidatingSite`)."""
    request = f"@{asked}" if asked else ""
    return [
        SiteChange(key=write.key, version=f"{write.kind}:{write.digest}{request}")
        for write in writes
        if write.kind != "created" and is_long_cached(write.key) and not is_immutable(write.key)
    ]


@dataclass
class InvalidatingSite(AnnouncingSite):
    """A site store that asks for the invalidation of every stale copy its writes will leave, just
    before it makes them: the renderers know what they overwrite, where an S3 event would not say
    whether a key is new. Asked before, not after: a process that dies between the write and the
    request would leave identical bytes behind, which no retry rewrites, and the stale copy cached.
    The request is served only once the asking invocation is over, so after its writes: on AWS each
    message is delayed past the function's timeout (`INVALIDATION_DELAY_SECONDS`); the local engine
    runs one step at a time."""

    invalidations: InvalidationRequests

    def announce(self, writes: list[SiteWrite]) -> None:
        # Each request its own: CloudFront answers a caller reference it has seen with the
        # invalidation it made then, and a retry that writes again after an invalidation made
        # before its write (which failed) needs a new one.
        stale = stale_copies(writes, asked=secrets.token_hex(8))
        if stale:
            self.invalidations.request(stale)


def plan_paths(changes: Iterable[SiteChange]) -> list[str]:
    """Every public path of every changed object, each once, in a stable order."""
    return sorted({path for change in changes for path in public_paths(change.key)})


def plan_tags(changes: Iterable[SiteChange]) -> list[str]:
    """The cache tags of every changed object as invalidation items (`#tag`), each once, sorted."""
    return sorted({f"#{tag}" for change in changes for tag in cache_tags(change.key)})


def plan_invalidation(
    changes: Iterable[SiteChange],
    *,
    mode: InvalidationMode = "paths",
    coalesce_after: int = COALESCE_AFTER,
    max_paths: int = MAX_PATHS,
    max_wildcards: int = MAX_WILDCARDS,
    fallback_after: int = FALLBACK_AFTER,
) -> InvalidationPlan:
    """Items that cover every changed path within the budgets, or `/*` when they cannot.

    A directory below the root with more than `coalesce_after` items becomes `/dir/*`, deepest first, so
    a parent counts a wildcard child as one item. Past `max_wildcards`, the wildcards covering the most
    paths stay and the others go back to their paths; past `max_paths` individual paths, or more than
    `fallback_after` changed paths to begin with, the plan falls back to `/*`.

    In tag mode the items are the changed objects' tags, which take no wildcards; tags in flight count
    against the same quota as paths, so the same budgets and fallback apply.
    """
    if mode == "tags":
        return _within_budgets(plan_tags(changes), max_paths=max_paths, fallback_after=fallback_after)
    paths = plan_paths(changes)
    if len(paths) > fallback_after:
        return _fall_back(f"{len(paths)} changed paths, more than fallback_after={fallback_after}")
    wildcards = _widest_first(_crowded_directories(paths, coalesce_after), paths)[:max_wildcards]
    individual = [path for path in paths if not path.startswith(tuple(wildcards))]
    if len(individual) > max_paths:
        return _fall_back(f"{len(individual)} individual paths, more than max_paths={max_paths}")
    items = sorted([f"{directory}*" for directory in wildcards] + individual)
    if len(items) > ITEMS_PER_REQUEST:
        return _fall_back(f"{len(items)} items, more than the {ITEMS_PER_REQUEST} one request may carry")
    return InvalidationPlan(items=tuple(items))


def caller_reference(changes: Iterable[SiteChange]) -> str:
    # Derived from the changes themselves: a retried batch repeats its reference, and CloudFront answers
    # it with the invalidation it already made; a later change of the same paths has new versions.
    fingerprint = "\n".join(sorted({f"{change.key}@{change.version}" for change in changes}))
    return f"pressrun-{hashlib.sha256(fingerprint.encode('utf-8')).hexdigest()[:40]}"


def invalidate_changes(
    changes: list[SiteChange], cdn: Cdn, mode: InvalidationMode = "paths"
) -> InvalidationPlan:
    """Ask the CDN to drop everything the changes touched, in one request; the plan it followed."""
    plan = plan_invalidation(changes, mode=mode)
    if plan.items:
        cdn.invalidate(list(plan.items), caller_reference(changes))
    return plan


def _within_budgets(tags: list[str], *, max_paths: int, fallback_after: int) -> InvalidationPlan:
    if len(tags) > fallback_after:
        return _fall_back(f"{len(tags)} changed tags, more than fallback_after={fallback_after}")
    if len(tags) > min(max_paths, ITEMS_PER_REQUEST):
        return _fall_back(f"{len(tags)} tags, more than max_paths={max_paths} or one request's items")
    return InvalidationPlan(items=tuple(tags))


def _fall_back(reason: str) -> InvalidationPlan:
    return InvalidationPlan(items=(EVERYTHING,), fell_back=True, reason=reason)


def _crowded_directories(paths: list[str], coalesce_after: int) -> list[str]:
    """The outermost directories below the root that hold more than `coalesce_after` items."""
    items = Counter(_directory(path) for path in paths)
    directories = {ancestor for directory in list(items) for ancestor in _self_and_ancestors(directory)}
    crowded: set[str] = set()
    for directory in sorted(directories - {ROOT}, key=_depth, reverse=True):
        if items[directory] > coalesce_after:
            crowded.add(directory)
        items[_parent(directory)] += 1 if directory in crowded else items[directory]
    return [
        directory
        for directory in crowded
        if not any(ancestor in crowded for ancestor in _self_and_ancestors(_parent(directory)))
    ]


def _widest_first(directories: list[str], paths: list[str]) -> list[str]:
    def covered(directory: str) -> int:
        return sum(path.startswith(directory) for path in paths)

    return sorted(directories, key=lambda directory: (-covered(directory), directory))


def _directory(path: str) -> str:
    """The directory whose wildcard covers `path`: `/a/b/` for `/a/b/` and for `/a/b/index.html`."""
    return path[: path.rindex("/") + 1]


def _parent(directory: str) -> str:
    return _directory(directory[:-1])


def _depth(directory: str) -> int:
    return directory.count("/")


def _self_and_ancestors(directory: str) -> Iterator[str]:
    yield directory
    while directory != ROOT:
        directory = _parent(directory)
        yield directory
