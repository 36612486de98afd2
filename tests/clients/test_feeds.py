"""Feeds as readers and aggregators take them: Atom read by feedparser, JSON Feed 1.1 checked against
its published JSON Schema (vendored in tests/clients/schemas, so no network is needed)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from pressrun.local.site import LocalSite
from tests.conftest import SAMPLE

pytestmark = pytest.mark.e2e

SITE_URL = "https://news.example.org"
HUB = "https://hub.example.org/"
NOW = datetime(2025, 6, 27, 9, 0, tzinfo=timezone(timedelta(hours=1)))
SCHEMAS = Path(__file__).parent / "schemas"
HARBOUR = SAMPLE.parent / "harbour-reopens-after-storm.md"
HARBOUR_URL = f"{SITE_URL}/2025/06/26/harbour-reopens-to-fishing-boats-after-storm-repairs/"


@dataclass(frozen=True)
class Published:
    root: Path

    def feed(self, path: str) -> bytes:
        return (self.root / path).read_bytes()

    def json_feeds(self) -> list[Path]:
        return sorted(self.root.rglob("feed.json"))


def publish(root: Path, given: dict[str, object]) -> Published:
    saved = dict(os.environ)
    try:
        with LocalSite(root, {"site_url": SITE_URL, **given}, now=NOW) as site:
            for sample in sorted(path for path in SAMPLE.parent.iterdir() if path.is_file()):
                site.upload(sample.name, sample.read_bytes())
            site.drain()
            assert not site.summary().failed
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return Published(root)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return publish(tmp_path_factory.mktemp("feeds"), {"websub_hub": HUB})


@pytest.fixture(scope="module")
def validator() -> Any:
    from jsonschema.validators import validator_for
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    schema = json.loads((SCHEMAS / "jsonfeed-1.1.json").read_text(encoding="utf-8"))
    shared = json.loads((SCHEMAS / "jsonfeed-1.json").read_text(encoding="utf-8"))
    # The schemas name no $id; they refer to each other as "feed-1#/...", relative to where they are
    # published, so each is registered under its published URL.
    root = "https://www.schemastore.org/feed.json"
    registry = Registry().with_resources(
        [
            (root, Resource(contents=schema, specification=DRAFT4)),
            ("https://www.schemastore.org/feed-1", Resource(contents=shared, specification=DRAFT4)),
        ]
    )
    cls = validator_for(schema)
    return cls({"$ref": root}, registry=registry, format_checker=cls.FORMAT_CHECKER)


def entry_of(parsed: Any, link: str) -> Any:
    (entry,) = [entry for entry in parsed.entries if entry.link == link]
    return entry


def test_atom_entries_carry_the_full_content_with_absolute_urls_summary_author_sections_and_tags(
    published: Published,
):
    import feedparser

    parsed = feedparser.parse(published.feed("feed.xml"))

    assert parsed.bozo == 0, parsed.get("bozo_exception")
    harbour = entry_of(parsed, HARBOUR_URL)
    (content,) = harbour.content
    assert content.type == "text/html"
    assert "six weeks after the spring storm" in content.value
    # The lead picture and every link in the body point at the site itself, wherever the feed is read.
    assert f'src="{SITE_URL}/media/' in content.value
    assert 'src="/' not in content.value
    assert 'href="/' not in content.value
    assert harbour.summary.startswith("The harbour reopened")
    assert harbour.author == "Tomás Reilly"
    terms = {tag.term for tag in harbour.tags}
    assert {"local", "harbour", "fishing", "weather"} <= terms
    assert {"Local"} <= {tag.label for tag in harbour.tags if tag.label}


def test_every_atom_feed_names_the_websub_hub_and_its_json_twin(published: Published):
    import feedparser

    for atom in sorted(published.root.rglob("feed.xml")):
        parsed = feedparser.parse(atom.read_bytes())
        links = {(link.rel, link.href) for link in parsed.feed.links}
        assert ("hub", HUB) in links, atom
        twin = next(href for rel, href in links if rel == "alternate" and href.endswith(".json"))
        assert (published.root / twin.removeprefix(f"{SITE_URL}/")).is_file(), twin


def test_a_json_feed_sits_beside_every_atom_feed_and_follows_the_json_feed_schema(
    published: Published, validator: Any
):
    # The schema is in force: a feed without items, or an item without content, is refused.
    assert list(validator.iter_errors({"version": "https://jsonfeed.org/version/1.1", "title": "x"}))
    no_content = {"version": "https://jsonfeed.org/version/1.1", "title": "x", "items": [{"id": "1"}]}
    assert list(validator.iter_errors(no_content))

    atoms = sorted(path.with_suffix(".json") for path in published.root.rglob("feed.xml"))
    assert atoms == published.json_feeds()
    assert len(atoms) >= 3, "the site feed and a feed per section"

    for path in atoms:
        feed = json.loads(path.read_text(encoding="utf-8"))
        errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(feed)]
        assert errors == [], f"{path}: {errors}"
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        assert feed["hubs"] == [{"type": "WebSub", "url": HUB}]
        assert feed["items"], path


def test_the_json_feed_carries_what_the_atom_feed_carries(published: Published):
    feed = json.loads(published.feed("feed.json"))

    (harbour,) = [item for item in feed["items"] if item["id"] == HARBOUR_URL]
    assert "six weeks after the spring storm" in harbour["content_html"]
    assert f'src="{SITE_URL}/media/' in harbour["content_html"]
    assert harbour["authors"] == [{"name": "Tomás Reilly"}]
    assert harbour["tags"] == ["Local", "harbour", "fishing", "weather"]
    assert harbour["image"].startswith(f"{SITE_URL}/media/")
    assert harbour["date_published"] == "2025-06-26T07:15:00+01:00"


def test_without_a_hub_configured_no_feed_names_one(tmp_path: Path, validator: Any):
    import feedparser

    site = publish(tmp_path / "site", {})

    assert "hub" not in {link.rel for link in feedparser.parse(site.feed("feed.xml")).feed.links}
    feed = json.loads(site.feed("feed.json"))
    assert "hubs" not in feed
    assert list(validator.iter_errors(feed)) == []
