"""What the feeds carry: one item per story, with its full sanitised content, rendered with its page.

A listing's feed is rendered from the index, which holds each story's line but not its body (a body
may be far larger than an index item can hold). So the story's renderer writes, beside its page, the
story as a feed needs it (`feed-item.json`: content with absolute URLs, summary, authors, sections,
tags), and a feed reads the items of its entries. A story without one (written by an earlier
release, or lost) is carried with its summary until its page is rendered again.

Two formats are written from the same items: Atom (`feed.xml`) and JSON Feed 1.1 (`feed.json`).
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from urllib.parse import urljoin

import nh3
from pydantic import BaseModel, ConfigDict, ValidationError

from pressrun.index import ListingEntry
from pressrun.model import Category
from pressrun.ports import SiteStore
from pressrun.settings import SiteSettings
from pressrun.urls import absolute, feed_item_key

JSON_FEED = "application/feed+json; charset=utf-8"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
# JSON Feed's form for a publisher's own fields: a key starting with an underscore.
_EXTENSION = "_pressrun"
# Attributes whose value is a URL a feed reader resolves against nothing: made absolute. A feed is
# read away from the site, where a path like /media/... leads nowhere.
_URL_ATTRIBUTES = frozenset({"href", "src"})
# Feed readers show plain images: the page's <picture> sources (AVIF, WebP) and the srcset are left
# out, and the <img> keeps its JPEG fallback.
_FEED_TAGS = nh3.ALLOWED_TAGS
_FEED_ATTRIBUTES = {**nh3.ALLOWED_ATTRIBUTES, "figure": {"class"}}


class FeedItem(BaseModel):
    """One story as every feed carries it."""

    model_config = ConfigDict(frozen=True)

    url: str
    title: str
    summary: str
    content_html: str
    published_at: datetime
    updated_at: datetime
    authors: tuple[str, ...] = ()
    categories: tuple[Category, ...] = ()
    tags: tuple[str, ...] = ()
    # The story's sharing picture (its Open Graph crop), as an absolute URL.
    image: str | None = None
    # What it was rendered from (ArticleRecord.rendered_from): the listing entries carry the same.
    rendered_from: str = ""


def absolute_html(html: str, site_url: str) -> str:
    """The body's sanitised HTML with every link and image made absolute; nh3 parses it again, so what
    comes out is as safe as what the page shows."""
    base = f"{site_url}/"

    def absolutise(_tag: str, attribute: str, value: str) -> str | None:
        return urljoin(base, value) if attribute in _URL_ATTRIBUTES else value

    return nh3.clean(
        html,
        tags=_FEED_TAGS,
        attributes=_FEED_ATTRIBUTES,
        attribute_filter=absolutise,
        link_rel=None,
    ).strip()


def item_from_entry(entry: ListingEntry, site: SiteSettings) -> FeedItem:
    """A story whose feed item is missing: its line in the listing, the summary standing in for the
    content."""
    return FeedItem(
        url=absolute(site.site_url, entry.path),
        title=entry.title,
        summary=entry.summary,
        content_html="",
        published_at=entry.published_at,
        updated_at=entry.updated_at or entry.published_at,
        authors=tuple(entry.authors),
        categories=entry.categories,
    )


ItemReader = Callable[[ListingEntry], FeedItem]


class FeedItems:
    """Each story's feed item for the feeds of one refresh, read at most once. Items a feed already
    carries (its JSON twin as last written, handed to `remember`) are taken from there when the
    story's listing line is unchanged, so a publish reads the new story's item and not the feed's
    other stories' again."""

    def __init__(self, site_store: SiteStore, site: SiteSettings, *, reuse: bool = True) -> None:
        self._site_store = site_store
        self._site = site
        self._reuse = reuse
        self._read: dict[str, FeedItem] = {}
        self._known: dict[str, FeedItem] = {}

    def remember(self, json_feed_key: str) -> None:
        """Take note of the items the JSON feed at this key carries now."""
        if not self._reuse:
            return
        stored = self._site_store.read(json_feed_key)
        if stored is None:
            return
        for item in _items_of(stored):
            self._known.setdefault(item.url, item)

    def __call__(self, entry: ListingEntry) -> FeedItem:
        key = feed_item_key(entry.path)
        if key in self._read:
            return self._read[key]
        url = absolute(self._site.site_url, entry.path)
        known = self._known.get(url)
        if known is not None and _same_line(known, entry):
            self._read[key] = known
            return known
        stored = self._site_store.read(key)
        try:
            found = FeedItem.model_validate_json(stored) if stored is not None else None
        except ValidationError:
            found = None  # written by another release of pressrun: rendered again with its page
        # An item rendered for another site address (SITE_URL changed, no rebuild yet) is stale.
        if found is None or found.url != url:
            found = item_from_entry(entry, self._site)
        self._read[key] = found
        return found


def _same_line(item: FeedItem, entry: ListingEntry) -> bool:
    """Whether an item a feed carries is still the story's: rendered from what the story's listing
    entry says it is rendered from (its words and its images' renditions), with the same dates. A
    story carried with its summary for want of an item is read again each time, until its item is
    there."""
    return (
        bool(item.content_html)
        and bool(item.rendered_from)
        and item.rendered_from == entry.rendered_from
        and item.updated_at == (entry.updated_at or entry.published_at)
        and item.published_at == entry.published_at
    )


def _items_of(stored: bytes) -> list[FeedItem]:
    try:
        feed = json.loads(stored)
        return [
            FeedItem(
                url=item["url"],
                title=item["title"],
                summary=item["summary"],
                content_html=item["content_html"],
                published_at=datetime.fromisoformat(item["date_published"]),
                updated_at=datetime.fromisoformat(item["date_modified"]),
                authors=tuple(author["name"] for author in item.get("authors", [])),
                categories=tuple(Category(**section) for section in item[_EXTENSION]["sections"]),
                tags=tuple(item[_EXTENSION]["tags"]),
                image=item.get("image"),
                rendered_from=item[_EXTENSION].get("rendered_from", ""),
            )
            for item in feed["items"]
            if item.get(_EXTENSION, {}).get("full")
        ]
    except (ValueError, KeyError, TypeError, ValidationError):
        return []  # another release's feed: every item is read again


def feed_items(
    entries: Iterable[ListingEntry], reader: ItemReader | None, site: SiteSettings
) -> list[FeedItem]:
    if reader is None:
        return [item_from_entry(entry, site) for entry in entries]
    return [reader(entry) for entry in entries]


def json_feed(
    items: Sequence[FeedItem],
    site: SiteSettings,
    *,
    title: str,
    home_path: str,
    feed_path: str,
    icon: str,
) -> bytes:
    """A JSON Feed 1.1 document. Keys are written in a fixed order and nothing depends on the clock,
    so an unchanged feed keeps its bytes."""
    feed: dict[str, object] = {
        "version": JSON_FEED_VERSION,
        "title": title,
        "home_page_url": absolute(site.site_url, home_path),
        "feed_url": absolute(site.site_url, feed_path),
        "description": site.site_tagline,
        "icon": icon,
        "language": site.site_language,
        "authors": [{"name": site.site_name}],
    }
    if site.websub_hub:
        feed["hubs"] = [{"type": "WebSub", "url": site.websub_hub}]
    feed["items"] = [_json_item(item, site) for item in items]
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _json_item(item: FeedItem, site: SiteSettings) -> Mapping[str, object]:
    tags = list(dict.fromkeys([*(category.name for category in item.categories), *item.tags]))
    # What JSON Feed has no field for, kept so that the next render can take the item from here.
    extension = {
        "about": "pressrun: the story's sections and tags apart, so the feed can be rendered from itself",
        "full": bool(item.content_html),
        "sections": [category.model_dump() for category in item.categories],
        "tags": list(item.tags),
        "rendered_from": item.rendered_from,
    }
    return {
        "id": item.url,
        "url": item.url,
        "title": item.title,
        "content_html": item.content_html or _summary_html(item.summary),
        "summary": item.summary,
        **({"image": item.image} if item.image else {}),
        # On the site's clock, as its pages say, whatever zone the time was read in.
        "date_published": item.published_at.astimezone(site.zone).isoformat(),
        "date_modified": item.updated_at.astimezone(site.zone).isoformat(),
        **({"authors": [{"name": name} for name in item.authors]} if item.authors else {}),
        **({"tags": tags} if tags else {}),
        _EXTENSION: extension,
    }


def _summary_html(summary: str) -> str:
    return f"<p>{html.escape(summary, quote=False)}</p>"
