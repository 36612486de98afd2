"""Paths and small helpers shared by the benchmarks."""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
PROJECT_PYTHON = ROOT / ".venv" / "bin" / "python"
PRESSRUN_CLI = ROOT / ".venv" / "bin" / "pressrun"
PLOT_VENV = BENCH / ".venv-plot"
LAMBDA_VENV = BENCH / ".venv-lambda"
# Big fixture sites go to memory when there is a tmpfs, else beside the results; removed after use.
WORK = Path("/dev/shm/pressrun-bench") if Path("/dev/shm").is_dir() else RESULTS / "work"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def git(*arguments: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *arguments], capture_output=True, text=True, check=True).stdout.strip()


def git_revision() -> str:
    try:
        dirty = git("status", "--porcelain", "--", "shared", "functions", "template.yaml")
        return f"{git('rev-parse', '--short', 'HEAD')}{'+uncommitted changes' if dirty else ''}"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def export(revision: str, target: Path, paths: tuple[str, ...] = ("shared",)) -> Path:
    """The files of `paths` at `revision`, written into `target` (git archive: no worktree is made)."""
    if target.exists():
        subprocess.run(["rm", "-rf", str(target)], check=True)
    target.mkdir(parents=True)
    archive = subprocess.Popen(["git", "-C", str(ROOT), "archive", revision, *paths], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(target)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise RuntimeError(f"git archive {revision} failed")
    return target


def machine() -> dict[str, Any]:
    """Read at run time: cores, memory, CPU model, OS and tool versions."""
    info: dict[str, Any] = {"cores": os.cpu_count()}
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                info["os"] = line.split("=", 1)[1].strip('"')
    info["python"] = sys.version.split()[0]
    info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    return info


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
