"""moto's object listings through pressrun.emulator.s3_listings answer what unpatched moto answers:
keys, folders, delete markers, pages and continuation tokens."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from moto.s3.models import S3Backend

from pressrun.emulator import s3_listings

REGION = "us-east-1"
segments = st.text(alphabet="ab1", min_size=1, max_size=2)
names = st.lists(segments, min_size=1, max_size=4).map("/".join)


@pytest.fixture
def s3(clean_environment: None) -> Iterator[Any]:
    os.environ.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local", AWS_DEFAULT_REGION=REGION)
    with mock_aws():
        s3_listings.install()
        yield boto3.client("s3", region_name=REGION)


def _pages(list_call: Callable[..., dict[str, Any]], request: dict[str, Any], token: str) -> list[Any]:
    pages = []
    while True:
        response = list_call(**request)
        pages.append(
            {
                "keys": [(item["Key"], item["ETag"], item["Size"]) for item in response.get("Contents", [])],
                "folders": [folder["Prefix"] for folder in response.get("CommonPrefixes", [])],
                "truncated": response["IsTruncated"],
            }
        )
        following = response.get("NextContinuationToken") or response.get("NextMarker")
        if not response["IsTruncated"] or not following or len(pages) > 40:
            return pages
        request = {**request, token: following}


def _key_store(bucket: str) -> Any:
    from moto.s3.models import s3_backends

    return s3_backends["123456789012"]["aws"].buckets[bucket].keys


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stored=st.lists(names, max_size=25, unique=True),
    rewritten=st.sets(st.integers(min_value=0, max_value=24), max_size=5),
    deleted=st.sets(st.integers(min_value=0, max_value=24), max_size=5),
    prefix=st.sampled_from(["", "a", "a/", "b1/", "1"]),
    delimiter=st.sampled_from([None, "/"]),
    page_size=st.integers(min_value=1, max_value=6),
)
def test_listings_page_as_moto_pages_them(
    s3: Any,
    monkeypatch: pytest.MonkeyPatch,
    stored: list[str],
    rewritten: set[int],
    deleted: set[int],
    prefix: str,
    delimiter: str | None,
    page_size: int,
) -> None:
    bucket = f"bucket-{len(s3.list_buckets()['Buckets'])}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for number, name in enumerate(stored):
        s3.put_object(Bucket=bucket, Key=name, Body=name.encode() * (number + 1))
    for number in rewritten:
        if number < len(stored):
            s3.put_object(Bucket=bucket, Key=stored[number], Body=b"a newer version")
    for number in deleted:
        if number < len(stored):
            s3.delete_object(Bucket=bucket, Key=stored[number])
    request: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": page_size}
    if delimiter:
        request["Delimiter"] = delimiter

    ours = (
        _pages(s3.list_objects_v2, request, "ContinuationToken"),
        _pages(s3.list_objects, request, "Marker"),
    )
    with monkeypatch.context() as stock:
        stock.setattr(S3Backend, "list_objects", s3_listings._moto["list_objects"])
        theirs = (
            _pages(s3.list_objects_v2, request, "ContinuationToken"),
            _pages(s3.list_objects, request, "Marker"),
        )

    assert ours == theirs


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(st.tuples(st.sampled_from(["put", "delete", "list"]), names), min_size=1, max_size=30),
    versioned=st.booleans(),
    delimiter=st.sampled_from([None, "/"]),
)
def test_listings_between_writes_see_every_write_as_moto_sees_it(
    s3: Any,
    monkeypatch: pytest.MonkeyPatch,
    steps: list[tuple[str, str]],
    versioned: bool,
    delimiter: str | None,
) -> None:
    bucket = f"bucket-{len(s3.list_buckets()['Buckets'])}"
    s3.create_bucket(Bucket=bucket)
    if versioned:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for operation, name in steps:
        if operation == "put":
            s3.put_object(Bucket=bucket, Key=name, Body=name.encode())
        elif operation == "delete":
            s3.delete_object(Bucket=bucket, Key=name)
        else:
            request: dict[str, Any] = {"Bucket": bucket, "Prefix": name.rpartition("/")[0], "MaxKeys": 3}
            if delimiter:
                request["Delimiter"] = delimiter
            ours = _pages(s3.list_objects_v2, request, "ContinuationToken")
            with monkeypatch.context() as stock:
                stock.setattr(S3Backend, "list_objects", s3_listings._moto["list_objects"])
                theirs = _pages(s3.list_objects_v2, request, "ContinuationToken")
            assert ours == theirs


@pytest.mark.parametrize("versioned", [False, True])
def test_the_sorted_names_outlive_overwrites_new_keys_and_deletes(s3: Any, versioned: bool) -> None:
    s3.create_bucket(Bucket="site")
    if versioned:
        s3.put_bucket_versioning(Bucket="site", VersioningConfiguration={"Status": "Enabled"})
    for page in ("index.html", "feed.xml", "2025/06/01/a/index.html"):
        s3.put_object(Bucket="site", Key=page, Body=b"1")
    s3.list_objects_v2(Bucket="site")
    kept = _key_store("site").__dict__["_pressrun_names"]

    s3.put_object(Bucket="site", Key="index.html", Body=b"2")
    s3.put_object(Bucket="site", Key="2025/06/02/b/index.html", Body=b"1")
    s3.delete_object(Bucket="site", Key="feed.xml")
    listing = s3.list_objects_v2(Bucket="site")

    # Kept up to date in place, never sorted again from scratch (a delete marker keeps its name).
    assert _key_store("site").__dict__["_pressrun_names"] is kept
    assert [item["Key"] for item in listing["Contents"]] == [
        "2025/06/01/a/index.html",
        "2025/06/02/b/index.html",
        "index.html",
    ]


def test_a_folder_listing_looks_up_only_the_objects_it_returns(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3.create_bucket(Bucket="site")
    for day in range(1, 31):
        for story in range(10):
            s3.put_object(Bucket="site", Key=f"2025/06/{day:02d}/story-{story}/index.html", Body=b"<p>")
    looked_up: list[str] = []
    store_type = type(_key_store("site"))
    original = store_type.__getitem__

    def counting(self: Any, key: str) -> Any:
        looked_up.append(key)
        return original(self, key)

    monkeypatch.setattr(store_type, "__getitem__", counting)

    listing = s3.list_objects_v2(Bucket="site", Prefix="2025/06/15/")

    assert [item["Key"] for item in listing["Contents"]] == [
        f"2025/06/15/story-{story}/index.html" for story in range(10)
    ]
    assert len(looked_up) <= 10
