"""RedirectStore: an old site path to the path it moved to; the memory fake and the local engine's
file agree. (The AWS adapter joins this suite with the redirects work of issue 16, part 5.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from pressrun.local.redirects import FolderRedirects
from pressrun.ports import RedirectStore
from tests.fakes import MemoryRedirects

PREVIEW = "/preview/202603080931-Abc_DEF/"


@pytest.fixture(params=["memory", "folder"])
def redirects(request: pytest.FixtureRequest, tmp_path: Path) -> RedirectStore:
    return MemoryRedirects() if request.param == "memory" else FolderRedirects(tmp_path)


def test_a_path_redirects_to_its_target_until_deleted(redirects: RedirectStore):
    assert redirects.target(PREVIEW) is None

    redirects.put(PREVIEW, "/2026/02/27/budget-talks/")
    assert redirects.target(PREVIEW) == "/2026/02/27/budget-talks/"

    redirects.put(PREVIEW, "/2026/02/28/budget-talks/")
    assert redirects.target(PREVIEW) == "/2026/02/28/budget-talks/"

    redirects.delete(PREVIEW)
    assert redirects.target(PREVIEW) is None


def test_deleting_a_path_never_redirected_is_fine_and_leaves_the_others(redirects: RedirectStore):
    redirects.put("/old/", "/new/")

    redirects.delete(PREVIEW)

    assert redirects.target("/old/") == "/new/"


def test_the_local_file_is_shared_by_every_process_of_a_run(tmp_path: Path):
    # Workers of a parallel run each open the store: what one writes, another reads and keeps.
    first, second = FolderRedirects(tmp_path), FolderRedirects(tmp_path)

    first.put("/a/", "/b/")
    second.put("/c/", "/d/")

    assert first.all() == second.all() == {"/a/": "/b/", "/c/": "/d/"}
