"""No byte string, however malformed, makes reading or validating raise anything but `InvalidArticle`."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pressrun.model import InvalidArticle
from pressrun.settings import SiteSettings
from pressrun.validation import parse_article

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
