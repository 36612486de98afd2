"""The category index: which articles each listing shows, kept as one membership item per pair.

A listing is a category ("category/<slug>") or the whole site ("site", for home, feeds and sitemaps).
Each listing also has a summary: its exact member count and, for a category, its display name and
newest entries (the home page's section for it), so no page has to count or scan a listing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from pressrun.model import ArticleRecord, Category
from pressrun.ports import CategoryIndex

SITE_LISTING = "site"
_CATEGORY_PREFIX = "category/"
# How many of a category's newest articles its summary keeps for the home page.
SECTION_SIZE = 3
# An update races only with other updates of the same listings; a few tries settle it.
_ATTEMPTS = 5

Key = tuple[str, str]


def category_listing(category_slug: str) -> str:
    return f"{_CATEGORY_PREFIX}{category_slug}"


def category_of(listing: str) -> str | None:
    """The category slug a listing belongs to, or None for the site listing."""
    return listing.removeprefix(_CATEGORY_PREFIX) if listing.startswith(_CATEGORY_PREFIX) else None


def position_of(moment: datetime, source_key: str = "") -> str:
    # Sort keys compare as strings: UTC, fixed width, then the source key to keep equal times apart.
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}#{source_key}"


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

    @property
    def key(self) -> Key:
        return (self.listing, self.position)


class ListingSummary(BaseModel):
    """A listing's member count and, for a category, its name and newest entries."""

    model_config = ConfigDict(frozen=True)

    listing: str
    members: int = 0
    name: str = ""
    newest: tuple[ListingEntry, ...] = ()
    # Bumped on every write; a write holds only if nobody wrote since it was read.
    revision: int = 0

    @property
    def category(self) -> Category | None:
        slug = category_of(self.listing)
        return Category(name=self.name, slug=slug) if slug is not None and self.name else None


def memberships(record: ArticleRecord | None) -> dict[Key, ListingEntry]:
    """The entries a record should have: one per category plus one in the site listing, if it is live."""
    if record is None or not record.is_live or record.published_at is None:
        return {}
    position = position_of(record.published_at, record.source_key)
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
    return {entry.key: entry for entry in entries}


@dataclass(frozen=True)
class IndexUpdate:
    """Membership changes, and the summaries of the listings they touch, written all or nothing.

    `added` keys must not exist yet and `delete` keys must: a replayed change then fails as a whole
    instead of counting twice, and is planned again against what the table really holds."""

    put: list[ListingEntry] = field(default_factory=list)
    added: set[Key] = field(default_factory=set)
    delete: list[Key] = field(default_factory=list)
    summaries: list[ListingSummary] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.put or self.delete)

    @property
    def listings(self) -> set[str]:
        return {entry.listing for entry in self.put} | {listing for listing, _ in self.delete}


class IndexConflict(Exception):
    """The index changed between reading and writing: plan again."""


def plan_index_update(
    old: ArticleRecord | None, new: ArticleRecord | None, held: set[Key] | None = None
) -> IndexUpdate:
    """What changes in the index when an article goes from `old` to `new`. `held` says which of the
    memberships the table holds, when known; otherwise it is taken to hold exactly `old`'s."""
    before, after = memberships(old), memberships(new)
    held = set(before) if held is None else held
    return IndexUpdate(
        put=[entry for key, entry in after.items() if key not in held or before.get(key) != entry],
        added={key for key in after if key not in held},
        delete=[key for key in held if key not in after],
    )


def _summary_after(
    listing: str, update: IndexUpdate, summary: ListingSummary | None, newest: list[ListingEntry]
) -> ListingSummary:
    current = summary or ListingSummary(listing=listing)
    added = sum(1 for key in update.added if key[0] == listing)
    deleted = sum(1 for key in update.delete if key[0] == listing)
    name = current.name
    if category_of(listing) is not None:
        removed = set(update.delete) | {entry.key for entry in update.put}
        kept = {entry.key: entry for entry in newest if entry.key not in removed}
        kept.update({entry.key: entry for entry in update.put if entry.listing == listing})
        ordered = sorted(kept.values(), key=lambda entry: entry.position, reverse=True)[:SECTION_SIZE]
        slug = category_of(listing)
        names = [c.name for entry in update.put for c in entry.categories if c.slug == slug]
        return current.model_copy(
            update={
                "members": current.members + added - deleted,
                "name": names[0] if names else name,
                "newest": tuple(ordered),
            }
        )
    return current.model_copy(update={"members": current.members + added - deleted})


def _newest_before(
    index: CategoryIndex, listing: str, update: IndexUpdate, summary: ListingSummary | None
) -> list[ListingEntry]:
    """A category's newest entries before the update. The summary holds them; the table is read only
    when the update removes one of them and the next one has to move up."""
    if category_of(listing) is None:
        return []
    shown = {entry.key for entry in summary.newest} if summary else set()
    if not shown & set(update.delete):
        return list(summary.newest) if summary else []
    deleted = sum(1 for key in update.delete if key[0] == listing)
    return index.entries(listing, limit=SECTION_SIZE + deleted + 1)


def update_index(old: ArticleRecord | None, new: ArticleRecord | None, index: CategoryIndex) -> IndexUpdate:
    """Move an article's memberships from `old` to `new`, keeping every summary exact."""
    update = plan_index_update(old, new)
    for _ in range(_ATTEMPTS):
        if not update:
            return update
        summaries = index.summaries(update.listings)
        planned = IndexUpdate(
            put=update.put,
            added=update.added,
            delete=update.delete,
            summaries=[
                _summary_after(
                    listing,
                    update,
                    summaries.get(listing),
                    _newest_before(index, listing, update, summaries.get(listing)),
                )
                for listing in sorted(update.listings)
            ],
        )
        try:
            index.apply(planned)
        except IndexConflict:
            keys = set(memberships(old)) | set(memberships(new))
            update = plan_index_update(old, new, held=index.existing(keys))
            continue
        return planned
    record = new or old
    raise IndexConflict(f"the index kept changing under {record.source_key if record else 'an article'}")
