"""docs/performance-<mode>.png from bench/results/<mode>/: run with bench/.venv-plot/bin/python.

Left: seconds against site size (log-log): pressrun's publish of one article (in process on the
local stack, on unpatched moto, and the whole CLI command), pressrun's rebuild, and Hugo's and
Pelican's full builds of the same corpus. Right: AWS API calls the handlers make to publish one
article, with the goals (20 calls; 1.2x the 100-article case).
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
DOCS = BENCH.parent / "docs"


def load(mode: str, stage: str):  # type: ignore[no-untyped-def]
    path = RESULTS / mode / f"{stage}.json"
    return json.loads(path.read_text()) if path.exists() else None


def draw(mode: str) -> Path | None:
    publish = load(mode, "publish")
    if not publish:
        return None
    cli, ssg, rebuild = load(mode, "cli"), load(mode, "ssg"), load(mode, "rebuild")
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.2))
    styles = {"local": ("o-", "tab:blue"), "unpatched": ("s--", "tab:cyan")}
    for backend, (style, color) in styles.items():
        rows = sorted((c["size"], c["median_seconds"], c["median_handler_calls"]) for c in publish if c["backend"] == backend)
        if rows:
            sizes = [r[0] for r in rows]
            label = "pressrun publish, in process (local stack)" if backend == "local" else "pressrun publish, in process (unpatched moto 5.2)"
            left.plot(sizes, [r[1] for r in rows], style, color=color, label=label)
            right.plot(sizes, [r[2] for r in rows], style, color=color, label="handler API calls (local stack)" if backend == "local" else "handler API calls (unpatched moto)")
            for size, _, count in rows:
                right.annotate(str(int(count)), (size, count), textcoords="offset points", xytext=(0, 7), ha="center")
    if cli:
        rows = sorted((c["size"], c["median"]) for c in cli.get("publish", []))
        if rows:
            left.plot([r[0] for r in rows], [r[1] for r in rows], "D-", color="tab:purple", label="pressrun publish CLI (restore + pipeline + save)")
    if ssg:
        for tool, (style, color) in {"hugo": ("^-", "tab:red"), "pelican": ("v-", "tab:orange")}.items():
            rows = sorted((b["size"], b["median"]) for b in ssg["builds"] if b["tool"] == tool)
            if rows:
                left.plot([r[0] for r in rows], [r[1] for r in rows], style, color=color, label=f"{tool.capitalize()} full build")
    if rebuild:
        total = rebuild["enter_seconds"] + rebuild["rebuild_seconds"] + rebuild["exit_seconds"]
        left.plot([rebuild["size"]], [total], "*", markersize=14, color="tab:green", label="pressrun rebuild (whole command, in process)")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("existing articles in the site")
    left.set_ylabel("seconds (median)")
    left.set_title("Time to a fresh page: one publish vs full builds")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8, loc="upper left")
    sizes = sorted({c["size"] for c in publish})
    base = [c["median_handler_calls"] for c in publish if c["size"] == min(sizes) and c["backend"] == "local"]
    right.axhline(20, color="tab:green", linestyle=":", label="goal: at most 20 calls")
    if base:
        right.axhline(1.2 * base[0], color="tab:gray", linestyle=":", label=f"goal: 1.2 x the {min(sizes)} case")
    right.set_xscale("log")
    right.set_ylim(bottom=0)
    right.set_xlabel("existing articles in the site")
    right.set_ylabel("AWS API calls by the handlers, one article")
    right.set_title("API calls to publish one article (one category)")
    right.grid(True, which="both", alpha=0.3)
    right.legend(fontsize=8, loc="lower right")
    fig.suptitle(f"pressrun benchmarks ({mode}); absolute times are from a shared 2-core machine", fontsize=10)
    fig.tight_layout()
    target = DOCS / f"performance-{mode}.png"
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


if __name__ == "__main__":
    for mode in ("quick", "full"):
        made = draw(mode)
        if made:
            print(f"wrote {made}")
