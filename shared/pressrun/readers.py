"""Readers turn an upload's text into raw fields and a CommonMark body: a registry keyed by file
extension, one `read()` per format, in the manner of Pelican's readers.

The readers only find things; `validation` decides whether what they found makes an article.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pressrun.markup import escape_markdown
from pressrun.model import InvalidArticle, Problem
from pressrun.settings import SiteSettings

if TYPE_CHECKING:
    import yaml


# Lists and objects inside one another. An article needs two levels (the front matter, and a list of
# categories in it); past this, nesting is a mistake or an attack, and reading it would recurse.
MAX_NESTING = 20


def _nested_too_deeply(line: int | None = None, field: str = "file") -> InvalidArticle:
    message = f"is nested too deeply: more than {MAX_NESTING} levels of lists and objects"
    return InvalidArticle([Problem(field=field, message=message, line=line)])


def _deeper_than(value: Any, levels: int) -> bool:
    """Whether lists and dicts nest more than `levels` deep, found without recursing."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > levels:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


class _TooDeep(Exception):
    """Front matter nested past MAX_NESTING, found while composing it, at this line of it (from 0)."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


@dataclass
class RawArticle:
    """What a reader found: editor-supplied fields, the body, and the line each field came from."""

    fields: dict[str, Any]
    body: str
    lines: dict[str, int] = field(default_factory=dict)


class Reader(Protocol):
    extensions: ClassVar[tuple[str, ...]]

    def read(self, text: str, site: SiteSettings) -> RawArticle: ...


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(data: bytes) -> str:
    """Text as UTF-8 (with or without a byte-order mark) or as UTF-16/32 that says so with its mark.
    Anything else is rejected, never guessed at and published garbled."""
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
    try:
        text = data.decode(encoding)
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
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise InvalidArticle([Problem(field="file", message="the file is binary, not text")])
    if not text.strip():
        raise InvalidArticle([Problem(field="file", message="the file is empty")])
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- Pelican-style header lines: "Title: ...", "Date: ..." at the top of a .md or .txt file --------

_HEADER_LINE = re.compile(
    r"^(?P<name>title|date|category|categories|tags|slug|authors?|summary|status|corrections?"
    r"|image-alt|image-caption|image-credit|image-focus|image)[ \t]*:[ \t]*(?P<value>.*)$",
    re.IGNORECASE,
)
_HEADER_FIELDS = {"category": "categories", "authors": "author", "corrections": "correction"}
# Fields a header block may repeat, one line each: every line is kept, in order.
_REPEATABLE = {"correction"}


def _has_header_lines(text: str) -> bool:
    first = next((line for line in text.split("\n") if line.strip()), "")
    return _HEADER_LINE.match(first.strip()) is not None


def _read_header_lines(text: str) -> tuple[dict[str, Any], dict[str, int], list[str]]:
    """The fields of the header block, the line of each, and the lines after it."""
    lines = text.split("\n")
    fields: dict[str, Any] = {}
    found: dict[str, int] = {}
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    while index < len(lines) and (match := _HEADER_LINE.match(lines[index].strip())):
        name = match.group("name").lower()
        name = _HEADER_FIELDS.get(name, name).replace("-", "_")
        value = match.group("value").strip()
        if name in _REPEATABLE:
            fields.setdefault(name, []).append(value)
            found.setdefault(name, index + 1)
        else:
            fields[name] = value
            found[name] = index + 1
        index += 1
    return fields, found, lines[index:]


# --- Markdown with YAML front matter ---------------------------------------------------------------


# Front matter is parsed by libyaml where PyYAML was built with it (local installs: several times
# faster than PyYAML's pure-Python parser, which was most of an article's reading), and by the pure
# parser where it was not (the Lambda layer leaves the C extension out). The pure loader refuses
# aliases and deep nesting while composing, in a hook libyaml's composer never calls; so libyaml
# takes only documents its own events show free of anchors, aliases and deep nesting, and anything
# else, or anything libyaml refuses, is read by the pure loader: it refuses the same documents, with
# the same messages, on a laptop and on Lambda.
LIBYAML = True


def _without_timestamps(resolvers: dict[Any, list[Any]]) -> dict[Any, list[Any]]:
    return {
        first: [(tag, pattern) for tag, pattern in found if tag != "tag:yaml.org,2002:timestamp"]
        for first, found in resolvers.items()
    }


@cache
def _front_matter_loader() -> type[yaml.SafeLoader]:
    # PyYAML is imported on first use: every function imports this module (through ingest), but
    # only the ones that read uploads parse YAML, and PyYAML is ~7 ms of a cold start.
    import yaml

    class FrontMatterLoader(yaml.SafeLoader):
        """SafeLoader for front matter: dates stay text, for the validator to judge and quote; aliases
        are refused, since a few hundred bytes of nested aliases expand into millions of values."""

        yaml_implicit_resolvers = _without_timestamps(yaml.SafeLoader.yaml_implicit_resolvers)

        nesting = 0

        def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, "aliases (*name) are not allowed in front matter", event.start_mark
                )
            if not self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
                return super().compose_node(parent, index)
            # Composing recurses once per level: counted here, the nesting stops long before Python's
            # recursion limit, whatever the depth of the caller's stack.
            self.nesting += 1
            try:
                if self.nesting > MAX_NESTING:
                    raise _TooDeep(self.peek_event().start_mark.line)  # type: ignore[no-untyped-call]
                return super().compose_node(parent, index)
            finally:
                self.nesting -= 1

    return FrontMatterLoader


@cache
def _libyaml_loader() -> type[yaml.CSafeLoader] | None:
    import yaml

    if not getattr(yaml, "__with_libyaml__", False):
        return None

    class CFrontMatterLoader(yaml.CSafeLoader):
        """The same resolvers as FrontMatterLoader, on libyaml's parser and composer."""

        yaml_implicit_resolvers = _without_timestamps(yaml.CSafeLoader.yaml_implicit_resolvers)

    return CFrontMatterLoader


# Characters libyaml and PyYAML's pure parser read differently: a tab (PyYAML refuses it where libyaml
# takes it as space), a byte-order mark past the start (libyaml skips it), the line breaks other than
# CR and LF, and control characters. Front matter holding any of them is read by the pure parser.
_LIBYAML_DIFFERS = re.compile(
    "[^\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


def _plain_for_libyaml(source: str, loader: type[yaml.CSafeLoader]) -> bool:
    """No anchor, no alias, no nesting past MAX_NESTING, and no error, read from libyaml's events
    (its composer recurses in C once per level; its scanner stops at 1,000 levels, in its words)."""
    import yaml

    if _LIBYAML_DIFFERS.search(source):
        return False
    nesting = 0
    try:
        for event in yaml.parse(source, Loader=loader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                return False
            if isinstance(event, yaml.CollectionStartEvent):
                nesting += 1
                if nesting > MAX_NESTING:
                    return False
            elif isinstance(event, yaml.CollectionEndEvent):
                nesting -= 1
    except yaml.YAMLError:
        return False
    return True


def _load_front_matter(source: str) -> Any:
    import yaml

    fast = _libyaml_loader() if LIBYAML else None
    if fast is not None and _plain_for_libyaml(source, fast):
        try:
            return yaml.load(source, Loader=fast)  # noqa: S506 - a SafeLoader
        except yaml.YAMLError:
            pass  # the pure loader says why, in the words its messages have always had
    # A SafeLoader only: front matter is data, and a YAML tag must never build an object.
    return yaml.load(source, Loader=_front_matter_loader())  # noqa: S506


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)


class MarkdownReader:
    extensions: ClassVar[tuple[str, ...]] = (".md", ".markdown")

    def read(self, text: str, site: SiteSettings) -> RawArticle:
        match = _FRONT_MATTER.match(text)
        if match is not None:
            return self._front_matter(text, match)
        if _has_header_lines(text):
            fields, lines, rest = _read_header_lines(text)
            return RawArticle(fields=fields, body="\n".join(rest).strip("\n") + "\n", lines=lines)
        raise InvalidArticle(
            [
                Problem(
                    field="front matter",
                    message="a Markdown article starts with front matter between two '---' lines,"
                    " or with 'Title:' and 'Date:' lines",
                    line=1,
                )
            ]
        )

    def _front_matter(self, text: str, match: re.Match[str]) -> RawArticle:
        source = match.group("yaml") or ""
        import yaml

        try:
            fields = _load_front_matter(source)
        except _TooDeep as too_deep:
            raise _nested_too_deeply(too_deep.line + 2, field="front matter") from too_deep
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 2 if mark is not None else None
            raise InvalidArticle(
                [Problem(field="front matter", message=f"is not valid YAML: {error}", line=line)]
            ) from error
        except (ValueError, OverflowError, RecursionError) as error:
            # PyYAML builds dates itself and raises plain errors for ones like 2025-02-30.
            raise InvalidArticle(
                [Problem(field="front matter", message=f"has a value YAML cannot read: {error}")]
            ) from error
        if fields is None:
            fields = {}
        if not isinstance(fields, dict):
            raise InvalidArticle(
                [Problem(field="front matter", message="must be a set of 'name: value' lines", line=2)]
            )
        lines = {}
        for number, line in enumerate(source.splitlines(), start=2):
            name = line.split(":", 1)[0].strip().lower()
            if name in {str(key).strip().lower() for key in fields} and name not in lines:
                lines[name] = number
        # Keys as editors type them: 'Title:' is 'title:'.
        folded = {str(key).strip().lower(): value for key, value in fields.items()}
        return RawArticle(fields=folded, body=text[match.end() :], lines=lines)


# --- Plain-text news copy, as editors paste it -----------------------------------------------------

_CATEGORIES_LINE = re.compile(r"^[\s–—-]*categor(?:y|ies)\s*:\s*(?P<names>.*)$", re.IGNORECASE)
_DATE_LIKE = re.compile(
    r"^(?:[A-Za-z]+day,?\s+)?"  # an optional weekday: "Wednesday, June 25, 2025"
    r"(?:\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]+\.?\s+\d{4}"
    r"|[A-Za-z]+\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
    r"|\d{1,2}/\d{1,2}/\d{4})$",
    re.IGNORECASE,
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


def _plain_body(lines: list[str]) -> str:
    body = "\n\n".join(escape_markdown(paragraph) for paragraph in _paragraphs(lines))
    return f"{body}\n" if body else ""


class PlainTextReader:
    extensions: ClassVar[tuple[str, ...]] = (".txt",)

    def read(self, text: str, site: SiteSettings) -> RawArticle:
        if _has_header_lines(text):
            fields, lines, rest = _read_header_lines(text)
            if isinstance(fields.get("categories"), str):
                fields["categories"] = _category_names(fields["categories"])
            return RawArticle(fields=fields, body=_plain_body(rest), lines=lines)
        return self._news_copy(text, site)

    def _news_copy(self, text: str, site: SiteSettings) -> RawArticle:
        """Masthead and tagline (the site's own, skipped), title, date and categories in any order."""
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
        return RawArticle(fields=fields, body=_plain_body(lines[body_start:]), lines=found)


# --- JSON ------------------------------------------------------------------------------------------


class JsonReader:
    extensions: ClassVar[tuple[str, ...]] = (".json",)

    def read(self, text: str, site: SiteSettings) -> RawArticle:
        try:
            document = json.loads(text)
        except RecursionError as error:
            # The decoder recurses once per level, and stops cleanly at Python's recursion limit.
            raise _nested_too_deeply() from error
        except ValueError as error:
            # ValueError covers JSONDecodeError and numbers past Python's 4,300-digit limit.
            message = (
                error.msg if isinstance(error, json.JSONDecodeError) else "has a value too large or too deep"
            )
            line = error.lineno if isinstance(error, json.JSONDecodeError) else None
            raise InvalidArticle(
                [Problem(field="file", message=f"is not valid JSON: {message}", line=line)]
            ) from error
        # Decoded, yet too deep for what comes next: validation walks every value, recursively.
        if _deeper_than(document, MAX_NESTING):
            raise _nested_too_deeply()
        if not isinstance(document, dict):
            raise InvalidArticle([Problem(field="file", message="must be a JSON object of article fields")])
        body = document.pop("body", "")
        if not isinstance(body, str):
            raise InvalidArticle([Problem(field="body", message="must be text (CommonMark)")])
        return RawArticle(fields=document, body=body)


READERS: dict[str, Reader] = {
    extension: reader
    for reader in (MarkdownReader(), PlainTextReader(), JsonReader())
    for extension in reader.extensions
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
        # The store reads no more than the limit and one byte: how much more there is, it cannot say.
        raise InvalidArticle([too_large(site.max_upload_bytes)])
    return reader.read(decode(data), site)


def too_large(limit: int, size: int | None = None) -> Problem:
    """An upload over the size limit, with its size when the event or the file system gives it."""
    if size is None:
        return Problem(field="file", message=f"is over the limit of {limit:,} bytes")
    return Problem(field="file", message=f"is {size:,} bytes; the limit is {limit:,} bytes")
