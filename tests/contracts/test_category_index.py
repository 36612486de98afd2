"""The category index: ordered reads, and updates written all or nothing under their conditions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pressrun.index import IndexConflict, IndexUpdate, ListingEntry, ListingSummary
from pressrun.model import AuthorProfile
from pressrun.ports import CategoryIndex

LISTING = "category/world"


def entry(day: int, listing: str = LISTING) -> ListingEntry:
    moment = datetime(2025, 6, day, tzinfo=UTC)
    return ListingEntry(
        listing=listing,
        position=f"2025-06-{day:02}T00:00:00Z#incoming/{day}.md",
        source_key=f"incoming/{day}.md",
        title=f"Story {day}",
        path=f"/2025/06/{day:02}/story-{day}/",
        summary="S",
        published_at=moment,
        categories=(),
    )


def add(index: CategoryIndex, *days: int, summary: ListingSummary | None = None) -> None:
    entries = [entry(day) for day in days]
    index.apply(
        IndexUpdate(
            put=entries,
            added={e.key for e in entries},
            summaries=[summary or ListingSummary(listing=LISTING, members=len(days))],
        )
    )


def test_entries_come_newest_first_or_oldest_first_within_a_limit(index: CategoryIndex):
    add(index, 3, 1, 2)

    assert [e.title for e in index.entries(LISTING)] == ["Story 3", "Story 2", "Story 1"]
    assert [e.title for e in index.entries(LISTING, limit=2)] == ["Story 3", "Story 2"]
    assert [e.title for e in index.entries(LISTING, oldest_first=True)] == ["Story 1", "Story 2", "Story 3"]
    assert index.entries("category/other") == []


def test_entries_and_positions_since_a_position(index: CategoryIndex):
    add(index, 1, 2, 3)
    since = entry(2).position

    assert [e.title for e in index.entries(LISTING, since=since)] == ["Story 3", "Story 2"]
    assert index.positions(LISTING, since) == [entry(3).position, entry(2).position]


def test_existing_says_which_memberships_are_held(index: CategoryIndex):
    add(index, 1)

    assert index.existing([entry(1).key, entry(2).key]) == {entry(1).key: entry(1)}


def test_adding_a_membership_that_exists_conflicts_and_writes_nothing(index: CategoryIndex):
    add(index, 1)
    before = index.summaries()

    with pytest.raises(IndexConflict):
        add(index, 2, 1, summary=before[LISTING].model_copy(update={"members": 3}))

    assert index.existing([entry(2).key]) == {}
    assert index.summaries() == before


def test_removing_a_membership_that_is_gone_conflicts_and_writes_nothing(index: CategoryIndex):
    add(index, 1)
    before = index.summaries()
    update = IndexUpdate(
        put=[entry(5)],
        added={entry(5).key},
        delete=[entry(1).key, entry(2).key],
        summaries=[before[LISTING]],
    )

    with pytest.raises(IndexConflict):
        index.apply(update)

    assert set(index.existing([entry(1).key, entry(5).key])) == {entry(1).key}
    assert index.summaries() == before


def test_a_summary_grows_its_revision_with_every_write_and_a_stale_one_conflicts(index: CategoryIndex):
    add(index, 1)
    first = index.summaries()[LISTING]
    assert first.revision == 1
    second = IndexUpdate(
        put=[entry(2)], added={entry(2).key}, summaries=[first.model_copy(update={"members": 2})]
    )
    index.apply(second)
    assert index.summaries()[LISTING].revision == 2

    stale = IndexUpdate(
        put=[entry(3)], added={entry(3).key}, summaries=[first.model_copy(update={"members": 3})]
    )
    with pytest.raises(IndexConflict):
        index.apply(stale)

    assert index.existing([entry(3).key]) == {}
    assert index.summaries()[LISTING].members == 2


def test_a_new_summary_conflicts_when_one_was_written_meanwhile(index: CategoryIndex):
    add(index, 1)

    with pytest.raises(IndexConflict):
        add(index, 2)  # planned as the first write of the listing, revision 0


def test_summaries_of_the_listings_named_or_of_all(index: CategoryIndex):
    add(index, 1)
    other = entry(2, listing="site")
    index.apply(
        IndexUpdate(put=[other], added={other.key}, summaries=[ListingSummary(listing="site", members=1)])
    )

    assert set(index.summaries()) == {LISTING, "site"}
    assert set(index.summaries(["site", "category/none"])) == {"site"}


def test_an_update_of_many_memberships_is_still_one_transaction(index: CategoryIndex):
    # As many as one DynamoDB transaction holds with their summaries (the domain keeps every update
    # within that: index.MAX_ACTIONS).
    many = [entry(1, listing=f"category/c{n}") for n in range(45)]
    summaries = [ListingSummary(listing=e.listing, members=1) for e in many]
    index.apply(IndexUpdate(put=many[:1], added={many[0].key}, summaries=summaries[:1]))

    with pytest.raises(IndexConflict):
        # The first membership exists already: the other 44 must not be written either.
        index.apply(IndexUpdate(put=many, added={e.key for e in many}, summaries=summaries[1:]))

    assert set(index.existing([e.key for e in many])) == {many[0].key}


def test_a_membership_put_again_replaces_its_entry(index: CategoryIndex):
    add(index, 1)
    renamed = entry(1).model_copy(update={"title": "Renamed"})
    summary = index.summaries()[LISTING]

    index.apply(IndexUpdate(put=[renamed], summaries=[summary]))

    assert [e.title for e in index.entries(LISTING)] == ["Renamed"]


def test_counts_follow_the_memberships_added_and_removed_not_the_plan(index: CategoryIndex):
    add(index, 1, 2)
    summary = index.summaries()[LISTING]
    update = IndexUpdate(
        put=[entry(3)],
        added={entry(3).key},
        delete=[entry(1).key],
        summaries=[summary.model_copy(update={"members": 99})],
    )

    index.apply(update)

    assert index.summaries()[LISTING].members == 2


def test_the_site_listing_is_counted_without_a_planned_summary(index: CategoryIndex):
    entries = [entry(day, listing="site") for day in (1, 2, 3)]
    index.apply(IndexUpdate(put=entries, added={e.key for e in entries}))
    index.apply(IndexUpdate(delete=[entries[0].key]))

    site = index.summaries(["site"])["site"]
    assert site.members == 2
    assert site.revision >= 2


def test_the_index_names_every_listing_an_article_is_in(index: CategoryIndex):
    index.apply(IndexUpdate(put=[entry(1), entry(2)], added={entry(1).key, entry(2).key}, source_key="x"))

    assert index.memberships_of(entry(1).source_key) == {entry(1).key}
    assert index.memberships_of("incoming/nobody.md") == set()


def test_entries_before_a_position_are_the_older_ones_newest_first(index: CategoryIndex):
    add(index, 1, 2, 3, 4)

    assert [e.title for e in index.entries(LISTING, before=entry(3).position, limit=1)] == ["Story 2"]
    assert [e.title for e in index.entries(LISTING, before=entry(3).position)] == ["Story 2", "Story 1"]


def test_tags_and_authors_are_counted_without_a_planned_summary_and_left_out_of_the_home_pages_read(
    index: CategoryIndex,
):
    add(index, 1)
    tagged = [entry(1, listing="tag/budget"), entry(2, listing="tag/budget"), entry(1, listing="author/ann")]
    index.apply(IndexUpdate(put=tagged, added={e.key for e in tagged}))

    assert index.summaries(["tag/budget"])["tag/budget"].members == 2
    assert index.summaries(["author/ann"])["author/ann"].members == 1
    assert set(index.summaries()) == {LISTING}


def test_every_listing_of_every_kind_is_walked_in_name_order(index: CategoryIndex):
    add(index, 1)
    others = [entry(1, listing=name) for name in ("tag/a", "author/b", "site", "tag/c")]
    index.apply(IndexUpdate(put=others, added={e.key for e in others}))

    assert index.listings_after("", 10) == ["author/b", LISTING, "site", "tag/a", "tag/c"]
    assert index.listings_after("author/b", 2) == [LISTING, "site"]
    assert index.listings_after("site", 10) == ["tag/a", "tag/c"]
    assert index.listings_after("tag/c", 10) == []


def test_pages_are_named_at_the_revision_read_and_not_after_it_moved(index: CategoryIndex):
    add(index, 1)
    read = index.summaries()[LISTING]
    add(index, 2, summary=read.model_copy(update={"members": 2}))

    assert index.name_pages(LISTING, "World", read.revision) is False
    assert index.summaries()[LISTING].pages_heading == ""
    assert index.name_pages(LISTING, "World", index.summaries()[LISTING].revision) is True
    assert index.summaries()[LISTING].pages_heading == "World"


def test_a_listing_left_without_stories_is_not_walked(index: CategoryIndex):
    only = entry(1, listing="tag/rare")
    index.apply(IndexUpdate(put=[only], added={only.key}))
    index.apply(IndexUpdate(delete=[only.key]))

    assert index.summaries(["tag/rare"])["tag/rare"].members == 0
    assert index.listings_after("", 10) == []


PROFILE = AuthorProfile(name="Ann Lee", role="Political editor", same_as=("https://example.org/ann",))


def test_an_authors_profile_is_kept_in_their_summary_and_an_older_one_never_replaces_it(index: CategoryIndex):
    # GIVEN a profile kept before the author has any story
    assert index.set_profile("author/ann-lee", PROFILE, "0002") is True
    assert index.listings_after("", 10) == []

    # WHEN an older upload's profile arrives late, and then the author's first story
    older = PROFILE.model_copy(update={"role": "Reporter"})
    kept = index.set_profile("author/ann-lee", older, "0001")
    story = entry(1, listing="author/ann-lee")
    index.apply(IndexUpdate(put=[story], added={story.key}))

    # THEN the newer profile stays, beside the count
    summary = index.summaries(["author/ann-lee"])["author/ann-lee"]
    assert kept is False
    assert summary.profile == PROFILE
    assert summary.members == 1
    # AND a removal, newer still, takes it away
    assert index.set_profile("author/ann-lee", None, "0003") is True
    assert index.summaries(["author/ann-lee"])["author/ann-lee"].profile is None


def test_a_listing_keeps_its_file_of_the_listings_sitemap_while_its_stories_come_and_go(index: CategoryIndex):
    # GIVEN four tags with stories, placed in files of three listings (the first keeps one for home)
    stories = {name: entry(1, listing=f"tag/{name}") for name in ("a", "b", "c", "d")}
    for story in stories.values():
        index.apply(IndexUpdate(put=[story], added={story.key}))
    placed = [index.place_in_listings_sitemap(f"tag/{name}", 3) for name in ("a", "b", "c", "d")]

    assert placed == [1, 1, 2, 2]
    assert index.listings_sitemap_file(1) == (["tag/a", "tag/b"], 2)
    assert index.listings_sitemap_file(2) == (["tag/c", "tag/d"], 2)
    assert index.summaries(["tag/a"])["tag/a"].in_sitemap is True
    # WHEN tag a loses its story, is placed again (nothing changes), and gets one back
    index.apply(IndexUpdate(delete=[stories["a"].key]))
    assert index.place_in_listings_sitemap("tag/a", 3) == 1
    assert index.listings_sitemap_file(1) == (["tag/b"], 2)
    assert index.summaries(["tag/a"])["tag/a"].in_sitemap is False
    index.apply(IndexUpdate(put=[stories["a"]], added={stories["a"].key}))
    # THEN it comes back to its own file, whose emptied place it kept, while a new tag takes a new one
    assert index.place_in_listings_sitemap("tag/a", 3) == 1
    assert index.place_in_listings_sitemap("tag/a", 3) == 1
    assert index.listings_sitemap_file(1) == (["tag/a", "tag/b"], 2)
    new = entry(2, listing="tag/e")
    index.apply(IndexUpdate(put=[new], added={new.key}))
    assert index.place_in_listings_sitemap("tag/e", 3) == 2
    assert index.listings_sitemap_file(2) == (["tag/c", "tag/d", "tag/e"], 2)


def test_a_listing_without_stories_takes_no_place_in_the_listings_sitemap(index: CategoryIndex):
    assert index.place_in_listings_sitemap("tag/none", 3) == 0
    assert index.listings_sitemap_file(1) == ([], 0)


def test_the_sections_every_header_names_are_noted_only_over_what_was_read(index: CategoryIndex):
    # GIVEN a site listing with stories, its header never noted
    story = entry(1, listing="site")
    index.apply(IndexUpdate(put=[story], added={story.key}, source_key=story.source_key))
    assert index.summaries()["site"].header == ()

    # WHEN two renders note what they saw, both having read nothing noted
    first = index.note_header((), ("Politics", "World"))
    second = index.note_header((), ("World",))

    # THEN only the first is kept, beside the site's count, and a note over it holds
    assert (first, second) == (True, False)
    assert index.summaries()["site"].header == ("Politics", "World")
    assert index.summaries()["site"].members == 1
    assert index.note_header(("Politics", "World"), ("World",)) is True
    assert index.summaries(["site"])["site"].header == ("World",)
