"""Every DynamoDB read a decision follows is strongly consistent.

DynamoDB serves a read without `ConsistentRead` from any replica, so it may miss a write made a moment
before; moto is always consistent, so a run on moto alone would never show the difference. A listing
rendered from a stale read writes the old bytes, nothing is invalidated, and nothing comes back to
fix it. This test records every read the functions send during a whole run and checks the flag.
The one exception is the rebuild's scan of live articles: it only names the articles to re-render,
each of which is then read again consistently (`by_keys`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

READS = {"GetItem", "Query", "BatchGetItem"}
NOW = datetime(2025, 6, 3, 12, tzinfo=UTC)


def _consistent(operation: str, params: dict[str, Any]) -> bool:
    if operation == "BatchGetItem":
        return all(request.get("ConsistentRead") is True for request in params["RequestItems"].values())
    return params.get("ConsistentRead") is True


def test_every_read_of_a_whole_run_is_consistent(tmp_path: Path, clean_environment: None):
    from pressrun import runtime
    from pressrun.emulator.site import LocalSite

    reads: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in READS | {"Scan"}:
            reads.append((model.name, params))

    stories = []
    for number in range(25):
        story = tmp_path / f"story-{number:02}.md"
        published = NOW - timedelta(hours=30 - number)
        story.write_text(
            f"---\ntitle: Story {number}\ndate: {published.isoformat()}\ncategories: [World]\n---\nText.\n"
        )
        stories.append(story)
    with LocalSite(tmp_path / "site", "http://localhost:8000", now=NOW) as site:
        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("before-parameter-build.dynamodb", record)
        runtime.reset()
        for story in stories[1:]:
            site.upload(story.name, story.read_bytes())
        site.drain()
        site.upload(stories[0].name, stories[0].read_bytes())
        site.drain()
        site.remove(stories[5].name)
        site.drain()
        site.rebuild()
        boto3.DEFAULT_SESSION.events.unregister("before-parameter-build.dynamodb", record)

    assert {operation for operation, _ in reads} >= READS
    assert [(op, params) for op, params in reads if op in READS and not _consistent(op, params)] == []
