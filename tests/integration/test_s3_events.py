"""The emulated stack's S3 events (pressrun.emulator.s3_events): told from S3's answers, the way S3
tells of each change. These test the emulator, not AWS."""

from __future__ import annotations

from pathlib import Path

from pressrun.emulator.s3_events import Answer, ChangeLog, Kind, ObjectChange, changes_on_the_wire
from pressrun.emulator.site import LocalSite

BUCKET = "pressrun-uploadsbucket"
BATCH_DELETE_ANSWER = b"""<?xml version="1.0" encoding="UTF-8"?>
<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Deleted><Key>incoming/a.md</Key><DeleteMarker>true</DeleteMarker>
    <DeleteMarkerVersionId>marker-1</DeleteMarkerVersionId></Deleted>
  <Deleted><Key>incoming/b.md</Key><VersionId>version-7</VersionId></Deleted>
</DeleteResult>"""


def heard(method: str, target: str, sent: dict[str, str], answer: Answer) -> list[ObjectChange]:
    log = ChangeLog()
    log.watch(BUCKET, announce=True)
    changes_on_the_wire(log, method, target, "127.0.0.1:5000", sent, answer)
    return log.history


def test_the_emulator_tells_of_each_deletion_of_a_batch_as_s3_does():
    changes = heard("POST", f"/{BUCKET}?delete", {}, Answer(200, {}, BATCH_DELETE_ANSWER))

    assert changes == [
        ObjectChange(BUCKET, "incoming/a.md", Kind.DELETE_MARKER, "marker-1", "DeleteObject"),
        ObjectChange(BUCKET, "incoming/b.md", Kind.DELETED, "version-7", "DeleteObject"),
    ]


def test_the_emulator_tells_of_a_multipart_upload_once_when_it_completes():
    part = heard("PUT", f"/{BUCKET}/incoming/big.md?partNumber=1&uploadId=u", {}, Answer(200, {}, b""))
    completed = heard(
        "POST", f"/{BUCKET}/incoming/big.md?uploadId=u", {}, Answer(200, {"x-amz-version-id": "v1"}, b"")
    )

    assert part == []
    assert completed == [
        ObjectChange(BUCKET, "incoming/big.md", Kind.CREATED, "v1", "CompleteMultipartUpload")
    ]


def test_the_emulator_tells_of_a_put_with_its_decoded_size_and_of_nothing_refused():
    sent = {"content-length": "180", "x-amz-decoded-content-length": "100"}
    answered = Answer(200, {"x-amz-version-id": "v2", "etag": '"abc"'}, b"")

    put = heard("PUT", f"/{BUCKET}/incoming/caf%C3%A9.md", sent, answered)
    refused = heard("PUT", f"/{BUCKET}/incoming/x.md", sent, Answer(403, {}, b""))

    assert put == [ObjectChange(BUCKET, "incoming/café.md", Kind.CREATED, "v2", "PutObject", 100, '"abc"')]
    assert refused == []


def test_uploads_removed_in_one_batch_are_unpublished_on_the_emulated_stack(
    tmp_path: Path, clean_environment
):
    story = "---\ntitle: {}\ndate: 2025-06-26\ncategories: [World]\n---\nText.\n"
    with LocalSite(tmp_path / "site", "http://localhost:8000") as site:
        site.upload("one.md", story.format("One").encode())
        site.upload("two.md", story.format("Two").encode())
        site.drain()
        s3 = site.stack.client("s3")
        pages = s3.list_objects_v2(Bucket=site.site_bucket, Prefix="2025/06/26/")["KeyCount"]
        s3.delete_objects(
            Bucket=site.uploads_bucket,
            Delete={"Objects": [{"Key": "incoming/one.md"}, {"Key": "incoming/two.md"}]},
        )
        site.drain()
        left = s3.list_objects_v2(Bucket=site.site_bucket, Prefix="2025/06/26/")["KeyCount"]

    # Each story's page and its feed item; none of either afterwards.
    assert (pages, left) == (4, 0)
    assert not (tmp_path / "site" / "2025/06/26/one").exists()
    assert not (tmp_path / "site" / "2025/06/26/two").exists()
    assert "One" not in (tmp_path / "site" / "index.html").read_text()
