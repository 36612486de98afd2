"""The stack as an operator runs it in a real account: what template.yaml promises beyond what the linters
check (alarms that reach someone, streams that cannot stall, bursts, retained state, logs, headers)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pressrun.local.template import load_template
from tests.conftest import ROOT

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


# --- Streams ----------------------------------------------------------------------------------------


def test_no_stream_has_more_than_two_readers():
    # DynamoDB Streams throttles past two readers per shard.
    readers = Counter(properties["Stream"]["Fn::GetAtt"][0] for _, properties in event_sources("DynamoDB"))

    assert readers == {"ArticlesTable": 1, "IndexTable": 1}


def test_one_function_follows_every_article_change():
    [(function, _)] = [
        (function, p)
        for function, p in event_sources("DynamoDB")
        if p["Stream"]["Fn::GetAtt"][0] == "ArticlesTable"
    ]

    assert function == "FollowArticleChangeFunction"
    assert FUNCTIONS[function]["CodeUri"] == "functions/follow_article_change/"
