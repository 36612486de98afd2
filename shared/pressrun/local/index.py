"""The index in SQLite: memberships keyed (listing, position), one summary per listing.

`apply` is one transaction with the DynamoDB adapter's conditions: added keys must not exist,
deleted keys must, and each section summary must still be at the revision it was read at; every
listing touched counts its members from the keys added and deleted, and its revision grows. Every
membership written or removed queues its key, as the index table's KEYS_ONLY stream would.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from pressrun.index import (
    SITE_LISTING,
    IndexConflict,
    IndexUpdate,
    Key,
    ListingEntry,
    ListingSummary,
    category_listing,
    listings_sitemap_capacity,
)
from pressrun.local.state import State
from pressrun.local.work import Kind, WorkQueue
from pressrun.model import AuthorProfile


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
        self,
        listing: str,
        limit: int | None = None,
        since: str | None = None,
        oldest_first: bool = False,
        before: str | None = None,
    ) -> list[ListingEntry]:
        sql = "SELECT entry FROM membership WHERE listing = ?"
        parameters: list[object] = [listing]
        if since is not None:
            sql += " AND position >= ?"
            parameters.append(since)
        if before is not None:
            sql += " AND position < ?"
            parameters.append(before)
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
            # The site's and the sections': "category/…" sorts below "site", tags and authors apart.
            rows = self.state.execute(
                "SELECT summary FROM listing_summary WHERE listing = ? OR (listing >= ? AND listing < ?)",
                (SITE_LISTING, category_listing(""), "category0"),
            ).fetchall()
        else:
            rows = self.state.execute(
                "SELECT summary FROM listing_summary WHERE listing IN (SELECT value FROM json_each(?))",
                (json.dumps(sorted(set(listings))),),
            ).fetchall()
        summaries = [ListingSummary.model_validate_json(row[0]) for row in rows]
        return {summary.listing: summary for summary in summaries}

    def listings_after(self, after: str, limit: int) -> list[str]:
        rows = self.state.execute(
            "SELECT listing FROM listing_summary"
            " WHERE listing > ? AND json_extract(summary, '$.members') > 0 ORDER BY listing LIMIT ?",
            (after, limit),
        )
        return [row[0] for row in rows]

    def name_pages(self, listing: str, heading: str, revision: int) -> bool:
        with self.state.atomic():
            stored = self.summaries([listing]).get(listing)
            if stored is None or stored.revision != revision:
                return False
            named = stored.model_copy(update={"pages_heading": heading})
            self.state.write_many(
                "UPDATE listing_summary SET summary = ? WHERE listing = ?",
                [(named.model_dump_json(), listing)],
            )
        return True

    def set_profile(self, listing: str, profile: AuthorProfile | None, sequencer: str) -> bool:
        with self.state.atomic():
            stored = self.summaries([listing]).get(listing) or ListingSummary(listing=listing)
            if stored.profile_sequencer > sequencer:
                return False
            kept = stored.model_copy(update={"profile": profile, "profile_sequencer": sequencer})
            self.state.write_many(
                "INSERT OR REPLACE INTO listing_summary (listing, revision, summary) VALUES (?, ?, ?)",
                [(listing, kept.revision, kept.model_dump_json())],
            )
        return True

    def note_header(self, was: tuple[str, ...], now: tuple[str, ...]) -> bool:
        with self.state.atomic():
            stored = self.summaries([SITE_LISTING]).get(SITE_LISTING) or ListingSummary(listing=SITE_LISTING)
            if stored.header != was:
                return False
            noted = stored.model_copy(update={"header": now})
            self.state.write(
                "INSERT OR REPLACE INTO listing_summary (listing, revision, summary) VALUES (?, ?, ?)",
                (SITE_LISTING, noted.revision, noted.model_dump_json()),
            )
        return True

    def place_in_listings_sitemap(self, listing: str, file_size: int) -> int:
        with self.state.atomic():
            stored = self.summaries([listing]).get(listing) or ListingSummary(listing=listing)
            listed = stored.members > 0
            number = stored.sitemap_file
            if not number:
                if not listed:
                    return 0
                row = self.state.execute(
                    "SELECT number, places FROM listings_sitemap ORDER BY number DESC LIMIT 1"
                ).fetchone()
                number, places = (row[0], row[1]) if row else (1, 0)
                if places >= listings_sitemap_capacity(number, file_size):
                    number, places = number + 1, 0
                self.state.write(
                    "INSERT INTO listings_sitemap (number, places, names) VALUES (?, 0, '[]')"
                    " ON CONFLICT (number) DO NOTHING",
                    (number,),
                )
                self.state.write(
                    "UPDATE listings_sitemap SET places = places + 1 WHERE number = ?", (number,)
                )
            names = set(self.listings_sitemap_file(number)[0])
            names = names | {listing} if listed else names - {listing}
            self.state.write(
                "UPDATE listings_sitemap SET names = ? WHERE number = ?", (json.dumps(sorted(names)), number)
            )
            placed = stored.model_copy(update={"sitemap_file": number, "in_sitemap": listed})
            self.state.write(
                "INSERT OR REPLACE INTO listing_summary (listing, revision, summary) VALUES (?, ?, ?)",
                (listing, placed.revision, placed.model_dump_json()),
            )
        return number

    def listings_sitemap_file(self, number: int) -> tuple[list[str], int]:
        row = self.state.execute("SELECT names FROM listings_sitemap WHERE number = ?", (number,)).fetchone()
        files = self.state.execute("SELECT MAX(number) FROM listings_sitemap").fetchone()[0]
        return (json.loads(row[0]) if row else []), files or 0

    def existing(self, keys: Iterable[Key]) -> dict[Key, ListingEntry]:
        held: dict[Key, ListingEntry] = {}
        for listing, position in set(keys):
            row = self.state.execute(
                "SELECT entry FROM membership WHERE listing = ? AND position = ?", (listing, position)
            ).fetchone()
            if row is not None:
                held[(listing, position)] = ListingEntry.model_validate_json(row[0])
        return held

    def memberships_of(self, source_key: str) -> set[Key]:
        rows = self.state.execute(
            "SELECT listing, position FROM membership WHERE source_key = ?", (source_key,)
        ).fetchall()
        return {(row[0], row[1]) for row in rows}

    def apply(self, update: IndexUpdate) -> None:
        with self.state.atomic():
            if any(self._exists(key) for key in update.added):
                raise IndexConflict("a membership to add is there already")
            if not all(self._exists(key) for key in update.delete):
                raise IndexConflict("a membership to remove is gone")
            stored = self.summaries(update.listings)
            for summary in update.summaries:
                held = stored.get(summary.listing)
                if (held.revision if held else 0) != summary.revision:
                    raise IndexConflict(f"the summary of {summary.listing} changed since it was read")
            self.state.write_many(
                "DELETE FROM membership WHERE listing = ? AND position = ?",
                [tuple(key) for key in update.delete],
            )
            self.state.write_many(
                "INSERT OR REPLACE INTO membership (listing, position, source_key, entry)"
                " VALUES (?, ?, ?, ?)",
                [
                    (entry.listing, entry.position, entry.source_key, entry.model_dump_json())
                    for entry in update.put
                ],
            )
            # Every listing touched counts its members and moves its revision; a section also takes
            # the heading and newest entries planned from the revision read.
            planned = {summary.listing: summary for summary in update.summaries}
            rows = []
            for listing in sorted(update.listings):
                held = stored.get(listing) or ListingSummary(listing=listing)
                plan = planned.get(listing)
                after = held.model_copy(
                    update={
                        **({"name": plan.name, "newest": plan.newest} if plan else {}),
                        "members": held.members + update.member_change(listing),
                        "revision": held.revision + 1,
                    }
                )
                rows.append((listing, after.revision, after.model_dump_json()))
            self.state.write_many(
                "INSERT OR REPLACE INTO listing_summary (listing, revision, summary) VALUES (?, ?, ?)", rows
            )
            changed = [entry.key for entry in update.put] + list(update.delete)
            self.work.add_many(
                Kind.MEMBERSHIP, [(key[0], membership_payload(key)) for key in dict.fromkeys(changed)]
            )

    def all_entries(self) -> list[ListingEntry]:
        rows = self.state.execute("SELECT entry FROM membership")
        return [ListingEntry.model_validate_json(row[0]) for row in rows]

    # --- another engine's writes (`pressrun dev`): it followed every change already, so none is
    # queued here.

    def keep(self, entry: ListingEntry) -> None:
        self.state.write(
            "INSERT OR REPLACE INTO membership (listing, position, source_key, entry) VALUES (?, ?, ?, ?)",
            (entry.listing, entry.position, entry.source_key, entry.model_dump_json()),
        )

    def forget(self, key: Key) -> None:
        self.state.write("DELETE FROM membership WHERE listing = ? AND position = ?", (key[0], key[1]))

    def all_summaries(self) -> list[ListingSummary]:
        """Every listing's summary, of every kind, with stories or not."""
        rows = self.state.execute("SELECT summary FROM listing_summary ORDER BY listing")
        return [ListingSummary.model_validate_json(row[0]) for row in rows]

    def keep_listings_sitemap_file(self, number: int, places: int, names: list[str]) -> None:
        self.state.write(
            "INSERT OR REPLACE INTO listings_sitemap (number, places, names) VALUES (?, ?, ?)",
            (number, places, json.dumps(sorted(names))),
        )

    def listings_sitemap_files(self) -> list[tuple[int, int, list[str]]]:
        """(number, places, names) of every file of the listings sitemap."""
        rows = self.state.execute("SELECT number, places, names FROM listings_sitemap ORDER BY number")
        return [(row[0], row[1], json.loads(row[2])) for row in rows]

    def keep_summary(self, summary: ListingSummary) -> None:
        self.state.write(
            "INSERT OR REPLACE INTO listing_summary (listing, revision, summary) VALUES (?, ?, ?)",
            (summary.listing, summary.revision, summary.model_dump_json()),
        )

    def _exists(self, key: Key) -> bool:
        return (
            self.state.execute(
                "SELECT 1 FROM membership WHERE listing = ? AND position = ?", (key[0], key[1])
            ).fetchone()
            is not None
        )
