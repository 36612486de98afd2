"""One-time schedules: scheduling again moves a schedule, cancelling is idempotent."""

from __future__ import annotations

from datetime import UTC, datetime

from pressrun.scheduling import Release
from tests.contracts.conftest import SchedulerHarness

AT = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
RELEASE = Release(source_key="incoming/morning.md", source_version="v1")


def test_a_schedule_holds_its_time_and_release(schedules: SchedulerHarness):
    schedules.scheduler.schedule("morning", AT, RELEASE)

    assert schedules.pending() == {"morning": (AT, RELEASE)}


def test_scheduling_again_moves_the_schedule(schedules: SchedulerHarness):
    later = datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    moved = RELEASE.model_copy(update={"source_version": "v2"})
    schedules.scheduler.schedule("morning", AT, RELEASE)

    schedules.scheduler.schedule("morning", later, moved)

    assert schedules.pending() == {"morning": (later, moved)}


def test_cancelling_removes_it_and_cancelling_again_is_fine(schedules: SchedulerHarness):
    schedules.scheduler.schedule("morning", AT, RELEASE)
    schedules.scheduler.schedule("evening", AT, RELEASE)

    schedules.scheduler.cancel("morning")
    schedules.scheduler.cancel("morning")
    schedules.scheduler.cancel("never-made")

    assert list(schedules.pending()) == ["evening"]
