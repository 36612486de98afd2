"""The reconciliation sweep: repair what AWS's delivery lost, by comparing sources with outputs.

S3 may drop an event, a stream batch that exhausts its retries leaves only its coordinates, and a
record can expire unread. Replaying a queue cannot bring those back; comparing can. A sweep compares
the uploads bucket, the articles table, the index and the site bucket and repairs every drift
through the same code the pipeline runs:

- an upload whose newest state the table does not reflect is re-announced, so S3 sends a fresh
  event with a fresh sequencer and it flows through validation like any upload;
- a record whose page, index entries, schedule, preview or listings are not what it says is settled
  by the same functions the article-change consumer calls;
- a preview object past its expiry is removed.

What it reads stays proportional to what changed since the last sweep (records by their change
time, uploads by their modification time, failed stream batches by their time span) plus a bounded
slice of the archive (uploads, records, listing pages and site objects, each walked by a cursor kept
between sweeps), so a large site is checked whole within a day without ever being read at once.
Listing the uploads' latest states is the exception: one LIST call per thousand keys, metadata only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pressrun.follow import FOLLOWED_PROFILE_STATUSES, ProfileNotShown, follow_profile, profile_shown
from pressrun.images import MEDIA_GRACE, forget_renditions, media_key, unshown
from pressrun.index import FROM_THE_START, PageRange, memberships, settle_index
from pressrun.ingest import (
    INCOMING,
    Change,
    Intake,
    Upload,
    accept_upload,
    is_article_upload,
    padded_sequencer,
)
from pressrun.listings import refresh_listings, refresh_listings_sitemap, render_range
from pressrun.model import PREVIEW_SETTLED_AFTER_EXPIRY, RECORD_FORMAT, ArticleRecord, SiteWrite
from pressrun.news_sitemap import NEWS_SITEMAP_KEY, refresh_news_sitemap
from pressrun.pages import PageKeptChanging, SourceMissing, settle_page
from pressrun.ports import (
    ArticleRepository,
    CategoryIndex,
    EditorAlerts,
    FailedBatches,
    ImageRepository,
    RedirectStore,
    Scheduler,
    SiteStore,
    SweepJournal,
    UploadStore,
)
from pressrun.previews import PreviewKeptChanging, settle_previews
from pressrun.profiles import is_profile_upload, profile_listing
from pressrun.redirects import follow_listed_redirects, follow_story_redirects, is_redirects_upload
from pressrun.scheduling import follow_schedule, schedule_name
from pressrun.settings import SiteSettings
from pressrun.sweep_state import Budget, Drift, DriftKind, SweepReport, UploadState
from pressrun.urls import (
    article_key_path,
    feed_item_path,
    is_preview_key,
    listing_of_key,
    object_key,
    preview_expiry,
)

# Events normally arrive within seconds: a change younger than this may still be on its way, and
# repairing it would race the pipeline (and count a drift that is not one).
GRACE = timedelta(minutes=2)
FIRST_WINDOW = timedelta(days=1)
# The records an earlier release made that a sweep makes again: those that stand for a story.
_MIGRATED_STATUSES = ("published", "scheduled", "draft")


@dataclass
class Sweep:
    """The collaborators of one sweep."""

    uploads: UploadStore
    articles: ArticleRepository
    index: CategoryIndex
    site_store: SiteStore
    scheduler: Scheduler
    journal: SweepJournal
    failed_batches: FailedBatches
    alerts: EditorAlerts
    redirects: RedirectStore
    site: SiteSettings
    now: datetime
    budget: Budget = field(default_factory=Budget)
    # How long a change is left to its own event before a sweep counts it as lost.
    grace: timedelta = GRACE
    # The images table, whose renditions no article shows any more are removed after MEDIA_GRACE.
    images: ImageRepository | None = None
    media_grace: timedelta = MEDIA_GRACE
    drift: list[Drift] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    # Records changed since the last sweep or in a lost stream batch's span, as opposed to walked.
    recently_changed: set[str] = field(default_factory=set)

    def run(self) -> SweepReport:
        state = self.journal.load()
        until = self.now - self.grace
        # A first sweep has no "since it last ran": the archive walk covers the past, a day at a
        # time; the window looks back one day, for what changed while the stack was being set up.
        since = state.last_started - 2 * self.grace if state.last_started else until - FIRST_WINDOW
        latest = {state.key: state for state in self.uploads.latest(INCOMING) if is_article_upload(state.key)}
        state.uploads_after = self._check_uploads(latest, since, until, state.uploads_after)
        records, state.articles_after = self._records_to_check(since, until, state.articles_after)
        self._check_records(records, latest, until)
        state.pages = self._walk_listings(state.pages)
        # Rewritten when a listing is made or emptied; a render lost then is repaired here.
        self._found_writes("listing", refresh_listings_sitemap(self.index, self.site_store, self.site))
        state.site_after = self._walk_site(state.site_after)
        if self.images is not None:
            state.images_after = self._collect_media(self.images, state.images_after)
        self._age_news_sitemap()
        state.last_started = self.now
        state.drifting_sweeps = state.drifting_sweeps + 1 if self.drift else 0
        self.journal.save(state)
        self.failed_batches.settled()
        return SweepReport(
            started_at=self.now,
            checked=self.checked,
            drift=self.drift,
            persistent=state.drifting_sweeps >= 2,
        )

    def _found(self, kind: DriftKind, subject: str) -> None:
        self.drift.append(Drift(kind=kind, subject=subject))

    def _count(self, what: str, number: int) -> None:
        self.checked[what] = self.checked.get(what, 0) + number

    def _found_writes(self, kind: DriftKind, writes: Iterable[SiteWrite]) -> None:
        for write in writes:
            # The news sitemap changes as time passes: rendered at the sweep's clock it differs
            # without anything having drifted.
            if write.key != NEWS_SITEMAP_KEY:
                self._found(kind, write.key)

    def _check_uploads(
        self, latest: dict[str, UploadState], since: datetime, until: datetime, after: str
    ) -> str:
        """Uploads changed since the last sweep, and a slice of the rest: each one's newest state must
        be what its record was made from. Returns where the slice stopped."""
        keys = sorted(latest)
        walked = [key for key in keys if key > after][: self.budget.uploads]
        recent = [key for key in keys if since <= latest[key].last_modified]
        candidates = sorted({*walked, *recent} - {key for key in keys if latest[key].last_modified > until})
        records = {record.source_key: record for record in self.articles.by_keys(candidates)}
        self._count("uploads", len(candidates))
        for key in candidates:
            record = records.get(key)
            if not _in_step(latest[key], record) or self._shows_a_deleted_version(record):
                self._found("upload", key)
                self.uploads.reannounce(key)
        return walked[-1] if walked and len(walked) == self.budget.uploads else ""

    def _shows_a_deleted_version(self, record: ArticleRecord | None) -> bool:
        """A refusal kept an older version up that is gone for good since, and its deletion's event
        was lost: the version the key serves, announced again, takes it down. Only records that keep
        an older version up are looked at, one listing of their versions each."""
        if (
            record is None
            or not record.rejected_version
            or record.status not in ("published", "scheduled", "draft")
        ):
            return False
        if record.source_version in (None, record.rejected_version):
            return False
        kept = {version.version_id for version in self.uploads.history(record.source_key)}
        return record.source_version not in kept

    def _records_to_check(
        self, since: datetime, until: datetime, after: str
    ) -> tuple[dict[str, ArticleRecord], str]:
        """Records changed since the last sweep or in a stream batch that was lost, and a slice."""
        windows = [(since, until)]
        windows += [(start - GRACE, end + GRACE) for start, end in self.failed_batches.take()]
        changed = {
            record.source_key: record
            for start, end in windows
            for record in self.articles.changed_between(start, min(end, until))
        }
        self.recently_changed = set(changed)
        walked, following = self.articles.walk(after, self.budget.articles)
        for record in walked:
            if record.changed_at is None or record.changed_at <= until:
                changed.setdefault(record.source_key, record)
        return changed, following

    def _check_records(
        self, records: dict[str, ArticleRecord], latest: dict[str, UploadState], until: datetime
    ) -> None:
        changes: dict[str, set[str]] = {}
        walked_profiles: list[ArticleRecord] = []
        self._count("articles", len(records))
        for key, record in sorted(records.items()):
            if key not in latest and record.status != "removed":
                # Every version of the upload is gone for good, and its event with it: nothing in S3
                # can be re-announced, so the removal is recorded here, beyond the last sequencer.
                self._found("upload", key)
                self._record_vanished(record)
                current = self.articles.current(key)
                if current is None:
                    continue
                record = current
            if is_profile_upload(key):
                if key in self.recently_changed:
                    self._settle_profile(record)
                else:
                    walked_profiles.append(record)
            if record.format < RECORD_FORMAT and record.status in _MIGRATED_STATUSES:
                record = self._migrated(record)
            for path in dict.fromkeys(path for path in (record.path, record.previous_path) if path):
                try:
                    written = settle_page(
                        path, self.uploads, self.articles, self.site_store, self.site, self.index
                    )
                except SourceMissing:
                    # The version shown is gone: the upload check re-announces the file (in this
                    # sweep or a later one), and the refusal that event makes settles the page.
                    continue
                if written is not None:
                    self._found("page", written.key)
            self._settle_preview(record)
            if self._story_changed_recently(key) and follow_story_redirects(
                None, record, self.articles, self.redirects
            ):
                # A move whose stream record was lost left the story's last address without its
                # redirect; the walk over the archive does not look, as for schedules.
                self._found("redirect", key)
            if (
                is_redirects_upload(key)
                and key in self.recently_changed
                and follow_listed_redirects(None, record, self.articles, self.redirects)
            ):
                # An editor's list (or its removal) whose stream record was lost.
                self._found("redirect", key)
            update = settle_index(record, self.index)
            if update:
                self._found("index", key)
            for listing, position in [*memberships(record), *update.delete, *(e.key for e in update.put)]:
                changes.setdefault(listing, set()).add(position)
            if record.status == "scheduled" and record.published_at and record.published_at <= self.now:
                self._found("schedule", key)
            if follow_schedule(None, record, self.scheduler, self.articles, self.now) is None and (
                key in self.recently_changed
            ):
                # A change away from "scheduled" whose stream record was lost left its schedule; the
                # walk over the archive does not look, or every sweep would delete a thousand.
                self.scheduler.cancel(schedule_name(key))
        refreshed = refresh_listings(changes, self.index, self.site_store, self.site, self.now)
        self._found_writes("listing", refreshed.changed)
        if refreshed.failed:
            raise SweepIncomplete(f"listings failed to render: {refreshed.failed}")
        self._check_profiles(walked_profiles)

    def _check_profiles(self, records: list[ArticleRecord]) -> None:
        """Profiles the walk reached that changed before the last sweep: a change whose follow failed
        part-way, or whose stream record was lost outside any failed batch's span, left its author's
        summary with what came before. The summary names the upload its profile came from, so one read
        of the summaries tells which changes were never followed (drift `profile`)."""
        followed = [record for record in records if record.status in FOLLOWED_PROFILE_STATUSES]
        if not followed:
            return
        listings = {record.source_key: profile_listing(record.source_key) for record in followed}
        summaries = self.index.summaries(sorted(set(listings.values())))
        self._count("profiles", len(followed))
        for record in followed:
            summary = summaries.get(listings[record.source_key])
            kept = summary.profile if summary is not None else None
            kept_from = summary.profile_sequencer if summary is not None else ""
            if kept_from > record.sequencer or (
                kept_from == record.sequencer and kept == profile_shown(record)
            ):
                continue
            self._found("profile", record.source_key)
            self._settle_profile(record)

    def _story_changed_recently(self, key: str) -> bool:
        return key in self.recently_changed and not is_profile_upload(key) and not is_redirects_upload(key)

    def _settle_preview(self, record: ArticleRecord) -> None:
        """The record's preview addresses, its own and those it retired, with their pages, redirects
        and report, as `follow` leaves them: a lost stream record left them behind, or a preview
        expired since (its report and redirect go; its page is refused by the CDN from its address
        already, and removed by `_walk_site`)."""
        handed_out = [preview for preview in (record.preview, *record.retired_previews) if preview]
        if record.source_key not in self.recently_changed:
            handed_out = [
                preview
                for preview in handed_out
                if self.now <= preview.expires + PREVIEW_SETTLED_AFTER_EXPIRY
            ]
        if not handed_out:
            return
        try:
            written = settle_previews(
                record.source_key,
                [preview.path for preview in handed_out],
                uploads=self.uploads,
                articles=self.articles,
                site_store=self.site_store,
                redirects=self.redirects,
                site=self.site,
                now=self.now,
            )
        except (SourceMissing, PreviewKeptChanging):
            # Its version is gone (the upload check re-announces it), or its record is moving: the
            # events on their way settle it, or the next sweep.
            return
        for write in written:
            self._found("page", write.key)

    def _settle_profile(self, record: ArticleRecord) -> None:
        """An author's profile changed recently, or in a lost stream batch: its listing's summary and
        pages as `follow` leaves them (conditional on the sequencer, so an older change never wins)."""
        try:
            written = follow_profile(
                record, self.uploads, self.articles, self.index, self.site_store, self.site, self.now
            )
        except (SourceMissing, ProfileNotShown, PageKeptChanging):
            return  # the events on their way settle it, or the next sweep
        for write in written:
            self._found("listing", write.key)

    def _migrated(self, record: ArticleRecord) -> ArticleRecord:
        """An earlier release's record, made again from its upload as this release makes records (its
        tags and authors kept, so that it joins their listings), its modification time unchanged. Not
        drift: nothing was lost."""
        intake = Intake(self.uploads, self.articles, self.site, self.alerts, self.now, self.images)
        if intake.reconsider(record.source_key, migrating=True) is not None:
            self._count("records migrated", 1)
        return self.articles.current(record.source_key) or record

    def _record_vanished(self, record: ArticleRecord) -> None:
        accept_upload(
            Upload(
                bucket="",
                key=record.source_key,
                version_id=None,
                sequencer=_beyond(record.sequencer),
                change=Change.VERSION_DELETED,
                event_time=self.now,
            ),
            self.uploads,
            self.articles,
            self.site,
            self.alerts,
            self.now,
        )

    def _walk_listings(self, span: PageRange | None) -> PageRange | None:
        """Render the next runs of numbered pages of every listing (sections, tags, authors and the
        site's sitemaps), up to the budget: lost index records leave old pages stale, and only
        reading them again finds that out."""
        budget = self.budget.listing_entries
        if budget <= 0:
            return span
        span = span.model_copy(update={"count": budget}) if span else None
        span = span or self._next_run("", budget)
        while span is not None and budget > 0:
            written, following, read = render_range(span, self.index, self.site_store, self.site)
            self._found_writes("listing", written)
            self._count("listing entries", read)
            budget -= span.count
            span = following or self._next_run(span.listing, self.budget.listing_entries)
        return span

    def _next_run(self, after: str, entries: int) -> PageRange | None:
        following = self.index.listings_after(after, 1)
        return _first_run(following[0], entries) if following else None

    def _walk_site(self, after: str) -> str:
        """Site objects nobody owns any more: pages of articles gone, sections emptied."""
        keys = self.site_store.keys(after, self.budget.site_keys)
        self._count("site objects", len(keys))
        emptied: dict[str, set[str]] = {}
        listed = {listing for key in keys if (listing := listing_of_key(key)) is not None}
        summaries = self.index.summaries(sorted(listed)) if listed else {}
        present = set(keys)
        for key in keys:
            path = article_key_path(key)
            item_of = feed_item_path(key)
            if item_of is not None and object_key(item_of) not in present:
                # A feed item whose page was removed by a settling cut short before the item went (or
                # whose page is in the next slice: settled twice, which changes nothing).
                path = item_of
            listing = listing_of_key(key)
            if is_preview_key(key):
                self._collect_preview(key)
            elif path is not None:
                try:
                    written = settle_page(
                        path, self.uploads, self.articles, self.site_store, self.site, self.index
                    )
                except SourceMissing:
                    # Its owner shows a version gone for good: the upload check re-announces the
                    # owner's file (in this sweep or a later one), and that event settles the page.
                    continue
                if written is not None:
                    self._found("orphan" if written.kind == "deleted" else "page", key)
            elif listing is not None:
                summary = summaries.get(listing)
                if summary is None or summary.members == 0:
                    emptied[listing] = {FROM_THE_START}
        refreshed = refresh_listings(emptied, self.index, self.site_store, self.site, self.now)
        self._found_writes("orphan", refreshed.changed)
        return keys[-1] if keys and len(keys) == self.budget.site_keys else ""

    def _age_news_sitemap(self) -> None:
        """Stories leave the news sitemap 48 hours after publication, whether or not another story
        arrives to re-render it. Time passing, not drift: counted, never reported as drift."""
        if refresh_news_sitemap(self.index, self.site_store, self.site, self.now):
            self._count("news sitemaps refreshed", 1)

    def _collect_preview(self, key: str) -> None:
        """A preview object whose address has expired: the CDN refuses it already (its expiry is in
        the address), and here it goes. Garbage, not drift: every preview expires. An unexpired one is
        its record's to settle (a preview's address names no source)."""
        expires = preview_expiry(key)
        if expires is None or expires <= self.now:
            self.site_store.delete(key)
            self._count("expired previews removed", 1)

    def _collect_media(self, images: ImageRepository, after: str) -> str:
        """Renditions no article shows any more (an article unpublished, an image replaced or removed)
        go once MEDIA_GRACE has passed, a slice of the images table a sweep. Garbage, not drift: an
        editor's ordinary work leaves it. Their names are never reused, so nothing is invalidated."""
        records, following = images.walk(after, self.budget.images)
        users = {user for record in records for user in record.users}
        shown: dict[str, set[str]] = {}
        for article in self.articles.by_keys(users):
            if article.status != "removed":
                for use in article.image_uses:
                    shown.setdefault(use.key, set()).add(use.hash)
        self._count("images", len(records))
        for record in records:
            gone = set(unshown(record, shown.get(record.source_key, set()), self.now, self.media_grace))
            if not gone:
                continue
            for digest in sorted(gone):
                prefix = media_key(digest, "")
                for key in [k for k in self.site_store.keys(prefix[:-1], 1000) if k.startswith(prefix)]:
                    self.site_store.delete(key)
                    self._count("renditions removed", 1)
            forget_renditions(images, record.source_key, gone)
        return following


class SweepIncomplete(Exception):
    """Part of a sweep failed; what it repaired stays repaired, and the next sweep tries the rest."""


def _in_step(state: UploadState, record: ArticleRecord | None) -> bool:
    """Whether the record reflects what the key serves now."""
    if state.version_id is None:
        return record is None or record.status == "removed"
    return record is not None and state.version_id in (record.source_version, record.rejected_version)


def _beyond(sequencer: str) -> str:
    """A sequencer just past this one, in S3's order (right-padded to a common width)."""
    padded = padded_sequencer(sequencer)
    return f"{int(padded, 16) + 1:0{len(padded)}X}"


def _first_run(listing: str, entries: int) -> PageRange:
    return PageRange(listing=listing, count=entries)


def sweep(
    *,
    uploads: UploadStore,
    articles: ArticleRepository,
    index: CategoryIndex,
    site_store: SiteStore,
    scheduler: Scheduler,
    journal: SweepJournal,
    failed_batches: FailedBatches,
    alerts: EditorAlerts,
    redirects: RedirectStore,
    site: SiteSettings,
    now: datetime,
    budget: Budget | None = None,
    grace: timedelta = GRACE,
    images: ImageRepository | None = None,
    media_grace: timedelta = MEDIA_GRACE,
) -> SweepReport:
    """One reconciliation sweep: compare, repair, report. `grace` is how long a change is left to
    its own event: on AWS events take seconds; where every change is delivered in the transaction
    that made it (the local engine), none is in flight."""
    return Sweep(
        uploads,
        articles,
        index,
        site_store,
        scheduler,
        journal,
        failed_batches,
        alerts,
        redirects,
        site,
        now,
        budget or Budget(),
        grace,
        images,
        media_grace,
    ).run()
