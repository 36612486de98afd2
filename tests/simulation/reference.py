"""The reference: what the site must be, derived from the uploads bucket alone, and the oracle that
compares it with what the simulated pipeline left behind, byte for byte.

It shares no logic with `index.py` or `listings.py`. It reads uploads with the validator (what an
upload says is not what is under test here) and renders with `pressrun.render` (rendering is
deterministic); which articles are live, where they are listed, how listings paginate and what the
sitemaps hold it works out from the documented rules:

- README, "An article lives at…": `/<yyyy>/<mm>/<dd>/<slug>/`, a category's newest articles at
  `/category/<slug>/`, older ones at `page/<n>/` numbered from the oldest, its feed beside them.
- docs/architecture.md, "Stable pagination": `page/<n>/` holds articles (n-1)·S+1 to n·S and exists
  only once full; the front page shows the newest S.
- docs/architecture.md, "Sitemaps": the home page and every article; past SITEMAP_SIZE URLs an index
  of `/sitemap-<n>.xml`, numbered from the oldest; `/news-sitemap.xml` for the last 48 hours, absent
  when empty; `robots.txt` names them.

Where the rules leave a choice to the order of events, the reference accepts the pipeline's choice
if it is one the rules allow, and checks everything that follows from it:
- who holds a slug two sources claim (the first to be recorded);
- which earlier version stays up when the newest one is refused (invalid, or its slug is taken): any
  valid version since the last delete marker, or none, but never older than the one that was up when
  the refused version was uploaded;
- when an article's content last changed (`updated_at`): the pipeline's clock when it recorded it.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pressrun import render
from pressrun.index import ListingEntry, ListingSummary
from pressrun.ingest import report_key
from pressrun.model import Article, ArticleRecord, Category, InvalidArticle
from pressrun.scheduling import schedule_name
from pressrun.settings import SiteSettings
from pressrun.urls import public_paths
from pressrun.validation import parse_article
from tests.simulation.adapters import Version
from tests.simulation.world import World

# Defects the simulation found that the domain does not fix yet. Each is pinned by a strict xfail
# in tests/unit/test_delivery_order.py; while it is listed here, the reference accepts the outcome it
# produces, and only that. Remove the entry with the fix (the xfail then fails until it goes too).
KNOWN_DEFECTS = {
    # A refused upload's event overtakes the delete marker before it: the marker's event is then
    # stale, and the version from before the marker stays up.
    "refusal overtakes delete marker",
    # The version the pipeline shows is deleted for good (cleaned up while a newer upload is refused):
    # its page can no longer be rendered, and every stream record that settles it fails until the
    # batch is given up on. Editors in the property test leave such a version alone meanwhile.
    "deleted version still shown",
    # Deleting the file, then removing the delete marker, brings back the refused newest version
    # only: the version that stayed up behind it before the delete stays down.
    "undelete loses the version kept up",
    # Reports are written and deleted after the record writes that decide them, unconditionally:
    # a newer change of the same file handled in between (a newer upload, or the refused one
    # accepted as a waiter) deletes a report before it exists, so the report written after it
    # stays or replaces a newer one; or a newer refusal writes its report before an older
    # acceptance deletes "its" obsolete one. Tolerated only for reports written when the table no
    # longer recorded their refusal, and for reports deleted while it still did.
    "reports race the record",
    # What follows a write (trying the waiters it freed, deleting the report it made obsolete) is
    # redone only by a redelivery of the same event; when it failed and a newer event of the same
    # source is handled first, that redelivery is stale and the follow-up is lost: a waiter stays
    # refused though its slug is free, a report stays though its upload is gone or accepted.
    # Tolerated only for a waiter some write freed, or a report whose file's handling failed
    # part-way since it was written.
    "follow-up lost behind a newer event",
    # A listing render overtaken by another writes numbered pages (or sitemaps) past the end; its
    # render again, after the revision check, drops pages past the end only when its own batch
    # removed a member, and a drop stops at the first number missing. Tolerated only for numbered
    # pages and sitemaps past the last one expected.
    "overtaken render leaves pages past the end",
    # A waiter is saved under the sequencer its refusal was recorded with; a change of the same
    # file planned from the refusal (a removal, say) still finds that sequencer, is saved over the
    # accepted waiter and never releases the slug it took: the slug stays held by a file that
    # shows nothing there. Tolerated only for a holder some write freed as a waiter.
    "change saved over an accepted waiter",
}
# What the home page shows of each section: its newest three (docs/architecture.md, "Summaries").
SECTION_SIZE = 3
NEWS_WINDOW = timedelta(hours=48)
LIVE_STATES = ("published", "draft", "scheduled")


def everything_long_cached(key: str) -> bool:
    """Which site objects readers may hold stale copies of, so that changing them needs an
    invalidation. Today every object goes through the CDN's cache; where the lead's
    InvalidationRequests port narrows this to long-cached objects, this is the place to say which."""
    return True


@dataclass
class Divergence:
    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        self.lines.append(line)

    def raise_if_any(self, world: World) -> None:
        if self.lines:
            detail = "\n  ".join(self.lines[:40])
            raise AssertionError(
                f"{len(self.lines)} divergences after settling:\n  {detail}\n{describe(world)}"
            )


def describe(world: World) -> str:
    """What happened to every key, for a failure message."""
    site = world.settings
    lines = [
        f"clock {world.now.isoformat()}; listing size {site.listing_size}, sitemap size {site.sitemap_size}"
    ]
    for key, history in world.uploads.history.items():
        lines.append(f"  {key}:")
        for version in history:
            state = "deleted " if version.deleted else ""
            what = (
                "delete marker" if version.is_marker else (version.data or b"").decode().replace("\n", " | ")
            )
            lines.append(f"    {state}{version.version_id[:6]} {what}")
        item = world.articles.table.items.get((key,))
        lines.append(f"    record: {item}")
    lines.append(f"  slugs: {[(k[0], v.get('source_key')) for k, v in world.articles.slugs.items.items()]}")
    lines.append(f"  errors: {world.trouble.errors[:5]}")
    return "\n".join(lines)


def _article(key: str, version: Version, site: SiteSettings) -> Article | None:
    return None if version.data is None else parsed(key, version.data, site)


@functools.lru_cache(maxsize=4096)
def parsed(key: str, data: bytes, site: SiteSettings) -> Article | None:
    """The article an upload holds, or None when it is invalid (read once: the oracle asks often)."""
    try:
        return parse_article(key, data, site)
    except InvalidArticle:
        return None


def expected_status(article: Article, now: datetime) -> str:
    if article.draft:
        return "draft"
    return "scheduled" if article.published_at > now else "published"


@dataclass(frozen=True)
class Accepted:
    """An upload version the pipeline shows for its source, as the reference agrees it may."""

    key: str
    version: Version
    article: Article
    record: ArticleRecord
    status: str


def _fallbacks(history: list[Version], current: Version, site: SiteSettings, key: str) -> list[Version]:
    """The versions that may stay up while `current` is refused: valid ones since the last delete
    marker the key still has, permanently deleted ones included, oldest first."""
    found: list[Version] = []
    for version in reversed(history[: history.index(current)]):
        if (
            version.is_marker
            and not version.deleted
            and "refusal overtakes delete marker" not in KNOWN_DEFECTS
        ):
            break
        if not version.is_marker and _article(key, version, site) is not None:
            found.append(version)
    return list(reversed(found))


def _lower_bound(history: list[Version], current: Version, candidates: list[Version]) -> Version | None:
    """The version that was up when `current` was uploaded, if a refusal must leave it (or a later
    one) up: only when no delete marker came between."""
    up = next((v for v in candidates if v.version_id == current.pipeline_had), None)
    if up is None:
        return None
    between = history[history.index(up) + 1 : history.index(current)]
    if "undelete loses the version kept up" in KNOWN_DEFECTS:
        # Any marker since, even one removed again.
        between = history[history.index(up) + 1 :]
    return None if any(version.is_marker for version in between) else up


class Oracle:
    def __init__(self, world: World) -> None:
        self.world = world
        self.site = world.settings
        self.now = world.now
        self.out = Divergence()
        self.records = {
            key[0]: ArticleRecord.model_validate(item) for key, item in world.articles.table.items.items()
        }
        self.holders = {
            key[0]: str(item.get("source_key")) for key, item in world.articles.slugs.items.items()
        }

    # --- which version of each source is up -------------------------------------------------------

    def accepted(self) -> dict[str, Accepted]:
        accepted: dict[str, Accepted] = {}
        expected_reports: dict[str, str] = {}
        for key, history in self.world.uploads.history.items():
            verdict = self._source(key, history, expected_reports)
            if verdict is not None:
                accepted[key] = verdict
        self._slugs(accepted)
        self._reports(expected_reports)
        return accepted

    def _source(self, key: str, history: list[Version], reports: dict[str, str]) -> Accepted | None:
        stack = [version for version in history if not version.deleted]
        current = stack[-1] if stack and not stack[-1].is_marker else None
        record = self.records.get(key)
        shown = record is not None and record.status in LIVE_STATES
        if current is None:
            if shown:
                self.out.add(f"{key}: deleted, yet its record is {record.status if record else ''}")
            return None
        article = _article(key, current, self.site)
        if article is not None and self.holders.get(article.slug) == key:
            return self._expect_version(key, current, record, why="it holds its slug")
        # Refused: invalid, or its slug belongs to another source.
        reports[report_key(key)] = current.version_id
        if article is not None and self.holders.get(article.slug) is None and not self._left_pending(key):
            self.out.add(f"{key}: refused for slug {article.slug!r}, which nobody holds (a waiter was lost)")
        if not shown or record is None:
            candidates = _fallbacks(history, current, self.site, key)
            floor = _lower_bound(history, current, candidates)
            if floor is not None:
                self.out.add(f"{key}: {floor.version_id[:6]} was up when it was refused; now nothing is")
            return None
        candidates = _fallbacks(history, current, self.site, key)
        floor = _lower_bound(history, current, candidates)
        allowed = candidates[candidates.index(floor) :] if floor is not None else candidates
        version = next((v for v in allowed if v.version_id == record.source_version), None)
        if version is None:
            self.out.add(
                f"{key}: its newest version is refused and {str(record.source_version)[:6]} is up,"
                f" not one of {[v.version_id[:6] for v in allowed]}"
            )
            return None
        return self._expect_version(key, version, record, why="its newer version was refused")

    def _left_pending(self, key: str) -> bool:
        """A write freed this source to be tried again (it may never have been)."""
        return "follow-up lost behind a newer event" in KNOWN_DEFECTS and key in self.world.articles.freed

    def _expect_version(
        self, key: str, version: Version, record: ArticleRecord | None, why: str
    ) -> Accepted | None:
        article = _article(key, version, self.site)
        assert article is not None
        status = expected_status(article, self.now)
        if record is None or record.source_version != version.version_id or record.status != status:
            got = f"{record.status} {str(record.source_version)[:6]}" if record else "no record"
            self.out.add(f"{key}: expected {status} {version.version_id[:6]} ({why}), found {got}")
            return None
        if record.slug != article.slug or record.path != article.path:
            self.out.add(f"{key}: record has {record.path}, its version says {article.path}")
        self._check_updated_at(key, article, record)
        return Accepted(key, version, article, record, status)

    def _check_updated_at(self, key: str, article: Article, record: ArticleRecord) -> None:
        """Kept from the first upload of the same content, else the pipeline's clock when it recorded
        this one (never before the article's own time)."""
        same = [
            v
            for v in self.world.uploads.history[key]
            if (a := _article(key, v, self.site)) and a.content_hash == article.content_hash
        ]
        earliest = min(v.made_at for v in same)
        possible = {
            max(moment, article.published_at) for moment in self.world.clock_history if moment >= earliest
        }
        if record.updated_at not in possible:
            self.out.add(
                f"{key}: updated_at {record.updated_at} is no time the pipeline could have recorded it"
            )

    def _slugs(self, accepted: dict[str, Accepted]) -> None:
        for slug, holder in self.holders.items():
            shown = accepted.get(holder)
            if shown is None or shown.article.slug != slug:
                known = "change saved over an accepted waiter" in KNOWN_DEFECTS
                if not (known and holder in self.world.articles.freed):
                    self.out.add(f"slug {slug!r} is held by {holder}, which shows no version with that slug")

    def _reports(self, expected: dict[str, str]) -> None:
        reports = self.world.uploads.reports
        for key in sorted(set(reports) | set(expected)):
            if key not in reports:
                if not self._deleted_wrongly(key):
                    self.out.add(f"{key}: missing; the newest upload was refused")
            elif key not in expected:
                if not self._written_late(key) and not self._deletion_lost(key):
                    self.out.add(f"{key}: left behind; the newest upload was accepted or deleted")
            elif json.loads(reports[key])["version"] != expected[key] and not self._written_late(key):
                self.out.add(f"{key}: reports on another version than the newest")

    def _deletion_lost(self, report: str) -> bool:
        """The file's handling failed part-way since the report was written (so deleting it may
        never have run, or failed), or the file was a waiter whose acceptance was the follow-up
        lost (its own follow-up, deleting the report, went with it)."""
        if "follow-up lost behind a newer event" not in KNOWN_DEFECTS:
            return False
        source = json.loads(self.world.uploads.reports[report])["source"]
        world = self.world
        return (
            report in world.interrupted
            or report in world.uploads.failed_deletions
            or source in world.articles.freed
        )

    def _written_late(self, report: str) -> bool:
        return "reports race the record" in KNOWN_DEFECTS and report in self.world.late_reports

    def _deleted_wrongly(self, report: str) -> bool:
        return "reports race the record" in KNOWN_DEFECTS and report in self.world.wrongly_deleted_reports

    # --- the site ---------------------------------------------------------------------------------

    def expected_site(self, live: list[Accepted]) -> dict[str, bytes]:
        pages: dict[str, bytes] = {}
        for shown in live:
            page = render.article_page(shown.article, self.site, modified=shown.record.updated_at)
            pages[_key(shown.article.path)] = page
        newest_first = sorted(live, key=_rank, reverse=True)
        categories: dict[str, list[Accepted]] = {}
        for shown in newest_first:
            for category in shown.article.categories:
                categories.setdefault(category.slug, []).append(shown)
        summaries = []
        for slug, members in categories.items():
            category = next(c for c in members[0].article.categories if c.slug == slug)
            pages |= self._category_pages(category, members)
            newest = tuple(_entry(f"category/{slug}", shown) for shown in members[:SECTION_SIZE])
            summaries.append(
                ListingSummary(
                    listing=f"category/{slug}", members=len(members), name=category.name, newest=newest
                )
            )
        pages |= self.site_pages(newest_first, summaries)
        return pages

    def _category_pages(self, category: Category, newest_first: list[Accepted]) -> dict[str, bytes]:
        size = self.site.listing_size
        entries = [_entry(f"category/{category.slug}", shown) for shown in newest_first]
        oldest_first = list(reversed(entries))
        full = len(entries) // size
        # The front page shows the newest S; its "older" link goes to the newest numbered page that
        # it does not show whole.
        older = full if len(entries) % size else full - 1
        base = f"category/{category.slug}"
        pages = {
            f"{base}/index.html": render.category_page(
                category, entries[:size], self.site, page=None, older_page=older or None
            ),
            f"{base}/feed.xml": render.category_feed(category, entries[:size], self.site),
        }
        for number in range(1, full + 1):
            page = list(reversed(oldest_first[(number - 1) * size : number * size]))
            body = render.category_page(category, page, self.site, page=number, older_page=number - 1 or None)
            pages[f"{base}/page/{number}/index.html"] = body
        return pages

    def site_pages(self, newest_first: list[Accepted], sections: list[ListingSummary]) -> dict[str, bytes]:
        entries = [_entry("site", shown) for shown in newest_first]
        oldest_first = list(reversed(entries))
        latest = entries[: self.site.listing_size]
        pages = {
            "index.html": render.home_page(
                latest, sorted(sections, key=lambda s: s.name.casefold()), self.site
            ),
            "feed.xml": render.atom_feed(latest, self.site),
            "404.html": render.not_found_page(self.site),
            "style.css": render.stylesheet(self.site),
        }
        size = self.site.sitemap_size
        # The home page is one of the sitemap's URLs.
        if len(entries) + 1 <= size:
            pages["sitemap.xml"] = render.sitemap(oldest_first, self.site, home=True)
        else:
            chunks = -(-len(entries) // size)
            for number in range(1, chunks + 1):
                pages[f"sitemap-{number}.xml"] = render.sitemap(
                    oldest_first[(number - 1) * size : number * size], self.site
                )
            pages["sitemap.xml"] = render.sitemap_index(chunks, entries[:1], self.site)
        recent = [entry for entry in entries if entry.published_at >= self.now - NEWS_WINDOW]
        if recent:
            pages["news-sitemap.xml"] = render.news_sitemap(recent, self.site)
        pages["robots.txt"] = render.robots(self.site, news=bool(recent))
        return pages

    # --- the whole check --------------------------------------------------------------------------

    def check(self) -> None:
        world = self.world
        accepted = self.accepted()
        live = [shown for shown in accepted.values() if shown.status == "published"]
        expected = self.expected_site(live)
        actual = world.site.objects
        if not live:
            # A site that never had a live article has no home page yet; one that had has the empty one.
            empty = self.site_pages([], [])
            if not set(empty) & set(actual):
                expected = {key: body for key, body in expected.items() if key not in empty}
        for key in sorted(set(expected) | set(actual)):
            if key not in actual:
                self.out.add(f"site {key}: missing")
            elif key not in expected:
                if not self._past_the_end(key, expected):
                    self.out.add(f"site {key}: should not be there")
            elif actual[key] != expected[key]:
                difference = _difference(expected[key], actual[key])
                self.out.add(f"site {key}: content differs from the reference's: {difference}")
        scheduled = {
            schedule_name(key): shown.version.version_id
            for key, shown in accepted.items()
            if shown.status == "scheduled"
        }
        actual_schedules = {name: s.release.source_version for name, s in world.scheduler.schedules.items()}
        if actual_schedules != scheduled:
            self.out.add(f"schedules {actual_schedules} where {scheduled} are due")
        self._nothing_stuck()
        self._invalidations()
        self.out.raise_if_any(world)

    def _past_the_end(self, key: str, expected: dict[str, bytes]) -> bool:
        """A numbered page or sitemap after the last one expected."""
        if "overtaken render leaves pages past the end" not in KNOWN_DEFECTS:
            return False
        numbered = re.fullmatch(r"(category/[^/]+/page/|sitemap-)(\d+)(/index\.html|\.xml)", key)
        if numbered is None:
            return False
        prefix, number, suffix = numbered.groups()
        return all(f"{prefix}{n}{suffix}" not in expected for n in range(int(number), int(number) + 50))

    def _nothing_stuck(self) -> None:
        world = self.world
        for queue in (world.ingest_queue, world.invalidation_queue, world.rebuild_queue):
            if queue.dead_letters:
                self.out.add(
                    f"{queue.name}: {len(queue.dead_letters)} messages still dead-lettered after a redrive"
                )
        if world.schedule_dead_letters:
            self.out.add(f"releases still failing after a redrive: {world.schedule_dead_letters}")
        if world.failed_batches and world.repair is None:
            self.out.add(f"stream batches given up on, with nothing to repair them: {world.failed_batches}")
        for error in world.trouble.errors:
            self.out.add(f"a record failed for a reason that is no transient fault: {error}")

    def _invalidations(self) -> None:
        """Every object that was overwritten or deleted while readers may hold it is covered by an
        invalidation made after the change."""
        invalidations = self.world.cdn.invalidations
        for change in self.world.site.truth:
            if change.kind == "created" or not everything_long_cached(change.key):
                continue
            later = [i for i in invalidations if i.tick > change.tick]
            for path in public_paths(change.key):
                if not any(_covers(item, path) for i in later for item in i.paths):
                    self.out.add(f"CDN: {path} was {change.kind} and never invalidated after")


def _difference(expected: bytes, actual: bytes) -> str:
    """The lines that differ, briefly: what the reference expected (-) and what the site has (+)."""
    lines = difflib.unified_diff(
        expected.decode().splitlines(), actual.decode().splitlines(), lineterm="", n=0
    )
    changed = [line.strip() for line in lines if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    return " | ".join(changed[:6])


def _covers(item: str, path: str) -> bool:
    return path.startswith(item[:-1]) if item.endswith("*") else item == path


def _key(path: str) -> str:
    return f"{path.lstrip('/')}index.html"


def _rank(shown: Accepted) -> tuple[datetime, str]:
    """Listing order: by the article's time to the second, then by source key."""
    return (shown.article.published_at.astimezone(UTC).replace(microsecond=0), shown.key)


def _entry(listing: str, shown: Accepted) -> ListingEntry:
    article = shown.article
    moment, key = _rank(shown)
    return ListingEntry(
        listing=listing,
        position=f"{moment:%Y-%m-%dT%H:%M:%SZ}#{key}",
        source_key=shown.key,
        title=article.title,
        path=article.path,
        summary=article.summary,
        published_at=article.published_at,
        categories=article.categories,
        author=article.author,
        updated_at=shown.record.updated_at,
    )


def check(world: World) -> None:
    Oracle(world).check()
