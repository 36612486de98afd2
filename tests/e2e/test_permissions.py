"""Each function's IAM policy in template.yaml against the AWS calls its code makes: every call the chain
makes on the local stack (publishing, rejecting and fixing, renaming, scheduling and releasing, removing,
rebuilding) is allowed by its function's policy, and every action a policy grants is one its function
calls. The calls are recorded as the functions make them (a botocore hook on the session their clients
come from) and turned into the IAM actions and resources AWS authorises them as."""

from __future__ import annotations

import contextlib
import fnmatch
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from pressrun import runtime
from pressrun.emulator.site import LocalSite
from pressrun.emulator.stack import ACCOUNT, REGION, LocalStack
from tests.conftest import SAMPLE

pytestmark = pytest.mark.e2e

SITE_URL = "http://localhost:8000"
T0 = datetime(2025, 6, 27, 9, 0, tzinfo=UTC)


def story(title: str, category: str, date: str, slug: str | None = None) -> bytes:
    extra = f"slug: {slug}\n" if slug else ""
    return f"---\ntitle: {title}\ndate: {date}\ncategories: [{category}]\n{extra}---\nA paragraph.\n".encode()


# --- From API calls to what IAM authorises ------------------------------------------------------------

_TRANSACTION_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def _table(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def authorised_as(service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """(IAM action, resource ARN) pairs AWS checks for one API call (the Service Authorization
    Reference's actions and resource types)."""
    if service == "s3":
        bucket = f"arn:aws:s3:::{params['Bucket']}"
        if operation in {"ListObjectsV2", "ListObjects"}:
            return [("s3:ListBucket", bucket)]
        if operation == "ListObjectVersions":
            return [("s3:ListBucketVersions", bucket)]
        versioned = "Version" if params.get("VersionId") else ""
        resource = f"{bucket}/{params['Key']}"
        if operation in {"GetObject", "HeadObject"}:
            # S3 answers a missing key 404 only to a caller allowed to list the bucket, else 403; the
            # code takes a missing object for None, so every read needs ListBucket too.
            return [(f"s3:GetObject{versioned}", resource), ("s3:ListBucket", bucket)]
        if operation == "DeleteObject":
            return [(f"s3:DeleteObject{versioned}", resource)]
        if operation == "PutObject":
            return [("s3:PutObject", resource)]
        raise AssertionError(f"no IAM mapping for s3:{operation}")
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            return [
                (f"dynamodb:{_TRANSACTION_ACTIONS[kind]}", _table(item[kind]["TableName"]))
                for item in params["TransactItems"]
                for kind in item
            ]
        if operation in {"BatchGetItem", "BatchWriteItem"}:
            return [(f"dynamodb:{operation}", _table(name)) for name in params["RequestItems"]]
        return [(f"dynamodb:{operation}", _table(params["TableName"]))]
    if service == "sns":
        return [(f"sns:{operation}", params["TopicArn"])]
    if service == "sqs":
        queue = params["QueueUrl"].rsplit("/", 1)[1]
        action = "SendMessage" if operation.startswith("SendMessage") else operation
        return [(f"sqs:{action}", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}")]
    if service == "scheduler":
        schedule = f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{params['GroupName']}/{params['Name']}"
        pairs = [(f"scheduler:{operation}", schedule)]
        if "Target" in params:
            pairs.append(("iam:PassRole", params["Target"]["RoleArn"]))
        return pairs
    if service == "cloudfront":
        return [
            (
                f"cloudfront:{operation}",
                f"arn:aws:cloudfront::{ACCOUNT}:distribution/{params['DistributionId']}",
            )
        ]
    raise AssertionError(f"no IAM mapping for {service}:{operation}")


@dataclass(frozen=True)
class Grant:
    """One action one of a function's policy statements allows, on the resources it names."""

    function: str
    action: str
    resources: tuple[str, ...]  # as the stack resolved them: ARNs, some ending in a wildcard

    def allows(self, action: str, resource: str) -> bool:
        return fnmatch.fnmatchcase(action, self.action) and any(
            fnmatch.fnmatchcase(resource, pattern) for pattern in self.resources
        )


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def grants(stack: LocalStack) -> list[Grant]:
    """Every action each function's policy allows, its resources resolved against this local stack."""
    found = []
    for function, properties in stack.resources("AWS::Serverless::Function"):
        for policy in properties.get("Policies", []):
            assert policy.keys() == {"Statement"}, f"{function}: a SAM policy template, not statements"
            for statement in policy["Statement"]:
                assert statement["Effect"] == "Allow", function
                resources = tuple(str(r) for r in listed(stack.resolver.resolve(statement["Resource"])))
                found += [Grant(function, action, resources) for action in listed(statement["Action"])]
    return found


@dataclass
class Calls:
    """What each function asked AWS for, as IAM sees it, checked against the policies as each local
    stack resolves them (each run's stack names its distribution anew)."""

    pending: list[tuple[str, str, str]] = field(default_factory=list)  # (function, action, resource)
    denied: list[tuple[str, str, str]] = field(default_factory=list)
    used: set[Grant] = field(default_factory=set)
    granted: set[Grant] = field(default_factory=set)
    # A hook that raises inside a handler fails the handler, which the chain retries quietly: kept here.
    errors: list[str] = field(default_factory=list)

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        # Every handler is wrapped in Powertools' inject_lambda_context, which names the function.
        function = runtime.logger.get_current_keys().get("function_name")
        service = model.service_model.endpoint_prefix
        try:
            assert function, f"{service}:{model.name} called outside a handler on the functions' session"
            self.pending += [(function, *pair) for pair in authorised_as(service, model.name, params)]
        except (AssertionError, KeyError) as error:
            self.errors.append(repr(error))

    def check(self, stack: LocalStack) -> None:
        policies = grants(stack)
        self.granted.update(policies)
        for function, action, resource in self.pending:
            allowing = [g for g in policies if g.function == function and g.allows(action, resource)]
            if not allowing:
                self.denied.append((function, action, resource))
            self.used.update(allowing)
        self.pending.clear()


@contextlib.contextmanager
def recording(calls: Calls, site: LocalSite) -> Iterator[None]:
    """On the session the functions' clients come from: made anew once the local stack has started
    moto, which drops boto3's default session (as chaos mode does). Parameters as the code passed them,
    before botocore serialises them."""
    boto3.setup_default_session()
    session = boto3.DEFAULT_SESSION
    assert session is not None
    session.events.register("before-parameter-build", calls, unique_id="pressrun-permissions")
    try:
        yield
    finally:
        session.events.unregister("before-parameter-build", unique_id="pressrun-permissions")
        calls.check(site.stack)


@pytest.fixture(scope="module")
def calls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Calls]:
    saved = dict(os.environ)
    recorded = Calls()
    try:
        run_the_chain(tmp_path_factory.mktemp("permissions") / "site", recorded)
        yield recorded
    finally:
        os.environ.clear()
        os.environ.update(saved)
        runtime.reset()


def run_the_chain(site_dir: Path, calls: Calls) -> None:
    # Listing pages of one article each, so that the rebuild below (at the default size) removes some.
    os.environ["LISTING_SIZE"] = "1"
    with LocalSite(site_dir, SITE_URL, now=T0) as site, recording(calls, site):
        site.upload(SAMPLE.name, SAMPLE.read_bytes())
        site.upload("budget.md", story("Budget", "Politics", "2025-06-26"))
        site.drain()
        # Edited into another category.
        site.upload("budget.md", story("Budget", "Economics", "2025-06-26"))
        site.drain()
        # Re-uploaded invalid, then fixed: a report is written, then removed; the editors hear of it.
        site.upload("late.md", story("Late", "World", "2025-06-26"))
        site.drain()
        site.upload("late.md", b"---\ntitle: Late\ndate: June 31, 2025\n---\nText.\n")
        site.drain()
        site.upload("late.md", story("Late", "World", "2025-06-26", slug="late"))
        site.drain()
        # Scheduled, then moved; another scheduled, then made live at once (its schedule removed).
        site.upload("tomorrow.md", story("Tomorrow", "World", "2025-06-28T06:00:00+00:00"))
        site.drain()
        site.upload("tomorrow.md", story("Tomorrow", "World", "2025-06-28T07:00:00+00:00"))
        site.drain()
        site.upload("soon.md", story("Soon", "World", "2025-06-29T06:00:00+00:00"))
        site.drain()
        site.upload("soon.md", story("Soon", "World", "2025-06-26T06:00:00+00:00"))
        site.drain()
        site.remove("late.md")
        site.drain()
        # Renamed: copied, refused while the old name holds its slug (a cancelled transaction), then
        # the old name deleted, which hands the slug over.
        site.upload("budget-final.md", story("Budget", "Economics", "2025-06-26", slug="budget"))
        site.drain()
        site.remove("budget.md")
        site.drain()
    # A new theme and the default listing size: a rebuild rewrites pages and removes listing pages.
    theme = site_dir.parent / "theme"
    theme.mkdir()
    (theme / "style.css").write_text("body { font-family: serif; }\n", encoding="utf-8")
    os.environ.update({"THEME_DIR": str(theme), "LISTING_SIZE": "20"})
    with LocalSite(site_dir, SITE_URL, now=T0, may_change_settings=True) as site, recording(calls, site):
        site.rebuild()
    # A day later the schedule fires.
    later = datetime(2025, 6, 28, 8, 0, tzinfo=UTC)
    with LocalSite(site_dir, SITE_URL, now=later) as site, recording(calls, site):
        site.drain()


# Granted, but not called in the run above, each for a reason the local chain cannot show.
CALLED_ONLY_WHERE_THE_LOCAL_CHAIN_CANNOT_GO = {
    ("FollowArticleChangeFunction", "dynamodb:UpdateItem"): "a scheduled article whose time comes while"
    " its change travels is released at once; locally, validation and the stream share one clock",
    ("ReleaseArticleFunction", "dynamodb:GetItem"): "Powertools reads the idempotency record back when a"
    " second delivery of the schedule finds it in progress",
    ("ReleaseArticleFunction", "dynamodb:DeleteItem"): "Powertools deletes the idempotency record when"
    " the release fails, so that Scheduler's retry runs it again",
    ("ValidateArticleFunction", "s3:GetObject"): "a permanently deleted version makes the validator read"
    " what the key serves now, without a version id",
    ("FollowArticleChangeFunction", "s3:GetObject"): "an article recorded from an event without a version"
    " id (uploaded before the bucket was versioned) is read as the key's current object",
    ("RebuildWorkerFunction", "s3:GetObject"): "as for FollowArticleChangeFunction",
    ("RebuildWorkerFunction", "s3:DeleteObject"): "a listing that lost its last story between the"
    " rebuild's planning and its job loses its pages; the local run keeps every listing",
}


def test_every_call_a_function_makes_is_allowed_by_its_policy(calls: Calls):
    assert calls.errors == []
    assert sorted(calls.denied) == []
    # The run reached every function.
    assert {g.function for g in calls.used} == {g.function for g in calls.granted}


def test_no_policy_grants_an_action_its_function_never_calls(calls: Calls):
    unused = {(g.function, g.action, g.resources) for g in calls.granted - calls.used}

    assert {(function, action) for function, action, _ in unused} == set(
        CALLED_ONLY_WHERE_THE_LOCAL_CHAIN_CANNOT_GO
    )
