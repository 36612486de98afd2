"""CommonMark bodies: to safe HTML for pages, to plain text for summaries."""

from __future__ import annotations

import re
from collections.abc import Callable
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


# What a body's figures need beyond nh3's defaults: responsive pictures. Their markup is pressrun's own
# (templates/_figure.html), sanitised with the rest all the same.
_TAGS = nh3.ALLOWED_TAGS | {"picture", "source"}
_ATTRIBUTES = {
    **nh3.ALLOWED_ATTRIBUTES,
    "img": nh3.ALLOWED_ATTRIBUTES["img"] | {"srcset", "sizes", "loading", "decoding", "fetchpriority"},
    "source": {"srcset", "sizes", "type", "width", "height"},
    "figure": {"class"},
}

Figure = Callable[[str, str, "str | None", bool], "str | None"]
"""Given an image's source as written, alt text, title and whether it stands alone in its paragraph,
its markup (a figure, or a picture within text), or None to leave it out."""


def body_html(markdown: str, figure: Figure | None = None) -> str:
    """Render a body and sanitise the result, so nothing an editor pastes can run in a reader's browser.
    Images go through `figure`: an image alone in its paragraph becomes a figure in place of the
    paragraph (a figure cannot be inside one), an image within text a picture."""
    parser = _parser()
    tokens = parser.parse(markdown)
    figure = figure or (lambda *_: None)
    out: list[Token] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        children = token.children or []
        if (
            token.type == "paragraph_open"
            and index + 2 < len(tokens)
            and len(tokens[index + 1].children or []) == 1
            and (tokens[index + 1].children or [])[0].type == "image"
        ):
            image = (tokens[index + 1].children or [])[0]
            html = figure(*_image_of(image), True) or ""
            out.append(_html_token("html_block", html + "\n"))
            index += 3
            continue
        if token.type == "inline" and any(child.type == "image" for child in children):
            token.children = [
                _html_token("html_inline", figure(*_image_of(child), False) or "")
                if child.type == "image"
                else child
                for child in children
            ]
        out.append(token)
        index += 1
    return nh3.clean(parser.renderer.render(out, parser.options, {}), tags=_TAGS, attributes=_ATTRIBUTES)


def _image_of(token: Token) -> tuple[str, str, str | None]:
    """Source, alt text (as plain text, the way CommonMark renders it) and title of an image."""
    title = token.attrGet("title")
    return str(token.attrGet("src") or ""), _plain(token), str(title) if title else None


def _html_token(kind: str, html: str) -> Token:
    from markdown_it.token import Token

    return Token(kind, "", 0, content=html)


def body_images(markdown: str) -> list[tuple[str, str, str | None]]:
    """Every image of a body, in order: (source as written, alt text, title)."""
    found: list[tuple[str, str, str | None]] = []
    if "![" not in markdown:
        # CommonMark has no image without these two characters side by side (an entity or an
        # escape never makes one), and most stories have none: no need to parse the body for them.
        return found
    pending = list(_parser().parse(markdown))
    while pending:
        token = pending.pop(0)
        if token.type == "image":
            found.append(_image_of(token))
        if token.children:
            pending[:0] = token.children
    return found


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
