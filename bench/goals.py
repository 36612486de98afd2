"""Issue 17's goals, side by side with Hugo's full build of the same corpus, in one run.

For each size N: Hugo's full build of N; pressrun's first publish of the N stories into a new folder
(a bulk import); one more story into that site (each run a new story, the whole `pressrun publish`
process); and `pressrun rebuild` of it. Hugo builds are interleaved with pressrun's commands, so that
a change in the machine's load weighs on both. Every command is measured as a process tree
(measure.py): wall, CPU, peak RSS.

`code` runs the same commands on another version of pressrun (PYTHONPATH pointing at the `shared/`
of a commit exported with its template.yaml and functions/, run from that folder; same venv, same
corpus): run.py's `before` stage measures the engine at 6b0c842 and now, each beside Hugo.

`profile` runs the commands under cProfile on one core (`taskset -c 0`: pressrun then follows every
item in its own process, so the profile holds all the work) and summarises where the time goes.
"""

from __future__ import annotations

import cProfile  # noqa: F401 - run as `python -m cProfile` below; imported to fail early if missing
import os
import pstats
import shutil
import subprocess
from pathlib import Path
from typing import Any

import corpus
import measure
import ssg
from common import PRESSRUN_CLI, PROJECT_PYTHON, median

NOW = corpus.NOW.isoformat()


def environment(code: Path | None) -> dict[str, str]:
    """The process environment for pressrun: this checkout's code, or `code/shared` when given."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",) and not k.startswith("PRESSRUN_")}
    if code is not None:
        env["PYTHONPATH"] = str(code / "shared")
    return env


def new_story(folder: Path, number: int) -> Path:
    story = corpus.extra_article(number)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / story.name
    path.write_text(story.yaml(), encoding="utf-8")
    return path


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "runs": runs,
        "wall": median([r["wall"] for r in runs]),
        "cpu": median([r["cpu"] for r in runs]),
        "peak_tree_mb": max(r["peak_tree_mb"] for r in runs),
        "peak_single_mb": max(r["peak_single_mb"] for r in runs),
    }


def measure_size(size: int, work: Path, runs: dict[str, int], code: Path | None = None, hugo: bool = True) -> dict[str, Any]:
    env = environment(code)
    source = corpus.write_corpus(work / f"corpus-{size}", size, "yaml")
    hugo_site = ssg.prepare(size, work) if hugo else None
    hugo_runs: list[dict[str, Any]] = []

    def hugo_build() -> None:
        if hugo_site is not None:
            hugo_runs.append(ssg.build(hugo_site, work / f"hugo-out-{size}"))

    def pressrun(*arguments: str) -> dict[str, Any]:
        # The engine at an old commit finds template.yaml and functions/ from its working folder.
        return measure.run([str(PRESSRUN_CLI), *arguments], env=env, cwd=code)

    site = work / f"site-{size}"
    first = []
    for _ in range(runs["first"]):
        hugo_build()
        shutil.rmtree(site, ignore_errors=True)
        first.append(pressrun("publish", "--site", str(site), "--now", NOW, str(source)))
    one_more = []
    for number in range(runs["one_more"]):
        hugo_build()
        story = new_story(work / f"new-{size}-{number}", number)
        one_more.append(pressrun("publish", "--site", str(site), "--now", NOW, str(story)))
    rebuild = []
    for _ in range(runs["rebuild"]):
        hugo_build()
        rebuild.append(pressrun("rebuild", "--site", str(site), "--now", NOW))
    shutil.rmtree(site, ignore_errors=True)
    shutil.rmtree(work / f"hugo-out-{size}", ignore_errors=True)
    result: dict[str, Any] = {
        "size": size,
        "first_publish": summarise(first),
        "one_more_story": summarise(one_more),
        "rebuild": summarise(rebuild),
    }
    if hugo_runs:
        result["hugo"] = summarise(hugo_runs)
        result["hugo"]["files"] = hugo_runs[-1]["files"]
    return result


# --- profiles -------------------------------------------------------------------------------------


def _group(filename: str, function: str) -> str:
    """Which code a profile entry belongs to: a pressrun module, a library, or a built-in."""
    if filename == "~":
        name = function.strip("<>")
        if "sqlite3" in name:
            return "sqlite3 (built-in)"
        return f"built-in: {name.split(' of ')[0].replace('built-in method ', '').replace('method ', '')}"
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].split(".")[0]
    if "pressrun" in parts:
        return "pressrun." + ".".join(parts[parts.index("pressrun") + 1 :]).removesuffix(".py")
    if filename.startswith("<frozen"):
        return "imports (importlib)" if "importlib" in filename else filename
    return path.stem


def summarise_profile(path: Path, top: int = 25) -> dict[str, Any]:
    stats = pstats.Stats(str(path))
    entries = stats.stats  # type: ignore[attr-defined]
    total = max(cumulative for (_, _, _, cumulative, _) in entries.values())
    by_group: dict[str, float] = {}
    functions = []
    for (filename, line, function), (_, calls, own, cumulative, _) in entries.items():
        group = _group(filename, function)
        by_group[group] = by_group.get(group, 0.0) + own
        if "pressrun" in filename or function in ("parse", "render", "load", "execute", "commit"):
            functions.append(
                {
                    "function": f"{_group(filename, function)}.{function}" if filename != "~" else function,
                    "line": line,
                    "calls": calls,
                    "own": round(own, 3),
                    "cumulative": round(cumulative, 3),
                }
            )
    wrappers = ("cli.main", "cli.<module>", "cli.publish", "cli.rebuild", "site.drain", "site.rebuild")
    functions = [f for f in functions if not any(f["function"].endswith(w) for w in wrappers)]
    functions.sort(key=lambda f: -f["cumulative"])
    groups = sorted(by_group.items(), key=lambda item: -item[1])
    return {
        "total_seconds": round(total, 2),
        "by_code": [{"code": g, "own_seconds": round(s, 3), "share": round(s / total, 3)} for g, s in groups[:15]],
        "top_cumulative": functions[:top],
        "file": str(path),
    }


def profile(size: int, work: Path, out: Path) -> dict[str, Any]:
    """cProfile of a first publish of `size`, one more story, and a rebuild, all on one core."""
    out.mkdir(parents=True, exist_ok=True)
    source = corpus.write_corpus(work / f"corpus-{size}", size, "yaml")
    site = work / f"profile-site-{size}"
    shutil.rmtree(site, ignore_errors=True)
    story = new_story(work / f"profile-new-{size}", 99)
    commands = {
        "first_publish": ["publish", "--site", str(site), "--now", NOW, str(source)],
        "one_more_story": ["publish", "--site", str(site), "--now", NOW, str(story)],
        "rebuild": ["rebuild", "--site", str(site), "--now", NOW],
    }
    result = {}
    for name, arguments in commands.items():
        target = out / f"{name}-{size}.prof"
        command = ["taskset", "-c", "0", str(PROJECT_PYTHON), "-m", "cProfile", "-o", str(target), "-m", "pressrun.cli"]
        subprocess.run([*command, *arguments], check=False, stdout=subprocess.DEVNULL, env=environment(None))
        result[name] = summarise_profile(target)
    shutil.rmtree(site, ignore_errors=True)
    return result
