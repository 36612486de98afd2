"""The articles table: a write holds only against the record it was based on, a slug belongs to one
source, a freed slug hands its waiters over, and a scheduled version goes live once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pressrun.model import ArticleRecord, Saved, Waiter
from pressrun.scheduling import Release
from tests.contracts.conftest import Articles

A, B = "incoming/a.md", "incoming/b.md"


def record(
    source_key: str = A,
    sequencer: str = "01",
    slug: str = "story",
    status: str = "published",
    version: str = "v1",
) -> ArticleRecord:
    return ArticleRecord(
        source_key=source_key,
        source_version=version,
        sequencer=sequencer,
        status=status,
        title="Story",
        slug=slug,
        path=f"/2025/06/25/{slug}/" if slug else "",
        published_at=datetime(2025, 6, 25, tzinfo=UTC),
    )


def as_stored(stored: ArticleRecord | None) -> ArticleRecord | None:
    """The record as it was saved: the adapter stamps when it changed, which the tests below leave
    to their own test."""
    return None if stored is None else stored.model_copy(update={"changed_at": None})


def refusal(source_key: str, sequencer: str, version: str) -> ArticleRecord:
    """What ingest saves for a refused upload with nothing to keep up."""
    return ArticleRecord(
        source_key=source_key,
        sequencer=sequencer,
        status="rejected",
        rejected_sequencer=sequencer,
        rejected_version=version,
        rejection='{"errors": []}',
    )


def waiter(source_key: str = B, sequencer: str = "05") -> Waiter:
    return Waiter(source_key=source_key, source_version="v9", sequencer=sequencer)


def test_a_first_save_stores_the_record_and_claims_its_slug(articles: Articles):
    result = articles.save(record(), None)

    assert result.outcome is Saved.SAVED
    assert as_stored(articles.current(A)) == record()
    assert articles.slug_holder("story") == A


def test_a_save_based_on_a_record_that_changed_meanwhile_conflicts(articles: Articles):
    first = record()
    articles.save(first, None)
    # Two deliveries read the same record; the first one's write lands.
    articles.save(record(sequencer="02"), first)

    assert articles.save(record(sequencer="03"), first).outcome is Saved.CONFLICT
    assert articles.save(record(sequencer="03"), None).outcome is Saved.CONFLICT
    assert as_stored(articles.current(A)) == record(sequencer="02")


def test_the_newest_write_wins_only_through_the_record_it_read(articles: Articles):
    articles.save(record(sequencer="05"), None)
    newest = articles.current(A)

    result = articles.save(record(sequencer="06"), newest)

    assert result.outcome is Saved.SAVED
    assert as_stored(articles.current(A)) == record(sequencer="06")


def test_a_slug_another_source_holds_is_refused_and_nothing_is_written(articles: Articles):
    articles.save(record(A), None)

    result = articles.save(record(B), None)

    assert (result.outcome, result.slug_owner) == (Saved.SLUG_TAKEN, A)
    assert articles.current(B) is None
    assert articles.slug_holder("story") == A


def test_a_source_saving_again_keeps_its_own_slug(articles: Articles):
    articles.save(record(), None)

    result = articles.save(record(sequencer="02"), record())

    assert result.outcome is Saved.SAVED
    assert articles.slug_holder("story") == A


def test_taking_another_slug_frees_the_old_one_for_another_source(articles: Articles):
    articles.save(record(), None)
    articles.save(record(sequencer="02", slug="renamed"), record())

    assert articles.slug_holder("story") is None
    assert articles.slug_holder("renamed") == A
    assert articles.save(record(B), None).outcome is Saved.SAVED


def test_a_removal_frees_the_slug(articles: Articles):
    articles.save(record(), None)

    articles.save(record(sequencer="02", slug="", status="removed"), record())

    assert articles.slug_holder("story") is None


def test_waiting_is_only_for_a_slug_another_source_holds(articles: Articles):
    articles.save(record(A), None)

    assert articles.wait_for_slug("story", waiter(B)) is True
    assert articles.wait_for_slug("story", waiter(A)) is False
    assert articles.wait_for_slug("free", waiter(B)) is False


def test_freeing_a_slug_hands_its_waiters_to_the_saved_record_until_finished(articles: Articles):
    articles.save(record(A), None)
    articles.wait_for_slug("story", waiter(B))

    result = articles.save(record(sequencer="02", slug="", status="removed"), record())

    assert result.record is not None
    assert result.record.pending_waiters == (waiter(B),)
    current = articles.current(A)
    assert current is not None
    assert current.pending_waiters == (waiter(B),)

    articles.finished(A, "01")  # another version's waiters are not these
    assert articles.current(A) == current
    articles.finished(A, "02")
    finished = articles.current(A)
    assert finished is not None
    assert finished.pending_waiters == ()


def test_a_scheduled_version_goes_live_once_and_only_that_version(articles: Articles):
    articles.save(record(status="scheduled", version="v2"), None)

    assert articles.go_live(Release(source_key=A, source_version="v1")) is False
    assert articles.go_live(Release(source_key=A, source_version="v2")) is True
    assert articles.go_live(Release(source_key=A, source_version="v2")) is False
    assert articles.go_live(Release(source_key=B, source_version="v2")) is False
    current = articles.current(A)
    assert current is not None
    assert current.status == "published"


def test_live_lists_only_published_articles(articles: Articles):
    articles.save(record(A), None)
    articles.save(record(B, slug="other", status="draft"), None)

    assert [r.source_key for r in articles.live()] == [A]


def test_by_keys_returns_the_records_that_exist(articles: Articles):
    articles.save(record(A), None)
    articles.save(record(B, slug="other"), None)

    found = articles.by_keys([B, "incoming/missing.md", A, B])

    assert sorted(r.source_key for r in found) == [A, B]


def test_every_write_is_stamped_with_its_time_and_found_by_it(articles: Articles):
    articles.save(record(), None)
    articles.save(refusal(B, "09", "v9"), None)

    stamped = articles.current(A)
    assert stamped is not None
    assert stamped.changed_at is not None
    found = articles.changed_between(stamped.changed_at, stamped.changed_at)
    assert {each.source_key for each in found} == {A, B}
    assert (
        articles.changed_between(
            stamped.changed_at + timedelta(seconds=1), stamped.changed_at + timedelta(days=1)
        )
        == []
    )


def test_a_refusal_keeps_the_version_it_refused(articles: Articles):
    articles.save(refusal(B, "09", "v9"), None)

    assert articles.current(B).rejected_version == "v9"  # type: ignore[union-attr]


def test_a_write_based_on_a_refusal_conflicts_once_a_waiter_is_accepted_at_its_sequencer(
    articles: Articles,
):
    """A waiter is accepted under the sequencer its refusal was recorded with: the two records differ
    in `rejected_sequencer` only, and a write planned from the refusal must not land over it."""
    refused = refusal(A, "05", "v5")
    articles.save(refused, None)
    accepted = articles.save(record(sequencer="05", version="v5"), refused)
    assert accepted.outcome is Saved.SAVED

    removal = ArticleRecord(source_key=A, sequencer="06", status="removed")
    assert articles.save(removal, refused).outcome is Saved.CONFLICT
    assert articles.slug_holder("story") == A


def test_the_table_is_walked_a_slice_at_a_time_to_its_end(articles: Articles):
    for number in range(5):
        articles.save(record(source_key=f"incoming/s{number}.md", slug=f"s{number}"), None)

    seen: list[str] = []
    cursor = ""
    for _ in range(4):
        page, cursor = articles.walk(cursor, 2)
        seen += [each.source_key for each in page]
        if not cursor:
            break

    assert sorted(seen) == [f"incoming/s{number}.md" for number in range(5)]
    assert cursor == ""
