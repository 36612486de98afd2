"""Hugo's full build of the same corpus, configured to make what pressrun makes.

Hugo reads the very bytes pressrun reads (YAML front matter) and is asked for the same site: a page
per article at /<yyyy>/<mm>/<dd>/<slug>/, a page per category paginated 20 to a page, a home page of
the newest 20, an RSS feed of 20 for the site and for each category, a sitemap, robots.txt and a 404
page. Tag and author pages are off (pressrun makes none). A full build starts from an empty output
folder each time, with no cache. Differences that remain are in `NOTES` and docs/performance.md.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import corpus
import measure

NOTES = [
    "Hugo renders on every core (both here); pressrun's publish and rebuild use worker processes on every core too.",
    "pressrun also writes an Atom feed per category, a news sitemap, JSON-LD and Open Graph tags per page,"
    " and keeps its tables (SQLite) and a versioned copy of every upload; Hugo keeps no state.",
    "Both write to tmpfs (/dev/shm) when there is one.",
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


def prepare(size: int, work: Path) -> Path:
    site = work / f"hugo-{size}"
    (site / "layouts").mkdir(parents=True, exist_ok=True)
    (site / "config.yaml").write_text(HUGO_CONFIG)
    for name, text in HUGO_LAYOUTS.items():
        path = site / "layouts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    corpus.write_corpus(site / "content" / "posts", size, "yaml")
    return site


def files(folder: Path) -> dict[str, int]:
    return {"html": sum(1 for _ in folder.rglob("*.html")), "xml": sum(1 for _ in folder.rglob("*.xml"))}


def build(site: Path, out: Path) -> dict[str, Any]:
    """One full build into an empty folder."""
    shutil.rmtree(out, ignore_errors=True)
    result = measure.run(["hugo", "--source", str(site), "--destination", str(out), "--quiet", "--noBuildLock"])
    result["files"] = files(out)
    return result


def version() -> str:
    return subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout.split()[1]
