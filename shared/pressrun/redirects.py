"""Permanent redirects: an old address of a story answers 301 with its new one, for ever.

Two kinds, kept in one `RedirectStore` (on AWS the CloudFront KeyValueStore the viewer-request
function reads, with the table that remembers who points where; locally `state.db`):

- A story that moves (an edit changed its slug or its date) leaves a redirect from every address it
  had to the one it has. Decided from the record as the articles table holds it now, never from the
  stream record being followed: a late or replayed change only ever names an address the story had,
  and the target is always where the story is now, so no redirect points at an older address.
- An editor's list, `incoming/redirects/<name>.json`: `[{"from": "/old/", "to": "/new/"}]`, recorded
  like any upload (the newest wins, a bad one comes back as a report). Deleting it removes its
  redirects.

Rules every write keeps:
- Chains collapse: a redirect to an address that itself moves on follows it (A→B, then B→C, serves
  A→C), so a reader never takes two hops.
- A live page beats a redirect: publishing at an address removes any redirect from it.
- A story taken down keeps the redirects to its last address: its old addresses answer what its
  last one does (404), as readers of any of them should learn it is gone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from pressrun.model import ArticleRecord, InvalidArticle, Problem, Redirect
from pressrun.ports import ArticleRepository, RedirectStore
from pressrun.readers import too_large
from pressrun.settings import SiteSettings
from pressrun.urls import slug_of

REDIRECTS = "incoming/redirects/"
REDIRECTS_STATUS = "redirects"
# CloudFront KeyValueStore's limits: a key of 512 bytes, a value of 1 KB, 5 MB a store.
MAX_PATH_BYTES = 512
MAX_TARGET_BYTES = 1024
MAX_STORE_BYTES = 5 * 1024 * 1024
# One file's worth: past it, the editor splits the list (and the record stays well within DynamoDB's
# item size: 200 redirects of 1.5 KB each).
MAX_REDIRECTS_PER_FILE = 200
# A chain longer than this is a loop the store should never hold; following stops there.
_MAX_HOPS = 32


def is_redirects_upload(key: str) -> bool:
    """`incoming/redirects/<name>.json`: an editor's list of redirects, not an article."""
    name = key.removeprefix(REDIRECTS)
    return key.startswith(REDIRECTS) and "/" not in name and name.endswith(".json")


# --- one redirect, with its chain collapsed ----------------------------------------------------------


def final_target(path: str, redirects: RedirectStore) -> str:
    """Where a reader asking for `path` ends up: the path itself, or the end of its redirects."""
    seen = {path}
    current = path
    for _ in range(_MAX_HOPS):
        following = redirects.target(current)
        if following is None or following in seen:
            return current
        seen.add(following)
        current = following
    return current


def point(path: str, target: str, redirects: RedirectStore) -> list[str]:
    """Make `path` redirect to `target`, and every path that redirected to `path` redirect to `target`
    too (chains collapse). A path that would redirect to itself is removed instead. The paths changed."""
    changed = []
    if path != target and redirects.target(path) != target:
        redirects.put(path, target)
        changed.append(path)
    for source in redirects.sources_of(path):
        if source == target:
            redirects.delete(source)
        else:
            redirects.put(source, target)
        changed.append(source)
    return changed


def clear(path: str, redirects: RedirectStore) -> bool:
    """A live page is at `path` now: it answers there, not a redirect. Whether one was removed."""
    if redirects.target(path) is None:
        return False
    redirects.delete(path)
    return True


# --- stories that move -------------------------------------------------------------------------------


def follow_story_redirects(
    old: ArticleRecord | None,
    new: ArticleRecord | None,
    articles: ArticleRepository,
    redirects: RedirectStore,
) -> list[str]:
    """Settle the redirects an article change calls for; the paths whose redirect changed.

    The addresses the change names (the old image's, the new one's and the one the new version moved
    from) are addresses the story had. If the story is live now, at an address read from the table,
    each of them that no live story holds redirects there, and its own address loses any redirect."""
    changed = new or old
    if changed is None:
        return []
    named = dict.fromkeys(
        path
        for path in (
            old.path if old else "",
            new.path if new else "",
            new.previous_path if new else "",
            old.previous_path if old else "",
        )
        if path
    )
    if not named:
        return []
    if new is not None and new.is_live and list(named) == [new.path]:
        # Published or edited in place: the common case costs one read of the store.
        if redirects.target(new.path) is None or not _owned_by(new.path, changed.source_key, articles):
            return []
        redirects.delete(new.path)
        return [new.path]
    current = articles.current(changed.source_key)
    if current is None or not current.is_live or not current.path:
        # Taken down: redirects to its last address stay, and answer what it answers now.
        return []
    touched = [current.path] if clear(current.path, redirects) else []
    for path in named:
        if path == current.path or _live_owner(path, articles) is not None:
            continue
        touched += point(path, current.path, redirects)
        if _live_owner(path, articles) is not None:
            # Published at that address while the redirect was written: the page wins.
            clear(path, redirects)
    return list(dict.fromkeys(touched))


def _live_owner(path: str, articles: ArticleRepository) -> str | None:
    """The source of the live story at this path, if one is there (consistent reads)."""
    holder = articles.slug_holder(slug_of(path))
    record = articles.current(holder) if holder is not None else None
    return holder if record is not None and record.is_live and record.path == path else None


def _owned_by(path: str, source_key: str, articles: ArticleRepository) -> bool:
    return _live_owner(path, articles) == source_key


# --- an editor's list ------------------------------------------------------------------------------


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: str = Field(alias="from", min_length=1)
    target: str = Field(alias="to", min_length=1)


_LIST = TypeAdapter(list[_Entry])


def parse_redirects(source_key: str, data: bytes, site: SiteSettings) -> tuple[Redirect, ...]:
    """The redirects a file lists, each from and to a path of this site; `InvalidArticle` with every
    reason it lists none. A full address of this site (`site_url`) counts as its path."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidArticle([Problem(field="file", message=f"is not JSON: {error}")]) from error
    if isinstance(document, dict):
        document = [document]
    try:
        entries = _LIST.validate_python(document)
    except ValidationError as error:
        raise InvalidArticle(
            [
                Problem(field=".".join(str(part) for part in issue["loc"]) or "file", message=issue["msg"])
                for issue in error.errors()
            ]
        ) from error
    problems: list[Problem] = []
    if len(entries) > MAX_REDIRECTS_PER_FILE:
        problems.append(
            Problem(
                field="file",
                message=f"lists {len(entries)} redirects; split it into files of {MAX_REDIRECTS_PER_FILE}",
            )
        )
    found: dict[str, Redirect] = {}
    for number, entry in enumerate(entries):
        source, source_problem = _site_path(entry.source, site, MAX_PATH_BYTES)
        target, target_problem = _site_path(entry.target, site, MAX_TARGET_BYTES)
        for field, problem in (("from", source_problem), ("to", target_problem)):
            if problem:
                problems.append(Problem(field=f"{number}.{field}", message=problem))
        if source_problem or target_problem:
            continue
        if source == target:
            problems.append(Problem(field=f"{number}", message=f"{source} redirects to itself"))
        elif source in found and found[source].target != target:
            problems.append(
                Problem(field=f"{number}.from", message=f"{source} is listed twice, to different places")
            )
        else:
            found[source] = Redirect(path=source, target=target)
    listed = {redirect.path: redirect.target for redirect in found.values()}
    for redirect in found.values():
        if _loops(redirect.path, redirect.target, listed.get):
            problems.append(
                Problem(field="to", message=f"{redirect.path} → {redirect.target} goes round in a loop")
            )
    if problems:
        raise InvalidArticle(problems)
    return tuple(sorted(found.values(), key=lambda redirect: redirect.path))


def _site_path(address: str, site: SiteSettings, limit: int) -> tuple[str, str]:
    """The site path an address names, or why it names none."""
    parts = urlsplit(address)
    if parts.scheme or parts.netloc:
        own = urlsplit(site.site_url)
        if (parts.scheme, parts.netloc) != (own.scheme, own.netloc):
            return (
                "",
                f"'{address}' is not on this site ({site.site_url}): only the site's own paths redirect",
            )
    path = parts.path
    if parts.query or parts.fragment:
        return "", f"'{address}' has a query or a fragment: give the path alone"
    if not path.startswith("/") or path.startswith("//"):
        return "", f"'{address}' is not a path of the site: start it with one /"
    if any(segment in (".", "..") for segment in path.split("/")) or any(ord(c) < 33 for c in path):
        return "", f"'{address}' is not a plain path"
    if len(path.encode()) > limit:
        return "", f"is {len(path.encode())} bytes; the CDN keeps at most {limit}"
    return path, ""


def _loops(path: str, target: str, next_of: Callable[[str], str | None]) -> bool:
    seen = {path}
    current: str | None = target
    for _ in range(_MAX_HOPS):
        if current is None:
            return False
        if current in seen:
            return True
        seen.add(current)
        current = next_of(current)
    return True


def collisions(
    listed: Iterable[Redirect], articles: ArticleRepository, redirects: RedirectStore | None
) -> list[Problem]:
    """What keeps a valid list from being recorded as the site stands: a `from` that is a live story's
    address, or a redirect that loops through those the store holds."""
    problems = []
    own = {redirect.path: redirect.target for redirect in listed}

    def next_of(path: str) -> str | None:
        return own.get(path) or (redirects.target(path) if redirects is not None else None)

    for redirect in listed:
        owner = _live_owner(redirect.path, articles)
        if owner is not None:
            problems.append(
                Problem(
                    field="from",
                    message=f"{redirect.path} is the address of a live story ({owner}), and a live"
                    " page is never redirected",
                )
            )
        if redirects is not None and _loops(redirect.path, redirect.target, next_of):
            problems.append(
                Problem(
                    field="to",
                    message=f"{redirect.path} → {redirect.target} loops through the site's redirects",
                )
            )
    return problems


def judge_redirects(
    source_key: str,
    version_id: str | None,
    sequencer: str,
    size: int | None,
    read: Callable[[], bytes | None],
    site: SiteSettings,
    now: datetime,
    articles: ArticleRepository | None,
    redirects: RedirectStore | None,
) -> ArticleRecord | None:
    """The record an editor's list of redirects makes (None when that version is gone), or
    `InvalidArticle` with every reason it makes none."""
    if size is not None and size > site.max_upload_bytes:
        raise InvalidArticle([too_large(site.max_upload_bytes, size)])
    data = read()
    if data is None:
        return None
    listed = parse_redirects(source_key, data, site)
    if articles is not None:
        problems = collisions(listed, articles, redirects)
        if problems:
            raise InvalidArticle(problems)
    return ArticleRecord(
        source_key=source_key,
        source_version=version_id,
        sequencer=sequencer,
        status=REDIRECTS_STATUS,
        redirects=listed,
        updated_at=now,
    )


def follow_listed_redirects(
    old: ArticleRecord | None,
    new: ArticleRecord | None,
    articles: ArticleRepository,
    redirects: RedirectStore,
) -> list[str]:
    """Make the store hold what an editor's list holds now, read from the table (a late change of the
    file settles to its newest version): the redirects it lists, and none of those it no longer lists
    that still point where it said. The paths changed."""
    changed = new or old
    if changed is None:
        return []
    current = articles.current(changed.source_key)
    # A refused version keeps an earlier valid one up (`Intake._kept_up`), as for any upload.
    kept = current.redirects if current is not None and current.status == REDIRECTS_STATUS else ()
    dropped = {
        redirect.path: redirect.target
        for record in (old, new)
        if record is not None
        for redirect in record.redirects
    }
    touched = []
    for redirect in kept:
        dropped.pop(redirect.path, None)
        if _live_owner(redirect.path, articles) is not None:
            continue  # a story was published there since: the page wins
        touched += point(redirect.path, final_target(redirect.target, redirects), redirects)
    for path, target in dropped.items():
        now_at = redirects.target(path)
        if now_at is not None and now_at in (target, final_target(target, redirects)):
            redirects.delete(path)
            touched.append(path)
    return list(dict.fromkeys(touched))
