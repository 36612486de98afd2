from __future__ import annotations

from pressrun.invalidation import SiteChange, caller_reference, invalidate_changes, plan_paths
from tests.fakes import RecordingCdn


def test_directory_pages_are_invalidated_in_both_forms_and_duplicates_dropped():
    changes = [
        SiteChange(key="category/economics/index.html", version="1"),
        SiteChange(key="category/economics/index.html", version="2"),
        SiteChange(key="feed.xml", version="3"),
    ]

    assert plan_paths(changes) == ["/category/economics/", "/category/economics/index.html", "/feed.xml"]


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
