"""Article pages follow the articles table: a live article has its page, and nothing else does."""

from __future__ import annotations

from pressrun import render
from pressrun.model import ArticleRecord, SiteWrite
from pressrun.ports import SiteStore, UploadStore
from pressrun.settings import SiteSettings
from pressrun.urls import object_key
from pressrun.validation import parse_article

HTML = "text/html; charset=utf-8"


class SourceMissing(Exception):
    """The recorded version of an upload cannot be read: retrying later is the only sane answer."""


def article_page(record: ArticleRecord, uploads: UploadStore, site: SiteSettings) -> bytes:
    """The page of the version the record names, rendered from its upload."""
    data = uploads.read(record.source_key, record.source_version, site.max_upload_bytes)
    if data is None:
        raise SourceMissing(f"{record.source_key} version {record.source_version} is gone")
    article = parse_article(record.source_key, data, site)
    return render.article_page(article, site, modified=record.updated_at or article.published_at)


def apply_article_change(
    old: ArticleRecord | None,
    new: ArticleRecord | None,
    uploads: UploadStore,
    site_store: SiteStore,
    site: SiteSettings,
) -> list[SiteWrite]:
    """Render the new version's page and remove a page the article no longer has; what changed."""
    changed: list[SiteWrite] = []
    if new is not None and new.is_live:
        page_key = object_key(new.path)
        # An article seen for the first time has never had a page: no need to look for one.
        written = site_store.put(page_key, article_page(new, uploads, site), HTML, first_write=old is None)
        if written is not None:
            changed.append(written)
    if old is not None and old.is_live and (new is None or not new.is_live or new.path != old.path):
        removed = site_store.delete(object_key(old.path))
        if removed is not None:
            changed.append(removed)
    return changed
