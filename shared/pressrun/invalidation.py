"""Planning CDN invalidations: which paths a batch of site changes makes stale, asked for once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from pressrun.urls import public_paths


class SiteChange(BaseModel):
    """An object written to or removed from the site bucket; `version` tells two changes of one key apart."""

    model_config = ConfigDict(frozen=True)

    key: str
    version: str


class Cdn(Protocol):
    def invalidate(self, paths: list[str], caller_reference: str) -> None: ...


def plan_paths(changes: Iterable[SiteChange]) -> list[str]:
    """Every public path of every changed object, each once, in a stable order."""
    return sorted({path for change in changes for path in public_paths(change.key)})


def caller_reference(changes: Iterable[SiteChange]) -> str:
    # Derived from the changes themselves: a retried batch repeats its reference, and CloudFront answers
    # it with the invalidation it already made; a later change of the same paths has new versions.
    fingerprint = "\n".join(sorted({f"{change.key}@{change.version}" for change in changes}))
    return f"pressrun-{hashlib.sha256(fingerprint.encode('utf-8')).hexdigest()[:40]}"


def invalidate_changes(changes: list[SiteChange], cdn: Cdn) -> list[str]:
    """Ask the CDN to drop every path the changes touched, in one request; the paths asked for."""
    paths = plan_paths(changes)
    if paths:
        cdn.invalidate(paths, caller_reference(changes))
    return paths
