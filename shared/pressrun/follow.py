"""What follows a change in the articles table: the article's page, its index entries, its schedule,
its preview.

One consumer of the articles stream does all three (DynamoDB Streams serves at most two readers per
shard without throttling); each part is idempotent, so a retried record redoes them all safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pressrun.index import IndexUpdate, update_index
from pressrun.listings import refresh_listings
from pressrun.model import ArticleRecord, AuthorProfile, SiteWrite
from pressrun.pages import apply_article_change, settle_page, settle_related_pages
from pressrun.ports import (
    ArticleRepository,
    CategoryIndex,
    RedirectStore,
    Scheduler,
    SiteStore,
    UploadStore,
)
from pressrun.previews import follow_previews
from pressrun.profiles import PROFILE_STATUS, is_profile_upload, profile_listing
from pressrun.redirects import follow_listed_redirects, follow_story_redirects, is_redirects_upload
from pressrun.scheduling import follow_schedule
from pressrun.settings import SiteSettings


@dataclass(frozen=True)
class Followed:
    """What one article change did: page keys written or removed, index changes, schedule action,
    paths whose redirect changed."""

    pages: list[SiteWrite]
    index: IndexUpdate
    schedule: str | None
    redirects: list[str] = field(default_factory=list)


def follow_article_change(
    old: ArticleRecord | None,
    new: ArticleRecord | None,
    *,
    uploads: UploadStore,
    site_store: SiteStore,
    index: CategoryIndex,
    scheduler: Scheduler,
    articles: ArticleRepository,
    redirects: RedirectStore,
    site: SiteSettings,
    now: datetime,
) -> Followed:
    """Bring the page, the index, the schedule, the redirects and the preview in line with the
    article's change from old to new. The redirects follow the page: a story that moved has left its
    old address (whose page removal asks for its invalidation) before the old address is pointed at
    the new one."""
    changed = new or old
    if changed is not None and is_redirects_upload(changed.source_key):
        moved = follow_listed_redirects(old, new, articles, redirects)
        return Followed(pages=[], index=IndexUpdate(), schedule=None, redirects=moved)
    if changed is not None and is_profile_upload(changed.source_key):
        pages = follow_profile(new or changed, uploads, articles, index, site_store, site, now)
        return Followed(pages=pages, index=IndexUpdate(), schedule=None)
    pages = apply_article_change(old, new, uploads, articles, site_store, site, index)
    update = update_index(old, new, index)
    pages += settle_related_pages(update, uploads, articles, site_store, site, index)
    schedule = follow_schedule(old, new, scheduler, articles, now)
    moved = follow_story_redirects(old, new, articles, redirects)
    pages += follow_previews(
        old,
        new,
        uploads=uploads,
        articles=articles,
        site_store=site_store,
        redirects=redirects,
        site=site,
        now=now,
    )
    return Followed(pages=pages, index=update, schedule=schedule, redirects=moved)


# The statuses of a profile's record that its author's summary follows.
FOLLOWED_PROFILE_STATUSES = (PROFILE_STATUS, "removed", "rejected")


def profile_shown(record: ArticleRecord) -> AuthorProfile | None:
    """The profile an author's summary keeps from this record of their profile upload. A refusal that
    keeps an earlier profile up (or one waiting for its photo) is recorded with the profile's status;
    "rejected" keeps nothing, like a removal (whose own change may have been lost)."""
    return record.profile if record.status == PROFILE_STATUS else None


def follow_profile(
    record: ArticleRecord,
    uploads: UploadStore,
    articles: ArticleRepository,
    index: CategoryIndex,
    site_store: SiteStore,
    site: SiteSettings,
    now: datetime,
) -> list[SiteWrite]:
    """Keep an author's profile (or its removal) in their listing's summary, then render their pages
    again from it, and the pages of their newest stories (a front page's worth: their JSON-LD names
    the author's links; older stories take them when the sweep renders them again). An older change
    followed after a newer one keeps nothing, and renders what the newer one kept."""
    listing = profile_listing(record.source_key)
    if record.status not in FOLLOWED_PROFILE_STATUSES:
        return []
    index.set_profile(listing, profile_shown(record), record.sequencer)
    refreshed = refresh_listings({listing: []}, index, site_store, site, now)
    if refreshed.failed:
        raise ProfileNotShown(f"{listing}: {refreshed.failed[listing]}")
    newest = [entry.source_key for entry in index.entries(listing, limit=site.listing_size)]
    stories = [story for story in articles.by_keys(newest) if story.is_live and story.path]
    pages = [settle_page(story.path, uploads, articles, site_store, site, index) for story in stories]
    return refreshed.changed + [page for page in pages if page is not None]


class ProfileNotShown(Exception):
    """The author's pages could not be rendered with their profile: the stream record is retried."""
