"""Paths, the site wrapper with scoped state handling, and small helpers shared by the benchmarks."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from codebase import code_root

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
FIXTURES = RESULTS / "fixtures"
WORK = RESULTS / "work"
PROJECT_PYTHON = ROOT / ".venv" / "bin" / "python"
PRESSRUN_CLI = ROOT / ".venv" / "bin" / "pressrun"
PELICAN_VENV = BENCH / ".venv-pelican"
PLOT_VENV = BENCH / ".venv-plot"
LAMBDA_VENV = BENCH / ".venv-lambda"
SITE_URL = "http://localhost:8000"



def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def code_fingerprint() -> str:
    """What a fixture site depends on: pressrun's code, templates and the template.yaml that wires it."""
    digest = hashlib.sha256()
    code = code_root()
    files = sorted((code / "shared" / "pressrun").rglob("*")) + sorted((code / "functions").rglob("*.py"))
    for path in [*files, code / "template.yaml"]:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(code).as_posix().encode())
            digest.update(path.read_bytes())
    for path in (BENCH / "corpus.py", BENCH / "fixtures.py"):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "shared", "functions", "template.yaml"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return f"{out}{'+uncommitted changes' if dirty else ''}"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


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
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    return info


def copy_site(source: Path, target: Path) -> Path:
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target, symlinks=True)
    return target


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        yield


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
