"""S3 adapters: the uploads bucket (articles in, reports out) and the site bucket (pages)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from pressrun.model import SiteWrite
from pressrun.sweep_state import UploadState, UploadVersion
from pressrun.urls import cache_control, cache_tags

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import HeadObjectOutputTypeDef

    from pressrun.ports import Announce

_MISSING = {"404", "NoSuchKey", "NoSuchVersion", "InvalidArgument"}
_HASH_METADATA = "content-sha256"
# S3 serves it as the x-amz-meta-cache-tag header, the one the distribution's CacheTagConfig names.
CACHE_TAG_METADATA = "cache-tag"


def _missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in _MISSING


def _head(client: S3Client, bucket: str, key: str) -> HeadObjectOutputTypeDef | None:
    """The object's metadata, or None when there is no such object."""
    try:
        return client.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if _missing(error):
            return None
        raise


class S3Uploads:
    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def read(self, key: str, version_id: str | None, limit: int) -> bytes | None:
        # A range, so that a huge upload costs the limit and one byte, never the function's memory.
        arguments = {"Bucket": self._bucket, "Key": key, "Range": f"bytes=0-{limit}"}
        if version_id and version_id != "null":
            arguments["VersionId"] = version_id
        try:
            response = self._client.get_object(**arguments)  # type: ignore[arg-type]
        except ClientError as error:
            if _missing(error):
                return None
            if error.response.get("Error", {}).get("Code") == "InvalidRange":
                return b""  # an empty object has no byte 0 to start a range at
            raise
        return response["Body"].read(limit + 1)

    def current_version(self, key: str) -> str | None:
        """The version a reader of the key gets now ('null' in an unversioned bucket), or None."""
        head = _head(self._client, self._bucket, key)
        return None if head is None else head.get("VersionId") or "null"

    def latest(self, prefix: str) -> Iterator[UploadState]:
        pages = self._client.get_paginator("list_object_versions").paginate(
            Bucket=self._bucket, Prefix=prefix
        )
        for page in pages:
            # A page lists versions and delete markers apart; the key's newest of either is its state.
            newest = [
                (item["Key"], item.get("VersionId"), item["LastModified"])
                for item in page.get("Versions", [])
                if item.get("IsLatest")
            ]
            newest += [
                (item["Key"], None, item["LastModified"])
                for item in page.get("DeleteMarkers", [])
                if item.get("IsLatest")
            ]
            for key, version, modified in sorted(newest):
                yield UploadState(key=key, version_id=version, last_modified=modified)

    def reannounce(self, key: str) -> None:
        head = _head(self._client, self._bucket, key)
        if head is None:
            # A delete marker answers 404: another one makes S3 tell of the deletion again.
            self._client.delete_object(Bucket=self._bucket, Key=key)
            return
        # A copy onto itself is a new version of the same bytes, announced like any upload; S3 takes
        # a copy onto the same key only with its metadata replaced, so the old metadata is carried.
        self._client.copy_object(
            Bucket=self._bucket,
            Key=key,
            CopySource={"Bucket": self._bucket, "Key": key, "VersionId": head.get("VersionId") or "null"},
            MetadataDirective="REPLACE",
            Metadata={**head.get("Metadata", {}), "reannounced-from": head.get("VersionId") or "null"},
            ContentType=head.get("ContentType", "application/octet-stream"),
        )

    def history(self, key: str) -> list[UploadVersion]:
        pages = self._client.get_paginator("list_object_versions").paginate(Bucket=self._bucket, Prefix=key)
        versions: list[Any] = []
        markers: list[Any] = []
        for page in pages:
            versions += [item for item in page.get("Versions", []) if item["Key"] == key]
            markers += [item for item in page.get("DeleteMarkers", []) if item["Key"] == key]
        # Each list is newest first; the listing gives them apart, so they are merged by time. Times
        # are to the second: within one second the current one is the newest, and otherwise a marker
        # is taken for the newer (a story comes down rather than stay up after a delete).
        merged: list[UploadVersion] = []
        while versions or markers:
            take_marker = not versions or (
                bool(markers)
                and not versions[0].get("IsLatest")
                and (markers[0]["LastModified"] >= versions[0]["LastModified"] or markers[0].get("IsLatest"))
            )
            item = markers.pop(0) if take_marker else versions.pop(0)
            merged.append(
                UploadVersion(version_id=item.get("VersionId") or "null", delete_marker=take_marker)
            )
        return merged

    def write_report(self, key: str, body: bytes) -> None:
        self._client.put_object(
            Bucket=self._bucket, Key=key, Body=body, ContentType="application/json; charset=utf-8"
        )

    def delete_report(self, key: str) -> bool:
        # Look before deleting: in a versioned bucket a blind delete leaves a delete marker behind.
        if _head(self._client, self._bucket, key) is None:
            return False
        self._client.delete_object(Bucket=self._bucket, Key=key)
        return True


class S3Site:
    """Pages carry the SHA-256 of their bytes, so rewriting identical bytes is skipped, not paid for,
    and the Cache-Control the CDN follows (`urls.cache_control`)."""

    def __init__(self, client: S3Client, bucket: str, listing_freshness_seconds: int = 60) -> None:
        self._client = client
        self._bucket = bucket
        self._listing_freshness_seconds = listing_freshness_seconds

    def _stored_hash(self, key: str) -> str | None:
        head = _head(self._client, self._bucket, key)
        return None if head is None else head.get("Metadata", {}).get(_HASH_METADATA, "")

    def put(
        self,
        key: str,
        body: bytes,
        content_type: str,
        *,
        first_write: bool = False,
        announce: Announce | None = None,
    ) -> SiteWrite | None:
        digest = hashlib.sha256(body).hexdigest()
        stored = None if first_write else self._stored_hash(key)
        if stored == digest:
            return None
        write = SiteWrite(key=key, kind="created" if stored is None else "overwritten", digest=digest)
        if announce is not None:
            announce([write])
        self._write(key, body, content_type, digest)
        return write

    def delete(self, key: str, *, announce: Announce | None = None) -> SiteWrite | None:
        stored = self._stored_hash(key)
        if stored is None:
            return None
        removal = SiteWrite(key=key, kind="deleted", digest=stored)
        if announce is not None:
            announce([removal])
        self._client.delete_object(Bucket=self._bucket, Key=key)
        return removal

    def keys(self, after: str, limit: int) -> list[str]:
        if limit <= 0:
            return []
        listing = self._client.list_objects_v2(Bucket=self._bucket, StartAfter=after, MaxKeys=limit)
        return [item["Key"] for item in listing.get("Contents", [])]

    def read(self, key: str) -> bytes | None:
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if _missing(error):
                return None
            raise
        return response["Body"].read()

    def put_many(
        self,
        pages: dict[str, tuple[bytes, str]],
        folders: Iterable[str] | None = None,
        *,
        announce: Announce | None = None,
    ) -> list[SiteWrite]:
        """Write the pages whose bytes changed, reading what is stored with one listing per folder
        instead of one HEAD per page: each page's own folder, or each of `folders` whole. A single
        PUT to an SSE-S3 bucket has the MD5 of its bytes as its ETag, which the listing carries."""
        stored: dict[str, str] = {}
        if folders is None:
            for folder in sorted({key.rpartition("/")[0] for key in pages}):
                prefix = f"{folder}/" if folder else ""
                listing = self._client.list_objects_v2(Bucket=self._bucket, Prefix=prefix, Delimiter="/")
                stored |= {item["Key"]: item["ETag"].strip('"') for item in listing.get("Contents", [])}
        else:
            for folder in sorted(set(folders)):
                listings = self._client.get_paginator("list_objects_v2").paginate(
                    Bucket=self._bucket, Prefix=f"{folder.rstrip('/')}/"
                )
                stored |= {
                    item["Key"]: item["ETag"].strip('"')
                    for listing in listings
                    for item in listing.get("Contents", [])
                }
        changed = {
            key: (body, content_type)
            for key, (body, content_type) in pages.items()
            if stored.get(key) != hashlib.md5(body, usedforsecurity=False).hexdigest()
        }
        written = [
            SiteWrite(
                key=key,
                kind="overwritten" if key in stored else "created",
                digest=hashlib.sha256(body).hexdigest(),
            )
            for key, (body, _) in changed.items()
        ]
        if announce is not None and written:
            announce(written)
        for write in written:
            body, content_type = changed[write.key]
            self._write(write.key, body, content_type, write.digest)
        return written

    def _write(self, key: str, body: bytes, content_type: str, digest: str) -> None:
        # Every page carries its cache tags whatever the invalidation mode, so switching modes needs
        # no rewrite of the site.
        self._client.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            CacheControl=cache_control(key, self._listing_freshness_seconds),
            Metadata={_HASH_METADATA: digest, CACHE_TAG_METADATA: ",".join(cache_tags(key))},
        )
