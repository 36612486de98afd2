"""The category index: which articles each listing shows, kept as one membership item per pair.

A listing is a category ("category/<slug>") or the whole site ("site", for home, feed and sitemap).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from pressrun.model import ArticleRecord, Category

SITE_LISTING = "site"
_CATEGORY_PREFIX = "category/"


def category_listing(category_slug: str) -> str:
    return f"{_CATEGORY_PREFIX}{category_slug}"


def category_of(listing: str) -> str | None:
    """The category slug a listing belongs to, or None for the site listing."""
    return listing.removeprefix(_CATEGORY_PREFIX) if listing.startswith(_CATEGORY_PREFIX) else None


class ListingEntry(BaseModel):
    """One article's line in one listing: everything a listing page shows, so no page reads articles."""

    model_config = ConfigDict(frozen=True)

    listing: str
    position: str
    source_key: str
    title: str
    path: str
    summary: str
    published_at: datetime
    categories: tuple[Category, ...]
    author: str | None = None
    updated_at: datetime | None = None


def _position(published_at: datetime, source_key: str) -> str:
    # Sort keys compare as strings: UTC, fixed width, then the source key to keep equal times apart.
    return f"{published_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}#{source_key}"


def memberships(record: ArticleRecord | None) -> dict[tuple[str, str], ListingEntry]:
    """The entries a record should have: one per category plus one in the site listing, if it is live."""
    if record is None or not record.is_live or record.published_at is None:
        return {}
    position = _position(record.published_at, record.source_key)
    listings = [SITE_LISTING, *(category_listing(category.slug) for category in record.categories)]
    entries = (
        ListingEntry(
            listing=listing,
            position=position,
            source_key=record.source_key,
            title=record.title,
            path=record.path,
            summary=record.summary,
            published_at=record.published_at,
            categories=record.categories,
            author=record.author,
            updated_at=record.updated_at,
        )
        for listing in listings
    )
    return {(entry.listing, entry.position): entry for entry in entries}


@dataclass(frozen=True)
class IndexUpdate:
    put: list[ListingEntry] = field(default_factory=list)
    delete: list[tuple[str, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.put or self.delete)


def plan_index_update(old: ArticleRecord | None, new: ArticleRecord | None) -> IndexUpdate:
    """What changes in the index when an article goes from `old` to `new`; unchanged entries are left be."""
    before, after = memberships(old), memberships(new)
    return IndexUpdate(
        put=[entry for key, entry in after.items() if before.get(key) != entry],
        delete=[key for key in before if key not in after],
    )


class CategoryIndex(Protocol):
    def apply(self, update: IndexUpdate) -> None: ...

    def entries(self, listing: str, limit: int | None = None) -> list[ListingEntry]:
        """Newest first."""
        ...


def update_index(old: ArticleRecord | None, new: ArticleRecord | None, index: CategoryIndex) -> IndexUpdate:
    update = plan_index_update(old, new)
    if update:
        index.apply(update)
    return update
