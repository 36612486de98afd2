"""The stack of template.yaml, made in an in-process moto: buckets, tables, queues, rules, a distribution,
and the functions with the event sources Lambda would give them. Nothing here repeats the template."""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from moto import mock_aws

from pressrun.emulator import item_writes, s3_events
from pressrun.emulator.item_writes import ItemWrites
from pressrun.emulator.s3_events import Announcer, ChangeLog
from pressrun.emulator.template import Resolver, load_template

REGION = "us-east-1"
ACCOUNT = "123456789012"
Handler = Callable[[dict[str, Any], Any], Any]

# The stack's own credentials (the pump's, the functions'): a moto server tells them from others'.
LOCAL_ACCESS_KEY = "local"
# Credentials and endpoints for moto only: nothing the local stack does can reach a real account.
_LOCAL_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": LOCAL_ACCESS_KEY,
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    # moto's DynamoDB Streams answer DescribeStream with 404 under account-based endpoints.
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


@dataclass(frozen=True)
class EventSource:
    """One event source mapping, as the template declares it."""

    kind: str  # "sqs" or "stream"
    arn: str
    batch_size: int
    batching_window: int
    report_failures: bool
    max_retries: int
    queue_url: str | None = None
    on_failure_url: str | None = None


@dataclass
class LocalFunction:
    name: str
    code: Path
    handler_name: str
    environment: dict[str, str]
    sources: list[EventSource]
    memory: int
    timeout: int
    _module: ModuleType | None = None

    @property
    def handler(self) -> Handler:
        if self._module is None:
            module_file, _, _ = self.handler_name.partition(".")
            spec = importlib.util.spec_from_file_location(
                f"pressrun_function_{self.name}", self.code / f"{module_file}.py"
            )
            if spec is None or spec.loader is None:
                raise FileNotFoundError(f"{self.name}: no handler module in {self.code}")
            self._module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(self._module)
        handler: Handler = getattr(self._module, self.handler_name.partition(".")[2])
        return handler


@dataclass
class LocalStack:
    """Made in two steps: `create` (storage, empty and silent) then `connect` (streams, events, functions),
    so that restored state does not replay through the pipeline."""

    root: Path
    parameters: dict[str, str] = field(default_factory=dict)
    # What S3 answered for the buckets whose events the template turns on (to this process's clients;
    # under `pressrun dev` also to others', heard by the proxy that is given this log).
    changes: ChangeLog = field(default_factory=ChangeLog)
    # The table items written once the stack is connected, heard as `changes` are.
    writes: ItemWrites = field(default_factory=ItemWrites)
    template: dict[str, Any] = field(init=False)
    resolver: Resolver = field(init=False)
    functions: list[LocalFunction] = field(default_factory=list)
    announcer: Announcer = field(init=False)
    _mock: Any = None
    _session: boto3.session.Session = field(default_factory=boto3.session.Session)
    _clients: dict[str, Any] = field(default_factory=dict)
    _watched_default: boto3.session.Session | None = None

    def __post_init__(self) -> None:
        self.template = load_template(self.root / "template.yaml")
        defaults = {
            name: str(spec.get("Default", "")) for name, spec in self.template.get("Parameters", {}).items()
        }
        self.resolver = Resolver(
            parameters={**defaults, **self._parameters_from_environment(), **self.parameters},
            conditions=self.template.get("Conditions", {}),
            region=REGION,
            account=ACCOUNT,
        )

    def _parameters_from_environment(self) -> dict[str, str]:
        """Locally a setting is an environment variable (LISTING_SIZE=5 pressrun publish ...): where the
        template sets that variable from a parameter, the variable's value is the parameter's."""
        variables = self.template.get("Globals", {}).get("Function", {}).get("Environment", {})
        parameters = self.template.get("Parameters", {})
        return {
            value["Ref"]: os.environ[name]
            for name, value in variables.get("Variables", {}).items()
            if isinstance(value, dict) and value.get("Ref") in parameters and name in os.environ
        }

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self, endpoint_url: str | None = None) -> None:
        """On an in-process moto, or on the moto server at `endpoint_url` (`pressrun dev`), which every
        client of this process, the functions' included, then calls over HTTP."""
        os.environ.update(_LOCAL_ENVIRONMENT)
        # Clients made for an earlier start may point at another endpoint.
        self._clients.clear()
        if endpoint_url is None:
            os.environ.pop("AWS_ENDPOINT_URL", None)
            self._mock = mock_aws()
            self._mock.start()
        else:
            os.environ["AWS_ENDPOINT_URL"] = endpoint_url
        s3_events.watch_clients(self._session, self.changes)
        item_writes.watch_clients(self._session, self.writes)
        self.watch_default_session()
        self.announcer = Announcer(self.client("events"), self.client("s3"), ACCOUNT, REGION)
        self.create()

    def stop(self) -> None:
        if self._mock is not None:
            self._mock.stop()
            self._mock = None

    def watch_default_session(self) -> None:
        """Hear the changes made by clients of boto3's default session, which the functions' clients
        come from, made anew by whoever replaced it (chaos mode, a test's recorder)."""
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        if boto3.DEFAULT_SESSION is not self._watched_default:
            assert boto3.DEFAULT_SESSION is not None
            s3_events.watch_clients(boto3.DEFAULT_SESSION, self.changes)
            item_writes.watch_clients(boto3.DEFAULT_SESSION, self.writes)
            self._watched_default = boto3.DEFAULT_SESSION

    def announce(self) -> bool:
        """Send the events of the bucket changes not told yet; whether there were any."""
        changes = self.changes.unannounced()
        if changes:
            self.announcer.announce(changes)
        return bool(changes)

    def client(self, service: str) -> Any:
        # Its own session: chaos mode makes the functions' calls fail, never the pump's. Kept per
        # service: the pump asks for one on every delivery, and making one takes ~5 ms.
        if service not in self._clients:
            self._clients[service] = self._session.client(service, region_name=REGION)  # type: ignore[call-overload]
        return self._clients[service]

    def resources(self, resource_type: str) -> list[tuple[str, dict[str, Any]]]:
        return [
            (name, resource.get("Properties", {}))
            for name, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
        ]

    def redrive_pairs(self) -> list[tuple[str, str]]:
        """(dead-letter queue, the queue it serves), as the redrive policies declare them."""
        return [
            (properties["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0], logical)
            for logical, properties in self.resources("AWS::SQS::Queue")
            if "RedrivePolicy" in properties
        ]

    def failure_queues(self) -> list[str]:
        """Where messages end that keep failing: dead-letter queues and on-failure destinations."""
        targets = [
            properties["RedrivePolicy"]["deadLetterTargetArn"]
            for _, properties in self.resources("AWS::SQS::Queue")
            if "RedrivePolicy" in properties
        ]
        functions = [properties for _, properties in self.resources("AWS::Serverless::Function")]
        targets += [
            event["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
            for properties in functions
            for event in properties.get("Events", {}).values()
            if "DestinationConfig" in event.get("Properties", {})
        ]
        # Dead-letter queues handed to code, such as the one each article schedule names.
        targets += [
            value
            for properties in functions
            for name, value in properties.get("Environment", {}).get("Variables", {}).items()
            if name.endswith("_DEAD_LETTER_ARN")
        ]
        return sorted({target["Fn::GetAtt"][0] for target in targets})

    def physical(self, logical: str) -> str:
        return self.resolver.refs[logical]

    def attribute(self, logical: str, name: str) -> str:
        return self.resolver.attributes[(logical, name)]

    # --- create: storage, queues, rules, the distribution -----------------------------------------

    def create(self) -> None:
        s3, dynamodb, sqs = self.client("s3"), self.client("dynamodb"), self.client("sqs")
        for logical, properties in self.resources("AWS::S3::Bucket"):
            name = f"pressrun-{logical.lower()}"
            s3.create_bucket(Bucket=name)
            if properties.get("VersioningConfiguration", {}).get("Status") == "Enabled":
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
            self.resolver.refs[logical] = name
            self.resolver.attributes[(logical, "Arn")] = f"arn:aws:s3:::{name}"
            self.resolver.attributes[(logical, "RegionalDomainName")] = f"{name}.s3.{REGION}.amazonaws.com"
        for logical, properties in self.resources("AWS::DynamoDB::Table"):
            dynamodb.create_table(
                TableName=logical,
                KeySchema=properties["KeySchema"],
                AttributeDefinitions=properties["AttributeDefinitions"],
                BillingMode=properties.get("BillingMode", "PAY_PER_REQUEST"),
                **(
                    {"GlobalSecondaryIndexes": properties["GlobalSecondaryIndexes"]}
                    if "GlobalSecondaryIndexes" in properties
                    else {}
                ),
            )
            self.resolver.refs[logical] = logical
            self.resolver.attributes[(logical, "Arn")] = (
                f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{logical}"
            )
        # Dead-letter queues first: the queues that use them name their ARNs.
        queues = sorted(self.resources("AWS::SQS::Queue"), key=lambda item: "RedrivePolicy" in item[1])
        for logical, properties in queues:
            attributes = {
                name: str(value)
                for name, value in properties.items()
                if name in {"VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds"}
            }
            if "RedrivePolicy" in properties:
                attributes["RedrivePolicy"] = json.dumps(self.resolver.resolve(properties["RedrivePolicy"]))
            url = sqs.create_queue(QueueName=logical, Attributes=attributes)["QueueUrl"]
            self.resolver.refs[logical] = url
            self.resolver.attributes[(logical, "Arn")] = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{logical}"
            self.resolver.attributes[(logical, "QueueName")] = logical
        for logical, _ in self.resources("AWS::Scheduler::ScheduleGroup"):
            self.client("scheduler").create_schedule_group(Name=logical)
            self.resolver.refs[logical] = logical
        for logical, _ in self.resources("AWS::IAM::Role"):
            # Nothing checks permissions locally; the role only has to be named.
            self.resolver.attributes[(logical, "Arn")] = f"arn:aws:iam::{ACCOUNT}:role/{logical}"
        for logical, _ in self.resources("AWS::SNS::Topic"):
            arn = self.client("sns").create_topic(Name=logical)["TopicArn"]
            self.resolver.refs[logical] = arn
            self.resolver.attributes[(logical, "TopicName")] = logical
        for logical, _ in self.resources("AWS::CloudFront::KeyValueStore"):
            # moto serves no KeyValueStore API (cloudfront-keyvaluestore): given no store, the functions
            # keep the redirects in their table alone, which `pressrun dev`'s site server answers from.
            self.resolver.attributes[(logical, "Arn")] = ""
        for logical, properties in self.resources("AWS::CloudFront::Distribution"):
            self._create_distribution(logical, properties)
        events = self.client("events")
        for logical, properties in self.resources("AWS::Events::Rule"):
            events.put_rule(
                Name=logical, EventPattern=json.dumps(self.resolver.resolve(properties["EventPattern"]))
            )
            events.put_targets(
                Rule=logical,
                Targets=[
                    {"Id": target["Id"], "Arn": self.resolver.resolve(target["Arn"])}
                    for target in properties["Targets"]
                ],
            )
            self.resolver.refs[logical] = logical
            self.resolver.attributes[(logical, "Arn")] = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{logical}"

    def _create_distribution(self, logical: str, properties: dict[str, Any]) -> None:
        # moto keeps only the basics of a distribution: its origin and its invalidations are what count here.
        origin = properties["DistributionConfig"]["Origins"][0]
        response = self.client("cloudfront").create_distribution(
            DistributionConfig={
                "CallerReference": logical,
                "Comment": "pressrun local",
                "Enabled": True,
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": "site",
                            "DomainName": self.resolver.resolve(origin["DomainName"]),
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                        }
                    ],
                },
                "DefaultCacheBehavior": {
                    "TargetOriginId": "site",
                    "ViewerProtocolPolicy": "redirect-to-https",
                },
            }
        )
        distribution = response["Distribution"]
        self.resolver.refs[logical] = distribution["Id"]
        self.resolver.attributes[(logical, "DomainName")] = distribution["DomainName"]

    # --- connect: streams, bucket events, functions ------------------------------------------------

    def connect(self) -> None:
        dynamodb = self.client("dynamodb")
        for logical, properties in self.resources("AWS::DynamoDB::Table"):
            self.writes.watch(logical, [key["AttributeName"] for key in properties["KeySchema"]])
            if "StreamSpecification" in properties:
                description = dynamodb.update_table(
                    TableName=logical,
                    StreamSpecification={"StreamEnabled": True, **properties["StreamSpecification"]},
                )["TableDescription"]
                self.resolver.attributes[(logical, "StreamArn")] = description["LatestStreamArn"]
        for logical, properties in self.resources("AWS::S3::Bucket"):
            notification = properties.get("NotificationConfiguration", {})
            # Every bucket's changes are kept (the folder's state is saved from them); events go only
            # where the template turns them on, and not through moto's notification configuration,
            # whose events are not S3's (`s3_events`).
            enabled = notification.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled", False)
            self.changes.watch(self.physical(logical), announce=bool(enabled))
        globals_ = self.template.get("Globals", {}).get("Function", {})
        for logical, _ in self.resources("AWS::Serverless::Function"):
            self.resolver.attributes[(logical, "Arn")] = function_arn(logical)
        self.functions = [
            self._function(logical, {**globals_, **properties}, globals_)
            for logical, properties in self.resources("AWS::Serverless::Function")
        ]

    def _function(self, logical: str, properties: dict[str, Any], globals_: dict[str, Any]) -> LocalFunction:
        variables = {
            **globals_.get("Environment", {}).get("Variables", {}),
            **properties.get("Environment", {}).get("Variables", {}),
        }
        if "INVALIDATION_DELAY_SECONDS" in variables:
            # On Lambda the delay orders an invalidation after its sender's writes. The runner runs
            # one invocation at a time and serves the invalidation queue only when all else is idle,
            # which orders them already, and its clock does not wait.
            variables["INVALIDATION_DELAY_SECONDS"] = 0
        if "PING_DELAY_SECONDS" in variables:
            # On Lambda a ping waits until the CDN serves what it announces. The emulated stack has no
            # CDN in front of its site, and its runner serves the ping queue (a batching window) only
            # when all else is idle, after the writes.
            variables["PING_DELAY_SECONDS"] = 0
        sources = [self._source(event) for event in properties.get("Events", {}).values()]
        return LocalFunction(
            name=logical,
            code=self.root / properties["CodeUri"],
            handler_name=properties["Handler"],
            environment={name: str(self.resolver.resolve(value)) for name, value in variables.items()},
            sources=[source for source in sources if source is not None],
            memory=int(properties.get("MemorySize", 128)),
            timeout=int(properties.get("Timeout", 3)),
        )

    def _queue_url(self, arn: str) -> str:
        return self.client("sqs").get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]  # type: ignore[no-any-return]

    def _source(self, event: dict[str, Any]) -> EventSource | None:
        properties = self.resolver.resolve(event.get("Properties", {}))
        responses = properties.get("FunctionResponseTypes", [])
        on_failure = properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if event["Type"] == "SQS":
            return EventSource(
                kind="sqs",
                arn=properties["Queue"],
                queue_url=self._queue_url(properties["Queue"]),
                batch_size=int(properties.get("BatchSize", 10)),
                batching_window=int(properties.get("MaximumBatchingWindowInSeconds", 0)),
                report_failures="ReportBatchItemFailures" in responses,
                max_retries=0,
            )
        if event["Type"] == "DynamoDB":
            return EventSource(
                kind="stream",
                arn=properties["Stream"],
                batch_size=int(properties.get("BatchSize", 100)),
                batching_window=int(properties.get("MaximumBatchingWindowInSeconds", 0)),
                report_failures="ReportBatchItemFailures" in responses,
                max_retries=int(properties.get("MaximumRetryAttempts", -1)),
                on_failure_url=self._queue_url(on_failure) if on_failure else None,
            )
        return None
