"""Shared fixtures. Handlers read Powertools settings at import, as on Lambda: set them first."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "pressrun")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "pressrun")

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "infra" / "events"
SAMPLE = ROOT / "samples" / "openvoicenews-uk-china-trade.txt"


def load_event(name: str) -> dict[str, Any]:
    """A real-shape Lambda event from infra/events/, the same files `sam local invoke -e` takes."""
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return event


@pytest.fixture
def clean_environment() -> Iterator[None]:
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
