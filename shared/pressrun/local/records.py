"""What a run tells instead of calling a service: editor alerts, CDN invalidations, rebuild jobs,
pings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pressrun.invalidation import SiteChange

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pressrun.pings import Ping
    from pressrun.rebuild import RebuildJob


@dataclass
class RecordedAlerts:
    """EditorAlerts: what the EditorAlerts topic would send, kept for the run's log."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    _told: int = 0

    def rejected(self, source_key: str, text: str) -> None:
        self.sent.append((source_key, text))

    def take(self) -> list[tuple[str, str]]:
        """The alerts sent since the last time this was asked."""
        new, self._told = self.sent[self._told :], len(self.sent)
        return new


@dataclass
class RecordedInvalidations:
    """InvalidationRequests: what the invalidation queue would receive; the summary reports it."""

    changes: list[SiteChange] = field(default_factory=list)

    def request(self, changes: list[SiteChange]) -> None:
        self.changes += changes


@dataclass
class RecordedJobs:
    """JobQueue: the rebuild's jobs, run by the dispatcher rather than by a queue's workers."""

    jobs: list[RebuildJob] = field(default_factory=list)

    def send(self, jobs: list[RebuildJob]) -> None:
        self.jobs += jobs


@dataclass
class RecordedPings:
    """PingQueue: the pings a run's writes call for, each once, sent when the run is over (its pages
    are all written by then, and no CDN stands between them and readers: no delay to wait)."""

    pings: dict[Ping, None] = field(default_factory=dict)

    def send(self, pings: Sequence[Ping], delay_seconds: int) -> None:
        self.pings.update(dict.fromkeys(pings))

    def take(self) -> list[Ping]:
        taken, self.pings = list(self.pings), {}
        return taken
