"""EventBridge Scheduler adapter: one-time `at()` schedules that invoke the release function."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from pressrun.scheduling import Release

if TYPE_CHECKING:
    from mypy_boto3_scheduler import EventBridgeSchedulerClient


class EventBridgeScheduler:
    def __init__(
        self,
        client: EventBridgeSchedulerClient,
        group: str,
        role_arn: str,
        target_arn: str,
        dead_letter_arn: str,
    ) -> None:
        if not (group and role_arn and target_arn and dead_letter_arn):
            raise ValueError(
                "scheduling needs SCHEDULE_GROUP, SCHEDULER_ROLE_ARN, RELEASE_FUNCTION_ARN"
                " and SCHEDULE_DEAD_LETTER_ARN"
            )
        self._client = client
        self._group = group
        self._role_arn = role_arn
        self._target_arn = target_arn
        self._dead_letter_arn = dead_letter_arn

    def schedule(self, name: str, at: datetime, release: Release) -> None:
        arguments = {
            "Name": name,
            "GroupName": self._group,
            "ScheduleExpression": f"at({at.astimezone(UTC):%Y-%m-%dT%H:%M:%S})",
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {
                "Arn": self._target_arn,
                "RoleArn": self._role_arn,
                "Input": release.model_dump_json(),
                "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400},
                # A release that keeps failing is set aside where an alarm and a redrive can find it.
                "DeadLetterConfig": {"Arn": self._dead_letter_arn},
            },
            # A one-time schedule deletes itself once it has run.
            "ActionAfterCompletion": "DELETE",
        }
        try:
            self._client.create_schedule(**arguments)  # type: ignore[arg-type]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConflictException":
                raise
            self._client.update_schedule(**arguments)  # type: ignore[arg-type]

    def cancel(self, name: str) -> None:
        try:
            self._client.delete_schedule(Name=name, GroupName=self._group)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
