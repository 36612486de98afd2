"""Pages from articles and listing entries. Rendering is deterministic: the same input gives the same
bytes, so an unchanged page is recognised by its hash and never rewritten or invalidated."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context

from pressrun.feeds import FeedItem, ItemReader, absolute_html, feed_items, json_feed
from pressrun.images import CROP_SHAPES, crop_spec, image_key, media_key
from pressrun.index import ListingEntry, ListingKind, ListingSummary, listing_of
from pressrun.markup import Figure, body_html, shorten
from pressrun.model import (
    Article,
    ArticleRecord,
    AuthorProfile,
    Category,
    Correction,
    Focus,
    ImageRef,
    ImageUse,
    slugify,
)
from pressrun.settings import SiteSettings
from pressrun.urls import (
    FEED,
    FEED_JSON,
    HOME,
    LISTINGS_SITEMAP,
    NEWS_SITEMAP,
    NOT_FOUND,
    SEARCH,
    SITEMAP,
    absolute,
    author_path,
    category_feed_path,
    category_page_path,
    category_path,
    json_feed_path,
    listing_feed_path,
    listing_page_path,
    listing_path,
    listings_sitemap_chunk_path,
    sitemap_chunk_path,
    tag_path,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The longest headline Google shows from a NewsArticle's JSON-LD.
HEADLINE_LENGTH = 110
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


def _in_site_zone(context: Context, moment: datetime) -> datetime:
    site: SiteSettings = context["site"]
    return moment.astimezone(site.zone)


@pass_context
def _human_date(context: Context, moment: datetime) -> str:
    """The day, on the site's clock: 26 June 2025."""
    local = _in_site_zone(context, moment)
    return f"{local.day} {local:%B %Y}"


@pass_context
def _clock(context: Context, moment: datetime) -> str:
    """The time of day on the site's clock, with its zone: 21:40 BST."""
    return f"{_in_site_zone(context, moment):%H:%M %Z}"


def _is_bare_date(moment: datetime) -> bool:
    # A story dated with a day and no time is dated at midnight: it has no time of day to show.
    return (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)


@pass_context
def _human_time(context: Context, moment: datetime) -> str:
    """Day and time on the site's clock (26 June 2025, 21:40 BST), or the day alone at midnight."""
    local = _in_site_zone(context, moment)
    day = f"{local.day} {local:%B %Y}"
    return day if _is_bare_date(local) else f"{day}, {local:%H:%M %Z}"


@pass_context
def _updated(context: Context, modified: datetime, published: datetime) -> str:
    """How an update is told: "Updated 14:05 BST" on the day it was published, with the day after it."""
    local, first = _in_site_zone(context, modified), _in_site_zone(context, published)
    if local.date() == first.date():
        return f"Updated {local:%H:%M %Z}"
    return f"Updated {local.day} {local:%B %Y}, {local:%H:%M %Z}"


@pass_context
def _iso(context: Context, moment: datetime) -> str:
    """A machine-readable time (`<time datetime>`, JSON-LD), with the site's offset."""
    return _in_site_zone(context, moment).isoformat()


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
    environment.filters["human_time"] = _human_time
    environment.filters["clock"] = _clock
    environment.filters["updated"] = _updated
    environment.filters["iso"] = _iso
    environment.filters["atom_time"] = _atom_time
    environment.filters["thumbnail"] = lambda use: Thumbnail(use) if use else None
    environment.globals.update(
        category_path=category_path,
        category_page_path=category_page_path,
        category_feed_path=category_feed_path,
        tag_path=lambda name: tag_path(slugify(name)),
        author_path=lambda name: author_path(slugify(name)),
        sitemap_chunk_path=sitemap_chunk_path,
    )
    return environment


@dataclass(frozen=True)
class Navigation:
    """The header's sections, and the one the page belongs to (its own page, or a story in it).
    `elsewhere` says that they are not all the site's: the header then links to the home page's."""

    sections: tuple[Category, ...] = ()
    current: str | None = None
    on_section_page: bool = False
    elsewhere: bool = False


def header_sections(summaries: Iterable[ListingSummary], site: SiteSettings) -> tuple[Category, ...]:
    """The sections every page's header names: SITE_CATEGORIES in its order, or else the sections that
    have stories, by name (then slug, so the order is stable whatever order they came in), from the
    summaries of the home page's read (`CategoryIndex.summaries()`)."""
    if site.site_categories:
        return tuple(Category.named(name) for name in site.site_categories)
    in_use = (s.category for s in summaries if s.category is not None and s.members > 0)
    return _by_name(in_use)


def named_sections(names: Iterable[str]) -> tuple[Category, ...]:
    """The sections of a noted header (`ListingSummary.header`: their names), in the header's order."""
    return _by_name(Category.named(name) for name in names)


def _by_name(sections: Iterable[Category]) -> tuple[Category, ...]:
    return tuple(sorted(sections, key=lambda category: (category.name.casefold(), category.slug)))


def _page_navigation(
    own: Sequence[Category],
    site: SiteSettings,
    current: str | None,
    on_section_page: bool = False,
    header: Sequence[Category] | None = None,
) -> Navigation:
    """A page's header: SITE_CATEGORIES, or else the sections in use (`header`) and the page's own
    (a story rendered before the index lists it under a new section names that section too). A page
    rendered without the index (`header` None: tests, `pressrun check`) names its own sections and
    links to the home page's list of them."""
    if site.site_categories:
        return Navigation(header_sections((), site), current, on_section_page)
    if header is None:
        return Navigation(tuple(own), current, on_section_page, elsewhere=True)
    named = {category.slug: category for category in own} | {category.slug: category for category in header}
    return Navigation(_by_name(named.values()), current, on_section_page)


@dataclass(frozen=True)
class Crumb:
    name: str
    path: str


@dataclass(frozen=True)
class Breadcrumbs:
    """Home, section, story: the trail a page shows, and the BreadcrumbList search engines read."""

    items: tuple[Crumb, ...]

    def json_ld(self, url: Callable[[str], str]) -> dict[str, Any]:
        return {
            "@context": "https://schema.org",
            "@type": "BreadcrumbList",
            "itemListElement": [
                {"@type": "ListItem", "position": number, "name": crumb.name, "item": url(crumb.path)}
                for number, crumb in enumerate(self.items, start=1)
            ],
        }


def _trail(*items: tuple[str, str]) -> Breadcrumbs:
    return Breadcrumbs((Crumb("Home", HOME), *(Crumb(name, path) for name, path in items)))


def _render(template: str, site: SiteSettings, **context: Any) -> bytes:
    context = {"navigation": Navigation(), "breadcrumbs": None, **context}
    page = (
        _environment(site.theme_dir)
        .get_template(template)
        .render(site=site, url=lambda path: absolute(site.site_url, path), **context)
    )
    return page.encode("utf-8")


def logo_url(site: SiteSettings) -> str:
    return site.site_logo if "://" in site.site_logo else absolute(site.site_url, site.site_logo)


def _author(name: str, site: SiteSettings, profile: AuthorProfile | None) -> dict[str, Any]:
    person: dict[str, Any] = {
        "@type": "Person",
        "name": name,
        "url": absolute(site.site_url, author_path(slugify(name))),
    }
    if profile is not None and profile.same_as:
        person["sameAs"] = list(profile.same_as)
    return person


def _news_article(
    article: Article,
    site: SiteSettings,
    modified: datetime,
    lead: Picture | None = None,
    profiles: Mapping[str, AuthorProfile] | None = None,
) -> dict[str, Any]:
    """schema.org NewsArticle, for search engines and news aggregators. `profiles`: the authors'
    profiles by slug, which give `sameAs`."""
    profiles = profiles or {}
    images = (
        [absolute(site.site_url, lead.crop(shape)[0]) for shape in ("16x9", "4x3", "1x1")] if lead else []
    )
    return (
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            # Search engines show at most 110 characters of a headline; the page keeps the whole title.
            "headline": shorten(article.title, HEADLINE_LENGTH),
            "description": article.summary,
            "datePublished": article.published_at.astimezone(site.zone).isoformat(),
            "dateModified": modified.astimezone(site.zone).isoformat(),
            "author": [_author(name, site, profiles.get(slugify(name))) for name in article.authors]
            or [{"@type": "Organization", "name": site.site_name}],
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
        | (
            {"correction": [_correction(correction, site) for correction in article.corrections]}
            if article.corrections
            else {}
        )
    )


def _correction(correction: Correction, site: SiteSettings) -> dict[str, Any]:
    return {
        "@type": "CorrectionComment",
        "text": correction.text,
        "datePublished": correction.date.astimezone(site.zone).isoformat(),
    }


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
    related: Sequence[ListingEntry] = (),
    profiles: Mapping[str, AuthorProfile] | None = None,
    preview_expires: datetime | None = None,
    header: Sequence[Category] | None = None,
) -> bytes:
    """The article's page. `record` gives the renditions of its images (as the table holds them);
    `related`, the stories offered after it (pressrun.related); `header`, the sections in use. With
    `preview_expires`, its private preview (pressrun.previews): marked as not published, `noindex`
    and without a canonical address."""
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
        news_article=_news_article(article, site, modified, lead, profiles),
        path=article.path,
        logo=logo_url(site),
        navigation=_page_navigation(article.categories, site, article.categories[0].slug, header=header),
        breadcrumbs=_trail(
            (article.categories[0].name, category_path(article.categories[0].slug)),
            (article.title, article.path),
        ),
        related=related,
        preview_expires=preview_expires,
    )


@dataclass(frozen=True)
class PageLink:
    """One item of a listing's page numbers: a page (None: the front page, "Latest"), the current
    one, or a gap ("…", no page)."""

    label: str
    href: str | None = None
    current: bool = False


@dataclass(frozen=True)
class Pagination:
    """How a listing page links to its neighbours. Pages are numbered from the oldest and their
    stories never move, so a numbered page names only pages that cannot change what it says: the
    front page, the page after it (once made), and those before it."""

    newer: str | None
    older: str | None
    numbers: tuple[PageLink, ...]

    def __bool__(self) -> bool:
        return bool(self.newer or self.older)


def pagination(front: str, numbered: Callable[[int], str], page: int | None, pages: int) -> Pagination:
    """The links of the front page (`page` None) or of numbered page `page`, of `pages`."""
    if page is None:
        shown = {pages, pages - 1, pages - 2, 1}
        newer, older = None, numbered(pages) if pages else None
    else:
        shown = {page + 1 if page < pages else page, page, page - 1, 1}
        newer = numbered(page + 1) if page < pages else front
        older = numbered(page - 1) if page > 1 else None
    numbers = [PageLink("Latest", None if page is None else front, current=page is None)] if pages else []
    previous = None
    for number in sorted((n for n in shown if n >= 1), reverse=True):
        if previous is not None and previous - number > 1:
            numbers.append(PageLink("…"))
        numbers.append(PageLink(str(number), None if number == page else numbered(number), number == page))
        previous = number
    return Pagination(newer=newer, older=older, numbers=tuple(numbers))


@dataclass(frozen=True)
class Listing:
    """A section, tag or author as its pages show it: its kind, slug and heading, and its addresses."""

    kind: ListingKind
    slug: str
    heading: str
    # An author's profile (pressrun.profiles), shown on their front page.
    profile: AuthorProfile | None = None

    @property
    def name(self) -> str:
        return listing_of(self.kind, self.slug)

    @property
    def path(self) -> str:
        return listing_path(self.name)

    @property
    def feed_path(self) -> str:
        return listing_feed_path(self.name)

    def page_path(self, number: int) -> str:
        return listing_page_path(self.name, number)

    @property
    def category(self) -> Category | None:
        return Category(name=self.heading, slug=self.slug) if self.kind is ListingKind.CATEGORY else None


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
        authors=tuple(article.authors),
        categories=article.categories,
        tags=article.tags,
        image=absolute(site.site_url, lead.crop("og")[0]) if lead else None,
        rendered_from=record.rendered_from if record else "",
    )
    return (item.model_dump_json(indent=2) + "\n").encode("utf-8")


def listing_page(
    listing: Listing,
    entries: Sequence[ListingEntry],
    site: SiteSettings,
    page: int | None = None,
    pages: int = 0,
    header: Sequence[Category] | None = None,
) -> bytes:
    """A listing's front page (page None: its newest articles) or numbered page `page` of `pages`,
    from the theme's template for its kind (category.html, tag.html or author.html); `header`, the
    sections in use."""
    path = listing.path if page is None else listing.page_path(page)
    section = listing.slug if listing.kind is ListingKind.CATEGORY else None
    trail = [(listing.heading, listing.path)] + ([(f"Page {page}", path)] if page else [])
    return _render(
        f"{listing.kind.value}.html",
        site,
        listing=listing,
        category=listing.category,
        entries=entries,
        page=page,
        pagination=pagination(listing.path, listing.page_path, page, pages),
        path=path,
        logo=logo_url(site),
        navigation=_page_navigation(
            (listing.category,) if listing.category else (),
            site,
            section,
            on_section_page=page is None,
            header=header,
        ),
        breadcrumbs=_trail(*trail),
        person=_person(listing, site) if listing.profile is not None and page is None else None,
    )


def _person(listing: Listing, site: SiteSettings) -> dict[str, Any]:
    """schema.org ProfilePage of an author's front page: who they are, and where else they are."""
    profile = listing.profile
    assert profile is not None
    person: dict[str, Any] = {
        "@type": "Person",
        "name": profile.name,
        "url": absolute(site.site_url, listing.path),
    }
    if profile.role:
        person["jobTitle"] = profile.role
    if profile.bio:
        person["description"] = profile.bio
    if profile.same_as:
        person["sameAs"] = list(profile.same_as)
    if profile.photo is not None:
        person["image"] = absolute(site.site_url, Thumbnail(profile.photo).fallback)
    return {"@context": "https://schema.org", "@type": "ProfilePage", "mainEntity": person}


def home_page(
    entries: Sequence[ListingEntry],
    sections: Sequence[ListingSummary],
    site: SiteSettings,
    header: Sequence[Category] = (),
) -> bytes:
    """The latest stories, and a block of each section's newest (`sections`, their summaries)."""
    return _render(
        "home.html",
        site,
        entries=entries,
        sections=sections,
        path=HOME,
        logo=logo_url(site),
        navigation=Navigation(tuple(header)),
    )


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


def listing_feed(
    listing: Listing, entries: Sequence[ListingEntry], site: SiteSettings, items: ItemReader | None = None
) -> bytes:
    title = f"{listing.heading} · {site.site_name}"
    return _feed(entries, site, title, listing.feed_path, listing.path, items)


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


def listing_json_feed(
    listing: Listing, entries: Sequence[ListingEntry], site: SiteSettings, items: ItemReader | None = None
) -> bytes:
    """The JSON Feed beside a section's, tag's or author's Atom feed, with the same items."""
    return json_feed(
        feed_items(entries, items, site),
        site,
        title=f"{listing.heading} · {site.site_name}",
        home_path=listing.path,
        feed_path=json_feed_path(listing.feed_path),
        icon=logo_url(site),
    )


def _changed(entries: Iterable[ListingEntry]) -> datetime | None:
    return max((entry.updated_at or entry.published_at for entry in entries), default=None)


def sitemap(entries: Sequence[ListingEntry], site: SiteSettings, home: bool = False) -> bytes:
    """Articles with the time each last changed; `home` puts the home page first, dated by the
    newest change among them (the newest story it shows, or the last one corrected)."""
    return _render(
        "sitemap.xml",
        site,
        entries=entries,
        home=home,
        home_lastmod=_changed(entries) if home else None,
        pages=(),
    )


def pages_sitemap(paths: Sequence[str], site: SiteSettings) -> bytes:
    """Listing pages, undated: they change with every story, and a crawler visits them often anyway."""
    return _render("sitemap.xml", site, entries=(), home=False, pages=paths)


def sitemap_index(chunks: int, newest: Sequence[ListingEntry], site: SiteSettings) -> bytes:
    paths = [sitemap_chunk_path(number) for number in range(1, chunks + 1)]
    return _render("sitemap_index.xml", site, sitemaps=paths, lastmod=_changed(newest) or _EPOCH)


def listings_sitemap_index(chunks: int, site: SiteSettings) -> bytes:
    paths = [listings_sitemap_chunk_path(number) for number in range(1, chunks + 1)]
    return _render("sitemap_index.xml", site, sitemaps=paths, lastmod=None)


def news_sitemap(entries: Sequence[ListingEntry], site: SiteSettings) -> bytes:
    return _render("news_sitemap.xml", site, entries=entries, language=site.site_language.split("-")[0])


def robots(site: SiteSettings, listings: bool = True) -> bytes:
    # The news sitemap always exists (empty when nothing is recent); the listings sitemap from the
    # first story on.
    sitemaps = [SITEMAP, *([LISTINGS_SITEMAP] if listings else []), NEWS_SITEMAP]
    return _render("robots.txt", site, sitemaps=sitemaps)


def search_page(site: SiteSettings) -> bytes:
    return _render("search.html", site, path=SEARCH, navigation=_page_navigation((), site, current=None))


def not_found_page(site: SiteSettings, header: Sequence[Category] = ()) -> bytes:
    return _render("404.html", site, path=NOT_FOUND, navigation=Navigation(tuple(header)))


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
