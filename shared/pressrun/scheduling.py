"""Articles dated in the future go live by themselves: a one-time schedule per scheduled article,
kept in step with the articles table, and a release that flips the article to published."""

from __future__ import annotations

import hashlib
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from pressrun.model import ArticleRecord
from pressrun.ports import ReleasableArticles, Scheduler


class Release(BaseModel):
    """What a schedule hands back when it fires: which article, at which version."""

    model_config = ConfigDict(frozen=True)

    source_key: str
    source_version: str | None = None


def schedule_name(source_key: str) -> str:
    # Schedule names allow [0-9a-zA-Z-_.] and 64 characters; keys allow anything, so hash them.
    return f"pressrun-{hashlib.sha256(source_key.encode('utf-8')).hexdigest()[:48]}"


def follow_schedule(
    old: ArticleRecord | None,
    new: ArticleRecord | None,
    scheduler: Scheduler,
    articles: ReleasableArticles,
    now: datetime,
) -> str | None:
    """Keep the article's schedule in step with its record; what was done, if anything."""
    if new is not None and new.status == "scheduled" and new.published_at is not None:
        release = Release(source_key=new.source_key, source_version=new.source_version)
        if new.published_at <= now:
            # Its time came while the change travelled here: a schedule in the past would never fire.
            articles.go_live(release)
            return "released"
        scheduler.schedule(schedule_name(new.source_key), new.published_at, release)
        return "scheduled"
    if old is not None and old.status == "scheduled":
        scheduler.cancel(schedule_name(old.source_key))
        return "cancelled"
    return None


def release_article(release: Release, articles: ReleasableArticles) -> bool:
    return articles.go_live(release)
