"""Accepting uploads: read, validate, record the newest version of each source, or report why not."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import partial

from pydantic import BaseModel, ConfigDict

from pressrun.footprint import footprint_problems
from pressrun.images import Wait, add_user, is_image_key, resolve, wait_for
from pressrun.model import (
    RECORD_FORMAT,
    Article,
    ArticleRecord,
    ImageUse,
    InvalidArticle,
    NewToken,
    Preview,
    Problem,
    Saved,
    SaveResult,
    Waiter,
    new_token,
    preview_of,
    problem_line,
    retired_previews,
)
from pressrun.ports import (
    ArticleRepository,
    EditorAlerts,
    ImageRepository,
    ImageRequests,
    RedirectStore,
    UploadStore,
)
from pressrun.profiles import is_profile_upload, judge_profile
from pressrun.readers import too_large
from pressrun.redirects import is_redirects_upload, judge_redirects
from pressrun.settings import SiteSettings
from pressrun.validation import parse_article

INCOMING = "incoming/"
REJECTED = "rejected/"
# Where the editor finds a draft's private preview address (pressrun.previews), beside rejected/.
PREVIEWS = "previews/"
_REPORT_SUFFIX = ".report.json"
_MAX_S3_KEY_BYTES = 1024
_SEQUENCER_WIDTH = 64


class Change(StrEnum):
    CREATED = "created"
    # The key now answers 404 (a delete marker in the versioned bucket): the story comes down.
    DELETE_MARKER = "delete marker"
    # One version is gone for good (a noncurrent version cleaned up, a delete marker removed to
    # undelete): whatever the key serves now is what counts.
    VERSION_DELETED = "version deleted"


class Upload(BaseModel):
    """One S3 change to an object in the uploads bucket, as its event describes it."""

    model_config = ConfigDict(frozen=True)

    bucket: str
    key: str
    version_id: str | None
    sequencer: str
    change: Change
    event_time: datetime
    # The version's size in bytes, as S3's event gives it for a created object; None when unknown.
    size: int | None = None


class Outcome(StrEnum):
    PUBLISHED = "published"
    SCHEDULED = "scheduled"
    DRAFT = "draft"
    REJECTED = "rejected"
    REMOVED = "removed"
    # An author's profile, kept for their page (pressrun.profiles).
    PROFILE = "profile"
    # An editor's list of redirects, kept in the site's redirects (pressrun.redirects).
    REDIRECTS = "redirects"
    STALE = "stale"
    IGNORED = "ignored"


class ImagesNotReady(Exception):
    """An article whose images are not all ready: it waits for them, refused for now."""

    def __init__(self, waits: list[Wait]) -> None:
        super().__init__("; ".join(wait.message() for wait in waits))
        self.waits = waits


class ConcurrentChange(Exception):
    """The record kept changing while being written; the message goes back to the queue."""


def padded_sequencer(sequencer: str) -> str:
    """The sequencer in the one form every comparison uses. S3's rule for two sequencers of one key:
    right-pad the shorter with zeros, then compare as strings. Padded on the right to one width (and
    in S3's upper case), any two compare by that rule as plain strings, in the table as here."""
    if len(sequencer) > _SEQUENCER_WIDTH:
        raise ValueError(f"a sequencer of {len(sequencer)} characters; S3's are far shorter")
    return sequencer.upper().ljust(_SEQUENCER_WIDTH, "0")


def report_key(source_key: str) -> str:
    """rejected/<name>.report.json beside incoming/<name>, where the editor looks for it."""
    return editor_key(REJECTED, source_key, _REPORT_SUFFIX)


def editor_key(folder: str, source_key: str, suffix: str) -> str:
    """<folder><name><suffix> for incoming/<name>: where the editor finds what the pipeline tells of
    an upload (a refusal's report, a draft's preview), within S3's limit on key length."""
    name = source_key.removeprefix(INCOMING)
    key = f"{folder}{name}{suffix}"
    if len(key.encode()) <= _MAX_S3_KEY_BYTES:
        return key
    # A name near S3's limit leaves no room for the rest: its start, and a digest to keep it its own.
    digest = "-" + hashlib.sha256(source_key.encode()).hexdigest()[:16]
    room = _MAX_S3_KEY_BYTES - len(f"{folder}{digest}{suffix}".encode())
    start = name.encode()[:room].decode(errors="ignore")
    return f"{folder}{start}{digest}{suffix}"


def is_article_upload(key: str) -> bool:
    """Only files under incoming/ are articles; folder placeholders ('incoming/2025/') are not, nor
    images, which the image function takes (a name in mixed case may reach both: see template.yaml)."""
    return key.startswith(INCOMING) and not key.endswith("/") and key != INCOMING and not is_image_key(key)


def status_of(article: Article, now: datetime) -> str:
    if article.draft:
        return "draft"
    return "scheduled" if article.published_at > now else "published"


def _was_public(previous: ArticleRecord | None) -> bool:
    """Whether readers have seen a version of the story: it is live, or it keeps what readers last
    saw (`seen_hash`: a story taken back to draft keeps that history). Not whether it was dated after
    its own date: a draft whose correction is dated later is, and no reader saw it."""
    if previous is None or previous.published_at is None:
        return False
    return previous.is_live or bool(previous.seen_hash)


def last_seen(previous: ArticleRecord | None) -> tuple[str, datetime | None]:
    """What readers last saw of the story before this change: its content hash and its date."""
    if previous is None:
        return "", None
    if previous.is_live:
        return previous.content_hash, previous.updated_at
    return previous.seen_hash, previous.seen_updated_at


def modified_at(
    article: Article, content_hash: str, now: datetime, previous: ArticleRecord | None
) -> datetime:
    """When what the story says last changed, as readers should be told (`dateModified`, the feeds'
    `updated`, the sitemaps' `lastmod`). Its first publication is its own date, however late it was
    uploaded or delivered; an upload that changes nothing keeps the time it has; a change made after
    readers saw the story is dated by the pipeline's clock (`pressrun publish --now` dates edits
    consistently). A correction is a change, dated at least by its own date."""
    if previous is not None and previous.content_hash == content_hash and previous.updated_at:
        return previous.updated_at
    seen_hash, seen_at = last_seen(previous)
    if seen_hash == content_hash and seen_at is not None:
        return seen_at
    changed = max(now, article.published_at) if _was_public(previous) else article.published_at
    corrected = max((correction.date for correction in article.corrections), default=changed)
    return max(changed, corrected)


def record_of(
    article: Article,
    upload: Upload,
    now: datetime,
    previous: ArticleRecord | None = None,
    uses: list[ImageUse] | None = None,
    *,
    lifetime_days: int = 7,
    token: NewToken = new_token,
) -> ArticleRecord:
    by_key = {use.key: use for use in uses or ()}
    image = by_key.get(article.image.key) if article.image else None
    inline = tuple(by_key[ref.key] for ref in article.inline_images if ref.key in by_key)
    content_hash = article.content_hash
    if image is not None or inline:
        # A new rendition of an image changes what the page shows, as an edit of its text does.
        shown = json.dumps([use.model_dump(mode="json") for use in (image, *inline) if use is not None])
        content_hash = hashlib.sha256(f"{content_hash}\n{shown}".encode()).hexdigest()
    updated_at = modified_at(article, content_hash, now, previous)
    status = status_of(article, now)
    seen_hash, seen_at = (content_hash, updated_at) if status == "published" else last_seen(previous)
    return ArticleRecord(
        source_key=upload.key,
        source_version=upload.version_id,
        sequencer=padded_sequencer(upload.sequencer),
        status=status,
        title=article.title,
        slug=article.slug,
        path=article.path,
        published_at=article.published_at,
        categories=article.categories,
        tags=article.tags,
        summary=article.summary,
        authors=article.authors,
        content_hash=content_hash,
        updated_at=updated_at,
        seen_hash=seen_hash,
        seen_updated_at=seen_at,
        format=RECORD_FORMAT,
        uploaded_at=upload.event_time,
        previous_path=previous.path if previous is not None and previous.path != article.path else "",
        image=image,
        inline_images=inline,
        preview=preview_of(status, previous, now, lifetime_days, token),
    )


def judge(
    upload: Upload,
    read: Callable[[], bytes | None],
    site: SiteSettings,
    now: datetime,
    previous: ArticleRecord | None = None,
    images: ImageRepository | None = None,
    articles: ArticleRepository | None = None,
    redirects: RedirectStore | None = None,
    token: NewToken = new_token,
) -> ArticleRecord | None:
    """The record a created upload makes, or `InvalidArticle` with every reason it makes none: the
    validator's and the tables' (see `footprint`). `read` gives the upload's bytes, or None when that
    version is gone; it is not called when the event's size already refuses the upload. Given the
    images table, the article's images are looked up there: `ImagesNotReady` names those it waits for.
    An editor's list of redirects is checked against the live stories (`articles`) and the redirects
    the site holds (`redirects`), when given."""
    if is_redirects_upload(upload.key):
        return judge_redirects(
            upload.key,
            upload.version_id,
            padded_sequencer(upload.sequencer),
            upload.size,
            read,
            site,
            now,
            articles,
            redirects,
        )
    if is_profile_upload(upload.key):
        record, waits = judge_profile(
            upload.key,
            upload.version_id,
            padded_sequencer(upload.sequencer),
            upload.size,
            read,
            site,
            now,
            images,
        )
        if waits:
            raise ImagesNotReady(waits)
        return record
    if upload.size is not None and upload.size > site.max_upload_bytes:
        # Decided from the event alone: reading a huge upload would cost the limit for nothing.
        raise InvalidArticle([too_large(site.max_upload_bytes, upload.size)])
    data = read()
    if data is None:
        return None
    article = parse_article(upload.key, data, site)
    uses: list[ImageUse] = []
    if images is not None and article.image_refs:
        uses, waits = resolve(article.image_refs, images)
        if waits:
            raise ImagesNotReady(waits)
    record = record_of(
        article, upload, now, previous, uses, lifetime_days=site.preview_lifetime_days, token=token
    )
    problems = footprint_problems(record)
    if problems:
        raise InvalidArticle(problems)
    return record


def check_file(name: str, size: int, read: Callable[[], bytes], site: SiteSettings, now: datetime) -> None:
    """Raise `InvalidArticle` if the pipeline would refuse this file uploaded as incoming/<name>."""
    upload = Upload(
        bucket="",
        key=f"{INCOMING}{name}",
        version_id=None,
        sequencer="",
        change=Change.CREATED,
        event_time=now,
        size=size,
    )
    judge(upload, read, site, now)


def rejection_report(upload: Upload, problems: list[Problem]) -> bytes:
    report = {
        "source": upload.key,
        "version": upload.version_id,
        "time": upload.event_time.isoformat(),
        "errors": [problem.model_dump() for problem in problems],
    }
    return json.dumps(report, indent=2, ensure_ascii=False).encode("utf-8")


def _slug_taken(slug: str, owner: str | None) -> list[Problem]:
    return [
        Problem(
            field="slug",
            message=f"'{slug}' is already the address of {owner or 'another article'}. This article"
            " goes live by itself once that upload is deleted or takes another slug (as when a file"
            " is renamed); otherwise give it its own slug",
        )
    ]


def _is_stale(previous: ArticleRecord | None, sequencer: str) -> bool:
    # An event equal to a refused one is a retry (its slug may have come free), not a duplicate.
    if previous is None or padded_sequencer(previous.sequencer) < sequencer:
        return False
    return previous.rejected_sequencer != sequencer


def _already_recorded(previous: ArticleRecord | None, sequencer: str) -> bool:
    """This very event was written before: a redelivery after something failed further on."""
    return (
        previous is not None and previous.sequencer == sequencer and previous.rejected_sequencer != sequencer
    )


@dataclass(frozen=True)
class Intake:
    """The collaborators an upload meets on its way in."""

    uploads: UploadStore
    articles: ArticleRepository
    site: SiteSettings
    alerts: EditorAlerts
    now: datetime
    # The images table, and where to ask the image function for crops: without them (the articles'
    # own tests, `pressrun check`) an article's images are not looked up.
    images: ImageRepository | None = None
    image_requests: ImageRequests | None = None
    # The site's redirects: an editor's list that loops through them is refused.
    redirects: RedirectStore | None = None
    # Where a new preview's token comes from: secrets, except where a test needs them reproducible.
    token: NewToken = new_token
    # Sources whose freed waiters are being tried further up this call: two files waiting for each
    # other's slugs would otherwise try each other without end.
    trying: set[str] = field(default_factory=set)

    def accept(self, upload: Upload) -> Outcome:
        if not is_article_upload(upload.key):
            return Outcome.IGNORED
        sequencer = padded_sequencer(upload.sequencer)
        for _ in range(_ATTEMPTS):
            previous = self.articles.current(upload.key)
            if _already_recorded(previous, sequencer) and previous is not None:
                self._finish(upload, previous)
                return Outcome.STALE
            if previous is not None and previous.pending_waiters and upload.key not in self.trying:
                # A write freed them and failed to try them all; its redelivery may be stale by now.
                self._try_waiters(upload, previous)
                continue
            if _is_stale(previous, sequencer):
                if previous is not None:
                    # This event's first delivery may have failed part-way through settling the
                    # report (a deletion that landed, its answer lost): settled again from the record.
                    self._settle_report(upload.key, previous)
                return Outcome.STALE
            outcome = self._attempt(upload, sequencer, previous)
            if outcome is not None:
                return outcome
        raise ConcurrentChange(f"{upload.key} kept changing while it was being recorded")

    def _attempt(self, upload: Upload, sequencer: str, previous: ArticleRecord | None) -> Outcome | None:
        """One try against the record as read; None when it changed meanwhile."""
        if upload.change is Change.VERSION_DELETED:
            current = self.uploads.current_version(upload.key)
            if current is not None:
                # The event's size, if any, was the deleted version's.
                update = {"version_id": current, "change": Change.CREATED, "size": None}
                upload = upload.model_copy(update=update)
        if upload.change is not Change.CREATED:
            removal = ArticleRecord(
                source_key=upload.key,
                source_version=upload.version_id,
                sequencer=sequencer,
                status="removed",
                previous_path=previous.path if previous is not None else "",
                preview=_revoked(previous),
                # An editor's list keeps what it listed, so that whoever settles the removal (the
                # sweep, if its stream record is lost) knows which redirects to take down.
                redirects=previous.redirects if previous is not None else (),
            )
            return self._save(upload, removal, previous)
        try:
            record = judge(
                upload,
                lambda: self.uploads.read(upload.key, upload.version_id, self.site.max_upload_bytes),
                self.site,
                self.now,
                previous,
                self.images,
                self.articles,
                self.redirects,
                self.token,
            )
        except InvalidArticle as invalid:
            return self._refuse(upload, sequencer, previous, invalid.problems)
        except ImagesNotReady as waiting:
            return self._wait(upload, sequencer, previous, waiting.waits)
        if record is None:
            # Overwritten or deleted since the event: the event for that later change carries it forward.
            return Outcome.STALE
        self._note_users(record)
        return self._save(upload, record, previous)

    def _note_users(self, record: ArticleRecord) -> None:
        if self.images is not None:
            for use in record.image_uses:
                add_user(self.images, use.key, record.source_key)

    def _wait(
        self, upload: Upload, sequencer: str, previous: ArticleRecord | None, waits: list[Wait]
    ) -> Outcome | None:
        """Queue the upload on each image it waits for, then refuse it for now, saying so. Queued
        first: an image made ready in between then finds the waiter, and whichever of the two
        writes comes second sees the other's (a refusal after the waiter was published conflicts)."""
        assert self.images is not None  # only judged against images when there are some
        waiter = Waiter(source_key=upload.key, source_version=upload.version_id, sequencer=sequencer)
        for wait in waits:
            if wait_for(self.images, wait, waiter) and self.image_requests is not None:
                self.image_requests.request(wait.ref.key)
        problems = [
            Problem(field="image" if wait.ref.lead else "body", message=wait.message()) for wait in waits
        ]
        outcome = self._refuse(upload, sequencer, previous, problems, waiting=True)
        if outcome is None:
            return None
        # Made ready while the waiter was being queued: its event may have found no waiter yet.
        _, still = resolve([wait.ref for wait in waits], self.images)
        return outcome if still else None

    def reconsider(self, source_key: str, migrating: bool = False) -> Outcome | None:
        """Judge the version the table holds again, at its own sequencer: an image it shows was
        replaced, so its page and listing cards should show the new renditions; or (`migrating`) the
        record was made by an earlier release, which kept less of the story (its tags, several
        authors): what the story says has not changed, so it keeps its modification time. What cannot
        be judged now (an image gone meanwhile) leaves the published version as it is. The outcome,
        or None when nothing changed."""
        for _ in range(_ATTEMPTS):
            current = self.articles.current(source_key)
            if current is None or current.status in ("removed", "rejected") or current.rejected_sequencer:
                return None
            upload = Upload(
                bucket="",
                key=source_key,
                version_id=current.source_version,
                sequencer=current.sequencer,
                change=Change.CREATED,
                event_time=current.uploaded_at or self.now,
            )
            read = partial(self.uploads.read, source_key, current.source_version, self.site.max_upload_bytes)
            try:
                record = judge(
                    upload,
                    read,
                    self.site,
                    self.now,
                    current,
                    self.images,
                    self.articles,
                    self.redirects,
                    self.token,
                )
            except (InvalidArticle, ImagesNotReady):
                return None
            if record is None:
                return None
            # The schedule and its release keep the status; only what the page shows moves on.
            kept: dict[str, object] = {"status": current.status, "previous_path": current.previous_path}
            if migrating and current.updated_at is not None:
                kept["updated_at"] = current.updated_at
            record = record.model_copy(update=kept)
            if (
                record.content_hash == current.content_hash
                and record.image_uses == current.image_uses
                and record.format == current.format
            ):
                return None
            self._note_users(record)
            if self._write(record, current).outcome is Saved.SAVED:
                return Outcome(record.status)
        raise ConcurrentChange(f"{source_key} kept changing while it was judged again")

    def _write(self, record: ArticleRecord, previous: ArticleRecord | None) -> SaveResult:
        """Save the record in place of the one read, with the preview addresses it retires from it."""
        retired = retired_previews(previous, record.preview, self.now)
        return self.articles.save(record.model_copy(update={"retired_previews": retired}), previous)

    def _save(self, upload: Upload, record: ArticleRecord, previous: ArticleRecord | None) -> Outcome | None:
        result = self._write(record, previous)
        if result.outcome is Saved.CONFLICT:
            return None
        if result.outcome is Saved.SLUG_TAKEN:
            waiter = Waiter(
                source_key=upload.key, source_version=upload.version_id, sequencer=record.sequencer
            )
            if not self.articles.wait_for_slug(record.slug, waiter):
                return None  # the slug came free meanwhile: try again
            return self._refuse(
                upload, record.sequencer, previous, _slug_taken(record.slug, result.slug_owner)
            )
        return self._finish(upload, result.record or record, report_possible=previous is not None)

    def _refuse(
        self,
        upload: Upload,
        sequencer: str,
        previous: ArticleRecord | None,
        problems: list[Problem],
        waiting: bool = False,
    ) -> Outcome | None:
        """Record the refusal with what stays up meanwhile (`_kept_up`) and the editor's report, then
        settle the report and tell the newsroom. None when the record changed meanwhile."""
        report = rejection_report(upload, problems).decode("utf-8")
        marks: dict[str, object] = {"sequencer": sequencer, "rejected_sequencer": sequencer}
        marks |= {"rejected_version": upload.version_id, "rejection": report, "pending_waiters": ()}
        for kept in [*self._kept_up(upload, sequencer, previous), None]:
            base = kept or ArticleRecord(
                source_key=upload.key, sequencer=sequencer, status="rejected", preview=_revoked(previous)
            )
            moved = previous is not None and previous.path and previous.path != base.path
            update = marks | {"previous_path": previous.path if moved and previous else base.previous_path}
            result = self._write(base.model_copy(update=update), previous)
            if result.outcome is Saved.CONFLICT:
                return None
            if result.outcome is Saved.SAVED:
                self._finish(upload, result.record or base, report_possible=True)
                if waiting:
                    lines = [
                        f"{upload.key} is not published yet: it waits for its images, and goes live by"
                        " itself then:"
                    ]
                else:
                    lines = [f"{upload.key} was not published. Fix these and upload it again:"]
                lines += [problem_line(upload.key, problem) for problem in problems]
                self.alerts.rejected(upload.key, "\n".join(lines))
                return Outcome.REJECTED
            # That version's slug is another file's by now: the file waits for it (when it comes
            # free this refusal is tried again, and that version can come back), and meanwhile the
            # next older one, or nothing, stays up.
            if kept is not None:
                waiter = Waiter(source_key=upload.key, source_version=upload.version_id, sequencer=sequencer)
                if not self.articles.wait_for_slug(kept.slug, waiter):
                    return None  # free by now: try again
        return None

    def _kept_up(
        self, upload: Upload, sequencer: str, previous: ArticleRecord | None
    ) -> Iterator[ArticleRecord]:
        """What readers may see while the newest upload is refused, best first: a version uploaded
        before it, with no delete marker in between, that the bucket still keeps. The one up now if
        it qualifies; else the valid ones, newest first (an undelete can make an older version the
        one to show again), of which the first whose slug is free stays up. Decided from the key's
        history, so events in any order decide alike."""
        history = self.uploads.history(upload.key)
        newest_first = [version.version_id for version in history]
        if upload.version_id not in newest_first:
            # Deleted for good since the event: that deletion's own event decides.
            if previous is not None and previous.status in _SHOWN:
                yield previous
            return
        window: list[str] = []
        for version in history[newest_first.index(upload.version_id) + 1 :]:
            if version.delete_marker:
                break
            window.append(version.version_id)
        if previous is not None and previous.status in _SHOWN and previous.source_version in window:
            yield previous
            return
        for version_id in window[:_FALLBACK_READS]:
            older = upload.model_copy(
                update={
                    "version_id": version_id,
                    "sequencer": sequencer,
                    "change": Change.CREATED,
                    "size": None,
                }
            )
            read = partial(self.uploads.read, upload.key, version_id, self.site.max_upload_bytes)
            try:
                record = judge(
                    older,
                    read,
                    self.site,
                    self.now,
                    previous,
                    self.images,
                    self.articles,
                    self.redirects,
                    self.token,
                )
            except (InvalidArticle, ImagesNotReady):
                continue
            if record is not None:
                yield record

    def _settle_report(self, key: str, record: ArticleRecord) -> None:
        """Make `rejected/` say what the record says: the report of its refusal if the newest event was
        refused, else nothing. Each change is checked against the record read again: if another
        event's write landed meanwhile, this one's may be the older, and the report is settled anew."""
        for _ in range(_ATTEMPTS):
            refused = bool(record.rejected_sequencer) and record.rejected_sequencer == record.sequencer
            if refused and not record.rejection:
                # Refused before refusals carried their report: the one written then stands.
                return
            if refused:
                self.uploads.write_report(report_key(key), record.rejection.encode("utf-8"))
            elif not self.uploads.delete_report(report_key(key)):
                return
            again = self.articles.current(key)
            if again is None or (again.sequencer, again.rejected_sequencer) == (
                record.sequencer,
                record.rejected_sequencer,
            ):
                return
            record = again
        raise ConcurrentChange(f"{key} kept changing while its report was settled")

    def _finish(self, upload: Upload, record: ArticleRecord, report_possible: bool = True) -> Outcome:
        """What follows a write, safe to repeat: a redelivered event redoes it all. A file never
        recorded before (`report_possible` False) has no report to settle."""
        if report_possible:
            self._settle_report(upload.key, record)
        self._try_waiters(upload, record)
        return Outcome(record.status)

    def _try_waiters(self, upload: Upload, record: ArticleRecord) -> None:
        """Accept the uploads that waited for a slug this record gave up, then forget them. Not while
        they are being tried further up this call (its caller forgets them): a waiter already recorded
        finishes by trying its own waiters, and two files that each wait for a slug the other gave up
        would otherwise try each other without end."""
        if not record.pending_waiters or record.source_key in self.trying:
            return
        self.trying.add(record.source_key)
        try:
            for waiter in record.pending_waiters:
                self.accept(
                    Upload(
                        bucket=upload.bucket,
                        key=waiter.source_key,
                        version_id=waiter.source_version,
                        sequencer=waiter.sequencer,
                        change=Change.CREATED,
                        event_time=upload.event_time,
                    )
                )
        finally:
            self.trying.discard(record.source_key)
        self.articles.finished(record.source_key, record.sequencer)


def _revoked(previous: ArticleRecord | None) -> Preview | None:
    """The preview a record that shows nothing keeps of the one before: whoever settles it takes that
    address down (its stream record may be lost; the sweep then reads it from here)."""
    return previous.preview if previous is not None else None


# What a refusal may leave up: any of these, as the version's own status says.
_SHOWN = ("published", "scheduled", "draft")
# Older versions a refusal reads to find one to show again: an undelete rarely reaches further back.
_FALLBACK_READS = 5
# Writes race only with other deliveries for the same key or slug; a few tries settle them.
_ATTEMPTS = 5


def accept_upload(
    upload: Upload,
    uploads: UploadStore,
    articles: ArticleRepository,
    site: SiteSettings,
    alerts: EditorAlerts,
    now: datetime,
    images: ImageRepository | None = None,
    image_requests: ImageRequests | None = None,
    redirects: RedirectStore | None = None,
    token: NewToken = new_token,
) -> Outcome:
    """Read, validate and record one upload; a bad one leaves a report, never an exception.
    An article dated after `now` is recorded as scheduled and goes live at its time; one whose images
    are not ready waits for them."""
    return Intake(uploads, articles, site, alerts, now, images, image_requests, redirects, token).accept(
        upload
    )
