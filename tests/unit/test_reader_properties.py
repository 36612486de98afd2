"""No upload, however malformed, large or deep, makes reading or validating raise anything but
`InvalidArticle`; and what comes through as an article is within every limit the tables set."""

from __future__ import annotations

import json
import os

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pressrun import readers
from pressrun.model import Article, InvalidArticle, Problem
from pressrun.readers import MAX_NESTING
from pressrun.settings import SiteSettings
from pressrun.validation import (
    MAX_AUTHOR_LENGTH,
    MAX_AUTHORS,
    MAX_CATEGORIES,
    MAX_CATEGORY_LENGTH,
    MAX_SUMMARY_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    MAX_TITLE_LENGTH,
    parse_article,
)

SITE = SiteSettings()
EXAMPLES = int(os.environ.get("PRESSRUN_PROPERTY_EXAMPLES", "300"))
NAMES = st.sampled_from(["incoming/a.md", "incoming/a.txt", "incoming/a.json", "incoming/a.markdown"])

# Bytes that look like the formats, so the fuzzing reaches the parsers and the validator.
fragments = st.sampled_from(
    [
        b"---\n",
        b"title: ",
        b"date: ",
        b"categories: ",
        b"Title: ",
        b"Date: ",
        b"Category: ",
        b"Status: ",
        b"- Categories: *",
        b"June 31, 2025",
        b"2025-02-30",
        b"2025-06-25T10:00:00+01:00",
        b"[Economics, ",
        b'{"title": ',
        b"!!python/object ",
        b"&a [*a] ",
        b"\n\n",
        b"\xef\xbb\xbf",
        b"\xff\xfe",
        b"\x00",
        b"\xe2\x80\x9c",
        b"<script>",
    ]
)
documents = st.one_of(
    st.binary(max_size=400), st.lists(st.one_of(fragments, st.binary(max_size=20))).map(b"".join)
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=NAMES, data=documents)
def test_any_bytes_give_an_article_or_a_validation_error(name: str, data: bytes):
    problems = []
    try:
        article = parse_article(name, data, SITE)
    except InvalidArticle as invalid:
        problems = invalid.problems
        assert problems, "a rejection always says why"
    else:
        assert article.title
        assert article.categories
    assert all(problem.field and problem.message for problem in problems)


def within_the_limits(article: Article) -> None:
    """What validation lets through, the tables can hold."""
    assert len(article.title) <= MAX_TITLE_LENGTH
    assert len(article.summary) <= MAX_SUMMARY_LENGTH
    assert len(article.authors) <= MAX_AUTHORS
    assert all(len(author) <= MAX_AUTHOR_LENGTH for author in article.authors)
    assert len(article.categories) <= MAX_CATEGORIES
    assert all(len(category.name) <= MAX_CATEGORY_LENGTH for category in article.categories)
    assert len(article.tags) <= MAX_TAGS
    assert all(len(tag) <= MAX_TAG_LENGTH for tag in article.tags)


def read(name: str, data: bytes) -> list[Problem]:
    """The problems found, or none when an article came out; any other exception fails the test."""
    try:
        article = parse_article(name, data, SITE)
    except InvalidArticle as invalid:
        problems = invalid.problems
    else:
        within_the_limits(article)
        return []
    assert problems, "a rejection always says why"
    assert all(problem.field and problem.message for problem in problems)
    return problems


# Long text cheaply: a short piece repeated, up to a few hundred kilobytes.
long_text = st.tuples(st.text(max_size=6), st.integers(0, 50_000)).map(lambda piece: piece[0] * piece[1])
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30), long_text
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=40), st.dictionaries(st.text(max_size=10), inner, max_size=8)
    ),
    max_leaves=60,
)
FIELDS = ["title", "date", "categories", "tags", "author", "summary", "slug", "draft", "status", "body"]
# A valid article with some of its fields replaced, so that most examples reach every check.
VALID = {"title": "T", "date": "2025-06-25", "categories": ["N"], "body": "Text."}
many_names = st.tuples(st.integers(0, 160), st.text(max_size=70)).map(
    lambda many: [f"{many[1]} {number}" for number in range(many[0])]
)
replacements = st.dictionaries(
    st.sampled_from(FIELDS),
    st.one_of(values, long_text, many_names, st.lists(st.text(min_size=1, max_size=70), max_size=20)),
    max_size=3,
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replaced=replacements, form=st.sampled_from(["json", "yaml"]))
def test_any_fields_of_any_size_and_shape_give_an_article_or_the_reasons(replaced: dict, form: str):
    document = VALID | replaced
    if form == "json":
        read("incoming/a.json", json.dumps(document).encode())
    else:
        body = document.pop("body")
        front_matter = yaml.safe_dump(document, allow_unicode=True)
        read("incoming/a.md", f"---\n{front_matter}---\n{body}\n".encode(errors="surrogatepass"))


DEPTHS = st.one_of(st.integers(0, 40), st.integers(0, 5_000), st.just(100_000))


def nested_json(depth: int, kind: str) -> str:
    if kind == "lists":
        return "[" * depth + "]" * depth
    return '{"a": ' * depth + "1" + "}" * depth


@settings(max_examples=EXAMPLES, deadline=None)
@given(depth=DEPTHS, kind=st.sampled_from(["lists", "objects"]), where=st.sampled_from(["title", "extra"]))
def test_json_nested_to_any_depth_gives_an_article_or_the_reasons(depth: int, kind: str, where: str):
    fields = {"title": '"T"', "date": '"2025-06-25"', "categories": '["N"]', "body": '"Text."'}
    fields[where] = nested_json(depth, kind)
    text = "{" + ", ".join(f'"{name}": {value}' for name, value in fields.items()) + "}"

    problems = read("incoming/a.json", text.encode())

    # The document is one level, so `depth` more are past the limit once they exceed it less one.
    if depth >= MAX_NESTING:
        assert problems[0].message.startswith("is nested too deeply")


@settings(max_examples=EXAMPLES, deadline=None)
@given(depth=DEPTHS, style=st.sampled_from(["flow lists", "flow mappings", "block lists"]))
def test_yaml_nested_to_any_depth_gives_an_article_or_the_reasons(depth: int, style: str):
    if style == "flow lists":
        extra = "extra: " + "[" * depth + "]" * depth + "\n"
    elif style == "flow mappings":
        extra = "extra: " + "{a: " * depth + "1" + "}" * depth + "\n"
    else:
        # Each line one level deeper than the last: "- - - - 1" in block style.
        extra = "extra:\n" + "".join(f"{'  ' * level}- \n" for level in range(min(depth, 300)))
        extra += f"{'  ' * min(depth, 300)}1\n" if depth else ""

    problems = read(
        "incoming/a.md", f"---\ntitle: T\ndate: 2025-06-25\ncategories: [N]\n{extra}---\nB.\n".encode()
    )

    if depth >= MAX_NESTING and style != "block lists":
        assert problems[0].message.startswith("is nested too deeply")


def outcome(name: str, data: bytes) -> Article | list[tuple[str, str, int | None]]:
    try:
        return parse_article(name, data, SITE)
    except InvalidArticle as invalid:
        return [(problem.field, problem.message, problem.line) for problem in invalid.problems]


def without_libyaml(name: str, data: bytes) -> Article | list[tuple[str, str, int | None]]:
    readers.LIBYAML = False
    try:
        return outcome(name, data)
    finally:
        readers.LIBYAML = True


yaml_fragments = st.sampled_from(
    [b"title: ", b"date: 2025-06-25\n", b"categories: ", b"[N, ", b"]\n", b"{a: ", b"}", b"&a ", b"*a ",
     b"? ", b"- ", b"  ", b"\t", b"'", b'"', b"!!str ", b"!!python/object ", b"\n", b"2025-02-30", b"1_000",
     b"0x1F", b"yes", b"~", b"%YAML 1.1\n", b"\xe2\x80\x9c", b"\x85", b"\xef\xbb\xbf", b":", b"#",
     b"\r\n", b"\r", b"\xf0\x9f\x93\xb0", b"\xe2\x80\xa8", b"\xc2\xa0", b"\x1b", b"|\n  ", b">-\n  ",
     b"---\n", b"..."]
)  # fmt: skip
front_matters = st.lists(st.one_of(yaml_fragments, st.binary(max_size=8)), max_size=30).map(b"".join)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front_matter=front_matters)
def test_front_matter_read_with_or_without_libyaml_gives_the_same_article_or_the_same_problems(
    front_matter: bytes,
):
    data = b"---\ntitle: T\ndate: 2025-06-25\ncategories: [N]\n" + front_matter + b"\n---\nText.\n"

    assert outcome("incoming/a.md", data) == without_libyaml("incoming/a.md", data)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replaced=replacements)
def test_any_fields_in_front_matter_read_with_or_without_libyaml_give_the_same_outcome(replaced: dict):
    document = VALID | replaced
    body = document.pop("body")
    front_matter = yaml.safe_dump(document, allow_unicode=True)
    data = f"---\n{front_matter}---\n{body}\n".encode(errors="surrogatepass")

    assert outcome("incoming/a.md", data) == without_libyaml("incoming/a.md", data)
