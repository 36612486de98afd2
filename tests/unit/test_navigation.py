"""Finding one's way: the sections in every header, a skip link, breadcrumbs for people and search
engines, "More in" on the home page, Open Graph on listings, sitemaps of every listing page, and a
404 that asks not to be indexed."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.resources import files

from pressrun import render
from pressrun.index import PageRange, update_index
from pressrun.listings import refresh_listings, render_range
from pressrun.model import ArticleRecord, AuthorProfile
from pressrun.pages import article_page as pages_article_page
from pressrun.pages import read_header
from pressrun.settings import SiteSettings
from pressrun.validation import parse_article
from tests.fakes import MemoryIndex, MemorySite, MemoryUploads
from tests.unit.test_index import record

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SITE = SiteSettings(site_url="https://news.example.org")
SECTIONS = SiteSettings(site_url="https://news.example.org", site_categories=("World", "Politics", "Sport"))


def story(number: int, category: str, **fields: object) -> ArticleRecord:
    return record(category, title=f"Story {number}").model_copy(
        update={
            "source_key": f"incoming/story-{number}.md",
            "slug": f"story-{number}",
            "path": f"/2025/06/01/story-{number}/",
            "published_at": datetime(2025, 6, 1, tzinfo=UTC) + timedelta(hours=number),
            **fields,
        }
    )


def published(site: SiteSettings, *stories: ArticleRecord) -> MemorySite:
    index, pages = MemoryIndex(), MemorySite()
    for each in stories:
        update_index(None, each, index)
    refresh_listings({listing: ["0"] for listing, _ in index.items}, index, pages, site, NOW)
    return pages


def a_site(site: SiteSettings = SITE) -> MemorySite:
    return published(
        site,
        story(1, "Politics", authors=("Ann Lee",), tags=("Budget",)),
        story(2, "World", authors=("Ann Lee", "Bo Ray")),
    )


def page(pages: MemorySite, key: str) -> str:
    return pages.objects[key].decode()


def header_links(html: str) -> list[tuple[str, str | None]]:
    """The header's sections, each with its aria-current if it has one."""
    nav = re.search(r'<nav class="sections".*?</nav>', html, re.DOTALL)
    assert nav is not None, "no sections in the header"
    found = re.findall(r'<a href="/category/[^"]+/"(?: aria-current="(\w+)")?>([^<]+)</a>', nav.group(0))
    return [(name, current or None) for current, name in found]


def article_html(text: str, site: SiteSettings = SITE) -> str:
    return render.article_page(parse_article("incoming/a.md", text.encode(), site), site).decode()


STORY = (
    "---\ntitle: Council Votes\ndate: 2025-06-26T21:40:00+01:00\ncategories: [Politics, World]\n"
    "author: Ann Lee\n---\nBody.\n"
)


def test_every_page_names_the_sites_sections_in_order_and_marks_the_one_it_is_in():
    pages = a_site(SECTIONS)

    on_home = header_links(page(pages, "index.html"))
    on_section = header_links(page(pages, "category/politics/index.html"))
    on_tag = header_links(page(pages, "tag/budget/index.html"))
    on_story = header_links(article_html(STORY, SECTIONS))

    assert on_home == [("World", None), ("Politics", None), ("Sport", None)]
    assert on_section == [("World", None), ("Politics", "page"), ("Sport", None)]
    assert on_tag == on_home
    assert on_story == [("World", None), ("Politics", "true"), ("Sport", None)]
    assert header_links(page(pages, "404.html")) == on_home


def test_without_site_categories_every_page_names_the_sections_in_use_by_name():
    index, pages = MemoryIndex(), MemorySite()
    for each in (story(1, "Politics", authors=("Ann Lee",), tags=("Budget",)), story(2, "World")):
        update_index(None, each, index)
    refresh_listings({listing: ["0"] for listing, _ in index.items}, index, pages, SITE, NOW)
    uploads = MemoryUploads()
    uploads.add("incoming/a.md", STORY.encode(), version_id="v1")
    council = record("Politics").model_copy(update={"source_key": "incoming/a.md"})
    all_sections = '<li><a class="all-sections" href="/#sections">All sections</a></li>'

    # The home and 404 pages, and every listing's, name every section in use, the current one marked
    in_use = [("Politics", None), ("World", None)]
    for key in ("index.html", "404.html", "tag/budget/index.html", "author/ann-lee/index.html"):
        assert header_links(page(pages, key)) == in_use, key
    assert header_links(page(pages, "category/world/index.html")) == [("Politics", None), ("World", "page")]
    # AND so does a story's page, from the index's summaries
    story_page = pages_article_page(council, uploads, SITE, index).decode()
    assert header_links(story_page) == [("Politics", "true"), ("World", None)]
    for html in (page(pages, "index.html"), page(pages, "category/world/index.html"), story_page):
        assert all_sections not in html
    # AND a page rendered without the index (`pressrun check`'s) names its own and links to the rest
    assert all_sections in article_html(STORY)
    assert '<div id="sections">' in page(pages, "index.html")


@dataclass
class RecordingRebuilds:
    requests: int = 0

    def request(self) -> None:
        self.requests += 1


def test_a_section_made_or_emptied_queues_the_sites_rebuild_once_and_a_story_in_one_in_use_none():
    index, pages, rebuilds = MemoryIndex(), MemorySite(), RecordingRebuilds()

    def publish(change_old: ArticleRecord | None, change_new: ArticleRecord | None) -> None:
        update = update_index(change_old, change_new, index)
        changes: dict[str, list[str]] = {}
        for listing, position in [*(entry.key for entry in update.put), *update.delete]:
            changes.setdefault(listing, []).append(position)
        refresh_listings(changes, index, pages, SITE, NOW, rebuilds)

    # GIVEN a site whose pages name Politics, as its rebuild left them
    publish(None, story(1, "Politics"))
    assert rebuilds.requests == 1
    # WHEN another story in Politics is published, THEN no rebuild is queued
    publish(None, story(2, "Politics"))
    assert rebuilds.requests == 1
    # WHEN a story makes World, THEN the site's rebuild is queued once, and the header noted
    publish(None, story(3, "World"))
    assert rebuilds.requests == 2
    assert index.summaries()["site"].header == ("Politics", "World")
    # WHEN World's last story goes, THEN again
    publish(story(3, "World"), None)
    assert rebuilds.requests == 3
    assert index.summaries()["site"].header == ("Politics",)
    # AND with SITE_CATEGORIES (a fixed list) none is ever queued
    fixed = RecordingRebuilds()
    update = update_index(None, story(4, "Sport"), index)
    refresh_listings({"site": [e.position for e in update.put]}, index, pages, SECTIONS, NOW, fixed)
    assert fixed.requests == 0


def test_the_first_thing_on_every_page_is_a_link_that_skips_to_its_content():
    pages = a_site()
    for html in (page(pages, "index.html"), page(pages, "author/ann-lee/index.html"), article_html(STORY)):
        body = html.split("<body>", 1)[1]
        assert body.lstrip().startswith('<a class="skip-link" href="#content">Skip to content</a>')
        assert '<main id="content">' in body


def breadcrumb_list(html: str) -> list[dict[str, object]]:
    for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.DOTALL):
        data = json.loads(block)
        if data.get("@type") == "BreadcrumbList":
            return data["itemListElement"]  # type: ignore[no-any-return]
    raise AssertionError("no BreadcrumbList")


def test_a_story_and_a_listing_page_show_breadcrumbs_and_tell_search_engines_of_them():
    story_page = article_html(STORY)
    numbered = published(SiteSettings(listing_size=1), *(story(n, "Politics") for n in range(3)))

    trail = story_page.split('class="breadcrumbs"')[1].split("</nav>")[0]
    assert re.findall(r'<li><a(?: aria-current="page")? href="([^"]+)">([^<]+)</a></li>', trail) == [
        ("/", "Home"),
        ("/category/politics/", "Politics"),
        ("/2025/06/26/council-votes/", "Council Votes"),
    ]
    assert breadcrumb_list(story_page) == [
        {"@type": "ListItem", "position": 1, "name": "Home", "item": "https://news.example.org/"},
        {
            "@type": "ListItem",
            "position": 2,
            "name": "Politics",
            "item": "https://news.example.org/category/politics/",
        },
        {
            "@type": "ListItem",
            "position": 3,
            "name": "Council Votes",
            "item": "https://news.example.org/2025/06/26/council-votes/",
        },
    ]
    assert [
        item["name"] for item in breadcrumb_list(page(numbered, "category/politics/page/1/index.html"))
    ] == [
        "Home",
        "Politics",
        "Page 1",
    ]
    assert "BreadcrumbList" not in page(numbered, "index.html")


def test_each_section_on_the_home_page_ends_with_more_in_it_and_cards_carry_bylines():
    home = page(a_site(), "index.html")

    assert (
        '<p class="more"><a href="/category/politics/">More in Politics'
        '<span aria-hidden="true"> →</span></a></p>' in home
    )
    assert 'By <a href="/author/ann-lee/">Ann Lee</a> and <a href="/author/bo-ray/">Bo Ray</a>' in home
    section = page(a_site(), "category/world/index.html")
    assert 'By <a href="/author/ann-lee/">Ann Lee</a> and <a href="/author/bo-ray/">Bo Ray</a>' in section


def test_the_404_page_asks_not_to_be_indexed_and_names_no_canonical_address():
    not_found = page(a_site(), "404.html")

    assert '<meta name="robots" content="noindex">' in not_found
    assert 'rel="canonical"' not in not_found


def test_home_section_tag_and_author_pages_carry_open_graph_tags():
    pages = a_site()
    for key, title in (
        ("index.html", "OpenVoiceNews U.K."),
        ("category/politics/index.html", "Politics"),
        ("tag/budget/index.html", "Stories tagged Budget"),
        ("author/ann-lee/index.html", "Stories by Ann Lee"),
    ):
        html = page(pages, key)
        assert f'<meta property="og:title" content="{title}">' in html, key
        assert '<meta property="og:type" content="website">' in html
        assert re.search(r'<meta property="og:url" content="https://news\.example\.org/[^"]*">', html)
        assert '<meta property="og:image" content="https://news.example.org/logo.png">' in html


def test_the_sitemaps_date_the_home_page_and_name_every_section_tag_and_author_page():
    pages = a_site()
    sitemap = page(pages, "sitemap.xml")
    listed = page(pages, "sitemap-listings.xml")

    assert "<url><loc>https://news.example.org/</loc><lastmod>2025-06-01T02:00:00Z</lastmod></url>" in sitemap
    assert re.findall(r"<loc>https://news\.example\.org(/[^<]*)</loc>", listed) == [
        "/",
        "/author/ann-lee/",
        "/author/bo-ray/",
        "/category/politics/",
        "/category/world/",
        "/tag/budget/",
    ]
    assert "Sitemap: https://news.example.org/sitemap-listings.xml" in page(pages, "robots.txt")


def test_past_the_sitemap_size_the_listing_pages_are_an_index_of_numbered_sitemaps():
    small = SiteSettings(sitemap_size=4)
    pages = published(small, *(story(n, "World", tags=(f"Tag {n}",)) for n in range(5)))

    index = page(pages, "sitemap-listings.xml")
    assert "<sitemapindex" in index
    assert re.findall(r"<loc>[^<]*/(sitemap-listings-\d+\.xml)</loc>", index) == [
        "sitemap-listings-1.xml",
        "sitemap-listings-2.xml",
    ]
    names = [re.findall(r"<loc>([^<]*)</loc>", page(pages, f"sitemap-listings-{n}.xml")) for n in (1, 2)]
    assert [len(each) for each in names] == [4, 3]


def test_no_colour_comes_from_the_system_palette_whose_grey_fails_contrast():
    css = files("pressrun").joinpath("templates", "style.css").read_text()

    rules = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    assert "GrayText" not in rules
    assert "prefers-color-scheme: dark" in css


def test_pages_name_the_noted_sections_not_a_set_the_summaries_hold_for_a_moment():
    """Found by the delivery simulation: a page that named the sections' summaries as they were for a
    moment (ahead of the set the site noted, then back) kept that set, since no note, and so no
    rebuild, followed. Pages name the noted set; the render that notes a new one queues the rebuild."""
    # GIVEN stories in Politics and World, and a site whose last rebuild was for World alone
    index = MemoryIndex()
    for each in (story(1, "Politics"), story(2, "World")):
        update_index(None, each, index)
    assert index.note_header((), ("World",))
    # WHEN a story page's header and a section page are rendered, by a render that notes nothing
    shown = read_header(index, SITE)
    pages = MemorySite()
    refresh_listings({"category/world": ["0"]}, index, pages, SITE, NOW)
    # THEN both name the noted set: the rebuild that follows the next note renders them again
    assert [section.name for section in shown.sections] == ["World"]
    assert [name for name, _ in header_links(page(pages, "category/world/index.html"))] == ["World"]


def test_a_site_that_noted_nothing_yet_names_the_sections_in_use():
    index = MemoryIndex()
    for each in (story(1, "Politics"), story(2, "World")):
        update_index(None, each, index)

    assert [section.name for section in read_header(index, SITE).sections] == ["Politics", "World"]


def test_an_authors_numbered_page_carries_the_profiles_name_whichever_render_writes_it():
    """Found by the delivery simulation: a rebuild's run of numbered pages (and the sweep's walk)
    headed an author's pages as the stories spell the name, where the front page's render wrote the
    profile's name, so the two renders kept rewriting each other's page."""
    small = SiteSettings(site_url="https://news.example.org", listing_size=2)
    index = MemoryIndex()
    for number in range(1, 8):
        update_index(None, story(number, "World", authors=("ann lee",)), index)
    assert index.set_profile("author/ann-lee", AuthorProfile(name="Ann Lee"), "01")
    # WHEN the author's listing is refreshed, and its numbered pages rendered again as a run
    refreshed = MemorySite()
    refresh_listings({"author/ann-lee": ["0"]}, index, refreshed, small, NOW)
    run = MemorySite()
    render_range(PageRange(listing="author/ann-lee", count=7), index, run, small)
    # THEN both wrote the same first numbered page, headed with the profile's name
    key = "author/ann-lee/page/1/index.html"
    assert "<title>Ann Lee · page 1" in page(refreshed, key)
    assert page(run, key) == page(refreshed, key)
