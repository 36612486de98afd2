"""CommonMark bodies: to safe HTML for pages, to plain text for summaries."""

from __future__ import annotations

import re
from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING

import nh3

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

_INLINE_MARKUP = re.compile(r"([\\`*_\[\]<>&])")
_BLOCK_MARKER = re.compile(r"^(\d*)([#>+=~-]|(?<=\d)[.)])")


@cache
def _parser() -> MarkdownIt:
    # Imported on first use: every function imports this module (ingest, validation and render do),
    # but only those that read or render a body parse Markdown, and markdown-it-py is ~10 ms of a
    # cold start. (nh3 is a single compiled module, under 1 ms: imported above.)
    from markdown_it import MarkdownIt

    # Raw HTML off: a body that mentions `<script>` shows it as text instead of passing markup through.
    return MarkdownIt("commonmark", {"html": False, "typographer": False})


def body_html(markdown: str) -> str:
    """Render a body and sanitise the result, so nothing an editor pastes can run in a reader's browser."""
    return nh3.clean(_parser().render(markdown))


def escape_markdown(paragraph: str) -> str:
    """Make one line of plain text render literally, by backslash-escaping what CommonMark reads as markup."""
    escaped = _INLINE_MARKUP.sub(r"\\\1", paragraph)
    return _BLOCK_MARKER.sub(r"\1\\\2", escaped)


def _plain(inline: Token) -> str:
    parts: list[str] = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join("".join(parts).split())


def first_paragraph(markdown: str) -> str:
    """The first paragraph of a body as plain text, or '' when it has none."""
    tokens = _parser().parse(markdown)
    for opening, inline in pairwise(tokens):
        if opening.type == "paragraph_open" and inline.type == "inline":
            text = _plain(inline)
            if text:
                return text
    return ""


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word and marked with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:–—-")
    return f"{cut}…"
