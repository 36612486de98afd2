"""The renderers ask for invalidations themselves (moto): the request reaches the invalidation
function in the shape the queue delivers it, and the site objects carry their Cache-Control."""

from __future__ import annotations

import json
from typing import Any

from pressrun.aws.s3 import S3Site
from pressrun.aws.sqs import SqsInvalidationRequests
from pressrun.invalidation import InvalidatingSite
from tests.integration.conftest import Stack

STORY = "2025/06/25/budget-vote/index.html"


def queued_as_lambda_delivers(stack: Stack, queue_url: str) -> dict[str, Any]:
    """An SQS event with the messages waiting in the queue, as Lambda's event source mapping sends it."""
    sqs = stack.client("sqs")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"},
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": "us-east-1",
            }
            for message in messages
        ]
    }


def test_an_overwritten_story_page_is_requested_and_invalidated_and_a_new_one_is_not(stack: Stack):
    sqs = stack.client("sqs")
    queue_url = sqs.create_queue(QueueName="invalidation-requests-test")["QueueUrl"]
    site = InvalidatingSite(
        S3Site(stack.client("s3"), stack.site_bucket), SqsInvalidationRequests(sqs, queue_url)
    )

    site.put(STORY, b"<p>first</p>", "text/html")
    site.put(STORY, b"<p>corrected</p>", "text/html")
    event = queued_as_lambda_delivers(stack, queue_url)
    response = stack.invoke("InvalidateCdnFunction", event)

    assert [json.loads(record["body"])["key"] for record in event["Records"]] == [STORY]
    assert response == {"batchItemFailures": []}
    cloudfront = stack.client("cloudfront")
    distribution = stack.local.physical("Distribution")
    [made] = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]["Items"]
    paths = cloudfront.get_invalidation(DistributionId=distribution, Id=made["Id"])["Invalidation"]
    assert paths["InvalidationBatch"]["Paths"]["Items"] == [
        f"/{STORY.removesuffix('index.html')}",
        f"/{STORY}",
    ]


def test_site_objects_carry_the_cache_control_the_cdn_follows(stack: Stack):
    site = S3Site(stack.client("s3"), stack.site_bucket, listing_freshness_seconds=45)

    site.put(STORY, b"<p>story</p>", "text/html")
    site.put_many({"index.html": (b"<p>home</p>", "text/html")})

    def cache_control(key: str) -> str:
        return str(stack.client("s3").head_object(Bucket=stack.site_bucket, Key=key)["CacheControl"])

    assert cache_control(STORY) == "public, max-age=60, s-maxage=31536000"
    assert cache_control("index.html") == "public, max-age=45, stale-while-revalidate=45"
