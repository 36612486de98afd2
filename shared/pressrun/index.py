"""The index: which articles each listing shows, kept as one membership item per pair.

A listing is a section ("category/<slug>"), a tag ("tag/<slug>"), an author ("author/<slug>") or the
whole site ("site", for home, feeds and sitemaps). Each listing also has a summary: its exact member
count and revision and, for a section, its heading and newest entries (the home page's section for
it), so no page has to count or scan a listing.

One update of an article's memberships is one DynamoDB transaction of at most 100 actions. An article
is in the site listing and in at most MAX_CATEGORIES sections, MAX_TAGS tags and MAX_AUTHORS authors
(L = C + T + A listings besides the site's). An update writes, at most: the site listing's entry
twice (a put for the new position, a delete of the old when the date moved), a put for each of the
new version's L memberships and a delete for each of the old version's L (none shared), a summary for
each of those 2L listings (a section's revision-guarded, a tag's or author's a bare count), and the
site's count: 2 + 2L + 2L + 1 = 4L + 3. At 5 + 15 + 4 = 24 listings, 99.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, model_validator

from pressrun.model import ArticleRecord, AuthorProfile, Category, ImageUse, legacy_author, slugify
from pressrun.ports import CategoryIndex

SITE_LISTING = "site"
# How many of a category's newest articles its summary keeps for the home page.
SECTION_SIZE = 3
# An update races only with other updates of the same listings; a few tries settle it.
_ATTEMPTS = 5
# One DynamoDB transaction holds at most 100 actions; the editors' limits keep every update within it
# (4L + 3 actions, above).
MAX_ACTIONS = 100
MAX_CATEGORIES = 5
MAX_TAGS = 15
MAX_AUTHORS = 4

Key = tuple[str, str]
# The earliest possible position: a change "there" reaches every page of a listing.
FROM_THE_START = "0"


class ListingKind(StrEnum):
    """The listings an article is in besides the site's, each with its own pages and feed."""

    CATEGORY = "category"
    TAG = "tag"
    AUTHOR = "author"


def listings_sitemap_capacity(number: int, file_size: int) -> int:
    """How many listings file `number` of the listings sitemap takes: the first keeps a place for the
    home page."""
    return max(1, file_size - 1) if number == 1 else file_size


def listing_of(kind: ListingKind, slug: str) -> str:
    return f"{kind.value}/{slug}"


def category_listing(category_slug: str) -> str:
    return listing_of(ListingKind.CATEGORY, category_slug)


def parse_listing(listing: str) -> tuple[ListingKind, str] | None:
    """A listing's kind and slug, or None for the site listing."""
    kind, _, slug = listing.partition("/")
    if not slug or kind not in ListingKind.__members__.values():
        return None
    return ListingKind(kind), slug


def category_of(listing: str) -> str | None:
    """The category slug a listing belongs to, or None for any other listing."""
    parsed = parse_listing(listing)
    return parsed[1] if parsed is not None and parsed[0] is ListingKind.CATEGORY else None


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
    authors: tuple[str, ...] = ()
    updated_at: datetime | None = None
    # The lead image's renditions, for the card's thumbnail.
    image: ImageUse | None = None
    # How the article names the listing it is in: its spelling of the section, tag or author. A
    # listing's heading is its newest entry's, whatever order the stories arrived in.
    listed_as: str = ""
    # What the story's feed item was rendered from (ArticleRecord.rendered_from): a feed keeps the item
    # it holds while this is unchanged, and reads the story's item again when it moves.
    rendered_from: str = ""

    _legacy = model_validator(mode="before")(legacy_author)

    @property
    def key(self) -> Key:
        return (self.listing, self.position)

    def heading(self) -> str:
        """The listing's name as this story spells it (entries written before `listed_as` was kept
        name only their sections)."""
        if self.listed_as:
            return self.listed_as
        slug = category_of(self.listing)
        return next((category.name for category in self.categories if category.slug == slug), "")


class ListingSummary(BaseModel):
    """A listing's member count and revision and, for a section, its name and newest entries.

    The count and the revision are kept by the adapters from the memberships each update adds and
    deletes, so no reader has to count a listing. The site listing's are spread over several items
    on DynamoDB (every update touches it; one item would be a hot key); it reads as one summary."""

    model_config = ConfigDict(frozen=True)

    listing: str
    members: int = 0
    name: str = ""
    newest: tuple[ListingEntry, ...] = ()
    # Grows with every change to the listing's memberships: a renderer that reads the same revision
    # after writing knows that what it rendered still holds.
    revision: int = 0
    # The heading every numbered page of the listing was last rendered with: when the listing's
    # heading changes (its newest story spells it otherwise), the renderer renders them all again
    # and then notes the new one here.
    pages_heading: str = ""
    # An author's profile, and the sequencer of the upload it came from: an older one never
    # replaces it, whatever order the changes are followed in.
    profile: AuthorProfile | None = None
    profile_sequencer: str = ""
    # The file of the listings sitemap that names the listing's front page (0: none yet), chosen the
    # first time it has stories and never changed, and whether it names it now (while it has stories).
    sitemap_file: int = 0
    in_sitemap: bool = False
    # The site listing's: the sections in use (their names) that every page's header was last
    # rebuilt to name; a render that finds others queues the site's rebuild, then notes them here.
    header: tuple[str, ...] = ()

    @property
    def category(self) -> Category | None:
        slug = category_of(self.listing)
        return Category(name=self.name, slug=slug) if slug is not None and self.name else None


def _names(names: Iterable[str], limit: int) -> list[tuple[str, str]]:
    """(slug, name) of the first `limit` distinct slugs."""
    found: dict[str, str] = {}
    for name in names:
        slug = slugify(name)
        if slug and slug not in found:
            found[slug] = name
    return list(found.items())[:limit]


def listed_in(record: ArticleRecord) -> dict[str, str]:
    """The listings a record is in besides the site's, each with the record's name for it. A record
    validated under looser limits (earlier sections beyond five) is listed under the first ones
    only: so that every update, whatever it moves, fits one transaction."""
    return (
        {category_listing(c.slug): c.name for c in record.categories[:MAX_CATEGORIES]}
        | {listing_of(ListingKind.TAG, slug): name for slug, name in _names(record.tags, MAX_TAGS)}
        | {listing_of(ListingKind.AUTHOR, slug): name for slug, name in _names(record.authors, MAX_AUTHORS)}
    )


def memberships(record: ArticleRecord | None) -> dict[Key, ListingEntry]:
    """The entries a record should have: one per section, tag and author, and one in the site
    listing, if it is live."""
    if record is None or not record.is_live or record.published_at is None:
        return {}
    position = position_of(record.published_at, record.source_key)
    listings = {SITE_LISTING: "", **listed_in(record)}
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
            authors=record.authors,
            updated_at=record.updated_at,
            image=record.image,
            listed_as=name,
            rendered_from=record.rendered_from,
        )
        for listing, name in listings.items()
    )
    return {entry.key: entry for entry in entries}


class PageRange(BaseModel):
    """A run of a listing's numbered pages, oldest first: the entries after position `after` (from
    the oldest when empty), the first of which has `rank` entries before it, `count` of them. A rebuild
    splits a long listing into such runs, one job each; the reconciliation sweep walks the archive
    through them, a run per sweep."""

    model_config = ConfigDict(frozen=True)

    listing: str
    after: str = ""
    rank: int = 0
    count: int


@dataclass(frozen=True)
class IndexUpdate:
    """Membership changes, and the summaries they change, written all or nothing.

    `added` keys must not exist yet, and `delete` keys and every other key put must exist: a change
    planned from another state than the table's (replayed, or handled before the change it follows,
    as a stream batch retried from its first failed record does) then fails as a whole instead of
    moving a count it does not match, and is planned again against what the table really holds. Each
    section summary is written only if its revision is still the one read; a tag's or author's, like
    the site's, only counts (its heading is its newest entry's, read when it is rendered). Member
    counts move by the keys added and deleted."""

    put: list[ListingEntry] = field(default_factory=list)
    added: set[Key] = field(default_factory=set)
    delete: list[Key] = field(default_factory=list)
    summaries: list[ListingSummary] = field(default_factory=list)
    # The article whose memberships move: the site listing's count is kept in the shard it picks.
    source_key: str = ""

    def __bool__(self) -> bool:
        return bool(self.put or self.delete)

    @property
    def listings(self) -> set[str]:
        return {entry.listing for entry in self.put} | {listing for listing, _ in self.delete}

    @property
    def counted(self) -> list[str]:
        """The tags and authors whose counts the update moves, each in its own summary item."""
        return sorted(
            listing
            for listing in self.listings
            if (parsed := parse_listing(listing)) is not None and parsed[0] is not ListingKind.CATEGORY
        )

    def member_change(self, listing: str) -> int:
        return sum(key[0] == listing for key in self.added) - sum(key[0] == listing for key in self.delete)

    @property
    def actions(self) -> int:
        """What the update costs as one DynamoDB transaction: one action per item it writes."""
        site_count = 1 if SITE_LISTING in self.listings else 0
        return len(self.put) + len(self.delete) + len(self.summaries) + len(self.counted) + site_count


class IndexConflict(Exception):
    """The index changed between reading and writing: plan again."""


def plan_index_update(
    old: ArticleRecord | None,
    new: ArticleRecord | None,
    held: Mapping[Key, ListingEntry] | None = None,
) -> IndexUpdate:
    """What changes in the index when an article goes from `old` to `new`. `held` is what the index
    holds of the article's memberships, when read; otherwise it is taken to hold exactly `old`'s."""
    stored = memberships(old) if held is None else held
    after = memberships(new)
    record = new or old
    return IndexUpdate(
        put=[entry for key, entry in after.items() if stored.get(key) != entry],
        added={key for key in after if key not in stored},
        delete=[key for key in stored if key not in after],
        source_key=record.source_key if record else "",
    )


def display_name(newest: Iterable[ListingEntry]) -> str:
    """A listing's heading: as its newest article spells it. Decided by the members alone, never by
    which upload arrived first, so reordered deliveries render the same bytes. (With SITE_CATEGORIES
    set, validation gives every article the site's own spelling of its sections.)"""
    return next((name for entry in newest if (name := entry.heading())), "")


def _summary_after(
    listing: str, update: IndexUpdate, summary: ListingSummary | None, newest: list[ListingEntry]
) -> ListingSummary:
    current = summary or ListingSummary(listing=listing)
    removed = set(update.delete) | {entry.key for entry in update.put}
    kept = {entry.key: entry for entry in newest if entry.key not in removed}
    kept.update({entry.key: entry for entry in update.put if entry.listing == listing})
    ordered = sorted(kept.values(), key=lambda entry: entry.position, reverse=True)[:SECTION_SIZE]
    return current.model_copy(update={"name": display_name(ordered), "newest": tuple(ordered)})


def _newest_before(
    index: CategoryIndex, listing: str, update: IndexUpdate, summary: ListingSummary | None
) -> list[ListingEntry]:
    """A category's newest entries before the update. The summary holds them; the table is read only
    when the update removes one of them and the next one has to move up."""
    shown = {entry.key for entry in summary.newest} if summary else set()
    if not shown & set(update.delete):
        return list(summary.newest) if summary else []
    deleted = sum(1 for key in update.delete if key[0] == listing)
    return index.entries(listing, limit=SECTION_SIZE + deleted + 1)


def _planned(update: IndexUpdate, index: CategoryIndex) -> IndexUpdate:
    """The update with the summaries of the sections it touches, as they will be after it."""
    categories = sorted(listing for listing in update.listings if category_of(listing) is not None)
    before = index.summaries(categories) if categories else {}
    after = [
        _summary_after(
            listing, update, before.get(listing), _newest_before(index, listing, update, before.get(listing))
        )
        for listing in categories
    ]
    planned = IndexUpdate(
        put=update.put,
        added=update.added,
        delete=update.delete,
        summaries=after,
        source_key=update.source_key,
    )
    if planned.actions > MAX_ACTIONS:
        raise ValueError(
            f"{update.source_key}: the index update needs {planned.actions} writes, more than the"
            f" {MAX_ACTIONS} one transaction holds"
        )
    return planned


def update_index(old: ArticleRecord | None, new: ArticleRecord | None, index: CategoryIndex) -> IndexUpdate:
    """Move an article's memberships from `old` to `new` in one transaction, keeping every summary exact."""
    update = plan_index_update(old, new)
    for _ in range(_ATTEMPTS):
        if not update:
            return update
        planned = _planned(update, index)
        try:
            index.apply(planned)
        except IndexConflict:
            keys = set(memberships(old)) | set(memberships(new))
            update = plan_index_update(old, new, held=index.existing(keys))
            continue
        return planned
    record = new or old
    raise IndexConflict(f"the index kept changing under {record.source_key if record else 'an article'}")


def settle_index(record: ArticleRecord, index: CategoryIndex) -> IndexUpdate:
    """Bring the index in line with the record as the table holds it now, whatever changes of it were
    lost on the way: its memberships as they should be, and none elsewhere."""
    for _ in range(_ATTEMPTS):
        candidates = index.memberships_of(record.source_key) | set(memberships(record))
        update = plan_index_update(None, record, held=index.existing(candidates))
        if not update:
            return update
        planned = _planned(update, index)
        try:
            index.apply(planned)
        except IndexConflict:
            continue
        return planned
    raise IndexConflict(f"the index kept changing under {record.source_key}")
