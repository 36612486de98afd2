"""Pages from articles and listing entries. Rendering is deterministic: the same input gives the same
bytes, so an unchanged page is recognised by its hash and never rewritten or invalidated."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape

from pressrun.index import ListingEntry, ListingSummary
from pressrun.markup import body_html
from pressrun.model import Article, Category
from pressrun.settings import SiteSettings
from pressrun.urls import (
    FEED,
    HOME,
    NEWS_SITEMAP,
    NOT_FOUND,
    SITEMAP,
    absolute,
    category_feed_path,
    category_page_path,
    category_path,
    sitemap_chunk_path,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _human_date(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def _atom_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@cache
def _environment(theme_dir: str) -> Environment:
    # A newsroom's own templates, where it has them, win over the built-in ones of the same name.
    loaders: list[BaseLoader] = [FileSystemLoader(theme_dir)] if theme_dir else []
    environment = Environment(
        loader=ChoiceLoader([*loaders, PackageLoader("pressrun", "templates")]),
        autoescape=select_autoescape(("html", "xml")),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["human_date"] = _human_date
    environment.filters["atom_time"] = _atom_time
    environment.globals.update(
        category_path=category_path,
        category_page_path=category_page_path,
        category_feed_path=category_feed_path,
        sitemap_chunk_path=sitemap_chunk_path,
    )
    return environment


def _render(template: str, site: SiteSettings, **context: Any) -> bytes:
    page = (
        _environment(site.theme_dir)
        .get_template(template)
        .render(site=site, url=lambda path: absolute(site.site_url, path), **context)
    )
    return page.encode("utf-8")


def _news_article(article: Article, site: SiteSettings, modified: datetime) -> dict[str, Any]:
    """schema.org NewsArticle, for search engines and news aggregators."""
    return {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": article.summary,
        "datePublished": article.published_at.isoformat(),
        "dateModified": modified.isoformat(),
        "author": [{"@type": "Person", "name": article.author}]
        if article.author
        else [{"@type": "Organization", "name": site.site_name}],
        "articleSection": [category.name for category in article.categories],
        "mainEntityOfPage": absolute(site.site_url, article.path),
        "url": absolute(site.site_url, article.path),
        "inLanguage": site.site_language,
        "publisher": {"@type": "Organization", "name": site.site_name, "url": absolute(site.site_url, HOME)},
    } | ({"keywords": list(article.tags)} if article.tags else {})


def article_page(article: Article, site: SiteSettings, modified: datetime | None = None) -> bytes:
    modified = modified or article.published_at
    return _render(
        "article.html",
        site,
        article=article,
        body=body_html(article.body),
        modified=modified,
        news_article=_news_article(article, site, modified),
        path=article.path,
    )


def category_page(
    category: Category,
    entries: Sequence[ListingEntry],
    site: SiteSettings,
    page: int | None = None,
    older_page: int | None = None,
) -> bytes:
    """The category's front page (page None: its newest articles) or one of its numbered pages."""
    path = category_path(category.slug) if page is None else category_page_path(category.slug, page)
    return _render(
        "category.html", site, category=category, entries=entries, page=page, older_page=older_page, path=path
    )


def home_page(
    entries: Sequence[ListingEntry], sections: Sequence[ListingSummary], site: SiteSettings
) -> bytes:
    return _render("home.html", site, entries=entries, sections=sections, path=HOME)


def _feed(
    entries: Sequence[ListingEntry], site: SiteSettings, title: str, self_path: str, home: str
) -> bytes:
    # The feed's own time is its newest entry's, not the clock's, so an unchanged feed stays byte-identical.
    updated = max((entry.updated_at or entry.published_at for entry in entries), default=_EPOCH)
    return _render(
        "feed.xml", site, entries=entries, updated=updated, title=title, self_path=self_path, home_path=home
    )


def atom_feed(entries: Sequence[ListingEntry], site: SiteSettings) -> bytes:
    return _feed(entries, site, site.site_name, FEED, HOME)


def category_feed(category: Category, entries: Sequence[ListingEntry], site: SiteSettings) -> bytes:
    title = f"{category.name} · {site.site_name}"
    return _feed(entries, site, title, category_feed_path(category.slug), category_path(category.slug))


def sitemap(entries: Sequence[ListingEntry], site: SiteSettings, home: bool = False) -> bytes:
    return _render("sitemap.xml", site, entries=entries, home=home)


def sitemap_index(chunks: int, newest: Sequence[ListingEntry], site: SiteSettings) -> bytes:
    lastmod = max((entry.updated_at or entry.published_at for entry in newest), default=_EPOCH)
    return _render("sitemap_index.xml", site, chunks=range(1, chunks + 1), lastmod=lastmod)


def news_sitemap(entries: Sequence[ListingEntry], site: SiteSettings) -> bytes:
    return _render("news_sitemap.xml", site, entries=entries, language=site.site_language.split("-")[0])


def robots(site: SiteSettings, news: bool) -> bytes:
    return _render("robots.txt", site, sitemaps=[SITEMAP, NEWS_SITEMAP] if news else [SITEMAP])


def not_found_page(site: SiteSettings) -> bytes:
    return _render("404.html", site, path=NOT_FOUND)


def stylesheet(site: SiteSettings) -> bytes:
    themed = Path(site.theme_dir, "style.css") if site.theme_dir else None
    if themed is not None and themed.is_file():
        return themed.read_bytes()
    return files("pressrun").joinpath("templates", "style.css").read_bytes()
