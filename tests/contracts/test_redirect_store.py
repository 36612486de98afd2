"""The site's redirects: one target per old path, and who points at a path, in both directions."""

from __future__ import annotations

from pressrun.ports import RedirectStore

OLD = "/2026/11/30/old-slug/"
MIDDLE = "/2026/11/30/middle-slug/"
NEW = "/2026/12/01/new-slug/"


def test_a_path_with_no_redirect_has_no_target(redirects: RedirectStore):
    assert redirects.target(OLD) is None
    assert redirects.sources_of(NEW) == []


def test_a_redirect_holds_its_target_and_is_found_from_it(redirects: RedirectStore):
    redirects.put(OLD, NEW)

    assert redirects.target(OLD) == NEW
    assert redirects.sources_of(NEW) == [OLD]


def test_putting_again_moves_the_redirect_and_its_target_forgets_it(redirects: RedirectStore):
    # GIVEN a redirect to the middle address
    redirects.put(OLD, MIDDLE)

    # WHEN it is pointed further on
    redirects.put(OLD, NEW)

    # THEN it is found from its new target only
    assert redirects.target(OLD) == NEW
    assert redirects.sources_of(MIDDLE) == []
    assert redirects.sources_of(NEW) == [OLD]


def test_putting_the_same_redirect_twice_keeps_one(redirects: RedirectStore):
    redirects.put(OLD, NEW)
    redirects.put(OLD, NEW)

    assert redirects.sources_of(NEW) == [OLD]


def test_several_paths_may_point_at_one_target_listed_in_path_order(redirects: RedirectStore):
    redirects.put(OLD, NEW)
    redirects.put(MIDDLE, NEW)

    assert redirects.sources_of(NEW) == sorted([OLD, MIDDLE])


def test_deleting_removes_both_directions_and_deleting_again_is_fine(redirects: RedirectStore):
    redirects.put(OLD, NEW)
    redirects.put(MIDDLE, NEW)

    redirects.delete(OLD)
    redirects.delete(OLD)
    redirects.delete("/never/redirected/")

    assert redirects.target(OLD) is None
    assert redirects.sources_of(NEW) == [MIDDLE]


def test_paths_are_kept_exactly_as_given(redirects: RedirectStore):
    # CloudFront hands the function the path as the reader sent it: the key is that exact string.
    unusual = "/2026/11/30/caf%C3%A9-reopens/"
    redirects.put(unusual, NEW)

    assert redirects.target(unusual) == NEW
    assert redirects.target(unusual.upper()) is None
