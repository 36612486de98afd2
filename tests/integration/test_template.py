"""The template, the functions and the settings agree: what one names, the others have."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import get_args

from pressrun.aws.s3 import CACHE_TAG_METADATA
from pressrun.emulator.template import load_template
from pressrun.invalidation import InvalidationMode
from pressrun.settings import StackSettings
from tests.conftest import ROOT

TEMPLATE = load_template(ROOT / "template.yaml")
FUNCTIONS = {
    name: resource["Properties"]
    for name, resource in TEMPLATE["Resources"].items()
    if resource["Type"] == "AWS::Serverless::Function"
}


def test_every_function_has_its_handler_module():
    for name, properties in FUNCTIONS.items():
        module, _, handler = properties["Handler"].partition(".")
        source = ROOT / properties["CodeUri"] / f"{module}.py"
        assert source.is_file(), name
        assert f"def {handler}(" in source.read_text(encoding="utf-8"), name


def test_template_sets_every_required_setting_and_nothing_the_settings_do_not_know():
    variables = set(TEMPLATE["Globals"]["Function"]["Environment"]["Variables"])
    own = {name for p in FUNCTIONS.values() for name in p.get("Environment", {}).get("Variables", {})}
    fields = StackSettings.model_fields

    assert {name.upper() for name, field in fields.items() if field.is_required()} <= variables
    assert {v for v in variables | own if not v.startswith("POWERTOOLS_")} <= {
        name.upper() for name in fields
    }


def test_layer_requirements_are_the_package_dependencies_without_boto3():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    layer = Path(ROOT / "shared" / "requirements.txt").read_text(encoding="utf-8").split()

    own_packages = {"awscrt>=0.23"}
    assert sorted(layer) == sorted(
        d for d in project["dependencies"] if not d.startswith("boto3") and d not in own_packages
    )


def test_every_function_that_writes_the_redirect_store_carries_awscrt_in_its_own_package():
    """The KeyValueStore API is signed with SigV4A, which botocore signs only with awscrt: the
    functions given the store carry it, so the layer every function loads stays small."""
    writers = [
        name
        for name, properties in FUNCTIONS.items()
        if "REDIRECT_STORE_ARN" in properties.get("Environment", {}).get("Variables", {})
    ]
    assert sorted(writers) == ["FollowArticleChangeFunction", "ReconcileFunction"]
    for name in writers:
        requirements = ROOT / FUNCTIONS[name]["CodeUri"] / "requirements.txt"
        assert "awscrt>=0.23" in requirements.read_text(encoding="utf-8").split(), name


def test_sqs_and_stream_sources_report_partial_batch_failures():
    batched = [
        (name, event)
        for name, properties in FUNCTIONS.items()
        for event in properties.get("Events", {}).values()
        if event["Type"] in {"SQS", "DynamoDB"}
    ]
    assert batched
    for name, event in batched:
        assert "ReportBatchItemFailures" in event["Properties"]["FunctionResponseTypes"], name


def test_every_queue_that_feeds_a_function_has_a_dead_letter_queue():
    queues = {
        event["Properties"]["Queue"]["Fn::GetAtt"][0]
        for properties in FUNCTIONS.values()
        for event in properties.get("Events", {}).values()
        if event["Type"] == "SQS"
    }
    for queue in queues:
        assert "RedrivePolicy" in TEMPLATE["Resources"][queue]["Properties"], queue


def test_every_place_failures_are_set_aside_and_every_function_has_an_alarm():
    alarms = [
        r["Properties"] for r in TEMPLATE["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"
    ]
    depth = [a for a in alarms if a["Namespace"] == "AWS/SQS"]
    errors = [a for a in alarms if a["Namespace"] == "AWS/Lambda" and a["MetricName"] == "Errors"]
    watched_queues = {a["Dimensions"][0]["Value"]["Fn::GetAtt"][0] for a in depth}
    watched_functions = {a["Dimensions"][0]["Value"]["Ref"] for a in errors}

    from pressrun.emulator.stack import LocalStack
    from tests.conftest import ROOT

    assert watched_queues == set(LocalStack(ROOT).failure_queues())
    assert watched_functions == set(FUNCTIONS)
    assert all(
        a["Threshold"] == 0 and a["ComparisonOperator"] == "GreaterThanThreshold" for a in depth + errors
    )


def test_the_pages_satisfy_the_content_security_policy_the_distribution_sends(tmp_path: Path):
    policy = TEMPLATE["Resources"]["SecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    csp = policy["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    # Scripts only from the site itself and WebAssembly for Pagefind's search: nothing inline, no eval.
    assert "script-src 'self' 'wasm-unsafe-eval';" in csp
    assert "unsafe-inline" not in csp
    assert "'unsafe-eval'" not in csp
    assert "default-src 'none'" in csp
    assert "style-src 'self'" in csp

    from pressrun import render
    from pressrun.settings import SiteSettings
    from pressrun.validation import parse_article
    from tests.conftest import SAMPLE

    site = SiteSettings()
    page = render.article_page(parse_article("incoming/a.txt", SAMPLE.read_bytes(), site), site).decode()

    # Nothing runs on a story's page (JSON-LD is data, which CSP does not block), nothing is styled inline.
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts
    assert set(scripts) == {'<script type="application/ld+json">'}
    assert " style=" not in page
    assert "<style" not in page
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', page) == ["/style.css"]


def test_tag_mode_turns_on_the_header_the_pages_carry_their_tags_in():
    config = TEMPLATE["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["CacheTagConfig"]
    condition, when_tags, otherwise = config["Fn::If"]

    assert TEMPLATE["Conditions"][condition] == {"Fn::Equals": [{"Ref": "InvalidationMode"}, "tags"]}
    assert when_tags == {"HeaderName": f"x-amz-meta-{CACHE_TAG_METADATA}"}
    assert otherwise == {"Ref": "AWS::NoValue"}


def test_the_invalidation_modes_the_template_offers_are_the_ones_the_code_knows():
    parameter = TEMPLATE["Parameters"]["InvalidationMode"]
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]

    assert set(parameter["AllowedValues"]) == set(get_args(InvalidationMode))
    assert parameter["Default"] == StackSettings.model_fields["invalidation_mode"].default
    assert variables["INVALIDATION_MODE"] == {"Ref": "InvalidationMode"}


def test_the_sam_local_invoke_environment_names_every_variable_the_functions_are_given():
    given = set(TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]) | {
        name for p in FUNCTIONS.values() for name in p.get("Environment", {}).get("Variables", {})
    }
    example = json.loads((ROOT / "infra" / "env.json").read_text(encoding="utf-8"))["Parameters"]

    # The POWERTOOLS_ variables are constants in the template, which sam local invoke reads itself.
    assert set(example) == {name for name in given if not name.startswith("POWERTOOLS_")}
    # Everything a function needs to start: the settings read them at cold start.
    StackSettings.model_validate({name.lower(): value for name, value in example.items()})


def test_every_function_that_writes_the_site_delays_its_invalidations_past_its_own_end():
    """An invalidation is asked for before the write it covers (a crash between them must not lose
    it) and must be served after it: each request waits in the queue longer than its sender may run."""
    default_timeout = TEMPLATE["Globals"]["Function"]["Timeout"]
    writers = [
        name
        for name, properties in FUNCTIONS.items()
        if "runtime.site()" in (ROOT / properties["CodeUri"] / "app.py").read_text(encoding="utf-8")
    ]
    assert "FollowArticleChangeFunction" in writers
    for name in writers:
        properties = FUNCTIONS[name]
        delay = int(
            properties.get("Environment", {}).get("Variables", {}).get("INVALIDATION_DELAY_SECONDS", 0)
        )
        assert properties.get("Timeout", default_timeout) < delay <= 900, name
