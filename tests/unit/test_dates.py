"""Honest dates: a story's modification time moves only when what it says changes after readers saw
it; pages tell the time of day on the site's clock; corrections are dated notices and modifications."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pressrun import render
from pressrun.ingest import Change, Upload, accept_upload
from pressrun.model import InvalidArticle
from pressrun.settings import SiteSettings
from pressrun.validation import parse_article
from tests.fakes import MemoryArticles, MemoryUploads, RecordingAlerts

SITE = SiteSettings(site_url="https://news.example.org")
LONDON = ZoneInfo("Europe/London")
KEY = "incoming/vote.md"
STORY = b"---\ntitle: Council Votes\ndate: 2025-06-26T21:40:00+01:00\ncategories: [Politics]\n---\nBody.\n"


def upload(sequencer: str, version: str) -> Upload:
    return Upload(
        bucket="uploads",
        key=KEY,
        version_id=version,
        sequencer=sequencer,
        change=Change.CREATED,
        event_time=datetime(2025, 6, 26, 20, 0, tzinfo=UTC),
    )


def publish(uploads: MemoryUploads, articles: MemoryArticles, sequencer: str, version: str, now: datetime):
    accept_upload(upload(sequencer, version), uploads, articles, SITE, RecordingAlerts(), now)
    return articles.records[KEY]


def test_a_story_first_published_late_is_modified_at_its_own_date_not_at_the_pipelines_clock():
    # GIVEN a story dated 21:40 whose upload is delivered (or retried) a day later
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(KEY, STORY)
    much_later = datetime(2025, 6, 27, 21, 0, tzinfo=UTC)
    # WHEN it is first published
    record = publish(uploads, articles, "0A", "v1", much_later)
    # THEN its modification time is its publication time: nothing it says has changed
    assert record.updated_at == record.published_at


def test_the_same_story_published_at_two_times_is_dated_alike():
    # A clean run and a run whose retries finished later must agree on every date.
    dates = []
    for now in (datetime(2025, 6, 26, 21, 0, tzinfo=UTC), datetime(2025, 6, 30, 9, 0, tzinfo=UTC)):
        uploads, articles = MemoryUploads(), MemoryArticles()
        uploads.add(KEY, STORY)
        dates.append(publish(uploads, articles, "0A", "v1", now).updated_at)
    assert dates[0] == dates[1]


def test_an_edit_after_publication_moves_the_modification_time_and_an_unchanged_upload_does_not():
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(KEY, STORY, version_id="v1")
    publish(uploads, articles, "0A", "v1", datetime(2025, 6, 26, 21, 0, tzinfo=UTC))
    edit_time = datetime(2025, 6, 27, 13, 5, tzinfo=UTC)
    uploads.add(KEY, STORY.replace(b"Body.", b"Body, corrected."), version_id="v2")

    edited = publish(uploads, articles, "0B", "v2", edit_time)
    uploads.add(KEY, STORY.replace(b"Body.", b"Body, corrected."), version_id="v3")
    again = publish(uploads, articles, "0C", "v3", edit_time + timedelta(days=3))

    assert edited.updated_at == edit_time
    assert again.updated_at == edit_time


def test_edits_to_a_scheduled_story_before_it_goes_live_leave_it_modified_at_its_date():
    uploads, articles = MemoryUploads(), MemoryArticles()
    future = STORY.replace(b"2025-06-26T21:40", b"2025-07-01T06:00")
    uploads.add(KEY, future, version_id="v1")
    before = datetime(2025, 6, 28, 9, 0, tzinfo=UTC)
    publish(uploads, articles, "0A", "v1", before)
    uploads.add(KEY, future.replace(b"Body.", b"Body, rewritten."), version_id="v2")

    record = publish(uploads, articles, "0B", "v2", before + timedelta(hours=1))

    assert record.status == "scheduled"
    assert record.updated_at == record.published_at


def corrected(*lines: str) -> bytes:
    return STORY.replace(
        b"---\nBody", ("correction:\n" + "".join(f"  - {line}\n" for line in lines)).encode() + b"---\nBody"
    )


def test_a_correction_counts_as_a_modification_dated_at_least_by_its_own_date():
    uploads, articles = MemoryUploads(), MemoryArticles()
    uploads.add(KEY, STORY, version_id="v1")
    publish(uploads, articles, "0A", "v1", datetime(2025, 6, 26, 21, 0, tzinfo=UTC))
    uploads.add(KEY, corrected("2025-06-28: The vote was 7 to 2."), version_id="v2")

    # Uploaded on the 27th, but dated the 28th by the editor: the later of the two.
    record = publish(uploads, articles, "0B", "v2", datetime(2025, 6, 27, 9, 0, tzinfo=UTC))

    assert record.updated_at == datetime(2025, 6, 28, tzinfo=LONDON)


@pytest.mark.parametrize(
    "document",
    [
        corrected("2025-06-27: The vote was 7 to 2, not 7 to 3."),
        corrected('"27 June 2025 – The vote was 7 to 2, not 7 to 3."'),
        corrected("{date: 2025-06-27, text: 'The vote was 7 to 2, not 7 to 3.'}"),
        STORY.replace(
            b"---\nBody", b"correction: 'June 27, 2025: The vote was 7 to 2, not 7 to 3.'\n---\nBody"
        ),
        b"Title: Council Votes\nDate: 2025-06-26T21:40:00+01:00\nCategory: Politics\n"
        b"Correction: 2025-06-27: The vote was 7 to 2, not 7 to 3.\n\nBody.\n",
    ],
)
def test_a_correction_is_read_from_every_form_an_editor_writes(document: bytes):
    article = parse_article(KEY, document, SITE)

    [correction] = article.corrections
    assert correction.date == datetime(2025, 6, 27, tzinfo=LONDON)
    assert correction.text == "The vote was 7 to 2, not 7 to 3."


def test_several_corrections_in_json_and_header_lines_are_kept_oldest_first():
    as_json = json.dumps(
        {
            "title": "Council Votes",
            "date": "2025-06-26",
            "categories": ["Politics"],
            "corrections": [{"date": "2025-06-29", "text": "Second."}, "2025-06-27: First."],
            "body": "Body.",
        }
    ).encode()
    as_headers = (
        b"Title: Council Votes\nDate: 2025-06-26\nCategory: Politics\n"
        b"Correction: 2025-06-29: Second.\nCorrection: 2025-06-27: First.\n\nBody.\n"
    )

    for name, document in (("incoming/vote.json", as_json), ("incoming/vote.txt", as_headers)):
        assert [c.text for c in parse_article(name, document, SITE).corrections] == ["First.", "Second."]


def test_a_correction_without_a_date_or_dated_before_the_story_is_refused_with_a_reason():
    with pytest.raises(InvalidArticle) as undated:
        parse_article(KEY, STORY.replace(b"---\nBody", b"correction: The vote was 7 to 2.\n---\nBody"), SITE)
    with pytest.raises(InvalidArticle) as early:
        parse_article(KEY, corrected("2025-06-20: Too early."), SITE)

    assert [p.field for p in undated.value.problems] == ["correction"]
    assert "does not start with its date" in undated.value.problems[0].message
    assert "before the story itself" in early.value.problems[0].message


def page_of(document: bytes, modified: datetime | None = None) -> str:
    return render.article_page(parse_article(KEY, document, SITE), SITE, modified=modified).decode()


def json_ld(page: str) -> dict[str, object]:
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL)
    assert block is not None
    return json.loads(block.group(1))  # type: ignore[no-any-return]


def test_an_article_page_tells_the_time_of_day_on_the_sites_clock_in_a_time_element():
    page = page_of(STORY)

    assert '<time datetime="2025-06-26T21:40:00+01:00">26 June 2025, 21:40 BST</time>' in page
    assert "Updated" not in page


def test_a_story_dated_with_a_day_alone_shows_no_made_up_time():
    page = page_of(STORY.replace(b"2025-06-26T21:40:00+01:00", b"2025-06-26"))

    assert ">26 June 2025</time>" in page


def test_a_story_modified_later_says_updated_with_the_time_or_the_day_and_time():
    same_day = page_of(STORY, modified=datetime(2025, 6, 26, 22, 5, tzinfo=UTC))
    next_day = page_of(STORY, modified=datetime(2025, 6, 27, 13, 5, tzinfo=UTC))

    assert '<time class="updated" datetime="2025-06-26T23:05:00+01:00">Updated 23:05 BST</time>' in same_day
    assert ">Updated 27 June 2025, 14:05 BST</time>" in next_day
    assert json_ld(next_day)["dateModified"] == "2025-06-27T14:05:00+01:00"


def test_a_corrected_story_shows_a_dated_notice_and_tells_search_engines_of_each_correction():
    page = page_of(corrected("2025-06-27: The vote was 7 to 2, not 7 to 3."))

    notice = re.search(r'<aside class="corrections".*?</aside>', page, re.DOTALL)
    assert notice is not None
    assert ">Correction</h2>" in notice.group(0)
    assert (
        '<time datetime="2025-06-27T00:00:00+01:00">27 June 2025</time>: The vote was 7 to 2'
        in notice.group(0)
    )
    assert json_ld(page)["correction"] == [
        {
            "@type": "CorrectionComment",
            "text": "The vote was 7 to 2, not 7 to 3.",
            "datePublished": "2025-06-27T00:00:00+01:00",
        }
    ]


def test_a_long_headline_is_cut_at_a_word_for_search_engines_and_kept_whole_on_the_page():
    title = (
        "Council approves the library budget after a long night of debate over opening hours " * 2
    ).strip()
    page = page_of(STORY.replace(b"Council Votes", title.encode()))

    headline = str(json_ld(page)["headline"])
    assert len(headline) <= 110
    assert headline.endswith("…")
    assert title.startswith(headline[:-1])
    assert title[len(headline) - 1] == " "
    assert f'<h1 class="long">{title}</h1>' in page


def test_a_story_taken_back_to_draft_and_put_back_as_it_was_is_not_modified():
    """Found by the delivery simulation: the draft flag counted as content, so a story restored
    word for word after a spell as a draft was dated modified by the pipeline's clock."""
    uploads, articles = MemoryUploads(), MemoryArticles()
    # GIVEN a story readers saw, then taken back to draft (the same words) the next day
    uploads.add(KEY, STORY, version_id="v1")
    published = publish(uploads, articles, "0A", "v1", datetime(2025, 6, 26, 21, 0, tzinfo=UTC))
    uploads.add(KEY, STORY.replace(b"categories:", b"draft: true\ncategories:"), version_id="v2")
    publish(uploads, articles, "0B", "v2", datetime(2025, 6, 27, 9, 0, tzinfo=UTC))
    # WHEN it is put back exactly as readers saw it
    uploads.add(KEY, STORY, version_id="v3")
    restored = publish(uploads, articles, "0C", "v3", datetime(2025, 6, 27, 10, 0, tzinfo=UTC))
    # THEN it is live again, dated as it was first published
    assert restored.status == "published"
    assert restored.updated_at == published.updated_at == published.published_at


def test_a_story_taken_back_to_a_different_draft_and_put_back_as_readers_saw_it_is_not_modified():
    """Found by the delivery simulation: the draft's own edit dated the restored story modified."""
    uploads, articles = MemoryUploads(), MemoryArticles()
    # GIVEN a story readers saw, then taken back to a draft that also says something else
    uploads.add(KEY, STORY, version_id="v1")
    published = publish(uploads, articles, "0A", "v1", datetime(2025, 6, 26, 21, 0, tzinfo=UTC))
    draft = STORY.replace(b"categories:", b"draft: true\ncategories:").replace(b"Body.", b"Rewritten.")
    uploads.add(KEY, draft, version_id="v2")
    publish(uploads, articles, "0B", "v2", datetime(2025, 6, 27, 9, 0, tzinfo=UTC))
    # WHEN the version readers saw is put back
    uploads.add(KEY, STORY, version_id="v3")
    restored = publish(uploads, articles, "0C", "v3", datetime(2025, 6, 27, 10, 0, tzinfo=UTC))
    # THEN it is dated as readers first saw it; a new text after the draft would be dated by the clock
    assert restored.updated_at == published.updated_at == published.published_at
    uploads.add(KEY, STORY.replace(b"Body.", b"New body."), version_id="v4")
    edited = publish(uploads, articles, "0D", "v4", datetime(2025, 6, 27, 11, 0, tzinfo=UTC))
    assert edited.updated_at == datetime(2025, 6, 27, 11, 0, tzinfo=UTC)


def test_a_draft_with_a_later_correction_first_published_is_dated_by_its_correction_not_the_clock():
    """Found by the delivery simulation (editors appending corrections): a draft whose correction is
    dated after the story was taken for a story readers had seen, since its modification time was
    past its own date, so its first publication was dated by the pipeline's clock."""
    uploads, articles = MemoryUploads(), MemoryArticles()
    corrected = STORY.replace(
        b"categories:", b"correction:\n  - 2025-06-28: The vote was five to four.\ncategories:"
    )
    # GIVEN a draft, never seen by readers, whose correction is dated two days after the story
    uploads.add(KEY, corrected.replace(b"categories:", b"draft: true\ncategories:"), version_id="v1")
    publish(uploads, articles, "0A", "v1", datetime(2025, 6, 29, 9, 0, tzinfo=UTC))
    # WHEN it is published, with other words, a day later
    uploads.add(KEY, corrected.replace(b"Body.", b"Final body."), version_id="v2")
    published = publish(uploads, articles, "0B", "v2", datetime(2025, 6, 30, 9, 0, tzinfo=UTC))
    # THEN it is dated by its correction, the latest of its own dates: no reader saw an earlier text
    assert published.status == "published"
    assert published.updated_at == datetime(2025, 6, 28, tzinfo=LONDON)
