from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pressrun.ingest import Change, Outcome, Upload, accept_upload, padded_sequencer
from pressrun.model import ArticleRecord, Saved
from pressrun.settings import SiteSettings
from tests.conftest import SAMPLE
from tests.fakes import MemoryArticles, MemoryUploads, RecordingAlerts

SITE = SiteSettings()
NOW = datetime(2026, 1, 1, tzinfo=UTC)
KEY = "incoming/story.txt"
REPORT = "rejected/story.txt.report.json"
GOOD = SAMPLE.read_bytes()
BAD = b"---\ntitle: No date\n---\nBody.\n"


def upload(
    sequencer: str,
    version: str = "v1",
    deleted: bool = False,
    key: str = KEY,
    change: Change | None = None,
    size: int | None = None,
) -> Upload:
    return Upload(
        bucket="uploads",
        key=key,
        version_id=version,
        sequencer=sequencer,
        change=change or (Change.DELETE_MARKER if deleted else Change.CREATED),
        event_time=datetime(2025, 6, 25, 8, 30, tzinfo=UTC),
        size=size,
    )


def test_valid_upload_is_recorded_as_published(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(KEY, GOOD)

    outcome = accept_upload(upload("0A"), uploads, articles, SITE, alerts, NOW)

    assert outcome is Outcome.PUBLISHED
    record = articles.records[KEY]
    assert (record.status, record.source_version, record.categories[0].slug) == (
        "published",
        "v1",
        "economics",
    )


def test_invalid_upload_leaves_a_report_listing_every_problem_and_no_record(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add("incoming/story.md", BAD)

    outcome = accept_upload(upload("0A", key="incoming/story.md"), uploads, articles, SITE, alerts, NOW)

    assert outcome is Outcome.REJECTED
    assert articles.records["incoming/story.md"].status == "rejected"
    report = json.loads(uploads.reports["rejected/story.md.report.json"])
    assert report["source"] == "incoming/story.md"
    assert report["version"] == "v1"
    assert {error["field"] for error in report["errors"]} == {"date", "categories"}
    assert uploads.objects[("incoming/story.md", "v1")] == BAD


def test_later_good_upload_clears_the_rejection_report(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(KEY, BAD, version_id="v1")
    uploads.add(KEY, GOOD, version_id="v2")
    accept_upload(upload("0A", version="v1"), uploads, articles, SITE, alerts, NOW)
    assert REPORT in uploads.reports

    accept_upload(upload("0B", version="v2"), uploads, articles, SITE, alerts, NOW)

    assert REPORT not in uploads.reports


def test_older_event_arriving_late_changes_nothing(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(KEY, GOOD, version_id="v2")
    uploads.add(KEY, GOOD, version_id="v1")
    accept_upload(upload("0B", version="v2"), uploads, articles, SITE, alerts, NOW)

    outcome = accept_upload(upload("0A", version="v1"), uploads, articles, SITE, alerts, NOW)

    assert outcome is Outcome.STALE
    assert articles.records[KEY].source_version == "v2"


def test_duplicate_delivery_is_a_no_op(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(KEY, GOOD)
    accept_upload(upload("0A"), uploads, articles, SITE, alerts, NOW)

    assert accept_upload(upload("0A"), uploads, articles, SITE, alerts, NOW) is Outcome.STALE


def test_sequencers_of_different_lengths_compare_as_s3_says_right_padded_with_zeros():
    # Where left- and right-padding disagree: right-padded, the shorter one is the later.
    assert padded_sequencer("0062E99A88DC40749E21") < padded_sequencer("0062E99A88DC4074B0")
    assert padded_sequencer("0062E99A88DC407460") < padded_sequencer("0062E99A88DC40749E21")
    assert padded_sequencer("0062E99A88DC407460") < padded_sequencer("0062E99A88DC407461")
    assert padded_sequencer("0062e99a88dc4074b0") == padded_sequencer("0062E99A88DC4074B0")
    assert padded_sequencer("0062E99A88DC4074B0") == padded_sequencer("0062E99A88DC4074B000")


def _s3_rule(first: str, second: str) -> int:
    """S3's documented comparison of two sequencers of one key: right-pad the shorter with zeros,
    then compare as strings. -1, 0 or 1."""
    width = max(len(first), len(second))
    a, b = first.upper().ljust(width, "0"), second.upper().ljust(width, "0")
    return (a > b) - (a < b)


HEX = st.text(alphabet="0123456789ABCDEFabcdef", min_size=1, max_size=40)


@settings(max_examples=500)
@given(first=HEX, second=HEX)
def test_padded_sequencers_order_every_pair_as_s3s_rule_does(first: str, second: str):
    a, b = padded_sequencer(first), padded_sequencer(second)

    assert ((a > b) - (a < b)) == _s3_rule(first, second)
    assert padded_sequencer(a) == a


def test_a_late_event_with_a_longer_but_older_sequencer_changes_nothing(alerts: RecordingAlerts):
    # GIVEN version 2, whose sequencer is shorter but, right-padded, the greater
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(KEY, GOOD, version_id="v1")
    uploads.add(KEY, GOOD, version_id="v2")
    accept_upload(upload("0062E99A88DC4074B0", version="v2"), uploads, articles, SITE, alerts, NOW)

    # WHEN the event of version 1 arrives late
    outcome = accept_upload(
        upload("0062E99A88DC40749E21", version="v1"), uploads, articles, SITE, alerts, NOW
    )

    # THEN version 2 stays
    assert outcome is Outcome.STALE
    assert articles.records[KEY].source_version == "v2"


def test_deleting_the_upload_records_its_removal(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(KEY, GOOD)
    accept_upload(upload("0A"), uploads, articles, SITE, alerts, NOW)

    outcome = accept_upload(
        upload("0B", version="marker", deleted=True), uploads, articles, SITE, alerts, NOW
    )

    assert outcome is Outcome.REMOVED
    assert articles.records[KEY].status == "removed"


def test_creation_older_than_a_deletion_does_not_resurrect_the_article(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(KEY, GOOD)
    accept_upload(upload("0B", deleted=True), uploads, articles, SITE, alerts, NOW)

    assert accept_upload(upload("0A"), uploads, articles, SITE, alerts, NOW) is Outcome.STALE
    assert articles.records[KEY].status == "removed"


def test_objects_outside_incoming_and_folder_placeholders_are_ignored(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()

    assert (
        accept_upload(upload("0A", key="rejected/x.report.json"), uploads, articles, SITE, alerts, NOW)
        is Outcome.IGNORED
    )
    assert (
        accept_upload(upload("0A", key="incoming/2025/"), uploads, articles, SITE, alerts, NOW)
        is Outcome.IGNORED
    )
    assert articles.records == {}


def test_draft_is_recorded_but_not_published(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(
        "incoming/d.md", b"---\ntitle: T\ndate: 2025-06-25\ncategories: [N]\ndraft: true\n---\nBody.\n"
    )

    outcome = accept_upload(upload("0A", key="incoming/d.md"), uploads, articles, SITE, alerts, NOW)

    assert outcome is Outcome.DRAFT
    assert articles.records["incoming/d.md"].status == "draft"


def story(title: str, slug: str = "") -> bytes:
    slug_line = f"slug: {slug}\n" if slug else ""
    return f"---\ntitle: {title}\ndate: 2025-06-25\ncategories: [News]\n{slug_line}---\nBody.\n".encode()


def test_a_different_upload_cannot_take_a_slug_already_in_use(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add("incoming/first.md", story("Same headline"))
    uploads.add("incoming/second.md", story("Same headline"))
    accept_upload(upload("0A", key="incoming/first.md"), uploads, articles, SITE, alerts, NOW)

    outcome = accept_upload(upload("0B", key="incoming/second.md"), uploads, articles, SITE, alerts, NOW)

    assert outcome is Outcome.REJECTED
    report = json.loads(uploads.reports["rejected/second.md.report.json"])
    assert report["errors"] == [
        {
            "field": "slug",
            "message": "'same-headline' is already the address of incoming/first.md. This article goes"
            " live by itself once that upload is deleted or takes another slug (as when a file is"
            " renamed); otherwise give it its own slug",
            "line": None,
        }
    ]
    assert articles.records["incoming/second.md"].status == "rejected"


def test_reupload_of_the_same_source_keeps_its_slug_and_a_new_slug_frees_the_old_one(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add("incoming/first.md", story("Headline"), version_id="v1")
    uploads.add("incoming/first.md", story("Headline", slug="renamed"), version_id="v2")
    uploads.add("incoming/second.md", story("Headline"))
    accept_upload(upload("0A", key="incoming/first.md"), uploads, articles, SITE, alerts, NOW)

    accept_upload(upload("0B", version="v2", key="incoming/first.md"), uploads, articles, SITE, alerts, NOW)
    outcome = accept_upload(upload("0C", key="incoming/second.md"), uploads, articles, SITE, alerts, NOW)

    assert outcome is Outcome.PUBLISHED
    assert articles.slugs == {"renamed": "incoming/first.md", "headline": "incoming/second.md"}


def test_removal_frees_the_slug(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add("incoming/first.md", story("Headline"))
    accept_upload(upload("0A", key="incoming/first.md"), uploads, articles, SITE, alerts, NOW)

    accept_upload(upload("0B", key="incoming/first.md", deleted=True), uploads, articles, SITE, alerts, NOW)

    assert articles.slugs == {}


def test_a_rejection_alerts_the_newsroom_with_the_check_lines(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add("incoming/story.md", BAD)

    accept_upload(upload("0A", key="incoming/story.md"), uploads, articles, SITE, alerts, NOW)

    assert alerts.sent == [
        (
            "incoming/story.md",
            "incoming/story.md was not published. Fix these and upload it again:\n"
            "incoming/story.md: date: is required\n"
            "incoming/story.md: categories: is required",
        )
    ]


def test_permanently_deleting_an_old_version_keeps_the_current_one_published(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(KEY, GOOD, version_id="v1")
    uploads.add(KEY, GOOD, version_id="v2")
    accept_upload(upload("0B", version="v2"), uploads, articles, SITE, alerts, NOW)
    uploads.delete_version(KEY, "v1", now_current="v2")

    outcome = accept_upload(
        upload("0C", version="v1", change=Change.VERSION_DELETED), uploads, articles, SITE, alerts, NOW
    )

    assert outcome is Outcome.PUBLISHED
    assert (articles.records[KEY].status, articles.records[KEY].source_version) == ("published", "v2")


def test_removing_the_delete_marker_undeletes_the_story(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(KEY, GOOD, version_id="v1")
    accept_upload(upload("0A", version="v1"), uploads, articles, SITE, alerts, NOW)
    accept_upload(upload("0B", version="marker", deleted=True), uploads, articles, SITE, alerts, NOW)

    outcome = accept_upload(
        upload("0C", version="marker", change=Change.VERSION_DELETED), uploads, articles, SITE, alerts, NOW
    )

    assert outcome is Outcome.PUBLISHED
    assert articles.records[KEY].source_version == "v1"


def test_permanently_deleting_the_last_version_unpublishes(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(KEY, GOOD, version_id="v1")
    accept_upload(upload("0A", version="v1"), uploads, articles, SITE, alerts, NOW)
    uploads.delete_version(KEY, "v1", now_current=None)

    outcome = accept_upload(
        upload("0B", version="v1", change=Change.VERSION_DELETED), uploads, articles, SITE, alerts, NOW
    )

    assert outcome is Outcome.REMOVED


def test_a_refusal_handled_before_the_older_valid_version_shows_that_version_as_in_order(
    alerts: RecordingAlerts,
):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(KEY, GOOD, version_id="v1")
    uploads.add(KEY, b"", version_id="v2")
    accept_upload(upload("0B", version="v2"), uploads, articles, SITE, alerts, NOW)

    outcome = accept_upload(upload("0A", version="v1"), uploads, articles, SITE, alerts, NOW)

    # The late event changes nothing: the refusal already left up what events in order leave up.
    assert outcome is Outcome.STALE
    assert REPORT in uploads.reports
    assert (articles.records[KEY].status, articles.records[KEY].source_version) == ("published", "v1")


def test_a_refusal_shows_no_version_older_than_a_delete_marker(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(KEY, GOOD, version_id="v1")
    uploads.mark_deleted(KEY, marker="m2")
    uploads.add(KEY, b"", version_id="v3")

    outcome = accept_upload(upload("0C", version="v3"), uploads, articles, SITE, alerts, NOW)

    assert outcome is Outcome.REJECTED
    assert articles.records[KEY].status == "rejected"
    assert REPORT in uploads.reports


def test_invalid_reupload_keeps_the_published_version_up(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(KEY, GOOD, version_id="v1")
    uploads.add(KEY, b"", version_id="v2")
    accept_upload(upload("0A", version="v1"), uploads, articles, SITE, alerts, NOW)

    outcome = accept_upload(upload("0B", version="v2"), uploads, articles, SITE, alerts, NOW)

    assert outcome is Outcome.REJECTED
    assert (articles.records[KEY].status, articles.records[KEY].source_version) == ("published", "v1")


def test_renamed_file_takes_over_its_own_slug_once_the_old_name_is_deleted(alerts: RecordingAlerts):
    # GIVEN a published story, WHEN the editor renames it (S3 copies, then deletes the old name)
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add("incoming/old-name.md", story("Council budget"))
    accept_upload(upload("0A", key="incoming/old-name.md"), uploads, articles, SITE, alerts, NOW)
    uploads.add("incoming/new-name.md", story("Council budget"))
    copied = accept_upload(upload("0B", key="incoming/new-name.md"), uploads, articles, SITE, alerts, NOW)

    removed = accept_upload(
        upload("0C", key="incoming/old-name.md", deleted=True), uploads, articles, SITE, alerts, NOW
    )

    # THEN the copy waited for the slug and has it now, with its report cleared
    assert (copied, removed) == (Outcome.REJECTED, Outcome.REMOVED)
    assert articles.records["incoming/new-name.md"].status == "published"
    assert articles.slugs == {"council-budget": "incoming/new-name.md"}
    assert "rejected/new-name.md.report.json" not in uploads.reports


def test_slug_passes_back_and_forth_between_two_uploads(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add("incoming/a.md", story("Shared headline"))
    uploads.add("incoming/b.md", story("Shared headline"))

    def accept(sequencer: str, key: str, deleted: bool = False) -> Outcome:
        return accept_upload(
            upload(sequencer, key=key, deleted=deleted), uploads, articles, SITE, alerts, NOW
        )

    accept("01", "incoming/a.md")
    assert accept("02", "incoming/b.md") is Outcome.REJECTED
    accept("03", "incoming/a.md", deleted=True)
    assert articles.records["incoming/b.md"].status == "published"
    assert accept("04", "incoming/a.md") is Outcome.REJECTED

    accept("05", "incoming/b.md", deleted=True)

    assert articles.records["incoming/a.md"].status == "published"
    assert articles.slugs == {"shared-headline": "incoming/a.md"}
    assert "rejected/a.md.report.json" not in uploads.reports


@dataclass
class FlakyUploads(MemoryUploads):
    """A bucket whose report calls fail the first `failures` times, as S3 sometimes does."""

    failures: int = 1

    def _maybe_fail(self) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("S3 503 Slow Down")

    def delete_report(self, key: str) -> bool:
        self._maybe_fail()
        return super().delete_report(key)

    def write_report(self, key: str, body: bytes) -> None:
        self._maybe_fail()
        super().write_report(key, body)


def test_redelivery_finishes_what_a_failure_interrupted_after_the_write(alerts: RecordingAlerts):
    uploads, articles = FlakyUploads(failures=0), MemoryArticles()
    uploads.add(KEY, BAD, version_id="v0")
    accept_upload(upload("01", version="v0"), uploads, articles, SITE, alerts, NOW)
    assert REPORT in uploads.reports
    uploads.add(KEY, GOOD)
    uploads.failures = 1
    event = upload("0A")

    with pytest.raises(ConnectionError):
        accept_upload(event, uploads, articles, SITE, alerts, NOW)
    assert articles.records[KEY].status == "published"

    assert accept_upload(event, uploads, articles, SITE, alerts, NOW) is Outcome.STALE
    assert REPORT not in uploads.reports


def test_redelivery_of_a_refusal_writes_the_report_the_failure_lost(alerts: RecordingAlerts):
    uploads, articles = FlakyUploads(), MemoryArticles()
    uploads.add(KEY, b"")
    event = upload("0A")

    with pytest.raises(ConnectionError):
        accept_upload(event, uploads, articles, SITE, alerts, NOW)

    assert accept_upload(event, uploads, articles, SITE, alerts, NOW) is Outcome.REJECTED
    assert REPORT in uploads.reports


def test_a_rename_interrupted_before_the_copy_was_retried_is_finished_on_redelivery(alerts: RecordingAlerts):
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add("incoming/old.md", story("Renamed"))
    accept_upload(upload("01", key="incoming/old.md"), uploads, articles, SITE, alerts, NOW)
    uploads.add("incoming/new.md", story("Renamed"))
    accept_upload(upload("02", key="incoming/new.md"), uploads, articles, SITE, alerts, NOW)
    removal = upload("03", key="incoming/old.md", deleted=True)
    original_read = uploads.read
    uploads.read = lambda key, version, limit: (_ for _ in ()).throw(ConnectionError("S3 503"))  # type: ignore[method-assign]

    with pytest.raises(ConnectionError):
        accept_upload(removal, uploads, articles, SITE, alerts, NOW)
    uploads.read = original_read  # type: ignore[method-assign]
    accept_upload(removal, uploads, articles, SITE, alerts, NOW)

    assert articles.records["incoming/new.md"].status == "published"
    assert articles.records["incoming/old.md"].pending_waiters == ()


def test_a_write_based_on_an_outdated_read_conflicts_instead_of_freeing_the_wrong_slug():
    articles = MemoryArticles()
    v1 = ArticleRecord(source_key=KEY, sequencer="01", status="published", slug="x")
    articles.save(v1, None)
    articles.save(v1.model_copy(update={"sequencer": "02", "slug": "y"}), v1)

    result = articles.save(v1.model_copy(update={"sequencer": "03", "slug": "z"}), v1)

    assert result.outcome is Saved.CONFLICT
    assert articles.slugs == {"y": KEY}


GIGABYTE = 1024**3


@dataclass
class HugeUploads(MemoryUploads):
    """A bucket holding one 1 GB upload, never in memory: a read returns as much of it as is asked
    for (the limit and one byte, as the port promises), and every byte read is counted."""

    huge: tuple[str, str] = (KEY, "v2")
    bytes_read: int = 0

    def read(self, key: str, version_id: str | None, limit: int) -> bytes | None:
        if (key, version_id) == self.huge:
            data = b"x" * min(GIGABYTE, limit + 1)
        else:
            data = super().read(key, version_id, limit) or b""
        self.bytes_read += len(data)
        return data


def test_an_upload_over_the_limit_is_refused_from_its_event_size_without_being_read(alerts: RecordingAlerts):
    uploads, articles = HugeUploads(), MemoryArticles()

    outcome = accept_upload(upload("0A", version="v2", size=GIGABYTE), uploads, articles, SITE, alerts, NOW)

    assert outcome is Outcome.REJECTED
    assert uploads.bytes_read == 0
    assert json.loads(uploads.reports[REPORT])["errors"] == [
        {"field": "file", "message": "is 1,073,741,824 bytes; the limit is 1,048,576 bytes", "line": None}
    ]
    assert alerts.sent == [
        (
            KEY,
            f"{KEY} was not published. Fix these and upload it again:\n"
            f"{KEY}: file: is 1,073,741,824 bytes; the limit is 1,048,576 bytes",
        )
    ]


def test_without_a_size_in_the_event_only_the_limit_and_one_byte_are_read(alerts: RecordingAlerts):
    uploads, articles = HugeUploads(), MemoryArticles()

    outcome = accept_upload(upload("0A", version="v2"), uploads, articles, SITE, alerts, NOW)

    assert outcome is Outcome.REJECTED
    assert uploads.bytes_read == SITE.max_upload_bytes + 1
    # Only the first bytes were read: the report says the upload is over the limit, not by how much.
    assert json.loads(uploads.reports[REPORT])["errors"] == [
        {"field": "file", "message": "is over the limit of 1,048,576 bytes", "line": None}
    ]


def test_an_oversized_reupload_keeps_the_published_version_up(alerts: RecordingAlerts):
    uploads, articles = HugeUploads(), MemoryArticles()
    uploads.add(KEY, GOOD, version_id="v1")
    accept_upload(upload("0A", version="v1", size=len(GOOD)), uploads, articles, SITE, alerts, NOW)

    outcome = accept_upload(upload("0B", version="v2", size=GIGABYTE), uploads, articles, SITE, alerts, NOW)

    assert outcome is Outcome.REJECTED
    assert (articles.records[KEY].status, articles.records[KEY].source_version) == ("published", "v1")
    assert REPORT in uploads.reports
    assert [key for key, _ in alerts.sent] == [KEY]


def test_an_upload_whose_name_is_too_long_for_the_index_is_refused_with_a_report(alerts: RecordingAlerts):
    key = "incoming/" + "k" * 1010 + ".md"
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(key, story("Long name"))

    outcome = accept_upload(upload("0A", key=key), uploads, articles, SITE, alerts, NOW)

    assert outcome is Outcome.REJECTED
    [report] = uploads.reports.values()
    assert json.loads(report)["errors"] == [
        {"field": "file", "message": "its name is 1,022 bytes long; the limit is 1,000 bytes", "line": None}
    ]
    assert articles.slugs == {}


def test_a_record_the_field_limits_would_let_through_too_big_is_still_refused(
    alerts: RecordingAlerts, monkeypatch: pytest.MonkeyPatch
):
    # GIVEN field limits loosened past what the tables hold (the whole-record guard is what is left)
    monkeypatch.setattr("pressrun.validation.MAX_SUMMARY_LENGTH", 1_000_000)
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add("incoming/story.md", story("Published"), version_id="v1")
    accept_upload(upload("0A", key="incoming/story.md"), uploads, articles, SITE, alerts, NOW)
    huge = b"---\ntitle: T\ndate: 2025-06-25\ncategories: [N]\nsummary: " + b"s" * 500_000 + b"\n---\nB.\n"
    uploads.add("incoming/story.md", huge, version_id="v2")

    outcome = accept_upload(
        upload("0B", version="v2", key="incoming/story.md"), uploads, articles, SITE, alerts, NOW
    )

    assert outcome is Outcome.REJECTED
    [error] = json.loads(uploads.reports["rejected/story.md.report.json"])["errors"]
    assert error["field"] == "article"
    assert "the limit is 131,072 bytes" in error["message"]
    assert articles.records["incoming/story.md"].source_version == "v1"


REFUSED_REUPLOADS = {
    "too big, from its size": (None, 2 * 1024 * 1024),
    "too many categories": (
        b"---\ntitle: T\ndate: 2025-06-25\ncategories: [%s]\n---\nB.\n"
        % b", ".join(b"C%d" % n for n in range(11)),
        None,
    ),
    "too many tags": (
        b"---\ntitle: T\ndate: 2025-06-25\ncategories: [N]\ntags: [%s]\n---\nB.\n"
        % b", ".join(b"t%d" % n for n in range(31)),
        None,
    ),
    "summary too long": (
        b"---\ntitle: T\ndate: 2025-06-25\ncategories: [N]\nsummary: " + b"s" * 500_000 + b"\n---\nB.\n",
        None,
    ),
    "nested too deeply": (
        b"---\ntitle: T\ndate: 2025-06-25\ncategories: [N]\nx: " + b"[" * 900 + b"]" * 900 + b"\n---\nB.\n",
        None,
    ),
}


@pytest.mark.parametrize(("data", "size"), list(REFUSED_REUPLOADS.values()), ids=list(REFUSED_REUPLOADS))
def test_every_refusal_leaves_a_report_alerts_and_keeps_the_published_version(
    data: bytes | None, size: int | None, alerts: RecordingAlerts
):
    # GIVEN a published story
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add("incoming/story.md", story("Published"), version_id="v1")
    accept_upload(upload("0A", key="incoming/story.md"), uploads, articles, SITE, alerts, NOW)
    uploads.add("incoming/story.md", data or b"", version_id="v2")

    # WHEN the editor uploads a version the pipeline refuses
    outcome = accept_upload(
        upload("0B", version="v2", key="incoming/story.md", size=size), uploads, articles, SITE, alerts, NOW
    )

    # THEN a report and an alert say why, and the published version stays up
    assert outcome is Outcome.REJECTED
    assert json.loads(uploads.reports["rejected/story.md.report.json"])["errors"]
    assert [key for key, _ in alerts.sent] == ["incoming/story.md"]
    record = articles.records["incoming/story.md"]
    assert (record.status, record.source_version, record.title) == ("published", "v1", "Published")
