"""Feed items: the body made safe to read away from the site, and a story without an item still listed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pressrun import render
from pressrun.feeds import FeedItems, absolute_html
from pressrun.index import ListingEntry
from pressrun.model import Category
from pressrun.settings import SiteSettings
from tests.fakes import MemorySite
from tests.unit.test_pages import NOW
from tests.unit.test_reconcile import Newsroom, story

SITE = SiteSettings(site_url="https://news.example.org")
ENTRY = ListingEntry(
    listing="site",
    position="2025-06-25T09:00:00Z#incoming/a.md",
    source_key="incoming/a.md",
    title="A story",
    path="/2025/06/25/a-story/",
    summary="What happened.",
    published_at=NOW,
    categories=(Category(name="Economics", slug="economics"),),
)


def test_links_and_pictures_become_absolute_and_the_picture_sources_give_way_to_the_img():
    body = (
        '<p><a href="/category/economics/">More</a> <a href="https://elsewhere.example/x">there</a></p>'
        '<figure class="picture"><picture><source type="image/avif" srcset="/media/h/640.avif 640w">'
        '<img src="/media/h/960.jpg" srcset="/media/h/640.jpg 640w" alt="Boats"></picture></figure>'
        "<script>alert(1)</script>"
    )

    html = absolute_html(body, SITE.site_url)

    assert '<a href="https://news.example.org/category/economics/">More</a>' in html
    assert 'href="https://elsewhere.example/x"' in html
    assert '<img src="https://news.example.org/media/h/960.jpg" alt="Boats">' in html
    assert "<source" not in html
    assert "srcset" not in html
    assert "script" not in html


def test_a_story_without_its_item_is_carried_with_its_summary():
    # GIVEN a story whose feed item was never written (published by an earlier release)
    reader = FeedItems(MemorySite(), SITE)
    # WHEN its feeds are rendered
    atom = render.atom_feed([ENTRY], SITE, reader).decode()
    feed = json.loads(render.site_json_feed([ENTRY], SITE, reader))
    # THEN both list it, the summary standing in for the content
    assert "<summary>What happened.</summary>" in atom
    assert "<content" not in atom
    (item,) = feed["items"]
    assert item["content_html"] == "<p>What happened.</p>"
    assert item["tags"] == ["Economics"]


@dataclass
class CountingSite(MemorySite):
    reads: list[str] = field(default_factory=list)

    def read(self, key: str) -> bytes | None:
        self.reads.append(key)
        return super().read(key)


def test_a_publish_reads_the_new_storys_item_and_takes_the_others_from_the_feed_it_replaces():
    # GIVEN a site of three stories whose feeds are written
    newsroom = Newsroom(site=CountingSite())
    for number in (1, 2, 3):
        newsroom.publish(number)
    # WHEN a fourth is published
    newsroom.site.reads.clear()
    newsroom.publish(4)
    # THEN its item is read, once for both its feeds, and no other story's
    items = [key for key in newsroom.site.reads if key.endswith("feed-item.json")]
    assert items == ["2026/01/05/story-4/feed-item.json"]
    feed = json.loads(newsroom.site.objects["feed.json"])
    # The newsroom's feeds hold two stories (LISTING_SIZE 2), each with its full content.
    assert [item["content_html"] for item in feed["items"]] == ["<p>Body 4.</p>", "<p>Body 3.</p>"]


def test_a_changed_story_is_read_again_not_taken_from_the_feed():
    newsroom = Newsroom(site=CountingSite())
    newsroom.publish(1)
    newsroom.publish(2)
    newsroom.site.reads.clear()
    # WHEN the older story is corrected

    newsroom.render(
        newsroom.follow(newsroom.validate(newsroom.put(1, story(1).replace(b"Body 1.", b"Fixed."))))
    )

    # THEN its item is read again and the feeds carry the correction
    items = [key for key in newsroom.site.reads if key.endswith("feed-item.json")]
    assert items == ["2026/01/02/story-1/feed-item.json"]
    assert "<p>Fixed.</p>" in json.loads(newsroom.site.objects["feed.json"])["items"][1]["content_html"]
