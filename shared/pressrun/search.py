"""Search without a server: a Pagefind bundle under `/pagefind/`, and the `/search/` page that uses it.

Pagefind has no incremental indexing, so the bundle is built again whole from every story's page. A
change to the site does not rebuild it at once: `refresh_search` runs on a clock (a schedule every
SEARCH_INDEX_INTERVAL_MINUTES on AWS; the end of each command locally), rebuilds only when the site
listing's revision moved since the last build, and never sooner than the interval after it. A burst
of a hundred stories therefore costs one build, and a quiet site costs one read of a summary.

The bundle's files are content-addressed (fragments, index chunks, the metadata file), so a rebuild
writes only what is new, and `pagefind-entry.json`, which names the current files, goes last: a
reader's search never meets an entry that names a file not there yet. Files the previous build used
and this one does not are removed one build later, so a search that loaded the previous entry a
moment ago can still fetch its fragments.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from pressrun import render
from pressrun.index import SITE_LISTING
from pressrun.ports import CategoryIndex, SearchIndexer, SiteStore
from pressrun.settings import SiteSettings
from pressrun.urls import SEARCH, SEARCH_BUNDLE, SEARCH_SCRIPT, object_key

HTML = "text/html; charset=utf-8"
JAVASCRIPT = "text/javascript; charset=utf-8"
ENTRY = "pagefind-entry.json"
# What the last build was, kept in the bundle's folder: the site revision it saw and its files.
STATE_KEY = f"{SEARCH_BUNDLE}pressrun-search.json"
# S3 GETs are latency-bound: this many in flight reads 10,000 pages in seconds, not minutes.
READERS = 32
_TYPES = {
    ".js": JAVASCRIPT,
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
}


class SearchState(BaseModel):
    model_config = ConfigDict(frozen=True)

    revision: int
    built_at: datetime
    stories: int
    files: tuple[str, ...]
    # Files of the build before, no longer named by the entry: removed by the next build.
    retired: tuple[str, ...] = ()


class SearchRun(BaseModel):
    """What one call did: built the bundle, found nothing changed, or left the change for later."""

    outcome: Literal["built", "unchanged", "deferred"]
    stories: int = 0
    written: int = 0
    removed: int = 0


def refresh_search(
    index: CategoryIndex,
    site_store: SiteStore,
    indexer: SearchIndexer,
    site: SiteSettings,
    now: datetime,
) -> SearchRun:
    """Build the search bundle again if the site changed since the last build and the last build is
    at least SEARCH_INDEX_INTERVAL_MINUTES old."""
    state = _load(site_store)
    revision = _revision(index)
    if state is not None and state.revision == revision:
        return SearchRun(outcome="unchanged", stories=state.stories)
    interval = timedelta(minutes=site.search_index_interval_minutes)
    if state is not None and now - state.built_at < interval:
        return SearchRun(outcome="deferred", stories=state.stories)
    entries = index.entries(SITE_LISTING, oldest_first=True)
    pages = _read_pages([entry.path for entry in entries], site_store)
    bundle = {f"{SEARCH_BUNDLE}{name}": body for name, body in indexer.build(pages).items()}
    entry_key = f"{SEARCH_BUNDLE}{ENTRY}"
    # The search page first: it works with whatever bundle is there, and is the same every time.
    written = site_store.put_many(search_pages(site))
    rest = {key: (body, _type(key)) for key, body in bundle.items() if key != entry_key}
    written += site_store.put_many(rest, folders=[SEARCH_BUNDLE])
    if entry_key in bundle:
        written += site_store.put_many({entry_key: (bundle[entry_key], _TYPES[".json"])})
    kept = set(bundle)
    removed = 0
    if state is not None:
        for key in sorted(set(state.retired) - kept):
            removed += site_store.delete(key) is not None
    retired = tuple(sorted(set(state.files) - kept)) if state is not None else ()
    saved = SearchState(
        revision=revision, built_at=now, stories=len(pages), files=tuple(sorted(kept)), retired=retired
    )
    site_store.put(STATE_KEY, saved.model_dump_json(indent=1).encode("utf-8"), _TYPES[".json"])
    return SearchRun(outcome="built", stories=len(pages), written=len(written), removed=removed)


def search_pages(site: SiteSettings) -> dict[str, tuple[bytes, str]]:
    """The search page and its script (the theme's, where it has one)."""
    return {
        object_key(SEARCH): (render.search_page(site), HTML),
        object_key(SEARCH_SCRIPT): (_script(site), JAVASCRIPT),
    }


def _script(site: SiteSettings) -> bytes:
    themed = Path(site.theme_dir, "search.js") if site.theme_dir else None
    if themed is not None and themed.is_file():
        return themed.read_bytes()
    return files("pressrun").joinpath("templates", "search.js").read_bytes()


def _read_pages(paths: Sequence[str], site_store: SiteStore) -> list[tuple[str, str]]:
    """Every story's page, as (path, HTML); a page that is gone by now is left out."""
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        bodies = list(pool.map(site_store.read, [object_key(path) for path in paths]))
    return [
        (path, body.decode("utf-8")) for path, body in zip(paths, bodies, strict=True) if body is not None
    ]


def _type(key: str) -> str:
    return _TYPES.get(Path(key).suffix, "application/octet-stream")


def _load(site_store: SiteStore) -> SearchState | None:
    stored = site_store.read(STATE_KEY)
    if stored is None:
        return None
    try:
        return SearchState.model_validate_json(stored)
    except ValidationError:
        return None  # written by another release: built again, which rewrites it


def _revision(index: CategoryIndex) -> int:
    summary = index.summaries([SITE_LISTING]).get(SITE_LISTING)
    return summary.revision if summary else 0
