"""Related stories: what a story's page offers next, read from the index in a bounded number of queries.

Candidates are the stories published before it in its first few tags and in its first section, the
newest few of each (one query per listing); they are ranked by how many of those tags they share with
it, then by whether they share a section with it, then by recency. Fewer than MINIMUM found (a new
tag, a young site) are made up from the site's stories published just before it.

Only earlier stories, chosen when the page is rendered: the page is kept by the CDN until the story
changes, and a later story joining its tags neither re-renders nor invalidates it. So the choice is
the same each time the page is rendered (a rebuild, or the sweep passing it, rewrites nothing), and
it changes only when an earlier story arrives late (a backfill, a delivery overtaken), or one is
edited in what its line shows, or taken down: the change's own render then renders again the later
stories that may name it (`later_neighbours`), at most PER_LISTING in each listing it moves.
"""

from __future__ import annotations

from collections import Counter

from pressrun.index import (
    SITE_LISTING,
    IndexUpdate,
    ListingEntry,
    ListingKind,
    category_listing,
    listing_of,
    parse_listing,
    position_of,
)
from pressrun.model import ArticleRecord, slugify
from pressrun.ports import CategoryIndex

# How many a page shows at most, and at least when the site has that many earlier stories.
MOST = 5
MINIMUM = 3
# The tags read (an editor puts the telling ones first), and how many of each listing's newest.
TAGS_READ = 5
PER_LISTING = 10


def related_stories(record: ArticleRecord, index: CategoryIndex) -> list[ListingEntry]:
    """Up to MOST stories published before this one, most related first: at most TAGS_READ + 2
    queries of the index, whatever the size of the site or of its listings."""
    if record.published_at is None:
        return []
    before = position_of(record.published_at, record.source_key)
    tags = list(dict.fromkeys(slug for tag in record.tags if (slug := slugify(tag))))[:TAGS_READ]
    found: dict[str, ListingEntry] = {}
    shared_tags: Counter[str] = Counter()
    for slug in tags:
        for entry in index.entries(listing_of(ListingKind.TAG, slug), limit=PER_LISTING, before=before):
            found.setdefault(entry.source_key, entry)
            shared_tags[entry.source_key] += 1
    if record.categories:
        for entry in index.entries(
            category_listing(record.categories[0].slug), limit=PER_LISTING, before=before
        ):
            found.setdefault(entry.source_key, entry)
    if len(found) < MINIMUM:
        for entry in index.entries(SITE_LISTING, limit=PER_LISTING, before=before):
            found.setdefault(entry.source_key, entry)
    found.pop(record.source_key, None)
    sections = {category.slug for category in record.categories}

    def shares_a_section(entry: ListingEntry) -> bool:
        return any(category.slug in sections for category in entry.categories)

    newest_first = sorted(found.values(), key=lambda entry: entry.position, reverse=True)
    ranked = sorted(
        newest_first, key=lambda entry: (-shared_tags[entry.source_key], not shares_a_section(entry))
    )
    return ranked[:MOST]


def later_neighbours(update: IndexUpdate, index: CategoryIndex) -> list[str]:
    """The stories whose related stories may change with this update of one story's memberships: in
    each of its tags, sections and the site's listing, the PER_LISTING published just after it (a
    story reads only the PER_LISTING newest before it in a listing, so none further can name it).
    One query per listing; none is read for its authors, which relate nothing."""
    moved: dict[str, str] = {}
    for listing, position in [*(entry.key for entry in update.put), *update.delete]:
        parsed = parse_listing(listing)
        if listing == SITE_LISTING or (parsed is not None and parsed[0] is not ListingKind.AUTHOR):
            moved[listing] = min(position, moved.get(listing, position))
    found: dict[str, None] = {}
    for listing, position in sorted(moved.items()):
        later = index.entries(listing, limit=PER_LISTING + 1, since=position, oldest_first=True)
        for entry in later:
            if entry.position > position and entry.source_key != update.source_key:
                found.setdefault(entry.source_key)
    return list(found)
