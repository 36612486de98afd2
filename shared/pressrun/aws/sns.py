"""SNS adapter: the EditorAlerts topic a newsroom subscribes its inbox to."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient


class SnsEditorAlerts:
    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def rejected(self, source_key: str, text: str) -> None:
        # The subject is plain ASCII and short, as SNS requires; the key is in the message.
        self._client.publish(
            TopicArn=self._topic_arn, Subject="pressrun: an upload was rejected", Message=text
        )
