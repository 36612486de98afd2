"""The index on DynamoDB (moto): one transaction per update, no item every publish contends for."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pressrun.aws.dynamodb import DynamoIndex
from pressrun.index import MAX_ACTIONS, update_index
from pressrun.model import ArticleRecord, Category
from tests.integration.conftest import Stack


def story(
    key: str, hour: int, *categories: str, tags: tuple[str, ...] = (), authors: tuple[str, ...] = ()
) -> ArticleRecord:
    slug = key.removeprefix("incoming/").removesuffix(".md")
    return ArticleRecord(
        source_key=key,
        source_version="v1",
        sequencer="01",
        status="published",
        title=slug,
        slug=slug,
        path=f"/2025/06/25/{slug}/",
        published_at=datetime(2025, 6, 25, hour, tzinfo=ZoneInfo("Europe/London")),
        categories=tuple(Category.named(name) for name in categories),
        tags=tags,
        authors=authors,
        summary="S",
    )


def recorded_transactions(stack: Stack) -> tuple[DynamoIndex, list[list[dict[str, Any]]]]:
    client = stack.client("dynamodb")
    sent: list[list[dict[str, Any]]] = []
    client.meta.events.register(
        "before-parameter-build.dynamodb.TransactWriteItems",
        lambda params, **_: sent.append(params["TransactItems"]),
    )
    return DynamoIndex(client, stack.local.physical("IndexTable")), sent


def written_keys(actions: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    keyed = {}
    for action in actions:
        [body] = action.values()
        key = body.get("Key") or body["Item"]
        keyed[(key["listing"]["S"], key["position"]["S"])] = body
    return keyed


def test_a_story_in_five_sections_fifteen_tags_and_four_authors_is_indexed_in_one_transaction(stack: Stack):
    index, sent = recorded_transactions(stack)
    tags = tuple(f"Tag {n}" for n in range(15))
    authors = tuple(f"Writer {n}" for n in range(4))

    update_index(
        None,
        story("incoming/a.md", 9, *(f"Section {n}" for n in range(5)), tags=tags, authors=authors),
        index,
    )

    [actions] = sent
    assert len(actions) <= MAX_ACTIONS
    assert len(index.entries("site")) == 1
    assert [e.title for e in index.entries("tag/tag-14")] == ["a"]
    assert index.summaries(["author/writer-3", "tag/tag-0"])["author/writer-3"].members == 1
    # The home page reads the site's and the sections' summaries, not every tag's and author's.
    assert sorted(index.summaries()) == [
        "category/section-0",
        "category/section-1",
        "category/section-2",
        "category/section-3",
        "category/section-4",
        "site",
    ]
    assert index.listings_after("", 3) == ["author/writer-0", "author/writer-1", "author/writer-2"]
    assert index.listings_after("category/section-4", 2) == ["site", "tag/tag-0"]
    assert index.listings_after("site", 1) == ["tag/tag-0"]


def test_stories_sharing_a_tag_or_an_author_meet_only_on_counts_written_without_a_condition(stack: Stack):
    index, sent = recorded_transactions(stack)
    update_index(None, story("incoming/a.md", 9, "Economics", tags=("Budget",), authors=("Ann Lee",)), index)
    update_index(None, story("incoming/b.md", 10, "Sport", tags=("Budget",), authors=("Ann Lee",)), index)

    first, second = (written_keys(actions) for actions in sent)
    shared = set(first) & set(second)
    assert ("#summary", "tag/budget") in shared
    assert all(listing == "#summary" for listing, _ in shared)
    assert all("ConditionExpression" not in first[key] for key in shared)
    assert index.summaries(["tag/budget"])["tag/budget"].members == 2


def test_stories_in_different_sections_meet_on_no_item_guarded_by_a_condition(stack: Stack):
    # GIVEN two stories in different sections, indexed as two concurrent publishes would be
    index, sent = recorded_transactions(stack)
    update_index(None, story("incoming/a.md", 9, "Economics"), index)
    update_index(None, story("incoming/b.md", 10, "Sport"), index)
    # THEN the only item both transactions may write is a shard of the site's count, written
    # without a condition (an ADD), so neither can fail because of the other
    first, second = (written_keys(actions) for actions in sent)
    shared = set(first) & set(second)
    assert all(listing == "#summary" and position.startswith("site#") for listing, position in shared)
    assert all("ConditionExpression" not in first[key] for key in shared)
    assert index.summaries()["site"].members == 2


def test_pages_are_named_only_at_the_revision_they_were_rendered_from(stack: Stack):
    index, _ = recorded_transactions(stack)
    update_index(None, story("incoming/a.md", 9, "Economie"), index)
    revision = index.summaries(["category/economie"])["category/economie"].revision

    assert index.name_pages("category/economie", "Économie", revision + 1) is False
    assert index.name_pages("category/economie", "Économie", revision) is True
    assert index.summaries()["category/economie"].pages_heading == "Économie"


def test_a_change_handled_before_the_change_it_follows_keeps_the_counts_exact(stack: Stack):
    """A stream batch retried from its first failed record hands one article's later change to the
    index before its earlier one (found by tests/simulation): counts must still match members."""
    index, _ = recorded_transactions(stack)
    published = story("incoming/a.md", 9, "World")
    moved = story("incoming/a.md", 9, "World", "Sport")

    update_index(published, moved, index)
    update_index(None, published, index)
    update_index(published, moved, index)

    summaries = index.summaries()
    for listing in ("site", "category/world", "category/sport"):
        assert summaries[listing].members == len(index.entries(listing)) == 1
