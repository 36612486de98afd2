"""Site settings given once are remembered in `DIR/.pressrun/settings.json`, so that every later run
renders the same site: a plain `pressrun rebuild` keeps the address the site was published under.

The first run remembers every setting below, given or default. A later run given a different value
(by flag or environment variable) is refused with the way to change it on purpose: `pressrun
rebuild`, which re-renders every page, is the one command that may change how pages look. The time
zone dates every article's address, so it never changes once the site exists.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pressrun.settings import SiteSettings

SETTINGS_FILE = "settings.json"
_FORMAT = 1
# Each remembered setting, and how a user gives it.
REMEMBERED = {
    "site_url": "--site-url",
    "site_name": "--site-name",
    "site_tagline": "--site-tagline",
    "site_language": "--site-language",
    "site_timezone": "--site-timezone",
    "site_categories": "--site-categories",
    "listing_size": "LISTING_SIZE",
    "sitemap_size": "SITEMAP_SIZE",
    "theme_dir": "THEME_DIR",
    "websub_hub": "WEBSUB_HUB",
}
_FIXED = {"site_timezone"}


class SettingsConflict(Exception):
    """A run was given a setting that contradicts the one the site was published with."""


def given_settings(flags: Mapping[str, object | None]) -> dict[str, object]:
    """The remembered settings this run was given: flags first, then environment variables."""
    given: dict[str, object] = {}
    for name in REMEMBERED:
        if flags.get(name) is not None:
            given[name] = flags[name]
        elif name.upper() in os.environ:
            given[name] = os.environ[name.upper()]
    return given


def _plain(settings: SiteSettings) -> dict[str, Any]:
    return {name: settings.model_dump(mode="json")[name] for name in REMEMBERED}


def _shown(value: object) -> str:
    return ",".join(value) if isinstance(value, list | tuple) else str(value)


def resolve(
    state_dir: Path, given: Mapping[str, object], *, may_change: bool
) -> tuple[SiteSettings, list[str]]:
    """The settings of this run and, when it may change them, what changed; remembered for the next.

    Raises SettingsConflict for a given setting that contradicts the remembered one."""
    path = state_dir / SETTINGS_FILE
    remembered: dict[str, Any] = {}
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
        remembered = {name: value for name, value in stored.items() if name in REMEMBERED}
    # Keyword arguments win over the environment, so the remembered values hold unless given anew.
    before = SiteSettings(**remembered)
    after = SiteSettings(**{**remembered, **given})
    old, new = _plain(before), _plain(after)
    changed = [name for name in REMEMBERED if name in remembered and old[name] != new[name]]
    site_dir = state_dir.parent
    for name in changed:
        how = REMEMBERED[name]
        if name in _FIXED:
            raise SettingsConflict(
                f"{site_dir} dates its articles' addresses in {old[name]}; it cannot move to {new[name]}."
                " Publish into a new folder to use another time zone."
            )
        if not may_change:
            value = shlex.quote(_shown(new[name]))
            command = (
                f"pressrun rebuild --site {shlex.quote(str(site_dir))} {how} {value}"
                if how.startswith("--")
                else f"{how}={value} pressrun rebuild --site {shlex.quote(str(site_dir))}"
            )
            raise SettingsConflict(
                f"{site_dir} was published with {how} {_shown(old[name])!r}, and this run was given"
                f" {_shown(new[name])!r}. To change it on purpose, run `{command}`: it re-renders every"
                f" page with the new setting. (Remembered in {path}.)"
            )
    report = [f"{REMEMBERED[name]}: {_shown(old[name])!r} → {_shown(new[name])!r}" for name in changed]
    if changed or not path.exists():
        temp = path.with_name(f".{SETTINGS_FILE}.tmp")
        temp.write_text(
            json.dumps({"format": _FORMAT, **new}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        os.replace(temp, path)
    return after, report
