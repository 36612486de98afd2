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
        authors=(entry.author,) if entry.author else (),
        categories=entry.categories,
    )


ItemReader = Callable[[ListingEntry], FeedItem]


def item_reader(site_store: SiteStore, site: SiteSettings) -> ItemReader:
    """Reads each story's feed item once, however many feeds of one render list it."""
    read: dict[str, FeedItem] = {}

    def item(entry: ListingEntry) -> FeedItem:
        key = feed_item_key(entry.path)
        if key not in read:
            stored = site_store.read(key)
            try:
                found = FeedItem.model_validate_json(stored) if stored is not None else None
            except ValidationError:
                found = None  # written by another release of pressrun: rendered again with its page
            # An item rendered for another site address (SITE_URL changed, no rebuild yet) is stale.
            if found is None or found.url != absolute(site.site_url, entry.path):
                found = item_from_entry(entry, site)
            read[key] = found
        return read[key]

    return item


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
    }


def _summary_html(summary: str) -> str:
    return f"<p>{html.escape(summary, quote=False)}</p>"
