"""One command measured as a whole process: wall time, CPU time and peak memory of its process tree.

- wall: from launch to exit (time.perf_counter);
- cpu: user + system seconds of the process and of every child it waited for (os.wait4 on the
  process, whose rusage includes its reaped children: pressrun's worker processes, Hugo's threads);
- peak_tree_mb: the largest sum of VmRSS over the process and all its descendants, read from /proc
  every 100 ms while it runs (shared pages are counted once per process, so this errs high; a
  reading takes about 2 ms of CPU);
- peak_single_mb: ru_maxrss of the process tree's largest single process (rusage of the waited
  process and its children: the kernel keeps the maximum, not the sum).

The load average is read before and after each command: the machine is shared.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            parent = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    return children


def tree_rss_kb(root: int) -> int:
    children = _children()
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        pending += children.get(pid, [])
    return total


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run(
    command: list[str],
    *,
    env: dict[str, str] | None = None,
    ok: tuple[int, ...] = (0,),
    cwd: Path | None = None,
    output: Path | None = None,
    interval: float = 0.1,
) -> dict[str, Any]:
    """Run `command` to its end; its measures. Its output goes to `output` (both streams), else away."""
    load_before = load()
    # A file, not a pipe: nothing reads while the command runs, and a full pipe would stall it.
    sink = output.open("w+b") if output is not None else tempfile.TemporaryFile()
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=sink if output is not None else subprocess.DEVNULL,
        stderr=sink,
        env=env,
        cwd=cwd,
    )
    peak = 0
    while True:
        finished, status, usage = os.wait4(process.pid, os.WNOHANG)
        if finished:
            break
        peak = max(peak, tree_rss_kb(process.pid))
        time.sleep(interval)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    sink.seek(0)
    stderr = sink.read().decode(errors="replace")
    sink.close()
    if process.returncode not in ok:
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}:\n{stderr[-3000:]}")
    return {
        "wall": round(wall, 3),
        "cpu": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_tree_mb": round(peak / 1024, 1),
        "peak_single_mb": round(usage.ru_maxrss / 1024, 1),
        "exit": process.returncode,
        "load_before": load_before,
        "load_after": load(),
    }
