"""Nothing is lost on the user's machine: a folder pressrun does not own is never cleared, only the
files pressrun wrote are ever removed, no key reaches outside the folder, two runs never work in
one folder at once, and a run killed at any point is finished by running the same command again."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pressrun.cli import main
from pressrun.local.folder import locked
from pressrun.local.site_folder import FolderSite, UnsafeKey
from pressrun.local.state import State

NOW = "2026-01-01T12:00:00+00:00"


def story(title: str, category: str = "World", day: int = 26, body: str = "A paragraph.") -> str:
    return f"---\ntitle: {title}\ndate: 2025-06-{day:02}\ncategories: [{category}]\n---\n{body}\n"


def write(folder: Path, count: int, first: int = 0, category: str = "World") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(first, first + count):
        path = folder / f"story-{number:03}.md"
        path.write_text(story(f"Story {number}", category, day=1 + number % 28))
        paths.append(path)
    return paths


def pressrun(
    *arguments: str | Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pressrun.cli", *map(str, arguments)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def site_files(site: Path) -> dict[str, bytes]:
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in site.rglob("*")
        if p.is_file() and ".pressrun" not in p.relative_to(site).parts
    }


def without_search(files: dict[str, bytes]) -> dict[str, bytes]:
    return {key: body for key, body in files.items() if not key.startswith("pagefind/")}


# --- whose folder ---------------------------------------------------------------------------------


def test_a_first_publish_into_a_folder_of_other_files_is_refused_and_deletes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    folder = tmp_path / "documents"
    (folder / "photos").mkdir(parents=True)
    (folder / "notes.txt").write_text("my notes")
    (folder / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    (folder / ".env").write_text("SECRET=1")
    (folder / ".git").mkdir()
    (folder / ".git" / "config").write_text("[core]")
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    (article,) = write(tmp_path / "stories", 1)

    with pytest.raises(SystemExit) as refused:
        main(["publish", "--site", str(folder), str(article)])

    assert refused.value.code == 2
    assert "already holds files that pressrun did not write" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


def test_publishing_into_an_empty_folder_is_fine(tmp_path: Path, clean_environment):
    folder = tmp_path / "site"
    folder.mkdir()

    assert main(["publish", "--site", str(folder), *map(str, write(tmp_path / "stories", 1))]) == 0
    assert (folder / "index.html").exists()


def test_only_files_pressrun_wrote_are_ever_removed(tmp_path: Path, clean_environment):
    site = tmp_path / "site"
    (article,) = write(tmp_path / "stories", 1)
    main(["publish", "--site", str(site), str(article)])
    (site / "about.html").write_text("<p>about us</p>")
    (site / "category" / "world" / "notes.txt").write_text("my notes")

    main(["unpublish", "--site", str(site), article.name])

    assert not (site / "category" / "world" / "index.html").exists()
    assert (site / "category" / "world" / "notes.txt").read_text() == "my notes"
    assert (site / "about.html").read_text() == "<p>about us</p>"


def test_a_page_edited_by_hand_is_seen_and_rendered_again_by_a_rebuild(tmp_path: Path, clean_environment):
    site = tmp_path / "site"
    main(["publish", "--site", str(site), *map(str, write(tmp_path / "stories", 2))])
    rendered = (site / "index.html").read_bytes()
    (site / "index.html").write_text("<p>edited by hand</p>")

    assert main(["rebuild", "--site", str(site)]) == 0
    assert (site / "index.html").read_bytes() == rendered


@pytest.mark.parametrize(
    "key",
    ["../outside.html", "/etc/passwd", "a/../../outside.html", ".pressrun/state.db", "x//y", "link/x.html"],
)
def test_no_key_reaches_outside_the_site_folder_or_into_its_state(tmp_path: Path, key: str):
    site = tmp_path / "site"
    (site / ".pressrun").mkdir(parents=True)
    (site / "link").symlink_to(tmp_path)
    store = FolderSite(site, State(site / ".pressrun" / "state.db"))

    with pytest.raises(UnsafeKey):
        store.put(key, b"<p>x</p>", "text/html")
    with pytest.raises(UnsafeKey):
        store.delete(key)

    store.state.commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    assert sorted(p.name for p in (site / ".pressrun").iterdir()) == [
        "state.db",
        "state.db-shm",
        "state.db-wal",
    ]


# --- one run at a time ----------------------------------------------------------------------------


def test_two_publishes_at_once_into_one_folder_both_land_whole(tmp_path: Path, clean_environment):
    site = tmp_path / "site"
    first = write(tmp_path / "first", 40)
    second = write(tmp_path / "second", 40, first=40, category="Sport")
    main(["publish", "--site", str(site), "--now", NOW, str(first[0])])

    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "pressrun.cli", "publish", "--site", str(site), "--now", NOW, str(folder)],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for folder in (tmp_path / "first", tmp_path / "second")
    ]
    codes = [run.wait(timeout=120) for run in runs]

    assert codes == [0, 0]
    sitemap = (site / "sitemap.xml").read_text()
    assert sitemap.count("<loc>") == 81  # 80 stories and the home page
    reference = tmp_path / "reference"
    main(
        ["publish", "--site", str(reference), "--now", NOW, str(tmp_path / "first"), str(tmp_path / "second")]
    )
    # The search bundle is built at most once per SEARCH_INDEX_INTERVAL_MINUTES: the first publish
    # built it, and the two at the same time left theirs to a later command (tests/unit/test_search.py).
    assert without_search(site_files(site)) == without_search(site_files(reference))
    assert len(second) == 40


def test_a_second_run_waits_for_the_first_and_says_so(tmp_path: Path, clean_environment):
    site = tmp_path / "site"
    (article,) = write(tmp_path / "stories", 1)
    main(["publish", "--site", str(site), str(article)])

    with locked(site / ".pressrun"):
        waiting = subprocess.Popen(
            [sys.executable, "-m", "pressrun.cli", "publish", "--site", str(site), str(article)],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert waiting.stderr is not None
        message = waiting.stderr.readline()
        time.sleep(0.3)
        still_running = waiting.poll() is None

    assert "waiting for another pressrun" in message
    assert still_running
    assert waiting.wait(timeout=60) == 0


# --- killed at any point --------------------------------------------------------------------------

# Runs pressrun, killing the process right after the KILL_AT-th change of a file's name or existence
# (a move into place, a removal): every point where the folder and the database can part ways.
KILLER = """
import os, sys
kill_at, seen = int(os.environ["KILL_AT"]), 0

def counted(real):
    def call(*arguments, **keywords):
        global seen
        result = real(*arguments, **keywords)
        seen += 1
        if seen == kill_at:
            os._exit(137)
        return result
    return call

os.replace, os.rename, os.unlink, os.rmdir = map(counted, (os.replace, os.rename, os.unlink, os.rmdir))
from pressrun.cli import main
code = main(sys.argv[1:])
print("changes", seen, file=sys.stderr)
sys.exit(code)
"""


def killed_run(site: Path, kill_at: int, *arguments: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", KILLER, "publish", "--site", str(site), "--now", NOW, *map(str, arguments)],
        capture_output=True,
        text=True,
        env={**os.environ, "KILL_AT": str(kill_at)},
        timeout=120,
        check=False,
    )


def test_a_run_killed_at_any_point_is_finished_by_running_it_again(tmp_path: Path, clean_environment):
    stories = tmp_path / "stories"
    stories.mkdir()
    (stories / "a.md").write_text(story("Alpha", "World"))
    (stories / "b.md").write_text(story("Beta", "World", day=27))
    base = tmp_path / "base"
    assert main(["publish", "--site", str(base), "--now", NOW, str(stories)]) == 0
    # The run under test: an edit that moves a story to another category (its old upload's bytes
    # become garbage, its old category's pages go) and a new story.
    edits = tmp_path / "edits"
    edits.mkdir()
    (edits / "b.md").write_text(story("Beta", "Sport", day=27, body="Edited."))
    (edits / "c.md").write_text(story("Gamma", "World", day=28))
    reference = tmp_path / "reference"
    shutil.copytree(base, reference)
    clean = killed_run(reference, 0, edits)
    assert clean.returncode == 0, clean.stderr
    changes = int(clean.stderr.split("changes")[-1])
    assert changes > 5

    for kill_at in range(1, changes + 1):
        site = tmp_path / f"killed-{kill_at}"
        shutil.copytree(base, site)

        killed = killed_run(site, kill_at, edits)
        assert killed.returncode == 137, killed.stderr
        # Whatever the state was left in, it is whole: every page can be rendered from it.
        rebuilt = pressrun("rebuild", "--site", site, "--now", NOW, "--json", cwd=tmp_path)
        assert rebuilt.returncode == 0, (kill_at, rebuilt.stdout, rebuilt.stderr)
        again = killed_run(site, 0, edits)

        assert again.returncode == 0, (kill_at, again.stderr)
        assert site_files(site) == site_files(reference), kill_at
        uploads = {p.name for p in (site / ".pressrun" / "uploads").iterdir()}
        assert uploads == {p.name for p in (reference / ".pressrun" / "uploads").iterdir()}, kill_at


def test_a_page_whose_place_is_taken_by_a_folder_is_set_aside_and_never_blocks_a_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    site = tmp_path / "site"
    stories = write(tmp_path / "stories", 2)
    main(["publish", "--site", str(site), "--now", NOW, str(stories[0])])
    (site / "feed.xml").unlink()
    (site / "feed.xml").mkdir()  # someone's folder where the feed goes
    capsys.readouterr()

    code = main(["publish", "--site", str(site), "--now", NOW, "--json", str(stories[1])])

    assert code == 1
    assert json.loads(capsys.readouterr().out)["failed"] == [
        {"queue": "StreamFailureQueue", "sources": ["site"]}
    ]
    (site / "feed.xml").rmdir()
    assert main(["redrive", "--site", str(site), "--now", NOW]) == 0
    assert "Story 1" in (site / "feed.xml").read_text()


def test_a_move_the_folder_refuses_after_the_commit_is_said_and_forgotten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    site = tmp_path / "site"
    (site / ".pressrun").mkdir(parents=True)
    state = State(site / ".pressrun" / "state.db")
    store = FolderSite(site, state)
    store.put("page/index.html", b"<p>page</p>", "text/html")
    (site / "page" / "index.html").mkdir()  # taken between the decision and the move

    state.commit()

    assert "page/index.html could not be put in place" in capsys.readouterr().err
    assert state.execute("SELECT count(*) FROM site_file").fetchone()[0] == 0
    assert state.execute("SELECT count(*) FROM site_pending").fetchone()[0] == 0
