"""A local site's state made by an earlier release is brought up to date, never refused or guessed at."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pressrun.local.state import FORMAT, State


def test_a_format_3_state_gains_the_listings_sitemap_and_keeps_its_redirects(tmp_path: Path):
    # GIVEN a state database as format 3 left it: redirects, and no listings sitemap yet
    path = tmp_path / "state.db"
    State(path).connection.close()
    made = sqlite3.connect(path)
    made.executescript(
        "DROP TABLE listings_sitemap; PRAGMA user_version = 3;"
        " INSERT INTO redirect (path, target) VALUES ('/old/', '/new/');"
    )
    made.close()
    # WHEN this release opens it
    state = State(path)
    # THEN it is of this release's format, its redirect kept, and the listings sitemap can be kept
    assert state.execute("PRAGMA user_version").fetchone()[0] == FORMAT == 4
    assert state.execute("SELECT target FROM redirect WHERE path = '/old/'").fetchone()[0] == "/new/"
    state.write("INSERT INTO listings_sitemap (number, places, names) VALUES (1, 1, '[\"tag/x\"]')")
    assert state.execute("SELECT places FROM listings_sitemap").fetchone()[0] == 1
