"""The CDN bill and the AWS calls behind docs/cost.md, on the emulated stack: the real handlers of
template.yaml on moto (pressrun.emulator.site.LocalSite), in one process.

    .venv/bin/python bench/cdn.py [--size 300] [--new 20] [--corrections 10] [--removals 3] [--burst 100]

A site of `size` stories is published with `pressrun publish` (the local engine), then opened on
the emulated stack, which loads the folder's state into moto. A normal day follows, one event at a
time, each drained before the next (stories arrive minutes apart, far more than the invalidation
window): `new` stories published, `corrections` of published stories (the same file again with a
changed body), `removals` (the upload deleted). Then the reconciliation sweep runs `sweeps` times
(template: every ReconcileIntervalMinutes, 96 a day). All of it in paths mode and in tags mode
(InvalidationMode). Then the burst: `burst` corrections uploaded in one invalidation window.

What is counted, without patching anything:
- every AWS call the functions make, by function, service and operation: a `before-call` hook on
  boto3's default session, which the functions' clients come from (the pump's own calls, which are
  Lambda's and EventBridge's work on AWS, go through another session and are not heard);
- whose call it is: `Runner.running`; how long each invocation took: `Runner.on_invocation`;
- DynamoDB request units: from the items in each request and response (the wire JSON, sized as
  DynamoDB sizes items: names plus values), rounded up per item to 1 KB written or 4 KB read, halved
  for eventually consistent reads, doubled in transactions; an update or delete is charged the size
  of the item as the day left it (its size before the write is not seen), at least 1 unit;
- CloudFront invalidations: the paths of each CreateInvalidation, from the request;
- the bytes the functions logged (CloudWatch Logs ingestion).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import corpus
from common import PRESSRUN_CLI, WORK

NOW = corpus.NOW


def new_story(i: int) -> corpus.Article:
    """The i-th story of the day: newer than the corpus, dated before NOW (published, not scheduled)."""
    return corpus.article(20_000 + i, date=NOW - timedelta(hours=11) + timedelta(minutes=20 * i))


def corrected(article: corpus.Article, round_: int = 1) -> bytes:
    return (article.yaml() + f"\n*Correction {round_}: an earlier version of this story misstated a figure.*\n").encode()


# --- DynamoDB item sizes (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html)


def _value_size(value: dict[str, Any]) -> int:
    (kind, inner), = value.items()
    if kind in ("S",):
        return len(inner.encode())
    if kind == "B":
        return math.ceil(len(inner) * 3 / 4)
    if kind == "N":
        digits = len(inner.lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: item}) for item in inner)
    if kind == "L":
        return 3 + sum(1 + _value_size(item) for item in inner)
    if kind == "M":
        return 3 + sum(len(name.encode()) + 1 + _value_size(item) for name, item in inner.items())
    return len(json.dumps(inner))


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


class Counting:
    """The functions' AWS calls, heard on boto3's default session."""

    def __init__(self, runner: Any) -> None:
        self.runner = runner
        self.calls: Counter[tuple[str, str, str]] = Counter()
        self.invalidations: list[list[str]] = []
        self.read_units: Counter[str] = Counter()
        self.write_units: Counter[str] = Counter()
        # (function, table, key) of updates and deletes, charged the size of the item as the day leaves it
        self.sized_later: list[tuple[str, str, str, float]] = []
        self.seconds: defaultdict[str, list[float]] = defaultdict(list)
        # What Lambda's event source mappings and EventBridge do on AWS, done here by the emulator's
        # pump through its own clients: SQS receives and deletes, and the S3 events put on the bus.
        self.pump: Counter[str] = Counter()
        self.s3_events = 0

    def pump_call(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.pump[f"{model.service_model.endpoint_prefix}:{model.name}"] += 1
        if model.name == "PutEvents":
            self.s3_events += len(json.loads(params.get("body") or b"{}").get("Entries", []))

    def who(self) -> str:
        return self.runner.running or "outside a function"

    def before_call(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        service = model.service_model.endpoint_prefix
        who = self.who()
        self.calls[(who, service, model.name)] += 1
        if service == "cloudfront" and model.name == "CreateInvalidation":
            body = params.get("body", b"")
            text = body.decode() if isinstance(body, bytes) else str(body)
            self.invalidations.append(_xml_paths(text))
        if service == "dynamodb":
            self._writes(who, model.name, json.loads(params.get("body") or b"{}"))

    def after_call(self, model: Any, http_response: Any, **_: Any) -> None:
        if model.service_model.endpoint_prefix != "dynamodb" or http_response.status_code != 200:
            return
        body = json.loads(http_response.content or b"{}")
        self._reads(self.who(), model.name, body)

    def _writes(self, who: str, operation: str, request: dict[str, Any]) -> None:
        if operation == "PutItem":
            self.write_units[who] += max(1, math.ceil(item_size(request["Item"]) / 1024))
        elif operation in ("UpdateItem", "DeleteItem"):
            self.sized_later.append((who, request["TableName"], json.dumps(request["Key"], sort_keys=True), 1))
        elif operation == "BatchWriteItem":
            for table, writes in request["RequestItems"].items():
                for write in writes:
                    if "PutRequest" in write:
                        self.write_units[who] += max(1, math.ceil(item_size(write["PutRequest"]["Item"]) / 1024))
                    else:
                        key = json.dumps(write["DeleteRequest"]["Key"], sort_keys=True)
                        self.sized_later.append((who, table, key, 1))
        elif operation == "TransactWriteItems":
            for entry in request["TransactItems"]:
                (kind, write), = entry.items()
                if kind == "Put":
                    self.write_units[who] += 2 * max(1, math.ceil(item_size(write["Item"]) / 1024))
                elif kind == "ConditionCheck":
                    self.read_units[who] += 2 * 1
                else:
                    self.sized_later.append((who, write["TableName"], json.dumps(write["Key"], sort_keys=True), 2))

    def _reads(self, who: str, operation: str, response: dict[str, Any]) -> None:
        # Whether a read was consistent is in the request; pressrun's adapters read consistently
        # where it matters, so every read is counted as consistent: an upper bound.
        if operation == "GetItem":
            self.read_units[who] += max(1, math.ceil(item_size(response.get("Item", {})) / 4096))
        elif operation in ("Query", "Scan"):
            size = sum(item_size(item) for item in response.get("Items", []))
            self.read_units[who] += max(1, math.ceil(size / 4096))
        elif operation == "BatchGetItem":
            for items in response.get("Responses", {}).values():
                self.read_units[who] += sum(max(1, math.ceil(item_size(i) / 4096)) for i in items)
        elif operation == "TransactGetItems":
            for entry in response.get("Responses", []):
                self.read_units[who] += 2 * max(1, math.ceil(item_size(entry.get("Item", {})) / 4096))

    def settle_later(self, stack: Any) -> None:
        """Updates and deletes: the size of each item as the day left it (1 KB when it is gone)."""
        dynamodb = stack.client("dynamodb")
        for who, table, key, factor in self.sized_later:
            item = dynamodb.get_item(TableName=table, Key=json.loads(key)).get("Item", {})
            self.write_units[who] += int(factor * max(1, math.ceil(item_size(item) / 1024)))
        self.sized_later.clear()

    def snapshot(self) -> dict[str, Any]:
        by_function: dict[str, dict[str, int]] = defaultdict(dict)
        for (who, service, operation), n in sorted(self.calls.items()):
            by_function[who][f"{service}:{operation}"] = n
        return {
            "calls": by_function,
            "invocations": {name: len(times) for name, times in sorted(self.seconds.items())},
            "invocation_seconds": {name: round(sum(times), 4) for name, times in sorted(self.seconds.items())},
            "dynamodb_read_units": dict(self.read_units),
            "dynamodb_write_units": dict(self.write_units),
            "invalidation_calls": len(self.invalidations),
            "invalidation_paths": sum(len(p) for p in self.invalidations),
            "pump_calls": dict(self.pump),
            "s3_events": self.s3_events,
        }


def _xml_paths(text: str) -> list[str]:
    import re

    items = re.search(r"<Items>(.*?)</Items>", text, re.DOTALL)
    return re.findall(r"<Path>(.*?)</Path>", items.group(1)) if items else []


def published_site(size: int, work: Path) -> Path:
    site = work / f"cdn-base-{size}"
    if (site / ".pressrun" / "cdn-bench").exists():
        return site
    shutil.rmtree(site, ignore_errors=True)
    source = corpus.write_corpus(work / f"corpus-{size}", size, "yaml")
    subprocess.run(
        [str(PRESSRUN_CLI), "publish", "--site", str(site), "--now", NOW.isoformat(), str(source)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (site / ".pressrun" / "cdn-bench").write_text(str(size))
    return site


def day(size: int, mode: str, new: int, corrections: int, removals: int, sweeps: int, burst: int, work: Path) -> dict[str, Any]:
    import boto3

    from pressrun.emulator.site import LocalSite

    site_dir = work / f"cdn-{mode}-{size}"
    shutil.rmtree(site_dir, ignore_errors=True)
    shutil.copytree(published_site(size, work), site_dir, symlinks=True)
    log_file = site_dir / ".pressrun" / "functions.log"
    phases: dict[str, Any] = {}
    with LocalSite(site_dir, now=NOW, parameters={"InvalidationMode": mode}) as site:
        site_parameters = dict(site.stack.resolver.parameters)
        counting = Counting(site.runner)
        site.runner.on_invocation = lambda name, seconds: counting.seconds[name].append(seconds)
        # No function has run yet in this process: their clients will come from this session.
        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("before-call", counting.before_call, unique_id="bench-before")
        boto3.DEFAULT_SESSION.events.register("after-call", counting.after_call, unique_id="bench-after")
        pump_clients = {id(c): c for c in (site.stack.client("sqs"), site.stack.client("events"), site.stack.announcer.events)}
        for client in pump_clients.values():
            client.meta.events.register("before-call", counting.pump_call, unique_id="bench-pump")
        # A first sweep, not counted: the site was published outside the stack, so to a first sweep
        # every record is new. The sweeps counted below are the steady state: the day's changes
        # and the budget's slice of the archive.
        site.runner.invoke("ReconcileFunction", {})
        site.drain()
        counting.settle_later(site.stack)

        def phase(name: str, events: list[tuple[str, Any]]) -> None:
            """Each event drained before the next; what the phase cost, event by event."""
            logged = log_file.stat().st_size if log_file.exists() else 0
            per_event_paths = []
            started = time.perf_counter()
            before = counting.snapshot()
            for kind, argument in events:
                made = len(counting.invalidations)
                if kind == "upload":
                    site.upload(*argument)
                elif kind == "remove":
                    assert site.remove(argument)
                elif kind == "sweep":
                    site.runner.invoke("ReconcileFunction", {})
                site.drain()
                per_event_paths.append(sum(len(p) for p in counting.invalidations[made:]))
            counting.settle_later(site.stack)
            after = counting.snapshot()
            phases[name] = {
                "events": len(events),
                "invalidation_paths_each": per_event_paths,
                "invalidation_paths_mean": round(sum(per_event_paths) / max(1, len(events)), 3),
                "sample_paths": [p for batch in counting.invalidations[len(counting.invalidations) - after["invalidation_calls"] + before["invalidation_calls"]:] for p in batch][:20],
                "wall_seconds": round(time.perf_counter() - started, 2),
                "log_bytes": (log_file.stat().st_size if log_file.exists() else 0) - logged,
                **_difference(before, after),
            }

        stories = [new_story(i) for i in range(new)]
        phase("new", [("upload", (story.name, story.yaml().encode())) for story in stories])
        phase("corrections", [("upload", (story.name, corrected(story))) for story in stories[:corrections]])
        phase("removals", [("remove", story.name) for story in stories[corrections : corrections + removals]])
        phase("sweeps", [("sweep", None) for _ in range(sweeps)])
        # The burst: every correction uploaded before one drain, so one window gathers them.
        made = len(counting.invalidations)
        targets = [corpus.article(i) for i in range(min(burst, size))]
        for article in targets:
            site.upload(article.name, corrected(article, 2))
        site.drain()
        burst_batches = counting.invalidations[made:]
        phases["burst"] = {
            "corrections": len(targets),
            "create_invalidation_calls": len(burst_batches),
            "paths": sum(len(b) for b in burst_batches),
            "wildcards": sum(1 for b in burst_batches for p in b if p.endswith("*")),
        }
        cache_control = _cache_control(site, stories[0])
        failures = [str(failure) for failure in site.failures()]
        memory = {f.name: f.memory for f in site.stack.functions}
    shutil.rmtree(site_dir, ignore_errors=True)
    return {
        "mode": mode,
        "site_size": size,
        "phases": phases,
        "failures": failures,
        "memory_mb": memory,
        "cache_control": cache_control,
        "listing_freshness_seconds": site_parameters.get("ListingFreshnessSeconds"),
    }


def _cache_control(site: Any, story: corpus.Article) -> dict[str, str | None]:
    """The Cache-Control the site bucket serves a story page, the home page, a category page, the feed
    and the sitemap with, as CloudFront reads it."""
    s3 = site.stack.client("s3")
    names = [k["Key"] for k in s3.list_objects_v2(Bucket=site.site_bucket, Delimiter="/").get("Contents", [])]
    names += [k["Key"] for k in s3.list_objects_v2(Bucket=site.site_bucket, Prefix="category/", MaxKeys=100).get("Contents", [])]
    names += [k["Key"] for k in s3.list_objects_v2(Bucket=site.site_bucket, Prefix=story.date.strftime("%Y/%m/%d/")).get("Contents", [])]

    def first(test: Any) -> str | None:
        return next((name for name in names if test(name)), None)

    wanted = {
        "story page": first(lambda k: k.endswith(f"{story.slug}/index.html")),
        "home": "index.html" if "index.html" in names else None,
        "category page": first(lambda k: k.startswith("category/") and k.endswith("/index.html")),
        "feed": first(lambda k: "/" not in k and k.endswith(".xml") and "sitemap" not in k),
        "category feed": first(lambda k: k.startswith("category/") and k.endswith(".xml")),
        "sitemap": first(lambda k: k.startswith("sitemap") and k.endswith(".xml")),
    }
    out: dict[str, str | None] = {}
    for what, key in wanted.items():
        if key is not None:
            out[f"{what} ({key})"] = s3.head_object(Bucket=site.site_bucket, Key=key).get("CacheControl")
    return out


def _difference(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    calls: dict[str, dict[str, int]] = {}
    for who, operations in after["calls"].items():
        for operation, n in operations.items():
            delta = n - before["calls"].get(who, {}).get(operation, 0)
            if delta:
                calls.setdefault(who, {})[operation] = delta
    out: dict[str, Any] = {"calls": calls}
    for key in ("invocations", "invocation_seconds", "dynamodb_read_units", "dynamodb_write_units", "pump_calls"):
        out[key] = {
            name: round(value - before[key].get(name, 0), 4)
            for name, value in after[key].items()
            if value - before[key].get(name, 0)
        }
    out["invalidation_calls"] = after["invalidation_calls"] - before["invalidation_calls"]
    out["invalidation_paths"] = after["invalidation_paths"] - before["invalidation_paths"]
    out["s3_events"] = after["s3_events"] - before["s3_events"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=300)
    parser.add_argument("--new", type=int, default=20)
    parser.add_argument("--corrections", type=int, default=10)
    parser.add_argument("--removals", type=int, default=3)
    parser.add_argument("--sweeps", type=int, default=4)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--mode", choices=["paths", "tags"], action="append")
    arguments = parser.parse_args()
    work = WORK
    work.mkdir(parents=True, exist_ok=True)
    results = [
        day(arguments.size, mode, arguments.new, arguments.corrections, arguments.removals, arguments.sweeps, arguments.burst, work)
        for mode in arguments.mode or ["paths", "tags"]
    ]
    json.dump(results, sys.stdout, indent=2)


if __name__ == "__main__":
    main()
