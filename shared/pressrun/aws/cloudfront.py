"""CloudFront adapter: one CreateInvalidation per planned batch, retried while CloudFront is busy."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_cloudfront import CloudFrontClient

# Answers that mean "not now": the distribution's invalidations in flight fill its quota, or the API is
# rate limited. Both clear by themselves, so waiting inside the invocation beats handing the batch back.
RETRIED_CODES = frozenset(
    {
        "TooManyInvalidationsInProgress",
        "Throttling",
        "ThrottlingException",
        "TooManyRequests",
        "TooManyRequestsException",
        "RequestLimitExceeded",
    }
)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: attempt n waits a random time up to min(cap, base * 2**n)."""

    attempts: int = 8
    base_seconds: float = 2.0
    cap_seconds: float = 30.0
    # Give up with this much of the invocation left: the batch is then handed back to the queue (which
    # tries again after its visibility timeout) instead of being cut off by the function's timeout.
    reserve_seconds: float = 5.0


class CloudFrontCdn:
    def __init__(
        self,
        client: CloudFrontClient,
        distribution_id: str,
        *,
        remaining_seconds: Callable[[], float] | None = None,
        backoff: Backoff = Backoff(),
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self._client = client
        self._distribution_id = distribution_id
        self._remaining_seconds = remaining_seconds
        self._backoff = backoff
        self._sleep = sleep
        self._jitter = jitter

    def invalidate(self, paths: list[str], caller_reference: str) -> None:
        """A repeated reference is answered with the invalidation already made, so a retried request (or a
        redelivered batch) costs nothing more. Raises once the retries or the invocation's time run out."""
        for attempt in range(self._backoff.attempts):
            try:
                self._create(paths, caller_reference)
                return
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code not in RETRIED_CODES or attempt + 1 == self._backoff.attempts:
                    raise
                delay = self._jitter(
                    0.0, min(self._backoff.cap_seconds, self._backoff.base_seconds * 2**attempt)
                )
                if not self._has_time_for(delay):
                    raise
                self._sleep(delay)

    def _has_time_for(self, delay: float) -> bool:
        if self._remaining_seconds is None:
            return True
        return self._remaining_seconds() - delay >= self._backoff.reserve_seconds

    def _create(self, paths: list[str], caller_reference: str) -> None:
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
