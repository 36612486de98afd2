"""Entry point: `python bench/run.py --quick|--full [--only STAGE,...] [--no-report]`.

Runs the stages below, each writing bench/results/<mode>/<stage>.json as soon as it is done (a long
run keeps what it measured), then draws docs/performance-<mode>.png and writes docs/performance.md
and docs/cost.md from the results (the full run's where they exist, else the quick run's).

  quick (`make bench`, a few minutes):
    goals    pressrun and Hugo side by side on 1,000 stories (goals.py)
    cdn      a normal day and a burst on the emulated AWS stack, site of 300 (cdn.py)
    size     lines of shared/pressrun/local/ and emulator/ at 6b0c842 and now (code_size.py)
  full (`make bench-full`, about an hour):
    goals    the same on 1,000 and 10,000 stories
    before   the engine at 6b0c842 (moto in process) and now, each beside Hugo, on 1,000 stories
    profile  cProfile of first publish, one more story and rebuild of 10,000, on one core
    cdn      the day and the burst on a site of 2,000 (past the sweep's per-run budget)
    size     as above

Every ratio in the reports is between numbers of one stage of one run: Hugo's builds are
interleaved with pressrun's commands (goals.py), so a change in the machine's load weighs on both.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from typing import Any

import code_size
import goals
from common import BENCH, PLOT_VENV, PROJECT_PYTHON, RESULTS, ROOT, WORK, export, git_revision, log, machine

PLANS: dict[str, dict[str, Any]] = {
    "quick": {
        "goals": {1000: {"first": 2, "one_more": 3, "rebuild": 2}},
        "cdn": {"size": 300, "new": 20, "corrections": 10, "removals": 3, "sweeps": 2, "burst": 100},
        "before": None,
        "profile": None,
    },
    "full": {
        "goals": {
            1000: {"first": 3, "one_more": 5, "rebuild": 3},
            10000: {"first": 2, "one_more": 5, "rebuild": 3},
        },
        "cdn": {"size": 2000, "new": 50, "corrections": 20, "removals": 5, "sweeps": 2, "burst": 300},
        "before": {"revision": code_size.BEFORE, "size": 1000, "runs": {"first": 1, "one_more": 3, "rebuild": 1}},
        "profile": 10000,
    },
}
STAGES = ["goals", "before", "profile", "cdn", "size"]


def stage_goals(plan: dict[str, Any]) -> Any:
    rows = []
    for size, runs in plan["goals"].items():
        log(f"goals: {size} stories, pressrun and Hugo side by side ({runs})")
        rows.append(goals.measure_size(size, WORK, runs))
        shutil.rmtree(WORK / f"corpus-{size}", ignore_errors=True)
    return {"hugo_version": goals.ssg.version(), "notes": goals.ssg.NOTES, "sizes": rows}


def stage_before(plan: dict[str, Any]) -> Any:
    before = plan["before"]
    if before is None:
        return None
    code = export(before["revision"], WORK / f"code-{before['revision']}", paths=("shared", "functions", "template.yaml"))
    out = {"revision": before["revision"], "size": before["size"]}
    for label, path in (("now", None), ("before", code)):
        log(f"before/after: the engine {label} on {before['size']} stories, beside Hugo")
        out[label] = goals.measure_size(before["size"], WORK, before["runs"], code=path)
    shutil.rmtree(code, ignore_errors=True)
    shutil.rmtree(WORK / f"corpus-{before['size']}", ignore_errors=True)
    return out


def stage_profile(plan: dict[str, Any]) -> Any:
    size = plan["profile"]
    if size is None:
        return None
    log(f"profile: {size} stories under cProfile on one core")
    result = goals.profile(size, WORK, RESULTS / "profiles")
    shutil.rmtree(WORK / f"corpus-{size}", ignore_errors=True)
    return {"size": size, "commands": result}


def stage_cdn(plan: dict[str, Any]) -> Any:
    cdn = plan["cdn"]
    log(f"cdn: a day and a burst on the emulated stack ({cdn})")
    arguments = [f"--{name}={value}" for name, value in cdn.items()]
    # Its own process: the emulated stack and boto3's default session are per process.
    out = subprocess.run([str(PROJECT_PYTHON), "cdn.py", *arguments], cwd=BENCH, stdout=subprocess.PIPE, check=True)
    return {"plan": cdn, "days": json.loads(out.stdout)}


def stage_size(plan: dict[str, Any]) -> Any:
    return code_size.measure()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--quick", action="store_const", const="quick", dest="mode")
    mode.add_argument("--full", action="store_const", const="full", dest="mode")
    parser.add_argument("--only", help=f"comma-separated stages of: {','.join(STAGES)}")
    parser.add_argument("--no-report", action="store_true")
    arguments = parser.parse_args()
    plan = PLANS[arguments.mode]
    stages = arguments.only.split(",") if arguments.only else STAGES
    out_dir = RESULTS / arguments.mode
    out_dir.mkdir(parents=True, exist_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    meta_path = out_dir / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() and arguments.only else {}
    meta.update(
        {
            "mode": arguments.mode,
            "command": f"make bench{'-full' if arguments.mode == 'full' else ''}"
            f"  (= .venv/bin/python bench/run.py --{arguments.mode})",
            "machine": machine(),
            "revision": git_revision(),
            "plan": json.loads(json.dumps(plan)),
        }
    )
    stage_meta = meta.setdefault("stages", {})
    for stage in stages:
        began = time.perf_counter()
        started_at = time.strftime("%Y-%m-%d %H:%M:%S %Z")
        load_before = [round(x, 2) for x in os.getloadavg()]
        result = globals()[f"stage_{stage}"](plan)
        if result is None:
            continue
        (out_dir / f"{stage}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
        stage_meta[stage] = {
            "started_at": started_at,
            "seconds": round(time.perf_counter() - began, 1),
            "revision": git_revision(),
            "load_average": [load_before, [round(x, 2) for x in os.getloadavg()]],
            "command": ".venv/bin/python bench/run.py " + " ".join(sys.argv[1:]),
        }
        log(f"stage {stage}: {stage_meta[stage]['seconds']} s")
        meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    meta["finished_at"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    shutil.rmtree(WORK, ignore_errors=True)
    if not arguments.no_report:
        if (PLOT_VENV / "bin" / "python").exists():
            subprocess.run([str(PLOT_VENV / "bin" / "python"), str(BENCH / "plot.py")], check=True, cwd=ROOT)
        subprocess.run([str(PROJECT_PYTHON), str(BENCH / "report.py")], check=True, cwd=ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
