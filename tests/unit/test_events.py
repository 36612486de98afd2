"""Lambda events into domain values: the fixtures in infra/events/ are the shapes AWS sends."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from pressrun.aws.events import uploads_from_sqs
from pressrun.ingest import Change
from tests.conftest import load_event


def uploads_of(fixture: str) -> list[tuple[str, Change, int | None]]:
    record = SQSRecord(load_event(fixture)["Records"][0])
    return [(upload.key, upload.change, upload.size) for upload in uploads_from_sqs(record)]


def test_the_eventbridge_form_gives_the_size_of_the_object_created():
    assert uploads_of("validate_article") == [
        ("incoming/openvoicenews-uk-china-trade.txt", Change.CREATED, 4210)
    ]


def test_the_s3_notification_form_gives_the_size_of_the_object_created():
    assert uploads_of("validate_article_s3_notification") == [
        ("incoming/budget day.md", Change.CREATED, 1024)
    ]


def test_a_deletion_has_no_size():
    assert uploads_of("validate_article_removed") == [
        ("incoming/openvoicenews-uk-china-trade.txt", Change.DELETE_MARKER, None)
    ]
