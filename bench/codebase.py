"""Which copy of pressrun the benchmarks run: the checkout, or a frozen snapshot of it.

Other people edit the checkout while a long run goes on; `run.py` copies shared/, functions/ and
template.yaml into bench/results/<mode>/code/ first and sets PRESSRUN_BENCH_CODE, so every stage
of one run measures the same code. Imported first by every bench module, it puts that copy's
shared/ at the front of sys.path (ahead of the .venv's editable install of the checkout).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
VARIABLE = "PRESSRUN_BENCH_CODE"


def code_root() -> Path:
    return Path(os.environ.get(VARIABLE) or CHECKOUT)


def snapshot(target: Path) -> Path:
    """Copy what the pipeline runs (shared/, functions/, template.yaml) and point this process and
    its children at the copy."""
    if target.exists():
        shutil.rmtree(target)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(CHECKOUT / "shared", target / "shared", ignore=ignore)
    shutil.copytree(CHECKOUT / "functions", target / "functions", ignore=ignore)
    shutil.copy2(CHECKOUT / "template.yaml", target / "template.yaml")
    os.environ[VARIABLE] = str(target)
    if str(target / "shared") not in sys.path:
        sys.path.insert(0, str(target / "shared"))
    return target


if str(code_root() / "shared") not in sys.path:
    sys.path.insert(0, str(code_root() / "shared"))
