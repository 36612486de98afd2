"""`pressrun serve` answers as the CDN would, and never serves pressrun's own state."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pressrun.local.serve import server


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("serve")
    site = tmp_path / "site"
    (site / ".pressrun").mkdir(parents=True)
    (site / ".pressrun" / "state.db").write_bytes(b"SQLite format 3\0")
    (site / "category" / "economics").mkdir(parents=True)
    (site / "category" / "economics" / "index.html").write_text("<p>economics</p>")
    (site / "2025" / "06").mkdir(parents=True)
    (site / "index.html").write_text("<p>home</p>")
    (site / "404.html").write_text("<p>no such page</p>")
    (site / ".hidden.html.pressrun-tmp").write_text("<p>half written</p>")
    (site / "elsewhere").symlink_to(tmp_path)
    (tmp_path / "secret.txt").write_text("secret")
    return site


@pytest.fixture(scope="module")
def get(site_dir: Path) -> Iterator[object]:
    listening = server(site_dir, 0)
    thread = threading.Thread(target=listening.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    port = listening.server_address[1]

    def request(path: str) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", path)
        response = connection.getresponse()
        result = response.status, dict(response.getheaders()), response.read()
        connection.close()
        return result

    yield request
    listening.shutdown()
    listening.server_close()


HIDDEN = [
    "/.pressrun/state.db",
    "/.pressrun/",
    "/.pressrun",
    "/%2Epressrun/state.db",
    "/.hidden.html.pressrun-tmp",
]


@pytest.mark.parametrize("path", HIDDEN)
def test_pressruns_own_files_are_never_served(get, path: str):
    status, _, body = get(path)

    assert status == 404
    assert b"SQLite" not in body


def test_a_missing_page_is_the_sites_404_page_with_status_404(get):
    status, _, body = get("/no/such/page/")

    assert (status, body) == (404, b"<p>no such page</p>")


def test_a_folder_without_its_slash_redirects_to_it(get):
    status, headers, _ = get("/category/economics")

    assert status == 301
    assert headers["Location"] == "/category/economics/"


def test_a_folder_path_serves_its_index_page(get):
    assert get("/category/economics/")[::2] == (200, b"<p>economics</p>")
    assert get("/")[::2] == (200, b"<p>home</p>")


def test_a_folder_without_an_index_is_not_listed(get):
    status, _, body = get("/2025/06/")

    assert (status, body) == (404, b"<p>no such page</p>")


def test_a_link_out_of_the_folder_is_not_followed(get):
    status, _, body = get("/elsewhere/secret.txt")

    assert status == 404
    assert b"secret" not in body


def test_a_moved_storys_old_address_answers_301_with_its_new_one(tmp_path: Path):
    """The whole local chain: `pressrun publish` of a story, then of its edit with another slug; then
    `pressrun serve` answers the old address as the CDN's function answers it from its store."""
    from pressrun.cli import main

    # GIVEN a story published, then published again under a new slug
    story = tmp_path / "vote.md"
    site = tmp_path / "site"
    for slug in ("council-vote", "council-vote-delayed"):
        story.write_text(
            f"---\ntitle: Council vote\ndate: 2025-06-20\ncategories: [Politics]\nslug: {slug}\n---\nText.\n"
        )
        assert main(["publish", "--site", str(site), str(story)]) == 0
    listening = server(site, 0)
    thread = threading.Thread(target=listening.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:

        def get(path: str) -> tuple[int, str | None]:
            connection = http.client.HTTPConnection("127.0.0.1", listening.server_address[1], timeout=5)
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            connection.close()
            return response.status, response.getheader("Location")

        # WHEN a reader asks for the old address, with or without its slash, with a query
        old = get("/2025/06/20/council-vote/")
        without_slash = get("/2025/06/20/council-vote")
        with_query = get("/2025/06/20/council-vote/?utm_source=newsletter")
        new = get("/2025/06/20/council-vote-delayed/")
    finally:
        listening.shutdown()
        listening.server_close()

    # THEN each is sent to the new address in one hop, and the new address is the page
    assert old == (301, "/2025/06/20/council-vote-delayed/")
    assert without_slash == (301, "/2025/06/20/council-vote-delayed/")
    assert with_query == (301, "/2025/06/20/council-vote-delayed/?utm_source=newsletter")
    assert new == (200, None)


def test_a_preview_is_served_never_to_be_stored_until_its_address_expires(site_dir: Path, get):
    # GIVEN a preview whose address expires long after this test, and one whose has passed
    for stamp in ("209912312359", "200001010000"):
        folder = site_dir / "preview" / f"{stamp}-Abc_DEF"
        folder.mkdir(parents=True)
        (folder / "index.html").write_text("<p>preview</p>")

    status, headers, body = get("/preview/209912312359-Abc_DEF/")
    expired_status, _, expired_body = get("/preview/200001010000-Abc_DEF/")

    # THEN the first answers, with no-store, and the expired one is a 404 like any missing page
    assert (status, body) == (200, b"<p>preview</p>")
    assert headers["Cache-Control"] == "no-store, private"
    assert (expired_status, expired_body) == (404, b"<p>no such page</p>")
