"""Author profiles: `authors/<slug>.md` beside the stories gives the author's page a name, a role, a
bio, links and a photo, and the JSON-LD of their stories their links elsewhere."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from pressrun.cli import main
from pressrun.model import InvalidArticle
from pressrun.profiles import parse_profile
from pressrun.settings import SiteSettings
from tests.conftest import ROOT

NOW = "2026-01-01T12:00:00+00:00"
STORY = "---\ntitle: Council Votes\ndate: 2025-06-26\ncategories: [Politics]\nauthor: Ann Lee\n---\nBody.\n"
PROFILE = (
    "---\nname: Ann Lee\nrole: Political editor\nsame_as: [https://example.org/@ann]\n"
    "photo: ann-lee.jpg\nphoto_alt: Ann Lee, smiling\n---\nAnn has covered the council since 2019.\n"
)


def publish(folder: Path, site: Path) -> None:
    main(["publish", "--site", str(site), "--now", NOW, str(folder)])


def news_article(page: str) -> dict[str, object]:
    for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL):
        data = json.loads(block)
        if data.get("@type") == "NewsArticle":
            return data  # type: ignore[no-any-return]
    raise AssertionError("no NewsArticle")


def test_a_profile_gives_the_author_page_its_role_bio_photo_and_links_and_the_story_its_same_as(
    tmp_path: Path, clean_environment
):
    # GIVEN a story by Ann Lee, and her profile with a photo beside it
    folder, site = tmp_path / "copy", tmp_path / "site"
    (folder / "authors").mkdir(parents=True)
    (folder / "council.md").write_text(STORY)
    (folder / "authors" / "ann-lee.md").write_text(PROFILE)
    shutil.copyfile(ROOT / "samples" / "harbour-at-dawn.jpg", folder / "authors" / "ann-lee.jpg")

    # WHEN the folder is published
    publish(folder, site)

    # THEN her page shows the profile, and tells search engines who she is
    page = (site / "author" / "ann-lee" / "index.html").read_text()
    assert '<p class="role">Political editor</p>' in page
    assert "<p>Ann has covered the council since 2019.</p>" in page
    assert '<a href="https://example.org/@ann" rel="me">' in page
    assert re.search(r'<img src="/media/[0-9a-f]+/\d+\.jpg"[^>]* alt="Ann Lee, smiling">', page)
    assert '"@type": "ProfilePage"' in page
    # AND her story links to her page and to where else she is
    story = (site / "2025" / "06" / "26" / "council-votes" / "index.html").read_text()
    assert news_article(story)["author"] == [
        {
            "@type": "Person",
            "name": "Ann Lee",
            "url": "http://localhost:8000/author/ann-lee/",
            "sameAs": ["https://example.org/@ann"],
        }
    ]
    # AND the profile is no page of its own
    assert not (site / "authors").exists()


def test_an_edited_profile_shows_on_the_author_page_and_a_removed_one_leaves_the_stories(
    tmp_path: Path, clean_environment
):
    folder, site = tmp_path / "copy", tmp_path / "site"
    (folder / "authors").mkdir(parents=True)
    (folder / "council.md").write_text(STORY)
    profile = folder / "authors" / "ann-lee.md"
    profile.write_text("---\nname: Ann Lee\nrole: Reporter\n---\n")
    publish(folder, site)

    profile.write_text("---\nname: Ann Lee\nrole: Political editor\n---\n")
    publish(folder, site)
    edited = (site / "author" / "ann-lee" / "index.html").read_text()
    main(["unpublish", "--site", str(site), "--now", NOW, "authors/ann-lee.md"])
    removed = (site / "author" / "ann-lee" / "index.html").read_text()

    assert '<p class="role">Political editor</p>' in edited
    assert 'class="role"' not in removed
    assert "Council Votes" in removed


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("---\nrole: Reporter\n---\n", "name"),
        ("---\nname: Ann Lee\nsame_as: [http://example.org/ann]\n---\n", "same_as"),
        ("---\nname: Ann Lee\nphoto: ann.jpg\n---\n", "photo_alt"),
        ("---\nname: Ann Lee\nfavourite: tea\n---\n", "favourite"),
    ],
)
def test_a_profile_that_cannot_be_shown_is_refused_saying_which_field(text: str, field: str):
    with pytest.raises(InvalidArticle) as refused:
        parse_profile("incoming/authors/ann-lee.md", text.encode(), SiteSettings())

    assert field in {problem.field for problem in refused.value.problems}
