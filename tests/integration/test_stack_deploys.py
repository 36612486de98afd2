"""template.yaml, translated by the SAM translator and created by moto's CloudFormation, makes what the code
expects: the names the functions are given, and the settings of the buckets, tables, queues, event source
mappings, topics and rules they rely on. Everything asserted is read back from the created stack.

What moto's CloudFormation (5.2) cannot do, and what this test does about it:

- It has no model for the resource types in `NOT_CREATED_BY_MOTO`. Left in, moto warns, skips them, then
  fails the stack on the first GetAtt to one ("Fn::GetAtt references undefined resource Distribution").
  They are removed from the translated template, and each Ref, GetAtt or ${...} to them becomes a
  placeholder string. So nothing here checks CloudFront, the alarms, the bucket and queue policies, or the
  schedule group: tests/integration/test_template.py, cfn-lint and `sam validate` look at those.
- It creates a bucket with only its encryption and tags, and a table without its TimeToLiveSpecification.
  `finish_what_moto_skips` applies the template's own VersioningConfiguration, EventBridge notification
  setting and TimeToLiveSpecification through the public S3 and DynamoDB APIs, as CloudFormation would.
  Public access blocks, ownership controls, lifecycle rules, point-in-time recovery and table encryption are
  not applied and not asserted here: no code relies on them (test_operations.py reads the lifecycle rule
  and the retention policies from the template).
- It drops a function's Layers and Architectures; those are not asserted here. It drops its LoggingConfig
  too: which log group a function writes to is read from the template as created, and the group itself
  (with its retention) from moto's CloudWatch Logs.
- It passes a Number parameter into a function's environment as a number, where Lambda has strings only;
  the test reads the variables as strings.
- It keeps a KMS key's policy as the template's object, where KMS answers GetKeyPolicy with a JSON string;
  the test reads either.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from moto import mock_aws

from pressrun.emulator.template import load_template
from pressrun.settings import StackSettings
from tests.conftest import ROOT

REGION = "us-east-1"
STACK = "pressrun"
ARTIFACTS = "pressrun-artifacts"
# moto's only: nothing here can reach a real account. Lambda gives each function the like.
AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
# The SAM CLI's own environment (`make lint` installs it) has the translator. Importing it here instead
# would hold this project's pydantic at the translator's pinned minor release.
SAM_PYTHON = ROOT / ".tools" / "sam" / "bin" / "python"
_TRANSLATE = """
import json, sys
import boto3
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

session = boto3.session.Session(region_name=sys.argv[1])
# The managed policy map is read only for managed policy names in Policies; the template uses none.
translated = Translator({}, Parser(), boto_session=session).translate(
    json.load(sys.stdin), parameter_values={}, get_managed_policy_map=dict
)
json.dump(translated, sys.stdout)
"""

# Resource types moto's CloudFormation has no model for, and what they are for.
NOT_CREATED_BY_MOTO = {
    "AWS::CloudFront::Distribution": "the CDN in front of the site bucket",
    "AWS::CloudFront::CachePolicy": "the distribution's TTLs",
    "AWS::CloudFront::ResponseHeadersPolicy": "the distribution's security headers",
    "AWS::CloudFront::Function": "the distribution's directory index",
    "AWS::CloudFront::OriginAccessControl": "the distribution's access to the site bucket",
    "AWS::CloudFront::KeyValueStore": "the site's redirects, as the viewer-request function reads them",
    "AWS::CloudWatch::Alarm": "the operators' alarms",
    "AWS::S3::BucketPolicy": "TLS-only access and CloudFront's read access",
    "AWS::SQS::QueuePolicy": "EventBridge's permission to send to the queues",
    "AWS::Scheduler::ScheduleGroup": "where the one-time article schedules go",
    "AWS::Scheduler::Schedule": "the reconciliation sweep's recurring schedule",
}


@dataclass
class Deployed:
    template: dict[str, Any]  # as created: translated, less what moto cannot create
    physical: dict[str, str]  # logical id -> physical id, from the stack
    not_created: dict[str, str]  # logical id -> type, removed before creating

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]

    def queue_arn(self, logical_id: str) -> str:
        attributes = self.client("sqs").get_queue_attributes(
            QueueUrl=self.physical[logical_id], AttributeNames=["QueueArn"]
        )
        return str(attributes["Attributes"]["QueueArn"])

    def logical_queue(self, arn: str) -> str:
        return next(name for name, url in self.physical.items() if url.endswith(f"/{arn.split(':')[-1]}"))

    def logical_function(self, arn: str) -> str:
        return next(name for name, physical in self.physical.items() if arn.endswith(f":{physical}"))

    def mappings(self) -> list[dict[str, Any]]:
        return list(self.client("lambda").list_event_source_mappings()["EventSourceMappings"])


def translate(template: dict[str, Any]) -> dict[str, Any]:
    """What CloudFormation's AWS::Serverless transform makes of the template."""
    if not SAM_PYTHON.exists():
        message = f"{SAM_PYTHON} is missing: `make lint` installs the SAM CLI"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    done = subprocess.run(
        [str(SAM_PYTHON), "-c", _TRANSLATE, REGION],
        input=json.dumps(template),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    translated: dict[str, Any] = json.loads(done.stdout)
    return translated


def package(template: dict[str, Any]) -> dict[str, Any]:
    """As `sam package` does: each CodeUri and ContentUri becomes an object in the artifacts bucket.
    moto stores the code and never runs it, so each object is a stub zip."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=ARTIFACTS)
    stub = io.BytesIO()
    with zipfile.ZipFile(stub, "w") as archive:
        archive.writestr("app.py", "def lambda_handler(event, context):\n    return None\n")
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        for uri in ("CodeUri", "ContentUri"):
            if uri in properties:
                key = properties[uri].strip("/").replace("/", "-") + ".zip"
                s3.put_object(Bucket=ARTIFACTS, Key=key, Body=stub.getvalue())
                properties[uri] = f"s3://{ARTIFACTS}/{key}"
    return template


def without_what_moto_cannot_create(template: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    gone = {name: r["Type"] for name, r in template["Resources"].items() if r["Type"] in NOT_CREATED_BY_MOTO}

    def placeholder(name: str, attribute: str | None = None) -> str:
        return f"{name}{'.' + attribute if attribute else ''}-not-created-by-moto"

    def replace(node: Any) -> Any:
        if isinstance(node, list):
            return [replace(item) for item in node]
        if not isinstance(node, dict):
            return node
        if node.keys() == {"Ref"} and node["Ref"] in gone:
            return placeholder(node["Ref"])
        if node.keys() == {"Fn::GetAtt"} and node["Fn::GetAtt"][0] in gone:
            return placeholder(node["Fn::GetAtt"][0], ".".join(node["Fn::GetAtt"][1:]))
        if node.keys() == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
            return {
                "Fn::Sub": re.sub(
                    r"\$\{(\w+)(?:\.([\w.]+))?\}",
                    lambda m: placeholder(m[1], m[2]) if m[1] in gone else m[0],
                    node["Fn::Sub"],
                )
            }
        return {key: replace(value) for key, value in node.items()}

    kept = {name: replace(r) for name, r in template["Resources"].items() if name not in gone}
    for resource in kept.values():
        if "DependsOn" in resource:
            depends = resource["DependsOn"]
            resource["DependsOn"] = [
                d for d in ([depends] if isinstance(depends, str) else depends) if d not in gone
            ]
    return {**template, "Resources": kept, "Outputs": replace(template.get("Outputs", {}))}, gone


def finish_what_moto_skips(template: dict[str, Any], physical: dict[str, str]) -> None:
    """Apply the properties moto's CloudFormation ignores, with the template's own values."""
    s3 = boto3.client("s3", region_name=REGION)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for name, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::S3::Bucket":
            if "VersioningConfiguration" in properties:
                s3.put_bucket_versioning(
                    Bucket=physical[name], VersioningConfiguration=properties["VersioningConfiguration"]
                )
            notifications = properties.get("NotificationConfiguration", {})
            # Direct Lambda, SQS and SNS notifications would need applying too; the template has none.
            assert set(notifications) <= {"EventBridgeConfiguration"}, name
            if notifications.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
                s3.put_bucket_notification_configuration(
                    Bucket=physical[name], NotificationConfiguration={"EventBridgeConfiguration": {}}
                )
        if resource["Type"] == "AWS::DynamoDB::Table" and "TimeToLiveSpecification" in properties:
            dynamodb.update_time_to_live(
                TableName=physical[name], TimeToLiveSpecification=properties["TimeToLiveSpecification"]
            )


@pytest.fixture(scope="module")
def stack() -> Iterator[Deployed]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in AWS_ENVIRONMENT.items():
            patch.setenv(name, value)
        with mock_aws():
            template, gone = without_what_moto_cannot_create(
                translate(package(load_template(ROOT / "template.yaml")))
            )
            cloudformation = boto3.client("cloudformation", region_name=REGION)
            cloudformation.create_stack(
                StackName=STACK, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"]
            )
            summaries = cloudformation.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
            physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in summaries}
            finish_what_moto_skips(template, physical)
            yield Deployed(template, physical, gone)


def test_the_stack_creates_every_resource_but_the_types_moto_has_no_model_for(stack: Deployed):
    status = stack.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"]

    assert status == "CREATE_COMPLETE"
    assert set(stack.physical) == set(stack.template["Resources"])
    # The translation made the functions, their roles and their event source mappings.
    created = {r["Type"] for r in stack.template["Resources"].values()}
    assert {"AWS::Lambda::Function", "AWS::IAM::Role", "AWS::Lambda::EventSourceMapping"} <= created
    # Every type listed as missing from moto is in the template: the list says what this test skips.
    assert set(stack.not_created.values()) == set(NOT_CREATED_BY_MOTO)


def test_uploads_bucket_keeps_every_version(stack: Deployed):
    versioning = stack.client("s3").get_bucket_versioning(Bucket=stack.physical["UploadsBucket"])

    assert versioning.get("Status") == "Enabled"


def test_uploads_reach_the_ingest_queue_through_eventbridge_with_their_version_and_site_writes_go_nowhere(
    stack: Deployed,
):
    # moto's GetBucketNotificationConfiguration leaves EventBridgeConfiguration out: the events show it.
    s3, sqs, lambda_ = stack.client("s3"), stack.client("sqs"), stack.client("lambda")
    # With its mapping enabled, moto would run the consuming function (in Docker) and take the message.
    queues = {stack.queue_arn("IngestQueue"), stack.queue_arn("InvalidationQueue")}
    paused = [m["UUID"] for m in stack.mappings() if m["EventSourceArn"] in queues]
    for uuid in paused:
        lambda_.update_event_source_mapping(UUID=uuid, Enabled=False)
    try:
        upload = s3.put_object(Bucket=stack.physical["UploadsBucket"], Key="incoming/a.txt", Body=b"x")
        s3.put_object(Bucket=stack.physical["UploadsBucket"], Key="rejected/a.txt", Body=b"x")
        s3.put_object(Bucket=stack.physical["SiteBucket"], Key="index.html", Body=b"x")

        def received(queue: str) -> list[dict[str, Any]]:
            url = stack.physical[queue]
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            for message in messages:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            return [json.loads(message["Body"])["detail"] for message in messages]

        ingest, invalidation = received("IngestQueue"), received("InvalidationQueue")
    finally:
        for uuid in paused:
            lambda_.update_event_source_mapping(UUID=uuid, Enabled=True)

    assert [(d["object"]["key"], d["object"]["version-id"]) for d in ingest] == [
        ("incoming/a.txt", upload["VersionId"])
    ]
    # The renderers ask for invalidations themselves: a write to the site bucket sends no event.
    assert invalidation == []


def test_the_uploads_rule_sends_only_the_uploads_bucket_to_the_ingest_queue(stack: Deployed):
    events = stack.client("events")
    name = stack.physical["UploadsRule"]

    pattern = json.loads(events.describe_rule(Name=name)["EventPattern"])
    targets = events.list_targets_by_rule(Rule=name)["Targets"]

    assert pattern["detail"]["bucket"]["name"] == [stack.physical["UploadsBucket"]]
    assert [t["Arn"] for t in targets] == [stack.queue_arn("IngestQueue")]
    images = stack.physical["ImagesRule"]
    assert [t["Arn"] for t in events.list_targets_by_rule(Rule=images)["Targets"]] == [
        stack.queue_arn("ImageQueue")
    ]
    assert "SiteChangesRule" not in stack.template["Resources"]


def test_tables_have_the_keys_the_code_writes_and_the_stream_views_its_functions_read(stack: Deployed):
    dynamodb = stack.client("dynamodb")

    def described(table: str) -> dict[str, Any]:
        return dict(dynamodb.describe_table(TableName=stack.physical[table])["Table"])

    def key(table: str) -> list[tuple[str, str]]:
        return [(k["AttributeName"], k["KeyType"]) for k in described(table)["KeySchema"]]

    def view(table: str) -> str | None:
        return described(table).get("StreamSpecification", {}).get("StreamViewType")

    assert key("ArticlesTable") == [("source_key", "HASH")]
    assert key("SlugsTable") == [("slug", "HASH")]
    assert key("IndexTable") == [("listing", "HASH"), ("position", "RANGE")]
    # Rendering compares an article's old and new record; listings only need to know which one moved.
    assert view("ArticlesTable") == "NEW_AND_OLD_IMAGES"
    assert view("IndexTable") == "KEYS_ONLY"
    assert view("SlugsTable") is None
    assert all(
        described(t)["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        for t in stack.physical
        if t.endswith("Table")
    )


def test_idempotency_table_has_the_key_and_expiry_powertools_uses(stack: Deployed):
    dynamodb = stack.client("dynamodb")
    table = stack.physical["IdempotencyTable"]
    powertools = DynamoDBPersistenceLayer(table_name=table)

    schema = dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
    ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]

    assert schema == [{"AttributeName": powertools.key_attr, "KeyType": "HASH"}]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": powertools.expiry_attr}


def test_every_queue_that_feeds_a_function_has_its_dead_letter_queue_after_deploy(stack: Deployed):
    sqs = stack.client("sqs")
    fed = {
        stack.logical_queue(m["EventSourceArn"]) for m in stack.mappings() if ":sqs:" in m["EventSourceArn"]
    }

    redrives = {}
    for queue in fed:
        attributes = sqs.get_queue_attributes(QueueUrl=stack.physical[queue], AttributeNames=["All"])
        policy = json.loads(attributes["Attributes"]["RedrivePolicy"])
        redrives[queue] = (stack.logical_queue(policy["deadLetterTargetArn"]), policy["maxReceiveCount"])

    assert redrives == {
        "IngestQueue": ("IngestDeadLetterQueue", 5),
        "ImageQueue": ("ImageDeadLetterQueue", 5),
        # A burst waits for a busy CloudFront for hours, not half an hour (test_invalidation_bursts.py).
        "InvalidationQueue": ("InvalidationDeadLetterQueue", 15),
        "RebuildQueue": ("RebuildDeadLetterQueue", 5),
        # A target down for an hour and a half is still pinged when it is back.
        "PingQueue": ("PingDeadLetterQueue", 8),
    }
    # Dead letters wait the longest SQS allows for someone to look at them: 14 days.
    for dead_letters, _ in redrives.values():
        attributes = sqs.get_queue_attributes(
            QueueUrl=stack.physical[dead_letters], AttributeNames=["MessageRetentionPeriod"]
        )
        assert attributes["Attributes"]["MessageRetentionPeriod"] == str(14 * 24 * 3600), dead_letters


def test_every_queue_hides_a_batch_for_at_least_six_times_its_functions_timeout(stack: Deployed):
    sqs, lambda_ = stack.client("sqs"), stack.client("lambda")
    sqs_mappings = [m for m in stack.mappings() if ":sqs:" in m["EventSourceArn"]]

    assert len(sqs_mappings) == 5
    for mapping in sqs_mappings:
        queue = stack.logical_queue(mapping["EventSourceArn"])
        visibility = int(
            sqs.get_queue_attributes(QueueUrl=stack.physical[queue], AttributeNames=["VisibilityTimeout"])[
                "Attributes"
            ]["VisibilityTimeout"]
        )
        timeout = lambda_.get_function_configuration(FunctionName=mapping["FunctionArn"])["Timeout"]
        # AWS's advice for SQS event sources: room for Lambda to retry a throttled batch.
        assert visibility >= 6 * timeout, (queue, visibility, timeout)


def test_event_source_mappings_report_partial_failures_and_set_aside_what_keeps_failing(stack: Deployed):
    mappings = {
        (stack.logical_function(m["FunctionArn"]), m["EventSourceArn"].split(":")[2]): m
        for m in stack.mappings()
    }
    failures = stack.queue_arn("StreamFailureQueue")

    assert set(mappings) == {
        ("ValidateArticleFunction", "sqs"),
        ("ProcessImageFunction", "sqs"),
        ("InvalidateCdnFunction", "sqs"),
        ("RebuildWorkerFunction", "sqs"),
        ("PingFunction", "sqs"),
        ("FollowArticleChangeFunction", "dynamodb"),
        ("RenderListingsFunction", "dynamodb"),
    }
    for (function, source), mapping in mappings.items():
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"], function
        assert mapping["State"] == "Enabled", function
        # Lambda refuses an SQS batch over 10 without a batching window of at least a second.
        if source == "sqs" and mapping["BatchSize"] > 10:
            assert mapping.get("MaximumBatchingWindowInSeconds", 0) >= 1, function
        if source == "dynamodb":
            assert mapping["StartingPosition"] == "TRIM_HORIZON", function
            assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == failures, function
            # A record that keeps failing gives up its shard after bounded retries (test_operations.py).
            assert 0 <= mapping["MaximumRetryAttempts"] <= 10, function
            assert mapping["BisectBatchOnFunctionError"] is True, function

    articles = stack.client("dynamodb").describe_table(TableName=stack.physical["ArticlesTable"])["Table"]
    index = stack.client("dynamodb").describe_table(TableName=stack.physical["IndexTable"])["Table"]
    # One reader of the articles stream: DynamoDB Streams throttles past two readers per shard.
    readers = [m for m in stack.mappings() if m["EventSourceArn"] == articles["LatestStreamArn"]]
    assert [stack.logical_function(m["FunctionArn"]) for m in readers] == ["FollowArticleChangeFunction"]
    assert mappings[("RenderListingsFunction", "dynamodb")]["EventSourceArn"] == index["LatestStreamArn"]
    # One CloudFront invalidation covers a whole window of site changes.
    invalidate = mappings[("InvalidateCdnFunction", "sqs")]
    assert invalidate["BatchSize"] == 1000
    assert invalidate["MaximumBatchingWindowInSeconds"] == 10
    # Two consumers at most, each planning within half of CloudFront's in-flight budget.
    assert invalidate["ScalingConfig"] == {"MaximumConcurrency": 2}
    # A rebuild cannot take the concurrency publishing needs (RebuildConcurrency's default).
    assert mappings[("RebuildWorkerFunction", "sqs")]["ScalingConfig"] == {"MaximumConcurrency": 5}
    # Pings: a burst's URLs in one batch, at most two batches at a time, so targets are asked a few
    # times a minute however busy the newsroom.
    pings = mappings[("PingFunction", "sqs")]
    assert pings["MaximumBatchingWindowInSeconds"] == 30
    assert pings["ScalingConfig"] == {"MaximumConcurrency": 2}


def test_every_function_is_told_the_names_the_stack_gave_its_resources(
    stack: Deployed, clean_environment: None
):
    lambda_, iam = stack.client("lambda"), stack.client("iam")

    def told(function: str) -> StackSettings:
        configuration = lambda_.get_function_configuration(FunctionName=stack.physical[function])
        os.environ.clear()
        # Lambda's variables are strings; moto keeps a Number parameter's value as a number (docstring).
        variables = {name: str(value) for name, value in configuration["Environment"]["Variables"].items()}
        os.environ.update(AWS_ENVIRONMENT | variables)
        return StackSettings()  # as the function reads it

    functions = [n for n, r in stack.template["Resources"].items() if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) == 11
    for name in functions:
        settings = told(name)
        assert settings.uploads_bucket == stack.physical["UploadsBucket"], name
        assert settings.site_bucket == stack.physical["SiteBucket"], name
        assert settings.articles_table == stack.physical["ArticlesTable"], name
        assert settings.slugs_table == stack.physical["SlugsTable"], name
        assert settings.index_table == stack.physical["IndexTable"], name
        assert settings.images_table == stack.physical["ImagesTable"], name
        assert settings.editor_alerts_topic == stack.physical["EditorAlerts"], name
        # The distribution is not created (see the module's docstring): its id and domain are placeholders.
        assert settings.distribution_id == "Distribution-not-created-by-moto", name
        assert settings.site_url == "https://Distribution.DomainName-not-created-by-moto", name
        assert settings.listing_freshness_seconds == 60, name
        assert settings.invalidation_queue_url == stack.physical["InvalidationQueue"], name

    schedule = told("FollowArticleChangeFunction")
    release = lambda_.get_function_configuration(FunctionName=stack.physical["ReleaseArticleFunction"])
    assert (
        schedule.scheduler_role_arn == iam.get_role(RoleName=stack.physical["SchedulerRole"])["Role"]["Arn"]
    )
    assert schedule.release_function_arn == release["FunctionArn"]
    assert schedule.schedule_dead_letter_arn == stack.queue_arn("ScheduleDeadLetterQueue")
    assert told("RebuildFunction").rebuild_queue_url == stack.physical["RebuildQueue"]
    assert told("ReleaseArticleFunction").idempotency_table == stack.physical["IdempotencyTable"]
    assert told("ReconcileFunction").stream_failure_queue_url == stack.physical["StreamFailureQueue"]
    assert told("ValidateArticleFunction").image_queue_url == stack.physical["ImageQueue"]
    # The writers whose changes are told of queue their pings; the rebuild's re-renders are not news.
    for writer in ("FollowArticleChangeFunction", "RenderListingsFunction", "ReconcileFunction"):
        assert told(writer).ping_queue_url == stack.physical["PingQueue"], writer
    assert told("RebuildWorkerFunction").ping_queue_url == ""
    # Without a key of its own the stack's id gives one: what IndexNow accepts, the same every time.
    key = told("PingFunction").indexnow_key
    assert re.fullmatch(r"[a-zA-Z0-9-]{8,128}", key)
    assert key == told("RenderListingsFunction").indexnow_key


def test_alert_topics_exist_and_the_outputs_name_what_the_stack_created(stack: Deployed):
    sns = stack.client("sns")
    outputs = {
        o["OutputKey"]: o["OutputValue"]
        for o in stack.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]["Outputs"]
    }

    def key_of(topic: str) -> str:
        return str(sns.get_topic_attributes(TopicArn=stack.physical[topic])["Attributes"]["KmsMasterKeyId"])

    # The validator publishes rejections through the AWS managed key; CloudWatch cannot use that key, so
    # the alarms' topic has the stack's own, which lets CloudWatch in and rotates.
    assert key_of("EditorAlerts") == "alias/aws/sns"
    kms = stack.client("kms")
    key = key_of("OperatorAlerts")
    assert key == stack.physical["OperatorAlertsKey"]
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True
    policy = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    # KMS answers a JSON string; moto's CloudFormation keeps the template's object (module docstring).
    policy = json.loads(policy) if isinstance(policy, str) else policy
    assert {
        action
        for statement in policy["Statement"]
        if statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
        for action in statement["Action"]
    } == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert outputs["EditorAlertsTopicArn"] == stack.physical["EditorAlerts"]
    assert outputs["OperatorAlertsTopicArn"] == stack.physical["OperatorAlerts"]
    assert outputs["UploadsBucketName"] == stack.physical["UploadsBucket"]
    assert outputs["SiteBucketName"] == stack.physical["SiteBucket"]
    assert outputs["IngestDeadLetterQueueUrl"] == stack.physical["IngestDeadLetterQueue"]
    # What the smoke tests check is empty: every dead-letter queue and the stream failure queue.
    assert set(outputs["FailureQueueUrls"].split(",")) == {
        stack.physical[queue]
        for queue in (
            "IngestDeadLetterQueue",
            "ImageDeadLetterQueue",
            "InvalidationDeadLetterQueue",
            "RebuildDeadLetterQueue",
            "PingDeadLetterQueue",
            "ScheduleDeadLetterQueue",
            "StreamFailureQueue",
        )
    }


def test_every_function_logs_to_its_own_group_with_a_retention(stack: Deployed):
    logs = stack.client("logs")
    functions = {n: r for n, r in stack.template["Resources"].items() if r["Type"] == "AWS::Lambda::Function"}

    for name, resource in functions.items():
        # moto drops LoggingConfig (module docstring): the group is read from the template as created.
        group = resource["Properties"]["LoggingConfig"]["LogGroup"]
        assert group == {"Ref": f"{name}LogGroup"}, name
        [described] = logs.describe_log_groups(logGroupNamePrefix=stack.physical[group["Ref"]])["logGroups"]
        assert described["retentionInDays"] == 30, name
