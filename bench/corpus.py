"""A deterministic news corpus: N articles of ~3 KB Markdown in 20 categories, written three ways.

- `pressrun` and `hugo`: YAML front matter (title, date, categories, tags, author, summary, slug).
  pressrun and Hugo read the very same bytes, so those two variants are one file.
- `pelican`: Pelican's own header lines (Title:, Date:, Category:, Tags:, Author:, Summary:, Slug:),
  which Python-Markdown's meta extension reads; pressrun reads that form too.

Article i is the same whatever N is (its text depends only on i), so the 100-article corpus is the
first 100 of the 10,000. Articles are dated one every 52 minutes, oldest first, ending before
`NOW`; the "new" articles the benchmarks publish (`extra_article`) are dated after all of them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

# The clock every benchmark runs on (pressrun --now), so the news sitemap and schedules are stable.
NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
SPACING = timedelta(minutes=52)
LARGEST = 10_000
FIRST_DATE = NOW - timedelta(days=1) - SPACING * LARGEST

CATEGORIES = (
    "Politics", "Economics", "Business", "World", "UK", "Local", "Health", "Education", "Science",
    "Technology", "Environment", "Culture", "Arts", "Books", "Sport", "Football", "Travel", "Food",
    "Opinion", "Obituaries",
)  # fmt: skip
AUTHORS = (
    "Priya Natarajan", "Tom Ashworth", "Grace Okafor", "Liam O'Neill", "Hannah Schmidt", "Ravi Menon",
    "Sofia Alvarez", "James Whitfield", "Amara Nwosu", "Ewan MacLeod", "Chloe Dubois", "Daniel Kowalski",
    "Fatima Rahman", "Oliver Grant", "Isla Campbell", "Marcus Bell", "Yuki Tanaka", "Aisha Begum",
    "Callum Reid", "Nadia Petrova",
)  # fmt: skip
_WORDS = (
    "council budget minister vote plan housing rates bank market trade school hospital river road "
    "police court report study data energy price wage workers union strike talks deal rail bus "
    "transport climate flood storm harvest farmers museum theatre festival library season club match "
    "league striker coach injury record growth inflation forecast survey voters campaign election "
    "policy reform tax spending deficit debt investment factory jobs exports imports shipping port "
    "airport tourism hotel restaurant menu chef recipe novel author poetry gallery exhibition artist "
    "concert orchestra film director cinema research scientists university students teachers exam "
    "results funding grant charity volunteers residents neighbours street park green bridge tunnel "
    "project contract review inquiry committee chair leader opposition government department agency "
    "regulator licence permit planning development site homes tenants landlords rent mortgage lenders "
    "savers pensions benefits care nurses doctors patients waiting list clinic vaccine trial"
).split()
_CONNECTIVES = ("and", "but", "while", "after", "because", "as", "although", "before", "since", "so")
_TITLE_VERBS = (
    "Approves", "Rejects", "Delays", "Backs", "Warns Over", "Cuts", "Expands", "Reviews", "Unveils",
    "Questions", "Defends", "Launches", "Halts", "Doubles", "Eases",
)  # fmt: skip


@dataclass(frozen=True)
class Article:
    index: int
    name: str  # the upload name, e.g. a00042-council-approves-budget.md
    title: str
    slug: str
    date: datetime
    category: str
    tags: tuple[str, ...]
    author: str
    summary: str
    body: str

    def yaml(self) -> str:
        tags = ", ".join(self.tags)
        return (
            "---\n"
            f'title: "{self.title}"\n'
            f"date: {self.date.strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
            f"categories: [{self.category}]\n"
            f"tags: [{tags}]\n"
            f"author: {self.author}\n"
            f'summary: "{self.summary}"\n'
            f"slug: {self.slug}\n"
            "---\n"
            f"{self.body}"
        )

    def pelican(self) -> str:
        return (
            f"Title: {self.title}\n"
            f"Date: {self.date.strftime('%Y-%m-%d %H:%M')}\n"
            f"Category: {self.category}\n"
            f"Tags: {', '.join(self.tags)}\n"
            f"Author: {self.author}\n"
            f"Summary: {self.summary}\n"
            f"Slug: {self.slug}\n"
            "\n"
            f"{self.body}"
        )


def _sentence(rng: random.Random, words: int) -> str:
    picked = [rng.choice(_WORDS) for _ in range(words)]
    if words > 8 and rng.random() < 0.5:
        picked.insert(words // 2, rng.choice(_CONNECTIVES))
    if rng.random() < 0.15:
        i = rng.randrange(len(picked))
        picked[i] = f"**{picked[i]}**"
    elif rng.random() < 0.15:
        i = rng.randrange(len(picked))
        picked[i] = f"*{picked[i]}*"
    if rng.random() < 0.08:
        i = rng.randrange(len(picked))
        picked[i] = f"[{picked[i]}](https://example.org/{picked[i].strip('*')}/{rng.randrange(10**6)})"
    text = " ".join(picked)
    return text[0].upper() + text[1:] + rng.choice(".....?")


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng, rng.randint(9, 22)) for _ in range(rng.randint(3, 5)))


def _body(rng: random.Random) -> str:
    """About 3 KB of Markdown: paragraphs, a quote, sometimes a list or a subheading."""
    parts: list[str] = []
    while sum(len(part) + 2 for part in parts) < 2900:
        roll = rng.random()
        if roll < 0.08 and parts:
            quote = _sentence(rng, rng.randint(10, 18)).rstrip(".?")
            parts.append(f"> “{quote},” {rng.choice(AUTHORS).split()[0].lower()} said.")
        elif roll < 0.13 and parts:
            parts.append("\n".join(f"- {_sentence(rng, rng.randint(5, 10))}" for _ in range(rng.randint(3, 5))))
        elif roll < 0.17 and parts:
            parts.append(f"## {_sentence(rng, rng.randint(3, 6)).rstrip('.?').replace('*', '')}")
        else:
            parts.append(_paragraph(rng))
    return "\n\n".join(parts) + "\n"


def _title(rng: random.Random) -> str:
    subject = " ".join(rng.choice(_WORDS).capitalize() for _ in range(rng.randint(1, 2)))
    rest = " ".join(rng.choice(_WORDS).capitalize() for _ in range(rng.randint(2, 4)))
    return f"{subject} {rng.choice(_TITLE_VERBS)} {rest}"


def _slugify(text: str) -> str:
    return "-".join("".join(c for c in word.lower() if c.isalnum()) for word in text.split()).strip("-")


def article(index: int, date: datetime | None = None, category: str | None = None) -> Article:
    rng = random.Random(f"pressrun-bench-{index}")
    title = _title(rng)
    slug = f"{_slugify(title)}-{index}"
    body = _body(rng)
    summary = _sentence(rng, rng.randint(12, 20)).replace("*", "").replace('"', "")
    summary = "".join(c for c in summary if c not in "[]()")[:150]
    return Article(
        index=index,
        name=f"a{index:05d}-{slug}.md",
        title=title,
        slug=slug,
        date=date or FIRST_DATE + SPACING * index,
        category=category or CATEGORIES[rng.randrange(len(CATEGORIES))],
        tags=tuple(sorted({rng.choice(_WORDS) for _ in range(3)})),
        author=rng.choice(AUTHORS),
        summary=summary,
        body=body,
    )


def extra_article(number: int) -> Article:
    """The n-th new article a benchmark publishes into an existing site: newer than every corpus
    article, dated before NOW (so published, not scheduled), in one category."""
    index = LARGEST + 1000 + number
    return article(index, date=NOW - timedelta(hours=12) + timedelta(seconds=number), category="Politics")


def write_corpus(folder: Path, count: int, variant: str) -> Path:
    """Write articles 0..count-1 into folder (created), in the variant's form; idempotent."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / ".complete"
    if marker.exists() and marker.read_text() == f"{count} {variant}":
        return folder
    for i in range(count):
        a = article(i)
        text = a.pelican() if variant == "pelican" else a.yaml()
        (folder / a.name).write_text(text, encoding="utf-8")
    marker.write_text(f"{count} {variant}")
    return folder


if __name__ == "__main__":
    import sys

    sample = article(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print(sample.yaml())
    print(len(sample.yaml().encode()), "bytes")
