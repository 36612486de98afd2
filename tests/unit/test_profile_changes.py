"""An author's profile follows its record whatever is lost on the way: a refusal that keeps nothing up
takes it down as a removal does, and the sweep settles a profile whose change was lost. (Found by the
delivery simulation: a removal's stream batch lost, then a refused upload, left the old profile up.)"""

from __future__ import annotations

from datetime import timedelta

from pressrun.ingest import Change, Upload
from tests.unit.test_reconcile import EARLIER, NOW, Newsroom

KEY = "incoming/authors/priya-natarajan.md"
LISTING = "author/priya-natarajan"


def profile(same_as: str = "https://mastodon.example/@priya") -> bytes:
    return f"---\nname: Priya N.\nsame_as: [{same_as}]\n---\nThe council met.\n".encode()


def event(newsroom: Newsroom, version: str, change: Change = Change.CREATED) -> Upload:
    newsroom.sequencer += 1
    return Upload(
        bucket="uploads",
        key=KEY,
        version_id=version,
        sequencer=f"{newsroom.sequencer:04X}",
        change=change,
        event_time=EARLIER,
    )


def shown(newsroom: Newsroom) -> str | None:
    summary = newsroom.index.summaries([LISTING]).get(LISTING)
    return summary.profile.name if summary is not None and summary.profile is not None else None


def profiled_newsroom() -> Newsroom:
    newsroom = Newsroom()
    newsroom.uploads.add(KEY, profile(), version_id="p1", at=EARLIER)
    newsroom.follow(newsroom.validate(event(newsroom, "p1")))
    assert shown(newsroom) == "Priya N."
    return newsroom


def test_a_refused_profile_that_keeps_nothing_up_takes_the_profile_down():
    newsroom = profiled_newsroom()
    # GIVEN the profile deleted, its removal's change lost on the way
    newsroom.uploads.mark_deleted(KEY, at=EARLIER, marker="m1")
    newsroom.validate(event(newsroom, "m1", Change.DELETE_MARKER))
    # WHEN an invalid profile is uploaded after it (nothing before it can stay up: a delete marker)
    newsroom.uploads.add(KEY, profile("http://priya.example"), version_id="p2", at=EARLIER)
    change = newsroom.validate(event(newsroom, "p2"))
    assert change[1] is not None
    assert change[1].status == "rejected"
    newsroom.follow(change)
    # THEN no profile is shown
    assert shown(newsroom) is None


def test_the_sweep_settles_a_profile_whose_change_was_lost():
    newsroom = profiled_newsroom()
    # GIVEN the profile deleted, its removal's change lost with its stream batch
    newsroom.uploads.mark_deleted(KEY, at=EARLIER, marker="m1")
    newsroom.validate(event(newsroom, "m1", Change.DELETE_MARKER))
    assert shown(newsroom) == "Priya N."
    # WHEN the sweep runs
    newsroom.sweep(now=NOW + timedelta(minutes=5))
    # THEN the profile is gone
    assert shown(newsroom) is None
