from __future__ import annotations

import os
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pressrun.invalidation import (
    ITEMS_PER_REQUEST,
    InvalidatingSite,
    SiteChange,
    caller_reference,
    invalidate_changes,
    plan_invalidation,
    plan_paths,
    plan_tags,
    stale_copies,
)
from pressrun.model import SiteWrite, slugify
from pressrun.urls import cache_control, cache_tags
from tests.fakes import MemorySite, RecordingCdn, RecordingInvalidations

EXAMPLES = int(os.environ.get("PRESSRUN_PROPERTY_EXAMPLES", "200"))


def covers(item: str, path: str) -> bool:
    """CloudFront's matching: a trailing `*` matches anything after it (`/dir/*` matches `/dir/` too)."""
    return path.startswith(item[:-1]) if item.endswith("*") else item == path


def changed(*keys: str) -> list[SiteChange]:
    return [SiteChange(key=key, version=f"v{number}") for number, key in enumerate(keys)]


def category_pages(slug: str, pages: range) -> list[str]:
    return [f"category/{slug}/page/{number}/index.html" for number in pages]


def articles(day: str, count: int) -> list[str]:
    return [f"{day}/story-{number}/index.html" for number in range(count)]


def test_directory_pages_are_invalidated_in_both_forms_and_duplicates_dropped():
    changes = [
        SiteChange(key="category/economics/index.html", version="1"),
        SiteChange(key="category/economics/index.html", version="2"),
        SiteChange(key="feed.xml", version="3"),
    ]

    plan = plan_invalidation(changes)

    assert plan_paths(changes) == ["/category/economics/", "/category/economics/index.html", "/feed.xml"]
    assert plan.items == ("/category/economics/", "/category/economics/index.html", "/feed.xml")
    assert not plan.fell_back
    assert plan.reason is None


def test_an_empty_batch_plans_nothing():
    plan = plan_invalidation([])

    assert plan.items == ()
    assert plan.billed_paths == 0
    assert not plan.fell_back


def test_a_directory_with_more_than_coalesce_after_paths_becomes_one_wildcard():
    changes = changed(
        "category/economics/index.html", "category/economics/feed.xml", "category/economics/page/1/index.html"
    )

    plan = plan_invalidation(changes, coalesce_after=4)

    assert plan.items == ("/category/economics/*",)
    assert not plan.fell_back


def test_a_directory_with_exactly_coalesce_after_paths_keeps_them_listed():
    changes = changed("category/economics/index.html", "category/economics/page/1/index.html")

    plan = plan_invalidation(changes, coalesce_after=4)

    assert plan.items == (
        "/category/economics/",
        "/category/economics/index.html",
        "/category/economics/page/1/",
        "/category/economics/page/1/index.html",
    )


def test_by_default_the_pages_of_a_category_rewritten_by_a_template_change_become_one_wildcard():
    changes = changed(
        "index.html", "category/economics/index.html", *category_pages("economics", range(1, 26))
    )

    plan = plan_invalidation(changes)

    assert plan.items == (
        "/",
        "/category/economics/",
        "/category/economics/index.html",
        "/category/economics/page/*",
        "/index.html",
    )
    assert plan.billed_paths == 5


def test_publishing_one_story_lists_its_paths():
    changes = changed(
        "2025/06/25/slug/index.html",
        "category/economics/index.html",
        "category/economics/feed.xml",
        "category/economics/page/3/index.html",
        "index.html",
        "feed.xml",
    )

    plan = plan_invalidation(changes)

    assert plan.items == tuple(plan_paths(changes))
    assert not any(item.endswith("*") for item in plan.items)


def test_the_deepest_crowded_directory_is_the_one_coalesced():
    changes = changed("category/economics/index.html", *category_pages("economics", range(1, 4)))

    plan = plan_invalidation(changes, coalesce_after=4)

    assert plan.items == (
        "/category/economics/",
        "/category/economics/index.html",
        "/category/economics/page/*",
    )


def test_small_subdirectories_that_crowd_their_parent_together_coalesce_into_it():
    changes = changed(*articles("2025/06/25", 3))

    plan = plan_invalidation(changes, coalesce_after=4)

    assert plan.items == ("/2025/06/25/*",)


def test_a_parent_counts_each_wildcard_below_it_as_one_item():
    changes = changed(*articles("2025/06/23", 2), *articles("2025/06/24", 2), *articles("2025/06/25", 2))

    plan = plan_invalidation(changes, coalesce_after=2)

    assert plan.items == ("/2025/06/*",)


def test_the_root_is_never_coalesced_into_a_wildcard():
    changes = changed("index.html", "feed.xml", "sitemap.xml", "news-sitemap.xml", "robots.txt")

    plan = plan_invalidation(changes, coalesce_after=2)

    assert plan.items == tuple(plan_paths(changes))
    assert not plan.fell_back


def test_past_the_wildcard_budget_the_widest_wildcards_stay_and_the_rest_are_listed():
    changes = changed(*category_pages("economics", range(1, 4)), *category_pages("politics", range(1, 3)))

    plan = plan_invalidation(changes, coalesce_after=2, max_wildcards=1)

    assert plan.items == (
        "/category/economics/page/*",
        "/category/politics/page/1/",
        "/category/politics/page/1/index.html",
        "/category/politics/page/2/",
        "/category/politics/page/2/index.html",
    )
    assert not plan.fell_back
    assert all(any(covers(item, path) for item in plan.items) for path in plan_paths(changes))


def test_when_the_paths_left_over_from_the_wildcard_budget_do_not_fit_the_plan_falls_back():
    changes = changed(*category_pages("economics", range(1, 4)), *category_pages("politics", range(1, 3)))

    plan = plan_invalidation(changes, coalesce_after=2, max_wildcards=1, max_paths=3)

    assert plan.items == ("/*",)
    assert plan.fell_back
    assert plan.reason == "4 individual paths, more than max_paths=3"


def test_more_items_than_one_request_may_carry_falls_back():
    listed = [f"file-{number}.xml" for number in range(ITEMS_PER_REQUEST - 10)]
    crowded = [f"section-{section}/page-{page}.html" for section in range(11) for page in range(21)]

    # Budgets as large as CloudFront's whole quota: only the request's own cap is left to bind.
    plan = plan_invalidation(
        changed(*listed, *crowded), fallback_after=10_000, max_paths=ITEMS_PER_REQUEST, max_wildcards=15
    )

    assert plan.items == ("/*",)
    assert plan.fell_back
    assert (
        plan.reason
        == f"{ITEMS_PER_REQUEST + 1} items, more than the {ITEMS_PER_REQUEST} one request may carry"
    )


def test_a_batch_past_fallback_after_invalidates_everything_and_says_why():
    changes = changed(*articles("2025/06/25", 3))

    at_the_limit = plan_invalidation(changes, fallback_after=6)
    past_it = plan_invalidation(changes, fallback_after=5)

    assert not at_the_limit.fell_back
    assert past_it.items == ("/*",)
    assert past_it.fell_back
    assert past_it.reason == "6 changed paths, more than fallback_after=5"
    assert past_it.billed_paths == 1


def test_billed_paths_count_a_wildcard_as_one_path():
    changes = changed("index.html", "feed.xml", *category_pages("economics", range(1, 4)))

    plan = plan_invalidation(changes, coalesce_after=4)

    assert plan.items == ("/", "/category/economics/page/*", "/feed.xml", "/index.html")
    assert plan.billed_paths == 4


def test_the_plan_does_not_depend_on_the_order_of_the_batch():
    changes = changed(
        "index.html", "feed.xml", *articles("2025/06/25", 12), *category_pages("world", range(1, 4))
    )
    shuffled = random.Random(7).sample(changes, len(changes))

    plan = plan_invalidation(changes, coalesce_after=4)

    assert plan == plan_invalidation(shuffled, coalesce_after=4)
    assert list(plan.items) == sorted(plan.items)


segments = st.sampled_from(["2025", "06", "25", "category", "economics", "page", "1", "2", "slug"])
names = st.sampled_from(["index.html", "feed.xml", "sitemap.xml", "1.xml"])
keys = st.builds(lambda folders, name: "/".join([*folders, name]), st.lists(segments, max_size=4), names)
batches = st.lists(st.builds(SiteChange, key=keys, version=st.sampled_from(["1", "2"])), max_size=40)


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    changes=batches,
    coalesce_after=st.integers(0, 6),
    max_paths=st.integers(0, 40),
    max_wildcards=st.integers(0, 4),
    fallback_after=st.integers(0, 60),
)
def test_every_changed_path_is_covered_within_the_budgets(
    changes: list[SiteChange], coalesce_after: int, max_paths: int, max_wildcards: int, fallback_after: int
):
    paths = plan_paths(changes)

    plan = plan_invalidation(
        changes,
        coalesce_after=coalesce_after,
        max_paths=max_paths,
        max_wildcards=max_wildcards,
        fallback_after=fallback_after,
    )

    assert all(any(covers(item, path) for item in plan.items) for path in paths)
    assert plan.billed_paths == len(plan.items) <= len(paths)
    assert list(plan.items) == sorted(set(plan.items))
    assert plan.fell_back == (plan.reason is not None)
    if plan.fell_back:
        assert plan.items == ("/*",)
    else:
        wildcards = [item for item in plan.items if item.endswith("*")]
        assert "/*" not in wildcards
        assert len(wildcards) <= max_wildcards
        assert len(plan.items) - len(wildcards) <= max_paths
        assert len(paths) <= fallback_after


def test_retried_batch_repeats_its_caller_reference_and_a_new_change_does_not():
    batch = [SiteChange(key="index.html", version="1"), SiteChange(key="feed.xml", version="2")]

    assert caller_reference(batch) == caller_reference(list(reversed(batch)))
    assert caller_reference(batch) != caller_reference([SiteChange(key="index.html", version="9"), batch[1]])


def test_one_request_per_batch_and_none_for_an_empty_one():
    cdn = RecordingCdn()

    invalidate_changes([SiteChange(key="index.html", version="1")], cdn)
    invalidate_changes([], cdn)

    assert cdn.requests == [
        (["/", "/index.html"], caller_reference([SiteChange(key="index.html", version="1")]))
    ]


def test_the_request_carries_the_planned_items_and_returns_them():
    cdn = RecordingCdn()
    changes = changed(*category_pages("economics", range(1, 26)))

    plan = invalidate_changes(changes, cdn)

    assert plan.items == ("/category/economics/page/*",)
    assert cdn.requests == [(["/category/economics/page/*"], caller_reference(changes))]


def one_story_into_a_long_category(pages_rewritten: int) -> list[SiteChange]:
    return changed(
        "2025/06/25/budget-vote/index.html",
        "category/economics/index.html",
        "category/economics/feed.xml",
        *category_pages("economics", range(1, pages_rewritten + 1)),
        "index.html",
        "feed.xml",
        "sitemap.xml",
        "sitemap-3.xml",
        "news-sitemap.xml",
    )


def test_in_tag_mode_one_story_invalidates_a_handful_of_tags_however_many_pages_it_rewrote():
    few = plan_invalidation(one_story_into_a_long_category(1), mode="tags")
    many = plan_invalidation(one_story_into_a_long_category(400), mode="tags")

    assert (
        few.items
        == many.items
        == (
            "#article:budget-vote",
            "#category:economics",
            "#feed",
            "#home",
            "#sitemap",
        )
    )
    assert plan_invalidation(one_story_into_a_long_category(400)).billed_paths > many.billed_paths


def test_each_kind_of_page_has_its_own_tag():
    assert cache_tags("2025/06/25/budget-vote/index.html") == ("article:budget-vote",)
    assert cache_tags("category/world-news/page/7/index.html") == ("category:world-news",)
    assert cache_tags("category/world-news/feed.xml") == ("category:world-news",)
    assert cache_tags("index.html") == ("home",)
    assert cache_tags("feed.xml") == ("feed",)
    assert cache_tags("sitemap-12.xml") == cache_tags("news-sitemap.xml") == ("sitemap",)
    assert cache_tags("robots.txt") == cache_tags("404.html") == cache_tags("style.css") == ("site",)


def pages_of(title: str) -> list[str]:
    slug = slugify(title) or "untitled"
    return [
        f"2025/06/25/{slug}/index.html",
        f"category/{slug}/page/2/index.html",
        f"category/{slug}/feed.xml",
    ]


@given(st.lists(st.text(max_size=300), max_size=10))
@settings(max_examples=EXAMPLES, deadline=None)
def test_every_tag_made_from_any_title_is_one_cloudfront_accepts(titles: list[str]):
    for item in plan_tags(changed(*(key for title in titles for key in pages_of(title)))):
        tag = item.removeprefix("#")
        assert item.startswith("#")
        assert 0 < len(tag) <= 256
        assert all(33 <= ord(character) <= 126 and character != "," for character in tag)


def test_in_tag_mode_a_batch_past_fallback_after_invalidates_everything():
    stories = changed(*articles("2025/06/25", 30))

    plan = plan_invalidation(stories, mode="tags", fallback_after=20)

    assert plan.items == ("/*",)
    assert plan.fell_back
    assert plan.reason is not None
    assert "30 changed tags" in plan.reason


def test_in_tag_mode_more_tags_than_in_flight_quota_falls_back():
    plan = plan_invalidation(changed(*articles("2025/06/25", 30)), mode="tags", max_paths=10)

    assert plan.items == ("/*",)
    assert plan.fell_back


def test_the_request_carries_the_tags_in_tag_mode():
    cdn = RecordingCdn()

    changes = changed("2025/06/25/slug/index.html", "index.html")

    plan = invalidate_changes(changes, cdn, mode="tags")

    assert cdn.requests == [(["#article:slug", "#home"], caller_reference(changes))]
    assert plan.items == ("#article:slug", "#home")


def write(key: str, kind: str) -> SiteWrite:
    return SiteWrite(key=key, kind=kind, digest="d1")  # type: ignore[arg-type]


STORY = "2025/06/25/budget-vote/index.html"


def test_a_new_story_invalidates_nothing_its_listings_expire_by_themselves():
    # GIVEN what publishing a new story writes: its page, never served before, and its listings
    writes = [
        write(STORY, "created"),
        write("index.html", "overwritten"),
        write("category/economics/index.html", "overwritten"),
        write("category/economics/feed.xml", "overwritten"),
        write("feed.xml", "overwritten"),
        write("sitemap.xml", "overwritten"),
        write("category/economics/page/3/index.html", "created"),
    ]
    # THEN nothing needs invalidating
    assert stale_copies(writes) == []


def test_an_updated_or_removed_story_invalidates_its_page():
    assert [change.key for change in stale_copies([write(STORY, "overwritten")])] == [STORY]
    assert [change.key for change in stale_copies([write(STORY, "deleted")])] == [STORY]
    assert plan_invalidation(stale_copies([write(STORY, "overwritten")])).billed_paths <= 5


def test_two_changes_of_one_page_are_two_invalidations_and_a_retry_is_the_same_one():
    first = stale_copies([SiteWrite(key=STORY, kind="overwritten", digest="a")])
    second = stale_copies([SiteWrite(key=STORY, kind="overwritten", digest="b")])

    assert caller_reference(first) != caller_reference(second)
    assert caller_reference(first) == caller_reference(
        stale_copies([SiteWrite(key=STORY, kind="overwritten", digest="a")])
    )


def test_a_changed_stylesheet_is_invalidated_and_listings_are_only_given_a_short_lifetime():
    assert [change.key for change in stale_copies([write("style.css", "overwritten")])] == ["style.css"]
    assert "s-maxage=31536000" in cache_control(STORY, 60)
    assert cache_control("category/economics/index.html", 90) == (
        "public, max-age=90, stale-while-revalidate=90"
    )


def test_the_invalidating_site_asks_once_per_write_batch_for_what_went_stale():
    invalidations = RecordingInvalidations()
    site = InvalidatingSite(MemorySite(), invalidations)

    site.put(STORY, b"<p>first</p>", "text/html")
    site.put_many({"index.html": (b"home", "text/html"), STORY: (b"<p>second</p>", "text/html")})
    site.delete(STORY)

    assert [(change.key, change.version.split(":")[0]) for change in invalidations.requested] == [
        (STORY, "overwritten"),
        (STORY, "deleted"),
    ]


def test_a_request_that_fails_leaves_the_page_unwritten_so_the_retry_asks_again():
    class Unreachable(RecordingInvalidations):
        def request(self, changes: list[SiteChange]) -> None:
            raise ConnectionError("SQS 503")

    store = MemorySite()
    store.put(STORY, b"<p>first</p>", "text/html")

    with pytest.raises(ConnectionError):
        InvalidatingSite(store, Unreachable()).put(STORY, b"<p>corrected</p>", "text/html")
    assert store.objects[STORY] == b"<p>first</p>"
    retried = RecordingInvalidations()
    InvalidatingSite(store, retried).put(STORY, b"<p>corrected</p>", "text/html")
    assert [change.key for change in retried.requested] == [STORY]
