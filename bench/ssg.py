"""The same corpus built fully by Hugo and by Pelican, configured to make what pressrun makes.

Each tool gets the corpus in a form it reads (Hugo: the very bytes pressrun reads, YAML front matter;
Pelican: its header lines) and is asked for the same site: a page per article at
/<yyyy>/<mm>/<dd>/<slug>/, a page per category paginated 20 to a page, a home page of the newest
20, an Atom/RSS feed of 20 for the site and for each category, a sitemap (Hugo; Pelican has none
without a plugin), robots.txt and 404 (Hugo). Tag and author pages are switched off in both (pressrun
makes none). Differences that remain are listed in `NOTES` and in docs/performance.md.

A full build starts from an empty output folder each time, with no cache (Pelican's content cache
is off; Hugo keeps no content cache between runs). The prepared source trees are cached under
bench/results/ssg/.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import corpus
from common import PELICAN_VENV, RESULTS, log, median

SSG = RESULTS / "ssg"
# Output goes to memory (tmpfs) when there is one, as pressrun's in-process publish writes to moto's
# in-memory S3: the builds are compared on CPU, not on this machine's shared disk.
OUTPUT = Path("/dev/shm/pressrun-bench") if Path("/dev/shm").is_dir() else SSG / "output"

NOTES = [
    "Hugo uses both cores (it renders in parallel); Pelican and pressrun's local runner use one.",
    "Pelican's default theme also paginates the home page over every article (N/20 extra pages).",
    "Pelican has no sitemap without a plugin; Hugo's sitemap lists every page, as pressrun's does.",
    "Hugo and Pelican write their output to tmpfs (/dev/shm), as pressrun's in-process publish writes to moto's in-memory S3.",
]

HUGO_CONFIG = """\
baseURL: http://localhost:8000/
languageCode: en-gb
title: OpenVoiceNews U.K.
paginate: 20
rssLimit: 20
enableRobotsTXT: true
disableKinds: [section]
taxonomies:
  category: categories
permalinks:
  posts: /:year/:month/:day/:slug/
  categories: /category/:slug/
params:
  tagline: Transparent. Unbiased. Yours.
"""

HUGO_LAYOUTS = {
    "_default/baseof.html": """\
<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ block "title" . }}{{ .Title }} · {{ .Site.Title }}{{ end }}</title>
<meta name="description" content="{{ with .Description }}{{ . }}{{ else }}{{ .Summary | plainify | truncate 160 }}{{ end }}">
<link rel="canonical" href="{{ .Permalink }}">
<link rel="alternate" type="application/rss+xml" href="{{ "index.xml" | absURL }}">
</head>
<body>
<header><a href="{{ "/" | relURL }}">{{ .Site.Title }}</a> <span>{{ .Site.Params.tagline }}</span>
<nav>{{ range .Site.Taxonomies.categories }}<a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> {{ end }}</nav>
</header>
<main>{{ block "main" . }}{{ end }}</main>
<footer>&copy; {{ .Site.Title }}</footer>
</body>
</html>
""",
    "_default/single.html": """\
{{ define "main" }}
<article>
<h1>{{ .Title }}</h1>
<p class="byline">{{ with .Params.author }}By {{ . }} · {{ end }}<time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2 January 2006" }}</time>
{{ range .Params.categories }}<a href="{{ "category/" | relURL }}{{ . | urlize }}/">{{ . }}</a> {{ end }}</p>
{{ .Content }}
<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":{{ .Title | jsonify }},"datePublished":{{ .Date.Format "2006-01-02T15:04:05Z07:00" | jsonify }}}</script>
</article>
{{ end }}
""",
    "_default/list.html": """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ range .Paginator.Pages }}
<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2 January 2006" }}</time>
<p>{{ .Summary | plainify | truncate 160 }}</p></article>
{{ end }}
{{ with .Paginator.Next }}<a href="{{ .URL }}">Older</a>{{ end }}
{{ end }}
""",
    "_default/terms.html": """\
{{ define "main" }}<h1>{{ .Title }}</h1>
<ul>{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a></li>{{ end }}</ul>
{{ end }}
""",
    "index.html": """\
{{ define "title" }}{{ .Site.Title }}{{ end }}
{{ define "main" }}
<section><h1>Latest</h1>
{{ range first 20 .Site.RegularPages }}
<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2 January 2006" }}</time>
<p>{{ .Summary | plainify | truncate 160 }}</p></article>
{{ end }}</section>
{{ range .Site.Taxonomies.categories }}
<section><h2><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a></h2>
<ul>{{ range first 3 .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul></section>
{{ end }}
{{ end }}
""",
    "404.html": """\
{{ define "main" }}<h1>Page not found</h1><p><a href="{{ "/" | relURL }}">Home</a></p>{{ end }}
""",
}

PELICAN_CONFIG = """\
AUTHOR = "OpenVoiceNews"
SITENAME = "OpenVoiceNews U.K."
SITESUBTITLE = "Transparent. Unbiased. Yours."
SITEURL = "http://localhost:8000"
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = 20
ARTICLE_URL = "{date:%Y}/{date:%m}/{date:%d}/{slug}/"
ARTICLE_SAVE_AS = ARTICLE_URL + "index.html"
CATEGORY_URL = "category/{slug}/"
CATEGORY_SAVE_AS = CATEGORY_URL + "index.html"
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)
FEED_ALL_ATOM = "feed.xml"
CATEGORY_FEED_ATOM = "category/{slug}/feed.xml"
FEED_MAX_ITEMS = 20
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TAG_SAVE_AS = ""
TAGS_SAVE_AS = ""
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
ARCHIVES_SAVE_AS = ""
CATEGORIES_SAVE_AS = ""
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
RELATIVE_URLS = False
"""


def prepare_hugo(size: int) -> Path:
    site = SSG / f"hugo-{size}"
    (site / "config.yaml").parent.mkdir(parents=True, exist_ok=True)
    (site / "config.yaml").write_text(HUGO_CONFIG)
    for name, text in HUGO_LAYOUTS.items():
        path = site / "layouts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    corpus.write_corpus(site / "content" / "posts", size, "yaml")
    return site


def prepare_pelican(size: int) -> Path:
    site = SSG / f"pelican-{size}"
    site.mkdir(parents=True, exist_ok=True)
    (site / "pelicanconf.py").write_text(PELICAN_CONFIG)
    corpus.write_corpus(site / "content", size, "pelican")
    return site


def _files(folder: Path) -> dict[str, int]:
    html = sum(1 for _ in folder.rglob("*.html"))
    xml = sum(1 for _ in folder.rglob("*.xml"))
    return {"html": html, "xml": xml}


def build_hugo(site: Path) -> tuple[float, dict[str, int]]:
    out = OUTPUT / site.name
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(
        ["hugo", "--source", str(site), "--destination", str(out), "--quiet", "--noBuildLock"],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started, _files(out)


def build_pelican(site: Path) -> tuple[float, dict[str, int]]:
    out = OUTPUT / site.name
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(
        [
            str(PELICAN_VENV / "bin" / "pelican"),
            str(site / "content"),
            "--settings", str(site / "pelicanconf.py"),
            "--output", str(out),
            "--quiet",
        ],
        check=True,
        capture_output=True,
        cwd=site,
    )  # fmt: skip
    return time.perf_counter() - started, _files(out)


def version(tool: str) -> str:
    if tool == "hugo":
        return subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout.split()[1]
    out = subprocess.run([str(PELICAN_VENV / "bin" / "pelican"), "--version"], capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def measure(tool: str, size: int, runs: int) -> dict[str, object]:
    site = prepare_hugo(size) if tool == "hugo" else prepare_pelican(size)
    build = build_hugo if tool == "hugo" else build_pelican
    times = []
    files: dict[str, int] = {}
    for run in range(runs):
        seconds, files = build(site)
        times.append(seconds)
        log(f"  {tool} {size}: run {run + 1}/{runs} {seconds:.2f} s ({files})")
    shutil.rmtree(OUTPUT / site.name, ignore_errors=True)
    return {
        "tool": tool,
        "size": size,
        "runs": [round(t, 3) for t in times],
        "median": median(times),
        "files": files,
        "output": str(OUTPUT),
    }


if __name__ == "__main__":
    import json
    import sys

    tool, size, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1
    print(json.dumps(measure(tool, size, runs), indent=2))
