from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from pressrun import render
from pressrun.index import ListingEntry
from pressrun.model import Article, Category
from pressrun.settings import SiteSettings
from pressrun.urls import object_key, public_paths

SITE = SiteSettings(site_url="https://news.example.org")


def article(title: str = "A title", body: str = "Body.") -> Article:
    return Article(
        source_key="incoming/a.md",
        title=title,
        slug="a-title",
        published_at=datetime(2025, 6, 25, tzinfo=ZoneInfo("Europe/London")),
        categories=(Category.named("Economics"),),
        summary="Summary.",
        body=body,
    )


def entry(title: str = "A title") -> ListingEntry:
    return ListingEntry(
        listing="site",
        position="2025-06-24T23:00:00Z#incoming/a.md",
        source_key="incoming/a.md",
        title=title,
        path="/2025/06/25/a-title/",
        summary="Summary & more",
        published_at=datetime(2025, 6, 25, tzinfo=ZoneInfo("Europe/London")),
        categories=(Category.named("Economics"),),
    )


def test_headline_about_a_script_tag_is_shown_as_text_not_run():
    page = render.article_page(
        article(title="Phishers hide <script>alert(1)</script> in mail"), SITE
    ).decode()

    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_raw_html_in_a_markdown_body_is_shown_as_text():
    page = render.article_page(article(body='Look: <img src=x onerror="alert(1)"> here.'), SITE).decode()

    assert "<img" not in page
    assert "&lt;img" in page


def test_markdown_link_with_javascript_url_is_not_made_a_link():
    page = render.article_page(article(body="[click](javascript:alert(1))"), SITE).decode()

    assert 'href="javascript:' not in page


def test_article_page_links_its_categories_and_canonical_url():
    page = render.article_page(article(), SITE).decode()

    assert '<link rel="canonical" href="https://news.example.org/2025/06/25/a-title/">' in page
    assert '<a href="/category/economics/">Economics</a>' in page
    assert '<time datetime="2025-06-25T00:00:00+01:00">25 June 2025</time>' in page
    assert page.count("<h1>") == 1


def test_rendering_is_deterministic():
    assert render.atom_feed([entry()], SITE) == render.atom_feed([entry()], SITE)
    assert render.article_page(article(), SITE) == render.article_page(article(), SITE)


def test_feed_and_sitemap_are_well_formed_xml_with_escaped_text():
    feed = ElementTree.fromstring(render.atom_feed([entry("Tom & Jerry <3")], SITE))
    atom = "{http://www.w3.org/2005/Atom}"
    assert feed.find(f"{atom}entry/{atom}title").text == "Tom & Jerry <3"  # type: ignore[union-attr]
    assert feed.find(f"{atom}updated").text == "2025-06-24T23:00:00Z"  # type: ignore[union-attr]

    sitemap = ElementTree.fromstring(render.sitemap([entry()], SITE, home=True))
    locations = [loc.text for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert locations == ["https://news.example.org/", "https://news.example.org/2025/06/25/a-title/"]


def test_directory_pages_are_served_by_their_index_and_reachable_both_ways():
    assert object_key("/") == "index.html"
    assert object_key("/category/economics/") == "category/economics/index.html"
    assert object_key("/feed.xml") == "feed.xml"
    assert public_paths("category/economics/index.html") == [
        "/category/economics/",
        "/category/economics/index.html",
    ]
    assert public_paths("index.html") == ["/", "/index.html"]
    assert public_paths("feed.xml") == ["/feed.xml"]
