"""docs/performance.md from bench/results/{full,quick}/*.json and bench/results/suite/*.json, then
docs/cost.md (cost.py). The full run's results come first where they exist.

    .venv/bin/python bench/report.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cost
from common import BENCH, RESULTS, ROOT

DOCS = ROOT / "docs"
COMMANDS = (
    ("one_more_story", "one more story into the site, whole `pressrun publish` process"),
    ("first_publish", "first publish of all N (bulk import into a new folder)"),
    ("rebuild", "`pressrun rebuild` of N"),
)


def load(mode: str, stage: str) -> Any:
    path = RESULTS / mode / f"{stage}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _s(x: float) -> str:
    return f"{x:.2f} s" if x < 100 else f"{x:.0f} s"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×"


def verdicts(rows: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(goal, measured, verdict) for issue 17's goals, from one run's goals.json rows."""
    by_size = {r["size"]: r for r in rows}
    out = []
    for size in sorted(by_size):
        r = by_size[size]
        hugo, one = r["hugo"]["wall"], r["one_more_story"]["wall"]
        out.append(
            (
                f"one story into {size:,}: faster than Hugo's full build of {size:,}",
                f"pressrun {_s(one)}, Hugo {_s(hugo)}: {_ratio(one, hugo)} Hugo",
                "**met**" if one < hugo else "**missed**",
            )
        )
    big = by_size.get(10000)
    if big is None:
        out.append(("the goals at 10,000", "not measured by this run (`make bench-full` measures them)", "—"))
        return out
    hugo = big["hugo"]["wall"]
    one, rebuild, first = (big[k]["wall"] for k in ("one_more_story", "rebuild", "first_publish"))
    out += [
        ("one story into 10,000: at least 10× faster than Hugo's full build", f"Hugo ÷ pressrun = {hugo / one:.1f}×",
         "**met**" if hugo / one >= 10 else "**missed**"),
        ("`pressrun rebuild` of 10,000: no slower than Hugo's full build", f"pressrun {_s(rebuild)}, Hugo {_s(hugo)}: {_ratio(rebuild, hugo)}",
         "**met**" if rebuild <= hugo else "**missed**"),
        ("first publish of 10,000: at most 3× Hugo's full build", f"pressrun {_s(first)}, Hugo {_s(hugo)}: {_ratio(first, hugo)}",
         "**met**" if first <= 3 * hugo else "**missed**"),
    ]
    tree = max(big[k]["peak_tree_mb"] for k, _ in COMMANDS)
    single = max(big[k]["peak_single_mb"] for k, _ in COMMANDS)
    out.append(
        ("peak memory at 10,000: at most 300 MB",
         f"largest process {single:.0f} MB; all processes of one command summed {tree:.0f} MB (Hugo: {big['hugo']['peak_tree_mb']:.0f} MB)",
         ("**met**" if tree <= 300 else "**met** per process, **missed** summed over workers") if single <= 300 else "**missed**")
    )
    return out


def goals_section(mode: str, goals: dict[str, Any], meta: dict[str, Any]) -> list[str]:
    stage = meta["stages"]["goals"]
    lines = [
        f"Measured by `{stage.get('command', meta['command'])}`, stage `goals`, started {stage['started_at']} ({stage['seconds']} s), at {stage['revision']};",
        f"Hugo {goals['hugo_version']}. Medians of the runs; each pressrun command and each Hugo build is one whole process,",
        "measured as a process tree (`bench/measure.py`: wall and CPU seconds, peak RSS).",
        "",
        "| goal (issue 17) | measured | verdict |",
        "|---|---|---|",
    ]
    lines += [f"| {g} | {m} | {v} |" for g, m, v in verdicts(goals["sizes"])]
    lines += ["", "| N | command | runs | wall (median) | CPU (median) | ÷ Hugo (wall) | peak RSS: largest process / summed | load average before → after |", "|---|---|---|---|---|---|---|---|"]
    for row in sorted(goals["sizes"], key=lambda r: r["size"]):
        hugo = row["hugo"]["wall"]
        for key, text in (*COMMANDS, ("hugo", "Hugo: full build of N into an empty folder")):
            r = row[key]
            runs = r["runs"]
            lines.append(
                f"| {row['size']:,} | {text} | {len(runs)} | {_s(r['wall'])} | {_s(r['cpu'])} | "
                f"{'' if key == 'hugo' else _ratio(r['wall'], hugo)} | {r['peak_single_mb']:.0f} / {r['peak_tree_mb']:.0f} MB | "
                f"{runs[0]['load_before'][0]} → {runs[-1]['load_after'][0]} |"
            )
        files = row["hugo"].get("files", {})
        lines.append(f"| {row['size']:,} | (Hugo wrote {files.get('html', '?')} HTML and {files.get('xml', '?')} XML files) | | | | | | |")
    lines += ["", "Differences between the two builds:", ""] + [f"- {note}" for note in goals["notes"]]
    return lines


def before_section(before: dict[str, Any], meta: dict[str, Any]) -> list[str]:
    stage = meta["stages"]["before"]
    lines = [
        f"The engine at {before['revision']} (the whole stack on moto in one process, patched) and the engine now (plain",
        f"local adapters), each beside Hugo on the same {before['size']:,} stories, in one run (stage `before`, started",
        f"{stage['started_at']}, {stage['seconds']} s). Same venv and corpus; the old engine's `shared/`, `functions/` and",
        "`template.yaml` are exported with `git archive`, its `shared/` put first on PYTHONPATH and its commands run from",
        "that folder. The two engines ran minutes apart, so each is also given as a multiple of the Hugo builds",
        "interleaved with it; the last column compares those multiples. That corrects for the load only roughly (Hugo",
        "works on both cores, the old engine on one), so the change lies between the two comparisons.",
        "",
        "| command | before | now | before ÷ now | before ÷ its Hugo | now ÷ its Hugo | (before ÷ Hugo) ÷ (now ÷ Hugo) |",
        "|---|---|---|---|---|---|---|",
    ]
    old, new = before["before"], before["now"]
    for key, text in COMMANDS:
        was, now = old[key]["wall"] / old["hugo"]["wall"], new[key]["wall"] / new["hugo"]["wall"]
        lines.append(
            f"| {text} | {_s(old[key]['wall'])} | {_s(new[key]['wall'])} | {old[key]['wall'] / new[key]['wall']:.1f}× | "
            f"{was:.1f}× | {now:.2f}× | {was / now:.1f}× |"
        )
    lines.append(
        f"| Hugo's full build of {before['size']:,}, interleaved | {_s(old['hugo']['wall'])} ({len(old['hugo']['runs'])} builds) | "
        f"{_s(new['hugo']['wall'])} ({len(new['hugo']['runs'])} builds) | | | | |"
    )
    return lines


def profile_section(profile: dict[str, Any]) -> list[str]:
    lines = [
        "cProfile of each command on one core (`taskset -c 0`: with one core pressrun starts no worker processes, so the",
        "profile holds all the work; the profiler's overhead is included and is large for code of many small calls, such",
        "as markdown-it). Own time by code, the largest first; the `.prof` files are in `bench/results/profiles/`",
        "(`python -m pstats`).",
        "",
    ]
    for name, summary in profile["commands"].items():
        top = ", ".join(f"{g['code']} {g['share']:.0%}" for g in summary["by_code"][:8])
        lines.append(f"- **{name}** ({summary['total_seconds']} s under the profiler): {top}")
    return lines


def size_section(size: dict[str, Any]) -> list[str]:
    lines = ["| folder | " + " | ".join(f"{label} ({size[label]['revision']})" for label in ("before", "after")) + " |", "|---|---|---|"]
    for folder in ("shared/pressrun/local", "shared/pressrun/emulator"):
        cells = []
        for label in ("before", "after"):
            f = size[label][folder]
            cells.append(f"{f['files']} files, {f['lines']:,} lines ({f['code_lines']:,} of code)" if f["files"] else "absent")
        lines.append(f"| `{folder}/` | " + " | ".join(cells) + " |")
    return lines


def _failed_from_log(log: Path) -> list[str]:
    if not log.exists():
        return []
    return [line.removeprefix("FAILED ") for line in log.read_text(errors="replace").splitlines() if line.startswith("FAILED ")]


def suite_section() -> list[str]:
    runs = sorted((RESULTS / "suite").glob("*.json")) if (RESULTS / "suite").exists() else []
    lines = []
    for path in runs:
        r = json.loads(path.read_text())
        summary = next((line.strip("= ") for line in r.get("summary", []) if line.startswith("=")), None)
        summary = summary or "; ".join(r.get("summary", [])) or "no pytest summary line"
        failed = r.get("failed") or _failed_from_log(path.with_suffix(".log"))
        if failed:
            summary += " (failed: " + ", ".join(f"`{name}`" for name in failed) + ")"
        lines.append(
            f"- `{r['revision']}`: `make test` took **{r['wall'] / 60:.1f} minutes** wall ({r['cpu'] / 60:.1f} CPU-minutes), exit {r['exit']}, "
            f"load average {r['load_before'][0]} → {r['load_after'][0]} on {r['machine']['cores']} cores; {summary}. "
            f"Command: `.venv/bin/python bench/suite_time.py{'' if r['tree'] == str(ROOT) else ' --at ' + r['revision']}`."
        )
    return lines


def main() -> None:
    modes = [m for m in ("full", "quick") if (RESULTS / m / "meta.json").exists()]
    if not modes:
        raise SystemExit("no results: run bench/run.py --quick or --full first")
    lines = [
        "# Performance",
        "",
        "<!-- Written by bench/report.py from bench/results/. Re-run `make bench` (minutes) or `make bench-full` (about",
        "an hour) to refresh it; bench/README.md says what each script measures. -->",
        "",
        "Every figure on this page comes from a command in the repository, named beside it. Ratios compare numbers taken",
        "side by side in one run: Hugo's builds are interleaved with pressrun's commands, so a change in the machine's",
        "load weighs on both. The machine is shared (2 cores, other engineers' tests running): absolute times are",
        "illustrations; the load average before and after each command is recorded beside it.",
        "",
        "Search indexing (Pagefind's build for 1,000 and 10,000 stories) is measured by bench/search_bench.py:",
        "[performance-search.md](performance-search.md).",
        "",
    ]
    analysis = BENCH / "analysis.md"
    if analysis.exists():
        lines += [analysis.read_text(encoding="utf-8").rstrip(), ""]
    for mode in modes:
        meta = json.loads((RESULTS / mode / "meta.json").read_text())
        m = meta["machine"]
        lines += [
            f"## {'Full run' if mode == 'full' else 'Quick run'}: `{meta['command']}`",
            "",
            f"Machine (read at run time): {m['cores']} cores ({m.get('cpu', '?')}), {m.get('memory_gib', '?')} GiB, {m.get('os', '?')}, "
            f"Python {m['python']}; load average at start {m['load_average_at_start']}. Revision {meta['revision']}; "
            f"finished {meta.get('finished_at', 'unfinished')}.",
            "",
        ]
        goals = load(mode, "goals")
        if goals:
            lines += ["### Issue 17: the local engine against Hugo", ""] + goals_section(mode, goals, meta) + [""]
            if (DOCS / f"performance-{mode}.png").exists():
                lines += [f"![pressrun and Hugo side by side ({mode} run)](performance-{mode}.png)", ""]
        before = load(mode, "before")
        if before:
            lines += ["### The engine before and after it left moto", ""] + before_section(before, meta) + [""]
        profile = load(mode, "profile")
        if profile:
            lines += [f"### Where the time goes at {profile['size']:,}", ""] + profile_section(profile) + [""]
        cdn = load(mode, "cdn")
        if cdn:
            day = next(d for d in cdn["days"] if d["mode"] == "paths")
            p = day["phases"]
            lines += [
                "### Issue 13: invalidations and AWS calls per story",
                "",
                f"Stage `cdn` (`bench/cdn.py`, the handlers of `template.yaml` on moto, site of {cdn['plan']['size']:,}), by "
                f"`{meta['stages']['cdn'].get('command', meta['command'])}` at {meta['stages']['cdn']['started_at']}; the bill",
                "built from these counts is in [cost.md](cost.md).",
                "",
                f"- new story: {p['new']['invalidation_paths_mean']} invalidation paths on average (goal: at most 1);",
                f"- correction: {p['corrections']['invalidation_paths_mean']} on average, at most {max(p['corrections']['invalidation_paths_each'] or [0])} (goal: at most 5);",
                f"- removal: {p['removals']['invalidation_paths_mean']} on average;",
                f"- burst of {p['burst']['corrections']} corrections in one window: {p['burst']['create_invalidation_calls']} CreateInvalidation call(s), {p['burst']['paths']} paths.",
                "",
            ]
        size = load(mode, "size")
        if size:
            lines += ["### The size of the embedded default's code", "", "Stage `size` (`bench/code_size.py`, read from git):", ""]
            lines += size_section(size) + [""]
    suite = suite_section()
    lines += ["## `make test` wall time", ""]
    if suite:
        lines += suite
    lines += [
        "",
        "Before (6b0c842) and after were not timed side by side: each is a full `make test` (linters, `sam build`, every",
        "test) of a quarter of an hour on a machine shared with three other engineers' test runs, so two runs minutes",
        "apart differ by more than the change being measured; one full `make test` was run for this page.",
        "`bench/suite_time.py --at 6b0c842` times the old commit the same way (its files exported beside the results,",
        "this checkout's venv and tools linked in) for whoever can run both on a quiet machine.",
        "",
    ]
    (DOCS / "performance.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {DOCS / 'performance.md'}")
    if cost.load_cdn() is not None:
        cost.main()


if __name__ == "__main__":
    main()
