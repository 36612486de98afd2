"""The command line as a new user meets it: settings given once, names as publish printed them,
`--version`, quiet pipes, progress only on a terminal, and failures that can be retried."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from pressrun.cli import main
from pressrun.local.redirects import redirect_of
from tests.conftest import ROOT, SAMPLE

SAMPLES = ROOT / "samples"


def story(title: str, date: str = "2025-06-26", category: str = "World") -> str:
    return f"---\ntitle: {title}\ndate: {date}\ncategories: [{category}]\n---\nA paragraph.\n"


def run(*arguments: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pressrun.cli", *map(str, arguments)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- settings given once ----------------------------------------------------------------------------


def test_a_plain_rebuild_keeps_the_address_the_site_was_published_under(tmp_path: Path, clean_environment):
    site = tmp_path / "site"
    main(["publish", "--site", str(site), "--site-url", "https://news.example.com", str(SAMPLE)])

    assert main(["rebuild", "--site", str(site)]) == 0

    for page in ("index.html", "feed.xml", "sitemap.xml"):
        text = (site / page).read_text()
        assert "https://news.example.com/" in text
        assert "localhost" not in text


def test_a_contradicting_setting_is_refused_with_the_way_to_change_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    site = tmp_path / "site"
    main(["publish", "--site", str(site), "--site-url", "https://news.example.com", str(SAMPLE)])
    home = (site / "index.html").read_bytes()
    capsys.readouterr()

    with pytest.raises(SystemExit) as refused:
        main(["publish", "--site", str(site), "--site-url", "https://other.example.org", str(SAMPLE)])

    message = capsys.readouterr().err
    assert refused.value.code == 2
    assert "'https://news.example.com'" in message
    assert f"pressrun rebuild --site {site} --site-url https://other.example.org" in message
    assert (site / "index.html").read_bytes() == home


def test_a_rebuild_given_a_new_setting_changes_it_for_every_page_and_every_later_run(
    tmp_path: Path, clean_environment
):
    site = tmp_path / "site"
    later = tmp_path / "later.md"
    later.write_text(story("Later story"))
    main(["publish", "--site", str(site), "--site-name", "Old Gazette", str(SAMPLE)])

    assert main(["rebuild", "--site", str(site), "--site-name", "New Gazette"]) == 0
    assert main(["publish", "--site", str(site), str(later)]) == 0

    assert "Old Gazette" not in (site / "index.html").read_text()
    assert "New Gazette" in (site / "2025/06/26/later-story/index.html").read_text()
    assert json.loads((site / ".pressrun/settings.json").read_text())["site_name"] == "New Gazette"


def test_the_time_zone_never_changes_once_articles_are_dated_in_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    site = tmp_path / "site"
    main(["publish", "--site", str(site), str(SAMPLE)])
    capsys.readouterr()

    with pytest.raises(SystemExit) as refused:
        main(["rebuild", "--site", str(site), "--site-timezone", "America/New_York"])

    assert refused.value.code == 2
    assert "time zone" in capsys.readouterr().err


# --- names as publish printed them ---------------------------------------------------------------


def test_unpublish_takes_the_name_publish_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    site = tmp_path / "site"
    main(["publish", "--site", str(site), str(SAMPLES)])
    printed = capsys.readouterr().out
    source = str(SAMPLES / "markets-steady-as-rates-hold.md")
    assert f"published  {source} →" in printed

    assert main(["unpublish", "--site", str(site), source]) == 0

    assert "removed    incoming/markets-steady-as-rates-hold.md" in capsys.readouterr().out
    assert not (site / "2025/06/26/markets-steady-as-the-bank-holds-rates").exists()


def test_unpublish_of_a_name_that_matches_nothing_suggests_the_closest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    site = tmp_path / "site"
    main(["publish", "--site", str(site), str(SAMPLES)])
    capsys.readouterr()

    code = main(["unpublish", "--site", str(site), "markets-steady-as-rate-hold.md"])

    assert code == 1
    assert "did you mean 'markets-steady-as-rates-hold.md'" in capsys.readouterr().err


# --- a command line that behaves -----------------------------------------------------------------


def test_version_names_the_installed_package(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])

    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("pressrun 0.")


def test_a_reader_that_goes_away_ends_the_output_quietly(tmp_path: Path):
    reader_gone = subprocess.Popen(
        [sys.executable, "-m", "pressrun.cli", "publish", "--site", str(tmp_path / "site"), str(SAMPLES)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert reader_gone.stdout is not None
    reader_gone.stdout.close()  # as `| head` does once it has its lines

    _, errors = reader_gone.communicate(timeout=120)

    assert errors == b""
    assert (tmp_path / "site/index.html").exists()


def test_progress_is_shown_in_stories_on_a_terminal_and_never_in_a_pipe(tmp_path: Path):
    piped = run("publish", "--site", tmp_path / "piped", SAMPLES, cwd=tmp_path)
    assert (piped.returncode, piped.stderr) == (0, "")

    controller, terminal = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "pressrun.cli", "publish", "--site", str(tmp_path / "shown"), str(SAMPLES)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=terminal,
        env={**os.environ, "COLUMNS": "100"},
    ) as shown:
        os.close(terminal)
        seen = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        assert shown.wait(timeout=120) == 0
    os.close(controller)

    assert b"stories" in seen


# --- failures that can be retried ----------------------------------------------------------------


def test_a_scheduled_release_that_keeps_failing_is_kept_and_redrive_publishes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, clean_environment
):
    site = tmp_path / "site"
    morning = tmp_path / "morning.md"
    morning.write_text(story("Morning news", date="2026-03-02T06:00:00+00:00", category="News"))
    main(["publish", "--site", str(site), "--now", "2026-03-01T12:00:00+00:00", str(morning)])

    def release_fails(*_: object) -> bool:
        raise RuntimeError("articles table unavailable")

    with monkeypatch.context() as patched:
        patched.setattr("pressrun.local.dispatcher.release_article", release_fails)
        capsys.readouterr()
        code = main(["publish", "--site", str(site), "--json", "--now", "2026-03-02T06:00:01+00:00"])
        failed = json.loads(capsys.readouterr().out)["failed"]
    assert code == 1
    assert failed == [{"queue": "ScheduleDeadLetterQueue", "sources": ["incoming/morning.md"]}]
    assert not (site / "2026/03/02/morning-news/index.html").exists()

    code = main(["redrive", "--site", str(site), "--json", "--now", "2026-03-02T06:00:01+00:00"])

    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["redriven"] == {"ScheduleDeadLetterQueue": 1}
    assert summary["failed"] == []
    assert (site / "2026/03/02/morning-news/index.html").exists()


def test_the_site_commands_load_neither_boto3_nor_moto(tmp_path: Path):
    site = tmp_path / "site"
    script = (
        "import sys\n"
        "from pressrun.cli import main\n"
        f"main(['publish', '--site', {str(site)!r}, {str(SAMPLES)!r}])\n"
        f"main(['rebuild', '--site', {str(site)!r}])\n"
        f"main(['unpublish', '--site', {str(site)!r}, 'markets-steady-as-rates-hold.md'])\n"
        "import pressrun.local.serve\n"
        "loaded = {name.split('.')[0] for name in sys.modules}\n"
        "print(sorted(loaded & {'boto3', 'botocore', 'moto', 'aws_lambda_powertools'}))\n"
    )

    ran = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=True
    )

    assert ran.stdout.splitlines()[-1] == "[]"


# --- previews -----------------------------------------------------------------------------------------


def test_publish_json_lists_each_drafts_and_scheduled_storys_preview(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    site = tmp_path / "site"
    draft, later = tmp_path / "draft.md", tmp_path / "later.md"
    draft.write_text(
        "---\ntitle: Budget talks\ndate: 2026-02-27\ncategories: [News]\ndraft: true\n---\nText.\n"
    )
    later.write_text(story("Tomorrow's story", date="2026-03-02T06:00:00Z"))
    # WHEN an editor publishes a draft and a story dated later
    address = ["--site-url", "https://news.example.com", "--now", "2026-03-01T09:30:15Z"]
    code = main(["publish", "--json", "--site", str(site), *address, str(draft), str(later)])
    summary = json.loads(capsys.readouterr().out)
    # THEN each has a preview: its address and when it stops answering, a week on
    assert code == 0
    assert summary["drafts"] == [str(draft)]
    previews = {preview["source"]: preview for preview in summary["previews"]}
    assert sorted(previews) == [str(draft), str(later)]
    for preview in previews.values():
        assert preview["url"].startswith("https://news.example.com/preview/202603080931-")
        assert preview["expires"] == "2026-03-08T09:31:00Z"
    # AND each page is in the site folder, and the editor's report under .pressrun/previews/
    for preview in previews.values():
        key = preview["url"].removeprefix("https://news.example.com/")
        assert "Preview — not published." in (site / key / "index.html").read_text()
    report = json.loads((site / ".pressrun" / "previews" / "draft.md.json").read_text())
    assert report == {
        "source": "incoming/draft.md",
        **{k: previews[str(draft)][k] for k in ("url", "expires")},
    }


def test_publish_names_the_preview_in_its_lines_and_going_live_takes_it_down(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    site = tmp_path / "site"
    draft = tmp_path / "draft.md"
    draft.write_text(
        "---\ntitle: Budget talks\ndate: 2026-02-27\ncategories: [News]\ndraft: true\n---\nText.\n"
    )
    main(["publish", "--site", str(site), "--now", "2026-03-01T09:30:15Z", str(draft)])
    printed = capsys.readouterr().out
    assert f"preview    {draft} → http://localhost:8000/preview/202603080931-" in printed
    assert "until 2026-03-08T09:31:00+00:00" in printed
    preview = next(site.glob("preview/*/index.html"))
    # WHEN the editor publishes it
    draft.write_text(draft.read_text().replace("draft: true", "draft: false"))
    main(["publish", "--json", "--site", str(site), "--now", "2026-03-01T10:00:00Z", str(draft)])
    summary = json.loads(capsys.readouterr().out)
    # THEN the preview and its report are gone, and its address redirects to the story
    assert summary["previews"] == []
    assert not preview.exists()
    assert not (site / ".pressrun" / "previews" / "draft.md.json").exists()
    # (what `pressrun serve` answers, from the folder's state)
    assert redirect_of(site, f"/{preview.parent.relative_to(site)}/") == "/2026/02/27/budget-talks/"


def test_a_draft_is_in_no_listing_feed_or_sitemap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    site = tmp_path / "site"
    draft = tmp_path / "draft.md"
    draft.write_text(
        "---\ntitle: Secret budget talks\ndate: 2025-06-25\ncategories: [Economics]\ntags: [budget]\n"
        "author: Priya Natarajan\ndraft: true\n---\nText.\n"
    )
    # WHEN a draft is published beside a live story of the same section
    main(["publish", "--site", str(site), str(SAMPLE), str(draft)])
    capsys.readouterr()
    # THEN only its preview names it: no home page, section, tag or author page, feed or sitemap
    public = [path for path in site.rglob("*") if path.is_file() and ".pressrun" not in path.parts]
    previews = [path for path in public if path.relative_to(site).parts[0] == "preview"]
    assert len(previews) == 1
    naming = [
        path
        for path in public
        if b"Secret budget talks" in path.read_bytes() or b"/preview/" in path.read_bytes()
    ]
    assert naming == previews
    assert (site / "sitemap.xml").is_file()
    assert (site / "category" / "economics" / "index.html").is_file()
