"""Issue 17's goals, measured quickly and side by side: pressrun's local engine and Hugo's full build
of the same corpus, on this machine, in one run. The full bench (`bench/run.py`) wires them into
docs/performance.md later; this is the quick check while working.

    .venv/bin/python bench/local_goals.py 1000 10000

For each size N: Hugo's full build of N (median of 3), pressrun's first publish of N into a new
folder (a bulk import), one more story into that site (median of 3 runs, the whole `pressrun
publish` process), and `pressrun rebuild` of it. Each pressrun run is its own process; its wall
time, CPU time (the process and its workers) and the peak RSS of its whole process tree are
reported. Both tools write to /dev/shm when there is one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import corpus
import ssg
from common import PRESSRUN_CLI, median

WORK = (
    Path("/dev/shm/pressrun-goals")
    if Path("/dev/shm").is_dir()
    else Path(__file__).parent / "results" / "goals"
)
NOW = corpus.NOW.isoformat()


def _tree_rss_kb(root: int) -> int:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        todo += children.get(pid, [])
    return total


def run(*arguments: str) -> dict[str, float]:
    """One pressrun process: wall seconds, CPU seconds (with its workers), peak RSS of the tree in MB."""
    before = os.times()
    started = time.perf_counter()
    process = subprocess.Popen([str(PRESSRUN_CLI), *arguments], stdout=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss_kb(process.pid))
        time.sleep(0.02)
    wall = time.perf_counter() - started
    after = os.times()
    if process.returncode not in (0, 1):
        raise RuntimeError(f"pressrun {' '.join(arguments)} exited {process.returncode}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return {"wall": round(wall, 2), "cpu": round(cpu, 2), "peak_mb": round(peak / 1024)}


def measure(size: int) -> dict[str, object]:
    source = corpus.write_corpus(WORK / f"corpus-{size}", size, "yaml")
    hugo = median([ssg.build_hugo(ssg.prepare_hugo(size))[0] for _ in range(3)])
    site = WORK / f"site-{size}"
    shutil.rmtree(site, ignore_errors=True)
    first = run("publish", "--site", str(site), "--now", NOW, str(source))
    one_more = []
    for number in range(3):
        extra = corpus.extra_article(number)
        folder = WORK / f"extra-{size}-{number}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / extra.name).write_text(extra.yaml(), encoding="utf-8")
        one_more.append(run("publish", "--site", str(site), "--now", NOW, str(folder / extra.name)))
    rebuild = run("rebuild", "--site", str(site), "--now", NOW)
    one = {key: median([r[key] for r in one_more]) for key in ("wall", "cpu", "peak_mb")}
    return {
        "size": size,
        "hugo_full_build": round(hugo, 2),
        "first_publish": first,
        "one_more_story": one,
        "rebuild": rebuild,
        "ratios": {
            "hugo_over_one_more_story": round(hugo / one["wall"], 1),
            "rebuild_over_hugo": round(rebuild["wall"] / hugo, 2),
            "first_publish_over_hugo": round(first["wall"] / hugo, 2),
        },
        "load_average": os.getloadavg(),
    }


if __name__ == "__main__":
    for size in [int(argument) for argument in sys.argv[1:]] or [1000, 10000]:
        print(json.dumps(measure(size)), flush=True)
