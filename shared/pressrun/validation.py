"""One pydantic model validates what an editor wrote; every problem comes back with its field."""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from pressrun.images import image_key
from pressrun.index import MAX_AUTHORS, MAX_CATEGORIES, MAX_TAGS
from pressrun.markup import body_images, first_paragraph, shorten
from pressrun.model import (
    MAX_SLUG_LENGTH,
    SLUG_PATTERN,
    Article,
    Category,
    Correction,
    Focus,
    ImageRef,
    InvalidArticle,
    Problem,
    slugify,
)
from pressrun.readers import RawArticle, read_upload
from pressrun.settings import SiteSettings

MAX_TITLE_LENGTH = 200
MAX_AUTHOR_LENGTH = 200
# An editor's own summary; one made from the first paragraph is cut at SUMMARY_LENGTH.
MAX_SUMMARY_LENGTH = 1_000
SUMMARY_LENGTH = 160
# Sections, tags and authors are listings, each with its own pages. An index update is one DynamoDB
# transaction, which holds at most 100 actions: with L = sections + tags + authors, an update writes
# at most 4L + 3 (pressrun.index), so 5 + 15 + 4 = 24 listings make 99.
# A category is a heading on the site and a segment of its URLs; a tag and an author's name too.
MAX_CATEGORY_LENGTH = 60
MAX_TAG_LENGTH = 50
# Images: what a figure shows (alt), says (caption) and credits, each bounded like the other fields;
# and how many one story may show (its record keeps each one's renditions).
MAX_ALT_LENGTH = 300
MAX_CAPTION_LENGTH = 500
MAX_CREDIT_LENGTH = 200
MAX_IMAGES = 20
_IMAGE_TEXT_LIMITS = {
    "image_alt": MAX_ALT_LENGTH,
    "image_caption": MAX_CAPTION_LENGTH,
    "image_credit": MAX_CREDIT_LENGTH,
    "image": 500,
}
# Corrections: each a dated note under the story; a handful is normal, dozens a mistake.
MAX_CORRECTIONS = 20
MAX_CORRECTION_LENGTH = 1_000
# A correction written as one line of text starts with its date: "2025-06-27: The council's vote…",
# "27 June 2025 - …" (or a dash), "June 27, 2025: …"; an ISO time may follow the date.
_DATED_TEXT = re.compile(
    r"^\s*(?P<date>\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]+\.?\s+\d{4}"
    r"|[A-Za-z]+\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
    r"|\d{1,2}/\d{1,2}/\d{4})\s*(?:[:–—]|\s-)\s*(?P<text>.*)$",
    re.DOTALL,
)
# A value quoted back in a report is cut to this, so that a report and its alert stay small.
_QUOTED_LENGTH = 80
_WEEKDAY = re.compile(r"^[A-Za-z]+day,?\s+", re.IGNORECASE)
_ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b", re.IGNORECASE)
# Day first in 25/06/2025, as British copy writes it.
_DATE_FORMATS = ("%B %d, %Y", "%B %d %Y", "%b %d, %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y", "%d/%m/%Y")


_EARLIEST_YEAR, _LATEST_YEAR = 1800, 2999
# Invisible control characters that copy-paste drags in; tab and newline are text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _quoted(value: Any) -> str:
    return f"'{shorten(str(value), _QUOTED_LENGTH)}'"


def _too_long(length: int, limit: int) -> str:
    return f"is {length:,} characters long; the limit is {limit:,}"


def _plausible(moment: datetime) -> datetime:
    if not _EARLIEST_YEAR <= moment.year <= _LATEST_YEAR:
        raise ValueError(f"'{moment.date().isoformat()}' is not a plausible publication date")
    return moment


def clean_text(value: Any) -> Any:
    """Strip control characters from every string of a field, however nested."""
    if isinstance(value, str):
        return _CONTROL.sub("", value)
    if isinstance(value, list):
        return [clean_text(item) for item in value]
    if isinstance(value, dict):
        return {key: clean_text(item) for key, item in value.items()}
    return value


def _unpaired_surrogates(raw: RawArticle) -> list[Problem]:
    """JSON can spell half of a character; such text can be neither stored nor served."""
    message = "contains characters that are not valid Unicode text"
    problems = [
        Problem(field=name, message=message, line=raw.lines.get(name))
        for name, value in raw.fields.items()
        if any(_SURROGATE.search(text) for text in _strings(value))
    ]
    if _SURROGATE.search(raw.body):
        problems.append(Problem(field="body", message=message))
    return problems


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    return []


def parse_date(value: Any, zone: ZoneInfo) -> datetime:
    """A publication time in the site's zone: a bare date means local midnight there, and a time with
    another offset is the same instant on the site's clock, which dates the article's URL."""
    return _plausible(_parse_moment(value, zone)).astimezone(zone)


def _parse_moment(value: Any, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=zone)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("write a date such as June 25, 2025 or 2025-06-25")
    text = " ".join(value.split())
    # "Wednesday, June 25th, 2025" reads as "June 25, 2025": the weekday and ordinal add nothing.
    text = _ORDINAL.sub(r"\1", _WEEKDAY.sub("", text))
    out_of_range = False
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as error:
        out_of_range = "range" in str(error)
    else:
        if len(text) == len("2025-06-25"):
            return datetime.combine(parsed.date(), time(), tzinfo=zone)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    for pattern in _DATE_FORMATS:
        try:
            day = datetime.strptime(text, pattern).date()
        except ValueError as error:
            out_of_range = out_of_range or "range" in str(error)
            continue
        return datetime.combine(day, time(), tzinfo=zone)
    if out_of_range:
        raise ValueError(f"{_quoted(value)} is not a real date")
    raise ValueError(f"{_quoted(value)} is not a date I can read; write it like June 25, 2025 or 2025-06-25")


def _section(name: str, vocabulary: tuple[str, ...]) -> str:
    """The site's own spelling of a category, or an error that suggests the nearest one."""
    by_slug = {slugify(section): section for section in vocabulary}
    if slugify(name) in by_slug:
        return by_slug[slugify(name)]
    folded = {section.casefold(): section for section in vocabulary}
    nearest = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.6)
    if nearest:
        raise ValueError(
            f"{_quoted(name)} is not a section of this site; did you mean '{folded[nearest[0]]}'?"
        )
    raise ValueError(f"{_quoted(name)} is not a section of this site; use one of: {', '.join(vocabulary)}")


# Between the names of one byline: commas, semicolons, "and", "&".
_BYLINE_SEPARATORS = re.compile(r"\s*(?:[,;]|\s(?:and|&)\s)\s*", re.IGNORECASE)


def _distinct(names: list[str], what: str, limit: int) -> list[str]:
    """One name per slug (the first spelling), at most `limit` of them: each is a listing."""
    unusable = [name for name in names if not slugify(name)]
    if unusable:
        raise ValueError(f"{_quoted(unusable[0])} has no letters or digits to make a web address from")
    first_spelling: dict[str, str] = {}
    for name in names:
        first_spelling.setdefault(slugify(name), name)
    distinct = list(first_spelling.values())
    if len(distinct) > limit:
        raise ValueError(f"lists {len(distinct)} {what}; the limit is {limit}")
    return distinct


def _text_list(value: Any, what: str, longest: int) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(item, str | int | float) for item in value):
        raise ValueError(f"must be a list of {what}")
    names = [" ".join(str(item).split()) for item in value if str(item).strip()]
    too_long = next((name for name in names if len(name) > longest), None)
    if too_long is not None:
        raise ValueError(f"{_quoted(too_long)} {_too_long(len(too_long), longest)}")
    return names


def _correction(value: Any, zone: ZoneInfo) -> Correction:
    """One correction: {date, text}, or a line of text that starts with its date."""
    if isinstance(value, dict) and len(value) == 1 and "date" not in value:
        # YAML reads "- 2025-06-27: what was corrected" as a one-entry mapping.
        ((key, item),) = value.items()
        value = f"{key}: {item}"
    if isinstance(value, dict):
        fields = {str(key).strip().lower(): item for key, item in value.items()}
        when, text = fields.get("date"), fields.get("text")
        if when is None or not isinstance(text, str):
            raise ValueError("write each correction with a date and a text: {date: 2025-06-27, text: …}")
    elif isinstance(value, str):
        match = _DATED_TEXT.match(value)
        if match is None:
            raise ValueError(
                f"{_quoted(value)} does not start with its date; write it as"
                " '2025-06-27: what was wrong and what it says now'"
            )
        when, text = match.group("date"), match.group("text")
    else:
        raise ValueError("must be text that starts with its date, or a date and a text")
    text = " ".join(text.split())
    if not text:
        raise ValueError("a correction says what was corrected; this one has no text")
    if len(text) > MAX_CORRECTION_LENGTH:
        raise ValueError(f"a correction {_too_long(len(text), MAX_CORRECTION_LENGTH)}")
    return Correction(date=parse_date(when, zone), text=text)


class Metadata(BaseModel):
    """The fields an editor writes, in any format, before they become an `Article`."""

    model_config = ConfigDict(extra="ignore")

    title: str
    date: datetime
    categories: list[str]
    tags: list[str] = []
    author: list[str] = []
    summary: str | None = None
    slug: str | None = None
    draft: bool = False
    status: str | None = None
    image: str | None = None
    image_alt: str | None = None
    image_caption: str | None = None
    image_credit: str | None = None
    image_focus: Focus | None = None
    correction: list[Correction] = []

    @field_validator("title", mode="before")
    @classmethod
    def _one_line_title(cls, value: Any) -> str:
        if not isinstance(value, str | int | float):
            raise ValueError("must be text")
        title = " ".join(str(value).split())
        if not title:
            raise ValueError("is empty")
        if len(title) > MAX_TITLE_LENGTH:
            raise ValueError(_too_long(len(title), MAX_TITLE_LENGTH))
        return title

    @field_validator("date", mode="before")
    @classmethod
    def _real_date(cls, value: Any, info: ValidationInfo) -> datetime:
        zone: ZoneInfo = info.context["zone"] if info.context else ZoneInfo("UTC")
        return parse_date(value, zone)

    @field_validator("categories", mode="before")
    @classmethod
    def _known_categories(cls, value: Any, info: ValidationInfo) -> list[str]:
        names = _text_list(value, "category names", MAX_CATEGORY_LENGTH)
        if not names:
            raise ValueError("name at least one category")
        unusable = [name for name in names if not slugify(name)]
        if unusable:
            raise ValueError(f"{_quoted(unusable[0])} has no letters or digits to make a web address from")
        named = len({slugify(name) for name in names})
        if named > MAX_CATEGORIES:
            raise ValueError(f"names {named} categories; the limit is {MAX_CATEGORIES}")
        vocabulary: tuple[str, ...] = info.context.get("vocabulary", ()) if info.context else ()
        if vocabulary:
            names = [_section(name, vocabulary) for name in names]
        # One category per slug: "Economics" and "economics" are the same section.
        return list({slugify(name): name for name in reversed(names)}.values())[::-1]

    @field_validator("tags", mode="before")
    @classmethod
    def _tag_list(cls, value: Any) -> list[str]:
        return _distinct(_text_list(value, "tags", MAX_TAG_LENGTH), "tags", MAX_TAGS)

    @field_validator("author", mode="before")
    @classmethod
    def _bylines(cls, value: Any) -> list[str]:
        if isinstance(value, str):
            # "Priya Natarajan and Tom Okafor", "A, B & C": one byline line, several people.
            value = _BYLINE_SEPARATORS.split(value)
        return _distinct(_text_list(value, "author names", MAX_AUTHOR_LENGTH), "authors", MAX_AUTHORS)

    @field_validator("summary", mode="before")
    @classmethod
    def _optional_text(cls, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("must be text")
        text = " ".join(value.split())
        if len(text) > MAX_SUMMARY_LENGTH:
            raise ValueError(_too_long(len(text), MAX_SUMMARY_LENGTH))
        return text or None

    @field_validator("image", "image_alt", "image_caption", "image_credit", mode="before")
    @classmethod
    def _image_text(cls, value: Any, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str | int | float):
            raise ValueError("must be text")
        text = " ".join(str(value).split())
        limit = _IMAGE_TEXT_LIMITS[str(info.field_name)]
        if len(text) > limit:
            raise ValueError(_too_long(len(text), limit))
        return text or None

    @field_validator("image_focus", mode="before")
    @classmethod
    def _focus(cls, value: Any) -> Focus | None:
        if value is None or value == "":
            return None
        parts = value.split(",") if isinstance(value, str) else value
        try:
            x, y = (float(part) for part in parts)
        except (TypeError, ValueError):
            x = y = -1.0
        if not (0 <= x <= 1 and 0 <= y <= 1):
            raise ValueError(
                f"{_quoted(value)} is not a focus point; write two numbers from 0 to 1, across then down,"
                " such as 0.5,0.3"
            )
        return Focus.quantized(x, y)

    @field_validator("correction", mode="before")
    @classmethod
    def _corrections(cls, value: Any, info: ValidationInfo) -> list[Correction]:
        if value is None or value == "":
            return []
        zone: ZoneInfo = info.context["zone"] if info.context else ZoneInfo("UTC")
        items = value if isinstance(value, list) else [value]
        if len(items) > MAX_CORRECTIONS:
            raise ValueError(f"lists {len(items)} corrections; the limit is {MAX_CORRECTIONS}")
        # Oldest first, whatever order they were written in: that is how the story shows them.
        return sorted((_correction(item, zone) for item in items), key=lambda correction: correction.date)

    @field_validator("slug", mode="before")
    @classmethod
    def _valid_slug(cls, value: Any) -> str | None:
        if value is None:
            return None
        slug = str(value).strip()
        if not SLUG_PATTERN.match(slug) or len(slug) > MAX_SLUG_LENGTH:
            raise ValueError(
                f"{_quoted(slug)} is not a valid slug; use lower-case letters, digits and single hyphens,"
                f" at most {MAX_SLUG_LENGTH} characters"
            )
        return slug

    @field_validator("status", mode="before")
    @classmethod
    def _draft_or_published(cls, value: Any) -> str | None:
        if value is None:
            return None
        status = str(value).strip().lower()
        if status not in {"draft", "published"}:
            raise ValueError(f"{_quoted(value)} is not a status; use draft or published")
        return status

    @field_validator("draft", mode="before")
    @classmethod
    def _yes_or_no(cls, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {"true", "yes", "false", "no"}:
            return value.strip().lower() in {"true", "yes"}
        raise ValueError("must be true or false")


_MESSAGES = {
    "missing": "is required",
    "string_type": "must be text",
    "list_type": "must be a list",
    "bool_type": "must be true or false",
}


def _problems(error: ValidationError, raw: RawArticle) -> list[Problem]:
    problems = []
    for detail in error.errors():
        name = str(detail["loc"][0]) if detail["loc"] else "file"
        if detail["type"] == "value_error":
            message = str(detail["ctx"]["error"])
        else:
            message = _MESSAGES.get(detail["type"], detail["msg"])
        problems.append(Problem(field=name, message=message, line=raw.lines.get(name)))
    return problems


# Plural spellings editors use for a field, read as the field itself.
_PLURALS = {"corrections": "correction", "authors": "author"}


def _field_name(name: str) -> str:
    """`Image-Alt` as `image_alt`, `corrections` as `correction` and `authors` as `author`: header
    lines and JSON keys spelt either way."""
    folded = str(name).strip().lower()
    if folded in _PLURALS:
        return _PLURALS[folded]
    return folded.replace("-", "_") if folded.startswith("image") else str(name)


def _lead_image(
    source_key: str, metadata: Metadata, raw: RawArticle
) -> tuple[ImageRef | None, list[Problem]]:
    if metadata.image is None:
        return None, []
    problems = []
    try:
        key = image_key(source_key, metadata.image)
    except ValueError as error:
        problems.append(Problem(field="image", message=str(error), line=raw.lines.get("image")))
        key = ""
    if not metadata.image_alt:
        problems.append(
            Problem(
                field="image_alt",
                message="is required with an image: say what it shows, for readers who cannot see it",
                line=raw.lines.get("image"),
            )
        )
    if problems:
        return None, problems
    ref = ImageRef(
        key=key,
        written=metadata.image,
        alt=metadata.image_alt or "",
        caption=metadata.image_caption,
        credit=metadata.image_credit,
        focus=metadata.image_focus,
        lead=True,
    )
    return ref, []


def _corrections_after_publication(metadata: Metadata, raw: RawArticle) -> list[Problem]:
    """A correction is made to a published story: one dated before the story is a typing mistake."""
    early = [correction for correction in metadata.correction if correction.date < metadata.date]
    return [
        Problem(
            field="correction",
            message=f"is dated {correction.date.date().isoformat()}, before the story itself"
            f" ({metadata.date.date().isoformat()}); check the correction's date",
            line=raw.lines.get("correction"),
        )
        for correction in early
    ]


def _body_images(source_key: str, body: str) -> tuple[tuple[ImageRef, ...], list[Problem]]:
    refs: list[ImageRef] = []
    problems: list[Problem] = []
    for written, alt, title in body_images(body):
        try:
            key = image_key(source_key, written)
        except ValueError as error:
            problems.append(Problem(field="body", message=str(error)))
            continue
        alt = " ".join(alt.split())
        if not alt:
            problems.append(
                Problem(
                    field="body",
                    message=f"the image '{written}' has no alt text; say what it shows between the"
                    f" brackets: ![A crowd outside the town hall]({written})",
                )
            )
        elif len(alt) > MAX_ALT_LENGTH:
            problems.append(
                Problem(
                    field="body", message=f"the alt text of '{written}' {_too_long(len(alt), MAX_ALT_LENGTH)}"
                )
            )
        else:
            caption = " ".join(title.split())[:MAX_CAPTION_LENGTH] if title else None
            refs.append(ImageRef(key=key, written=written, alt=alt, caption=caption or None))
    return tuple(refs), problems


def build_article(source_key: str, raw: RawArticle, site: SiteSettings) -> Article:
    """Validate what a reader found; raise `InvalidArticle` listing every problem at once."""
    fields = {_field_name(name): value for name, value in clean_text(raw.fields).items()}
    lines = {_field_name(name): line for name, line in raw.lines.items()}
    raw = RawArticle(fields=fields, body=_CONTROL.sub("", raw.body), lines=lines)
    problems = _unpaired_surrogates(raw)
    if problems:
        raise InvalidArticle(problems)
    metadata: Metadata | None = None
    try:
        metadata = Metadata.model_validate(
            raw.fields, context={"zone": site.zone, "vocabulary": site.site_categories}
        )
    except ValidationError as error:
        problems.extend(_problems(error, raw))
    if not raw.body.strip():
        problems.append(Problem(field="body", message="the article has no body text"))
    lead, lead_problems = _lead_image(source_key, metadata, raw) if metadata else (None, [])
    inline, inline_problems = _body_images(source_key, raw.body)
    problems += lead_problems + inline_problems
    if len(inline) + (1 if lead else 0) > MAX_IMAGES:
        problems.append(
            Problem(
                field="body", message=f"shows {len(inline) + bool(lead)} images; the limit is {MAX_IMAGES}"
            )
        )
    if metadata is not None:
        problems += _corrections_after_publication(metadata, raw)
    if metadata is None or problems:
        raise InvalidArticle(problems)
    slug = metadata.slug or slugify(metadata.title)
    if not slug:
        raise InvalidArticle(
            [
                Problem(
                    field="slug",
                    message="the title has no letters or digits to make a web address from; add a slug",
                    line=raw.lines.get("title"),
                )
            ]
        )
    return Article(
        source_key=source_key,
        title=metadata.title,
        slug=slug,
        published_at=metadata.date,
        categories=tuple(Category.named(name) for name in metadata.categories),
        tags=tuple(metadata.tags),
        authors=tuple(metadata.author),
        summary=metadata.summary or shorten(first_paragraph(raw.body), SUMMARY_LENGTH),
        draft=metadata.draft or metadata.status == "draft",
        body=raw.body,
        image=lead,
        inline_images=inline,
        corrections=tuple(metadata.correction),
    )


def parse_article(source_key: str, data: bytes, site: SiteSettings) -> Article:
    """Read and validate one upload. `source_key` names it in the uploads bucket (or on disk)."""
    return build_article(source_key, read_upload(source_key, data, site), site)
