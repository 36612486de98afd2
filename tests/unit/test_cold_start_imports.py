"""What a cold start loads: each handler module, imported in a fresh interpreter as Lambda does, loads
no library its function does not use at import (docs/performance-history.md, item 6). A library that only
some functions need is imported where it is first used, never by every function through runtime.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

FUNCTIONS = sorted(path.parent.name for path in (ROOT / "functions").glob("*/app.py"))
RENDERERS = {
    "follow_article_change",
    "render_listings",
    "rebuild",
    "rebuild_worker",
    "reconcile",
    "search_index",
}
WATCHED = [
    "jinja2",
    "markdown_it",
    "yaml",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.parser.models.s3",
    "aws_lambda_powertools.utilities.parser.models.event_bridge",
    "pressrun.emulator",
    "pressrun.local",
    "PIL",
]
ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "POWERTOOLS_SERVICE_NAME": "pressrun",
    "POWERTOOLS_METRICS_NAMESPACE": "pressrun",
    **{
        name: "test"
        for name in (
            "UPLOADS_BUCKET",
            "SITE_BUCKET",
            "ARTICLES_TABLE",
            "SLUGS_TABLE",
            "INDEX_TABLE",
            "IMAGES_TABLE",
            "DISTRIBUTION_ID",
            "EDITOR_ALERTS_TOPIC",
            "IDEMPOTENCY_TABLE",
        )
    },
}
CHILD = f"import json, sys, app; print(json.dumps([name for name in {WATCHED!r} if name in sys.modules]))"


def _loaded_by_import(function: str) -> set[str]:
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT / "functions" / function)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD],
        env={**environment, **ENVIRONMENT},
        cwd=ROOT / "functions" / function,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_handler_imports_only_what_its_cold_start_needs(function: str) -> None:
    loaded = _loaded_by_import(function)

    # Parsed on first use only (YAML front matter, Markdown bodies); events are read with Powertools'
    # data classes, not its parser models; pressrun.emulator and pressrun.local are for the CLI.
    assert not loaded & {
        "markdown_it",
        "yaml",
        "aws_lambda_powertools.utilities.parser.models.s3",
        "aws_lambda_powertools.utilities.parser.models.event_bridge",
        "pressrun.emulator",
        "pressrun.local",
    }
    assert ("jinja2" in loaded) == (function in RENDERERS)
    assert ("aws_lambda_powertools.utilities.idempotency" in loaded) == (function == "release_article")
    # Pillow is in the image function's own package, and loaded by nothing else.
    assert ("PIL" in loaded) == (function == "process_image")
