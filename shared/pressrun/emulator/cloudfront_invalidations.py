"""CloudFront's CreateInvalidation as CloudFront answers it, for moto.

CloudFront makes one invalidation per CallerReference: sending a reference again with the same paths
answers the invalidation already made, and with other paths fails with InvalidationBatchAlreadyExists.
moto 5 makes a new invalidation every time, which would hide a retried batch being paid for twice, so
the local stack replaces that one method. Everything else is moto's own.
"""

from __future__ import annotations

from moto.cloudfront.exceptions import CloudFrontException
from moto.cloudfront.models import CloudFrontBackend, Invalidation

_moto_create_invalidation = CloudFrontBackend.create_invalidation


class InvalidationBatchAlreadyExists(CloudFrontException):
    def __init__(self, caller_reference: str) -> None:
        super().__init__(
            "InvalidationBatchAlreadyExists",
            f"The caller reference {caller_reference} was already used for an invalidation of other paths.",
        )


def _create_invalidation(
    backend: CloudFrontBackend, dist_id: str, paths: list[str], caller_ref: str
) -> Invalidation:
    backend.get_distribution(dist_id)
    for invalidation in backend.invalidations.get(dist_id, []):
        if invalidation.caller_ref == caller_ref:
            if sorted(invalidation.paths) != sorted(paths):
                raise InvalidationBatchAlreadyExists(caller_ref)
            return invalidation
    return _moto_create_invalidation(backend, dist_id, paths, caller_ref)


def install() -> None:
    """Idempotent."""
    CloudFrontBackend.create_invalidation = _create_invalidation  # type: ignore[method-assign,assignment]
