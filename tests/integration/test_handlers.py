"""Each handler, called with the real-shape event from infra/events/, against the stack on moto."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from pressrun.aws.dynamodb import DynamoArticles, DynamoImages, DynamoIndex, from_item, to_item
from pressrun.aws.s3 import S3Site
from pressrun.index import update_index
from pressrun.model import ArticleRecord, Saved, Waiter
from tests.conftest import SAMPLE, load_event
from tests.integration.conftest import Stack

SAMPLE_KEY = "incoming/openvoicenews-uk-china-trade.txt"
PAGE = "2025/06/25/uk-seeks-trade-ties-with-china-amid-heightened-security-concerns/index.html"


def upload(stack: Stack, key: str, data: bytes) -> str:
    return str(stack.client("s3").put_object(Bucket=stack.uploads_bucket, Key=key, Body=data)["VersionId"])


def ingest_event(key: str, version: str, sequencer: str = "0062E99A88DC407460") -> dict[str, Any]:
    """The fixture event, pointed at an object that exists in this stack."""
    event = load_event("validate_article")
    body = json.loads(event["Records"][0]["body"])
    body["detail"]["object"].update({"key": key, "version-id": version, "sequencer": sequencer})
    event["Records"][0]["body"] = json.dumps(body)
    return event


def image_event(
    stack: Stack, key: str = "incoming/harbour-at-dawn.jpg", data: bytes | None = None
) -> dict[str, Any]:
    """The image function's fixture event, pointed at an image uploaded to this stack."""
    data = data if data is not None else (SAMPLE.parent / "harbour-at-dawn.jpg").read_bytes()
    version = upload(stack, key, data)
    event = load_event("process_image")
    body = json.loads(event["Records"][0]["body"])
    body["detail"]["object"].update({"key": key, "version-id": version, "size": len(data)})
    event["Records"][0]["body"] = json.dumps(body)
    return event


def articles(stack: Stack) -> DynamoArticles:
    return DynamoArticles(
        stack.client("dynamodb"), stack.local.physical("ArticlesTable"), stack.local.physical("SlugsTable")
    )


def test_validate_article_records_the_uploaded_article(stack: Stack):
    version = upload(stack, SAMPLE_KEY, SAMPLE.read_bytes())

    response = stack.invoke("ValidateArticleFunction", ingest_event(SAMPLE_KEY, version))

    assert response == {"batchItemFailures": []}
    record = articles(stack).current(SAMPLE_KEY)
    assert record is not None
    assert (record.status, record.source_version, record.slug) == (
        "published",
        version,
        "uk-seeks-trade-ties-with-china-amid-heightened-security-concerns",
    )


def test_validate_article_decodes_url_encoded_keys(stack: Stack):
    key = "incoming/budget day + tax.md"
    version = upload(
        stack, key, b"---\ntitle: Budget\ndate: 2025-06-25\ncategories: [Economics]\n---\nText.\n"
    )

    stack.invoke("ValidateArticleFunction", ingest_event("incoming/budget+day+%2B+tax.md", version))

    assert articles(stack).current(key) is not None


def test_validate_article_writes_a_report_for_an_invalid_upload_and_keeps_the_upload(stack: Stack):
    key = "incoming/bad.md"
    version = upload(stack, key, b"---\ntitle: Bad\ndate: June 31, 2025\n---\nText.\n")

    response = stack.invoke("ValidateArticleFunction", ingest_event(key, version))

    assert response == {"batchItemFailures": []}
    s3 = stack.client("s3")
    report = json.loads(
        s3.get_object(Bucket=stack.uploads_bucket, Key="rejected/bad.md.report.json")["Body"].read()
    )
    assert report["errors"] == [
        {"field": "date", "message": "'June 31, 2025' is not a real date", "line": 3},
        {"field": "categories", "message": "is required", "line": None},
    ]
    assert s3.head_object(Bucket=stack.uploads_bucket, Key=key)["VersionId"] == version
    record = articles(stack).current(key)
    assert record is not None
    assert record.status == "rejected"


def test_a_poison_record_fails_alone(stack: Stack):
    version = upload(stack, SAMPLE_KEY, SAMPLE.read_bytes())
    event = ingest_event(SAMPLE_KEY, version)
    poison = copy.deepcopy(event["Records"][0])
    poison["messageId"] = "poison"
    poison["body"] = "not an S3 event"
    event["Records"].insert(0, poison)

    response = stack.invoke("ValidateArticleFunction", event)

    assert response == {"batchItemFailures": [{"itemIdentifier": "poison"}]}
    assert articles(stack).current(SAMPLE_KEY) is not None


def test_removal_event_records_the_removal(stack: Stack):
    version = upload(stack, SAMPLE_KEY, SAMPLE.read_bytes())
    stack.invoke("ValidateArticleFunction", ingest_event(SAMPLE_KEY, version))

    stack.invoke("ValidateArticleFunction", load_event("validate_article_removed"))

    record = articles(stack).current(SAMPLE_KEY)
    assert record is not None
    assert record.status == "removed"


def stream_event_for(stack: Stack, name: str) -> dict[str, Any]:
    """The fixture stream event, its images pointing at the sample uploaded to this stack, and the
    articles table holding its new image, as the write that made the record left it."""
    version = upload(stack, SAMPLE_KEY, SAMPLE.read_bytes())
    event = load_event(name)
    for image in ("NewImage", "OldImage"):
        if image in event["Records"][0]["dynamodb"]:
            event["Records"][0]["dynamodb"][image]["source_version"] = {"S": version}
    new_image = event["Records"][0]["dynamodb"].get("NewImage")
    if new_image:
        articles = DynamoArticles(
            stack.client("dynamodb"),
            stack.local.physical("ArticlesTable"),
            stack.local.physical("SlugsTable"),
        )
        articles.save(ArticleRecord.model_validate(from_item(new_image)), None)
    return event


def article_change_moving_the_sample_to_politics(stack: Stack) -> dict[str, Any]:
    """The fixture change, made a MODIFY: the sample, published under Economics, moves to Politics."""
    event = stream_event_for(stack, "follow_article_change")
    change = event["Records"][0]
    change["eventName"] = "MODIFY"
    change["dynamodb"]["OldImage"] = copy.deepcopy(change["dynamodb"]["NewImage"])
    change["dynamodb"]["NewImage"]["categories"] = {
        "L": [{"M": {"name": {"S": "Politics"}, "slug": {"S": "politics"}}}]
    }
    return event


def test_follow_article_change_writes_the_page(stack: Stack):
    response = stack.invoke("FollowArticleChangeFunction", stream_event_for(stack, "follow_article_change"))

    assert response == {"batchItemFailures": []}
    page = stack.site_page(PAGE)
    assert "<h1>UK Seeks Trade Ties with China Amid Heightened Security Concerns</h1>" in page
    assert '<link rel="canonical" href="https://news.example.org/2025/06/25/' in page


def test_follow_article_change_moves_the_article_to_its_new_category(stack: Stack):
    index = DynamoIndex(stack.client("dynamodb"), stack.local.physical("IndexTable"))
    event = article_change_moving_the_sample_to_politics(stack)
    old = ArticleRecord.model_validate(from_item(event["Records"][0]["dynamodb"]["OldImage"]))
    update_index(None, old, index)

    response = stack.invoke("FollowArticleChangeFunction", event)

    assert response == {"batchItemFailures": []}
    assert index.entries("category/economics") == []
    assert [e.source_key for e in index.entries("category/politics")] == [SAMPLE_KEY]
    assert [e.categories[0].name for e in index.entries("site")] == ["Politics"]
    summaries = index.summaries()
    assert (summaries["category/politics"].members, summaries["category/economics"].members) == (1, 0)
    assert summaries["site"].members == 1


def test_index_positions_are_the_entries_positions_without_the_entries(stack: Stack):
    index = DynamoIndex(stack.client("dynamodb"), stack.local.physical("IndexTable"))
    image = load_event("follow_article_change")["Records"][0]["dynamodb"]["NewImage"]
    sample = ArticleRecord.model_validate(from_item(image))
    for day in range(1, 6):
        update_index(
            None,
            sample.model_copy(
                update={
                    "source_key": f"incoming/{day}.md",
                    "published_at": datetime(2025, 6, day, tzinfo=UTC),
                }
            ),
            index,
        )
    since = index.entries("site", oldest_first=True)[2].position

    positions = index.positions("site", since=since)

    assert positions == [entry.position for entry in index.entries("site", since=since)]
    assert len(positions) == 3


def test_render_listings_writes_category_home_feed_and_sitemap(stack: Stack):
    index = DynamoIndex(stack.client("dynamodb"), stack.local.physical("IndexTable"))
    new_image = load_event("follow_article_change")["Records"][0]["dynamodb"]["NewImage"]
    update_index(None, ArticleRecord.model_validate(from_item(new_image)), index)

    response = stack.invoke("RenderListingsFunction", load_event("render_listings"))

    assert response == {"batchItemFailures": []}
    assert {"category/economics/index.html", "index.html", "feed.xml", "sitemap.xml"} <= stack.site_keys()
    assert "UK Seeks Trade Ties with China" in stack.site_page("category/economics/index.html")
    assert "UK Seeks Trade Ties with China" in stack.site_page("index.html")


def test_invalidate_cdn_asks_once_for_every_changed_path(stack: Stack):
    cloudfront = stack.client("cloudfront")
    distribution = stack.local.physical("Distribution")

    response = stack.invoke("InvalidateCdnFunction", load_event("invalidate_cdn"))

    assert response == {"batchItemFailures": []}
    items = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]["Items"]
    assert len(items) == 1
    batch = cloudfront.get_invalidation(DistributionId=distribution, Id=items[0]["Id"])["Invalidation"]
    assert batch["InvalidationBatch"]["Paths"]["Items"] == [
        "/",
        "/2025/06/25/uk-seeks-trade-ties-with-china-amid-heightened-security-concerns/",
        "/2025/06/25/uk-seeks-trade-ties-with-china-amid-heightened-security-concerns/index.html",
        "/category/economics/",
        "/category/economics/index.html",
        "/index.html",
    ]
    assert batch["InvalidationBatch"]["CallerReference"].startswith("pressrun-")


def invalidations(stack: Stack) -> list[dict[str, Any]]:
    cloudfront = stack.client("cloudfront")
    distribution = stack.local.physical("Distribution")
    listing = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]
    return [
        cloudfront.get_invalidation(DistributionId=distribution, Id=item["Id"])["Invalidation"]
        for item in listing.get("Items", [])
    ]


def with_sequencers(event: dict[str, Any], suffix: str) -> dict[str, Any]:
    """The same batch of keys, changed again: each object has a new sequencer."""
    event = copy.deepcopy(event)
    for record in event["Records"]:
        body = json.loads(record["body"])
        body["detail"]["object"]["sequencer"] += suffix
        record["body"] = json.dumps(body)
    return event


def test_a_redelivered_invalidation_batch_asks_again_with_the_same_caller_reference(stack: Stack):
    # CloudFront answers a repeated reference with the invalidation already made, so a redelivery costs
    # nothing (a fake of that documented behaviour: tests/unit/test_caller_references.py). moto makes a
    # new invalidation each time: what is pinned here is what pressrun sends.
    batch = load_event("invalidate_cdn")

    stack.invoke("InvalidateCdnFunction", batch)
    stack.invoke("InvalidateCdnFunction", copy.deepcopy(batch))
    stack.invoke("InvalidateCdnFunction", with_sequencers(batch, "1"))

    first, redelivered, changed_again = (
        i["InvalidationBatch"]["CallerReference"] for i in invalidations(stack)
    )
    assert first == redelivered
    assert changed_again != first


@pytest.mark.parametrize("stack_parameters", [{"InvalidationMode": "tags"}])
def test_in_tag_mode_a_batch_invalidates_the_cache_tags_of_what_changed(stack: Stack):
    response = stack.invoke("InvalidateCdnFunction", load_event("invalidate_cdn"))

    assert response == {"batchItemFailures": []}
    [invalidation] = invalidations(stack)
    assert invalidation["InvalidationBatch"]["Paths"]["Items"] == [
        "#article:uk-seeks-trade-ties-with-china-amid-heightened-security-concerns",
        "#category:economics",
        "#home",
    ]


def test_every_site_object_carries_its_cache_tags(stack: Stack):
    site = S3Site(stack.client("s3"), stack.site_bucket)

    site.put(PAGE, b"<!doctype html>", "text/html")
    site.put_many({"category/economics/page/2/index.html": (b"<!doctype html>", "text/html")})

    def tags(key: str) -> str:
        return str(stack.client("s3").head_object(Bucket=stack.site_bucket, Key=key)["Metadata"]["cache-tag"])

    assert tags(PAGE) == "article:uk-seeks-trade-ties-with-china-amid-heightened-security-concerns"
    assert tags("category/economics/page/2/index.html") == "category:economics"


def test_a_day_of_pages_is_compared_with_one_listing_of_its_folder(stack: Stack):
    client = stack.client("s3")
    operations: list[str] = []
    client.meta.events.register("before-call.s3", lambda model, **_: operations.append(model.name))
    site = S3Site(client, stack.site_bucket)
    pages = {f"2025/06/25/story-{n}/index.html": (f"<p>{n}</p>".encode(), "text/html") for n in range(30)}
    site.put_many(pages, folders={"2025/06/25"})
    operations.clear()

    written = site.put_many(
        {**pages, "2025/06/25/story-7/index.html": (b"<p>new</p>", "text/html")}, {"2025/06/25"}
    )

    assert [(write.key, write.kind) for write in written] == [
        ("2025/06/25/story-7/index.html", "overwritten")
    ]
    assert operations == ["ListObjectsV2", "PutObject"]


def test_dynamodb_item_round_trip_keeps_the_record():
    image = load_event("follow_article_change")["Records"][0]["dynamodb"]["NewImage"]
    record = ArticleRecord.model_validate(from_item(image))

    assert to_item(record.model_dump(mode="json", exclude_defaults=True)) == image


def test_slug_claimed_by_another_upload_is_rejected_on_dynamodb(stack: Stack):
    version = upload(stack, SAMPLE_KEY, SAMPLE.read_bytes())
    stack.invoke("ValidateArticleFunction", ingest_event(SAMPLE_KEY, version))
    copy_key = "incoming/copy-of-the-sample.txt"
    copy_version = upload(stack, copy_key, SAMPLE.read_bytes())

    stack.invoke(
        "ValidateArticleFunction", ingest_event(copy_key, copy_version, sequencer="0062E99A88DC407470")
    )

    report = stack.client("s3").get_object(
        Bucket=stack.uploads_bucket, Key="rejected/copy-of-the-sample.txt.report.json"
    )
    errors = json.loads(report["Body"].read())["errors"]
    assert errors[0]["field"] == "slug"
    assert SAMPLE_KEY in errors[0]["message"]
    record = articles(stack).current(copy_key)
    assert record is not None
    assert record.status == "rejected"


def ingest_messages(stack: Stack) -> int:
    # The emulated stack sends S3's events when its pump next polls: send them now.
    stack.local.announce()
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.local.physical("IngestQueue"), AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def uploads_bucket_keys(stack: Stack) -> set[str]:
    listing = stack.client("s3").list_objects_v2(Bucket=stack.uploads_bucket)
    return {item["Key"] for item in listing.get("Contents", [])}


def test_unicode_keys_are_decoded(stack: Stack):
    key = "incoming/café – économie.md"
    version = upload(
        stack, key, b"---\ntitle: Caf\xc3\xa9\ndate: 2025-06-25\ncategories: [World]\n---\nText.\n"
    )

    stack.invoke(
        "ValidateArticleFunction", ingest_event("incoming/caf%C3%A9+%E2%80%93+%C3%A9conomie.md", version)
    )

    assert articles(stack).current(key) is not None


def test_s3_test_event_is_acknowledged_and_ignored(stack: Stack):
    response = stack.invoke("ValidateArticleFunction", load_event("validate_article_s3_test_event"))

    assert response == {"batchItemFailures": []}
    assert uploads_bucket_keys(stack) == set()


def test_direct_s3_notification_form_is_understood_too(stack: Stack):
    upload(
        stack,
        "incoming/budget day.md",
        b"---\ntitle: Budget\ndate: 2025-06-25\ncategories: [News]\n---\nText.\n",
    )

    response = stack.invoke("ValidateArticleFunction", load_event("validate_article_s3_notification"))

    assert response == {"batchItemFailures": []}
    record = articles(stack).current("incoming/budget day.md")
    assert record is not None
    assert record.sequencer.startswith("0A1B2C3D4E5F678901")


def test_folder_placeholders_and_keys_outside_incoming_are_ignored(stack: Stack):
    for key in ("incoming/2025/", "drafts/story.md"):
        version = upload(stack, key, b"")

        response = stack.invoke("ValidateArticleFunction", ingest_event(key, version))

        assert response == {"batchItemFailures": []}
        assert articles(stack).current(key) is None
    assert not any(key.startswith("rejected/") for key in uploads_bucket_keys(stack))


def test_unsupported_extension_gets_a_report(stack: Stack):
    version = upload(stack, "incoming/notes.pdf", b"%PDF-1.7")

    stack.invoke("ValidateArticleFunction", ingest_event("incoming/notes.pdf", version))

    report = stack.client("s3").get_object(Bucket=stack.uploads_bucket, Key="rejected/notes.pdf.report.json")
    assert json.loads(report["Body"].read())["errors"] == [
        {
            "field": "file",
            "message": "'.pdf' files are not articles; use .json, .markdown, .md, .txt",
            "line": None,
        }
    ]


def test_reports_under_rejected_do_not_trigger_the_pipeline(stack: Stack):
    stack.client("s3").put_object(Bucket=stack.uploads_bucket, Key="rejected/x.report.json", Body=b"{}")

    assert ingest_messages(stack) == 0

    stack.client("s3").put_object(Bucket=stack.uploads_bucket, Key="incoming/x.md", Body=b"x")
    assert ingest_messages(stack) == 1


def test_a_rejection_is_published_to_the_editor_alerts_topic(stack: Stack):
    sqs, sns = stack.client("sqs"), stack.client("sns")
    inbox = sqs.create_queue(QueueName="newsroom-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=stack.local.physical("EditorAlerts"), Protocol="sqs", Endpoint=inbox_arn)
    version = upload(stack, "incoming/bad.md", b"---\ntitle: Bad\ndate: June 31, 2025\n---\nText.\n")

    stack.invoke("ValidateArticleFunction", ingest_event("incoming/bad.md", version))

    message = json.loads(sqs.receive_message(QueueUrl=inbox)["Messages"][0]["Body"])
    assert message["Message"].splitlines() == [
        "incoming/bad.md was not published. Fix these and upload it again:",
        "incoming/bad.md:3: date: 'June 31, 2025' is not a real date",
        "incoming/bad.md: categories: is required",
    ]


def test_follow_article_change_schedules_a_future_article_and_release_publishes_it(stack: Stack):
    event = stream_event_for(stack, "follow_article_change")
    image = event["Records"][0]["dynamodb"]["NewImage"]
    image["status"] = {"S": "scheduled"}
    image["published_at"] = {"S": "2030-01-01T06:00:00+00:00"}
    stack.client("dynamodb").put_item(TableName=stack.local.physical("ArticlesTable"), Item=image)

    response = stack.invoke("FollowArticleChangeFunction", event)

    assert response == {"batchItemFailures": []}
    scheduler = stack.client("scheduler")
    group = stack.local.physical("ScheduleGroup")
    (summary,) = scheduler.list_schedules(GroupName=group)["Schedules"]
    schedule = scheduler.get_schedule(GroupName=group, Name=summary["Name"])
    assert schedule["ScheduleExpression"] == "at(2030-01-01T06:00:00)"
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["Arn"].endswith(":function:ReleaseArticleFunction")

    released = stack.invoke("ReleaseArticleFunction", json.loads(schedule["Target"]["Input"]))
    # Scheduler delivers at least once: the second delivery gets the first answer, from the record.
    again = stack.invoke("ReleaseArticleFunction", json.loads(schedule["Target"]["Input"]))

    assert released == again == {"released": True}
    idempotency = stack.client("dynamodb").scan(TableName=stack.local.physical("IdempotencyTable"))["Items"]
    assert [item["status"]["S"] for item in idempotency] == ["COMPLETED"]
    record = articles(stack).current(SAMPLE_KEY)
    assert record is not None
    assert record.status == "published"


def test_dynamodb_refuses_a_write_based_on_an_outdated_read(stack: Stack):
    table = articles(stack)
    v1 = ArticleRecord(source_key=SAMPLE_KEY, sequencer="01", status="published", slug="x")
    table.save(v1, None)
    table.save(v1.model_copy(update={"sequencer": "02", "slug": "y"}), v1)

    result = table.save(v1.model_copy(update={"sequencer": "03", "slug": "z"}), v1)

    assert result.outcome is Saved.CONFLICT
    claims = stack.client("dynamodb").scan(TableName=stack.local.physical("SlugsTable"))["Items"]
    assert [(c["slug"]["S"], c["source_key"]["S"]) for c in claims] == [("y", SAMPLE_KEY)]


def test_dynamodb_hands_a_released_slug_to_its_waiters(stack: Stack):
    table = articles(stack)
    holder = ArticleRecord(source_key="incoming/old.md", sequencer="01", status="published", slug="x")
    table.save(holder, None)
    waiter = Waiter(source_key="incoming/new name [2].md", source_version="v9", sequencer="02")
    assert table.wait_for_slug("x", waiter)

    result = table.save(
        holder.model_copy(update={"sequencer": "03", "status": "removed", "slug": ""}), holder
    )

    assert result.record is not None
    assert result.record.pending_waiters == (waiter,)
    stored = table.current("incoming/old.md")
    assert stored is not None
    assert stored.pending_waiters == (waiter,)
    table.finished("incoming/old.md", "03")
    assert table.current("incoming/old.md").pending_waiters == ()  # type: ignore[union-attr]


def test_every_function_has_a_sam_local_invoke_event_that_its_handler_accepts(stack: Stack):
    """infra/events/<function folder>.json is what `sam local invoke -e` takes; each must work."""
    upload(stack, SAMPLE_KEY, SAMPLE.read_bytes())
    for function in stack.local.functions:
        event = load_event(function.code.name)
        if function.name == "FollowArticleChangeFunction":
            event = stream_event_for(stack, function.code.name)
        if function.name == "ValidateArticleFunction":
            event = ingest_event(SAMPLE_KEY, upload(stack, SAMPLE_KEY, SAMPLE.read_bytes()))
        if function.name == "ProcessImageFunction":
            event = image_event(stack)

        response = stack.invoke(function.name, event)

        assert response is not None, function.name
        assert response.get("batchItemFailures", []) == [], function.name


def sqs_event(stack: Stack, queue: str) -> dict[str, Any]:
    """What Lambda's event source mapping hands the function: the messages waiting in the queue."""
    stack.local.announce()
    sqs = stack.client("sqs")
    url = stack.local.physical(queue)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": "us-east-1",
            }
            for message in messages
        ]
    }


@pytest.fixture
def object_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys of every GetObject call made by clients created from now on (the functions' own)."""
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    boto3.setup_default_session()
    reads: list[str] = []
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register(
        "before-parameter-build.s3.GetObject", lambda params, **_: reads.append(params["Key"])
    )
    return reads


def test_an_upload_over_the_limit_is_refused_from_the_size_in_its_event_without_a_get(
    stack: Stack, object_reads: list[str]
):
    size = 2 * 1024 * 1024 + 1
    upload(stack, "incoming/huge.md", b"x" * size)
    event = sqs_event(stack, "IngestQueue")
    assert json.loads(event["Records"][0]["body"])["detail"]["object"]["size"] == size

    response = stack.invoke("ValidateArticleFunction", event)

    assert response == {"batchItemFailures": []}
    report = stack.client("s3").get_object(Bucket=stack.uploads_bucket, Key="rejected/huge.md.report.json")
    assert json.loads(report["Body"].read())["errors"] == [
        {"field": "file", "message": "is 2,097,153 bytes; the limit is 1,048,576 bytes", "line": None}
    ]
    assert object_reads == []


def test_process_image_writes_renditions_and_records_the_image(stack: Stack):
    response = stack.invoke("ProcessImageFunction", image_event(stack))

    assert response == {"batchItemFailures": []}
    images = DynamoImages(stack.client("dynamodb"), stack.local.physical("ImagesTable"))
    record = images.current("incoming/harbour-at-dawn.jpg")
    assert record is not None
    assert record.status == "ready"
    head = stack.client("s3").head_object(Bucket=stack.site_bucket, Key=f"media/{record.hash}/640.avif")
    assert head["ContentType"] == "image/avif"
    assert head["CacheControl"] == "public, max-age=31536000, immutable"


def test_an_article_waits_for_its_image_then_goes_live_when_the_image_function_has_it(stack: Stack):
    story = (
        b"---\ntitle: Harbour Reopens\ndate: 2025-06-26\ncategories: [Local]\n"
        b"image: harbour-at-dawn.jpg\nimage_alt: Boats at dawn\n---\nThe harbour reopened.\n"
    )
    key = "incoming/harbour.md"
    stack.invoke("ValidateArticleFunction", ingest_event(key, upload(stack, key, story)))
    assert articles(stack).current(key).status == "rejected"  # type: ignore[union-attr]

    stack.invoke("ProcessImageFunction", image_event(stack))

    record = articles(stack).current(key)
    assert record is not None
    assert record.is_live
    assert record.image is not None


def test_image_uploads_go_to_the_image_queue_and_articles_to_the_ingest_queue(stack: Stack):
    s3 = stack.client("s3")
    s3.put_object(Bucket=stack.uploads_bucket, Key="incoming/photo.JPG", Body=b"x")
    s3.put_object(Bucket=stack.uploads_bucket, Key="incoming/story.md", Body=b"x")

    assert queued_keys(stack, "ImageQueue") == ["incoming/photo.JPG"]
    assert queued_keys(stack, "IngestQueue") == ["incoming/story.md"]


def queued_keys(stack: Stack, queue: str) -> list[str]:
    return sorted(
        json.loads(record["body"])["detail"]["object"]["key"] for record in sqs_event(stack, queue)["Records"]
    )
