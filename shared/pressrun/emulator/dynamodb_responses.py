"""DynamoDB items written into moto's responses without a model lookup per attribute.

moto 5.2 serializes every response through botocore's output shapes (moto/core/serialize.py).
Each attribute value of each item is an `AttributeValue` structure of ten members, and for every
member moto asks its alias providers for the names the value might have: about 40 lookups per
attribute. A query of 1,000 listing entries spent ~1 s there, most of a local rebuild's time and a
good part of every local publish; DynamoDB sends the same bytes without any of it.

`install()` writes an `AttributeValue` straight from the `{type: value}` dict moto's backend gives
the serializer (strings and numbers as they are, binaries base64, maps and lists recursively), which
is what the slow path makes of it (tests/integration/test_dynamodb_responses.py compares the two
over every attribute type). Any other value takes moto's own path. Idempotent; installed by
`LocalStack.start`.
"""

from __future__ import annotations

from typing import Any

from moto.core.serialize import BaseJSONSerializer

_MEMBERS = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"})
_moto: dict[str, Any] = {}


class _NotPlain(Exception):
    """A value the shortcut does not know; moto's own serializer writes it."""


def _wire(serializer: BaseJSONSerializer, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or len(value) != 1:
        raise _NotPlain
    ((kind, inner),) = value.items()
    if kind in ("S", "N") and isinstance(inner, str):
        return {kind: inner}
    if kind in ("SS", "NS") and isinstance(inner, list) and all(isinstance(member, str) for member in inner):
        return {kind: list(inner)}
    if kind == "B" and isinstance(inner, bytes | str):
        return {kind: serializer._base64(inner)}
    if kind == "BS" and isinstance(inner, list) and all(isinstance(member, bytes | str) for member in inner):
        return {kind: [serializer._base64(member) for member in inner]}
    if kind in ("NULL", "BOOL") and isinstance(inner, bool):
        return {kind: inner}
    if kind == "M" and isinstance(inner, dict):
        return {kind: {name: _wire(serializer, member) for name, member in inner.items()}}
    if kind == "L" and isinstance(inner, list):
        return {kind: [_wire(serializer, member) for member in inner]}
    raise _NotPlain


def _serialize_type_structure(
    self: BaseJSONSerializer, serialized: Any, value: Any, shape: Any, key: str
) -> None:
    if key and shape.name == "AttributeValue" and frozenset(shape.members) == _MEMBERS:
        try:
            self._default_serialize(serialized, _wire(self, value), shape, key)
            return
        except _NotPlain:
            pass
    _moto["structure"](self, serialized, value, shape, key)


def install() -> None:
    """Serialize DynamoDB attribute values directly. Idempotent."""
    if _moto:
        return
    _moto["structure"] = BaseJSONSerializer._serialize_type_structure
    BaseJSONSerializer._serialize_type_structure = _serialize_type_structure  # type: ignore[method-assign]
