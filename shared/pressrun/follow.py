"""What follows a change in the articles table: the article's page, its index entries, its schedule.

One consumer of the articles stream does all three (DynamoDB Streams serves at most two readers per
shard without throttling); each part is idempotent, so a retried record redoes them all safely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pressrun.index import IndexUpdate, update_index
from pressrun.model import ArticleRecord, SiteWrite
from pressrun.pages import apply_article_change, settle_related_pages
from pressrun.ports import ArticleRepository, CategoryIndex, Scheduler, SiteStore, UploadStore
from pressrun.scheduling import follow_schedule
from pressrun.settings import SiteSettings


@dataclass(frozen=True)
class Followed:
    """What one article change did: page keys written or removed, index changes, schedule action."""

    pages: list[SiteWrite]
    index: IndexUpdate
    schedule: str | None


def follow_article_change(
    old: ArticleRecord | None,
    new: ArticleRecord | None,
    *,
    uploads: UploadStore,
    site_store: SiteStore,
    index: CategoryIndex,
    scheduler: Scheduler,
    articles: ArticleRepository,
    site: SiteSettings,
    now: datetime,
) -> Followed:
    """Bring the page, the index and the schedule in line with the article's change from old to new."""
    pages = apply_article_change(old, new, uploads, articles, site_store, site, index)
    update = update_index(old, new, index)
    pages += settle_related_pages(update, uploads, articles, site_store, site, index)
    schedule = follow_schedule(old, new, scheduler, articles, now)
    return Followed(pages=pages, index=update, schedule=schedule)
