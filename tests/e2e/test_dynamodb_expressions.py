"""Every DynamoDB expression pressrun sends names a reserved word by an alias.

DynamoDB rejects `position >= :since` (POSITION is reserved) with a ValidationException; moto 5.2
checks reserved words in some expressions and not in key conditions, so a run on moto alone would
not show it. This test records every expression of a whole local run (publishes into a long
category, a backdated story, a removal, a rebuild, and the one read so small a site does not make)
and checks each bare name against DynamoDB's list of reserved words (moto ships a copy).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.client
import moto.dynamodb.parsing
import pytest

from pressrun.aws.dynamodb import DynamoIndex
from pressrun.index import position_of

EXPRESSION_PARAMETERS = (
    "KeyConditionExpression",
    "FilterExpression",
    "ProjectionExpression",
    "ConditionExpression",
    "UpdateExpression",
)
# The expression grammar's own words, which are reserved words too but are how expressions are written.
SYNTAX = {"AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE"}
FUNCTIONS = {
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
    "size",
    "if_not_exists",
    "list_append",
}
NOW = datetime(2025, 6, 3, 12, tzinfo=UTC)
RESERVED = {
    word.strip().upper()
    for word in (Path(moto.dynamodb.parsing.__file__).parent / "reserved_keywords.txt").read_text().split()
}


def _expressions(params: dict[str, Any]) -> Iterator[str]:
    for name in EXPRESSION_PARAMETERS:
        if name in params:
            yield params[name]
    for entry in params.get("TransactItems", []):
        for action in entry.values():
            yield from _expressions(action)


def bare_reserved_words(expression: str) -> set[str]:
    names = re.findall(r"(?<![#:\w])[A-Za-z_]\w*", expression)
    return {
        name
        for name in names
        if name.upper() in RESERVED and name.upper() not in SYNTAX and name not in FUNCTIONS
    }


def test_the_checker_catches_a_reserved_word_used_bare():
    assert bare_reserved_words("listing = :listing AND position >= :since") == {"position"}
    assert bare_reserved_words("listing = :listing AND #position >= :since") == set()


def test_no_expression_of_a_whole_run_uses_a_reserved_word_bare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_environment: None
):
    from pressrun.emulator.site import LocalSite

    sent: list[tuple[str, str]] = []
    original = botocore.client.BaseClient._make_api_call

    def recording(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            sent.extend((operation, expression) for expression in _expressions(params))
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    # More than two listing pages (20 each) before the oldest arrives, so ranking it reads back; one an
    # hour, all in the news sitemap's last two days, so that it reads every recent one.
    stories = []
    for number in range(50):
        story = tmp_path / f"story-{number:02}.md"
        published = NOW - timedelta(hours=50 - number)
        front_matter = f"title: Story {number}\ndate: {published.isoformat()}\ncategories: [World]"
        story.write_text(f"---\n{front_matter}\n---\nText {number}.\n")
        stories.append(story)
    with LocalSite(tmp_path / "site", "http://localhost:8000", now=NOW) as site:
        for story in stories[1:]:
            site.upload(story.name, story.read_bytes())
        site.drain()
        # The oldest story last: a change far back in every listing it is in.
        site.upload(stories[0].name, stories[0].read_bytes())
        site.drain()
        site.remove(stories[5].name)
        site.drain()
        site.rebuild()
        # A read this small a site does not make: the news sitemap's, past the sitemap's limit.
        index = DynamoIndex(site.stack.client("dynamodb"), site.stack.physical("IndexTable"))
        assert len(index.entries("site", since=position_of(NOW - timedelta(hours=10)))) == 10

    operations = {operation for operation, _ in sent}
    assert {"Query", "TransactWriteItems", "Scan"} <= operations
    assert [
        (operation, expression) for operation, expression in sent if bare_reserved_words(expression)
    ] == []
