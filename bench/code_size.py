"""The size of the embedded default's code, before and after it moved off moto: lines per file, read
from git (no checkout needed), at BEFORE and at HEAD.

    .venv/bin/python bench/code_size.py [--before 6b0c842] [--after HEAD]

`shared/pressrun/local/` is the local engine at both ends; at BEFORE it also held the moto patches,
the state code and `pressrun dev`, which moved to `shared/pressrun/emulator/` (the stack on
unpatched moto, for tests and `pressrun dev`). Both folders are counted at both revisions, and the
lines that are neither blank nor only a comment are counted beside the total.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from common import git

BEFORE = "6b0c842"
FOLDERS = ("shared/pressrun/local", "shared/pressrun/emulator")


def _counts(text: str) -> tuple[int, int]:
    lines = text.splitlines()
    code = sum(1 for line in lines if line.strip() and not line.strip().startswith("#"))
    return len(lines), code


def folder(revision: str, path: str) -> dict[str, Any]:
    names = [n for n in git("ls-tree", "-r", "--name-only", revision, "--", path).splitlines() if n.endswith(".py")]
    files = {}
    for name in names:
        total, code = _counts(git("show", f"{revision}:{name}"))
        files[name.removeprefix(path + "/")] = {"lines": total, "code_lines": code}
    return {
        "files": len(files),
        "lines": sum(f["lines"] for f in files.values()),
        "code_lines": sum(f["code_lines"] for f in files.values()),
        "by_file": dict(sorted(files.items(), key=lambda item: -item[1]["lines"])),
    }


def measure(before: str = BEFORE, after: str = "HEAD") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, revision in (("before", before), ("after", after)):
        short = git("rev-parse", "--short", revision)
        out[label] = {"revision": short, **{path: folder(short, path) for path in FOLDERS}}
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=BEFORE)
    parser.add_argument("--after", default="HEAD")
    arguments = parser.parse_args()
    json.dump(measure(arguments.before, arguments.after), sys.stdout, indent=2)
    print()
