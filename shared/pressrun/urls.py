"""The one place that turns articles and listings into paths, and paths into bucket keys."""

from __future__ import annotations

import re
from datetime import UTC, datetime

HOME = "/"
FEED = "/feed.xml"
FEED_JSON = "/feed.json"
SITEMAP = "/sitemap.xml"
NEWS_SITEMAP = "/news-sitemap.xml"
# The home page and every section's, tag's and author's front page (an index of numbered files past
# SITEMAP_SIZE of them).
LISTINGS_SITEMAP = "/sitemap-listings.xml"
ROBOTS = "/robots.txt"
NOT_FOUND = "/404.html"
STYLESHEET = "/style.css"
LOGO = "/logo.png"
SEARCH = "/search/"
SEARCH_SCRIPT = "/search.js"
# Pagefind's bundle (pressrun.search): its UI, its WebAssembly and the index itself.
SEARCH_BUNDLE = "pagefind/"
# Renditions of images, under content-addressed names that never change (pressrun.images).
MEDIA_PREFIX = "media/"
# Private previews of drafts and scheduled stories: /preview/<expiry>-<token>/ (pressrun.previews).
PREVIEW_PREFIX = "preview/"
_INDEX = "index.html"
_FEED_ITEM = "feed-item.json"
_SITEMAP_KEY = re.compile(r"(news-)?sitemap(-listings)?(-\d+)?\.xml")


def article_path(slug: str, published_at: datetime) -> str:
    return f"/{published_at:%Y/%m/%d}/{slug}/"


# The expiry in a preview's address: UTC, to the minute, so that it compares as text (the CDN's
# function compares it with the clock that way).
_PREVIEW_STAMP = "%Y%m%d%H%M"
_PREVIEW_PATH = re.compile(r"/preview/(\d{12})-([A-Za-z0-9_-]+)/(?:index\.html)?")


def preview_path(expires: datetime, token: str) -> str:
    return f"/{PREVIEW_PREFIX}{expires.astimezone(UTC):{_PREVIEW_STAMP}}-{token}/"


def is_preview_key(key: str) -> bool:
    return key.startswith(PREVIEW_PREFIX)


def preview_expiry(path: str) -> datetime | None:
    """When the preview at this path (or object key) stops answering; None for a path that is no
    preview's address."""
    match = _PREVIEW_PATH.fullmatch(path if path.startswith("/") else f"/{path}")
    if match is None:
        return None
    try:
        return datetime.strptime(match.group(1), _PREVIEW_STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def refused_preview(path: str, now: datetime) -> bool:
    """Whether a request for this path must answer 404 whatever the bucket holds: an address under
    /preview/ that is no preview's, or one whose expiry has passed. The CDN's viewer-request function
    (template.yaml) and the local servers apply this same rule."""
    if not path.startswith(f"/{PREVIEW_PREFIX}"):
        return False
    expires = preview_expiry(path)
    return expires is None or now >= expires


def slug_of(article_path: str) -> str:
    """The slug an article path ends with: `/2025/06/25/<slug>/`."""
    return article_path.rstrip("/").rsplit("/", 1)[-1]


def day_folder(article_key: str) -> str:
    """The folder of every article page of that day: `2025/06/15` for `2025/06/15/<slug>/index.html`."""
    return article_key.rsplit("/", 2)[0]


# The folders of the listings an article is in besides the site's: /category/<slug>/ (a section),
# /tag/<slug>/, /author/<slug>/. A listing is named by its folder: "tag/<slug>" lives at /tag/<slug>/.
LISTING_FOLDERS = ("category", "tag", "author")


def listing_path(listing: str) -> str:
    return f"/{listing}/"


def listing_page_path(listing: str, number: int) -> str:
    return f"/{listing}/page/{number}/"


def listing_feed_path(listing: str) -> str:
    return f"/{listing}/feed.xml"


def category_path(category_slug: str) -> str:
    return listing_path(f"category/{category_slug}")


def category_page_path(category_slug: str, number: int) -> str:
    return listing_page_path(f"category/{category_slug}", number)


def category_feed_path(category_slug: str) -> str:
    return listing_feed_path(f"category/{category_slug}")


def tag_path(slug: str) -> str:
    return listing_path(f"tag/{slug}")


def author_path(slug: str) -> str:
    return listing_path(f"author/{slug}")


def json_feed_path(atom_path: str) -> str:
    """The JSON Feed beside an Atom feed: `/feed.json` beside `/feed.xml`."""
    return f"{atom_path.removesuffix('.xml')}.json"


def feed_item_key(article_path: str) -> str:
    """Where a story's feed item (`pressrun.feeds`) is kept: beside its page, so that the page's
    settling writes and removes both."""
    return f"{article_path.lstrip('/')}{_FEED_ITEM}"


def is_feed_key(key: str) -> bool:
    """Whether the object is a feed (Atom or JSON Feed, the site's or a listing's): what a WebSub hub
    is told of."""
    return key.rsplit("/", 1)[-1] in (FEED.lstrip("/"), FEED_JSON.lstrip("/"))


def sitemap_chunk_path(number: int) -> str:
    # Beside /sitemap.xml rather than in a folder: one listing of the root compares them all.
    return f"/sitemap-{number}.xml"


def listings_sitemap_chunk_path(number: int) -> str:
    return f"/sitemap-listings-{number}.xml"


def object_key(path: str) -> str:
    """The site bucket key that serves `path`: a directory path is served by its index.html."""
    key = path.lstrip("/")
    return f"{key}{_INDEX}" if path.endswith("/") else key


def public_paths(key: str) -> list[str]:
    """Every path a reader may use for the object at `key`: /x/index.html is also reachable as /x/."""
    paths = [f"/{key}"]
    if key == _INDEX or key.endswith(f"/{_INDEX}"):
        paths.insert(0, f"/{key[: -len(_INDEX)]}")
    return paths


def cache_tags(key: str) -> tuple[str, ...]:
    """The CloudFront cache tags of the object at `key`: what one change invalidates, in tag mode.

    A story's page is its own tag; every page and feed of a section, tag or author listing share one
    (`category:<slug>`, `tag:<slug>`, `author:<slug>`), as do the sitemaps; the rest of the site is
    `site`. So one publish touches a handful of tags however many
    listing pages the category has.
    """
    parts = key.split("/")
    if key == _INDEX:
        return ("home",)
    if key in (FEED.lstrip("/"), FEED_JSON.lstrip("/")):
        return ("feed",)
    if parts[0] in LISTING_FOLDERS and len(parts) > 2:
        return (f"{parts[0]}:{parts[1]}",)
    if _SITEMAP_KEY.fullmatch(key):
        return ("sitemap",)
    if is_immutable(key):
        return ("media",)
    if is_preview_key(key):
        # Never cached (`cache_control`), so never invalidated: the tag is for completeness.
        return ("preview",)
    if len(parts) == 5 and parts[4] == _INDEX and all(part.isdigit() for part in parts[:3]):
        return (f"article:{parts[3]}",)
    return ("site",)


_ARTICLE_KEY = re.compile(r"\d{4}/\d{2}/\d{2}/[^/]+/index\.html")
# A year: what the CDN keeps a story page or the stylesheet, since each change of them is invalidated.
_CDN_KEEPS_PAGES = 31_536_000
# Readers' browsers keep a story a minute: a correction reaches a reader who reloads.
_BROWSERS_KEEP_PAGES = 60


def article_key_path(key: str) -> str | None:
    """The article path an object key serves, if it is an article page: `/2025/06/25/<slug>/`."""
    return f"/{key.removesuffix(_INDEX)}" if _ARTICLE_KEY.fullmatch(key) else None


def feed_item_path(key: str) -> str | None:
    """The article path whose feed item an object key is, if it is one: `/2025/06/25/<slug>/`."""
    if not key.endswith(f"/{_FEED_ITEM}"):
        return None
    return article_key_path(f"{key.removesuffix(_FEED_ITEM)}{_INDEX}")


def listing_of_key(key: str) -> str | None:
    """The listing (section, tag or author) whose page or feed an object key is, if it is one."""
    parts = key.split("/")
    return f"{parts[0]}/{parts[1]}" if len(parts) > 2 and parts[0] in LISTING_FOLDERS else None


def is_immutable(key: str) -> bool:
    """Whether the object's bytes can never change: an image rendition, named by the hash of its
    source. A new image gets new names, so nothing cached under these is ever stale."""
    return key.startswith(MEDIA_PREFIX)


def is_long_cached(key: str) -> bool:
    """Whether the CDN keeps the object until told otherwise: story pages and the stylesheet, whose
    changes are invalidated, and image renditions, which never change. Everything else (listings,
    feeds, sitemaps) changes with every story and expires by itself within LISTING_FRESHNESS_SECONDS,
    which costs no invalidation."""
    return bool(_ARTICLE_KEY.fullmatch(key)) or key == STYLESHEET.lstrip("/") or is_immutable(key)


def cache_control(key: str, listing_freshness_seconds: int) -> str:
    """The Cache-Control an object is stored with, which the CDN and browsers follow."""
    if is_preview_key(key):
        # A preview is private and revocable: no shared cache may keep it, nor any browser.
        return "no-store, private"
    if is_immutable(key):
        return f"public, max-age={_CDN_KEEPS_PAGES}, immutable"
    if is_long_cached(key):
        return f"public, max-age={_BROWSERS_KEEP_PAGES}, s-maxage={_CDN_KEEPS_PAGES}"
    seconds = listing_freshness_seconds
    return f"public, max-age={seconds}, stale-while-revalidate={seconds}"


def absolute(site_url: str, path: str) -> str:
    return f"{site_url}{path}"
