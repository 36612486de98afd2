"""S3 → EventBridge events as S3 sends them, for moto.

moto 5 sends the EventBridge form of S3 events with a constant sequencer, a float time, an unencoded
key and `eTag` for `etag`, and sends nothing when a delete in a versioned bucket leaves a delete
marker or removes one version of several. The pipeline's ordering and unpublishing depend on exactly
those, so the local stack replaces that one function of moto's and adds the missing events.
Everything else is moto's own.
"""

from __future__ import annotations

import itertools
import time
import uuid
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote_plus

from moto.events.models import events_backends
from moto.s3 import models as s3_models
from moto.s3 import notifications

if TYPE_CHECKING:
    from moto.events.utils import EventMessageType

_counter = itertools.count()
_last_sequencer = 0


def next_sequencer() -> str:
    """Hex, increasing across processes (S3's are too), and of one width for centuries to come, so
    that S3's rule (right-pad the shorter with zeros, then compare as strings) orders them by time."""
    global _last_sequencer
    _last_sequencer = max(time.time_ns() // 1000 * 1000 + next(_counter) % 1000, _last_sequencer + 1)
    return f"{_last_sequencer:X}"


def _send(
    account_id: str,
    bucket: Any,
    detail_type: str,
    reason: str,
    key_name: str,
    version_id: str | None,
    object_fields: dict[str, Any],
    deletion_type: str = "Permanently Deleted",
) -> None:
    obj: dict[str, Any] = {"key": quote_plus(key_name, safe="/"), **object_fields}
    if version_id:
        obj["version-id"] = version_id
    obj["sequencer"] = next_sequencer()
    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "aws.s3",
        "account": account_id,
        # moto's EventBridge writes this epoch time into the ISO form real events carry.
        "time": time.time(),
        "region": bucket.region_name,
        "resources": [bucket.arn],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket.name},
            "object": obj,
            "request-id": uuid.uuid4().hex[:16].upper(),
            "requester": account_id,
            "source-ip-address": "127.0.0.1",
            "reason": reason,
        },
    }
    if detail_type == "Object Deleted":
        event["detail"]["deletion-type"] = deletion_type
    backend = events_backends[account_id][bucket.region_name]
    for bus in backend.event_buses.values():
        for rule in bus.rules.values():
            rule.send_to_targets(cast("EventMessageType", event), transform_input=False)


def _send_event_bridge_message(account_id: str, bucket: Any, event_name: str, key: Any) -> None:
    if "ObjectCreated" in event_name:
        _send(
            account_id,
            bucket,
            "Object Created",
            "CopyObject" if event_name.endswith(":Copy") else "PutObject",
            key.name,
            key.version_id if bucket.is_versioned else None,
            {"size": key.size, "etag": key.etag.strip('"')},
        )
    elif "ObjectRemoved" in event_name:
        _send(account_id, bucket, "Object Deleted", "DeleteObject", key.name, None, {})


_original_delete_object = s3_models.S3Backend.delete_object


def _delete_object(
    self: s3_models.S3Backend,
    bucket_name: str,
    key_name: str,
    version_id: str | None = None,
    bypass: bool = False,
) -> tuple[bool, dict[str, Any]]:
    deleted, meta = _original_delete_object(self, bucket_name, key_name, version_id, bypass)
    bucket = self.get_bucket(bucket_name)
    configuration = bucket.notification_configuration
    if configuration is None or configuration.event_bridge is None:
        return deleted, meta
    if meta.get("delete-marker") == "true" and version_id is None:
        _send(
            self.account_id,
            bucket,
            "Object Deleted",
            "DeleteObject",
            key_name,
            meta.get("version-id"),
            {},
            deletion_type="Delete Marker Created",
        )
    elif version_id is not None and deleted and bucket.keys.getlist(key_name, []):
        # One version of several deleted for good (an old version, or a delete marker to undelete):
        # S3 says so; moto only speaks when the last version goes.
        _send(self.account_id, bucket, "Object Deleted", "DeleteObject", key_name, version_id, {})
    return deleted, meta


def install() -> None:
    """Make moto's S3 send EventBridge events the way S3 does. Idempotent."""
    notifications._send_event_bridge_message = _send_event_bridge_message
    s3_models.S3Backend.delete_object = _delete_object  # type: ignore[method-assign]
