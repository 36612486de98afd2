"""The cloud chain's costs, on the emulated stack (pressrun.emulator, the handlers on moto): how many
CloudFront invalidations and AWS calls a publish makes. `pressrun publish` runs no AWS calls; these
measure what the deployed functions would."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.test_site import write_stories

pytestmark = pytest.mark.e2e


def test_a_hundred_articles_in_one_window_cost_one_invalidation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    from pressrun.emulator.site import LocalSite

    stories = write_stories(tmp_path / "burst", 100)
    with LocalSite(tmp_path / "site", "http://localhost:8000") as site:
        for story in stories:
            site.upload(story.name, story.read_bytes())
        site.drain()
        cloudfront = site.stack.client("cloudfront")
        distribution = site.stack.physical("Distribution")
        requests = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]["Items"]
        (request,) = requests
        paths = cloudfront.get_invalidation(DistributionId=distribution, Id=request["Id"])["Invalidation"][
            "InvalidationBatch"
        ]["Paths"]["Items"]

    # 100 article pages (both forms) become wildcards per day folder; listings add a handful.
    assert len(requests) == 1
    assert len(paths) <= 40
    assert "/category/world/" in paths


def test_in_tag_mode_one_more_article_in_a_long_category_invalidates_five_tags(
    tmp_path: Path, clean_environment
):
    from pressrun.emulator.site import LocalSite

    stories = write_stories(tmp_path / "stories", 46)
    with LocalSite(
        tmp_path / "site", "http://localhost:8000", parameters={"InvalidationMode": "tags"}
    ) as site:
        for story in stories[:45]:
            site.upload(story.name, story.read_bytes())
        site.drain()
        site.upload(stories[45].name, stories[45].read_bytes())
        site.drain()
        cloudfront = site.stack.client("cloudfront")
        distribution = site.stack.physical("Distribution")
        listing = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]["Items"]
        batches = [
            cloudfront.get_invalidation(DistributionId=distribution, Id=item["Id"])["Invalidation"][
                "InvalidationBatch"
            ]["Paths"]["Items"]
            for item in listing
        ]

    [first_window] = [items for items in batches if "#article:story-number-0" in items]
    [one_more] = [items for items in batches if items is not first_window]
    assert "#category:world" in first_window
    assert sorted(one_more) == ["#article:story-number-45", "#category:world", "#feed", "#home", "#sitemap"]


# What one story in one category costs, listing pages included. It was 20 until pages and listings were
# made safe under AWS's real delivery: a page is settled by its address's owner, read before and after
# the write (four consistent reads), and a listing's summary is read again after it is written.
PUBLISH_CALL_BUDGET = 26


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
    assert calls["cloudfront:CreateInvalidation"] == 1
