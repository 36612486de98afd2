"""Related stories: 3 to 5 earlier stories after each article, ranked by shared tags, then section,
then recency, read in a bounded number of index queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pressrun.follow import follow_article_change
from pressrun.index import update_index
from pressrun.model import ArticleRecord, Category
from pressrun.pages import article_page
from pressrun.related import MOST, PER_LISTING, TAGS_READ, related_stories
from pressrun.settings import SiteSettings
from tests.fakes import (
    MemoryArticles,
    MemoryIndex,
    MemoryRedirects,
    MemorySite,
    MemoryUploads,
    RecordingScheduler,
)

START = datetime(2025, 6, 1, tzinfo=UTC)


def story(number: int, *categories: str, tags: tuple[str, ...] = ()) -> ArticleRecord:
    return ArticleRecord(
        source_key=f"incoming/story-{number}.md",
        source_version="v1",
        sequencer="01",
        status="published",
        title=f"Story {number}",
        slug=f"story-{number}",
        path=f"/2025/06/01/story-{number}/",
        published_at=START + timedelta(hours=number),
        categories=tuple(Category.named(name) for name in categories),
        tags=tags,
        summary="S",
    )


def indexed(*stories: ArticleRecord) -> MemoryIndex:
    index = MemoryIndex()
    for each in stories:
        update_index(None, each, index)
    return index


def titles(index: MemoryIndex, record: ArticleRecord) -> list[str]:
    return [entry.title for entry in related_stories(record, index)]


def test_stories_sharing_more_tags_come_first_then_those_in_the_section_then_the_newest():
    index = indexed(
        story(1, "World", tags=("Budget", "Council")),  # two tags shared
        story(2, "Sport", tags=("Budget",)),  # one tag shared, another section
        story(3, "Politics", tags=("Budget",)),  # one tag shared, same section
        story(4, "Politics"),  # the section only
        story(5, "Politics"),  # the section only, newer
        story(6, "Sport"),  # nothing shared
    )
    this = story(7, "Politics", tags=("Budget", "Council"))
    update_index(None, this, index)

    assert titles(index, this) == ["Story 1", "Story 3", "Story 2", "Story 5", "Story 4"]


def test_only_stories_published_before_it_so_a_later_story_never_changes_its_page():
    earlier, later = story(1, "World", tags=("Budget",)), story(3, "World", tags=("Budget",))
    this = story(2, "World", tags=("Budget",))
    index = indexed(earlier, this)
    before = titles(index, this)

    update_index(None, later, index)

    assert before == titles(index, this) == ["Story 1"]


def test_a_young_tag_is_made_up_to_three_from_the_site_and_never_more_than_five_are_shown():
    index = indexed(*(story(n, "Sport") for n in range(1, 4)), *(story(n, "World") for n in range(4, 12)))
    lonely = story(20, "Culture", tags=("Opera",))
    crowded = story(21, "World")
    update_index(None, lonely, index)

    assert titles(index, lonely) == ["Story 11", "Story 10", "Story 9", "Story 8", "Story 7"][:MOST]
    assert len(related_stories(crowded, index)) == MOST


@dataclass
class CountingIndex(MemoryIndex):
    queries: list[str] = field(default_factory=list)

    def entries(self, listing: str, *args: object, **kwargs: object) -> list:  # type: ignore[override]
        self.queries.append(listing)
        return super().entries(listing, *args, **kwargs)  # type: ignore[arg-type]


def test_the_index_is_read_a_bounded_number_of_times_however_many_tags_and_stories():
    index = CountingIndex()
    tags = tuple(f"Tag {n}" for n in range(15))
    for number in range(1, 60):
        update_index(None, story(number, "World", "Sport", tags=tags), index)
    this = story(100, "World", "Sport", tags=tags)

    found = related_stories(this, index)

    assert len(found) == MOST
    # One query per tag read and one for the first section; the site's only when too few were found.
    assert len(index.queries) == TAGS_READ + 1
    assert PER_LISTING >= MOST


def test_the_page_lists_its_related_stories_after_the_article():
    site = SiteSettings(site_url="https://news.example.org")
    uploads = MemoryUploads()
    text = b"---\ntitle: Story 9\ndate: 2025-06-02\ncategories: [World]\ntags: [Budget]\n---\nBody.\n"
    uploads.add("incoming/story-9.md", text, version_id="v1")
    this = story(9, "World", tags=("Budget",)).model_copy(
        update={"published_at": datetime(2025, 6, 2, tzinfo=UTC)}
    )
    index = indexed(story(1, "World", tags=("Budget",)), story(2, "World"), this)

    page = article_page(this, uploads, site, index).decode()

    related = page.split('<section class="related"', 1)[1].split("</section>", 1)[0]
    assert page.index("</article>") < page.index('<section class="related"')
    assert '<h2 id="related">Related stories</h2>' in related
    assert related.index("/story-1/") < related.index("/story-2/")
    assert "/story-9/" not in related


def test_a_story_that_arrives_after_later_ones_is_named_on_their_pages_at_once():
    site = SiteSettings(site_url="https://news.example.org")
    uploads, articles, index, pages = MemoryUploads(), MemoryArticles(), MemoryIndex(), MemorySite()

    def follow(record: ArticleRecord) -> None:
        text = f"---\ntitle: {record.title}\ndate: {record.published_at:%Y-%m-%dT%H:%M:%SZ}\n"
        text += "categories: [World]\ntags: [Budget]\n---\nBody.\n"
        uploads.add(record.source_key, text.encode(), version_id="v1")
        articles.save(record, articles.current(record.source_key))
        follow_article_change(
            None,
            record,
            uploads=uploads,
            site_store=pages,
            index=index,
            scheduler=RecordingScheduler(),
            articles=articles,
            redirects=MemoryRedirects(),
            site=site,
            now=START + timedelta(days=30),
        )

    # GIVEN stories 2 and 3 published, then story 1, dated before them, delivered late
    for number in (2, 3, 1):
        follow(story(number, "World", tags=("Budget",)))

    # THEN the later stories' pages name it, as if it had come first
    later = pages.objects["2025/06/01/story-3/index.html"].decode().split('class="related"', 1)[1]
    assert "/story-1/" in later
    assert "/story-2/" in later
    assert (
        "/story-1/" in pages.objects["2025/06/01/story-2/index.html"].decode().split('class="related"', 1)[1]
    )
