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


def test_the_sweep_follows_a_profile_change_it_missed_by_its_upload_not_its_time():
    newsroom = profiled_newsroom()
    assert newsroom.sweep(now=NOW).drift == []
    # GIVEN the profile replaced, its change's stream record lost, and its record dated before the
    # last sweep (outside any lost batch's span: the sweep's query of recent changes never sees it)
    newsroom.uploads.add(KEY, profile("https://mastodon.example/@priya.n"), version_id="p2", at=EARLIER)
    replaced = newsroom.validate(event(newsroom, "p2"))[1]
    assert replaced is not None
    # WHEN a later sweep walks the profile's record
    report = newsroom.sweep(now=NOW + timedelta(minutes=15))
    # THEN the summary names the upload it missed, so the change is followed, as drift of a profile
    summary = newsroom.index.summaries([LISTING])[LISTING]
    assert summary.profile_sequencer == replaced.sequencer
    assert summary.profile is not None
    assert summary.profile.same_as == ("https://mastodon.example/@priya.n",)
    assert [drift.subject for drift in report.drift if drift.kind == "profile"] == [KEY]
    # AND the next sweep finds the profile in step
    assert [d for d in newsroom.sweep(now=NOW + timedelta(minutes=30)).drift if d.kind == "profile"] == []


def test_a_profile_removal_the_sweep_missed_takes_the_profile_down_on_a_later_walk():
    newsroom = profiled_newsroom()
    assert newsroom.sweep(now=NOW).drift == []
    # GIVEN the profile deleted, its removal recorded before the last sweep and its change lost
    newsroom.uploads.mark_deleted(KEY, at=EARLIER, marker="m1")
    newsroom.validate(event(newsroom, "m1", Change.DELETE_MARKER))
    # WHEN a later sweep walks it
    report = newsroom.sweep(now=NOW + timedelta(minutes=15))
    # THEN no profile is shown, and it is drift of a profile
    assert shown(newsroom) is None
    assert "profile" in {drift.kind for drift in report.drift}
