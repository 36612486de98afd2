"""The cloud chain's costs, on the emulated stack (pressrun.emulator, the handlers on moto): how many
CloudFront invalidations and AWS calls a publish makes. `pressrun publish` runs no AWS calls; these
measure what the deployed functions would."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.test_site import write_stories

pytestmark = pytest.mark.e2e

SITE_URL = "http://localhost:8000"


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


def corrected(story: Path) -> bytes:
    return story.read_text().replace("Paragraph", "Corrected paragraph").encode()


@dataclass(frozen=True)
class PublishedSite:
    """A site folder the emulated stack published 100 new stories into, and what that asked of CloudFront."""

    folder: Path
    stories: list[Path]
    invalidations: list[list[str]]

    def copy(self, to: Path) -> Path:
        """A folder of the same site for one test to change; the emulated stack takes it over as it
        takes over any folder `pressrun publish` keeps (tests/integration/test_folder_state.py)."""
        shutil.copytree(self.folder, to, symlinks=True)
        return to


@pytest.fixture(scope="module")
def site_of_100(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublishedSite]:
    """Published once for the module, since publishing 100 stories on moto is most of these tests' time.
    Module-scoped, so it cannot use clean_environment; it restores os.environ the same way."""
    from pressrun.emulator.site import LocalSite

    saved = dict(os.environ)
    try:
        root = tmp_path_factory.mktemp("site-of-100")
        stories = write_stories(root / "stories", 100)
        # The first story is in both of the budget story's sections: a section the site did not have
        # would change every page's header, which a rebuild of the whole site follows
        # (docs/architecture.md, "Which sections the header names"), not the publish the budget
        # measures; and one that came after other stories would rewrite their pages.
        first = stories[0].read_text().replace("categories: [World]", "categories: [World, Politics]")
        stories[0].write_text(first)
        with LocalSite(root / "site", SITE_URL) as site:
            for story in stories:
                site.upload(story.name, story.read_bytes())
            site.drain()
            invalidations = invalidation_batches(site)
        yield PublishedSite(root / "site", stories, invalidations)
    finally:
        os.environ.clear()
        os.environ.update(saved)


# How many of the 100 stories the burst corrects: a month's worth (January's 28, more pages in one
# folder than the planner lists one by one) in `make test`; `make soak` corrects all 100.
BURST = int(os.environ.get("PRESSRUN_BURST_CORRECTIONS", "28"))


def test_new_articles_cost_no_invalidation_and_a_burst_of_corrections_costs_one(
    site_of_100: PublishedSite, tmp_path: Path, clean_environment
):
    from pressrun.emulator.site import LocalSite

    # No reader can hold a page that was never served; listings expire by themselves.
    assert site_of_100.invalidations == []

    burst = site_of_100.stories[:BURST]
    with LocalSite(site_of_100.copy(tmp_path / "site"), SITE_URL) as site:
        for story in burst:
            site.upload(story.name, corrected(story))
        site.drain()
        (paths,) = invalidation_batches(site)

    # The corrected story pages, in one window: coalesced by month folder, in one request.
    assert len(paths) <= 40
    assert len(paths) < 2 * len(burst)
    assert all(path.startswith("/2025/") for path in paths)


def test_in_tag_mode_a_new_article_invalidates_nothing_and_a_correction_its_own_tag(
    tmp_path: Path, clean_environment
):
    from pressrun.emulator.site import LocalSite

    stories = write_stories(tmp_path / "stories", 46)
    with LocalSite(tmp_path / "site", SITE_URL, parameters={"InvalidationMode": "tags"}) as site:
        for story in stories:
            site.upload(story.name, story.read_bytes())
        site.drain()
        assert invalidation_batches(site) == []
        site.upload(stories[45].name, corrected(stories[45]))
        site.drain()
        batches = invalidation_batches(site)

    assert batches == [["#article:story-number-45"]]


# What one story costs on the emulated stack, listing pages included: a story with three authors, five
# tags and two sections into a site of 100 (tests/unit/test_publish_cost.py shows the same port calls
# at 10,000). Before tags, authors and related stories it was 26 for a story in one section: a page is
# settled by its address's owner, read before and after the write (four consistent reads), and a
# listing's summary is read again after it is written. Each listing the story joins now costs its
# render (a summary read, its window, a write, the check), and the story's page reads its related
# stories (at most seven queries), its authors' profiles (one read) and the later stories that may
# name it (one query per tag, section and the site's listing). Full feeds add the story's feed item,
# written beside its page (a HEAD and a PUT), each feed's JSON twin (a PUT each), and the feeds' items,
# taken from their JSON twins as last written (a GET each) but the new story's, which is read (a GET):
# 170 measured (150 before full feeds); redirects add one read (whether the story's address was a
# redirect's source), previews none for a story published live. Since the listings sitemap is
# numbered, each listing the story makes (its five tags and three authors are new here; its sections
# are in use) takes its place in its file and writes that file (the summary and the newest file read,
# a transaction, the file read, written and read again) instead of one render reading every listing's
# name; its page reads the sections in use for its header, and the site's summary after writing it:
# 188 measured.
PUBLISH_CALL_BUDGET = 190
STORY = (
    "---\ntitle: Council Votes on the Budget\ndate: 2025-12-31T18:00:00+00:00\n"
    "categories: [Politics, World]\ntags: [council, budget, taxes, libraries, vote]\n"
    "authors: [Ann Lee, Bo Ray, Cy Doe]\n---\nA paragraph.\n"
)


def test_publishing_a_story_with_three_authors_five_tags_and_two_sections_stays_within_the_call_budget(
    site_of_100: PublishedSite, tmp_path: Path, clean_environment
):
    """The functions' own calls, listing pages included; the pollers' reads are Lambda's, not ours."""
    import boto3

    from pressrun import runtime
    from pressrun.emulator.site import LocalSite

    calls: Counter[str] = Counter()
    with LocalSite(site_of_100.copy(tmp_path / "site"), SITE_URL) as site:
        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register(
            "before-call",
            lambda model, **_: calls.update([f"{model.service_model.endpoint_prefix}:{model.name}"]),
            unique_id="count-calls",
        )
        runtime.reset()
        site.upload("council.md", STORY.encode())
        site.drain()
        boto3.DEFAULT_SESSION.events.unregister("before-call", unique_id="count-calls")

    assert sum(calls.values()) <= PUBLISH_CALL_BUDGET, calls
    # A new story's page was never served: nothing to invalidate.
    assert calls["cloudfront:CreateInvalidation"] == 0
