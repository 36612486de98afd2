"""The built layer's unzipped size, by package, with and without what the Lambda runtime already has.

`make build` (sam build) installs shared/requirements.txt for python3.13/arm64 into
.aws-sam/build/PressrunLayer/python. The python3.13 runtime ships boto3 and its dependency closure
(botocore, s3transfer, jmespath, python-dateutil, urllib3, six), so those bytes are dead weight in
the layer (and the runtime's copy wins or loses depending on sys.path order: /opt/python comes first,
so the layer's boto3 is the one imported).
"""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

from common import ROOT, log

LAYER = ROOT / ".aws-sam" / "build" / "PressrunLayer"
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "python_dateutil", "urllib3", "six"}
MB = 1024 * 1024


def _package_of(relative: Path) -> str:
    top = relative.parts[0]
    if top.endswith((".dist-info", ".egg-info")):
        name = re.split(r"-\d", top.rsplit(".", 1)[0])[0]
        return name.lower().replace("-", "_")
    if top.endswith(".py"):
        return top[:-3]
    if top.endswith(".so"):
        return top.split(".")[0]
    return top.lower()


def measure(build: bool) -> dict[str, Any]:
    if build or not LAYER.exists():
        log("running make build (sam build) for the layer")
        out = subprocess.run(["make", "build"], cwd=ROOT, capture_output=True, text=True)
        if out.returncode != 0:
            return {"error": f"make build failed: {out.stderr[-2000:] or out.stdout[-2000:]}"}
    site = LAYER / "python"
    if not site.exists():
        return {"error": f"{site} does not exist; run make build"}
    sizes: dict[str, int] = defaultdict(int)
    files = 0
    for path in site.rglob("*"):
        if path.is_file() and not path.is_symlink():
            sizes[_package_of(path.relative_to(site))] += path.stat().st_size
            files += 1
    total = sum(sizes.values())
    runtime = sum(size for name, size in sizes.items() if name in RUNTIME_PROVIDED)
    boto3_only = sizes.get("boto3", 0)
    pycache = sum(p.stat().st_size for p in site.rglob("*.pyc"))
    return {
        "path": str(LAYER.relative_to(ROOT)),
        "files": files,
        "total_mb": round(total / MB, 2),
        "boto3_package_mb": round(boto3_only / MB, 2),
        "runtime_provided_mb": round(runtime / MB, 2),
        "without_boto3_mb": round((total - boto3_only) / MB, 2),
        "without_runtime_provided_mb": round((total - runtime) / MB, 2),
        "pyc_mb": round(pycache / MB, 2),
        "by_package_mb": {
            name: round(size / MB, 2) for name, size in sorted(sizes.items(), key=lambda item: -item[1]) if size > 0.05 * MB
        },
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(measure("--build" in sys.argv), indent=2))
