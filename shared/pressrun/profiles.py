"""Author profiles: a small Markdown file, `incoming/authors/<slug>.md`, with the author's name, role,
links elsewhere (`same_as`) and an optional photo in its front matter, and their bio as its body.

A profile takes the way of an article's upload (the articles table, so the newest upload wins and a
bad one comes back as a report; its photo through the image contract, waiting for it like an
article's images), but it is no page of its own: following its change keeps it in the summary of
the author's listing, which the author's page reads, and renders that page again. A story's JSON-LD
reads the profiles of its authors from the same summaries when the story is rendered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pressrun.images import Wait, image_key, resolve
from pressrun.index import ListingKind, listing_of
from pressrun.model import ArticleRecord, AuthorProfile, ImageRef, InvalidArticle, Problem, slugify
from pressrun.ports import ImageRepository
from pressrun.readers import MarkdownReader, decode, too_large
from pressrun.settings import SiteSettings

AUTHORS = "incoming/authors/"
PROFILE_STATUS = "profile"
MAX_BIO = 2000
MAX_LINKS = 10


def is_profile_upload(key: str) -> bool:
    """`incoming/authors/<slug>.md`: a profile, not an article (images beside it are images)."""
    name = key.removeprefix(AUTHORS)
    return key.startswith(AUTHORS) and "/" not in name and name.endswith(".md")


def profile_listing(source_key: str) -> str:
    """The author listing a profile belongs to: the file's name is the author's slug."""
    return listing_of(ListingKind.AUTHOR, source_key.removeprefix(AUTHORS).removesuffix(".md"))


class _Fields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=120)
    role: str = Field(default="", max_length=200)
    same_as: list[str] = Field(default_factory=list, max_length=MAX_LINKS)
    photo: str | None = None
    photo_alt: str = Field(default="", max_length=300)

    @field_validator("same_as", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("same_as")
    @classmethod
    def _web_addresses(cls, links: list[str]) -> list[str]:
        for link in links:
            if not link.startswith("https://"):
                raise ValueError(f"'{link}' is not an https:// address")
        return links


def parse_profile(source_key: str, data: bytes, site: SiteSettings) -> tuple[AuthorProfile, ImageRef | None]:
    """The profile a file gives, and its photo as a reference still to resolve; `InvalidArticle`
    with every reason it gives none."""
    slug = source_key.removeprefix(AUTHORS).removesuffix(".md")
    if slugify(slug) != slug:
        raise InvalidArticle(
            [
                Problem(
                    field="file",
                    message=f"name the file by the author's slug: {slugify(slug) or 'a-name'}.md",
                )
            ]
        )
    raw = MarkdownReader().read(decode(data), site)
    fields = {
        name.replace("sameas", "same_as").replace("-", "_"): value for name, value in raw.fields.items()
    }
    try:
        given = _Fields.model_validate(fields)
    except ValidationError as error:
        problems = [
            Problem(
                field=".".join(str(part) for part in issue["loc"][:1]) or "front matter",
                message=issue["msg"],
                line=raw.lines.get(str(issue["loc"][0])) if issue["loc"] else None,
            )
            for issue in error.errors()
        ]
        raise InvalidArticle(problems) from error
    bio = " ".join(raw.body.split())
    problems = []
    if len(bio) > MAX_BIO:
        problems.append(Problem(field="bio", message=f"is {len(bio)} characters; keep it within {MAX_BIO}"))
    photo = None
    if given.photo:
        if not given.photo_alt:
            problems.append(Problem(field="photo_alt", message="is required with a photo: say what it shows"))
        try:
            photo = ImageRef(key=image_key(source_key, given.photo), written=given.photo, alt=given.photo_alt)
        except ValueError as error:
            problems.append(Problem(field="photo", message=str(error)))
    if problems:
        raise InvalidArticle(problems)
    profile = AuthorProfile(
        name=given.name, role=given.role, bio=bio, same_as=tuple(given.same_as), photo_alt=given.photo_alt
    )
    return profile, photo


def judge_profile(
    source_key: str,
    version_id: str | None,
    sequencer: str,
    size: int | None,
    read: Callable[[], bytes | None],
    site: SiteSettings,
    now: datetime,
    images: ImageRepository | None = None,
) -> tuple[ArticleRecord | None, list[Wait]]:
    """The record a profile's upload makes (None when that version is gone), or the photo it waits for;
    `InvalidArticle` when it makes none."""
    if size is not None and size > site.max_upload_bytes:
        raise InvalidArticle([too_large(site.max_upload_bytes, size)])
    data = read()
    if data is None:
        return None, []
    profile, photo = parse_profile(source_key, data, site)
    use = None
    if photo is not None and images is not None:
        uses, waits = resolve([photo], images)
        if waits:
            return None, waits
        use = uses[0]
    record = ArticleRecord(
        source_key=source_key,
        source_version=version_id,
        sequencer=sequencer,
        status=PROFILE_STATUS,
        title=profile.name,
        profile=profile.model_copy(update={"photo": use}),
        image=use,
        updated_at=now,
    )
    return record, []
