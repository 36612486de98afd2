"""The whole chain on the embedded default: files in, a site out, as `pressrun publish` runs it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pressrun.cli import main
from pressrun.local.site import LocalSite
from tests.conftest import SAMPLE

pytestmark = pytest.mark.e2e

PAGE = "2025/06/25/uk-seeks-trade-ties-with-china-amid-heightened-security-concerns/index.html"
URL = "http://localhost:8000/2025/06/25/uk-seeks-trade-ties-with-china-amid-heightened-security-concerns/"


def story(title: str, category: str, day: int = 26) -> bytes:
    return f"---\ntitle: {title}\ndate: 2025-06-{day}\ncategories: [{category}]\n---\nA paragraph.\n".encode()


def publish_json(capsys: pytest.CaptureFixture[str], site: Path, *paths: Path) -> tuple[int, dict]:
    code = main(["publish", "--site", str(site), "--json", *map(str, paths)])
    return code, json.loads(capsys.readouterr().out)


def test_publishing_the_sample_builds_page_index_listings_and_invalidates_what_changed(
    tmp_path: Path, clean_environment
):
    site_dir = tmp_path / "site"
    with LocalSite(site_dir, now=datetime(2026, 1, 1, tzinfo=UTC)) as site:
        site.upload(SAMPLE.name, SAMPLE.read_bytes())
        site.drain()
        category_items = site.ports.index.entries("category/economics")
        first = site.summary()
    # A page no reader has seen needs no invalidation; an edit of a served one does.
    with LocalSite(site_dir, now=datetime(2026, 1, 2, tzinfo=UTC)) as site:
        edit = SAMPLE.read_bytes().replace(b"new strategic approach", b"new careful approach")
        site.upload(SAMPLE.name, edit)
        site.drain()
        edited = site.summary()

    assert [item.source_key for item in category_items] == [f"incoming/{SAMPLE.name}"]
    assert [(p.url, p.categories) for p in first.published] == [(URL, ["Economics"])]
    assert first.invalidated == []
    page = (site_dir / PAGE).read_text(encoding="utf-8")
    assert "<h1>UK Seeks Trade Ties with China Amid Heightened Security Concerns</h1>" in page
    assert "espionage, cyber threats, and interference in democratic processes" in page
    assert "a new careful approach to China" in (site_dir / "index.html").read_text()
    assert "UK Seeks Trade Ties with China" in (site_dir / "category/economics/index.html").read_text()
    assert "UK Seeks Trade Ties with China" in (site_dir / "index.html").read_text()
    assert URL in (site_dir / "feed.xml").read_text()
    assert URL in (site_dir / "sitemap.xml").read_text()
    # The story's page is kept by the CDN until invalidated; listings and feeds expire by themselves.
    assert edited.invalidated == [f"/{PAGE.removesuffix('index.html')}", f"/{PAGE}"]


def test_publish_json_reports_published_rejected_and_drafts_with_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: Bad\ndate: June 31, 2025\ncategories: [News]\n---\nText.\n")
    draft = tmp_path / "draft.md"
    draft.write_text("---\ntitle: Later\ndate: 2025-06-25\ncategories: [News]\ndraft: true\n---\nText.\n")

    code, summary = publish_json(capsys, tmp_path / "site", SAMPLE, bad, draft)

    assert code == 1
    assert summary["published"] == [{"source": str(SAMPLE), "url": URL, "categories": ["Economics"]}]
    assert summary["rejected"] == [
        {
            "source": str(bad),
            "errors": [{"field": "date", "message": "'June 31, 2025' is not a real date", "line": 3}],
        }
    ]
    assert summary["drafts"] == [str(draft)]
    assert summary["invalidated"] == []  # a new site: nothing was served before
    assert not list((tmp_path / "site").rglob("later*"))


def test_publishing_the_same_files_twice_changes_nothing_and_invalidates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    site_dir = tmp_path / "site"
    publish_json(capsys, site_dir, SAMPLE)
    before = {p: p.read_bytes() for p in site_dir.rglob("*") if p.is_file() and ".pressrun" not in p.parts}

    code, summary = publish_json(capsys, site_dir, SAMPLE)

    after = {p: p.read_bytes() for p in site_dir.rglob("*") if p.is_file() and ".pressrun" not in p.parts}
    assert code == 0
    assert summary["invalidated"] == []
    assert after == before


def test_second_publish_keeps_what_was_published_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    site_dir = tmp_path / "site"
    first, second = tmp_path / "first.md", tmp_path / "second.md"
    first.write_bytes(story("First story", "World"))
    second.write_bytes(story("Second story", "World", day=27))
    publish_json(capsys, site_dir, first)

    publish_json(capsys, site_dir, second)

    listing = (site_dir / "category/world/index.html").read_text()
    assert "First story" in listing
    assert "Second story" in listing
    assert (site_dir / "2025/06/26/first-story/index.html").exists()


def test_reupload_with_new_category_moves_article(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    site_dir = tmp_path / "site"
    article = tmp_path / "story.md"
    article.write_bytes(story("Moving story", "Economics"))
    publish_json(capsys, site_dir, article)

    article.write_bytes(story("Moving story", "Politics"))
    code, summary = publish_json(capsys, site_dir, article)

    assert code == 0
    assert summary["published"][0]["categories"] == ["Politics"]
    assert "Moving story" in (site_dir / "category/politics/index.html").read_text()
    assert not (site_dir / "category/economics/index.html").exists()
    # The story's own page shows its categories; the listings expire by themselves.
    assert summary["invalidated"] == ["/2025/06/26/moving-story/", "/2025/06/26/moving-story/index.html"]


def test_unpublish_removes_the_article_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    site_dir = tmp_path / "site"
    publish_json(capsys, site_dir, SAMPLE)

    code = main(["unpublish", "--site", str(site_dir), "--json", SAMPLE.name])

    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert not (site_dir / PAGE).exists()
    assert not (site_dir / "category/economics/index.html").exists()
    assert "UK Seeks Trade Ties" not in (site_dir / "index.html").read_text()
    assert "UK Seeks Trade Ties" not in (site_dir / "feed.xml").read_text()
    assert f"/{PAGE}" in summary["invalidated"]


def test_check_prints_one_line_per_problem_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: Bad\ndate: June 31, 2025\n---\nText.\n")

    code = main(["check", str(SAMPLE), str(bad)])

    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines == [
        f"{SAMPLE}: ok",
        f"{bad}:3: date: 'June 31, 2025' is not a real date",
        f"{bad}: categories: is required",
    ]


def test_check_refuses_a_file_over_the_limit_from_its_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    huge = tmp_path / "huge.md"
    with huge.open("wb") as file:
        file.truncate(3 * 1024 * 1024)  # sparse: the test machine holds none of it

    code = main(["check", str(huge)])

    assert code == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{huge}: file: is 3,145,728 bytes; the limit is 1,048,576 bytes"
    ]


def uploads_the_tables_cannot_take(folder: Path) -> dict[str, tuple[int | None, str]]:
    """Files that passed `check`, then failed in the pipeline with no report; each with the line of
    its problem and the problem as the report now gives it."""
    folder.mkdir()
    front = "---\ntitle: T\ndate: 2025-06-25\n"
    nested = "[" * 900 + "]" * 900
    files = {
        "deep.json": (
            f'{{"title": "T", "date": "2025-06-25", "categories": ["N"], "extra": {nested}, "body": "B."}}',
            None,
            "file: is nested too deeply: more than 20 levels of lists and objects",
        ),
        "deep.md": (
            f"{front}categories: [N]\nextra: {nested}\n---\nText.\n",
            5,
            "front matter: is nested too deeply: more than 20 levels of lists and objects",
        ),
        "long-summary.md": (
            f"{front}categories: [N]\nsummary: {'s' * 500_000}\n---\nText.\n",
            5,
            "summary: is 500,000 characters long; the limit is 1,000",
        ),
        "many-categories.md": (
            f"{front}categories: [{', '.join(f'Section {n}' for n in range(150))}]\n---\nText.\n",
            4,
            "categories: names 150 categories; the limit is 5",
        ),
    }
    for name, (text, _, _) in files.items():
        (folder / name).write_text(text)
    return {name: (line, problem) for name, (_, line, problem) in files.items()}


def test_check_reports_what_the_tables_cannot_take_instead_of_crashing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    bad = tmp_path / "bad"
    expected = uploads_the_tables_cannot_take(bad)

    code = main(["check", str(bad)])

    assert code == 1
    assert sorted(capsys.readouterr().out.splitlines()) == sorted(
        f"{bad / name}{f':{line}' if line else ''}: {problem}" for name, (line, problem) in expected.items()
    )


def test_publish_rejects_what_the_tables_cannot_take_with_a_report_not_a_dead_letter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    expected = uploads_the_tables_cannot_take(tmp_path / "bad")

    code, summary = publish_json(capsys, tmp_path / "site", tmp_path / "bad")

    assert code == 1
    assert [failed for failed in summary["failed"] if failed["queue"] == "IngestDeadLetterQueue"] == []
    reasons = {
        Path(rejected["source"]).name: [f"{e['field']}: {e['message']}" for e in rejected["errors"]]
        for rejected in summary["rejected"]
    }
    assert reasons == {name: [problem] for name, (_, problem) in expected.items()}


def test_usage_errors_exit_2(tmp_path: Path):
    with pytest.raises(SystemExit) as raised:
        main(["publish", "--site", str(tmp_path), str(tmp_path / "missing.md")])

    assert raised.value.code == 2


def test_work_that_keeps_failing_is_reported_not_lost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, clean_environment
):
    def index_down(*_: object) -> None:
        raise RuntimeError("index table unavailable")

    monkeypatch.setattr("pressrun.follow.update_index", index_down)

    code, summary = publish_json(capsys, tmp_path / "site", SAMPLE)

    assert code == 1
    assert summary["failed"] == [{"queue": "StreamFailureQueue", "sources": [f"incoming/{SAMPLE.name}"]}]
    assert "index table unavailable" in (tmp_path / "site/.pressrun/functions.log").read_text()


def test_an_upload_that_cannot_be_processed_ends_in_the_dead_letter_queue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, clean_environment
):
    def broken(*_: object) -> None:
        raise RuntimeError("validator crashed")

    monkeypatch.setattr("pressrun.local.dispatcher.accept_upload", broken)

    code, summary = publish_json(capsys, tmp_path / "site", SAMPLE)

    assert code == 1
    assert summary["failed"] == [{"queue": "IngestDeadLetterQueue", "sources": [f"incoming/{SAMPLE.name}"]}]
    assert summary["published"] == []


def test_publishing_an_empty_folder_is_a_usage_error(tmp_path: Path):
    (tmp_path / "empty").mkdir()

    with pytest.raises(SystemExit) as raised:
        main(["publish", "--site", str(tmp_path / "site"), str(tmp_path / "empty")])

    assert raised.value.code == 2


def test_deleting_an_old_version_keeps_the_story_and_removing_the_marker_undeletes_it(
    tmp_path: Path, clean_environment
):
    with LocalSite(tmp_path / "site") as site:
        first = site.upload("story.md", story("Versioned story", "World"))
        site.upload("story.md", story("Versioned story", "World") + b"Edited.\n")
        site.drain()
        oldest = site.uploads.versions(first)[0].version_id

        site.uploads.delete_version(first, oldest)
        site.drain()
        kept = site.summary().published

        marker = site.uploads.delete(first)
        site.drain()
        after_marker = site.summary().published
        assert marker is not None
        assert marker.version_id is not None
        site.uploads.delete_version(first, marker.version_id)
        site.drain()
        undeleted = site.summary().published

    assert [p.url for p in kept] == ["http://localhost:8000/2025/06/26/versioned-story/"]
    assert after_marker == []
    assert [p.url for p in undeleted] == ["http://localhost:8000/2025/06/26/versioned-story/"]
    assert (tmp_path / "site/2025/06/26/versioned-story/index.html").exists()


def test_future_article_is_scheduled_then_goes_live_when_its_time_comes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    site_dir = tmp_path / "site"
    morning = tmp_path / "morning.md"
    morning.write_text(
        # The sample's section: a story in a new one changes every page's header, which is a rebuild
        "---\ntitle: Morning news\ndate: 2026-03-02T06:00:00+00:00\ncategories: [Economics]\n---\nB.\n"
    )
    page = site_dir / "2026/03/02/morning-news/index.html"

    code = main(
        [
            "publish",
            *("--site", str(site_dir), "--json", "--now", "2026-03-01T12:00:00+00:00"),
            *(str(morning), str(SAMPLE)),
        ]
    )
    summary = json.loads(capsys.readouterr().out)

    assert code == 0
    assert [p["url"] for p in summary["published"]] == [URL]
    assert summary["scheduled"] == [
        {
            "source": str(morning),
            "url": "http://localhost:8000/2026/03/02/morning-news/",
            "at": "2026-03-02T06:00:00Z",
        }
    ]
    assert not page.exists()

    code = main(["publish", "--site", str(site_dir), "--json", "--now", "2026-03-02T06:00:01+00:00"])
    summary = json.loads(capsys.readouterr().out)

    assert code == 0
    assert [p["url"] for p in summary["published"]] == ["http://localhost:8000/2026/03/02/morning-news/"]
    assert page.exists()
    assert summary["invalidated"] == []  # a new page, and listings that expire by themselves


def test_renaming_an_upload_keeps_the_story_published(tmp_path: Path, clean_environment):
    with LocalSite(tmp_path / "site") as site:
        old = site.upload("draft-name.md", story("Renamed story", "World"))
        site.drain()

        # A rename is a copy, then a delete of the old name.
        site.upload("final-name.md", story("Renamed story", "World"))
        site.remove(old)
        site.drain()
        renamed = site.ports.articles.current("incoming/final-name.md")
        report = site.uploads.report("incoming/final-name.md")

    assert renamed is not None
    assert (renamed.status, renamed.path) == ("published", "/2025/06/26/renamed-story/")
    assert report is None
    assert (tmp_path / "site/2025/06/26/renamed-story/index.html").exists()


def test_every_log_line_of_an_article_carries_its_key_and_latency_is_measured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    publish_json(capsys, tmp_path / "site", SAMPLE)

    log = (tmp_path / "site/.pressrun/functions.log").read_text()
    lines = [json.loads(line) for line in log.splitlines()]
    per_article = [line for line in lines if line["step"] in {"ingest", "follow"}]
    assert {line["step"] for line in per_article} == {"ingest", "follow"}
    assert {line["correlation_id"] for line in per_article} == {f"incoming/{SAMPLE.name}"}
    assert any("publish_latency_ms" in line for line in per_article)
    assert any(line.get("outcome") == "published" for line in per_article)


def test_publish_with_now_four_days_after_the_last_story_leaves_it_out_of_the_news_sitemap(
    tmp_path: Path, clean_environment
):
    site = tmp_path / "site"
    news = site / "news-sitemap.xml"
    # GIVEN the sample published the morning it is dated: the news sitemap lists it
    assert main(["publish", "--site", str(site), "--now", "2025-06-25T12:00:00+00:00", str(SAMPLE)]) == 0
    assert URL in news.read_text(encoding="utf-8")
    # WHEN time passes four days, with no new story
    assert main(["publish", "--site", str(site), "--now", "2025-06-29T12:00:00+00:00"]) == 0
    # THEN the news sitemap is still there, robots.txt still names it, and it lists nothing
    assert "<url>" not in news.read_text(encoding="utf-8")
    assert "Sitemap: http://localhost:8000/news-sitemap.xml" in (site / "robots.txt").read_text()
