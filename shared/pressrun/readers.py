"""Readers turn an upload's bytes into raw fields and a CommonMark body, one `read` per format.

The readers only find things; `validation` decides whether what they found makes an article.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import yaml

from pressrun.markup import escape_markdown
from pressrun.model import InvalidArticle, Problem
from pressrun.settings import SiteSettings


@dataclass
class RawArticle:
    """What a reader found: editor-supplied fields, the body, and the line each field came from."""

    fields: dict[str, Any]
    body: str
    lines: dict[str, int] = field(default_factory=dict)


Reader = Callable[[str, SiteSettings], RawArticle]


def decode(data: bytes) -> str:
    """UTF-8 text with or without a byte-order mark; anything else is rejected, never published garbled."""
    if not data.strip():
        raise InvalidArticle([Problem(field="file", message="the file is empty")])
    if b"\x00" in data:
        raise InvalidArticle([Problem(field="file", message="the file is binary, not text")])
    try:
        return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidArticle(
            [
                Problem(
                    field="file",
                    message="the file is not UTF-8 text; save it as UTF-8 and upload it again",
                    line=line,
                )
            ]
        ) from error


# --- Markdown with YAML front matter -------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)


def read_markdown(text: str, site: SiteSettings) -> RawArticle:
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise InvalidArticle(
            [
                Problem(
                    field="front matter",
                    message="a Markdown article starts with a front matter block between two '---' lines",
                    line=1,
                )
            ]
        )
    source = match.group("yaml") or ""
    try:
        # safe_load only: front matter is data, and a YAML tag must never build an object.
        fields = yaml.safe_load(source)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        raise InvalidArticle(
            [Problem(field="front matter", message=f"is not valid YAML: {error}", line=line)]
        ) from error
    if fields is None:
        fields = {}
    if not isinstance(fields, dict):
        raise InvalidArticle(
            [Problem(field="front matter", message="must be a set of 'name: value' lines", line=2)]
        )
    lines = {}
    for number, line in enumerate(source.splitlines(), start=2):
        name = line.split(":", 1)[0].strip()
        if name in fields and name not in lines:
            lines[str(name)] = number
    return RawArticle(fields={str(k): v for k, v in fields.items()}, body=text[match.end() :], lines=lines)


# --- Plain-text news copy, as editors paste it ----------------------------------------------------

_CATEGORIES_LINE = re.compile(r"^[\s–—-]*categor(?:y|ies)\s*:\s*(?P<names>.*)$", re.IGNORECASE)
_DATE_LIKE = re.compile(
    r"^(?:\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}\s+[A-Za-z]+\.?\s+\d{4}"
    r"|[A-Za-z]+\.?\s+\d{1,2},?\s+\d{4})$"
)
_CLOSING_PUNCTUATION = tuple(".!?…:;\"'”’»)]")


def _normalised(line: str) -> str:
    return " ".join(line.split()).casefold()


def _category_names(listing: str) -> list[str]:
    names = (name.strip().strip("*_").strip() for name in re.split(r"[,;]", listing))
    return [name for name in names if name]


def _paragraphs(lines: list[str]) -> list[str]:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    joined: list[str] = []
    for paragraph in paragraphs:
        # A stray blank line in pasted copy splits a sentence: the first half ends without closing
        # punctuation and the second begins in lower case. Put the sentence back together.
        if joined and not joined[-1].endswith(_CLOSING_PUNCTUATION) and paragraph[:1].islower():
            joined[-1] = f"{joined[-1]} {paragraph}"
        else:
            joined.append(paragraph)
    return joined


def read_plain_text(text: str, site: SiteSettings) -> RawArticle:
    masthead = {_normalised(site.site_name), _normalised(site.site_tagline)}
    lines = text.split("\n")
    fields: dict[str, Any] = {}
    found: dict[str, int] = {}
    body_start = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or _normalised(stripped) in masthead:
            continue
        if "categories" not in fields and (match := _CATEGORIES_LINE.match(stripped)):
            fields["categories"] = _category_names(match.group("names"))
            found["categories"] = index + 1
        elif "date" not in fields and _DATE_LIKE.match(stripped):
            fields["date"] = stripped
            found["date"] = index + 1
        elif "title" not in fields:
            fields["title"] = stripped
            found["title"] = index + 1
        else:
            break
        body_start = index + 1
        if len(fields) == 3:
            break
    paragraphs = _paragraphs(lines[body_start:])
    body = "\n\n".join(escape_markdown(paragraph) for paragraph in paragraphs)
    return RawArticle(fields=fields, body=body + "\n" if body else "", lines=found)


# --- JSON ----------------------------------------------------------------------------------------


def read_json(text: str, site: SiteSettings) -> RawArticle:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidArticle(
            [Problem(field="file", message=f"is not valid JSON: {error.msg}", line=error.lineno)]
        ) from error
    if not isinstance(document, dict):
        raise InvalidArticle([Problem(field="file", message="must be a JSON object of article fields")])
    body = document.pop("body", "")
    if not isinstance(body, str):
        raise InvalidArticle([Problem(field="body", message="must be text (CommonMark)")])
    return RawArticle(fields=document, body=body)


READERS: dict[str, Reader] = {
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".txt": read_plain_text,
    ".json": read_json,
}


def read_upload(name: str, data: bytes, site: SiteSettings) -> RawArticle:
    """Pick the reader by extension and read the upload; unreadable input raises `InvalidArticle`."""
    extension = PurePosixPath(name).suffix.lower()
    reader = READERS.get(extension)
    if reader is None:
        supported = ", ".join(sorted(READERS))
        raise InvalidArticle(
            [Problem(field="file", message=f"'{extension or name}' files are not articles; use {supported}")]
        )
    if len(data) > site.max_upload_bytes:
        raise InvalidArticle(
            [
                Problem(
                    field="file",
                    message=f"is {len(data):,} bytes; the limit is {site.max_upload_bytes:,} bytes",
                )
            ]
        )
    return reader(decode(data), site)
