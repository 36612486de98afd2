"""A site store that tells of its writes just before it makes them: what the invalidation planner and
the pings both sit on (`invalidation.InvalidatingSite`, `pings.PingingSite`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pressrun.model import SiteWrite
from pressrun.ports import Announce, SiteStore


@dataclass
class AnnouncingSite:
    """Passes every call to `site_store`, with its writes announced to `announce` (and to the caller's
    own announcer after it) before they are made."""

    site_store: SiteStore

    def announce(self, writes: list[SiteWrite]) -> None:
        raise NotImplementedError

    def put(
        self,
        key: str,
        body: bytes,
        content_type: str,
        *,
        first_write: bool = False,
        announce: Announce | None = None,
    ) -> SiteWrite | None:
        return self.site_store.put(
            key, body, content_type, first_write=first_write, announce=self._announcer(announce)
        )

    def delete(self, key: str, *, announce: Announce | None = None) -> SiteWrite | None:
        return self.site_store.delete(key, announce=self._announcer(announce))

    def keys(self, after: str, limit: int) -> list[str]:
        return self.site_store.keys(after, limit)

    def read(self, key: str) -> bytes | None:
        return self.site_store.read(key)

    def put_many(
        self,
        pages: dict[str, tuple[bytes, str]],
        folders: Iterable[str] | None = None,
        *,
        announce: Announce | None = None,
    ) -> list[SiteWrite]:
        return self.site_store.put_many(pages, folders, announce=self._announcer(announce))

    def _announcer(self, also: Announce | None) -> Announce:
        def announce(writes: list[SiteWrite]) -> None:
            self.announce(writes)
            if also is not None:
                also(writes)

        return announce
