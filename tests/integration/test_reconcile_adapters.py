"""The AWS adapters the reconciliation sweep reads through, on moto: what they answer, and that a
re-announced upload becomes an event S3 sends like any other."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from pressrun.aws.dynamodb import DynamoArticles, DynamoIndex, DynamoSweepJournal
from pressrun.aws.s3 import S3Site, S3Uploads
from pressrun.aws.sqs import SqsFailedBatches
from pressrun.index import PageRange, update_index
from pressrun.model import ArticleRecord
from pressrun.sweep_state import SweepState
from tests.integration.conftest import Stack
from tests.integration.test_index_on_dynamodb import story

MOMENT = datetime(2026, 1, 10, 12, tzinfo=UTC)


def articles(stack: Stack, at: datetime) -> DynamoArticles:
    return DynamoArticles(
        stack.client("dynamodb"),
        stack.local.physical("ArticlesTable"),
        stack.local.physical("SlugsTable"),
        clock=lambda: at,
    )


def test_records_are_found_by_when_they_changed_and_walked_a_slice_at_a_time(stack: Stack):
    for number, at in enumerate([MOMENT - timedelta(days=2), MOMENT - timedelta(hours=1), MOMENT]):
        articles(stack, at).save(story(f"incoming/s{number}.md", 9, "World"), None)
    table = articles(stack, MOMENT)

    changed = table.changed_between(MOMENT - timedelta(hours=2), MOMENT - timedelta(minutes=1))
    first, cursor = table.walk("", 2)
    rest, end = table.walk(cursor, 2)

    assert [record.source_key for record in changed] == ["incoming/s1.md"]
    assert len(first) == 2
    assert cursor
    assert {record.source_key for record in first + rest} == {
        "incoming/s0.md",
        "incoming/s1.md",
        "incoming/s2.md",
    }
    assert end == ""


def test_a_refusal_records_the_version_it_refused(stack: Stack):
    table = articles(stack, MOMENT)

    refused = ArticleRecord(
        source_key="incoming/bad.md",
        sequencer="00A",
        status="rejected",
        rejected_sequencer="00A",
        rejected_version="version-7",
    )
    table.save(refused, None)

    assert table.current("incoming/bad.md").rejected_version == "version-7"  # type: ignore[union-attr]


def test_the_index_names_where_an_article_is_listed(stack: Stack):
    index = DynamoIndex(stack.client("dynamodb"), stack.local.physical("IndexTable"))
    update_index(None, story("incoming/a.md", 9, "World", "Sport"), index)

    where = index.memberships_of("incoming/a.md")

    assert {listing for listing, _ in where} == {"site", "category/world", "category/sport"}
    assert set(index.existing(where)) == where


def test_the_newest_state_of_each_upload_and_a_reannounced_upload_is_a_new_version(stack: Stack):
    s3 = stack.client("s3")
    bucket = stack.uploads_bucket
    s3.put_object(Bucket=bucket, Key="incoming/a.md", Body=b"one", ContentType="text/markdown")
    s3.put_object(Bucket=bucket, Key="incoming/b.md", Body=b"two")
    s3.delete_object(Bucket=bucket, Key="incoming/b.md")
    uploads = S3Uploads(s3, bucket)
    before = {state.key: state.version_id for state in uploads.latest("incoming/")}

    uploads.reannounce("incoming/a.md")
    uploads.reannounce("incoming/b.md")

    after = {state.key: state.version_id for state in uploads.latest("incoming/")}
    assert before["incoming/b.md"] is None
    assert after["incoming/a.md"] not in (None, before["incoming/a.md"])
    assert uploads.read("incoming/a.md", after["incoming/a.md"], 10) == b"one"
    versions = s3.list_object_versions(Bucket=bucket, Prefix="incoming/b.md")
    assert len(versions["DeleteMarkers"]) == 2


def test_the_site_is_walked_in_key_order(stack: Stack):
    site = S3Site(stack.client("s3"), stack.site_bucket)
    for key in ["b.html", "a.html", "c/index.html"]:
        site.put(key, b"x", "text/html")

    assert site.keys("", 2) == ["a.html", "b.html"]
    assert site.keys("b.html", 2) == ["c/index.html"]


def test_the_sweep_journal_keeps_its_cursors(stack: Stack):
    journal = DynamoSweepJournal(stack.client("dynamodb"), stack.local.physical("IndexTable"))
    state = SweepState(last_started=MOMENT, pages=PageRange(listing="site", after="p", rank=20, count=40))

    assert journal.load() == SweepState()
    journal.save(state)
    assert journal.load() == state


def test_failed_stream_batches_are_read_as_time_spans_and_kept_until_settled(stack: Stack):
    sqs = stack.client("sqs")
    queue = sqs.create_queue(QueueName="stream-failures-test", Attributes={"VisibilityTimeout": "0"})[
        "QueueUrl"
    ]
    # The shape Lambda sends an on-failure destination for a DynamoDB stream batch
    record = {
        "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 11},
        "DDBStreamBatchInfo": {
            "shardId": "shardId-00000001",
            "startSequenceNumber": "100",
            "endSequenceNumber": "120",
            "approximateArrivalOfFirstRecord": "2026-01-10T11:00:00Z",
            "approximateArrivalOfLastRecord": "2026-01-10T11:00:05Z",
            "batchSize": 3,
            "streamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/ArticlesTable/stream/x",
        },
    }
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(record))
    batches = SqsFailedBatches(sqs, queue)

    spans = batches.take()
    assert spans == [(datetime(2026, 1, 10, 11, tzinfo=UTC), datetime(2026, 1, 10, 11, 0, 5, tzinfo=UTC))]
    assert SqsFailedBatches(sqs, queue).take() == spans  # not settled yet: still there
    batches.settled()
    assert SqsFailedBatches(sqs, queue).take() == []
