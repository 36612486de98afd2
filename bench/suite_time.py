"""`make test` as a whole, timed: wall and CPU seconds of the process tree, load before and after.

    .venv/bin/python bench/suite_time.py                 # this checkout
    .venv/bin/python bench/suite_time.py --at 6b0c842    # another commit, exported beside the results

`--at` exports the commit's files (git archive, no worktree) into bench/results/suite/<commit>/, and
links this checkout's .venv and .tools into it, with PYTHONPATH pointing at the export's shared/ so
that its own code, not this checkout's editable install, is what the tests import. The two runs are
separate commands, minutes apart on a shared machine: compare them only with their load averages.
Each run is a full `make test` (linters, sam build, every test); results go to
bench/results/suite/<revision>.json and stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import measure
from common import RESULTS, ROOT, export, git, machine, write_json


def tree_for(revision: str | None) -> tuple[Path, dict[str, str], str]:
    env = dict(os.environ)
    if revision is None:
        return ROOT, env, git("rev-parse", "--short", "HEAD")
    short = git("rev-parse", "--short", revision)
    tree = export(short, RESULTS / "suite" / short, paths=(".",))
    for name in (".venv", ".tools"):
        (tree / name).symlink_to(ROOT / name)
    env["PYTHONPATH"] = str(tree / "shared")
    return tree, env, short


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--at", help="a commit to time instead of this checkout")
    arguments = parser.parse_args()
    tree, env, revision = tree_for(arguments.at)
    log = RESULTS / "suite" / f"{revision}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    result = measure.run(["make", "-C", str(tree), "test"], env=env, ok=(0, 2), output=log, interval=1.0)
    lines = log.read_text(errors="replace").splitlines()
    result["summary"] = [line.strip("= ") for line in lines if line.startswith("=") and " passed" in line][-1:]
    result["failed"] = [line.removeprefix("FAILED ") for line in lines if line.startswith("FAILED ")]
    result.update({"revision": revision, "tree": str(tree), "machine": machine(), "command": "make test"})
    write_json(RESULTS / "suite" / f"{revision}.json", result)
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
