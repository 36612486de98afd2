"""The images table: a write holds only against the record it was based on, and a record comes back
as it was written (waiters, users, crops), a revision further on."""

from __future__ import annotations

from pressrun.images import ImageRecord
from pressrun.model import Waiter
from pressrun.ports import ImageRepository

KEY = "incoming/hero.jpg"


def ready(**changes: object) -> ImageRecord:
    record = ImageRecord(
        source_key=KEY,
        source_version="v1",
        sequencer="0001".ljust(64, "0"),
        status="ready",
        format="JPEG",
        hash="ab" * 16,
        width=1600,
        height=1000,
        widths=(320, 640, 960, 1280, 1600),
        crops=("50-50",),
    )
    return record.model_copy(update=changes)


def as_stored(record: ImageRecord | None) -> ImageRecord | None:
    return None if record is None else record.model_copy(update={"changed_at": None, "revision": 0})


def test_a_first_save_stores_the_record_at_revision_one(images: ImageRepository):
    assert images.save(ready(), None)
    stored = images.current(KEY)
    assert stored is not None
    assert stored.revision == 1
    assert as_stored(stored) == ready()


def test_a_save_based_on_a_record_that_changed_meanwhile_is_refused(images: ImageRepository):
    images.save(ready(), None)
    first = images.current(KEY)
    # Two writers read the same revision; the first one's write lands.
    assert images.save(ready(users=("incoming/a.md",)), first)

    assert not images.save(ready(users=("incoming/b.md",)), first)
    assert not images.save(ready(), None)
    assert as_stored(images.current(KEY)) == ready(users=("incoming/a.md",))


def test_waiters_users_and_crops_come_back_as_written(images: ImageRepository):
    waiter = Waiter(source_key="incoming/story.md", source_version="v3", sequencer="05".ljust(64, "0"))
    record = ready(waiters=(waiter,), pending_waiters=(waiter,), users=("incoming/a.md",), wanted=("20-50",))
    images.save(record, None)
    assert as_stored(images.current(KEY)) == record


def test_a_missing_image_reads_as_none(images: ImageRepository):
    assert images.current("incoming/nothing.jpg") is None


def test_walk_gives_every_record_a_slice_at_a_time(images: ImageRepository):
    for name in ("a", "b", "c"):
        images.save(ready(source_key=f"incoming/{name}.jpg"), None)
    first, cursor = images.walk("", 2)
    rest, end = images.walk(cursor, 2)
    assert [r.source_key for r in first + rest] == ["incoming/a.jpg", "incoming/b.jpg", "incoming/c.jpg"]
    assert end == ""
