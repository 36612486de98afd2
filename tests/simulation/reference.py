"""The reference: what the site must be, derived from the uploads bucket alone, and the oracle that
compares it with what the simulated pipeline left behind, byte for byte.

It shares no logic with `index.py` or `listings.py`. It reads uploads with the validator (what an
upload says is not what is under test here) and renders with `pressrun.render` (rendering is
deterministic); which articles are live, where they are listed, how listings paginate and what the
sitemaps hold it works out from the documented rules:

- README, "Writing articles": a story is listed under each of its sections (`/category/<slug>/`),
  tags (`/tag/<slug>/`) and authors (`/author/<slug>/`), each listing with its own feed; after each
  story come related stories, chosen among those published before it.
- docs/architecture.md, "Stable pagination": `page/<n>/` holds articles (n-1)·S+1 to n·S, numbered
  from the oldest; the front page holds the rest, the newest S to 2S-1 (all of them below 2S); a
  feed shows the newest S. "A listing's heading": the spelling of its newest story.
- docs/architecture.md, "Related stories": up to five of the stories published before it, from its
  first five tags and first section (the site's when those give fewer than three), ranked by the
  tags shared, then a shared section, then recency.
- docs/architecture.md, "Sitemaps": the home page and every article; past SITEMAP_SIZE URLs an index
  of `/sitemap-<n>.xml`, numbered from the oldest; `/sitemap-listings.xml` for the home page and
  every listing's front page (an index of `/sitemap-listings-<n>.xml` past SITEMAP_SIZE);
  `/news-sitemap.xml` for the last 48 hours, absent when empty; `robots.txt` names them.
- docs/architecture.md, "Which sections the header names": every page's header names the sections
  with stories, by name (a preview page its own sections only).
- README, "Previews": a draft or scheduled story has one private preview, its page at
  `/preview/<expiry>-<token>/` and `previews/<name>.json` for the editor, until it expires; a story
  live since redirects that address to its own; nothing else is at any preview address. The token is
  random, so the reference checks its shape, and the expiry against the times the pipeline could
  have minted it (one lifetime after any moment of the clock, to the minute).

Where the rules leave a choice to the order of events, the reference accepts the pipeline's choice
if it is one the rules allow, and checks everything that follows from it:
- who holds a slug two sources claim (the first to be recorded);
- which earlier version stays up when the newest one is refused (invalid, or its slug is taken): any
  valid version since the last delete marker, or none, but never older than the one that was up when
  the refused version was uploaded;
- when an article's content last changed (`updated_at`): its own time, or, once an earlier version
  with other content could have been public, the pipeline's clock when it recorded it.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pressrun import render
from pressrun.feeds import FeedItem
from pressrun.index import ListingEntry, ListingKind, ListingSummary
from pressrun.ingest import REJECTED, report_key
from pressrun.model import (
    Article,
    ArticleRecord,
    AuthorProfile,
    Category,
    InvalidArticle,
    Preview,
    slugify,
)
from pressrun.previews import preview_report, preview_report_key
from pressrun.profiles import AUTHORS, PROFILE_STATUS, parse_profile
from pressrun.scheduling import schedule_name
from pressrun.settings import SiteSettings
from pressrun.urls import (
    feed_item_key,
    is_immutable,
    is_long_cached,
    json_feed_path,
    object_key,
    public_paths,
)
from pressrun.validation import parse_article
from tests.simulation.adapters import Version
from tests.simulation.world import World

# What the home page shows of each section: its newest three (docs/architecture.md, "Summaries").
SECTION_SIZE = 3
NEWS_WINDOW = timedelta(hours=48)
LIVE_STATES = ("published", "draft", "scheduled")


def needs_invalidation(key: str) -> bool:
    """Which site objects readers may hold stale copies of, so that changing them needs an
    invalidation: the long-cached ones, save image renditions, whose names never change their bytes
    (README, "What readers get"); listings expire within LISTING_FRESHNESS_SECONDS by themselves."""
    return is_long_cached(key) and not is_immutable(key)


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
    for key, history in world.uploads.every_version.items():
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
    if version.data is None or key.startswith(AUTHORS):
        return None
    return parsed(key, version.data, site)


def _profile(key: str, version: Version, site: SiteSettings) -> AuthorProfile | None:
    return None if version.data is None else parsed_profile(key, version.data, site)


def _valid(key: str, version: Version, site: SiteSettings) -> bool:
    if key.startswith(AUTHORS):
        return _profile(key, version, site) is not None
    return _article(key, version, site) is not None


@functools.lru_cache(maxsize=1024)
def parsed_profile(key: str, data: bytes, site: SiteSettings) -> AuthorProfile | None:
    """The profile an upload under `incoming/authors/` holds, or None when it is refused."""
    try:
        return parse_profile(key, data, site)[0]
    except InvalidArticle:
        return None


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
    """The versions that may stay up while `current` is refused: valid ones the key still keeps,
    since the last delete marker it still has, oldest first (articles, or profiles)."""
    found: list[Version] = []
    for version in reversed(history[: history.index(current)]):
        if version.deleted:
            continue
        if version.is_marker:
            break
        if _valid(key, version, site):
            found.append(version)
    return list(reversed(found))


def _lower_bound(history: list[Version], current: Version, candidates: list[Version]) -> Version | None:
    """The version that was up when `current` was uploaded, if a refusal must leave it (or a later
    one) up: only when no delete marker came between."""
    up = next((v for v in candidates if v.version_id == current.pipeline_had), None)
    if up is None:
        return None
    between = history[history.index(up) + 1 : history.index(current)]
    return None if any(version.is_marker and not version.deleted for version in between) else up


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
        self.profiles: dict[str, AuthorProfile] = {}
        for key, history in self.world.uploads.every_version.items():
            if key.startswith(AUTHORS):
                self._profile_source(key, history, expected_reports)
                continue
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
        if article is not None and self.holders.get(article.slug) is None:
            self.out.add(f"{key}: refused for slug {article.slug!r}, which nobody holds (a waiter was lost)")
        if not shown or record is None:
            candidates = _fallbacks(history, current, self.site, key)
            floor = self._floor(key, history, current, candidates)
            if floor is not None:
                self.out.add(f"{key}: {floor.version_id[:6]} was up when it was refused; now nothing is")
            return None
        candidates = _fallbacks(history, current, self.site, key)
        floor = self._floor(key, history, current, candidates)
        allowed = candidates[candidates.index(floor) :] if floor is not None else candidates
        version = next((v for v in allowed if v.version_id == record.source_version), None)
        if version is None:
            self.out.add(
                f"{key}: its newest version is refused and {str(record.source_version)[:6]} is up,"
                f" not one of {[v.version_id[:6] for v in allowed]}"
            )
            return None
        return self._expect_version(key, version, record, why="its newer version was refused")

    def _profile_source(self, key: str, history: list[Version], reports: dict[str, str]) -> None:
        """An author's profile (README, "Author profiles"): the newest upload wins; a refused one
        leaves a report, and what may stay up behind it is what may for a story."""
        stack = [version for version in history if not version.deleted]
        current = stack[-1] if stack and not stack[-1].is_marker else None
        record = self.records.get(key)
        shown = record is not None and record.status == PROFILE_STATUS
        if current is None:
            if shown:
                self.out.add(f"{key}: deleted, yet its profile is kept")
            return
        allowed = [current]
        if _profile(key, current, self.site) is None:
            reports[report_key(key)] = current.version_id
            candidates = _fallbacks(history, current, self.site, key)
            floor = _lower_bound(history, current, candidates)
            allowed = candidates[candidates.index(floor) :] if floor is not None else candidates
            if floor is None and not shown:
                return
        version = next(
            (v for v in allowed if record and shown and v.version_id == record.source_version), None
        )
        if version is None:
            got = f"{record.status} {str(record.source_version)[:6]}" if record else "no record"
            self.out.add(
                f"{key}: expected a profile from one of {[v.version_id[:6] for v in allowed]}, found {got}"
            )
            return
        profile = _profile(key, version, self.site)
        assert profile is not None
        if record is not None and record.profile != profile:
            self.out.add(f"{key}: record keeps {record.profile}, its version says {profile}")
        self.profiles[key.removeprefix(AUTHORS).removesuffix(".md")] = profile

    def _floor(
        self, key: str, history: list[Version], current: Version, candidates: list[Version]
    ) -> Version | None:
        """`_lower_bound`, unless another file holds its slug by now (after a rename and an undelete,
        say): then it cannot come back, and nothing need be up."""
        floor = _lower_bound(history, current, candidates)
        article = _article(key, floor, self.site) if floor is not None else None
        if article is not None and self.holders.get(article.slug) not in (None, key):
            return None
        return floor

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
        """README, honest dates: a story's first publication is dated by its own time, however late
        it was delivered; an upload of content it already had keeps the time it had; a change made
        after readers saw the story is dated by the pipeline's clock when it recorded it (never
        before the story's own time); a correction is a change dated at least by its own date. Which
        version readers saw before depends on delivery order (and a version recorded, then deleted,
        hands back to an older one), so a clock time is allowed only once a version with other content
        that could have been public (valid, not a draft) was uploaded, and this content too."""
        history = self.world.uploads.every_version[key]
        shown = [(version, a) for version in history if (a := _article(key, version, self.site))]
        same = [version.made_at for version, a in shown if a.content_hash == article.content_hash]
        other = [
            version.made_at for version, a in shown if a.content_hash != article.content_hash and not a.draft
        ]
        possible = {article.published_at}
        if other:
            since = max(min(same), min(other))
            possible |= {
                max(moment, article.published_at) for moment in self.world.clock_history if moment >= since
            }
        corrected = max((correction.date for correction in article.corrections), default=None)
        if corrected is not None:
            possible = {max(moment, corrected) for moment in possible}
        if record.updated_at not in possible:
            self.out.add(
                f"{key}: updated_at {record.updated_at} is no time the pipeline could have recorded it"
            )

    def _slugs(self, accepted: dict[str, Accepted]) -> None:
        for slug, holder in self.holders.items():
            shown = accepted.get(holder)
            if shown is None or shown.article.slug != slug:
                self.out.add(f"slug {slug!r} is held by {holder}, which shows no version with that slug")

    def _reports(self, expected: dict[str, str]) -> None:
        reports = {key: body for key, body in self.world.uploads.reports.items() if key.startswith(REJECTED)}
        for key in sorted(set(reports) | set(expected)):
            if key not in reports:
                self.out.add(f"{key}: missing; the newest upload was refused")
            elif key not in expected:
                self.out.add(f"{key}: left behind; the newest upload was accepted or deleted")
            elif json.loads(reports[key])["version"] != expected[key]:
                self.out.add(f"{key}: reports on another version than the newest")

    # --- the site ---------------------------------------------------------------------------------

    def expected_site(self, live: list[Accepted]) -> dict[str, bytes]:
        self.items: dict[str, FeedItem] = {}
        newest_first = sorted(live, key=_rank, reverse=True)
        listings: dict[str, list[ListingEntry]] = {}
        for shown in newest_first:
            for listing, name in _listed_in(shown.article).items():
                listings.setdefault(listing, []).append(_entry(listing, shown, name))
        summaries = [
            ListingSummary(
                listing=listing,
                members=len(entries),
                name=entries[0].listed_as,
                newest=tuple(entries[:SECTION_SIZE]),
            )
            for listing, entries in listings.items()
            if listing.startswith(f"{ListingKind.CATEGORY}/")
        ]
        # docs/architecture.md, "Which sections the header names": every page names the sections in
        # use, by name.
        header = render.header_sections(summaries, self.site)
        pages: dict[str, bytes] = {}
        for shown in live:
            page = render.article_page(
                shown.article,
                self.site,
                modified=shown.record.updated_at,
                record=shown.record,
                related=_related(shown, newest_first),
                profiles={
                    slug: profile
                    for author in shown.article.authors
                    if (profile := self.profiles.get(slug := slugify(author))) is not None
                },
                header=header,
            )
            pages[_key(shown.article.path)] = page
            # Its feed item beside it, which every feed listing it carries whole.
            item = render.feed_item(shown.article, self.site, shown.record.updated_at, shown.record)
            pages[feed_item_key(shown.article.path)] = item
            self.items[shown.article.path] = FeedItem.model_validate_json(item)
        for listing, entries in listings.items():
            pages |= self._listing_pages(listing, entries, header)
        pages |= self.site_pages(newest_first, summaries, sorted(listings))
        return pages

    def _listing_pages(
        self, listing: str, newest_first: list[ListingEntry], header: tuple[Category, ...]
    ) -> dict[str, bytes]:
        """A section's, tag's or author's pages: numbered pages of S from the oldest, the front page
        the newest S to 2S-1 (all of them below 2S), its feed the newest S."""
        size = self.site.listing_size
        kind, _, slug = listing.partition("/")
        # The heading is the newest story's spelling of the listing, or the author's name as their
        # profile gives it; the profile itself is on the front page only.
        profile = self.profiles.get(slug) if kind == ListingKind.AUTHOR else None
        shown = render.Listing(
            ListingKind(kind), slug, profile.name if profile else newest_first[0].listed_as
        )
        front_page = render.Listing(shown.kind, slug, shown.heading, profile)
        oldest_first = list(reversed(newest_first))
        numbered = max(0, len(newest_first) // size - 1)
        front = newest_first[: len(newest_first) - numbered * size]
        pages = {
            _key(shown.path): render.listing_page(front_page, front, self.site, None, numbered, header),
            _key(shown.feed_path): render.listing_feed(shown, front[:size], self.site, self._item),
            _key(json_feed_path(shown.feed_path)): render.listing_json_feed(
                shown, front[:size], self.site, self._item
            ),
        }
        for number in range(1, numbered + 1):
            page = list(reversed(oldest_first[(number - 1) * size : number * size]))
            body = render.listing_page(shown, page, self.site, number, numbered, header)
            pages[_key(shown.page_path(number))] = body
        return pages

    def site_pages(
        self, newest_first: list[Accepted], sections: list[ListingSummary], listings: list[str]
    ) -> dict[str, bytes]:
        entries = [_entry("site", shown, "") for shown in newest_first]
        oldest_first = list(reversed(entries))
        latest = entries[: self.site.listing_size]
        header = render.header_sections(sections, self.site)
        pages = {
            "index.html": render.home_page(
                latest, sorted(sections, key=lambda s: s.name.casefold()), self.site, header
            ),
            "feed.xml": render.atom_feed(latest, self.site, self._item),
            "feed.json": render.site_json_feed(latest, self.site, self._item),
            "404.html": render.not_found_page(self.site, header),
            "style.css": render.stylesheet(self.site),
            "logo.png": render.logo(self.site),
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
        pages |= self._listings_sitemaps(listings)
        # Issue 16: the news sitemap always exists, empty when nothing is from the last 48 hours.
        recent = [entry for entry in entries if entry.published_at >= self.now - NEWS_WINDOW]
        pages["news-sitemap.xml"] = render.news_sitemap(recent, self.site)
        pages["robots.txt"] = render.robots(self.site, listings=bool(entries))
        return pages

    def _item(self, entry: ListingEntry) -> FeedItem:
        """The feed item of a live story, as its page's render wrote it."""
        return self.items[entry.path]

    # --- previews ---------------------------------------------------------------------------------

    def previews(self, accepted: dict[str, Accepted]) -> dict[str, bytes]:
        """The preview pages the site must hold; checks the editors' reports and the redirects."""
        pages: dict[str, bytes] = {}
        reports: dict[str, bytes] = {}
        redirects: dict[str, str] = {}
        for key, shown in sorted(accepted.items()):
            preview = shown.record.preview
            if shown.status in ("draft", "scheduled"):
                if preview is None:
                    self.out.add(f"{key}: a {shown.status} without a preview")
                    continue
                self._check_minted(key, preview)
                if preview.expired(self.now):
                    continue
                pages[object_key(preview.path)] = render.article_page(
                    shown.article,
                    self.site,
                    modified=shown.record.updated_at,
                    record=shown.record,
                    preview_expires=preview.expires,
                )
                reports[preview_report_key(key)] = preview_report(shown.record, self.site)
            elif preview is not None and not preview.expired(self.now):
                redirects[preview.path] = shown.article.path
        actual = {
            key: body for key, body in self.world.uploads.reports.items() if not key.startswith(REJECTED)
        }
        for key in sorted(set(actual) | set(reports)):
            if actual.get(key) != reports.get(key):
                self.out.add(f"{key}: {actual.get(key)!r} where the preview says {reports.get(key)!r}")
        # Previews' redirects only: a moved story's are the redirects' own (pressrun.redirects).
        held = {
            path: to for path, to in self.world.redirects.redirects.items() if path.startswith("/preview/")
        }
        if held != redirects:
            self.out.add(f"preview redirects {held} where {redirects} are due")
        return pages

    def _check_minted(self, key: str, preview: Preview) -> None:
        lifetime = timedelta(days=self.site.preview_lifetime_days)
        minted = {_whole_minute(moment + lifetime) for moment in self.world.clock_history}
        if preview.expires not in minted:
            self.out.add(f"{key}: preview expires {preview.expires}, one lifetime after no time of the clock")
        if len(preview.token) < 32 or not set(preview.token) <= _TOKEN_CHARACTERS:
            self.out.add(f"{key}: preview token {preview.token!r} is not 32 URL-safe characters or more")

    def _listings_sitemaps(self, listings: list[str]) -> dict[str, bytes]:
        """docs/architecture.md, "Sitemaps": the home page and every listing's front page, each listing
        in the file chosen when it was first named (the order listings were made in chooses, so the
        pipeline's choice is taken from its files and checked: every listing with stories in one file,
        none without, each file within SITEMAP_SIZE URLs, home in the first), in name order within
        its file; `/sitemap-listings.xml` that file while there is one, else the index of them all."""
        size = self.site.sitemap_size
        placed, files = _listings_sitemap_placement(self.world.site.objects, self.site.site_url)
        if files == 0 and listings:
            files = 1
        for listing in listings:
            if listing not in placed:
                self.out.add(f"listings sitemap: no file names /{listing}/")
                placed[listing] = 1
        named: dict[int, list[str]] = {number: [] for number in range(1, files + 1)}
        for listing in sorted(listings):
            named[placed[listing]].append(f"/{listing}/")
        pages: dict[str, bytes] = {}
        for number, fronts in named.items():
            urls = ["/", *fronts] if number == 1 else fronts
            if len(urls) > size:
                self.out.add(f"listings sitemap file {number}: {len(urls)} URLs, past SITEMAP_SIZE {size}")
            if files == 1:
                if fronts:
                    pages["sitemap-listings.xml"] = render.pages_sitemap(urls, self.site)
            else:
                # A file whose every listing was emptied names the home page alone.
                pages[f"sitemap-listings-{number}.xml"] = render.pages_sitemap(urls or ["/"], self.site)
        if files > 1:
            pages["sitemap-listings.xml"] = render.listings_sitemap_index(files, self.site)
        return pages

    # --- the whole check --------------------------------------------------------------------------

    def check(self) -> None:
        world = self.world
        accepted = self.accepted()
        live = [shown for shown in accepted.values() if shown.status == "published"]
        expected = self.expected_site(live) | self.previews(accepted)
        actual = world.site.objects
        if not live:
            # A site that never had a live article has no home page yet, only what the sweep renders on
            # its clock (the news sitemap and robots.txt); one that had has the empty one.
            empty = self.site_pages([], [], [])
            if "index.html" not in actual:
                swept = {"news-sitemap.xml", "robots.txt"}
                expected = {key: body for key, body in expected.items() if key not in empty or key in swept}
        for key in sorted(set(expected) | set(actual)):
            if key not in actual:
                self.out.add(f"site {key}: missing")
            elif key not in expected:
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
            if change.kind == "created" or not needs_invalidation(change.key):
                continue
            later = [i for i in invalidations if i.tick > change.tick]
            for path in public_paths(change.key):
                if not any(_covers(item, path) for i in later for item in i.paths):
                    self.out.add(f"CDN: {path} was {change.kind} and never invalidated after")


_TOKEN_CHARACTERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _whole_minute(moment: datetime) -> datetime:
    """Rounded up to the minute, in UTC: what a preview's address can say of its expiry."""
    whole = moment.astimezone(UTC).replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)


def _listings_sitemap_placement(objects: dict[str, bytes], site_url: str) -> tuple[dict[str, int], int]:
    """Which file of the site's listings sitemap names each listing, and how many files there are:
    what the pipeline chose."""
    index = objects.get("sitemap-listings.xml", b"").decode()
    if "<sitemapindex" in index:
        files = len(re.findall(r"<sitemap>", index))
        bodies = {n: objects.get(f"sitemap-listings-{n}.xml", b"").decode() for n in range(1, files + 1)}
    else:
        bodies = {1: index} if index else {}
    placed: dict[str, int] = {}
    for number, body in sorted(bodies.items(), reverse=True):
        for loc in re.findall(r"<loc>([^<]*)</loc>", body):
            path = loc.removeprefix(site_url.rstrip("/"))
            if path != "/":
                placed[path.strip("/")] = number
    return placed, len(bodies)


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
    """The site object a path is served from: a folder's index.html, or the file itself."""
    return f"{path.lstrip('/')}index.html" if path.endswith("/") else path.lstrip("/")


def _rank(shown: Accepted) -> tuple[datetime, str]:
    """Listing order: by the article's time to the second, then by source key."""
    return (shown.article.published_at.astimezone(UTC).replace(microsecond=0), shown.key)


def _entry(listing: str, shown: Accepted, name: str) -> ListingEntry:
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
        authors=article.authors,
        updated_at=shown.record.updated_at,
        listed_as=name,
        rendered_from=shown.record.rendered_from,
    )


def _listed_in(article: Article) -> dict[str, str]:
    """README, "Writing articles": a story is listed under each section, tag and author, each with the
    story's spelling of it (the first of those sharing a slug)."""
    listed: dict[str, str] = {}
    for kind, names in (
        (ListingKind.CATEGORY, [category.name for category in article.categories]),
        (ListingKind.TAG, list(article.tags)),
        (ListingKind.AUTHOR, list(article.authors)),
    ):
        for name in names:
            if slug := slugify(name):
                listed.setdefault(f"{kind}/{slug}", name)
    return listed


# docs/architecture.md, "Related stories": at most five, at least three where that many were published
# before; candidates from the first five tags and the first section, the site's if those give fewer.
RELATED_MOST = 5
RELATED_MINIMUM = 3
RELATED_TAGS = 5


def _related(shown: Accepted, newest_first: list[Accepted]) -> list[ListingEntry]:
    """The stories offered after this one: only those published before it, ranked by how many of its
    first five tags they share, then by sharing one of its sections, then newest first. (The site has
    fewer stories than the ten the rules read from each listing, so no listing is cut short.)"""
    earlier = [other for other in newest_first if _rank(other) < _rank(shown)]
    tags = list(dict.fromkeys(slug for tag in shown.article.tags if (slug := slugify(tag))))
    tags = tags[:RELATED_TAGS]
    sections = {category.slug for category in shown.article.categories}
    first_section = shown.article.categories[0].slug

    def tag_slugs(other: Accepted) -> set[str]:
        return {slugify(tag) for tag in other.article.tags}

    def section_slugs(other: Accepted) -> set[str]:
        return {category.slug for category in other.article.categories}

    candidates = [
        other for other in earlier if set(tags) & tag_slugs(other) or first_section in section_slugs(other)
    ]
    if len(candidates) < RELATED_MINIMUM:
        candidates = earlier
    ranked = sorted(
        candidates,
        key=lambda other: (-len(set(tags) & tag_slugs(other)), not sections & section_slugs(other)),
    )
    return [_entry("site", other, "") for other in ranked[:RELATED_MOST]]


def check(world: World) -> None:
    Oracle(world).check()
