"""What the reconciliation sweep keeps on this machine, and what it finds lost here.

The sweep itself is the domain's (`pressrun.reconcile`); `pressrun reconcile` runs it on the local
adapters, where it checks the same things it checks on AWS.
"""

from __future__ import annotations

from datetime import datetime

from pressrun.local.state import State
from pressrun.sweep_state import SweepState


class SqliteSweepJournal:
    def __init__(self, state: State) -> None:
        self.state = state

    def load(self) -> SweepState:
        row = self.state.execute("SELECT state FROM sweep WHERE id = 1").fetchone()
        return SweepState.model_validate_json(row[0]) if row else SweepState()

    def save(self, state: SweepState) -> None:
        self.state.write("INSERT OR REPLACE INTO sweep (id, state) VALUES (1, ?)", (state.model_dump_json(),))


class NoLostBatches:
    """Locally no stream batch is ever cut down to its coordinates: work that keeps failing is set
    aside whole, as a dead letter `pressrun redrive` retries. So there is never a time span to
    re-check, and this says so rather than pretending to read a destination."""

    def take(self) -> list[tuple[datetime, datetime]]:
        return []

    def settled(self) -> None:
        return None
