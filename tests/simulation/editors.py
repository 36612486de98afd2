"""What editors upload, as hypothesis strategies: a few files, titles, slugs, sections, tags and
authors, so that sources meet on slugs and listings, plus invalid copy, drafts, and stories dated in
the future."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from hypothesis import strategies as st

from tests.simulation.reference import parsed
from tests.simulation.world import START, World

# A space and a plus: S3's events URL-encode keys, and both must come back as they were.
KEYS = [
    "incoming/a.md",
    "incoming/b.md",
    "incoming/budget day.md",
    "incoming/c+d.md",
    "incoming/e.md",
    "incoming/f.md",
]
TITLES = ["Budget day", "Council vote", "Storm warning", "Cup final"]
# None: the slug comes from the title, and "budget-day" also comes from "Budget day".
SLUGS = [None, None, "budget-day", "lead-story"]
# Each section in the spellings editors use; one slug for each, so the heading depends on which
# story is the newest.
SECTIONS = [("Économie", "Economie"), ("World",), ("Sport", "sport")]
# Tags and bylines: two spellings share each slug (the heading follows the newest story), and a story
# may repeat one; few enough that stories meet on them, so related stories are ranked by them.
TAGS = ["Council", "council", "Floods", "Libraries"]
AUTHORS = ["Priya Natarajan", "priya natarajan", "Tom Okafor"]
BODIES = ["The council met.", "A second take, *with emphasis*.", "Short."]
# Far in the past (never in the news sitemap); within the last day (always in it, for as long as the
# clock may run: TIME_LIMIT); in the future (scheduled, and released once the clock gets there).
# Equal times on different days and equal instants on one day: positions tie on time and are told
# apart by source key.
OLD = [
    "2025-06-20T10:00:00+01:00",
    "2025-06-21T09:00:00Z",
    "2025-06-21T10:00:00+01:00",
    "2025-06-22T10:00:00+01:00",
]
RECENT = [(START - timedelta(hours=hours)).isoformat() for hours in (2, 5)]
FUTURE = [(START + timedelta(hours=hours)).isoformat() for hours in (2, 5, 9)]
TIME_LIMIT = timedelta(hours=12)
# Corrections an editor appends, each with its date: after the old stories (one written as YAML
# reads a "date: text" line, a mapping), or within the clock's span, so that a correction may come
# after the story or, for one dated later, before it (refused, with a report); a correction is a
# change of what the story says, and dates `updated_at` at least by its own date.
CORRECTIONS = [
    "- 2025-06-23: The vote was five to four, not four to three.",
    f'- "{(START + timedelta(hours=3)).isoformat()}: The council meets on Tuesdays."',
    "- {date: 2025-06-24T08:30:00+01:00, text: An earlier version misspelt the councillor's name.}",
]


@dataclass(frozen=True)
class Copy:
    title: str
    slug: str | None
    categories: tuple[str, ...]
    date: str
    body: str
    draft: bool = False
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    # An impossible date: the upload is refused, with a report.
    invalid: bool = False
    # Lines of the `correction:` list (CORRECTIONS).
    corrections: tuple[str, ...] = ()

    def bytes(self) -> bytes:
        lines = ["---", f"title: {self.title}", f"date: {'2025-06-31' if self.invalid else self.date}"]
        lines.append(f"categories: [{', '.join(self.categories)}]")
        if self.slug:
            lines.append(f"slug: {self.slug}")
        if self.tags:
            lines.append(f"tags: [{', '.join(self.tags)}]")
        if self.authors:
            lines.append(f"authors: [{', '.join(self.authors)}]")
        if self.draft:
            lines.append("draft: true")
        if self.corrections:
            lines += ["correction:", *(f"  {line}" for line in self.corrections)]
        lines += ["---", self.body, ""]
        return "\n".join(lines).encode("utf-8")


@st.composite
def copies(draw: st.DrawFn, slug: str | None = None) -> Copy:
    sections = draw(st.lists(st.sampled_from(SECTIONS), min_size=1, max_size=2, unique=True))
    return Copy(
        title=draw(st.sampled_from(TITLES)),
        slug=slug or draw(st.sampled_from(SLUGS)),
        categories=tuple(draw(st.sampled_from(spellings)) for spellings in sections),
        date=draw(st.sampled_from(OLD + OLD + RECENT + FUTURE)),
        body=draw(st.sampled_from(BODIES)),
        draft=draw(st.integers(0, 9)) == 0,
        tags=tuple(draw(st.lists(st.sampled_from(TAGS), max_size=3))),
        authors=tuple(draw(st.lists(st.sampled_from(AUTHORS), max_size=2))),
        invalid=draw(st.integers(0, 7)) == 0,
        corrections=tuple(draw(st.lists(st.sampled_from(CORRECTIONS), max_size=2, unique=True)))
        if draw(st.integers(0, 3)) == 0
        else (),
    )


# An author's profile: the file is named by the slug of a byline in AUTHORS.
PROFILE_KEY = "incoming/authors/priya-natarajan.md"


@dataclass(frozen=True)
class Profile:
    name: str
    role: str
    same_as: tuple[str, ...]
    bio: str
    # A link that is not https://: the upload is refused, with a report.
    invalid: bool = False

    def bytes(self) -> bytes:
        links = [*self.same_as, *(["http://priya.example"] if self.invalid else [])]
        lines = ["---", f"name: {self.name}"]
        if self.role:
            lines.append(f"role: {self.role}")
        if links:
            lines.append(f"same_as: [{', '.join(links)}]")
        lines += ["---", self.bio, ""]
        return "\n".join(lines).encode("utf-8")


@st.composite
def profiles(draw: st.DrawFn) -> Profile:
    return Profile(
        name=draw(st.sampled_from(["Priya Natarajan", "Priya N."])),
        role=draw(st.sampled_from(["", "Local government correspondent"])),
        same_as=draw(st.sampled_from([(), ("https://mastodon.example/@priya",)])),
        bio=draw(st.sampled_from(BODIES)),
        invalid=draw(st.integers(0, 5)) == 0,
    )


def served_slug(world: World, key: str) -> str | None:
    """The slug of the version the key serves, if it is a valid article."""
    serving = world.uploads.serving(key)
    if serving is None or serving.data is None:
        return None
    article = parsed(key, serving.data, world.settings)
    return article.slug if article else None
