"""Pagefind's build of the search bundle for sites of N stories: the time `search.refresh_search` spends
in the indexer (the part that grows with the site), the bundle's size and files, and what a reader's
first search downloads.

    .venv/bin/python bench/search_bench.py 1000 10000 [--write-docs]

Pages are the corpus's stories rendered as the pipeline renders them (`validation.parse_article`,
`render.article_page`), so Pagefind reads what it reads in production. `--write-docs` replaces the
figures between the search markers in docs/performance-search.md.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from typing import Any

from common import RESULTS, ROOT, log, machine, timed, write_json
from corpus import article, extra_article

from pressrun import render
from pressrun.search_bundle import PagefindIndexer
from pressrun.settings import SiteSettings
from pressrun.validation import parse_article

SITE = SiteSettings(site_url="http://localhost:8000")
MARKERS = ("<!-- search-bench:start -->", "<!-- search-bench:end -->")
# A first search loads the loader, the UI, the WebAssembly, the entry and metadata, one index chunk
# per word typed and the fragments of the results shown (the UI shows five at first).
FRAGMENTS_SHOWN = 5


def page(story: Any) -> tuple[str, str]:
    parsed = parse_article(f"incoming/{story.name}", story.yaml().encode("utf-8"), SITE)
    return parsed.path, render.article_page(parsed, SITE).decode("utf-8")


def pages(count: int) -> list[tuple[str, str]]:
    return [page(article(index)) for index in range(count)]


def measure(count: int) -> dict[str, object]:
    log(f"search: rendering {count} pages")
    site_pages = pages(count)
    log(f"search: indexing {count} pages with Pagefind")
    seconds, bundle = timed(lambda: PagefindIndexer(SITE.site_language).build(site_pages))
    sizes = {name: len(body) for name, body in bundle.items()}
    chunks = [size for name, size in sizes.items() if name.startswith("index/")]
    fragments = [size for name, size in sizes.items() if name.startswith("fragment/")]
    fixed = [
        name
        for name in sizes
        if name in {"pagefind.js", "pagefind-ui.js", "pagefind-ui.css", "pagefind-entry.json"}
        or name.startswith("wasm.en")
        or name.endswith(".pf_meta")
    ]
    # What one more story changes: the files a rebuild writes (the bundle's names are content hashes).
    log(f"search: indexing {count} pages and one more")
    more_seconds, more = timed(
        lambda: PagefindIndexer(SITE.site_language).build([*site_pages, page(extra_article(1))])
    )
    changed = sum(1 for name, body in more.items() if bundle.get(name) != body)
    retired = len(set(bundle) - set(more))
    first_search = (
        sum(sizes[name] for name in fixed)
        + statistics.median(chunks)
        + FRAGMENTS_SHOWN * statistics.median(fragments)
    )
    return {
        "stories": count,
        "index_seconds": round(seconds, 2),
        "one_more_seconds": round(more_seconds, 2),
        "one_more_written": changed,
        "one_more_retired": retired,
        "bundle_bytes": sum(sizes.values()),
        "files": len(sizes),
        "index_chunks": len(chunks),
        "first_search_bytes": int(first_search),
    }


def table(results: list[dict[str, object]]) -> str:
    lines = [
        "| stories | Pagefind build | one more story: build, files written, retired | bundle | files"
        " | index chunks | a first search downloads |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results:
        lines.append(
            f"| {row['stories']:,} | {row['index_seconds']} s"
            f" | {row['one_more_seconds']} s, {row['one_more_written']}, {row['one_more_retired']}"
            f" | {int(row['bundle_bytes']) / 1e6:.1f} MB"
            f" | {row['files']:,} | {row['index_chunks']:,} | {int(row['first_search_bytes']) / 1e3:.0f} kB |"
        )
    return "\n".join(lines)


def write_docs(text: str) -> None:
    start, end = MARKERS
    for path in (ROOT / "docs" / "performance-search.md",):
        page = path.read_text(encoding="utf-8")
        pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.DOTALL)
        if not pattern.search(page):
            sys.exit(f"{path} has no {start} … {end} block to fill")
        path.write_text(pattern.sub(lambda _: f"{start}\n{text}\n{end}", page), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--write-docs", action="store_true")
    arguments = parser.parse_args()
    results = [measure(count) for count in arguments.sizes]
    write_json(RESULTS / "search.json", {"machine": machine(), "results": results})
    text = table(results)
    print(text)
    if arguments.write_docs:
        write_docs(text)


if __name__ == "__main__":
    main()
