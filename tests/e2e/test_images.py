"""Images through `pressrun publish`: taken along with the articles from a folder, rendered by the same
domain function the image Lambda runs, and refused with a report when they are no image."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from pressrun.cli import main
from tests.pictures import GPS_IFD, jpeg

pytestmark = pytest.mark.e2e

PAGE = "2026/02/27/harbour-reopens/index.html"


def story(image: str = "photos/hero.jpg") -> bytes:
    return (
        "---\ntitle: Harbour Reopens\ndate: 2026-02-27\ncategories: [Local]\n"
        f"image: {image}\nimage_alt: Boats in the harbour\nimage_credit: A. Photographer\n---\n"
        "The harbour reopened.\n\n![Nets on the quay](photos/nets.jpg)\n"
    ).encode()


def publish(capsys: pytest.CaptureFixture[str], site: Path, *paths: Path) -> tuple[int, dict]:
    code = main(["publish", "--site", str(site), "--json", "--now", "2026-03-01T12:00Z", *map(str, paths)])
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture
def newsroom(tmp_path: Path) -> Path:
    folder = tmp_path / "desk"
    (folder / "photos").mkdir(parents=True)
    (folder / "harbour.md").write_bytes(story())
    (folder / "photos" / "hero.jpg").write_bytes(jpeg(1600, 1000, seed=4, gps=True))
    (folder / "photos" / "nets.jpg").write_bytes(jpeg(900, 600, seed=5, gps=True))
    return folder


def test_a_folder_publishes_its_articles_with_their_images(
    newsroom: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    code, summary = publish(capsys, tmp_path / "site", newsroom)

    assert code == 0, summary
    assert [p["source"].rsplit("/", 1)[-1] for p in summary["published"]] == ["harbour.md"]
    page = (tmp_path / "site" / PAGE).read_text()
    assert page.count("<figure") == 2
    assert 'fetchpriority="high"' in page
    assert 'loading="lazy"' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    # The listing card shows the lead image small.
    assert 'class="thumb"' in (tmp_path / "site" / "index.html").read_text()


def test_a_published_rendition_has_no_exif_gps_left(
    newsroom: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    publish(capsys, tmp_path / "site", newsroom)

    renditions = sorted((tmp_path / "site" / "media").rglob("*.*"))
    assert len(renditions) > 20
    for path in renditions:
        with Image.open(io.BytesIO(path.read_bytes())) as published:
            assert not published.getexif().get_ifd(GPS_IFD), path
            assert "exif" not in published.info, path


def test_publishing_the_same_folder_again_writes_nothing(
    newsroom: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    publish(capsys, tmp_path / "site", newsroom)
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "site").rglob("*") if ".pressrun" not in p.parts}

    code, summary = publish(capsys, tmp_path / "site", newsroom)

    assert code == 0
    assert summary["invalidated"] == []
    after = {p: p.stat().st_mtime_ns for p in (tmp_path / "site").rglob("*") if ".pressrun" not in p.parts}
    assert after == before


def test_a_jpg_that_is_really_html_gets_a_report_and_its_article_waits(
    newsroom: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    (newsroom / "photos" / "hero.jpg").write_bytes(b"<!doctype html><p>not a photo</p>")

    code, summary = publish(capsys, tmp_path / "site", newsroom)

    assert code == 1
    rejected = {r["source"].rsplit("/", 1)[-1]: r["errors"] for r in summary["rejected"]}
    assert "HTML" in rejected["hero.jpg"][0]["message"]
    assert "was refused" in rejected["harbour.md"][0]["message"]
    assert not (tmp_path / "site" / PAGE).exists()
    # Uploading a real photo under the same name publishes the article that waited for it.
    (newsroom / "photos" / "hero.jpg").write_bytes(jpeg(1200, 800, seed=6))
    code, summary = publish(capsys, tmp_path / "site", newsroom)
    assert code == 0, summary
    assert (tmp_path / "site" / PAGE).exists()


def test_an_image_replaced_re_renders_the_page_that_shows_it(
    newsroom: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    publish(capsys, tmp_path / "site", newsroom)
    first = (tmp_path / "site" / PAGE).read_text()

    (newsroom / "photos" / "hero.jpg").write_bytes(jpeg(1600, 1000, seed=9))
    code, summary = publish(capsys, tmp_path / "site", newsroom)

    assert code == 0
    second = (tmp_path / "site" / PAGE).read_text()
    assert second != first
    # The page was served before, so its change is invalidated; the new renditions are not.
    assert f"/{PAGE}" in summary["invalidated"]
    assert not any(path.startswith("/media/") for path in summary["invalidated"])
