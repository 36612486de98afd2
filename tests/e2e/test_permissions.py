"""Each function's IAM policy in template.yaml against the AWS calls its code makes: every call the chain
makes on the local stack (publishing, rejecting and fixing, renaming, scheduling and releasing, removing,
rebuilding) is allowed by its function's policy, and every action a policy grants is one its function
calls. The calls are recorded as the functions make them (a botocore hook on the session their clients
come from) and turned into the IAM actions and resources AWS authorises them as."""

from __future__ import annotations

import contextlib
import fnmatch
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import boto3
import pytest

from pressrun import runtime
from pressrun.emulator.site import LocalSite
from pressrun.emulator.stack import ACCOUNT, REGION, LocalStack
from tests.conftest import SAMPLE, load_event
from tests.pictures import image_story, jpeg
from tests.ping_target import ping_target

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
        if operation == "CopyObject":
            # botocore may already have turned the source into its header form, `bucket/key?versionId=`.
            source = params["CopySource"]
            if isinstance(source, str):
                path, _, version = unquote(source).partition("?versionId=")
                source = {"Bucket": path.split("/", 1)[0], "Key": path.split("/", 1)[1], "VersionId": version}
            read = "Version" if source.get("VersionId") else ""
            return [
                ("s3:PutObject", resource),
                (f"s3:GetObject{read}", f"arn:aws:s3:::{source['Bucket']}/{source['Key']}"),
            ]
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
        if "IndexName" in params:
            # A query of a secondary index is authorised on the index, not the table.
            return [(f"dynamodb:{operation}", f"{_table(params['TableName'])}/index/{params['IndexName']}")]
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
    with ping_target() as told:
        # Pings on, so that the writers queue them (IndexNow and the hub played on localhost).
        os.environ.update(
            {"INDEXNOW_ENDPOINT": told.url, "INDEXNOW_KEY": "pressrun-permissions", "WEBSUB_HUB": told.url}
        )
        _run_the_chain(site_dir, calls)


def _run_the_chain(site_dir: Path, calls: Calls) -> None:
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
        # Moved to another day, then back: its old address redirects, then is its page again.
        for date in ("2025-06-25", "2025-06-24", "2025-06-25"):
            site.upload("moving.md", story("Moving", "World", date))
            site.drain()
        # An editor's list of redirects, checked against the site's.
        site.upload("redirects/old-desk.json", b'[{"from": "/old-desk/", "to": "/category/world/"}]')
        site.drain()
        # An article that waits for its image; the image (rendered, the article tried again); a new
        # version of it (the article judged again); a refused one, then a good one (its report goes);
        # and an article with its own focus point, whose crops the validator asks for.
        site.upload("harbour.md", image_story("harbour.jpg"))
        site.drain()
        for photo in (
            jpeg(800, 600, seed=1),
            jpeg(800, 600, seed=2),
            b"<html>no</html>",
            jpeg(800, 600, seed=3),
        ):
            site.upload("harbour.jpg", photo)
            site.drain()
        site.upload("quay.md", image_story("harbour.jpg", focus="0.2,0.5", title="Quay"))
        site.drain()
        # The search bundle, built on its schedule (the first build of the site).
        site.runner.invoke("SearchIndexFunction", load_event("search_index"))
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
        # Built again with the released story: files the first build used and this one does not retire.
        site.runner.invoke("SearchIndexFunction", load_event("search_index"))
    # The reconciliation sweep, on its schedule, with an upload and a deletion made behind the
    # pipeline's back (their events not yet delivered), so that it has both kinds to re-announce. The
    # sweep's clock runs past moto's: S3 dates its objects by the real time.
    sweep_time = datetime.now(UTC) + timedelta(hours=1)
    with LocalSite(site_dir, SITE_URL, now=sweep_time) as site, recording(calls, site):
        s3, uploads = site.stack.client("s3"), site.stack.physical("UploadsBucket")
        s3.put_object(Bucket=uploads, Key="incoming/lost.md", Body=story("Lost", "World", "2025-06-26"))
        s3.delete_object(Bucket=uploads, Key="incoming/soon.md")
        # Every version of a story deleted for good: nothing is left in S3 to announce.
        gone = s3.list_object_versions(Bucket=uploads, Prefix="incoming/tomorrow.md")
        for version in [*gone.get("Versions", []), *gone.get("DeleteMarkers", [])]:
            s3.delete_object(Bucket=uploads, Key=version["Key"], VersionId=version["VersionId"])
        site.runner.invoke("ReconcileFunction", load_event("reconcile"))
        site.drain()
        # And again after the sweep's repairs: the files retired last time are removed.
        site.runner.invoke("SearchIndexFunction", load_event("search_index"))


# Granted, but not called in the run above, each for a reason the local chain cannot show.
CALLED_ONLY_WHERE_THE_LOCAL_CHAIN_CANNOT_GO = {
    ("FollowArticleChangeFunction", "dynamodb:UpdateItem"): "a scheduled article whose time comes while"
    " its change travels is released at once; locally, validation and the stream share one clock",
    ("ReleaseArticleFunction", "dynamodb:GetItem"): "Powertools reads the idempotency record back when a"
    " second delivery of the schedule finds it in progress",
    ("ReleaseArticleFunction", "dynamodb:DeleteItem"): "Powertools deletes the idempotency record when"
    " the release fails, so that Scheduler's retry runs it again",
    ("FollowArticleChangeFunction", "s3:GetObject"): "an article recorded from an event without a version"
    " id (uploaded before the bucket was versioned) is read as the key's current object",
    ("RebuildWorkerFunction", "s3:GetObject"): "as for FollowArticleChangeFunction",
    ("ProcessImageFunction", "s3:GetObject"): "as for FollowArticleChangeFunction (an image, or an article"
    " tried again, read without a version id)",
    ("ProcessImageFunction", "dynamodb:UpdateItem"): "an article tried again when its image is ready, that"
    " still waits for another of its images, is refused again (its record marked), as the validator does",
    ("ProcessImageFunction", "dynamodb:GetItem"): "an article tried again whose new version takes another"
    " slug gives up its old one: the claim is read for its waiters, then deleted",
    ("ProcessImageFunction", "dynamodb:DeleteItem"): "as dynamodb:GetItem",
    ("ProcessImageFunction", "s3:ListBucketVersions"): "an article tried again and refused again reads"
    " its file's versions to decide what stays up, as the validator does",
    ("RebuildWorkerFunction", "s3:DeleteObject"): "a listing that lost its last story between the"
    " rebuild's planning and its job loses its pages; the local run keeps every listing",
    ("RenderListingsFunction", "sqs:SendMessage"): "the stylesheet, when the first publish after a"
    " theme is deployed rewrites it; the run above changes the theme only before its rebuild",
    ("ReconcileFunction", "scheduler:CreateSchedule"): "a scheduled story's schedule, asserted again"
    " by the sweep; no story is waiting for its time when the run's sweep comes",
    ("ReconcileFunction", "scheduler:UpdateSchedule"): "as scheduler:CreateSchedule",
    ("ReconcileFunction", "iam:PassRole"): "as scheduler:CreateSchedule",
    ("ReconcileFunction", "dynamodb:UpdateItem"): "a scheduled story whose release was lost goes live;"
    " the run's schedule fired",
    ("ReconcileFunction", "s3:DeleteObject"): "an upload gone for good had a report, which goes with it"
    " (the run's vanished upload had none: the sweep looks, HeadObject, and finds nothing to delete);"
    " a preview that expired, or whose story went live with its stream record lost, loses its report",
    ("ReconcileFunction", "s3:PutObject"): "a draft's preview report, written again by the sweep when"
    " the draft's stream record was lost; the run loses none",
    ("ReconcileFunction", "s3:GetObject"): "as s3:PutObject: a preview's report is looked at (HeadObject)"
    " before it is deleted; the reads of uploads and refusals' reports are made",
    ("ReconcileFunction", "scheduler:DeleteSchedule"): "a schedule left behind by a change away from"
    " 'scheduled' whose stream record was lost; the run loses none",
    ("FollowArticleChangeFunction", "cloudfront-keyvaluestore:DescribeKeyValueStore"): "moto serves no"
    " KeyValueStore API, so the local stack keeps the redirects in RedirectsTable alone (pressrun.aws."
    "redirects; tests/integration/test_redirect_store.py pins the store's calls against its API)",
    ("FollowArticleChangeFunction", "cloudfront-keyvaluestore:PutKey"): "as DescribeKeyValueStore",
    ("FollowArticleChangeFunction", "cloudfront-keyvaluestore:DeleteKey"): "as DescribeKeyValueStore",
    ("ReconcileFunction", "dynamodb:GetItem"): "a preview whose story went live while its stream record"
    " was lost is redirected to the story by the sweep (pressrun.previews); the run loses none",
    ("ReconcileFunction", "dynamodb:Query"): "as ReconcileFunction's dynamodb:GetItem",
    ("ReconcileFunction", "dynamodb:PutItem"): "as ReconcileFunction's dynamodb:GetItem",
    ("ReconcileFunction", "dynamodb:DeleteItem"): "as ReconcileFunction's dynamodb:GetItem",
    ("ReconcileFunction", "cloudfront-keyvaluestore:DescribeKeyValueStore"): "as"
    " FollowArticleChangeFunction's: moto serves no KeyValueStore API",
    ("ReconcileFunction", "cloudfront-keyvaluestore:PutKey"): "as DescribeKeyValueStore",
    ("ReconcileFunction", "cloudfront-keyvaluestore:DeleteKey"): "as DescribeKeyValueStore",
    ("ReconcileFunction", "sqs:DeleteMessage"): "a stream batch that exhausted its retries is taken from"
    " the failure queue once re-checked; no batch fails for good in the run",
    ("FollowArticleChangeFunction", "dynamodb:GetItem"): "an author's profile followed before the"
    " listings function rendered their listing places it in the listings sitemap; the run has no profile",
    ("RebuildWorkerFunction", "dynamodb:UpdateItem"): "a listing whose place in the listings sitemap no"
    " render took (made by an earlier release), or whose heading changed, is settled by the rebuild's"
    " render of it; every listing of the run is placed and named when made",
}


def test_every_call_a_function_makes_is_allowed_by_its_policy(calls: Calls):
    assert calls.errors == []
    assert sorted(calls.denied) == []
    # The run reached every function.
    assert {g.function for g in calls.used} == {g.function for g in calls.granted}


def test_no_policy_grants_an_action_its_function_never_calls(calls: Calls):
    # Each start of the local stack makes a new distribution, with a new id: a grant is used if its
    # function made its action on what the grant names in any of the runs.
    def same_in_every_run(grant: Grant) -> tuple[str, str, tuple[str, ...]]:
        resources = tuple(re.sub(r"distribution/\w+$", "distribution/*", r) for r in grant.resources)
        return grant.function, grant.action, resources

    used = {same_in_every_run(grant) for grant in calls.used}
    unused = {same_in_every_run(grant) for grant in calls.granted} - used

    print("UNUSED", sorted(unused))
    assert {(function, action) for function, action, _ in unused} == set(
        CALLED_ONLY_WHERE_THE_LOCAL_CHAIN_CANNOT_GO
    )
