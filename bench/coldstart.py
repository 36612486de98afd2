"""Cold start: import (and module-level init) of each handler, in fresh processes, the way Lambda does it.

The built layer is for arm64 and cannot be imported here, so this makes its x86 twin with the same
recipe: shared/Makefile's `build-PressrunLayer` (what `sam build` runs) for this machine's platform,
and boto3 in a separate, precompiled folder (the runtime's own copy).
Each measured process is python3.13 (the functions' runtime, from bench/.venv-lambda) started with
`-S` (no site-packages) and PYTHONPATH = the function's folder, the layer, the runtime's boto3 -- as
/var/task, /opt/python and the runtime's path are -- with the function's environment variables from
template.yaml (Globals and its own). It imports `app` the way the runtime does, timing it in process.

Two layer modes:
- `as built`: the layer as shared/Makefile builds it (dependencies as sourceless .pyc, pressrun with
  its .pyc in __pycache__);
- `precompiled`: for comparison, the requirements as `pip install --no-compile --target` leaves them
  plus shared/pressrun, with .pyc made by compileall beside the sources (__pycache__).
Either way, a module without a .pyc is compiled on every cold start: /opt is read-only on Lambda
(the processes run with -B so nothing is written).

The baseline process imports only boto3 and pydantic, in the same mode. The Tracer variant adds
aws-xray-sdk to the layer and makes `Tracer()` as a handler would, with Lambda's variables set so
Powertools does not disable it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

from common import LAMBDA_VENV, RESULTS, ROOT, log, median

LAYERS = RESULTS / "coldstart"
MODES = ("as built", "precompiled")

CHILD = r"""
import json, os, resource, sys, time
started = time.perf_counter()
what = sys.argv[1]
if what == "baseline":
    import boto3, pydantic
else:
    import importlib
    module = importlib.import_module("app")
imported = time.perf_counter()
tracer = 0.0
if len(sys.argv) > 2 and sys.argv[2] == "tracer":
    from aws_lambda_powertools import Tracer
    Tracer()
    tracer = time.perf_counter() - imported
clients = 0.0
if len(sys.argv) > 2 and sys.argv[2] == "clients":
    import boto3
    boto3.client("s3"); boto3.client("dynamodb")
    clients = time.perf_counter() - imported
print(json.dumps({"import": imported - started, "tracer": tracer, "clients": clients,
                  "modules": len(sys.modules),
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _placeholder(value: Any, parameters: dict[str, Any]) -> str:
    """A stand-in for a template value: parameters get their defaults, resources a made-up name."""
    if isinstance(value, dict):
        (key, argument), = value.items()
        if key == "Ref":
            return str(parameters.get(argument, {}).get("Default", f"bench-{argument}"))
        if key == "Fn::GetAtt":
            name = argument[0] if isinstance(argument, list) else argument.split(".")[0]
            return f"arn:aws:bench:us-east-1:123456789012:{name}"
        if key == "Fn::If":
            return _placeholder(argument[2], parameters)
        if key == "Fn::Sub":
            return "https://bench.cloudfront.net" if "Domain" in str(argument) else "bench"
        return "bench"
    return str(value)


class _Loader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".")
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_Loader.add_multi_constructor("!", _tag)


def functions() -> dict[str, dict[str, str]]:
    """Each function's handler folder and environment, from template.yaml."""
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=_Loader)  # noqa: S506 (a SafeLoader)
    parameters = template.get("Parameters", {})
    globals_ = template["Globals"]["Function"].get("Environment", {}).get("Variables", {})
    out = {}
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        variables = {**globals_, **properties.get("Environment", {}).get("Variables", {})}
        environment = {key: _placeholder(value, parameters) for key, value in variables.items()}
        out[name] = {"code": str(ROOT / properties["CodeUri"]), "env": environment}
    return out


def _lambda_python() -> Path:
    return LAMBDA_VENV / "bin" / "python"


def prepare() -> dict[str, Path]:
    """The x86 layer twin (without and with .pyc), the runtime's boto3 and an X-Ray add-on, cached."""
    python = _lambda_python()
    stamp = (ROOT / "shared" / "requirements.txt").read_text()
    layer_recipe = ROOT / "shared" / "Makefile"
    marker = LAYERS / "ready"
    paths = {
        "as built": LAYERS / "layer" / "python",
        "precompiled": LAYERS / "layer-pyc" / "python",
        "runtime": LAYERS / "runtime",
        "xray": LAYERS / "xray",
    }
    if not (marker.exists() and marker.read_text() == stamp and (LAYERS / "pip").exists()):
        shutil.rmtree(LAYERS, ignore_errors=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--no-compile", "--target"]
        subprocess.run([*pip, str(LAYERS / "pip" / "python"), "-r", str(ROOT / "shared" / "requirements.txt")], check=True)
        subprocess.run([*pip, str(paths["runtime"]), "boto3"], check=True)
        subprocess.run([*pip, str(paths["xray"]), "--no-deps", "aws-xray-sdk==2.15.0", "wrapt"], check=True)
        subprocess.run([str(python), "-m", "compileall", "-q", str(paths["runtime"])], check=True)
        subprocess.run([str(python), "-m", "compileall", "-q", str(paths["xray"])], check=True)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(stamp)
    # The layer's own recipe, every run (pressrun and the recipe change; pip's cache has the wheels).
    platform = f"manylinux2014_{os.uname().machine}"
    subprocess.run(
        ["make", "--no-print-directory", "-f", str(layer_recipe), "build-PressrunLayer",
         f"ARTIFACTS_DIR={paths['as built'].parent}", f"LAYER_PYTHON={python}", f"PIP_PLATFORM={platform}"],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    # The comparison: pressrun copied fresh each run onto the cached dependencies, all compiled.
    target = paths["precompiled"]
    if not (target.parent / "deps-ready").exists():
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(LAYERS / "pip" / "python", target)
        (target.parent / "deps-ready").write_text("")
    shutil.rmtree(target / "pressrun", ignore_errors=True)
    shutil.copytree(ROOT / "shared" / "pressrun", target / "pressrun", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([str(python), "-m", "compileall", "-q", str(target)], check=True)
    return paths


def _run(paths: dict[str, Path], mode: str, code: str | None, env: dict[str, str], extra: str = "") -> dict[str, Any]:
    python_path = [paths[mode], paths["runtime"]]
    if extra == "tracer":
        python_path.insert(1, paths["xray"])
    if code:
        python_path.insert(0, Path(code))
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join(map(str, python_path)),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "LAMBDA_TASK_ROOT": code or "/var/task",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "_X_AMZN_TRACE_ID": "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=1",
        **env,
    }
    command = [str(_lambda_python()), "-S", "-B", "-c", CHILD, "baseline" if code is None else "app"]
    if extra:
        command.append(extra)
    started = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=code or str(RESULTS))
    wall = time.perf_counter() - started
    if out.returncode != 0:
        raise RuntimeError(f"cold start of {code or 'baseline'} failed:\n{out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_wall"] = wall
    return result


def measure(processes: int, modes: tuple[str, ...] = MODES) -> dict[str, Any]:
    paths = prepare()
    handlers = functions()
    results: dict[str, Any] = {"processes": processes, "python": _python_version(), "modes": {}}
    for mode in modes:
        rows: dict[str, Any] = {}
        cases: list[tuple[str, str | None, dict[str, str], str]] = [("baseline: boto3 + pydantic", None, {}, "")]
        cases += [(name, spec["code"], spec["env"], "") for name, spec in handlers.items()]
        cases.append(("ValidateArticleFunction + Tracer()", handlers["ValidateArticleFunction"]["code"],
                      handlers["ValidateArticleFunction"]["env"], "tracer"))
        cases.append(("RenderListingsFunction + Tracer()", handlers["RenderListingsFunction"]["code"],
                      handlers["RenderListingsFunction"]["env"], "tracer"))
        cases.append(("ValidateArticleFunction + s3/dynamodb clients", handlers["ValidateArticleFunction"]["code"],
                      handlers["ValidateArticleFunction"]["env"], "clients"))  # fmt: skip
        samples: dict[str, list[dict[str, Any]]] = {label: [] for label, *_ in cases}
        for _ in range(processes):  # interleaved, so drift on a shared machine hits every case alike
            for label, code, env, extra in cases:
                samples[label].append(_run(paths, mode, code, env, extra))
        baseline = median([s["import"] for s in samples["baseline: boto3 + pydantic"]])
        for label, runs in samples.items():
            imported = median([r["import"] for r in runs])
            rows[label] = {
                "import_ms": round(imported * 1000, 1),
                "vs_baseline": round(imported / baseline, 2),
                "tracer_ms": round(median([r["tracer"] for r in runs]) * 1000, 1),
                "clients_ms": round(median([r["clients"] for r in runs]) * 1000, 1),
                "process_wall_ms": round(median([r["process_wall"] for r in runs]) * 1000, 1),
                "modules": runs[-1]["modules"],
                "maxrss_mb": round(median([r["maxrss_mb"] for r in runs]), 1),
            }
        results["modes"][mode] = rows
        if mode == modes[0]:
            results["importtime"] = importtime(paths, mode, handlers["ValidateArticleFunction"])
        log(f"  cold start ({mode}): baseline {baseline * 1000:.0f} ms, "
            f"handlers up to {max(r['import_ms'] for k, r in rows.items() if 'Function' in k and '+' not in k):.0f} ms")  # fmt: skip
    return results


def importtime(paths: dict[str, Path], mode: str, handler: dict[str, Any]) -> dict[str, Any]:
    """`-X importtime` of one handler's import: self time summed per top-level package."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join(map(str, [handler["code"], paths[mode], paths["runtime"]])),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        **handler["env"],
    }
    out = subprocess.run(
        [str(_lambda_python()), "-S", "-B", "-X", "importtime", "-c", "import app"],
        capture_output=True, text=True, env=environment, cwd=handler["code"],
    )
    packages: dict[str, dict[str, float]] = {}
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        first, _, name = line.split("|", 2)
        self_us = first.split(":", 1)[1].strip()
        top = name.strip().split(".")[0]
        row = packages.setdefault(top, {"ms": 0.0, "modules": 0})
        row["ms"] += int(self_us) / 1000
        row["modules"] += 1
    total = sum(row["ms"] for row in packages.values())
    top = dict(sorted(packages.items(), key=lambda item: -item[1]["ms"])[:14])
    return {
        "handler": "ValidateArticleFunction",
        "mode": mode,
        "total_ms": round(total, 1),
        "packages": {k: {"ms": round(v["ms"], 1), "modules": int(v["modules"])} for k, v in top.items()},
    }


def _python_version() -> str:
    out = subprocess.run([str(_lambda_python()), "--version"], capture_output=True, text=True)
    return out.stdout.strip()


if __name__ == "__main__":
    import sys

    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 3), indent=2))
