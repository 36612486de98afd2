"""The site readers and crawlers get, built through the whole local chain."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from pressrun.cli import main

pytestmark = pytest.mark.e2e

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def write_stories(folder: Path, count: int, category: str = "World", first: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(first, first + count):
        day = 1 + number % 28
        month = 1 + number // 28
        path = folder / f"story-{number:03}.md"
        path.write_text(
            f"---\ntitle: Story number {number}\n"
            f"date: 2025-{month:02}-{day:02}T{number % 24:02}:00:00+00:00\n"
            f"categories: [{category}]\n---\nParagraph of story {number}.\n"
        )
        paths.append(path)
    return paths


def publish(capsys: pytest.CaptureFixture[str], site: Path, *paths: Path) -> dict:
    main(["publish", "--site", str(site), "--json", *map(str, paths)])
    return json.loads(capsys.readouterr().out)


def listing_pages(site: Path, slug: str) -> dict[str, bytes]:
    folder = site / "category" / slug
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("index.html")}


def reachable_articles(site: Path, slug: str) -> set[str]:
    """Follow the category's own links, from its front page back through every older page."""
    seen, found = set(), set()
    todo = [f"/category/{slug}/"]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        html = (site / path.lstrip("/") / "index.html").read_text()
        found |= set(re.findall(r'href="(/2025/[^"]+)"', html))
        todo += re.findall(rf'href="(/category/{slug}/(?:page/\d+/)?)"', html)
    return found


def test_one_more_article_in_a_category_of_45_changes_at_most_two_listing_pages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    site = tmp_path / "site"
    publish(capsys, site, *write_stories(tmp_path / "first", 45))
    before = listing_pages(site, "world")

    summary = publish(capsys, site, *write_stories(tmp_path / "more", 1, first=45))

    after = listing_pages(site, "world")
    changed = {page for page in after if before.get(page) != after[page]}
    assert len(changed) <= 2
    assert changed == {"index.html"}
    # The front page holds the newest 20 to 39; page 1 the oldest 20.
    assert set(after) == {"index.html", "page/1/index.html"}
    assert len(reachable_articles(site, "world")) == 46
    assert "/category/world/page/1/" not in summary["invalidated"]


def test_a_front_page_reaching_twice_the_page_size_gives_its_oldest_to_a_new_numbered_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    os.environ["LISTING_SIZE"] = "5"
    site = tmp_path / "site"
    publish(capsys, site, *write_stories(tmp_path / "first", 9))
    before = listing_pages(site, "world")

    publish(capsys, site, *write_stories(tmp_path / "more", 1, first=9))

    after = listing_pages(site, "world")
    assert set(before) == {"index.html"}
    assert {page for page in after if before.get(page) != after[page]} == {"index.html", "page/1/index.html"}
    assert len(reachable_articles(site, "world")) == 10


def test_home_has_the_latest_and_a_section_per_category(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    site = tmp_path / "site"
    publish(
        capsys,
        site,
        *write_stories(tmp_path / "a", 4, category="World"),
        *write_stories(tmp_path / "b", 2, category="Sport", first=10),
    )

    home = (site / "index.html").read_text()

    assert home.count('<section class="section"') == 2
    assert '<a href="/category/sport/">Sport</a>' in home
    assert '<a href="/category/world/">World</a>' in home


def test_past_the_sitemap_limit_the_sitemap_becomes_an_index_of_stable_sitemaps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    os.environ["SITEMAP_SIZE"] = "3"
    site = tmp_path / "site"
    publish(capsys, site, *write_stories(tmp_path / "first", 5))
    first_chunk = (site / "sitemap-1.xml").read_bytes()

    summary = publish(capsys, site, *write_stories(tmp_path / "more", 1, first=5))

    index = ElementTree.parse(site / "sitemap.xml").getroot()
    assert index.tag == f"{SITEMAP_NS}sitemapindex"
    assert [loc.text for loc in index.iter(f"{SITEMAP_NS}loc")] == [
        "http://localhost:8000/sitemap-1.xml",
        "http://localhost:8000/sitemap-2.xml",
    ]
    assert (site / "sitemap-1.xml").read_bytes() == first_chunk
    assert "/sitemap-1.xml" not in summary["invalidated"]
    assert len(list(ElementTree.parse(site / "sitemap-2.xml").getroot())) == 3


def test_rebuild_after_a_theme_change_rewrites_the_pages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    site = tmp_path / "site"
    publish(capsys, site, *write_stories(tmp_path / "a", 3))
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "style.css").write_text("body { font-family: serif; }\n")
    (theme / "_entries.html").write_text(
        '{% for entry in entries %}<li class="themed"><a href="{{ entry.path }}">{{ entry.title }}</a></li>\n'
        "{% endfor %}"
    )
    os.environ["THEME_DIR"] = str(theme)

    code = main(["rebuild", "--site", str(site), "--json"])

    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert 'class="themed"' in (site / "category/world/index.html").read_text()
    assert (site / "style.css").read_text() == "body { font-family: serif; }\n"
    # The stylesheet is kept by the CDN until invalidated; the listings expire by themselves.
    assert summary["invalidated"] == ["/style.css"]
    assert main(["rebuild", "--site", str(site), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["invalidated"] == []
