"""The search indexer: a bundle whose entry names its files, and names that are content hashes, which
`search.refresh_search` relies on to write only what a build changed."""

from __future__ import annotations

import pytest

from pressrun.ports import SearchIndexer
from pressrun.search_bundle import PagefindIndexer
from tests.fakes import MemorySearchIndexer


def page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><title>{title}</title></head><body>'
        f"<header>Site name</header><article data-pagefind-body><h1>{title}</h1><p>{body}</p></article>"
        "<footer>Footer</footer></body></html>"
    )


PAGES = [
    ("/2025/06/25/harbour/", page("Harbour reopens", "Fishing boats return after the storm.")),
    ("/2025/06/26/library/", page("Library budget", "The council approved the budget.")),
]


@pytest.fixture(params=["memory", "pagefind"])
def indexer(request: pytest.FixtureRequest) -> SearchIndexer:
    return MemorySearchIndexer() if request.param == "memory" else PagefindIndexer("en-GB")


def fragments(bundle: dict[str, bytes]) -> set[str]:
    return {name for name in bundle if name.startswith("fragment/")}


def test_a_bundle_has_its_entry_and_a_fragment_for_each_page(indexer: SearchIndexer):
    bundle = indexer.build(PAGES)

    assert "pagefind-entry.json" in bundle
    assert len(fragments(bundle)) == len(PAGES)


def test_the_same_pages_give_the_same_bundle(indexer: SearchIndexer):
    assert indexer.build(PAGES) == indexer.build(list(PAGES))


def test_a_changed_page_changes_its_own_fragment_and_leaves_the_others(indexer: SearchIndexer):
    before = indexer.build(PAGES)
    edited = [PAGES[0], (PAGES[1][0], page("Library budget", "The council approved it after midnight."))]

    after = indexer.build(edited)

    assert len(fragments(before) & fragments(after)) == 1
    assert len(fragments(after) - fragments(before)) == 1
