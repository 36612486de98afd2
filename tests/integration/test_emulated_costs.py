"""The cloud chain's costs, on the emulated stack (pressrun.emulator, the handlers on moto): how many
CloudFront invalidations and AWS calls a publish makes. `pressrun publish` runs no AWS calls; these
measure what the deployed functions would."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.test_site import write_stories

pytestmark = pytest.mark.e2e


def invalidation_batches(site: object) -> list[list[str]]:
    cloudfront = site.stack.client("cloudfront")  # type: ignore[attr-defined]
    distribution = site.stack.physical("Distribution")  # type: ignore[attr-defined]
    listing = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]
    return [
        cloudfront.get_invalidation(DistributionId=distribution, Id=item["Id"])["Invalidation"][
            "InvalidationBatch"
        ]["Paths"]["Items"]
        for item in listing.get("Items", [])
    ]


def corrected(stories: list[Path]) -> None:
    for story in stories:
        story.write_text(story.read_text().replace("Paragraph", "Corrected paragraph"))


def test_new_articles_cost_no_invalidation_and_a_burst_of_corrections_costs_one(
    tmp_path: Path, clean_environment
):
    from pressrun.emulator.site import LocalSite

    stories = write_stories(tmp_path / "burst", 100)
    with LocalSite(tmp_path / "site", "http://localhost:8000") as site:
        for story in stories:
            site.upload(story.name, story.read_bytes())
        site.drain()
        # No reader can hold a page that was never served; listings expire by themselves.
        assert invalidation_batches(site) == []
        corrected(stories)
        for story in stories:
            site.upload(story.name, story.read_bytes())
        site.drain()
        (paths,) = invalidation_batches(site)

    # 100 corrected story pages, in one window: their day folders, coalesced, in one request.
    assert len(paths) <= 40
    assert all(path.startswith("/2025/") for path in paths)


def test_in_tag_mode_a_new_article_invalidates_nothing_and_a_correction_its_own_tag(
    tmp_path: Path, clean_environment
):
    from pressrun.emulator.site import LocalSite

    stories = write_stories(tmp_path / "stories", 46)
    with LocalSite(
        tmp_path / "site", "http://localhost:8000", parameters={"InvalidationMode": "tags"}
    ) as site:
        for story in stories:
            site.upload(story.name, story.read_bytes())
        site.drain()
        assert invalidation_batches(site) == []
        corrected(stories[45:])
        site.upload(stories[45].name, stories[45].read_bytes())
        site.drain()
        batches = invalidation_batches(site)

    assert batches == [["#article:story-number-45"]]


# What one story in one category costs, listing pages included. It was 20 until pages and listings were
# made safe under AWS's real delivery: a page is settled by its address's owner, read before and after
# the write (four consistent reads), and a listing's summary is read again after it is written. Then 26
# until feeds carried full content: the story's feed item is written beside its page (a HEAD and a PUT),
# each feed's JSON twin is written (two PUTs), and the feeds' items are taken from the JSON twins as
# last written (two GETs) but the new story's, which is read (one GET).
PUBLISH_CALL_BUDGET = 31


def test_publishing_one_article_in_one_category_stays_within_the_call_budget(
    tmp_path: Path, clean_environment
):
    """The functions' own calls, listing pages included; the pollers' reads are Lambda's, not ours."""
    import boto3

    from pressrun import runtime
    from pressrun.emulator.site import LocalSite

    stories = write_stories(tmp_path / "stories", 31)
    calls: Counter[str] = Counter()
    with LocalSite(tmp_path / "site", "http://localhost:8000") as site:
        for story in stories[:30]:
            site.upload(story.name, story.read_bytes())
        site.drain()
        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register(
            "before-call",
            lambda model, **_: calls.update([f"{model.service_model.endpoint_prefix}:{model.name}"]),
            unique_id="count-calls",
        )
        runtime.reset()
        site.upload(stories[30].name, stories[30].read_bytes())
        site.drain()
        boto3.DEFAULT_SESSION.events.unregister("before-call", unique_id="count-calls")

    assert sum(calls.values()) <= PUBLISH_CALL_BUDGET, calls
    # A new story's page was never served: nothing to invalidate.
    assert calls["cloudfront:CreateInvalidation"] == 0
