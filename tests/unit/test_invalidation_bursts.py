"""Invalidations under a burst: CloudFront refuses a request while the invalidations in flight on the
distribution fill its quota (3,000 paths, 15 wildcards), and throttles. The adapter backs off inside the
invocation, the queue retries the batch, and the burst converges before anything is dead-lettered.

Everything runs on a simulated clock, against a fake CloudFront client that keeps CloudFront's quota."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pressrun.aws.cloudfront import Backoff, CloudFrontCdn
from pressrun.emulator.template import load_template
from pressrun.invalidation import (
    INVALIDATION_CONSUMERS,
    MAX_PATHS,
    MAX_WILDCARDS,
    SiteChange,
    invalidate_changes,
    plan_invalidation,
    plan_paths,
)
from tests.conftest import ROOT

# CloudFront's quotas for invalidations in progress on one distribution, written here independently of
# the planner's constants.
PATHS_QUOTA = 3000
WILDCARDS_QUOTA = 15
# How long CloudFront takes to finish an invalidation, in this simulation.
INVALIDATION_SECONDS = 300.0

TEMPLATE = load_template(ROOT / "template.yaml")
QUEUE = TEMPLATE["Resources"]["InvalidationQueue"]["Properties"]
FUNCTION = TEMPLATE["Resources"]["InvalidateCdnFunction"]["Properties"]
SOURCE = FUNCTION["Events"]["SiteChanges"]["Properties"]
VISIBILITY_SECONDS = float(QUEUE["VisibilityTimeout"])
MAX_RECEIVES = int(QUEUE["RedrivePolicy"]["maxReceiveCount"])
TIMEOUT_SECONDS = float(FUNCTION["Timeout"])


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


@dataclass
class Invalidation:
    reference: str
    items: list[str]
    done_at: float


def refused(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "simulated"}}, "CreateInvalidation")


@dataclass
class BusyCloudFront:
    """CreateInvalidation as CloudFront answers it: refused while the invalidations in flight would
    exceed the quota, the same answer for a repeated caller reference, each done after a while."""

    clock: Clock
    invalidations: list[Invalidation] = field(default_factory=list)
    calls: int = 0
    refusals: int = 0
    # Codes to answer with before anything else, one per call (throttling, say).
    scripted: list[str] = field(default_factory=list)

    def in_flight(self) -> list[Invalidation]:
        return [i for i in self.invalidations if i.done_at > self.clock.now]

    def start(self, items: list[str], reference: str, seconds: float = INVALIDATION_SECONDS) -> None:
        self.invalidations.append(Invalidation(reference, items, self.clock.now + seconds))

    def create_invalidation(self, DistributionId: str, InvalidationBatch: dict[str, Any]) -> dict[str, Any]:  # noqa: N803 - boto3's names
        self.calls += 1
        if self.scripted:
            raise refused(self.scripted.pop(0))
        reference, items = InvalidationBatch["CallerReference"], InvalidationBatch["Paths"]["Items"]
        if any(i.reference == reference for i in self.invalidations):
            return {"Invalidation": {"Id": reference}}
        flying = [item for i in self.in_flight() for item in i.items] + items
        wildcards = sum(item.endswith("*") for item in flying)
        if wildcards > WILDCARDS_QUOTA or len(flying) - wildcards > PATHS_QUOTA:
            self.refusals += 1
            raise refused("TooManyInvalidationsInProgress")
        self.start(items, reference)
        return {"Invalidation": {"Id": reference}}

    def covered(self, path: str) -> bool:
        """Whether a finished invalidation covers the path (`/dir/*` covers `/dir/` and all below it)."""
        return any(
            item == path or (item.endswith("*") and path.startswith(item[:-1]))
            for invalidation in self.invalidations
            if invalidation.done_at <= self.clock.now
            for item in invalidation.items
        )


def cdn(fake: BusyCloudFront, clock: Clock, remaining: Callable[[], float] | None = None) -> CloudFrontCdn:
    return CloudFrontCdn(
        fake,  # type: ignore[arg-type]
        "E2EXAMPLE12345",
        remaining_seconds=remaining,
        sleep=clock.sleep,
        jitter=random.Random(7).uniform,
    )


@dataclass
class Message:
    """One batch of site changes in the invalidation queue (Lambda hands a failed batch back whole)."""

    changes: list[SiteChange]
    visible_at: float = 0.0
    receives: int = 0


def rebuild_batch(number: int) -> list[SiteChange]:
    """A window of a full rebuild: past FALLBACK_AFTER paths, planned as `/*`."""
    return [
        SiteChange(key=f"{2020 + number % 5}/01/{day:02d}/story-{n}/index.html", version=f"r{number}")
        for day in range(1, 29)
        for n in range(20)
    ]


def news_batch(number: int) -> list[SiteChange]:
    """A window of a busy news hour: stories of one day (one wildcard) and the category pages they list."""
    day = f"2025/06/{number + 1:02d}"
    stories = [f"{day}/story-{n}/index.html" for n in range(25)]
    listings = [f"category/section-{number}/index.html", "index.html", "feed.xml"]
    return [SiteChange(key=key, version=f"n{number}") for key in stories + listings]


def test_a_burst_during_another_invalidation_converges_before_anything_is_dead_lettered():
    # GIVEN an operator's invalidation holding 14 of the 15 wildcards for twenty minutes
    clock = Clock()
    fake = BusyCloudFront(clock)
    fake.start([f"/manual-{n}/*" for n in range(14)], "operator", seconds=1200)
    # AND a burst: a rebuild's windows (each `/*`) interleaved with a news hour's
    queue = [Message(batch(n)) for n in range(8) for batch in (rebuild_batch, news_batch)]
    dead_lettered: list[Message] = []

    # WHEN the function takes the batches as the queue makes them visible, one invocation at a time
    while pending := [m for m in queue if m not in dead_lettered]:
        message = min(pending, key=lambda m: m.visible_at)
        clock.now = max(clock.now, message.visible_at)
        started, message.receives = clock.now, message.receives + 1
        deadline = started + TIMEOUT_SECONDS
        try:
            invalidate_changes(message.changes, cdn(fake, clock, remaining=lambda d=deadline: d - clock.now))
        except ClientError:
            assert clock.now - started <= TIMEOUT_SECONDS  # handed back before the function timed out
            message.visible_at = started + VISIBILITY_SECONDS
            if message.receives >= MAX_RECEIVES:
                dead_lettered.append(message)
            continue
        queue.remove(message)
    clock.sleep(INVALIDATION_SECONDS)

    # THEN CloudFront was busy for a while, and yet every changed path was invalidated, nothing was
    # dead-lettered, and the requests stayed bounded
    assert fake.refusals > 0
    assert dead_lettered == []
    every_path = {
        path for n in range(8) for batch in (rebuild_batch, news_batch) for path in plan_paths(batch(n))
    }
    assert all(fake.covered(path) for path in every_path)
    assert fake.calls <= 16 * MAX_RECEIVES * Backoff().attempts
    assert clock.now < MAX_RECEIVES * VISIBILITY_SECONDS


def test_retries_stop_in_time_to_hand_the_batch_back_before_the_function_times_out():
    clock = Clock()
    fake = BusyCloudFront(clock)
    fake.start([f"/held-{n}/*" for n in range(WILDCARDS_QUOTA)], "operator", seconds=3600)
    deadline = TIMEOUT_SECONDS

    with pytest.raises(ClientError, match="TooManyInvalidationsInProgress"):
        cdn(fake, clock, remaining=lambda: deadline - clock.now).invalidate(["/x/*"], "pressrun-1")

    assert clock.now <= deadline - Backoff().reserve_seconds
    assert 1 < fake.calls <= Backoff().attempts


def test_throttling_is_retried_with_the_same_caller_reference():
    clock = Clock()
    fake = BusyCloudFront(clock, scripted=["Throttling", "ThrottlingException", "TooManyRequests"])

    cdn(fake, clock).invalidate(["/index.html"], "pressrun-1")
    cdn(fake, clock).invalidate(["/index.html"], "pressrun-1")  # the batch redelivered

    assert fake.calls == 5
    assert [i.reference for i in fake.invalidations] == ["pressrun-1"]
    assert 0 < clock.now <= sum(min(30.0, 2.0 * 2**n) for n in range(3))


def test_other_errors_are_not_retried():
    clock = Clock()
    fake = BusyCloudFront(clock, scripted=["AccessDenied"])

    with pytest.raises(ClientError, match="AccessDenied"):
        cdn(fake, clock).invalidate(["/index.html"], "pressrun-1")

    assert fake.calls == 1
    assert clock.now == 0


def test_retries_are_bounded_even_with_time_to_spare():
    clock = Clock()
    fake = BusyCloudFront(clock, scripted=["Throttling"] * 100)

    with pytest.raises(ClientError, match="Throttling"):
        cdn(fake, clock).invalidate(["/index.html"], "pressrun-1")

    assert fake.calls == Backoff().attempts


def test_plans_keep_within_their_consumers_share_of_the_budget():
    # Two consumers at once (the template's cap), each within half of CloudFront's quota: together
    # they never refuse each other.
    assert SOURCE["ScalingConfig"]["MaximumConcurrency"] == INVALIDATION_CONSUMERS == 2
    assert MAX_WILDCARDS * INVALIDATION_CONSUMERS <= WILDCARDS_QUOTA
    assert MAX_PATHS * INVALIDATION_CONSUMERS <= PATHS_QUOTA
    crowded = [
        SiteChange(key=f"category/section-{s}/page/{p}/index.html", version="1")
        for s in range(40)
        for p in range(25)
    ]

    plan = plan_invalidation(crowded, fallback_after=10**6)

    assert sum(item.endswith("*") for item in plan.items) <= MAX_WILDCARDS
    assert len(plan.items) <= MAX_PATHS + MAX_WILDCARDS
