"""Listing pages follow the index: each changed listing re-renders its pages, and only those."""

from __future__ import annotations

from collections.abc import Iterable

from pressrun import render
from pressrun.index import SITE_LISTING, CategoryIndex, category_of
from pressrun.pages import HTML, SiteStore
from pressrun.settings import SiteSettings
from pressrun.urls import FEED, HOME, SITEMAP, category_path, object_key

ATOM = "application/atom+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"
CSS = "text/css; charset=utf-8"


def _refresh_category(
    slug: str, index: CategoryIndex, site_store: SiteStore, site: SiteSettings
) -> list[str]:
    key = object_key(category_path(slug))
    entries = index.entries(f"category/{slug}", limit=site.listing_size)
    if not entries:
        return [key] if site_store.delete(key) else []
    category = next(c for c in entries[0].categories if c.slug == slug)
    return [key] if site_store.put(key, render.category_page(category, entries, site), HTML) else []


def _refresh_site(index: CategoryIndex, site_store: SiteStore, site: SiteSettings) -> list[str]:
    everything = index.entries(SITE_LISTING)
    latest = everything[: site.listing_size]
    pages = {
        object_key(HOME): (render.home_page(latest, site), HTML),
        object_key(FEED): (render.atom_feed(latest, site), ATOM),
        object_key(SITEMAP): (render.sitemap(everything, site), XML),
        object_key(render.STYLESHEET): (render.stylesheet(), CSS),
    }
    return [key for key, (body, content_type) in pages.items() if site_store.put(key, body, content_type)]


def refresh_listings(
    listings: Iterable[str], index: CategoryIndex, site_store: SiteStore, site: SiteSettings
) -> list[str]:
    """Re-render the pages of each listing named; the keys whose bytes changed."""
    changed: list[str] = []
    for listing in sorted(set(listings)):
        slug = category_of(listing)
        if slug is not None:
            changed += _refresh_category(slug, index, site_store, site)
        elif listing == SITE_LISTING:
            changed += _refresh_site(index, site_store, site)
    return changed
