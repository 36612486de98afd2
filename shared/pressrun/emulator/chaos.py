"""Chaos mode: a fraction of the functions' AWS calls fail as AWS calls fail, throttled or 5xx.

The hook sits on the default boto3 session, which the functions' clients come from; the local
stack's own clients (the event pump, the state keeper) use a session of their own and never fail.
"""

from __future__ import annotations

import random
from typing import Any

import boto3
from botocore.exceptions import ClientError

# What each service answers when it is overloaded or failing, as retried code must expect.
_FAILURES = {
    "dynamodb": [("ProvisionedThroughputExceededException", 400), ("InternalServerError", 500)],
    "s3": [("SlowDown", 503), ("InternalError", 500)],
    "cloudfront": [("TooManyInvalidationsInProgress", 400), ("ServiceUnavailable", 503)],
    "sns": [("Throttling", 400), ("InternalError", 500)],
    "scheduler": [("ThrottlingException", 429), ("InternalServerException", 500)],
    "sqs": [("RequestThrottled", 403), ("InternalError", 500)],
}


class Chaos:
    def __init__(self, rate: float, seed: int) -> None:
        if not 0 <= rate < 1:
            raise ValueError("the chaos rate is a fraction of calls, from 0 up to (not including) 1")
        self.rate = rate
        self.injected = 0
        self._random = random.Random(seed)  # noqa: S311 - reproducible faults, not secrets

    def __call__(self, model: Any, **_: Any) -> None:
        service = model.service_model.endpoint_prefix
        failures = _FAILURES.get(service)
        if failures is None or self._random.random() >= self.rate:
            return
        code, status = self._random.choice(failures)
        self.injected += 1
        response: Any = {
            "Error": {"Code": code, "Message": "injected by pressrun chaos mode"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        raise ClientError(response, model.name)


def install(rate: float, seed: int) -> Chaos:
    """Make the functions' AWS calls fail at `rate`, reproducibly for a given seed."""
    chaos = Chaos(rate, seed)
    boto3.setup_default_session()
    session = boto3.DEFAULT_SESSION
    assert session is not None
    session.events.register("before-call", chaos, unique_id="pressrun-chaos")
    return chaos


def uninstall() -> None:
    if boto3.DEFAULT_SESSION is not None:
        boto3.DEFAULT_SESSION.events.unregister("before-call", unique_id="pressrun-chaos")
