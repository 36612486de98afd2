"""Entry point: `python bench/run.py --quick|--full [--only STAGE,...] [--fixtures reuse|fresh|rebuild]`.

Runs the stages below, each writing bench/results/<mode>/<stage>.json as soon as it is done (so a
long run keeps what it measured), then draws docs/performance-<mode>.png and writes
docs/performance.md from the results of both modes (whatever exists). Timings are medians of
several runs; every ratio compares numbers taken in the same run.

  quick (`make bench`):      sites of 100 and 1,000; Hugo/Pelican on 1,000; rebuild of 1,000
  full  (`make bench-full`): sites of 100, 1,000 and 10,000; Hugo/Pelican on 1,000 and 10,000;
                             rebuild of 10,000; the local stack and unpatched moto; the 1,000-upload burst
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import codebase
from common import (
    BENCH,
    LAMBDA_VENV,
    PELICAN_VENV,
    PLOT_VENV,
    PROJECT_PYTHON,
    RESULTS,
    ROOT,
    code_fingerprint,
    git_revision,
    log,
    machine,
)

PLANS: dict[str, dict[str, Any]] = {
    "quick": {
        "sizes": [100, 1000],
        "publish_runs": 3,
        "backends": ["local"],
        "profile_size": 1000,
        "cli_runs": {100: 2, 1000: 2},
        "cli_profile": None,
        "ssg": {1000: {"hugo": 3, "pelican": 2}},
        "rebuild_size": 1000,
        "cli_rebuild": {},
        "coldstart_processes": 5,
        "coldstart_modes": ["as built"],
        "burst": {"size": 100, "uploads": 167, "seconds": 10},
        "day": {"size": 1000, "articles": 10},
        "layer_build": False,
    },
    "full": {
        "sizes": [100, 1000, 10000],
        "publish_runs": 5,
        "backends": ["local"],
        "profile_size": 10000,
        "cli_runs": {100: 3, 1000: 3, 10000: 2},
        "cli_profile": 1000,
        "ssg": {1000: {"hugo": 5, "pelican": 3}, 10000: {"hugo": 5, "pelican": 3}},
        "rebuild_size": 10000,
        "cli_rebuild": {1000: 2},
        "coldstart_processes": 10,
        "coldstart_modes": ["as built", "precompiled"],
        "burst": {"size": 1000, "uploads": 1000, "seconds": 60},
        "day": {"size": 1000, "articles": 100},
        "layer_build": True,
    },
}
STAGES = ["fixtures", "publish", "cli", "ssg", "rebuild", "coldstart", "burst", "memory", "layer"]


def _python_json(arguments: list[str]) -> Any:
    """Run a bench module in its own process (moto patches are per process); its stdout is JSON."""
    out = subprocess.run([str(PROJECT_PYTHON), *arguments], cwd=BENCH, stdout=subprocess.PIPE, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} exited {out.returncode}")
    return json.loads(out.stdout)


def stage_fixtures(plan: dict[str, Any], fixtures_mode: str) -> Any:
    import fixtures

    return {str(k): v for k, v in fixtures.ensure(plan["sizes"], fixtures_mode).items()}


def stage_publish(plan: dict[str, Any], out: Path) -> Any:
    cases = []
    for size in plan["sizes"]:
        for backend in plan["backends"]:
            target = out.parent / f"publish-{size}-{backend}.json"
            log(f"publish one article into {size} ({backend} moto)")
            arguments = ["publish.py", "--size", str(size), "--backend", backend, "--runs", str(plan["publish_runs"])]
            if size == plan["profile_size"]:
                arguments.append("--profile")
            subprocess.run([str(PROJECT_PYTHON), *arguments, "--out", str(target)], cwd=BENCH, check=True)
            cases.append(json.loads(target.read_text()))
    return cases


def stage_cli(plan: dict[str, Any]) -> Any:
    import cli_bench

    publish = []
    for size, runs in plan["cli_runs"].items():
        log(f"pressrun publish (CLI) into {size}")
        publish.append(cli_bench.publish_runs(size, runs, profile=size == plan["cli_profile"]))
    rebuild = []
    for size, runs in plan["cli_rebuild"].items():
        log(f"pressrun rebuild (CLI) of {size}")
        rebuild.append(cli_bench.rebuild_runs(size, runs, profile=False))
    return {"publish": publish, "rebuild": rebuild}


def stage_ssg(plan: dict[str, Any]) -> Any:
    import ssg

    rows = []
    for size, tools in plan["ssg"].items():
        for tool, runs in tools.items():
            log(f"{tool} full build of {size}")
            rows.append(ssg.measure(tool, size, runs))
    return {"versions": {"hugo": ssg.version("hugo"), "pelican": ssg.version("pelican")}, "builds": rows, "notes": ssg.NOTES}


def stage_rebuild(plan: dict[str, Any]) -> Any:
    log(f"rebuild of {plan['rebuild_size']} in process (job by job)")
    return _python_json(["rebuild_bench.py", str(plan["rebuild_size"])])


def stage_coldstart(plan: dict[str, Any]) -> Any:
    import coldstart

    log("cold starts")
    return coldstart.measure(plan["coldstart_processes"], tuple(plan["coldstart_modes"]))


def stage_burst(plan: dict[str, Any]) -> Any:
    burst = plan["burst"]
    log(f"burst of {burst['uploads']} uploads in {burst['seconds']} s into {burst['size']}")
    result = {"burst": _python_json(["burst.py", "burst", str(burst["size"]), str(burst["uploads"]), str(burst["seconds"])])}
    day = plan["day"]
    log(f"a normal day: {day['articles']} articles one by one into {day['size']}")
    result["day"] = _python_json(["burst.py", "day", str(day["size"]), str(day["articles"])])
    return result


def stage_memory(plan: dict[str, Any]) -> Any:
    import memory

    log("memory of a 1 MiB article")
    return memory.measure()


def stage_layer(plan: dict[str, Any]) -> Any:
    import layer

    log("layer size")
    return layer.measure(build=plan["layer_build"])


def ensure_setup() -> None:
    ready = all((venv / "bin" / "python").exists() for venv in (PELICAN_VENV, PLOT_VENV, LAMBDA_VENV))
    if not ready:
        log("bench/setup.sh: installing Hugo, Pelican, matplotlib and the Lambda-like environment")
        subprocess.run(["bash", str(BENCH / "setup.sh")], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--quick", action="store_const", const="quick", dest="mode")
    mode.add_argument("--full", action="store_const", const="full", dest="mode")
    parser.add_argument("--only", help=f"comma-separated stages of: {','.join(STAGES)}")
    parser.add_argument("--fixtures", choices=["reuse", "fresh", "rebuild"], default="reuse")
    parser.add_argument("--no-report", action="store_true")
    parser.add_argument(
        "--live", action="store_true", help="measure the checkout as it is at each moment, not a snapshot of it"
    )
    arguments = parser.parse_args()
    plan = PLANS[arguments.mode]
    stages = arguments.only.split(",") if arguments.only else STAGES
    out_dir = RESULTS / arguments.mode
    out_dir.mkdir(parents=True, exist_ok=True)
    ensure_setup()
    # Others edit the checkout while a run goes on: every stage of this run measures one frozen copy.
    revision = git_revision()
    if not arguments.live:
        codebase.snapshot(out_dir / "code")
        log(f"measuring a snapshot of the checkout at {revision}: {out_dir / 'code'}")
    fingerprint = code_fingerprint()
    started = time.perf_counter()
    meta_path = out_dir / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() and arguments.only else {}
    meta.update(
        {
            "mode": arguments.mode,
            "command": f"make bench{'-full' if arguments.mode == 'full' else ''}  (= .venv/bin/python bench/run.py --{arguments.mode})",
            "machine": machine(),
            "revision": revision,
            "code": "live checkout" if arguments.live else f"snapshot of the checkout at {revision}",
            "code_fingerprint": fingerprint,
            "started_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "plan": {k: (v if not isinstance(v, dict) else {str(a): b for a, b in v.items()}) for k, v in plan.items()},
        }
    )
    stage_seconds = meta.setdefault("stage_seconds", {})
    for stage in stages:
        began = time.perf_counter()
        path = out_dir / f"{stage}.json"
        if stage == "fixtures":
            result = stage_fixtures(plan, arguments.fixtures)
        elif stage == "publish":
            result = stage_publish(plan, path)
        else:
            result = globals()[f"stage_{stage}"](plan)
        path.write_text(json.dumps(result, indent=2, default=str) + "\n")
        stage_seconds[stage] = round(time.perf_counter() - began, 1)
        meta.setdefault("stage_code", {})[stage] = f"{meta['code']} (fingerprint {fingerprint}, {time.strftime('%H:%M')})"
        log(f"stage {stage}: {stage_seconds[stage]} s")
        meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    meta["total_seconds"] = round(sum(stage_seconds.values()), 1)
    meta["checkout_at_end"] = git_revision()
    meta["finished_at"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    log(f"{arguments.mode} benchmarks done in {time.perf_counter() - started:.0f} s")
    if not arguments.no_report:
        subprocess.run([str(PLOT_VENV / "bin" / "python"), str(BENCH / "plot.py")], check=True, cwd=ROOT)
        subprocess.run([str(PROJECT_PYTHON), str(BENCH / "report.py")], check=True, cwd=ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
