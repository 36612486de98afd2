from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pressrun import readers
from pressrun.index import MAX_AUTHORS, MAX_CATEGORIES, MAX_TAGS
from pressrun.markup import _parser, body_html, body_images
from pressrun.model import InvalidArticle
from pressrun.settings import SiteSettings
from pressrun.validation import parse_article
from tests.conftest import SAMPLE

SITE = SiteSettings()
LONDON = ZoneInfo("Europe/London")


def problems_of(name: str, data: bytes) -> list[tuple[str, str, int | None]]:
    with pytest.raises(InvalidArticle) as raised:
        parse_article(name, data, SITE)
    return [(p.field, p.message, p.line) for p in raised.value.problems]


def markdown(front_matter: str, body: str = "A first paragraph.\n") -> bytes:
    return f"---\n{front_matter}---\n{body}".encode()


def test_sample_plain_text_reads_title_date_and_category_past_the_masthead():
    article = parse_article("incoming/sample.txt", SAMPLE.read_bytes(), SITE)

    assert article.title == "UK Seeks Trade Ties with China Amid Heightened Security Concerns"
    assert article.published_at == datetime(2025, 6, 25, tzinfo=LONDON)
    assert [c.name for c in article.categories] == ["Economics"]
    assert [c.slug for c in article.categories] == ["economics"]
    assert article.slug == "uk-seeks-trade-ties-with-china-amid-heightened-security-concerns"
    assert article.path == "/2025/06/25/uk-seeks-trade-ties-with-china-amid-heightened-security-concerns/"


def test_sample_paragraph_split_mid_sentence_is_joined_again():
    article = parse_article("incoming/sample.txt", SAMPLE.read_bytes(), SITE)

    assert "espionage, cyber threats, and interference in democratic processes" in article.body
    paragraphs = article.body.strip().split("\n\n")
    assert len(paragraphs) == 9
    assert not any(p.startswith("interference") for p in paragraphs)


def test_sample_keeps_typographic_quotes_and_dashes():
    article = parse_article("incoming/sample.txt", SAMPLE.read_bytes(), SITE)

    assert "“secure and resilient”" in article.body
    assert "government’s" in article.body
    assert article.summary.startswith("The United Kingdom has outlined a new strategic approach")
    assert len(article.summary) <= 160
    assert article.summary.endswith("…")


def test_plain_text_with_several_categories():
    text = "A Headline\n\n25 June 2025\n\n– Categories: *Economics*, *Politics*\n\nBody text.\n"

    article = parse_article("incoming/a.txt", text.encode(), SITE)

    assert [c.name for c in article.categories] == ["Economics", "Politics"]
    assert article.published_at == datetime(2025, 6, 25, tzinfo=LONDON)


def test_markdown_front_matter_gives_every_field():
    data = markdown(
        "title: Budget day\n"
        "date: 2025-06-25T09:30:00+00:00\n"
        "categories: [Economics, Politics]\n"
        "tags: [budget]\n"
        "author: Jane Doe\n"
        "summary: What changed.\n"
        "slug: budget-day-2025\n"
        "draft: false\n",
        "The chancellor spoke.\n\nSecond paragraph.\n",
    )

    article = parse_article("incoming/budget.md", data, SITE)

    assert article.title == "Budget day"
    assert article.slug == "budget-day-2025"
    assert article.published_at.utcoffset() is not None
    assert article.published_at.astimezone(LONDON).hour == 10
    assert article.authors == ("Jane Doe",)
    assert article.summary == "What changed."
    assert article.tags == ("budget",)
    assert article.draft is False


def test_markdown_date_without_time_means_local_midnight():
    data = markdown("title: T\ndate: 2025-01-15\ncategories: [News]\n")

    article = parse_article("incoming/t.md", data, SITE)

    assert article.published_at == datetime(2025, 1, 15, tzinfo=LONDON)


def test_json_article_uses_the_front_matter_fields():
    data = b'{"title": "From JSON", "date": "2025-06-25", "categories": ["World"], "body": "Text."}'

    article = parse_article("incoming/j.json", data, SITE)

    assert (article.title, article.categories[0].slug, article.body) == ("From JSON", "world", "Text.")


def test_impossible_date_is_rejected_quoting_the_value():
    problems = problems_of("incoming/a.md", markdown("title: T\ndate: June 31, 2025\ncategories: [News]\n"))

    assert problems == [("date", "'June 31, 2025' is not a real date", 3)]


def test_every_problem_is_reported_at_once():
    problems = problems_of("incoming/a.md", markdown("author: Someone\n", body=""))

    assert {field for field, _, _ in problems} == {"title", "date", "categories", "body"}


def test_unsupported_extension_gets_a_reason():
    assert problems_of("incoming/photo.jpg", b"\xff\xd8\xff") == [
        ("file", "'.jpg' files are not articles; use .json, .markdown, .md, .txt", None)
    ]


def test_empty_binary_and_non_utf8_files_are_rejected_with_a_reason():
    assert problems_of("incoming/a.md", b"  \n")[0][1] == "the file is empty"
    assert problems_of("incoming/a.md", b"---\x00\x01")[0][1] == "the file is binary, not text"
    assert "not UTF-8" in problems_of("incoming/a.txt", "Café".encode("latin-1"))[0][1]


def test_utf8_with_byte_order_mark_is_read():
    data = "\ufeffA Headline\n\n2025-06-25\n\nCategories: News\n\nBody.\n".encode()

    assert parse_article("incoming/a.txt", data, SITE).title == "A Headline"


def test_broken_yaml_front_matter_names_its_line():
    problems = problems_of("incoming/a.md", markdown("title: [unclosed\ndate: 2025-06-25\n"))

    assert problems[0][0] == "front matter"
    assert problems[0][2] is not None


def test_yaml_tags_never_build_objects():
    problems = problems_of("incoming/a.md", markdown("title: !!python/object/apply:os.system ['true']\n"))

    assert problems[0][0] == "front matter"


def test_markdown_without_front_matter_is_rejected():
    assert problems_of("incoming/a.md", b"# Just a heading\n")[0][0] == "front matter"


def test_invalid_given_slug_is_rejected():
    problems = problems_of(
        "incoming/a.md", markdown("title: T\ndate: 2025-06-25\ncategories: [N]\nslug: Not OK\n")
    )

    assert problems[0][0] == "slug"


def test_title_of_two_lines_becomes_one_and_long_titles_are_refused():
    article = parse_article(
        "incoming/a.md", markdown('title: "Two\\n  lines"\ndate: 2025-06-25\ncategories: [N]\n'), SITE
    )
    assert article.title == "Two lines"

    problems = problems_of(
        "incoming/a.md", markdown(f"title: {'x' * 201}\ndate: 2025-06-25\ncategories: [N]\n")
    )
    assert problems[0][:2] == ("title", "is 201 characters long; the limit is 200")


def test_slug_folds_unicode_to_ascii():
    article = parse_article(
        "incoming/a.md",
        markdown("title: Économie à Zürich\ndate: 2025-06-25\ncategories: [Économie]\n"),
        SITE,
    )

    assert article.slug == "economie-a-zurich"
    assert article.categories[0].slug == "economie"


def test_upload_over_the_size_limit_is_refused():
    small = SiteSettings(max_upload_bytes=10)

    with pytest.raises(InvalidArticle) as raised:
        parse_article("incoming/a.md", b"x" * 11, small)

    assert raised.value.problems[0].message == "is over the limit of 10 bytes"


def test_pelican_header_lines_at_the_top_of_a_markdown_file():
    data = (
        b"Title: Header lines\nDate: 2025-06-25 10:20\nCategory: Politics\nTags: one, two\n"
        b"Slug: header-lines\nAuthors: Jo Bloggs\nStatus: published\n\nThe *body*.\n"
    )

    article = parse_article("incoming/h.md", data, SITE)

    assert (article.title, article.slug, article.authors) == ("Header lines", "header-lines", ("Jo Bloggs",))
    assert [c.name for c in article.categories] == ["Politics"]
    assert article.tags == ("one", "two")
    assert article.published_at == datetime(2025, 6, 25, 10, 20, tzinfo=LONDON)
    assert article.body == "The *body*.\n"
    assert article.draft is False


def test_header_lines_in_plain_text_and_status_draft():
    data = b"Title: Plain\nDate: 25 June 2025\nCategory: World, Politics\nStatus: draft\n\nSome *text*.\n"

    article = parse_article("incoming/h.txt", data, SITE)

    assert [c.name for c in article.categories] == ["World", "Politics"]
    assert article.draft is True
    assert article.body == "Some \\*text\\*.\n"


def test_unknown_status_is_rejected():
    problems = problems_of(
        "incoming/h.txt", b"Title: T\nDate: 2025-06-25\nCategory: N\nStatus: hidden\n\nBody.\n"
    )

    assert problems == [("status", "'hidden' is not a status; use draft or published", 4)]


def test_utf16_with_its_byte_order_mark_is_decoded_correctly():
    data = "A Headline\n\n2025-06-25\n\nCategories: News\n\nCafé body.\n".encode("utf-16")

    assert "Café body." in parse_article("incoming/a.txt", data, SITE).body


def test_categories_outside_the_site_sections_are_rejected_with_a_suggestion():
    sections = SiteSettings(site_categories=("Economics", "Politics", "World"))
    data = markdown("title: T\ndate: 2025-06-25\ncategories: [Economy]\n")

    with pytest.raises(InvalidArticle) as raised:
        parse_article("incoming/a.md", data, sections)

    assert (
        raised.value.problems[0].message
        == "'Economy' is not a section of this site; did you mean 'Economics'?"
    )


def test_a_known_section_takes_the_site_spelling():
    sections = SiteSettings(site_categories=("Economics", "Politics"))

    article = parse_article(
        "incoming/a.md", markdown("title: T\ndate: 2025-06-25\ncategories: [economics]\n"), sections
    )

    assert article.categories[0].name == "Economics"


def test_impossible_yaml_date_is_reported_on_its_field_quoting_it():
    problems = problems_of("incoming/a.md", markdown("title: T\ndate: 2025-02-30\ncategories: [N]\n"))

    assert problems == [("date", "'2025-02-30' is not a real date", 3)]


@pytest.mark.parametrize(
    "written", ["Wednesday, June 25, 2025", "June 25th, 2025", "25/06/2025", "25th June 2025"]
)
def test_plain_text_dates_as_copy_writes_them(written: str):
    text = f"A Headline\n\n{written}\n\nCategories: News\n\nBody.\n"

    assert parse_article("incoming/a.txt", text.encode(), SITE).published_at == datetime(
        2025, 6, 25, tzinfo=LONDON
    )


def test_front_matter_keys_in_capitals_are_read():
    article = parse_article(
        "incoming/a.md", markdown("Title: T\nDate: 2025-06-25\nCategories: [News]\n"), SITE
    )

    assert (article.title, article.categories[0].name) == ("T", "News")


def test_one_category_per_slug():
    article = parse_article(
        "incoming/a.md",
        markdown("title: T\ndate: 2025-06-25\ncategories: [Economics, economics, ECONOMICS]\n"),
        SITE,
    )

    assert [c.name for c in article.categories] == ["Economics"]


def test_yaml_aliases_are_refused_before_they_can_expand():
    bomb = (
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n"
    )

    assert problems_of("incoming/a.md", markdown(bomb))[0][0] == "front matter"


def test_json_number_beyond_pythons_digit_limit_is_a_problem_not_a_crash():
    data = b'{"title": ' + b"9" * 5000 + b"}"

    assert problems_of("incoming/a.json", data) == [
        ("file", "is not valid JSON: has a value too large or too deep", None)
    ]


def test_control_characters_from_copy_paste_are_dropped():
    data = markdown('title: "Bad\\x1b title"\ndate: 2025-06-25\ncategories: [N]\n', "Body\x07 text.\n")

    article = parse_article("incoming/a.md", data, SITE)

    assert (article.title, article.body) == ("Bad title", "Body text.\n")


def test_half_a_character_in_json_is_rejected():
    data = b'{"title": "Bad \\ud800 text", "date": "2025-06-25", "categories": ["N"], "body": "B."}'

    assert problems_of("incoming/a.json", data) == [
        ("title", "contains characters that are not valid Unicode text", None)
    ]


def test_implausible_dates_are_rejected():
    problems = problems_of(
        "incoming/a.md", markdown("title: T\ndate: 9999-12-31T23:00:00-05:00\ncategories: [N]\n")
    )

    assert problems == [("date", "'9999-12-31' is not a plausible publication date", 3)]


def test_a_time_given_with_another_offset_is_dated_on_the_site_clock():
    data = markdown("title: T\ndate: 2025-06-25T23:30:00-05:00\ncategories: [N]\n")

    article = parse_article("incoming/a.md", data, SITE)

    assert article.published_at == datetime(2025, 6, 26, 5, 30, tzinfo=LONDON)
    assert article.path == "/2025/06/26/t/"


def test_plain_text_that_looks_like_a_code_fence_stays_text():
    text = (
        "A Headline\n\n2025-06-25\n\nCategories: News\n\n"
        "~~~ The wind is coming, said the forecaster.\n\nStay in.\n"
    )

    article = parse_article("incoming/a.txt", text.encode(), SITE)

    assert "<pre>" not in body_html(article.body)
    assert "~~~ The wind is coming" in body_html(article.body)


def front_matter_listing(name: str, items: list[str]) -> str:
    return f"{name}: [{', '.join(items)}]\n"


def test_a_story_names_at_most_five_categories_and_the_report_says_how_many_it_named():
    names = [f"Section {n}" for n in range(150)]

    problems = problems_of(
        "incoming/a.md", markdown("title: T\ndate: 2025-06-25\n" + front_matter_listing("categories", names))
    )

    assert problems == [("categories", f"names 150 categories; the limit is {MAX_CATEGORIES}", 4)]


def test_five_categories_fifteen_tags_and_four_authors_are_accepted():
    def listing(name: str, prefix: str, count: int) -> str:
        return front_matter_listing(name, [f"{prefix} {n}" for n in range(count)])

    article = parse_article(
        "incoming/a.md",
        markdown(
            "title: T\ndate: 2025-06-25\n"
            + listing("categories", "Section", MAX_CATEGORIES)
            + listing("tags", "Tag", MAX_TAGS)
            + listing("authors", "Writer", MAX_AUTHORS)
        ),
        SITE,
    )

    assert (len(article.categories), len(article.tags), len(article.authors)) == (5, 15, 4)


def test_a_story_has_at_most_fifteen_tags_and_four_authors_counted_by_their_addresses():
    tags = [f"tag{n}" for n in range(16)] + ["TAG0", "Tag1"]
    authors = ["Ann Lee", "Bo Ray", "Cy Dunn", "ann lee", "Di Eze", "Ed Fox"]

    problems = problems_of(
        "incoming/a.md",
        markdown(
            "title: T\ndate: 2025-06-25\ncategories: [N]\n"
            + front_matter_listing("tags", tags)
            + front_matter_listing("authors", authors)
        ),
    )

    assert problems == [
        ("tags", "lists 16 tags; the limit is 15", 5),
        ("author", "lists 5 authors; the limit is 4", 6),
    ]


def test_one_byline_line_names_several_authors_in_order():
    article = parse_article(
        "incoming/a.txt",
        b"Title: T\nDate: 2025-06-25\nCategory: N\n"
        b"Authors: Priya Natarajan, Tom Okafor and Ann Lee\n\nBody.\n",
        SITE,
    )

    assert article.authors == ("Priya Natarajan", "Tom Okafor", "Ann Lee")


def test_a_category_or_tag_name_has_a_length_limit():
    long_name = "Very " * 12 + "Long"

    problems = problems_of(
        "incoming/a.md",
        markdown(f"title: T\ndate: 2025-06-25\ncategories: [{long_name}]\ntags: [{'t' * 51}]\n"),
    )

    assert problems == [
        ("categories", f"'{long_name}' is 64 characters long; the limit is 60", 4),
        ("tags", f"'{'t' * 51}' is 51 characters long; the limit is 50", 5),
    ]


def test_summary_author_and_title_have_limits_the_tables_can_hold():
    problems = problems_of(
        "incoming/a.md",
        markdown(
            f"title: {'T' * 201}\ndate: 2025-06-25\ncategories: [N]\n"
            f"summary: {'s' * 500_000}\nauthor: {'a' * 201}\n"
        ),
    )

    assert problems == [
        ("title", "is 201 characters long; the limit is 200", 2),
        ("author", f"'{'a' * 79}…' is 201 characters long; the limit is 200", 6),
        ("summary", "is 500,000 characters long; the limit is 1,000", 5),
    ]


def test_a_value_quoted_in_a_report_is_cut_short():
    problems = problems_of(
        "incoming/a.md", markdown(f"title: T\ndate: {'June ' * 100_000}\ncategories: [N]\n")
    )

    [(field, message, _)] = problems
    assert field == "date"
    assert len(message) < 200
    assert message.startswith("'June June")


def nested_json(depth: int) -> bytes:
    extra = "[" * depth + "]" * depth
    return (
        f'{{"title": "T", "date": "2025-06-25", "categories": ["News"], "extra": {extra}, "body": "Text."}}'
    ).encode()


@pytest.mark.parametrize("depth", [20, 900, 100_000])
def test_json_nested_too_deeply_is_a_problem_not_a_crash(depth: int):
    assert problems_of("incoming/a.json", nested_json(depth)) == [
        ("file", "is nested too deeply: more than 20 levels of lists and objects", None)
    ]


def test_json_nested_within_the_limit_is_read():
    assert parse_article("incoming/a.json", nested_json(18), SITE).title == "T"


@pytest.mark.parametrize("depth", [20, 900, 100_000])
def test_yaml_front_matter_nested_too_deeply_is_a_problem_not_a_crash(depth: int):
    data = markdown(f"title: T\ndate: 2025-06-25\ncategories: [N]\nextra: {'[' * depth}{']' * depth}\n")

    assert problems_of("incoming/a.md", data) == [
        ("front matter", "is nested too deeply: more than 20 levels of lists and objects", 5)
    ]


def test_yaml_front_matter_nested_within_the_limit_is_read():
    data = markdown(f"title: T\ndate: 2025-06-25\ncategories: [N]\nextra: {'[' * 18}{']' * 18}\n")

    assert parse_article("incoming/a.md", data, SITE).title == "T"


@pytest.fixture(params=["libyaml", "pure"])
def yaml_parser(request, monkeypatch):
    """Front matter read by libyaml, as on a laptop, and by PyYAML's pure parser, as on Lambda."""
    monkeypatch.setattr(readers, "LIBYAML", request.param == "libyaml")
    return request.param


def test_yaml_aliases_are_refused_with_or_without_libyaml(yaml_parser):
    bomb = "a: &a [x, x]\nb: [*a, *a]\n"

    ((field, message, line),) = problems_of("incoming/a.md", markdown(bomb))

    assert (field, line) == ("front matter", 3)
    assert message.startswith("is not valid YAML: aliases (*name) are not allowed in front matter")


@pytest.mark.parametrize("depth", [21, 1_001, 100_000])
def test_yaml_nested_too_deeply_is_refused_with_or_without_libyaml(yaml_parser, depth: int):
    data = markdown(f"title: T\ndate: 2025-06-25\ncategories: [N]\nextra: {'[' * depth}{']' * depth}\n")

    assert problems_of("incoming/a.md", data) == [
        ("front matter", "is nested too deeply: more than 20 levels of lists and objects", 5)
    ]


def test_plain_front_matter_is_read_by_libyaml_without_the_pure_parser(monkeypatch):
    if not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("PyYAML was built without libyaml here")

    def pure_parser_called() -> None:
        raise AssertionError("the pure parser read a plain front matter")

    monkeypatch.setattr(readers, "_front_matter_loader", pure_parser_called)
    data = markdown('title: "T: a story"\ndate: 2025-06-25\ncategories: [Economics, Politics]\ntags: [a]\n')

    article = parse_article("incoming/a.md", data, SITE)

    assert (article.title, [c.name for c in article.categories]) == ("T: a story", ["Economics", "Politics"])


image_markdown = st.lists(
    st.sampled_from(
        [
            "![",
            "]",
            "(",
            ")",
            "a.jpg",
            " ",
            "\n",
            "\n\n",
            "[",
            "!",
            "\\",
            "&#33;",
            "`",
            "<img src=x>",
            "x",
            '"t"',
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=image_markdown)
def test_body_images_are_the_image_tokens_of_the_parsed_body(text: str):
    tokens = list(_parser().parse(text))
    parsed = []
    while tokens:
        token = tokens.pop(0)
        if token.type == "image":
            parsed.append(str(token.attrGet("src") or ""))
        tokens[:0] = token.children or []

    assert [source for source, _, _ in body_images(text)] == parsed
