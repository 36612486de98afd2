"""The one place that turns articles and listings into paths, and paths into bucket keys."""

from __future__ import annotations

from datetime import datetime

HOME = "/"
FEED = "/feed.xml"
SITEMAP = "/sitemap.xml"
NEWS_SITEMAP = "/news-sitemap.xml"
ROBOTS = "/robots.txt"
NOT_FOUND = "/404.html"
STYLESHEET = "/style.css"
_INDEX = "index.html"


def article_path(slug: str, published_at: datetime) -> str:
    return f"/{published_at:%Y/%m/%d}/{slug}/"


def category_path(category_slug: str) -> str:
    return f"/category/{category_slug}/"


def category_page_path(category_slug: str, number: int) -> str:
    return f"/category/{category_slug}/page/{number}/"


def category_feed_path(category_slug: str) -> str:
    return f"/category/{category_slug}/feed.xml"


def sitemap_chunk_path(number: int) -> str:
    return f"/sitemaps/{number}.xml"


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


def absolute(site_url: str, path: str) -> str:
    return f"{site_url}{path}"
