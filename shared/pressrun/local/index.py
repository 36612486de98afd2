"""The category index in SQLite: memberships keyed (listing, position), one summary per listing.

`apply` is one transaction with the DynamoDB adapter's conditions: added keys must not exist,
deleted keys must, and each summary must still be at the revision it was read at. Every membership
written or removed queues its key, as the index table's KEYS_ONLY stream would.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from pressrun.index import IndexConflict, IndexUpdate, Key, ListingEntry, ListingSummary
from pressrun.local.state import State
from pressrun.local.work import Kind, WorkQueue


def membership_payload(key: Key) -> str:
    listing, position = key
    return f"{listing}\n{position}"


def membership_key(payload: str) -> Key:
    listing, _, position = payload.partition("\n")
    return listing, position


class SqliteIndex:
    def __init__(self, state: State, work: WorkQueue) -> None:
        self.state = state
        self.work = work

    def entries(
        self, listing: str, limit: int | None = None, since: str | None = None, oldest_first: bool = False
    ) -> list[ListingEntry]:
        sql = "SELECT entry FROM membership WHERE listing = ?"
        parameters: list[object] = [listing]
        if since is not None:
            sql += " AND position >= ?"
            parameters.append(since)
        sql += " ORDER BY position" + ("" if oldest_first else " DESC")
        if limit is not None:
            sql += " LIMIT ?"
            parameters.append(limit)
        return [ListingEntry.model_validate_json(row[0]) for row in self.state.execute(sql, parameters)]

    def positions(self, listing: str, since: str) -> list[str]:
        rows = self.state.execute(
            "SELECT position FROM membership WHERE listing = ? AND position >= ? ORDER BY position DESC",
            (listing, since),
        )
        return [row[0] for row in rows]

    def summaries(self, listings: Iterable[str] | None = None) -> dict[str, ListingSummary]:
        if listings is None:
            rows = self.state.execute("SELECT summary FROM listing_summary").fetchall()
        else:
            rows = self.state.execute(
                "SELECT summary FROM listing_summary WHERE listing IN (SELECT value FROM json_each(?))",
                (json.dumps(sorted(set(listings))),),
            ).fetchall()
        summaries = [ListingSummary.model_validate_json(row[0]) for row in rows]
        return {summary.listing: summary for summary in summaries}

    def existing(self, keys: Iterable[Key]) -> set[Key]:
        return {key for key in set(keys) if self._exists(key)}

    def apply(self, update: IndexUpdate) -> None:
        with self.state.atomic():
            if any(self._exists(key) for key in update.added):
                raise IndexConflict("a membership to add is there already")
            if not all(self._exists(key) for key in update.delete):
                raise IndexConflict("a membership to remove is gone")
            for summary in update.summaries:
                row = self.state.execute(
                    "SELECT revision FROM listing_summary WHERE listing = ?", (summary.listing,)
                ).fetchone()
                if (row[0] if row else 0) != summary.revision:
                    raise IndexConflict(f"the summary of {summary.listing} changed since it was read")
            self.state.write_many(
                "DELETE FROM membership WHERE listing = ? AND position = ?",
                [tuple(key) for key in update.delete],
            )
            self.state.write_many(
                "INSERT OR REPLACE INTO membership (listing, position, entry) VALUES (?, ?, ?)",
                [(entry.listing, entry.position, entry.model_dump_json()) for entry in update.put],
            )
            self.state.write_many(
                "INSERT OR REPLACE INTO listing_summary (listing, revision, summary) VALUES (?, ?, ?)",
                [
                    (
                        summary.listing,
                        summary.revision + 1,
                        summary.model_copy(update={"revision": summary.revision + 1}).model_dump_json(),
                    )
                    for summary in update.summaries
                ],
            )
            changed = [entry.key for entry in update.put] + list(update.delete)
            self.work.add_many(
                Kind.MEMBERSHIP, [(key[0], membership_payload(key)) for key in dict.fromkeys(changed)]
            )

    def _exists(self, key: Key) -> bool:
        return (
            self.state.execute(
                "SELECT 1 FROM membership WHERE listing = ? AND position = ?", (key[0], key[1])
            ).fetchone()
            is not None
        )
