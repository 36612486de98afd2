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

from pressrun.feeds import FeedItem, ItemReader, absolute_html, feed_items, json_feed
from pressrun.images import CROP_SHAPES, crop_spec, image_key, media_key
from pressrun.index import ListingEntry, ListingSummary
from pressrun.markup import Figure, body_html
from pressrun.model import Article, ArticleRecord, Category, Focus, ImageRef, ImageUse
from pressrun.settings import SiteSettings
from pressrun.urls import (
    FEED,
    FEED_JSON,
    HOME,
    NEWS_SITEMAP,
    NOT_FOUND,
    SEARCH,
    SITEMAP,
    absolute,
    category_feed_path,
    category_page_path,
    category_path,
    json_feed_path,
    sitemap_chunk_path,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# How wide a picture is shown: the column (42rem less its padding), or the screen on a phone. The
# browser picks the rendition from these and the srcset.
SIZES = "(min-width: 44rem) 40rem, calc(100vw - 2rem)"
THUMBNAIL_SIZES = "7rem"
# The width of the JPEG an old browser gets: a column's worth on a common screen.
_FALLBACK_WIDTH = 960


class Picture:
    """An image as a page shows it: its renditions' srcsets, the fallback, its size, and words."""

    def __init__(
        self,
        use: ImageUse,
        alt: str,
        caption: str | None = None,
        credit: str | None = None,
        lead: bool = False,
    ) -> None:
        self.use = use
        self.alt = alt
        self.caption = caption
        self.credit = credit
        self.lead = lead
        self.sizes = SIZES

    def url(self, width: int, extension: str) -> str:
        return f"/{media_key(self.use.hash, f'{width}.{extension}')}"

    def srcset(self, extension: str, widths: tuple[int, ...] | None = None) -> str:
        return ", ".join(f"{self.url(w, extension)} {w}w" for w in widths or self.use.widths)

    @property
    def fallback(self) -> str:
        fitting = [w for w in self.use.widths if w <= _FALLBACK_WIDTH]
        return self.url(fitting[-1] if fitting else self.use.widths[0], "jpg")

    @property
    def width(self) -> int:
        return self.use.widths[-1]

    @property
    def height(self) -> int:
        return max(1, round(self.use.widths[-1] * self.use.height / self.use.width))

    def crop(self, shape: str) -> tuple[str, int, int]:
        """A crop's path and size (og, 16x9, 4x3, 1x1), at the focus the article chose."""
        ratios = {name: (w, h) for name, w, h in CROP_SHAPES}
        spec = crop_spec(
            shape, ratios[shape], (self.use.width, self.use.height), Focus.from_tag(self.use.focus)
        )
        return f"/{media_key(self.use.hash, spec.name)}", spec.size[0], spec.size[1]


class Thumbnail(Picture):
    """A listing card's small picture, beside the headline that says what it is (so no alt text)."""

    def __init__(self, use: ImageUse) -> None:
        super().__init__(use, alt="")
        self.sizes = THUMBNAIL_SIZES
        self.small = tuple(use.widths[:2])

    @property
    def width(self) -> int:
        return self.use.widths[0]

    @property
    def height(self) -> int:
        return max(1, round(self.use.widths[0] * self.use.height / self.use.width))

    @property
    def fallback(self) -> str:
        return self.url(self.use.widths[0], "jpg")


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
    environment.filters["thumbnail"] = lambda use: Thumbnail(use) if use else None
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


def logo_url(site: SiteSettings) -> str:
    return site.site_logo if "://" in site.site_logo else absolute(site.site_url, site.site_logo)


def _news_article(
    article: Article, site: SiteSettings, modified: datetime, lead: Picture | None = None
) -> dict[str, Any]:
    """schema.org NewsArticle, for search engines and news aggregators."""
    images = (
        [absolute(site.site_url, lead.crop(shape)[0]) for shape in ("16x9", "4x3", "1x1")] if lead else []
    )
    return (
        {
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
            "publisher": {
                "@type": "Organization",
                "name": site.site_name,
                "url": absolute(site.site_url, HOME),
                "logo": {"@type": "ImageObject", "url": logo_url(site)},
            },
        }
        | ({"keywords": list(article.tags)} if article.tags else {})
        | ({"image": images} if images else {})
    )


def _figure(site: SiteSettings, picture: Picture, block: bool) -> str:
    return (
        _environment(site.theme_dir).get_template("_figure.html").render(picture=picture, block=block).strip()
    )


def _pictures(
    article: Article, site: SiteSettings, record: ArticleRecord | None
) -> tuple[Picture | None, Figure]:
    """The lead picture, and how the body shows its images: from the renditions `record` holds."""
    uses = {use.key: use for use in record.image_uses} if record else {}
    inline: dict[str, ImageRef] = {ref.key: ref for ref in article.inline_images}
    lead = None
    if article.image is not None and article.image.key in uses:
        ref = article.image
        lead = Picture(uses[ref.key], ref.alt, ref.caption, ref.credit, lead=True)

    def figure(written: str, alt: str, title: str | None, block: bool) -> str | None:
        try:
            key = image_key(article.source_key, written)
        except ValueError:
            return None  # refused on the way in: an article that names one is never published
        if key not in uses or key not in inline:
            return None
        return _figure(site, Picture(uses[key], alt, title if block else None), block)

    return lead, figure


def article_page(
    article: Article,
    site: SiteSettings,
    modified: datetime | None = None,
    record: ArticleRecord | None = None,
) -> bytes:
    """The article's page. `record` gives the renditions of its images (as the table holds them)."""
    modified = modified or article.published_at
    lead, figure = _pictures(article, site, record)
    return _render(
        "article.html",
        site,
        article=article,
        body=body_html(article.body, figure),
        lead=lead,
        lead_figure=_figure(site, lead, True) if lead else "",
        modified=modified,
        news_article=_news_article(article, site, modified, lead),
        path=article.path,
        logo=logo_url(site),
    )


def feed_item(
    article: Article,
    site: SiteSettings,
    modified: datetime | None = None,
    record: ArticleRecord | None = None,
) -> bytes:
    """The story as its feeds carry it (`pressrun.feeds`), rendered with its page from the same body."""
    lead, figure = _pictures(article, site, record)
    body = body_html(article.body, figure)
    if lead is not None:
        body = f"{_figure(site, lead, True)}\n{body}"
    item = FeedItem(
        url=absolute(site.site_url, article.path),
        title=article.title,
        summary=article.summary,
        content_html=absolute_html(body, site.site_url),
        published_at=article.published_at,
        updated_at=modified or article.published_at,
        authors=(article.author,) if article.author else (),
        categories=article.categories,
        tags=article.tags,
        image=absolute(site.site_url, lead.crop("og")[0]) if lead else None,
    )
    return (item.model_dump_json(indent=2) + "\n").encode("utf-8")


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
    return _render("home.html", site, entries=entries, sections=sections, path=HOME, logo=logo_url(site))


def _feed(
    entries: Sequence[ListingEntry],
    site: SiteSettings,
    title: str,
    self_path: str,
    home: str,
    items: ItemReader | None,
) -> bytes:
    # The feed's own time is its newest entry's, not the clock's, so an unchanged feed stays byte-identical.
    updated = max((entry.updated_at or entry.published_at for entry in entries), default=_EPOCH)
    return _render(
        "feed.xml",
        site,
        items=feed_items(entries, items, site),
        updated=updated,
        title=title,
        self_path=self_path,
        home_path=home,
        json_path=json_feed_path(self_path),
    )


def atom_feed(entries: Sequence[ListingEntry], site: SiteSettings, items: ItemReader | None = None) -> bytes:
    """The site's Atom feed. `items` reads each story's full content; without it, summaries only."""
    return _feed(entries, site, site.site_name, FEED, HOME, items)


def category_feed(
    category: Category, entries: Sequence[ListingEntry], site: SiteSettings, items: ItemReader | None = None
) -> bytes:
    title = f"{category.name} · {site.site_name}"
    return _feed(entries, site, title, category_feed_path(category.slug), category_path(category.slug), items)


def site_json_feed(
    entries: Sequence[ListingEntry], site: SiteSettings, items: ItemReader | None = None
) -> bytes:
    """The JSON Feed beside the site's Atom feed, with the same items."""
    return json_feed(
        feed_items(entries, items, site),
        site,
        title=site.site_name,
        home_path=HOME,
        feed_path=FEED_JSON,
        icon=logo_url(site),
    )


def category_json_feed(
    category: Category, entries: Sequence[ListingEntry], site: SiteSettings, items: ItemReader | None = None
) -> bytes:
    return json_feed(
        feed_items(entries, items, site),
        site,
        title=f"{category.name} · {site.site_name}",
        home_path=category_path(category.slug),
        feed_path=json_feed_path(category_feed_path(category.slug)),
        icon=logo_url(site),
    )


def sitemap(entries: Sequence[ListingEntry], site: SiteSettings, home: bool = False) -> bytes:
    return _render("sitemap.xml", site, entries=entries, home=home)


def sitemap_index(chunks: int, newest: Sequence[ListingEntry], site: SiteSettings) -> bytes:
    lastmod = max((entry.updated_at or entry.published_at for entry in newest), default=_EPOCH)
    return _render("sitemap_index.xml", site, chunks=range(1, chunks + 1), lastmod=lastmod)


def news_sitemap(entries: Sequence[ListingEntry], site: SiteSettings) -> bytes:
    return _render("news_sitemap.xml", site, entries=entries, language=site.site_language.split("-")[0])


def robots(site: SiteSettings, news: bool = True) -> bytes:
    # The news sitemap always exists now (empty when nothing is recent); `news` stays for callers
    # that render a site without one.
    return _render("robots.txt", site, sitemaps=[SITEMAP, NEWS_SITEMAP] if news else [SITEMAP])


def search_page(site: SiteSettings) -> bytes:
    return _render("search.html", site, path=SEARCH)


def not_found_page(site: SiteSettings) -> bytes:
    return _render("404.html", site, path=NOT_FOUND)


def stylesheet(site: SiteSettings) -> bytes:
    themed = Path(site.theme_dir, "style.css") if site.theme_dir else None
    if themed is not None and themed.is_file():
        return themed.read_bytes()
    return files("pressrun").joinpath("templates", "style.css").read_bytes()


def logo(site: SiteSettings) -> bytes:
    """The publisher's logo the site serves at /logo.png: the theme's, or the built-in one."""
    themed = Path(site.theme_dir, "logo.png") if site.theme_dir else None
    if themed is not None and themed.is_file():
        return themed.read_bytes()
    return files("pressrun").joinpath("templates", "logo.png").read_bytes()
