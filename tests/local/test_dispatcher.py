"""The dispatcher's rules: bounded retries with backoff on a simulated clock, dead letters that keep
their source, reproducible chaos, and a redriven change that cannot bring back an older version."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pressrun.local import parallel
from pressrun.local.dispatcher import ATTEMPTS
from pressrun.local.site import LocalSite
from pressrun.local.work import Kind

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def story(title: str, number: int = 1) -> bytes:
    front = f"title: {title}\ndate: 2025-06-{number:02}\ncategories: [World]\nslug: story-{number}"
    return f"---\n{front}\n---\nB.\n".encode()


def test_a_step_that_keeps_failing_is_tried_a_bounded_number_of_times_then_set_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    tries: list[float] = []

    def failing(*_: Any, **__: Any) -> None:
        tries.append(time.monotonic())
        raise RuntimeError("the index is down")

    monkeypatch.setattr("pressrun.local.dispatcher.follow_article_change", failing)
    started = time.monotonic()
    with LocalSite(tmp_path / "site", now=NOW) as site:
        site.upload("story.md", story("A story"))
        site.drain()
        letters = site.ports.work.dead_letters()
        slept = site.dispatcher.clock.slept

    assert len(tries) == ATTEMPTS[Kind.ARTICLE]
    assert slept == sum(2**n for n in range(ATTEMPTS[Kind.ARTICLE] - 1))  # 1 s, 2 s, 4 s…
    assert time.monotonic() - started < slept  # simulated: nobody waited
    assert [(letter.queue, letter.source) for letter in letters] == [
        ("StreamFailureQueue", "incoming/story.md")
    ]
    assert "the index is down" in letters[0].error


def test_the_same_chaos_seed_fails_the_same_calls(tmp_path: Path):
    outcomes = []
    for run in range(2):
        with LocalSite(tmp_path / f"site-{run}", now=NOW, chaos=0.3, seed=7) as site:
            for number in range(1, 11):
                site.upload(f"story-{number}.md", story(f"Story {number}", number))
            site.drain()
            assert site.chaos is not None
            outcomes.append((site.chaos.injected, site.failures()))

    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] > 0


def test_a_redriven_change_brings_the_article_to_its_current_version_not_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    site_dir = tmp_path / "site"
    with LocalSite(site_dir, now=NOW) as site:
        site.upload("story.md", story("First take"))
        site.drain()

    from pressrun.local import dispatcher

    real = dispatcher.follow_article_change

    def fails_for_the_second_take(old: Any, new: Any, **ports: Any) -> Any:
        if new is not None and new.title == "Second take":
            raise RuntimeError("page store down")
        return real(old, new, **ports)

    monkeypatch.setattr("pressrun.local.dispatcher.follow_article_change", fails_for_the_second_take)
    with LocalSite(site_dir, now=NOW) as site:
        site.upload("story.md", story("Second take"))
        site.drain()
        site.upload("story.md", story("Third take"))
        site.drain()
        assert site.failures()
    monkeypatch.setattr("pressrun.local.dispatcher.follow_article_change", real)

    with LocalSite(site_dir, now=NOW) as site:
        site.redrive()
        failed = site.failures()

    page = (site_dir / "2025/06/01/story-1/index.html").read_text()
    assert failed == []
    assert "Third take" in page
    assert "Second take" not in page


def test_a_large_batch_on_worker_processes_builds_the_site_one_process_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    def publish(site_dir: Path) -> dict[str, bytes]:
        with LocalSite(site_dir, now=NOW) as site:
            site.upload("first-name.md", story("Renamed in the batch", 1))
            for number in range(2, 41):
                site.upload(f"story-{number}.md", story(f"Story {number}", 1 + number % 28))
            site.drain()
        with LocalSite(site_dir, now=NOW) as site:
            # A rename (copy, then delete) among many changes, and a rebuild of them all.
            site.upload("final-name.md", story("Renamed in the batch", 1))
            site.remove("first-name.md")
            for number in range(41, 81):
                site.upload(f"story-{number}.md", story(f"Story {number}", 1 + number % 28))
            site.drain()
            site.rebuild()
            assert site.failures() == []
        return {
            p.relative_to(site_dir).as_posix(): p.read_bytes()
            for p in site_dir.rglob("*")
            if p.is_file() and ".pressrun" not in p.parts
        }

    monkeypatch.setattr("pressrun.local.parallel.PARALLEL_FROM", 10**9)
    one_process = publish(tmp_path / "one")
    monkeypatch.setattr("pressrun.local.parallel.PARALLEL_FROM", 20)
    monkeypatch.setattr("pressrun.local.parallel.cores", lambda: 2)
    real_run, stages = parallel.Workers.run, []

    def counted(
        workers: parallel.Workers, tasks: list[parallel.ShardTask], while_waiting: Any
    ) -> list[parallel.ShardResult]:
        stages.append(len(tasks))
        return real_run(workers, tasks, while_waiting)

    monkeypatch.setattr(parallel.Workers, "run", counted)
    workers = publish(tmp_path / "workers")

    # Uploads and changes of each run, the rebuild the first run's new section queues (every page's
    # header names it), and the operator's rebuild.
    assert stages == [2] * 6
    assert workers == one_process
    assert "2025/06/01/story-1/index.html" in workers
