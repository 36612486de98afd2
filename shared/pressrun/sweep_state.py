"""What the reconciliation sweep sees of the uploads, keeps between runs, and reports.

Apart from `pressrun.reconcile` (which renders) so that the adapters can read and write it without
loading the renderers into every function's cold start.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from pressrun.index import PageRange

DriftKind = Literal["upload", "page", "index", "schedule", "listing", "orphan", "redirect", "profile"]


class UploadState(BaseModel):
    """What a key of the uploads bucket serves now: a version, or nothing (`version_id` None)."""

    model_config = ConfigDict(frozen=True)

    key: str
    version_id: str | None
    last_modified: datetime


class UploadVersion(BaseModel):
    """One version a key of the uploads bucket keeps, or one of its delete markers."""

    model_config = ConfigDict(frozen=True)

    version_id: str
    delete_marker: bool = False


class Budget(BaseModel):
    """How much of the archive one sweep checks beyond what changed. With a sweep every 15 minutes
    (96 a day) the defaults check 100,000 articles, their uploads and 240,000 listing entries daily."""

    model_config = ConfigDict(frozen=True)

    uploads: int = 1_100
    articles: int = 1_100
    listing_entries: int = 2_500
    site_keys: int = 2_500
    images: int = 1_100


class SweepState(BaseModel):
    """What a sweep leaves for the next: when it started, and where each archive walk stopped."""

    last_started: datetime | None = None
    uploads_after: str = ""
    articles_after: str = ""
    pages: PageRange | None = None
    site_after: str = ""
    images_after: str = ""
    # Sweeps in a row that found drift: two in a row means something keeps breaking.
    drifting_sweeps: int = 0


class Drift(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: DriftKind
    subject: str


class SweepReport(BaseModel):
    """What one sweep checked and what it found; every drift found was repaired (or re-announced)."""

    started_at: datetime
    checked: dict[str, int]
    drift: list[Drift]
    # Drift found in this sweep and the one before: the operator's alarm.
    persistent: bool

    @property
    def found(self) -> int:
        return len(self.drift)
