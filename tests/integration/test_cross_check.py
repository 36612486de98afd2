"""One corpus, published both ways: through the Lambda handlers on the emulated stack (moto), and
through the local adapters of `pressrun publish`. The sites must be byte-identical (`.pressrun/`
aside): the two engines run the same domain, in the same order, under the same rules."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pressrun.emulator.site import LocalSite as EmulatedSite
from pressrun.local.site import LocalSite
from tests.conftest import ROOT

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
# Every file under samples/, by its name there (an author's profile is under authors/).
SAMPLES = sorted(path for path in (ROOT / "samples").rglob("*") if path.is_file())

Site = EmulatedSite | LocalSite


def story(title: str, category: str, day: int, month: str = "2025-06") -> bytes:
    front = f"title: {title}\ndate: {month}-{day:02}\ncategories: [{category}]"
    return f"---\n{front}\n---\nAbout {title}.\n".encode()


def corpus(site: Site) -> None:
    for sample in SAMPLES:
        site.upload(sample.relative_to(ROOT / "samples").as_posix(), sample.read_bytes())
    for number in range(1, 26):
        site.upload(f"story-{number}.md", story(f"Story {number}", ["World", "Sport"][number % 2], number))
    site.upload("later.md", story("Scheduled story", "World", 2, month="2026-03"))
    site.drain()


def edits(site: Site) -> None:
    # An edit that moves a story to another category, a new story, two removals.
    site.upload("story-1.md", story("Story 1", "Culture", 1))
    site.upload("story-26.md", story("Story 26", "Sport", 26))
    site.remove("story-3.md")
    site.remove("story-4.md")
    site.drain()


def rename(site: Site) -> None:
    # A rename: the file copied under a new name, then the old name deleted.
    site.upload("renamed.md", story("Story 2", "World", 2))
    site.remove("story-2.md")
    site.drain()


# A preview's token is random, one per engine; its page names neither it nor its address.
_PREVIEW_TOKEN = re.compile(r"^preview/(\d{12})-[A-Za-z0-9_-]{32,}/")


def files(folder: Path) -> dict[str, bytes]:
    return {
        _PREVIEW_TOKEN.sub(r"preview/\1-<token>/", p.relative_to(folder).as_posix()): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and ".pressrun" not in p.relative_to(folder).parts
    }


def both_ways(tmp_path: Path, *steps: Callable[[Site], None]) -> tuple[dict[str, bytes], dict[str, bytes]]:
    with EmulatedSite(tmp_path / "emulated", "http://localhost:8000", now=NOW) as emulated:
        for step in steps:
            step(emulated)
    with LocalSite(tmp_path / "local", now=NOW) as local:
        for step in steps:
            step(local)
    return files(tmp_path / "emulated"), files(tmp_path / "local")


def test_the_handlers_on_moto_and_the_local_adapters_publish_the_same_bytes_through_edits_and_a_rename(
    tmp_path: Path, clean_environment
):
    # One run of each engine through every step: publishing the corpus is most of the time (its images).
    emulated, local = both_ways(tmp_path, corpus, edits, rename)

    assert sorted(local) == sorted(emulated)
    assert [key for key in local if local[key] != emulated[key]] == []
    assert "2025/06/01/story-1/index.html" in local
    assert "2025/06/03/story-3/index.html" not in local
    # The renamed story is at the address it had, served from its new file
    assert "2025/06/02/story-2/index.html" in local
    # The scheduled story's preview, the same both ways
    assert "preview/202603081200-<token>/index.html" in local
