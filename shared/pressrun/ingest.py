"""Accepting uploads: read, validate, record the newest version of each source, or report why not."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from pressrun.model import (
    Article,
    ArticleRecord,
    InvalidArticle,
    Problem,
    Saved,
    Waiter,
    problem_line,
)
from pressrun.ports import ArticleRepository, EditorAlerts, UploadStore
from pressrun.settings import SiteSettings
from pressrun.validation import parse_article

INCOMING = "incoming/"
REJECTED = "rejected/"
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


class Outcome(StrEnum):
    PUBLISHED = "published"
    SCHEDULED = "scheduled"
    DRAFT = "draft"
    REJECTED = "rejected"
    REMOVED = "removed"
    STALE = "stale"
    IGNORED = "ignored"


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
    return f"{REJECTED}{source_key.removeprefix(INCOMING)}.report.json"


def is_article_upload(key: str) -> bool:
    """Only files under incoming/ are articles; folder placeholders ('incoming/2025/') are not."""
    return key.startswith(INCOMING) and not key.endswith("/") and key != INCOMING


def status_of(article: Article, now: datetime) -> str:
    if article.draft:
        return "draft"
    return "scheduled" if article.published_at > now else "published"


def record_of(
    article: Article, upload: Upload, now: datetime, previous: ArticleRecord | None = None
) -> ArticleRecord:
    content_hash = article.content_hash
    if previous is not None and previous.content_hash == content_hash and previous.updated_at:
        updated_at = previous.updated_at
    else:
        # The pipeline's clock, not the event's: `pressrun publish --now` then dates edits consistently.
        updated_at = max(now, article.published_at)
    return ArticleRecord(
        source_key=upload.key,
        source_version=upload.version_id,
        sequencer=padded_sequencer(upload.sequencer),
        status=status_of(article, now),
        title=article.title,
        slug=article.slug,
        path=article.path,
        published_at=article.published_at,
        categories=article.categories,
        summary=article.summary,
        author=article.author,
        content_hash=content_hash,
        updated_at=updated_at,
        uploaded_at=upload.event_time,
    )


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


def _reject(upload: Upload, problems: list[Problem], uploads: UploadStore, alerts: EditorAlerts) -> Outcome:
    uploads.write_report(report_key(upload.key), rejection_report(upload, problems))
    lines = [f"{upload.key} was not published. Fix these and upload it again:"]
    lines += [problem_line(upload.key, problem) for problem in problems]
    alerts.rejected(upload.key, "\n".join(lines))
    return Outcome.REJECTED


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

    def accept(self, upload: Upload) -> Outcome:
        if not is_article_upload(upload.key):
            return Outcome.IGNORED
        sequencer = padded_sequencer(upload.sequencer)
        for _ in range(_ATTEMPTS):
            previous = self.articles.current(upload.key)
            if _already_recorded(previous, sequencer) and previous is not None:
                self._finish(upload, previous, report_possible=True)
                return Outcome.STALE
            if _is_stale(previous, sequencer):
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
                upload = upload.model_copy(update={"version_id": current, "change": Change.CREATED})
        if upload.change is not Change.CREATED:
            removal = ArticleRecord(
                source_key=upload.key, source_version=upload.version_id, sequencer=sequencer, status="removed"
            )
            return self._save(upload, removal, previous)
        data = self.uploads.read(upload.key, upload.version_id, self.site.max_upload_bytes)
        if data is None:
            # Overwritten or deleted since the event: the event for that later change carries it forward.
            return Outcome.STALE
        try:
            article = parse_article(upload.key, data, self.site)
        except InvalidArticle as invalid:
            return self._refuse(upload, sequencer, previous, invalid.problems)
        return self._save(upload, record_of(article, upload, self.now, previous), previous)

    def _save(self, upload: Upload, record: ArticleRecord, previous: ArticleRecord | None) -> Outcome | None:
        result = self.articles.save(record, previous)
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
        # Only a refused event leaves a report, and refusals mark the record: else there is none to clear.
        report_possible = previous is not None and (
            previous.status == "rejected" or bool(previous.rejected_sequencer)
        )
        return self._finish(upload, result.record or record, report_possible)

    def _refuse(
        self, upload: Upload, sequencer: str, previous: ArticleRecord | None, problems: list[Problem]
    ) -> Outcome | None:
        if self.articles.reject(upload.key, sequencer, previous) is Saved.CONFLICT:
            return None
        return _reject(upload, problems, self.uploads, self.alerts)

    def _finish(self, upload: Upload, record: ArticleRecord, report_possible: bool) -> Outcome:
        """What follows a write, safe to repeat: a redelivered event redoes it all."""
        if report_possible:
            self.uploads.delete_report(report_key(upload.key))
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
        if record.pending_waiters:
            self.articles.finished(record.source_key, record.sequencer)
        return Outcome(record.status)


# Writes race only with other deliveries for the same key or slug; a few tries settle them.
_ATTEMPTS = 5


def accept_upload(
    upload: Upload,
    uploads: UploadStore,
    articles: ArticleRepository,
    site: SiteSettings,
    alerts: EditorAlerts,
    now: datetime,
) -> Outcome:
    """Read, validate and record one upload; a bad one leaves a report, never an exception.
    An article dated after `now` is recorded as scheduled and goes live at its time."""
    return Intake(uploads, articles, site, alerts, now).accept(upload)
