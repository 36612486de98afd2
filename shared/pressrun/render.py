"""Pages from articles and listing entries. Rendering is deterministic: the same input gives the same
bytes, so an unchanged page is recognised by its hash and never rewritten or invalidated."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from pressrun.index import ListingEntry
from pressrun.markup import body_html
from pressrun.model import Article, Category
from pressrun.settings import SiteSettings
from pressrun.urls import FEED, HOME, SITEMAP, absolute, category_path

STYLESHEET = "/style.css"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _human_date(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def _atom_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("pressrun", "templates"),
        autoescape=select_autoescape(("html", "xml")),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["human_date"] = _human_date
    environment.filters["atom_time"] = _atom_time
    environment.globals["category_path"] = category_path
    return environment


def _render(template: str, site: SiteSettings, **context: Any) -> bytes:
    page = (
        _environment()
        .get_template(template)
        .render(site=site, url=lambda path: absolute(site.site_url, path), **context)
    )
    return page.encode("utf-8")


def article_page(article: Article, site: SiteSettings, modified: datetime | None = None) -> bytes:
    return _render(
        "article.html",
        site,
        article=article,
        body=body_html(article.body),
        modified=modified or article.published_at,
    )


def category_page(category: Category, entries: Sequence[ListingEntry], site: SiteSettings) -> bytes:
    return _render("category.html", site, category=category, entries=entries)


def home_page(entries: Sequence[ListingEntry], site: SiteSettings) -> bytes:
    return _render("home.html", site, entries=entries)


def atom_feed(entries: Sequence[ListingEntry], site: SiteSettings) -> bytes:
    # The feed's own time is its newest entry's, not the clock's, so an unchanged feed stays byte-identical.
    updated = max((entry.published_at for entry in entries), default=_EPOCH)
    return _render("feed.xml", site, entries=entries, updated=updated, self_path=FEED, home_path=HOME)


def sitemap(entries: Sequence[ListingEntry], site: SiteSettings) -> bytes:
    return _render("sitemap.xml", site, entries=entries, sitemap_path=SITEMAP)


def stylesheet() -> bytes:
    return files("pressrun").joinpath("templates", "style.css").read_bytes()
