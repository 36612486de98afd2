"""CloudFront adapter: one CreateInvalidation per planned batch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_cloudfront import CloudFrontClient


class CloudFrontCdn:
    def __init__(self, client: CloudFrontClient, distribution_id: str) -> None:
        self._client = client
        self._distribution_id = distribution_id

    def invalidate(self, paths: list[str], caller_reference: str) -> None:
        """A repeated reference is answered with the invalidation already made, so a redelivered batch
        costs nothing more."""
        try:
            self._client.create_invalidation(
                DistributionId=self._distribution_id,
                InvalidationBatch={
                    "Paths": {"Quantity": len(paths), "Items": paths},
                    "CallerReference": caller_reference,
                },
            )
        except ClientError as error:
            # The same changes were already invalidated under another plan (the invalidation mode
            # changed between two deliveries of the batch): they are covered, and retrying cannot help.
            if error.response.get("Error", {}).get("Code") != "InvalidationBatchAlreadyExists":
                raise
