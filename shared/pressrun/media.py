"""The image function's domain: an image upload becomes renditions and a record, or a report.

    image upload event ──▶ process_image ──▶ media/<hash>/… in the site bucket, the images table
                                   │ ready: the articles waiting for it are tried again (ingest),
                                   │        those that use it are judged again (new renditions)
    crops asked for ─────▶ process_image (ImageRequest) ──▶ the crops at the focus articles need

Newest S3 sequencer wins, as for articles: a late, older event never replaces a newer image. What
follows a write (trying the waiters it took over, judging the users again) is safe to repeat: a
redelivered event finds its own write made and redoes only that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from pressrun.images import (
    CENTRE,
    ImageRecord,
    ImageRefused,
    Recipe,
    Retired,
    SourceImage,
    drop_user,
    finished,
    is_image_key,
    media_key,
    plan,
    source_hash,
    update_image,
)
from pressrun.ingest import (
    INCOMING,
    Change,
    Intake,
    Upload,
    padded_sequencer,
    rejection_report,
    report_key,
)
from pressrun.model import Focus, Problem, problem_line
from pressrun.ports import EditorAlerts, ImageCodec, ImageRepository, SiteStore, UploadStore

Change_ = Callable[[ImageRecord | None], ImageRecord | None]
Make = Callable[[ImageRecord | None], ImageRecord]


class ImageOutcome(StrEnum):
    READY = "ready"
    REJECTED = "rejected"
    REMOVED = "removed"
    CROPPED = "cropped"
    STALE = "stale"
    IGNORED = "ignored"


class ImageRequest(BaseModel):
    """What ingest asks the image function for: look at this image again (it has crops to make)."""

    model_config = ConfigDict(frozen=True)

    image: str


def is_image_upload(key: str) -> bool:
    return key.startswith(INCOMING) and is_image_key(key) and not key.endswith("/")


@dataclass(frozen=True)
class ImageLimits:
    """MAX_IMAGE_BYTES and MAX_IMAGE_PIXELS (settings and template parameters)."""

    max_bytes: int
    max_pixels: int


def _too_big(limit: int, size: int | None) -> str:
    if size is None:
        return f"is over the limit of {limit:,} bytes (MAX_IMAGE_BYTES)"
    return f"is {size:,} bytes; the limit is {limit:,} bytes (MAX_IMAGE_BYTES)"


@dataclass
class ImageWork:
    """The collaborators an image meets: where it is read from and rendered to, its table, and the
    articles' intake (to try its waiters and judge its users again)."""

    uploads: UploadStore
    images: ImageRepository
    site_store: SiteStore
    codec: ImageCodec
    alerts: EditorAlerts
    intake: Intake
    limits: ImageLimits
    now: datetime

    # --- uploads ------------------------------------------------------------------------------------

    def upload(self, upload: Upload) -> ImageOutcome:
        if not is_image_upload(upload.key):
            return ImageOutcome.IGNORED
        sequencer = padded_sequencer(upload.sequencer)
        previous = self.images.current(upload.key)
        if previous is not None and previous.sequencer >= sequencer:
            if previous.sequencer == sequencer:
                # Redelivered after its write: finish what follows it.
                self._follow_up(previous)
            return ImageOutcome.STALE
        if upload.change is Change.VERSION_DELETED:
            current = self.uploads.current_version(upload.key)
            if current is not None:
                upload = upload.model_copy(
                    update={"version_id": current, "change": Change.CREATED, "size": None}
                )
        if upload.change is not Change.CREATED:
            return self._removed(upload, sequencer)
        if upload.size is not None and upload.size > self.limits.max_bytes:
            # Decided from the event alone: reading a huge upload would cost the limit for nothing.
            return self._refused(upload, sequencer, _too_big(self.limits.max_bytes, upload.size))
        data = self.uploads.read(upload.key, upload.version_id, self.limits.max_bytes)
        if data is None:
            return ImageOutcome.STALE  # overwritten or deleted since: that event carries it forward
        if len(data) > self.limits.max_bytes:
            return self._refused(upload, sequencer, _too_big(self.limits.max_bytes, None))
        try:
            source = self.codec.inspect(data, self.limits.max_pixels)
            digest = source_hash(data)
            done = previous if previous is not None and previous.hash == digest else None
            focuses = _focuses(previous)
            recipe = plan(
                source,
                [f for f in focuses if done is None or f.tag not in done.crops],
                renditions=done is None or not done.widths,
            )
            self._render(data, digest, recipe)
        except ImageRefused as refused:
            return self._refused(upload, sequencer, refused.message)
        crops = tuple(dict.fromkeys([*(done.crops if done else ()), *(f.tag for f in focuses)]))
        record = self._write(
            upload.key,
            lambda current: (current or ImageRecord(source_key=upload.key, status="missing")).model_copy(
                update={
                    "source_version": upload.version_id,
                    "sequencer": sequencer,
                    "status": "ready",
                    "format": source.format,
                    "hash": digest,
                    "width": source.width,
                    "height": source.height,
                    "widths": recipe.widths or (done.widths if done else ()),
                    "crops": crops,
                    "wanted": tuple(tag for tag in current.wanted if tag not in crops) if current else (),
                    "problem": "",
                    "pending_waiters": (*current.pending_waiters, *current.waiters) if current else (),
                    "waiters": (),
                    "retired": _retire(current, digest, self.now),
                }
            ),
            sequencer,
        )
        if record is None:
            return ImageOutcome.STALE
        if previous is not None and previous.status == "rejected":
            self.uploads.delete_report(report_key(upload.key))
        self._follow_up(record)
        return ImageOutcome.READY

    # --- crops asked for ------------------------------------------------------------------------------

    def request(self, request: ImageRequest) -> ImageOutcome:
        """Make the crops articles asked for (their focus points), from the version recorded."""
        record = self.images.current(request.image)
        if record is None or not record.is_ready or (record.widths and not record.wanted):
            if record is not None and record.is_ready:
                self._follow_up(record)
            return ImageOutcome.STALE
        data = self.uploads.read(record.source_key, record.source_version, self.limits.max_bytes)
        if data is None:
            return ImageOutcome.STALE  # replaced or deleted: that upload's event settles its waiters
        # Renditions the sweep removed (nothing showed them for a while) are made again with the crops.
        again = not record.widths
        tags = [*(() if not again else (CENTRE.tag,)), *record.wanted]
        wanted = [Focus.from_tag(tag) for tag in dict.fromkeys(tags)]
        source = SourceImage(format=record.format, width=record.width, height=record.height)
        recipe = plan(source, wanted, renditions=again)
        try:
            self._render(data, record.hash, recipe)
        except ImageRefused:
            return ImageOutcome.STALE  # it decoded once: only a changed codec could refuse it now
        made = {f.tag for f in wanted}

        def add_crops(current: ImageRecord | None) -> ImageRecord | None:
            if current is None or current.hash != record.hash:
                return None
            return current.model_copy(
                update={
                    "widths": current.widths or recipe.widths,
                    "crops": tuple(dict.fromkeys([*current.crops, *made])),
                    "wanted": tuple(tag for tag in current.wanted if tag not in made),
                    "pending_waiters": (*current.pending_waiters, *current.waiters),
                    "waiters": (),
                }
            )

        written = self._update(request.image, add_crops)
        if written is None:
            return ImageOutcome.STALE
        self._follow_up(written)
        return ImageOutcome.CROPPED

    # --- inside -----------------------------------------------------------------------------------------

    def _render(self, data: bytes, digest: str, recipe: Recipe) -> None:
        # Written as each is made: a 24-megapixel source's renditions are never all in memory at once.
        # Their keys are new for a new hash, so there is no stored object to compare with first.
        for rendered in self.codec.render(data, self.limits.max_pixels, recipe):
            self.site_store.put(media_key(digest, rendered.name), rendered.body, rendered.content_type)

    def _update(self, key: str, change: Change_) -> ImageRecord | None:
        return update_image(self.images, key, change)

    def _write(self, key: str, make: Make, sequencer: str) -> ImageRecord | None:
        """Write the event's record unless a newer event's is there already (None then)."""

        def change(current: ImageRecord | None) -> ImageRecord | None:
            if current is not None and current.sequencer >= sequencer:
                return None
            return make(current)

        return self._update(key, change)

    def _refused(self, upload: Upload, sequencer: str, message: str) -> ImageOutcome:
        """Record the refusal (pages that show an earlier version of the image keep it), and tell the
        editor: a report beside the upload and an alert, as for an article."""
        written = self._write(
            upload.key,
            lambda current: (current or ImageRecord(source_key=upload.key, status="missing")).model_copy(
                update={
                    "source_version": upload.version_id,
                    "sequencer": sequencer,
                    "status": "rejected",
                    "problem": message,
                }
            ),
            sequencer,
        )
        if written is None:
            return ImageOutcome.STALE
        problem = Problem(field="file", message=message)
        self.uploads.write_report(report_key(upload.key), rejection_report(upload, [problem]))
        lines = [
            f"{upload.key} was not published. Fix this and upload it again:",
            problem_line(upload.key, problem),
        ]
        if written.waiters:
            lines.append(
                f"Articles waiting for it: {', '.join(sorted({w.source_key for w in written.waiters}))}"
            )
        self.alerts.rejected(upload.key, "\n".join(lines))
        return ImageOutcome.REJECTED

    def _removed(self, upload: Upload, sequencer: str) -> ImageOutcome:
        """The image was deleted. Pages that show it keep its renditions (nothing is half-published):
        an article that names it and is uploaded again waits for a new upload of it."""
        written = self._write(
            upload.key,
            lambda current: (current or ImageRecord(source_key=upload.key, status="missing")).model_copy(
                update={"source_version": upload.version_id, "sequencer": sequencer, "status": "removed"}
            ),
            sequencer,
        )
        if written is None:
            return ImageOutcome.STALE
        self.uploads.delete_report(report_key(upload.key))
        return ImageOutcome.REMOVED

    def _follow_up(self, record: ImageRecord) -> None:
        """Try the waiters the record took over, then judge its users again. Repeatable."""
        for waiter in record.pending_waiters:
            self.intake.accept(
                Upload(
                    bucket="",
                    key=waiter.source_key,
                    version_id=waiter.source_version,
                    sequencer=waiter.sequencer,
                    change=Change.CREATED,
                    event_time=self.now,
                )
            )
        if record.pending_waiters:
            finished(self.images, record.source_key, record.pending_waiters)
        if not record.is_ready:
            return
        for user in record.users:
            self.intake.reconsider(user)
            article = self.intake.articles.current(user)
            # Still waiting on a newer version of its own: that version may name the image again.
            uses = {use.key for use in article.image_uses} if article else set()
            if record.source_key not in uses and (article is None or not article.rejected_sequencer):
                drop_user(self.images, record.source_key, user)


def _retire(current: ImageRecord | None, digest: str, now: datetime) -> tuple[Retired, ...]:
    """The record's retired renditions, with the current version's when a new one replaces it."""
    if current is None:
        return ()
    retired = tuple(r for r in current.retired if r.hash != digest)
    if current.hash and current.hash != digest and current.widths:
        retired = (*retired, Retired(hash=current.hash, since=now))
    return retired


def _focuses(previous: ImageRecord | None) -> list[Focus]:
    """Crops every ready image has (the centre), and those articles have asked for."""
    tags = [CENTRE.tag, *(previous.crops if previous else ()), *(previous.wanted if previous else ())]
    return [Focus.from_tag(tag) for tag in dict.fromkeys(tags)]


def process_image(
    upload: Upload,
    *,
    uploads: UploadStore,
    images: ImageRepository,
    site_store: SiteStore,
    codec: ImageCodec,
    alerts: EditorAlerts,
    intake: Intake,
    limits: ImageLimits,
    now: datetime,
) -> ImageOutcome:
    """Judge, render and record one image upload; a bad one leaves a report, never an exception."""
    return ImageWork(uploads, images, site_store, codec, alerts, intake, limits, now).upload(upload)


def process_request(
    request: ImageRequest,
    *,
    uploads: UploadStore,
    images: ImageRepository,
    site_store: SiteStore,
    codec: ImageCodec,
    alerts: EditorAlerts,
    intake: Intake,
    limits: ImageLimits,
    now: datetime,
) -> ImageOutcome:
    """Make the crops articles wait for."""
    return ImageWork(uploads, images, site_store, codec, alerts, intake, limits, now).request(request)
