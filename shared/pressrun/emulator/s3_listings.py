"""S3 listings that look at key names in order, not at every object of the bucket.

moto 5's `S3Backend.list_objects` (moto/s3/models.py), which ListObjectsV2 calls too, walks
`bucket.keys.items()`: a copy of the bucket's key store and a lookup of each key's newest version,
for every object of the bucket, then sorts what it kept. A listing of one folder of a
10,000-article site therefore read all ~11,000 objects, and a listing of the bucket's root (the
home page's folder) split every key's name. S3 answers from its index of names.

`install()` keeps the bucket's names sorted (a new name is inserted where it sorts when the key
store adds it, a removed one taken out, an overwritten one left as it is) and lists from them: the
names under the prefix are found by bisection, a folder past the delimiter is skipped in one step,
and only the keys returned are looked up. Markers, truncation and continuation tokens are moto's
own code (tests/integration/test_s3_listings.py compares every page with unpatched moto's).
Idempotent; installed by `LocalStack.start`.
"""

from __future__ import annotations

import sys
import threading
from bisect import bisect_left
from dataclasses import dataclass
from typing import Any

from moto.s3.models import FakeDeleteMarker, FakeTableStorageBucket, S3Backend
from moto.s3.utils import _VersionedKeyStore

_moto: dict[str, Any] = {}


@dataclass
class _Names:
    """A key store's names in order, kept while the store changes through its own methods (a new
    name is inserted where it sorts, a removed one taken out). Kept on the store, so it goes with it."""

    names: list[str]

    def holds(self, store: _VersionedKeyStore, change: int = 0) -> bool:
        return len(self.names) + change == len(store)


_NAMES = "_pressrun_names"
# A change to a store and the upkeep of its names happen as one, with respect to a listing reading
# them (`pressrun dev`'s moto server answers on several threads).
_names_lock = threading.RLock()


def _sorted_names(store: _VersionedKeyStore) -> list[str]:
    known: _Names | None = store.__dict__.get(_NAMES)
    if known is None or not known.holds(store):
        known = store.__dict__[_NAMES] = _Names(sorted(dict.keys(store)))
    return known.names


def _keep_names(store: _VersionedKeyStore, name: str, added: bool) -> None:
    known: _Names | None = store.__dict__.get(_NAMES)
    if known is None:
        return
    index = bisect_left(known.names, name)
    present = index < len(known.names) and known.names[index] == name
    if added and present and known.holds(store):
        return
    if known.holds(store, change=1 if added else -1) and present != added:
        if added:
            known.names.insert(index, name)
        else:
            del known.names[index]
    else:
        # Changed some other way: sorted again when next listed.
        del store.__dict__[_NAMES]


def _set_item(self: _VersionedKeyStore, key: str, value: Any) -> None:
    with _names_lock:
        _moto["set_item"](self, key, value)
        _keep_names(self, key, added=True)


def _set_list(self: _VersionedKeyStore, key: str, versions: Any) -> None:
    with _names_lock:
        _moto["set_list"](self, key, versions)
        _keep_names(self, key, added=True)


def _pop(self: _VersionedKeyStore, key: str) -> None:
    with _names_lock:
        _moto["pop"](self, key)
        _keep_names(self, key, added=False)


def _past(prefix: str) -> str:
    """A string after every name that starts with `prefix` ("a/" -> "a0"), or `prefix` itself when
    there is none to give (the caller then walks on)."""
    last = ord(prefix[-1])
    return prefix[:-1] + chr(last + 1) if last < sys.maxunicode else prefix


def _list_objects(
    self: S3Backend,
    bucket: Any,
    prefix: str | None,
    delimiter: str | None,
    marker: str | None,
    max_keys: int | None,
) -> Any:
    if isinstance(bucket, FakeTableStorageBucket):
        return _moto["list_objects"](self, bucket, prefix, delimiter, marker, max_keys)
    with _names_lock:
        keys, folders = _listed(bucket.keys, prefix or "", delimiter)
    if marker:
        keys = self._get_results_from_token(keys, self._pagination_tokens.get(marker) or marker)
    if max_keys is None:
        return keys, folders, False, None
    keys, is_truncated, next_marker = self._truncate_result(keys, max_keys)
    return keys, folders, is_truncated, next_marker


def _listed(store: _VersionedKeyStore, prefix: str, delimiter: str | None) -> tuple[list[Any], list[str]]:
    """The newest version of each key under `prefix`, and the folders past the delimiter, by name."""
    names = _sorted_names(store)
    start = len(prefix)
    keys: list[Any] = []
    folders: list[str] = []
    index = bisect_left(names, prefix)
    while index < len(names) and names[index].startswith(prefix):
        name = names[index]
        cut = name.find(delimiter, start) if delimiter else -1
        if delimiter and cut >= 0:
            # A folder stands for every name under it: skip them all.
            folder = name[: cut + len(delimiter)]
            folders.append(folder)
            index = bisect_left(names, _past(folder), index)
            while index < len(names) and names[index].startswith(folder):
                index += 1
            continue
        versions = dict.__getitem__(store, name)
        if versions and not isinstance(versions[-1], FakeDeleteMarker):
            keys.append(versions[-1])
        index += 1
    return keys, folders


def install() -> None:
    """Make moto's object listings read names only. Idempotent."""
    if _moto:
        return
    _moto.update(
        list_objects=S3Backend.list_objects,
        set_item=_VersionedKeyStore.__setitem__,
        set_list=_VersionedKeyStore.setlist,
        pop=_VersionedKeyStore.pop,
    )
    _VersionedKeyStore.__setitem__ = _set_item  # type: ignore[method-assign]
    _VersionedKeyStore.setlist = _set_list  # type: ignore[method-assign,assignment]
    _VersionedKeyStore.pop = _pop  # type: ignore[method-assign]
    S3Backend.list_objects = _list_objects  # type: ignore[method-assign]
