"""`pressrun reconcile` on the embedded default: the sweep compares the site with its sources and
repairs what differs, and a second run finds the site in step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pressrun.cli import main
from tests.conftest import SAMPLE

pytestmark = pytest.mark.e2e

PAGE = "2025/06/25/uk-seeks-trade-ties-with-china-amid-heightened-security-concerns/index.html"


def reconcile(capsys: pytest.CaptureFixture[str], site: Path) -> tuple[int, dict]:
    code = main(["reconcile", "--site", str(site), "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_reconcile_restores_a_page_and_a_listing_that_drifted_then_finds_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment
):
    site = tmp_path / "site"
    assert main(["publish", "--site", str(site), "--json", str(SAMPLE)]) == 0
    capsys.readouterr()
    # GIVEN the story's page lost and its section page altered behind pressrun's back
    (site / PAGE).unlink()
    (site / "category/economics/index.html").write_text("<p>stale</p>")

    code, first = reconcile(capsys, site)
    code_again, second = reconcile(capsys, site)

    assert code == code_again == 0
    assert {(drift["kind"], drift["subject"]) for drift in first["drift"]} == {
        ("page", PAGE),
        ("listing", "category/economics/index.html"),
    }
    assert (site / PAGE).is_file()
    assert "UK Seeks Trade Ties" in (site / "category/economics/index.html").read_text()
    assert second["drift"] == []
    assert second["checked"]["articles"] == 1
