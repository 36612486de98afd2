"""Private previews of drafts and scheduled stories: what is at a preview's address, and what the editor
is told of it.

A draft or scheduled version's record carries a preview (`model.Preview`: an unguessable token and the
minute it expires, both in its address `/preview/<yyyymmddHHMM>-<token>/`; minted on the way in, in
`ingest`, so a redelivered upload finds it recorded and never mints a second). Whatever follows a
change of the record settles each preview address the change touches from the record as it is now,
never from the change itself, as article pages are settled (`pages.settle_page`):

- the source's current draft or scheduled version, unexpired: its page there (noindex, never cached,
  with a banner), and `previews/<name>.json` in the uploads bucket telling the editor its address;
- the story live since: the address redirects to the story's (RedirectStore) until it would have
  expired; no page, no report;
- anything else (expired, revoked by a deletion or a refusal, or an address the source no longer
  has): nothing at all, so the CDN answers 404.

A preview is never in the index, so no listing, feed, sitemap or search sees it; its object is never
cached, so it is never invalidated.
"""

from __future__ import annotations

import json
from datetime import datetime

from pressrun.ingest import PREVIEWS, editor_key
from pressrun.model import PREVIEWED, ArticleRecord, SiteWrite
from pressrun.pages import HTML, article_page
from pressrun.ports import ArticleRepository, RedirectStore, SiteStore, UploadStore
from pressrun.settings import SiteSettings
from pressrun.urls import absolute, object_key

_REPORT_SUFFIX = ".json"
# A sweep racing the change it settles settles again; more than this is retried by the stream.
_SETTLE_ATTEMPTS = 3


def preview_report_key(source_key: str) -> str:
    """previews/<name>.json for incoming/<name>, beside rejected/ where refusals are reported."""
    return editor_key(PREVIEWS, source_key, _REPORT_SUFFIX)


def answers(record: ArticleRecord | None, now: datetime) -> bool:
    """Whether the record's preview shows its page now: a draft's or scheduled story's, unexpired."""
    return (
        record is not None
        and record.preview is not None
        and record.status in PREVIEWED
        and not record.preview.expired(now)
    )


def preview_report(record: ArticleRecord, site: SiteSettings) -> bytes:
    """What the editor is told of a preview: the upload, its address and when it stops answering."""
    assert record.preview is not None
    report = {
        "source": record.source_key,
        "url": absolute(site.site_url, record.preview.path),
        "expires": record.preview.expires.isoformat().replace("+00:00", "Z"),
    }
    return json.dumps(report, indent=2, ensure_ascii=False).encode("utf-8")


def follow_previews(
    old: ArticleRecord | None,
    new: ArticleRecord | None,
    *,
    uploads: UploadStore,
    articles: ArticleRepository,
    site_store: SiteStore,
    redirects: RedirectStore,
    site: SiteSettings,
    now: datetime,
) -> list[SiteWrite]:
    """Settle every preview address the change from old to new touches, and the editor's report."""
    changed = new or old
    if changed is None:
        return []
    paths = [record.preview.path for record in (new, old) if record is not None and record.preview]
    return settle_previews(
        changed.source_key,
        list(dict.fromkeys(paths)),
        uploads=uploads,
        articles=articles,
        site_store=site_store,
        redirects=redirects,
        site=site,
        now=now,
    )


def settle_previews(
    source_key: str,
    paths: list[str],
    *,
    uploads: UploadStore,
    articles: ArticleRepository,
    site_store: SiteStore,
    redirects: RedirectStore,
    site: SiteSettings,
    now: datetime,
) -> list[SiteWrite]:
    """Make each of the source's preview addresses what its record says now, then its report. Checked
    after the writes: if the record changed meanwhile, a newer change's settling may have run in
    between and been undone here, so it settles again."""
    if not paths:
        return []
    record = articles.current(source_key)
    for _ in range(_SETTLE_ATTEMPTS):
        written: list[SiteWrite] = []
        for path in paths:
            written += _settle(path, record, uploads, site_store, redirects, site, now)
        _settle_report(source_key, record, uploads, site, now)
        again = articles.current(source_key)
        if _same(again, record):
            return written
        record = again
        if record is not None and record.preview is not None and record.preview.path not in paths:
            paths = [*paths, record.preview.path]
    raise PreviewKeptChanging(f"the record of {source_key} kept changing while its preview was settled")


class PreviewKeptChanging(Exception):
    """Every settling of a preview was overtaken by another change of its record: retried."""


def _settle(
    path: str,
    record: ArticleRecord | None,
    uploads: UploadStore,
    site_store: SiteStore,
    redirects: RedirectStore,
    site: SiteSettings,
    now: datetime,
) -> list[SiteWrite]:
    key = object_key(path)
    written: SiteWrite | None
    if _owns(record, path) and record is not None and answers(record, now):
        written = site_store.put(key, article_page(record, uploads, site, preview=True), HTML)
        if redirects.target(path) is not None:
            redirects.delete(path)
        return [written] if written is not None else []
    written = site_store.delete(key)
    target = _live_target(record, path, now)
    if target is not None:
        if redirects.target(path) != target:
            redirects.put(path, target)
    elif redirects.target(path) is not None:
        # Expired, revoked, or no longer the source's: the address answers nothing at all.
        redirects.delete(path)
    return [written] if written is not None else []


def _owns(record: ArticleRecord | None, path: str) -> bool:
    return record is not None and record.preview is not None and record.preview.path == path


def _live_target(record: ArticleRecord | None, path: str, now: datetime) -> str | None:
    """Where the preview address redirects: the story, once it is live, until the preview would have
    expired."""
    if record is None or record.preview is None or record.preview.path != path:
        return None
    return record.path if record.is_live and not record.preview.expired(now) else None


def _settle_report(
    source_key: str, record: ArticleRecord | None, uploads: UploadStore, site: SiteSettings, now: datetime
) -> None:
    key = preview_report_key(source_key)
    if record is not None and answers(record, now):
        uploads.write_report(key, preview_report(record, site))
    else:
        uploads.delete_report(key)


def _same(first: ArticleRecord | None, second: ArticleRecord | None) -> bool:
    def identity(record: ArticleRecord | None) -> tuple[object, ...] | None:
        if record is None:
            return None
        return (record.sequencer, record.status, record.source_version, record.preview, record.path)

    return identity(first) == identity(second)
