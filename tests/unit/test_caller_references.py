"""What a caller reference buys on CloudFront as CloudFront documents it (CreateInvalidation,
CallerReference): one invalidation per reference, the same answer when it is sent again with the same
paths, and InvalidationBatchAlreadyExists with other paths. Tested against a fake of that documented
behaviour, `DocumentedCloudFront` (moto makes a new invalidation for every request)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from pressrun.aws.cloudfront import CloudFrontCdn
from pressrun.invalidation import SiteChange, invalidate_changes

DISTRIBUTION = "E2EXAMPLE12345"


@dataclass
class DocumentedCloudFront:
    """A fake of CreateInvalidation as CloudFront's API reference describes CallerReference."""

    invalidations: dict[str, list[str]] = field(default_factory=dict)

    def create_invalidation(self, DistributionId: str, InvalidationBatch: dict[str, Any]) -> dict[str, Any]:  # noqa: N803 - boto3's names
        reference, paths = InvalidationBatch["CallerReference"], InvalidationBatch["Paths"]["Items"]
        made = self.invalidations.setdefault(reference, paths)
        if sorted(made) != sorted(paths):
            error = {"Code": "InvalidationBatchAlreadyExists", "Message": "reference used for other paths"}
            raise ClientError({"Error": error}, "CreateInvalidation")
        return {"Invalidation": {"Id": reference, "InvalidationBatch": InvalidationBatch}}


def test_a_redelivered_batch_makes_one_invalidation_on_cloudfront_as_documented():
    cloudfront = DocumentedCloudFront()
    cdn = CloudFrontCdn(cloudfront, DISTRIBUTION)  # type: ignore[arg-type]
    batch = [
        SiteChange(key="index.html", version="0062E99A88DC407460"),
        SiteChange(key="feed.xml", version="7"),
    ]

    invalidate_changes(batch, cdn, "paths")
    invalidate_changes(list(reversed(batch)), cdn, "paths")

    assert list(cloudfront.invalidations.values()) == [["/", "/feed.xml", "/index.html"]]


def test_a_reference_already_used_for_other_items_counts_as_invalidated_on_cloudfront_as_documented():
    cloudfront = DocumentedCloudFront()
    cdn = CloudFrontCdn(cloudfront, DISTRIBUTION)  # type: ignore[arg-type]
    cdn.invalidate(["/index.html"], "pressrun-same-changes")

    cdn.invalidate(["#home"], "pressrun-same-changes")

    assert cloudfront.invalidations == {"pressrun-same-changes": ["/index.html"]}
