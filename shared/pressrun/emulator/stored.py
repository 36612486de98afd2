"""moto objects restored from the local state that read their contents only when something asks.

A publish reads a handful of the site's pages, uploads and items; making every one of them in full
(a temporary buffer and the bytes of each object, a tree of DynamoTypes for each item) made a run
into a 10,000-article site cost seconds before the pipeline started. These objects are moto's own
classes, so every S3 and DynamoDB call sees what it saw before: only the moment the bytes, the
metadata or the attributes are read changes.
"""

from __future__ import annotations

import io
import json
import threading
import uuid
from typing import Any, Protocol

from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.s3.models import FakeBucket, FakeKey, S3Backend
from moto.utilities.utils import LowercaseDict


class _FileBody:
    """The part of a file object FakeKey uses, over a file read at the first access. The file is the
    object's bytes as the state saved them (a site page, or an upload's blob named by its hash)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._buffer: io.BytesIO | None = None

    def _opened(self) -> io.BytesIO:
        if self._buffer is None:
            with open(self._path, "rb") as file:
                self._buffer = io.BytesIO(file.read())
        return self._buffer

    @property
    def loaded(self) -> bool:
        return self._buffer is not None

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._opened().seek(offset, whence)

    def read(self, size: int | None = -1) -> bytes:
        return self._opened().read(size)

    def write(self, data: bytes) -> int:
        return self._opened().write(data)

    def truncate(self, size: int | None = None) -> int:
        return self._opened().truncate(size)

    def close(self) -> None:
        if self._buffer is not None:
            self._buffer.close()


class StoredKey(FakeKey):
    """An S3 object whose bytes stay in a file, and whose metadata stays JSON, until first read."""

    _saved_metadata: str | None
    _loaded_metadata: LowercaseDict | None

    @property
    def _metadata(self) -> LowercaseDict:
        if self._loaded_metadata is None:
            metadata = LowercaseDict()
            # What FakeKey() starts with, then what the object's writer gave it, as a PUT leaves it.
            metadata["Content-Type"] = "binary/octet-stream"
            if self._saved_metadata is not None:
                metadata.update(json.loads(self._saved_metadata))
            self._loaded_metadata = metadata
        return self._loaded_metadata

    @_metadata.setter
    def _metadata(self, value: LowercaseDict) -> None:
        self._loaded_metadata = value

    @property
    def body_loaded(self) -> bool:
        body = self._value_buffer
        return not isinstance(body, _FileBody) or body.loaded


class StoredKeys:
    """Makes StoredKeys for one bucket. What PutObject would give each one besides its name, bytes,
    ETag and metadata (the bucket's default encryption, ACL, storage class...) is taken once from a
    real PutObject, then copied: a FakeKey() costs ~20 µs (an ACL, a state machine, a buffer)."""

    def __init__(self, backend: S3Backend, bucket: FakeBucket) -> None:
        model_name = "\0pressrun-restore"
        model = backend.put_object(bucket.name, model_name, b"", disable_notification=True)
        bucket.keys.pop(model_name)
        self._attributes = dict(model.__dict__)
        self._versioned = bucket.is_versioned
        # Each object gets its own of these.
        for own in ("_metadata", "_value_buffer", "lock", "_etag", "contentsize", "name"):
            del self._attributes[own]

    def make(
        self,
        name: str,
        body: str,
        etag: str,
        size: int,
        metadata: str | None,
        version_id: str | None = None,
        checksum: tuple[str | None, str | None, str | None] | None = None,
    ) -> StoredKey:
        key = object.__new__(StoredKey)
        attributes = key.__dict__
        attributes.update(self._attributes)
        attributes["name"] = name
        attributes["_etag"] = etag
        attributes["contentsize"] = size
        attributes["_value_buffer"] = _FileBody(body)
        attributes["lock"] = threading.Lock()
        attributes["_saved_metadata"] = metadata
        attributes["_loaded_metadata"] = None
        if self._versioned:
            attributes["_version_id"] = version_id or str(uuid.uuid4())
        if checksum is not None:
            key.checksum_algorithm, key.checksum_value, key.checksum_type = checksum
        return key


def scalar(kind: str, value: Any) -> DynamoType:
    """A key attribute (S, N or B): what DynamoType({kind: value}) makes, without its generic parsing."""
    key = DynamoType.__new__(DynamoType)
    key.type = kind
    key.value = value
    return key


def attributes(item: dict[str, Any]) -> LimitedSizeDict:
    """An item's attributes as PutItem stores them; sizes were checked when the item was written
    (LimitedSizeDict checks the whole item again on every attribute it adds: quadratic)."""
    stored = LimitedSizeDict()
    dict.update(stored, {name: DynamoType(value) for name, value in item.items()})
    return stored


class ItemSource(Protocol):
    def item(self, row: int) -> str:
        """The JSON of the item the state keeps in this row."""
        ...


class StoredItem(Item):
    """A DynamoDB item whose attributes are read from the state when first used."""

    _source: ItemSource | None
    _row: int | None
    _saved: str | None
    _saved_size: int
    _attributes: LimitedSizeDict | None

    @classmethod
    def restored(
        cls, hash_key: DynamoType, range_key: DynamoType | None, size: int, source: ItemSource, row: int
    ) -> StoredItem:
        item = object.__new__(cls)
        item.hash_key = hash_key
        item.range_key = range_key
        item._source = source
        item._row = row
        item._saved = None
        item._saved_size = size
        item._attributes = None
        return item

    def size(self) -> int:
        # moto's Query sizes every item it walks past, matching or not: a read of the newest
        # entries of a long listing would otherwise read all of it.
        if self.pristine:
            return self._saved_size
        return super().size()

    @property
    def attrs(self) -> LimitedSizeDict:
        loaded: LimitedSizeDict | None = self.__dict__.get("_attributes")
        if loaded is None:
            source, row = self.__dict__.get("_source"), self.__dict__.get("_row")
            self._saved = source.item(row) if source is not None and row is not None else "{}"
            loaded = self._attributes = attributes(json.loads(self._saved))
        return loaded

    @attrs.setter
    def attrs(self, value: LimitedSizeDict) -> None:
        self._attributes = value

    @property
    def row(self) -> int | None:
        """The state's row this item was restored from; None for a copy (a transaction's backup)."""
        return self.__dict__.get("_row")

    @property
    def pristine(self) -> bool:
        """Not read since it was restored: what its row holds is what it is."""
        return self.__dict__.get("_attributes") is None and self.row is not None

    @property
    def saved(self) -> str | None:
        """Its row's JSON, once read."""
        return self.__dict__.get("_saved") if self.row is not None else None
