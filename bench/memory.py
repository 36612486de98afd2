"""Peak memory while a 1 MiB article is validated and rendered, as the two handlers that touch bodies do.

ValidateArticleFunction reads the upload (bytes) and validates it (parse_article);
FollowArticleChangeFunction reads it again and renders the page (parse_article + render.article_page). Each case runs in a fresh
python3.13 process of the Lambda-like environment (bench/.venv-lambda, the layer's requirements, with
shared/ on the path), measuring the peak RSS (ru_maxrss) after imports and a warm-up on a small
article, then after processing the big one, with the time it took. Cases:

- `prose`: just under MAX_UPLOAD_BYTES (1 MiB) of ordinary paragraphs;
- `markup`: the same size dense with lists, emphasis and links (many more tokens per byte);
- `small`: a ~3 KB corpus article, for scale.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from common import LAMBDA_VENV, ROOT, log

CHILD = r"""
import gc, json, resource, sys, time
sys.path.insert(0, sys.argv[2])
sys.path.insert(0, sys.argv[3])
import corpus
from pressrun import render
from pressrun.settings import SiteSettings
from pressrun.validation import parse_article

def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

site = SiteSettings()
LIMIT = site.max_upload_bytes
small = corpus.article(1).yaml().encode()
kind = sys.argv[1]

def make(kind):
    header = corpus.article(2).yaml().split("---\n")[1]
    front = f"---\n{header}---\n".encode()
    rng = corpus.random.Random(kind)
    parts, size = [], len(front)
    while True:
        if kind == "markup":
            block = "\n".join(f"- **{rng.choice(corpus._WORDS)}** *{rng.choice(corpus._WORDS)}* "
                              f"[{rng.choice(corpus._WORDS)}](https://example.org/{rng.randrange(10**6)}) `x`"
                              for _ in range(8))
        else:
            block = corpus._paragraph(rng)
        piece = (block + "\n\n").encode()
        if size + len(piece) > LIMIT:
            break
        parts.append(piece)
        size += len(piece)
    return front + b"".join(parts)

def process(data):
    article = parse_article("incoming/big.md", data, site)           # ValidateArticleFunction
    article = parse_article("incoming/big.md", data, site)           # FollowArticleChangeFunction reads again
    page = render.article_page(article, site, modified=article.published_at)
    return page

process(small)
gc.collect()
data = small if kind == "small" else make(kind)
before_rss, before_peak = rss_mb(), peak_mb()
started = time.perf_counter()
page = process(data)
seconds = time.perf_counter() - started
print(json.dumps({"kind": kind, "input_bytes": len(data), "page_bytes": len(page), "seconds": seconds,
                  "rss_before_mb": before_rss, "peak_before_mb": before_peak, "peak_after_mb": peak_mb()}))
"""


def measure() -> dict[str, Any]:
    python = LAMBDA_VENV / "bin" / "python"
    rows = []
    for kind in ("small", "prose", "markup"):
        out = subprocess.run(
            [str(python), "-c", CHILD, kind, str(ROOT / "shared"), str(ROOT / "bench")],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-2000:])
        row = json.loads(out.stdout.strip().splitlines()[-1])
        row["peak_growth_mb"] = round(row["peak_after_mb"] - row["rss_before_mb"], 1)
        rows.append(row)
        log(f"  memory {kind}: {row['input_bytes']} bytes → peak {row['peak_after_mb']:.0f} MB in {row['seconds']:.2f} s")
    return {"python": "bench/.venv-lambda", "cases": rows}


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
