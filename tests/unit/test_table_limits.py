"""What validation lets through, the tables can hold: DynamoDB's item, key and transaction limits."""

from __future__ import annotations

from datetime import UTC, datetime

from pressrun.footprint import (
    ENTRY_BYTES_BUDGET,
    MAX_SOURCE_KEY_BYTES,
    RECORD_BYTES_BUDGET,
    footprint_problems,
    item_size,
    largest_entry_size,
    record_size,
)
from pressrun.index import (
    MAX_ACTIONS,
    MAX_AUTHORS,
    MAX_TAGS,
    SECTION_SIZE,
    memberships,
    position_of,
    update_index,
)
from pressrun.ingest import Change, Upload, record_of, report_key
from pressrun.model import Article, ArticleRecord, Category
from pressrun.validation import (
    MAX_AUTHOR_LENGTH,
    MAX_CATEGORIES,
    MAX_CATEGORY_LENGTH,
    MAX_SUMMARY_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TITLE_LENGTH,
)
from tests.fakes import MemoryIndex

NOW = datetime(2026, 1, 1, tzinfo=UTC)
WIDEST = "\U0001f4f0"  # four bytes in UTF-8, the most one character takes


def test_item_size_counts_as_dynamodb_documents_it():
    # Names and strings in UTF-8 bytes; a number one byte per two significant digits and one more;
    # a boolean or null one byte; a list or map three bytes, and one more per element.
    assert item_size({"title": "Café"}) == 5 + 5
    assert item_size({"count": 12345}) == 5 + 3 + 1
    assert item_size({"draft": True, "note": None}) == 5 + 1
    assert item_size({"tags": ["a", "bc"]}) == 4 + 3 + (1 + 1) + (2 + 1)
    assert item_size({"category": {"name": "N", "slug": "n"}}) == 8 + 3 + (4 + 1 + 1) + (4 + 1 + 1)


def widest_article(key: str) -> ArticleRecord:
    """An article at every field limit, in the widest characters: as much as validation lets through."""
    article = Article(
        source_key=key,
        title=WIDEST * MAX_TITLE_LENGTH,
        slug="s" * 80,
        published_at=datetime(2025, 6, 25, tzinfo=UTC),
        # A letter each, for a slug of its own: the rest as wide as it gets.
        categories=tuple(
            Category.named(chr(ord("a") + n) + WIDEST * (MAX_CATEGORY_LENGTH - 1))
            for n in range(MAX_CATEGORIES)
        ),
        tags=tuple(chr(ord("a") + n) + WIDEST * (MAX_TAG_LENGTH - 1) for n in range(MAX_TAGS)),
        authors=tuple(chr(ord("a") + n) + WIDEST * (MAX_AUTHOR_LENGTH - 1) for n in range(MAX_AUTHORS)),
        summary=WIDEST * MAX_SUMMARY_LENGTH,
        body="Text.",
    )
    upload = Upload(
        bucket="uploads",
        key=key,
        version_id="v" * 32,
        sequencer="0062E99A88DC40749E21",
        change=Change.CREATED,
        event_time=NOW,
    )
    return record_of(article, upload, NOW)


def test_an_article_at_every_field_limit_fits_the_budget():
    longest_key = "incoming/" + "k" * (MAX_SOURCE_KEY_BYTES - len("incoming/.md")) + ".md"

    record = widest_article(longest_key)

    assert len(memberships(record.model_copy(update={"status": "published"}))) == 25
    assert record_size(record) <= RECORD_BYTES_BUDGET
    assert largest_entry_size(record) <= ENTRY_BYTES_BUDGET
    assert footprint_problems(record) == []


def test_what_the_budgets_allow_fits_dynamodbs_item_and_transaction_limits():
    # A section summary holds SECTION_SIZE entries; an update puts at most 25 entries and writes at
    # most 10 section summaries (the old version's five sections and the new one's).
    assert SECTION_SIZE * ENTRY_BYTES_BUDGET + 4096 < 400 * 1024
    assert 25 * ENTRY_BYTES_BUDGET + 2 * MAX_CATEGORIES * SECTION_SIZE * ENTRY_BYTES_BUDGET < 4 * 1024 * 1024


def test_a_record_over_the_budget_is_refused_with_a_line_that_says_so():
    record = widest_article("incoming/story.md").model_copy(update={"summary": "s" * 500_000})

    [problem] = footprint_problems(record)

    assert problem.field == "article"
    assert problem.message.startswith(f"needs {record_size(record):,} bytes in the site's tables;")
    assert f"the limit is {RECORD_BYTES_BUDGET:,} bytes" in problem.message


def test_a_source_key_at_the_limit_makes_a_sort_key_the_index_can_hold():
    longest_key = "incoming/" + "é" * ((MAX_SOURCE_KEY_BYTES - len("incoming/")) // 2)

    assert len(position_of(datetime(2025, 6, 25, tzinfo=UTC), longest_key).encode()) <= 1024


def test_a_source_key_past_the_limit_is_refused():
    key = "incoming/" + "k" * 1010 + ".md"

    assert [(p.field, p.message) for p in footprint_problems(widest_article(key))] == [
        ("file", f"its name is {len(key):,} bytes long; the limit is {MAX_SOURCE_KEY_BYTES:,} bytes")
    ]


def test_the_report_of_an_upload_with_the_longest_name_s3_allows_has_a_key_s3_allows():
    keys = ["incoming/" + "k" * (1024 - len("incoming/.md")) + ".md", "incoming/" + "é" * 507]

    reports = [report_key(key) for key in keys]

    assert all(len(report.encode()) <= 1024 for report in reports)
    assert all(report.startswith("rejected/") and report.endswith(".report.json") for report in reports)
    assert len(set(reports)) == len(keys)


def test_the_largest_index_update_validation_allows_fits_one_transaction():
    # GIVEN a story in as many sections, tags and authors as validation allows
    index = MemoryIndex()
    before = widest_article("incoming/story.md")
    update_index(None, before, index)
    # WHEN it moves to as many others and to another day, sharing no listing with what it was
    after = before.model_copy(
        update={
            "sequencer": "02",
            "published_at": datetime(2025, 6, 26, tzinfo=UTC),
            "categories": tuple(Category.named(f"New {n}") for n in range(MAX_CATEGORIES)),
            "tags": tuple(f"new tag {n}" for n in range(MAX_TAGS)),
            "authors": tuple(f"New Writer {n}" for n in range(MAX_AUTHORS)),
        }
    )
    planned = update_index(before, after, index)

    # THEN the update is 4L + 3 actions (L = 24: each listing's membership and summary, old and new;
    # the site's entry, moved, and its count), which one transaction holds
    listings = MAX_CATEGORIES + MAX_TAGS + MAX_AUTHORS
    assert planned.actions == 4 * listings + 3 == 99
    assert planned.actions <= MAX_ACTIONS
