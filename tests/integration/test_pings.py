"""PingFunction on the emulated stack, with its fixture event (SQS's shape) and IndexNow and a WebSub
hub played by HTTP servers on localhost: one IndexNow request per batch, one hub request per feed,
and only the records of a target that failed handed back to the queue."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from tests.conftest import load_event
from tests.integration.conftest import Stack
from tests.ping_target import PingTarget, ping_target, unused_url

KEY = "0b6e3c1e-5a4f-4b8e-9c1d-2f7a8e6d4c3b"


def told_to_ping(stack: Stack, indexnow: str, hub: str) -> None:
    """PingFunction as deployed with IndexNowEndpoint, IndexNowKey and WebSubHub set."""
    stack.function("PingFunction").environment.update(
        {
            "INDEXNOW_ENDPOINT": indexnow,
            "INDEXNOW_KEY": KEY,
            "WEBSUB_HUB": hub,
            "SITE_URL": "https://news.example.org",
        }
    )


def hub_topics(hub: PingTarget) -> list[str]:
    return sorted(parse_qs(request.body.decode())["hub.url"][0] for request in hub.received)


def test_a_batch_is_one_indexnow_request_and_one_hub_request_per_feed(stack: Stack):
    event = load_event("send_pings")
    with ping_target("/indexnow") as indexnow, ping_target("/hub") as hub:
        told_to_ping(stack, indexnow.url, hub.url)

        response = stack.invoke("PingFunction", event)

    assert response == {"batchItemFailures": []}
    [request] = indexnow.received
    assert request.content_type == "application/json; charset=utf-8"
    assert json.loads(request.body) == {
        "host": "news.example.org",
        "key": KEY,
        "keyLocation": f"https://news.example.org/{KEY}.txt",
        "urlList": [json.loads(event["Records"][0]["body"])["url"]],
    }
    assert {request.content_type for request in hub.received} == {"application/x-www-form-urlencoded"}
    assert hub_topics(hub) == [
        "https://news.example.org/category/economics/feed.json",
        "https://news.example.org/feed.xml",
    ]


def test_only_the_records_of_a_refusing_target_go_back_to_the_queue(stack: Stack):
    event = load_event("send_pings")
    with ping_target("/indexnow") as indexnow, ping_target("/hub") as hub:
        indexnow.status = 429
        told_to_ping(stack, indexnow.url, hub.url)

        response = stack.invoke("PingFunction", event)

    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert len(hub.received) == 2


def test_a_hub_that_is_down_fails_its_records_and_nothing_else(stack: Stack):
    event = load_event("send_pings")
    with ping_target("/indexnow") as indexnow:
        told_to_ping(stack, indexnow.url, unused_url())

        response = stack.invoke("PingFunction", event)

    assert sorted(failure["itemIdentifier"] for failure in response["batchItemFailures"]) == sorted(
        record["messageId"] for record in event["Records"][1:]
    )
    assert len(indexnow.received) == 1


def test_a_message_that_is_no_ping_fails_alone(stack: Stack):
    event = load_event("send_pings")
    event["Records"][1]["body"] = '{"kind": "carrier pigeon"}'
    with ping_target("/indexnow") as indexnow, ping_target("/hub") as hub:
        told_to_ping(stack, indexnow.url, hub.url)

        response = stack.invoke("PingFunction", event)

    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}
