"""Article pages follow the articles table: a live article has its page, and nothing else does."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pressrun import render
from pressrun.index import SITE_LISTING, IndexUpdate, ListingKind, ListingSummary, listing_of
from pressrun.model import ArticleRecord, AuthorProfile, Category, SiteWrite, slugify
from pressrun.ports import ArticleRepository, CategoryIndex, SiteStore, UploadStore
from pressrun.related import later_neighbours, related_stories
from pressrun.settings import SiteSettings
from pressrun.urls import feed_item_key, object_key, slug_of
from pressrun.validation import parse_article

HTML = "text/html; charset=utf-8"
JSON = "application/json"


class SourceMissing(Exception):
    """The recorded version of an upload cannot be read: retrying later is the only sane answer."""


def sections_in_use(index: CategoryIndex, site: SiteSettings) -> tuple[Category, ...]:
    """The sections every page's header names: SITE_CATEGORIES without a read, or else those with
    stories, from one query of the sections' summaries (the home page's read)."""
    return read_header(index, site).sections


@dataclass(frozen=True)
class HeaderRead:
    """The sections in use, and the set the site's summary notes (`ListingSummary.header`) as read
    with them: the set the last rebuild for the header was queued for."""

    sections: tuple[Category, ...]
    noted: tuple[str, ...] = ()


def read_header(index: CategoryIndex, site: SiteSettings) -> HeaderRead:
    """The sections a page's header names (`page_header`), and the noted set, from one query of the
    sections' and site's summaries; SITE_CATEGORIES without a read."""
    if site.site_categories:
        return HeaderRead(render.header_sections((), site))
    summaries = index.summaries()
    return HeaderRead(page_header(summaries, site), noted_header(summaries))


def page_header(summaries: Mapping[str, ListingSummary], site: SiteSettings) -> tuple[Category, ...]:
    """The sections a page's header names, from summaries read with the site's: the set the site's
    summary notes, which its last header rebuild was queued for, so a page rendered with it is
    rendered again by the next rebuild whenever the set moves on. The sections' summaries can be ahead
    of it (their listing render, which notes and queues, has not run yet) or, for a moment, behind it;
    a page rendered from them could name a set that comes and goes before any render notes it, and
    that no rebuild would then put right (found by the delivery simulation). Only a site that has
    noted nothing yet is named from them. SITE_CATEGORIES, where set."""
    noted = noted_header(summaries)
    if noted and not site.site_categories:
        return render.named_sections(noted)
    return render.header_sections(summaries.values(), site)


def noted_header(summaries: Mapping[str, ListingSummary]) -> tuple[str, ...]:
    """The set of sections the site's summary notes (`ListingSummary.header`), if it was read."""
    site_summary = summaries.get(SITE_LISTING)
    return site_summary.header if site_summary else ()


def header_overtaken(read: HeaderRead, index: CategoryIndex, site: SiteSettings) -> bool:
    """Whether pages rendered with `read` and written since may have been overtaken: the site's summary
    notes another set now (one read). A render that noted it queued a rebuild whose jobs may have
    rendered these pages before they were written, so they are rendered again; a set noted after this
    check is followed by a rebuild that renders them after. Never with SITE_CATEGORIES."""
    if site.site_categories:
        return False
    return noted_header(index.summaries([SITE_LISTING])) != read.noted


def article_page(
    record: ArticleRecord,
    uploads: UploadStore,
    site: SiteSettings,
    index: CategoryIndex | None = None,
    *,
    preview: bool = False,
    header: Sequence[Category] | None = None,
) -> bytes:
    """The page of the version the record names, rendered from its upload. Its `preview` is the
    story as it will read, marked as not published and kept from search engines."""
    return article_objects(record, uploads, site, index, preview=preview, header=header)[
        object_key(record.path)
    ][0]


def article_objects(
    record: ArticleRecord,
    uploads: UploadStore,
    site: SiteSettings,
    index: CategoryIndex | None = None,
    *,
    preview: bool = False,
    header: Sequence[Category] | None = None,
) -> dict[str, tuple[bytes, str]]:
    """What the version the record names puts on the site, from one parse of its upload: its page, with
    the stories related to it that the index holds (none without an index: a page rendered on its own,
    in tests) and the sections in use in its header (`header`, or read from the index; a preview names
    its own sections only: no rebuild renders it again when the sections in use change), and its item
    for the feeds that list it (`pressrun.feeds`)."""
    data = uploads.read(record.source_key, record.source_version, site.max_upload_bytes)
    if data is None:
        raise SourceMissing(f"{record.source_key} version {record.source_version} is gone")
    article = parse_article(record.source_key, data, site)
    modified = record.updated_at or article.published_at
    related = related_stories(record, index) if index is not None else []
    page = render.article_page(
        article,
        site,
        modified=modified,
        record=record,
        related=related,
        profiles=author_profiles(article.authors, index) if index is not None else {},
        preview_expires=record.preview.expires if preview and record.preview else None,
        header=header if header is not None or index is None or preview else sections_in_use(index, site),
    )
    return {
        object_key(record.path): (page, HTML),
        feed_item_key(record.path): (render.feed_item(article, site, modified=modified, record=record), JSON),
    }


def author_profiles(authors: Iterable[str], index: CategoryIndex) -> dict[str, AuthorProfile]:
    """The profiles of a story's authors that have one, by slug: one read of their summaries."""
    listings = {listing_of(ListingKind.AUTHOR, slug): slug for name in authors if (slug := slugify(name))}
    if not listings:
        return {}
    summaries = index.summaries(sorted(listings))
    return {
        slug: summary.profile
        for listing, slug in listings.items()
        if (summary := summaries.get(listing)) is not None and summary.profile is not None
    }


def apply_article_change(
    old: ArticleRecord | None,
    new: ArticleRecord | None,
    uploads: UploadStore,
    articles: ArticleRepository,
    site_store: SiteStore,
    site: SiteSettings,
    index: CategoryIndex | None = None,
) -> list[SiteWrite]:
    """Settle the page at every path the change touches; what changed.

    A path's page is written or removed only on behalf of the article that owns the path now, read
    from the tables, never from the change itself. Changes of different articles arrive in any order
    (a rename's two records are on different stream shards): acting on the record would let the old
    file's removal delete the page its successor had just written at the same address."""
    paths = dict.fromkeys(record.path for record in (new, old) if record is not None and record.path)
    changed: list[SiteWrite] = []
    for path in paths:
        written = settle_page(path, uploads, articles, site_store, site, index)
        if written is not None:
            changed.append(written)
    return changed


def settle_related_pages(
    update: IndexUpdate,
    uploads: UploadStore,
    articles: ArticleRepository,
    site_store: SiteStore,
    site: SiteSettings,
    index: CategoryIndex,
) -> list[SiteWrite]:
    """Render again the pages of the later stories that may name this story among their related ones
    (it arrived after them, or changed what its line shows, or went): read after the update is
    written, so each render sees it. A page whose bytes do not change is not written."""
    if not update:
        return []
    changed: list[SiteWrite] = []
    for record in articles.by_keys(later_neighbours(update, index)):
        if record.is_live and record.path:
            written = settle_page(record.path, uploads, articles, site_store, site, index)
            if written is not None:
                changed.append(written)
    return changed


def settle_page(
    path: str,
    uploads: UploadStore,
    articles: ArticleRepository,
    site_store: SiteStore,
    site: SiteSettings,
    index: CategoryIndex | None = None,
) -> SiteWrite | None:
    """Write the owner's page at the path, or remove the page when nobody live owns it. Checked after
    the write: if the owner changed meanwhile, another render may have written in between, and this
    one may have overwritten it with an older page, so it settles the path again; so it does if the
    sections in use were noted anew meanwhile (`header_overtaken`)."""
    key = object_key(path)
    owner = _live_owner(path, articles)
    for _ in range(_SETTLE_ATTEMPTS):
        header = read_header(index, site) if index is not None and owner is not None else None
        if owner is None:
            written = site_store.delete(key)
            site_store.delete(feed_item_key(path))
        else:
            objects = article_objects(owner, uploads, site, index, header=header.sections if header else None)
            written = site_store.put(key, *objects.pop(key))
            # The item after the page: a feed never names a story whose page is not there yet.
            for item_key, (body, content_type) in objects.items():
                site_store.put(item_key, body, content_type)
        now_owner = _live_owner(path, articles)
        overtaken = header is not None and index is not None and header_overtaken(header, index, site)
        if _same_page(now_owner, owner) and not overtaken:
            return written
        owner = now_owner
    raise PageKeptChanging(f"the owner of {path} kept changing while its page was written")


class PageKeptChanging(Exception):
    """Every write of a page was overtaken by another change of its owner: the record is retried."""


# Two articles racing for one address settle within a try or two; more is retried by the stream.
_SETTLE_ATTEMPTS = 3


def _live_owner(path: str, articles: ArticleRepository) -> ArticleRecord | None:
    """The live article whose page this path is: the holder of the path's slug, if live there."""
    holder = articles.slug_holder(slug_of(path))
    record = articles.current(holder) if holder is not None else None
    return record if record is not None and record.is_live and record.path == path else None


def _same_page(first: ArticleRecord | None, second: ArticleRecord | None) -> bool:
    """Whether two owners render the same page: the same upload version, dated alike."""

    def identity(record: ArticleRecord | None) -> tuple[object, ...] | None:
        if record is None:
            return None
        return (record.source_key, record.source_version, record.updated_at, record.path)

    return identity(first) == identity(second)
