"""docs/performance-<mode>.png from bench/results/<mode>/goals.json: run with bench/.venv-plot/bin/python.

Left: seconds (median wall time of the whole process) against site size, log-log: pressrun's one
more story, first publish and rebuild, and Hugo's full build, measured side by side in one run.
Right: each pressrun command as a multiple of Hugo's full build of the same size, with the goals.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
DOCS = BENCH.parent / "docs"
COMMANDS = {
    "one_more_story": ("o-", "tab:blue", "pressrun publish: one more story"),
    "first_publish": ("s-", "tab:purple", "pressrun publish: all N (first publish)"),
    "rebuild": ("D-", "tab:green", "pressrun rebuild of N"),
}
# goal: the largest allowed multiple of Hugo's full build, per command (issue 17)
GOALS = {"one_more_story": (1.0, "faster than Hugo"), "first_publish": (3.0, "≤ 3× Hugo"), "rebuild": (1.0, "≤ Hugo")}


def draw(mode: str) -> Path | None:
    path = RESULTS / mode / "goals.json"
    if not path.exists():
        return None
    rows = sorted(json.loads(path.read_text())["sizes"], key=lambda r: r["size"])
    sizes = [r["size"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 6))
    for command, (style, color, label) in COMMANDS.items():
        left.plot(sizes, [r[command]["wall"] for r in rows], style, color=color, label=label)
    left.plot(sizes, [r["hugo"]["wall"] for r in rows], "^--", color="tab:red", label="Hugo: full build of N")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xticks(sizes, [f"{s:,}" for s in sizes])
    left.set_xlabel("stories in the site (N)")
    left.set_ylabel("seconds, whole process (median)")
    left.set_title("pressrun and Hugo, side by side")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    width = 0.25
    for i, (command, (_, color, label)) in enumerate(COMMANDS.items()):
        ratios = [r[command]["wall"] / r["hugo"]["wall"] for r in rows]
        positions = [j + (i - 1) * width for j in range(len(rows))]
        bars = right.bar(positions, ratios, width, color=color, label=label)
        right.bar_label(bars, labels=[f"{x:.2f}×" for x in ratios], fontsize=8)
        goal, _ = GOALS[command]
        for row, position in zip(rows, positions, strict=True):
            right.plot([position - width / 2, position + width / 2], [goal, goal], color="black", linewidth=1)
            if command == "one_more_story" and row["size"] == 10000:
                # issue 17: at 10,000, at least 10× faster than Hugo's full build
                right.plot([position - width / 2, position + width / 2], [0.1, 0.1], color="black", linestyle=":")
    right.set_yscale("log")
    right.set_xticks(range(len(rows)), [f"N = {s:,}" for s in sizes])
    right.set_ylabel("pressrun ÷ Hugo's full build (black ticks: the goals)")
    right.set_title("Ratios within one run")
    right.grid(True, axis="y", which="both", alpha=0.3)
    right.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)
    fig.suptitle(f"pressrun bench ({mode}); absolute times are from a shared 2-core machine", fontsize=10)
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
