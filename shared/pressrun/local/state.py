"""Local state between runs, kept under the site folder: the uploads, the tables and the pending
schedules in one JSON file; the site bucket is the site folder itself. Restored before the stack is
connected, so nothing replays."""

from __future__ import annotations

import base64
import json
import mimetypes
from pathlib import Path
from typing import Any

from moto.s3.models import s3_backends

from pressrun.aws.s3 import S3Site
from pressrun.local.stack import ACCOUNT, LocalStack

STATE_DIR = ".pressrun"
_STATE_FILE = "state.json"
_FORMAT = 1
_SCHEDULE_FIELDS = (
    "Name",
    "GroupName",
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "FlexibleTimeWindow",
    "Target",
    "ActionAfterCompletion",
)


def _current_uploads(stack: LocalStack, bucket: str) -> list[dict[str, Any]]:
    s3 = stack.client("s3")
    uploads = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for summary in page.get("Contents", []):
            obj = s3.get_object(Bucket=bucket, Key=summary["Key"])
            uploads.append(
                {
                    "key": summary["Key"],
                    "version_id": obj.get("VersionId"),
                    "data": base64.b64encode(obj["Body"].read()).decode("ascii"),
                }
            )
    return uploads


def _items(stack: LocalStack, table: str) -> list[dict[str, Any]]:
    dynamodb = stack.client("dynamodb")
    return [
        item for page in dynamodb.get_paginator("scan").paginate(TableName=table) for item in page["Items"]
    ]


def peek(stack: LocalStack, queue: str) -> list[str]:
    """The bodies of every message in a queue, leaving them all there and visible."""
    sqs = stack.client("sqs")
    url = stack.physical(queue)
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get(
        "Messages", []
    ):
        messages += batch
    for message in messages:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return [message["Body"] for message in messages]


def _schedules(stack: LocalStack) -> list[dict[str, Any]]:
    scheduler = stack.client("scheduler")
    schedules = []
    for group, _ in stack.resources("AWS::Scheduler::ScheduleGroup"):
        for summary in scheduler.list_schedules(GroupName=group).get("Schedules", []):
            schedule = scheduler.get_schedule(GroupName=group, Name=summary["Name"])
            schedules.append({name: schedule[name] for name in _SCHEDULE_FIELDS if name in schedule})
    return schedules


def save(stack: LocalStack, uploads_bucket: str, site_dir: Path) -> None:
    state = {
        "format": _FORMAT,
        "uploads": _current_uploads(stack, uploads_bucket),
        "tables": {logical: _items(stack, logical) for logical, _ in stack.resources("AWS::DynamoDB::Table")},
        "schedules": _schedules(stack),
        # Dead letters wait for `pressrun redrive`, however many runs later.
        "dead_letters": {queue: peek(stack, queue) for queue in stack.failure_queues()},
    }
    folder = site_dir / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    (folder / _STATE_FILE).write_text(json.dumps(state), encoding="utf-8")


def restore(stack: LocalStack, uploads_bucket: str, site_bucket: str, site_dir: Path) -> None:
    path = site_dir / STATE_DIR / _STATE_FILE
    if not path.exists():
        return
    state = json.loads(path.read_text(encoding="utf-8"))
    if state.get("format") != _FORMAT:
        raise ValueError(
            f"{path} was written by another version of pressrun; remove {site_dir} to start over"
        )
    s3, dynamodb = stack.client("s3"), stack.client("dynamodb")
    bucket = s3_backends[ACCOUNT]["aws"].buckets[uploads_bucket]
    for upload in state["uploads"]:
        s3.put_object(Bucket=uploads_bucket, Key=upload["key"], Body=base64.b64decode(upload["data"]))
        if upload["version_id"]:
            # S3 has no call that sets a version id, but records, reports and schedules name the
            # saved ones: give the restored object its old id in moto itself.
            bucket.keys.getlist(upload["key"])[-1]._version_id = upload["version_id"]
    for table, items in state["tables"].items():
        for item in items:
            dynamodb.put_item(TableName=table, Item=item)
    scheduler = stack.client("scheduler")
    for schedule in state["schedules"]:
        scheduler.create_schedule(**schedule)
    sqs = stack.client("sqs")
    for queue, bodies in state["dead_letters"].items():
        for body in bodies:
            sqs.send_message(QueueUrl=stack.physical(queue), MessageBody=body)
    site = S3Site(s3, site_bucket)
    for file in sorted(site_dir.rglob("*")):
        relative = file.relative_to(site_dir)
        if file.is_file() and relative.parts[0] != STATE_DIR:
            content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            site.put(relative.as_posix(), file.read_bytes(), content_type)


def mirror(stack: LocalStack, site_bucket: str, site_dir: Path) -> None:
    """Make the site folder hold exactly what the site bucket holds."""
    s3 = stack.client("s3")
    keys = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=site_bucket):
        for summary in page.get("Contents", []):
            keys.add(summary["Key"])
            target = site_dir / summary["Key"]
            body = s3.get_object(Bucket=site_bucket, Key=summary["Key"])["Body"].read()
            if not target.exists() or target.read_bytes() != body:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(body)
    for file in sorted(site_dir.rglob("*"), reverse=True):
        relative = file.relative_to(site_dir)
        if relative.parts[0] == STATE_DIR:
            continue
        if file.is_file() and relative.as_posix() not in keys:
            file.unlink()
        elif file.is_dir() and not any(file.iterdir()):
            file.rmdir()
