"""The uploads bucket: versions read exactly, never more than the limit and one byte, reports kept."""

from __future__ import annotations

import pytest

from tests.contracts.conftest import UploadsHarness

KEY = "incoming/story.md"


def test_each_version_reads_as_it_was_uploaded(uploads: UploadsHarness):
    first = uploads.put(KEY, b"first")
    second = uploads.put(KEY, b"second")

    assert uploads.store.read(KEY, first, 100) == b"first"
    assert uploads.store.read(KEY, second, 100) == b"second"


def test_reading_no_version_reads_the_current_one(uploads: UploadsHarness):
    uploads.put(KEY, b"first")
    uploads.put(KEY, b"second")

    assert uploads.store.read(KEY, None, 100) == b"second"


def test_a_read_returns_at_most_the_limit_and_one_byte(uploads: UploadsHarness):
    big = uploads.put(KEY, b"x" * 100)

    assert uploads.store.read(KEY, big, 10) == b"x" * 11
    assert uploads.store.read(KEY, big, 100) == b"x" * 100


def test_an_empty_upload_reads_as_no_bytes(uploads: UploadsHarness):
    empty = uploads.put(KEY, b"")

    assert uploads.store.read(KEY, empty, 10) == b""


def test_a_version_that_is_gone_reads_as_none(uploads: UploadsHarness):
    first = uploads.put(KEY, b"first")
    uploads.put(KEY, b"second")
    uploads.delete_version(KEY, first)

    assert uploads.store.read(KEY, first, 100) is None
    assert uploads.store.read("incoming/never.md", None, 100) is None


def test_the_current_version_is_the_newest_until_the_key_is_deleted(uploads: UploadsHarness):
    assert uploads.store.current_version(KEY) is None
    uploads.put(KEY, b"first")
    second = uploads.put(KEY, b"second")

    assert uploads.store.current_version(KEY) == second

    uploads.delete(KEY)

    assert uploads.store.current_version(KEY) is None


def test_deleting_the_newest_version_makes_the_one_before_current(uploads: UploadsHarness):
    first = uploads.put(KEY, b"first")
    second = uploads.put(KEY, b"second")

    uploads.delete_version(KEY, second)

    assert uploads.store.current_version(KEY) == first


@pytest.mark.parametrize("report", ["rejected/story.md.report.json", "previews/story.md.json"])
def test_a_report_is_kept_until_deleted_and_deleting_none_is_fine(uploads: UploadsHarness, report: str):
    # A refusal's report, or a draft's preview address (pressrun.previews): both the editor's to read.
    uploads.store.write_report(report, b'{"errors": []}')

    assert uploads.report(report) == b'{"errors": []}'

    uploads.store.write_report(report, b'{"errors": [1]}')

    assert uploads.store.delete_report(report) is True
    assert uploads.store.delete_report(report) is False
    assert uploads.report(report) is None


def test_the_history_lists_versions_and_delete_markers_newest_first(uploads: UploadsHarness):
    first = uploads.put(KEY, b"first")
    second = uploads.put(KEY, b"second")
    uploads.delete(KEY)
    third = uploads.put(KEY, b"third")

    history = uploads.store.history(KEY)

    assert [version.version_id for version in history if not version.delete_marker] == [third, second, first]
    assert [version.delete_marker for version in history] == [False, True, False, False]
    assert uploads.store.history("incoming/never.md") == []


def test_a_version_or_marker_deleted_for_good_leaves_the_history(uploads: UploadsHarness):
    first = uploads.put(KEY, b"first")
    uploads.put(KEY, b"second")
    uploads.delete(KEY)
    [marker] = [version for version in uploads.store.history(KEY) if version.delete_marker]

    uploads.delete_version(KEY, marker.version_id)
    uploads.delete_version(KEY, first)

    assert [version.delete_marker for version in uploads.store.history(KEY)] == [False]
    assert uploads.store.current_version(KEY) == uploads.store.history(KEY)[0].version_id
