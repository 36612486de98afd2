"""The stack as an operator runs it in a real account: what template.yaml promises beyond what the linters
check (alarms that reach someone, streams that cannot stall, bursts, retained state, logs, headers)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import ClientError

from pressrun import render, runtime
from pressrun.aws.s3 import S3Site
from pressrun.emulator.stack import LocalStack
from pressrun.emulator.template import load_template
from pressrun.settings import SiteSettings
from pressrun.validation import parse_article
from tests.conftest import ROOT, SAMPLE

TEMPLATE = load_template(ROOT / "template.yaml")
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
FUNCTIONS = {
    name: resource["Properties"]
    for name, resource in RESOURCES.items()
    if resource["Type"] == "AWS::Serverless::Function"
}


def of_type(resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in RESOURCES.items() if r["Type"] == resource_type}


def event_sources(kind: str) -> list[tuple[str, dict[str, Any]]]:
    """(function, event properties) for every event source of this kind (SQS, DynamoDB)."""
    return [
        (function, event["Properties"])
        for function, properties in FUNCTIONS.items()
        for event in properties.get("Events", {}).values()
        if event["Type"] == kind
    ]


def alarms() -> dict[str, dict[str, Any]]:
    return {name: r["Properties"] for name, r in of_type("AWS::CloudWatch::Alarm").items()}


# --- Streams ----------------------------------------------------------------------------------------


def test_no_stream_has_more_than_two_readers():
    # DynamoDB Streams throttles past two readers per shard.
    readers = Counter(properties["Stream"]["Fn::GetAtt"][0] for _, properties in event_sources("DynamoDB"))

    assert readers == {"ArticlesTable": 1, "IndexTable": 1}


def test_no_stream_source_can_retry_a_record_forever():
    # DynamoDB Streams keeps records for 24 hours: a source must give up well before they expire.
    for function, source in event_sources("DynamoDB"):
        assert 0 <= source["MaximumRetryAttempts"] <= 10, function
        assert 60 <= source["MaximumRecordAgeInSeconds"] <= 6 * 3600, function
        assert source["BisectBatchOnFunctionError"] is True, function
        assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"], function
        assert source["DestinationConfig"]["OnFailure"]["Destination"] == {
            "Fn::GetAtt": ["StreamFailureQueue", "Arn"]
        }, function


def test_every_stream_consumer_has_an_iterator_age_alarm():
    consumers = {function for function, _ in event_sources("DynamoDB")}
    watched = {
        alarm["Dimensions"][0]["Value"]["Ref"]
        for alarm in alarms().values()
        if alarm["Namespace"] == "AWS/Lambda" and alarm["MetricName"] == "IteratorAge"
    }

    assert watched == consumers


def test_records_failed_inside_successful_invocations_raise_an_alarm():
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    [alarm] = [a for a in alarms().values() if a["MetricName"] == runtime.RECORDS_FAILED]

    # Powertools writes the metric to the functions' namespace, with their service as its one dimension.
    assert alarm["Namespace"] == variables["POWERTOOLS_METRICS_NAMESPACE"]
    assert alarm["Dimensions"] == [{"Name": "service", "Value": variables["POWERTOOLS_SERVICE_NAME"]}]
    assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "Sum",
        0,
        "GreaterThanThreshold",
    )
    assert alarm["AlarmActions"] == [{"Ref": "OperatorAlerts"}]


def test_one_function_follows_every_article_change():
    [(function, _)] = [
        (function, p)
        for function, p in event_sources("DynamoDB")
        if p["Stream"]["Fn::GetAtt"][0] == "ArticlesTable"
    ]

    assert function == "FollowArticleChangeFunction"
    assert FUNCTIONS[function]["CodeUri"] == "functions/follow_article_change/"


# --- Alarms -----------------------------------------------------------------------------------------


def test_cloudwatch_may_use_the_key_of_every_topic_an_alarm_notifies():
    topics = {action["Ref"] for alarm in alarms().values() for action in alarm["AlarmActions"]}
    assert topics == {"OperatorAlerts"}

    for topic in topics:
        key = RESOURCES[topic]["Properties"]["KmsMasterKeyId"]
        # The AWS managed key's policy cannot let CloudWatch in: an alarm would publish nothing.
        assert key != "alias/aws/sns", topic
        key_resource = RESOURCES[key["Ref"]]
        assert key_resource["Type"] == "AWS::KMS::Key"
        assert key_resource["Properties"]["EnableKeyRotation"] is True
        allowed = [
            statement
            for statement in key_resource["Properties"]["KeyPolicy"]["Statement"]
            if statement["Effect"] == "Allow"
            and statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
        ]
        assert {action for statement in allowed for action in statement["Action"]} == {
            "kms:Decrypt",
            "kms:GenerateDataKey*",
        }


# --- Bursts -----------------------------------------------------------------------------------------


def test_a_busy_cloudfront_is_waited_for_hours_before_a_batch_is_dead_lettered():
    queue = RESOURCES["InvalidationQueue"]["Properties"]
    function = FUNCTIONS["InvalidateCdnFunction"]
    window = TEMPLATE["Parameters"]["InvalidationWindowSeconds"]["MaxValue"]

    # Lambda's advice for SQS sources: six times the timeout, plus the batching window.
    assert queue["VisibilityTimeout"] >= 6 * function["Timeout"] + window
    assert queue["RedrivePolicy"]["maxReceiveCount"] * queue["VisibilityTimeout"] >= 4 * 3600
    assert function["Events"]["SiteChanges"]["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 2}


def test_a_rebuild_runs_a_capped_number_of_workers():
    source = FUNCTIONS["RebuildWorkerFunction"]["Events"]["Jobs"]["Properties"]
    parameter = TEMPLATE["Parameters"]["RebuildConcurrency"]

    assert source["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "RebuildConcurrency"}}
    # SQS event sources take 2 to 1,000; a rebuild leaves nearly all of the account's 1,000 to publishing.
    assert 2 <= parameter["MinValue"] <= parameter["Default"] <= 10


# --- State ------------------------------------------------------------------------------------------


def test_tables_and_buckets_survive_a_stack_deletion_or_replacement():
    stateful = {**of_type("AWS::S3::Bucket"), **of_type("AWS::DynamoDB::Table")}

    # Two buckets (uploads, site) and six tables, the redirects' among them.
    assert len(stateful) == 8
    assert "RedirectsTable" in stateful
    for name, resource in stateful.items():
        assert resource.get("DeletionPolicy") == "Retain", name
        assert resource.get("UpdateReplacePolicy") == "Retain", name


def test_old_upload_versions_expire_after_the_days_the_operator_chose():
    [rule] = RESOURCES["UploadsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    parameter = TEMPLATE["Parameters"]["NoncurrentUploadVersionDays"]

    assert rule["Status"] == "Enabled"
    assert "Prefix" not in rule
    assert "Filter" not in rule
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == {"Ref": "NoncurrentUploadVersionDays"}
    # An invalid re-upload leaves the published version noncurrent: it must outlive the age limit.
    assert rule["NoncurrentVersionExpiration"]["NewerNoncurrentVersions"] >= 1
    assert parameter["Default"] >= 30
    assert rule["ExpiredObjectDeleteMarker"] is True
    assert rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] <= 7


# --- Logs -------------------------------------------------------------------------------------------

# The retention periods CloudWatch Logs accepts (PutRetentionPolicy).
CLOUDWATCH_RETENTION_DAYS = {
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
}  # fmt: skip


def test_every_function_logs_to_a_group_kept_for_the_days_the_operator_chose():
    parameter = TEMPLATE["Parameters"]["LogRetentionDays"]
    groups = of_type("AWS::Logs::LogGroup")

    assert set(parameter["AllowedValues"]) == CLOUDWATCH_RETENTION_DAYS
    assert parameter["Default"] in CLOUDWATCH_RETENTION_DAYS
    used = [properties["LoggingConfig"]["LogGroup"]["Ref"] for properties in FUNCTIONS.values()]
    assert sorted(used) == sorted(groups)
    for name, group in groups.items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name


# --- What readers are sent ----------------------------------------------------------------------------

# Headers a response headers policy may not remove (CloudFront Developer Guide, "Remove headers").
CLOUDFRONT_KEEPS = {
    "connection", "content-encoding", "content-length", "expect", "host", "keep-alive", "proxy-authenticate",
    "proxy-authorization", "proxy-connection", "trailer", "transfer-encoding", "upgrade", "via", "warning",
    "x-cache", "x-forwarded-proto", "x-real-ip",
}  # fmt: skip
CLOUDFRONT_KEEPS_PREFIXES = ("x-accel-", "x-amz-cf-", "x-amzn-", "x-edge-")


class RecordingS3:
    """Just enough of an S3 client for S3Site to write one new page."""

    def __init__(self) -> None:
        self.metadata: dict[str, str] = {}

    def head_object(self, **_: Any) -> dict[str, Any]:
        raise ClientError({"Error": {"Code": "404", "Message": "Not Found"}}, "HeadObject")

    def put_object(self, *, Metadata: dict[str, str], **_: Any) -> dict[str, Any]:  # noqa: N803 - boto3's name
        self.metadata = Metadata
        return {}


def distribution() -> dict[str, Any]:
    config: dict[str, Any] = RESOURCES["Distribution"]["Properties"]["DistributionConfig"]
    return config


def removed_headers() -> list[str]:
    policy = RESOURCES["SecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    return [item["Header"] for item in policy["RemoveHeadersConfig"]["Items"]]


def test_readers_are_not_sent_the_metadata_the_pages_carry_or_what_s3_says_about_them():
    s3 = RecordingS3()
    S3Site(s3, "site").put("category/economics/index.html", b"<!doctype html>", "text/html")  # type: ignore[arg-type]
    written = {f"x-amz-meta-{name}" for name in s3.metadata}
    behaviors = [distribution()["DefaultCacheBehavior"], *distribution()["CacheBehaviors"]]

    assert written
    assert written | {"x-amz-version-id", "x-amz-server-side-encryption"} <= set(removed_headers())
    # Previews have a policy of their own (noindex, never cached), which removes the same headers
    # and sends the same security headers.
    policies = {b["ResponseHeadersPolicyId"]["Ref"] for b in behaviors}
    assert policies == {"SecurityHeadersPolicy", "PreviewHeadersPolicy"}
    configs = [RESOURCES[name]["Properties"]["ResponseHeadersPolicyConfig"] for name in sorted(policies)]
    for config in configs:
        assert [item["Header"] for item in config["RemoveHeadersConfig"]["Items"]] == removed_headers()
    preview, security = (config["SecurityHeadersConfig"] for config in configs)
    assert preview["ContentSecurityPolicy"] == security["ContentSecurityPolicy"]
    assert preview["StrictTransportSecurity"] == security["StrictTransportSecurity"]


def test_every_removed_header_is_one_cloudfront_lets_a_policy_remove():
    for header in removed_headers():
        assert header == header.lower()
        assert "*" not in header, header
        assert header not in CLOUDFRONT_KEEPS, header
        assert not header.startswith(CLOUDFRONT_KEEPS_PREFIXES), header


def test_tag_mode_still_reads_the_cache_tags_from_the_origin():
    # CacheTagConfig reads the origin's response and keeps the tags with the cached object; the
    # response headers policy changes only what viewers receive.
    header = distribution()["CacheTagConfig"]["Fn::If"][1]["HeaderName"]

    assert header in removed_headers()


def test_caches_honour_the_cache_control_each_object_carries():
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    parameter = TEMPLATE["Parameters"]["ListingFreshnessSeconds"]
    policies = {
        name: RESOURCES[name]["Properties"]["CachePolicyConfig"]
        for name in of_type("AWS::CloudFront::CachePolicy")
    }
    listing = policies["ListingCachePolicy"]

    assert variables["LISTING_FRESHNESS_SECONDS"] == {"Ref": "ListingFreshnessSeconds"}
    assert parameter["Default"] == SiteSettings.model_fields["listing_freshness_seconds"].default == 60
    assert listing["DefaultTTL"] == {"Ref": "ListingFreshnessSeconds"}
    assert listing["MaxTTL"] >= parameter["MaxValue"]
    for name, policy in policies.items():
        assert policy["MinTTL"] == 0, name
        assert policy["MaxTTL"] >= 86400, name


def test_a_page_asked_for_before_it_was_published_is_not_a_cached_404_for_long():
    errors = {response["ErrorCode"]: response for response in distribution()["CustomErrorResponses"]}

    # A private S3 origin answers a missing key with 403.
    assert set(errors) == {403, 404}
    for response in errors.values():
        assert response["ResponseCode"] == 404
        assert response["ResponsePagePath"] == "/404.html"
        assert 0 < response["ErrorCachingMinTTL"] <= 10


# --- Settings the README promises ---------------------------------------------------------------------


def test_the_sites_limits_are_template_parameters_with_the_settings_defaults():
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    fields = SiteSettings.model_fields

    for parameter, field in [
        ("ListingSize", "listing_size"),
        ("SitemapSize", "sitemap_size"),
        ("MaxUploadBytes", "max_upload_bytes"),
        ("PreviewLifetimeDays", "preview_lifetime_days"),
    ]:
        spec = TEMPLATE["Parameters"][parameter]
        assert variables[field.upper()] == {"Ref": parameter}
        assert spec["Type"] == "Number", parameter
        assert spec["Default"] == fields[field].default, parameter
        # Every value the template accepts, the settings accept too.
        SiteSettings(**{field: spec["MinValue"]})
        SiteSettings(**{field: spec["MaxValue"]})


def test_the_functions_read_the_theme_where_the_layer_puts_it():
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    makefile = (ROOT / "shared" / "Makefile").read_text(encoding="utf-8")

    assert variables["THEME_DIR"] == {"Ref": "ThemeDir"}
    # A layer's content is mounted at /opt: the Makefile's $(ARTIFACTS_DIR)/theme is /opt/theme.
    assert TEMPLATE["Parameters"]["ThemeDir"]["Default"] == "/opt/theme"
    assert 'ARTIFACTS_DIR)/theme"' in makefile
    assert "build-PressrunLayer: layer-theme" in makefile


def build_theme(tmp_path: Path, *files: str) -> Path:
    make = shutil.which("make")
    assert make is not None
    theme = tmp_path / "infra-theme"
    theme.mkdir()
    for name in files:
        (theme / name).parent.mkdir(parents=True, exist_ok=True)
        (theme / name).write_text(f"<!-- {name} -->\n", encoding="utf-8")
    layer = tmp_path / "layer"
    subprocess.run(
        [
            make,
            "-s",
            "-f",
            str(ROOT / "shared" / "Makefile"),
            "layer-theme",
            f"ARTIFACTS_DIR={layer}",
            f"THEME={theme}",
        ],
        check=True,
        timeout=60,
    )
    return layer


def test_the_layer_carries_the_theme_folder_without_its_readme(tmp_path: Path):
    layer = build_theme(tmp_path, "README.md", "article.html", "css/extra.css")

    assert sorted(str(p.relative_to(layer)) for p in layer.rglob("*") if p.is_file()) == [
        "theme/article.html",
        "theme/css/extra.css",
    ]


def test_a_theme_folder_with_only_its_readme_puts_no_theme_in_the_layer(tmp_path: Path):
    layer = build_theme(tmp_path, "README.md")

    assert not (layer / "theme").exists()


def test_without_a_theme_in_the_layer_the_built_in_templates_render(tmp_path: Path):
    site = SiteSettings(theme_dir=str(tmp_path / "opt" / "theme"))

    page = render.article_page(parse_article("incoming/a.txt", SAMPLE.read_bytes(), site), site)

    assert b"<h1>UK Seeks Trade Ties with China" in page


# --- Deploying ----------------------------------------------------------------------------------------

WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text(encoding="utf-8"))


def steps(job: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = WORKFLOW["jobs"][job]["steps"]
    return found


def test_the_workflow_deploys_with_the_sam_cli_version_make_tests_with():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    [pinned] = re.findall(r"^SAM_CLI_VERSION := (\S+)$", makefile, re.MULTILINE)
    setups = [step for job in WORKFLOW["jobs"] for step in steps(job) if "setup-sam" in step.get("uses", "")]

    assert WORKFLOW["env"]["SAM_CLI_VERSION"] == pinned
    assert "aws-sam-cli==$(SAM_CLI_VERSION)" in makefile
    assert len(setups) == 3
    assert all(step["with"]["version"] == "${{ env.SAM_CLI_VERSION }}" for step in setups)


def test_prod_is_smoke_tested_read_only_after_it_is_deployed():
    runs = [step.get("run", "") for step in steps("production")]
    deploy = next(i for i, run in enumerate(runs) if "sam deploy" in run)
    smoke = next(i for i, run in enumerate(runs) if "infra/smoke_test.py" in run)

    assert deploy < smoke
    assert "--read-only" in runs[smoke]
    assert "--failure-queues" in runs[smoke]


def test_staging_invalidates_by_tag_and_prod_by_path():
    config = tomllib.loads((ROOT / "infra" / "samconfig.toml").read_text(encoding="utf-8"))

    assert "InvalidationMode=tags" in config["staging"]["deploy"]["parameters"]["parameter_overrides"]
    assert "InvalidationMode" not in config["prod"]["deploy"]["parameters"].get("parameter_overrides", "")
    assert TEMPLATE["Parameters"]["InvalidationMode"]["Default"] == "paths"


def test_the_smoke_tests_check_every_queue_work_is_set_aside_in():
    delimiter, queues = TEMPLATE["Outputs"]["FailureQueueUrls"]["Value"]["Fn::Join"]
    smoke_runs = [
        step["run"]
        for job in WORKFLOW["jobs"]
        for step in steps(job)
        if "infra/smoke_test.py" in step.get("run", "")
    ]

    assert delimiter == ","
    assert sorted(queue["Ref"] for queue in queues) == LocalStack(ROOT).failure_queues()
    assert len(smoke_runs) == 2
    assert all("--failure-queues" in run for run in smoke_runs)


def test_the_operations_guide_says_what_to_do_about_every_alarm():
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")

    assert [name for name in alarms() if f"`{name}`" not in guide] == []
    assert "(operations.md)" in architecture
    for topic in ("LogRetentionDays", "start-message-move-task", "infra/theme/", "RebuildFunction"):
        assert topic in guide, topic
