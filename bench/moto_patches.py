"""pressrun.emulator's moto patches switched off in this process, to show what moto itself costs.

moto 5.2 does several things real AWS does not, each O(table or bucket) per call; `LocalStack.start`
patches them for every local run (`pressrun publish`, `pressrun dev`, the tests, these benchmarks):

1. `TransactWriteItems` deep-copies every table it names as a rollback backup
   (`pressrun.emulator.dynamodb_transactions` copies only what the transaction names);
2. `Query` and `Scan` sort the whole table for every page and walk past the pages already read
   (`pressrun.emulator.dynamodb_reads` hands moto only the items it reaches);
3. every DynamoDB attribute value is serialized through the API model, ~40 name lookups each
   (`pressrun.emulator.dynamodb_responses` writes items directly);
4. `ListObjectsV2` walks every object of the bucket (`pressrun.emulator.s3_listings` bisects the
   sorted names).

Each patch is pinned against unpatched moto by its tests in tests/integration/
The benchmarks run pressrun both ways: "local" is what `pressrun publish` runs; "unpatched" calls
`unpatched()` first, so the difference between the two columns is moto's, and what grows with the
site in the "local" column is pressrun's own (plus what is left of moto's). The fixtures are built
on the local stack; `fixtures.py --verify 100` builds a site both ways and compares them.
"""

from __future__ import annotations

import contextlib
from typing import Any


def unpatched() -> None:
    """Leave moto as it is: the local stack installs none of its patches. Call before any LocalStack
    starts (a patch installed stays installed for the process)."""
    from pressrun.emulator import dynamodb_reads, dynamodb_responses, dynamodb_transactions, s3_listings

    for module in (dynamodb_transactions, dynamodb_reads, dynamodb_responses, s3_listings):
        module.install = lambda: None  # type: ignore[attr-defined]


def comparable_state(site_dir: Any) -> dict[str, Any]:
    """A built site's tables, pages and uploads without what differs from run to run (S3 version
    ids, sequencers and upload times, which come from the clock)."""
    import hashlib
    import json
    import sqlite3
    from pathlib import Path

    site = Path(site_dir)
    volatile = {"sequencer", "source_version", "rejected_sequencer", "revision", "uploaded_at"}
    # The state's database (format 3, pressrun.emulator.state_store), read as it is.
    with contextlib.closing(sqlite3.connect(site / ".pressrun" / "state.db")) as database:
        tables: dict[str, list[str]] = {}
        for table, text in database.execute("SELECT tbl, json FROM item"):
            item = {k: v for k, v in json.loads(text).items() if k not in volatile}
            tables.setdefault(table, []).append(json.dumps(item, sort_keys=True))
        uploads = sorted(database.execute("SELECT key, blob FROM upload").fetchall())
    tables = {table: sorted(items) for table, items in tables.items()}
    pages = {
        path.relative_to(site).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in site.rglob("*")
        if path.is_file() and ".pressrun" not in path.parts
    }
    return {"tables": tables, "pages": pages, "uploads": uploads}
