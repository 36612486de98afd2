"""The one model of an article, and the problems that keep an upload from becoming one."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from pressrun.urls import article_path, preview_path

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Records made before format 2 kept no tags and one author: their stories were in no tag or author
# listing.
RECORD_FORMAT = 2
MAX_SLUG_LENGTH = 80


def slugify(text: str) -> str:
    """ASCII slug of any text: 'Économie & Société' -> 'economie-societe'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if len(slug) > MAX_SLUG_LENGTH:
        # Cut at a word boundary so a long headline does not end its URL mid-word.
        slug = slug[:MAX_SLUG_LENGTH].rsplit("-", 1)[0]
    return slug


def legacy_author(data: object) -> object:
    """Records and listing entries stored before a story could have several authors carry one
    `author`: read as `authors`."""
    if isinstance(data, dict) and "author" in data and "authors" not in data:
        document = dict(data)
        author = document.pop("author")
        return {**document, "authors": [author] if author else []}
    return data


class Problem(BaseModel):
    """One reason an upload was rejected, worded for the editor who sent it."""

    model_config = ConfigDict(frozen=True)

    field: str
    message: str
    line: int | None = None


def problem_line(source: str, problem: Problem) -> str:
    """One problem as editors read it everywhere: `pressrun check`, the alert, the CLI summary."""
    where = f"{source}:{problem.line}" if problem.line else source
    return f"{where}: {problem.field}: {problem.message}"


class InvalidArticle(Exception):
    """An upload that cannot be published, with every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


class Category(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    slug: str

    @classmethod
    def named(cls, name: str) -> Category:
        return cls(name=name, slug=slugify(name))


class Focus(BaseModel):
    """The point of a picture its crops keep in view, as fractions of its width and height. Kept to
    steps of 5 %, so that nearby choices share their crops."""

    model_config = ConfigDict(frozen=True)

    x: float = Field(default=0.5, ge=0, le=1)
    y: float = Field(default=0.5, ge=0, le=1)

    @property
    def tag(self) -> str:
        return f"{round(self.x * 100):02d}-{round(self.y * 100):02d}"

    @classmethod
    def quantized(cls, x: float, y: float) -> Focus:
        return cls(x=round(x * 20) / 20, y=round(y * 20) / 20)

    @classmethod
    def from_tag(cls, tag: str) -> Focus:
        x, y = tag.split("-")
        return cls(x=int(x) / 100, y=int(y) / 100)


class ImageRef(BaseModel):
    """An image as an article names it: the upload it resolves to (`key`), the path as written, and
    how it is shown. The lead image is the article's own (`image:`); the others are in its body."""

    model_config = ConfigDict(frozen=True)

    key: str
    written: str
    alt: str
    caption: str | None = None
    credit: str | None = None
    focus: Focus | None = None
    lead: bool = False


class ImageUse(BaseModel):
    """What an article's record keeps of an image it shows, so that its page and listing cards can
    be rendered without reading the images table: where its renditions are and their sizes."""

    model_config = ConfigDict(frozen=True)

    key: str
    hash: str
    width: int
    height: int
    widths: tuple[int, ...]
    # The focus whose crops the lead image uses (`Focus.tag`).
    focus: str = "50-50"


class AuthorProfile(BaseModel):
    """What an author's profile (`incoming/authors/<slug>.md`) says of them, as their page and the
    JSON-LD of their stories show it; the photo as its renditions, like an article's images."""

    model_config = ConfigDict(frozen=True)

    name: str
    role: str = ""
    bio: str = ""
    same_as: tuple[str, ...] = ()
    photo: ImageUse | None = None
    photo_alt: str = ""


class Correction(BaseModel):
    """A correction an editor appended to a story: when it was made and what it says."""

    model_config = ConfigDict(frozen=True)

    date: AwareDatetime
    text: str


class Article(BaseModel):
    """A validated article. `published_at` is in the site's time zone, which fixes its URL's date."""

    model_config = ConfigDict(frozen=True)

    source_key: str
    title: str
    slug: str
    published_at: AwareDatetime
    categories: tuple[Category, ...] = Field(min_length=1)
    tags: tuple[str, ...] = ()
    # In byline order.
    authors: tuple[str, ...] = ()
    summary: str
    draft: bool = False
    body: str = Field(description="CommonMark source of the body")
    # The lead image, and the images of the body, in the order they appear.
    image: ImageRef | None = None
    inline_images: tuple[ImageRef, ...] = ()
    # Oldest first. Each counts as a change of what the story says.
    corrections: tuple[Correction, ...] = ()

    @property
    def image_refs(self) -> tuple[ImageRef, ...]:
        return ((self.image,) if self.image else ()) + self.inline_images

    @property
    def content_hash(self) -> str:
        # Fields left at their defaults are left out, so that a field added to the model later does
        # not change the hash of every story without it (which would date unchanged stories modified).
        # Whether it is a draft is not what it says: a story taken back to draft and put back as it was
        # is not modified.
        dumped = self.model_dump_json(exclude_defaults=True, exclude={"draft"})
        return hashlib.sha256(dumped.encode("utf-8")).hexdigest()

    @property
    def path(self) -> str:
        """The article's public path, e.g. /2025/06/25/uk-seeks-trade-ties/."""
        return article_path(self.slug, self.published_at)


class Redirect(BaseModel):
    """A permanent redirect an editor listed: readers asking for `path` are sent to `target`."""

    model_config = ConfigDict(frozen=True)

    path: str
    target: str


class Preview(BaseModel):
    """A draft's or scheduled story's private preview: an unguessable token and the minute it stops
    answering. Both are in its address (`urls.preview_path`), so the CDN refuses an expired one
    without a lookup, and an address with another expiry or token is one no object has."""

    model_config = ConfigDict(frozen=True)

    token: str
    # On a whole minute, in UTC: the address spells it to the minute.
    expires: AwareDatetime

    @property
    def path(self) -> str:
        return preview_path(self.expires, self.token)

    def expired(self, now: datetime) -> bool:
        return now >= self.expires


class Waiter(BaseModel):
    """An upload refused because another source held its slug; it is tried again when that source
    lets go of it (a renamed file, copied then deleted, waits for its own old slug)."""

    model_config = ConfigDict(frozen=True)

    source_key: str
    source_version: str | None
    sequencer: str


class ArticleRecord(BaseModel):
    """An article as the articles table holds it: what listings and pages need, without the body.

    The body stays in the uploads bucket, at the exact version recorded here, because DynamoDB items
    are capped at 400 KB and uploads may be up to the size limit.
    """

    model_config = ConfigDict(frozen=True)

    source_key: str
    source_version: str | None = None
    sequencer: str
    # "published", "draft", "removed", or "rejected" for a source whose every upload so far was invalid.
    # A later invalid upload of a published article only moves `sequencer` on; the article stays up.
    status: str
    title: str = ""
    slug: str = ""
    path: str = ""
    published_at: datetime | None = None
    categories: tuple[Category, ...] = ()
    tags: tuple[str, ...] = ()
    summary: str = ""
    authors: tuple[str, ...] = ()
    # What the article says, hashed: an upload that changes nothing keeps its `updated_at`, so its
    # page, feeds and sitemap keep their bytes.
    content_hash: str = ""
    updated_at: datetime | None = None
    # What readers last saw of the story (its content hash, and the time it was dated modified), kept
    # through a spell as a draft or scheduled: a story put back as readers saw it is not modified.
    seen_hash: str = ""
    seen_updated_at: datetime | None = None
    # When S3 told of the upload this record came from: publish latency is measured from here.
    uploaded_at: datetime | None = None
    # Set when the newest event was refused: a retry of that same event may still be accepted.
    rejected_sequencer: str = ""
    # The upload version that refusal was about: the record is in step with the bucket when the key
    # serves either this or `source_version` (what the reconciliation sweep checks).
    rejected_version: str | None = None
    # The report that refusal left the editor (its JSON text): whoever handles the file next can
    # settle `rejected/` from the record alone, whatever order their writes land in.
    rejection: str = ""
    # Where the article's page was before this version moved or removed it: a sweep that finds the
    # change's stream record lost still knows which page to settle.
    previous_path: str = ""
    # When the table last changed this record (the adapters' clock): the sweep reads what changed
    # since it last ran from an index on it, not the whole table.
    changed_at: datetime | None = None
    # Uploads that waited for the slug this version gave up, kept with the write that freed them so
    # that a redelivered event can finish trying them if the first attempt failed part-way.
    pending_waiters: tuple[Waiter, ...] = ()
    # The images the version shows, as they were when it was judged: the lead image's renditions and
    # crops (pages, cards, previews) and those of the body's images.
    image: ImageUse | None = None
    inline_images: tuple[ImageUse, ...] = ()
    # An author's profile, for a record of one (status "profile"): it is never a page of its own.
    profile: AuthorProfile | None = None
    # An editor's list of redirects, for a record of one (status "redirects"): no page of its own.
    redirects: tuple[Redirect, ...] = ()
    # The private preview of a draft or scheduled version (pressrun.previews). Kept once the story is
    # live, removed or refused, so that whoever settles the record knows which address to redirect to
    # the story or take down; a later draft gets a new one.
    preview: Preview | None = None
    # The source's earlier preview addresses, until well past their expiry: the change that replaced
    # one may have lost its stream record, and whoever settles the record takes them down from here,
    # as `previous_path` does for pages (`retired_previews`).
    retired_previews: tuple[Preview, ...] = ()
    # What the release that made the record kept of a story (RECORD_FORMAT): the sweep judges an older
    # record's upload again, so that it joins the listings that release did not know.
    format: int = 1

    _legacy = model_validator(mode="before")(legacy_author)

    @property
    def image_uses(self) -> tuple[ImageUse, ...]:
        return ((self.image,) if self.image else ()) + self.inline_images

    @property
    def is_live(self) -> bool:
        return self.status == "published"

    @property
    def rendered_from(self) -> str:
        """What the story's page and feed item are rendered from, as a short digest: what it says and
        the renditions of its images. Its listing entries carry it, so a feed can tell whether the
        item it holds is still the story's (pressrun.feeds)."""
        if not self.content_hash:
            return ""
        images = "".join(use.model_dump_json() for use in self.image_uses)
        return hashlib.sha256(f"{self.content_hash}\n{images}".encode()).hexdigest()[:20]


# A draft's and a scheduled story's statuses: the versions that have a private preview.
PREVIEWED = ("draft", "scheduled")
NewToken = Callable[[], str]


def new_token() -> str:
    """A preview's secret: 24 random bytes (192 bits), URL-safe. Nobody can guess it, so the address
    needs no other protection."""
    return secrets.token_urlsafe(24)


def preview_of(
    status: str, previous: ArticleRecord | None, now: datetime, lifetime_days: int, token: NewToken
) -> Preview | None:
    """The preview a new version keeps. A draft or scheduled version keeps the one its source has
    while that is a draft's or scheduled story's and still answers, so that the editor has one address
    for the story however often it is edited; else it gets a new one, with a new token (an expired or
    revoked address never answers again). A live version keeps the one it had, which now redirects to
    the story (pressrun.previews); a story published at once has none."""
    kept = previous.preview if previous is not None else None
    if previous is None or kept is None or previous.status not in (*PREVIEWED, "published"):
        # None before, or revoked with a removal or a refusal: that address stays dead.
        kept = None
    if status not in PREVIEWED:
        return kept if status == "published" else None
    if kept is not None and previous is not None and previous.status in PREVIEWED and not kept.expired(now):
        return kept
    return Preview(token=token(), expires=_next_minute(now + timedelta(days=lifetime_days)))


# How long after its expiry a preview address is still settled from its record: long enough for the
# sweep's walk over the archive (a day) to take its report and redirect down once, without every later
# sweep spending calls on every story that ever had a preview.
PREVIEW_SETTLED_AFTER_EXPIRY = timedelta(days=2)


def retired_previews(
    previous: ArticleRecord | None, preview: Preview | None, now: datetime
) -> tuple[Preview, ...]:
    """The preview addresses a new version of the source no longer uses but whoever settles it must
    still take down: those the previous record held, other than the new version's own, until well past
    their expiry (an expired address is refused by the CDN from the address itself)."""
    if previous is None:
        return ()
    held = (*previous.retired_previews, *((previous.preview,) if previous.preview else ()))
    kept = (old for old in held if old != preview and now < old.expires + PREVIEW_SETTLED_AFTER_EXPIRY)
    return tuple(dict.fromkeys(kept))


def _next_minute(moment: datetime) -> datetime:
    """Rounded up to a whole minute, in UTC: the address says the expiry to the minute, and a preview
    must never answer for less than its lifetime."""
    moment = moment.astimezone(UTC)
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)


class Saved(StrEnum):
    SAVED = "saved"
    # The record is not the one read: another delivery wrote in between. Read again.
    CONFLICT = "conflict"
    SLUG_TAKEN = "slug taken"


@dataclass(frozen=True)
class SaveResult:
    outcome: Saved
    slug_owner: str | None = None
    # As saved: with the uploads that waited for a slug this save gave up.
    record: ArticleRecord | None = None


class SiteWrite(BaseModel):
    """One object the pipeline wrote to or removed from the site bucket. Whether it was there before
    decides whether readers can hold a stale copy of it: a key never served needs no invalidation."""

    model_config = ConfigDict(frozen=True)

    key: str
    kind: Literal["created", "overwritten", "deleted"]
    # SHA-256 of the bytes written (or of those removed, when known): two changes of one key differ.
    digest: str = ""
