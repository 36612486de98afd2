"""docs/cost.md: the monthly AWS bill for a newsroom, from the calls the bench counted (cdn.py) and
AWS's published prices (PRICES below, each with where it was read and when).

    .venv/bin/python bench/cost.py     # after `make bench` or `make bench-full` (uses the full run's cdn.json when there is one)

Nothing here is measured by this file: it multiplies. The counts per event (a new story, a
correction, a removal, a reconciliation sweep) come from bench/results/<mode>/cdn.json; the
newsroom's month (how many of each) is SCENARIOS; the prices are PRICES.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import corpus
from common import RESULTS, ROOT

DOCS = ROOT / "docs"
READ_ON = "2026-11-30"


@dataclass(frozen=True)
class Price:
    usd: float
    per: float  # units the price is for
    unit: str
    free_per_month: float  # units free each month (account-wide free tier), 0 when none
    source: str
    note: str = ""


# us-east-1 list prices. Where AWS's own pricing page renders its numbers in the browser (the
# stored copies show the rules but not the figures), the figure is from the page named in `source`.
PRICES: dict[str, Price] = {
    "lambda_request": Price(
        0.20, 1e6, "requests", 1e6,
        "https://aws.amazon.com/lambda/pricing/ (rules; figure rendered client-side) and "
        "https://raw.githubusercontent.com/api-evangelist/aws-lambda/refs/heads/main/plans/aws-lambda-plans-pricing.yml "
        "(the page's text transcribed 2026-09-20: $0.20 per million requests; free tier 1M requests, 400,000 GB-s)",
    ),
    "lambda_gb_second_arm64": Price(
        0.0000133334, 1, "GB-second (arm64, first 7.5 billion a month)", 400_000,
        "https://cloudchipr.com/blog/aws-lambda-pricing (2024, US East: Arm $0.0000133334 per GB-second, first 7.5 billion); "
        "the same figure in artillery's prices.js, which cites https://aws.amazon.com/lambda/pricing/",
    ),
    "dynamodb_write_unit": Price(
        0.625, 1e6, "write request units (on-demand)", 0,
        "https://aws.amazon.com/dynamodb/pricing/on-demand/ (units and rules) and "
        "https://airbyte.com/data-engineering-resources/dynamodb-pricing (July 2025, US East, after the November 2024 cut: "
        "$0.625 per million WRU)",
    ),
    "dynamodb_read_unit": Price(
        0.125, 1e6, "read request units (on-demand)", 0,
        "as above ($0.125 per million RRU)",
    ),
    "s3_put_list": Price(
        0.005, 1000, "PUT, COPY, POST, LIST requests (S3 Standard)", 0,
        "https://aws.amazon.com/s3/pricing/ (figures rendered client-side) and https://c3x.dev/blog/s3-request-fees-explained "
        "(S3 Standard: $0.005 per 1,000 PUT/COPY/POST/LIST, $0.0004 per 1,000 GET/HEAD)",
    ),
    "s3_get_other": Price(0.0004, 1000, "GET, HEAD and other requests (S3 Standard)", 0, "as above"),
    "sqs_request": Price(
        0.40, 1e6, "requests (standard queue, each 64 KB chunk)", 1e6,
        "https://aws.amazon.com/sqs/pricing/ (figures rendered client-side) and https://cloudburn.io/blog/amazon-sqs-pricing "
        "(March 2026, US East: $0.40 per million standard requests, first 1M free)",
    ),
    "eventbridge_event": Price(
        1.00, 1e6, "events", 0,
        "https://aws.amazon.com/eventbridge/pricing/: S3's object events are 'AWS opt-in data events', priced apart from the "
        "free AWS management events; their figure was not readable in the stored copy. $1.00 per million is the custom-event "
        "price (https://cloudburn.io/blog/amazon-eventbridge-pricing, March 2026), used here as an upper bound",
        "upper bound: opt-in data event price not found",
    ),
    "cloudfront_path": Price(
        0.005, 1, "invalidation paths", 1000,
        "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/PayingForInvalidation.html (first 1,000 paths a "
        "month free, then per path; a tag counts as a path) and https://cur.vantage-api.com/aws/amazoncloudfront/fee/invalidations "
        "(updated April 2025: $0.005 per path)",
    ),
    "logs_ingested_gb": Price(
        0.50, 1, "GB ingested (CloudWatch Logs, Standard class)", 0,
        "https://aws.amazon.com/cloudwatch/pricing/ (figures rendered client-side) and "
        "https://c3x.dev/blog/cloudwatch-logs-cost-optimization (us-east-1, June 2026: $0.50 per GB ingested)",
    ),
}

FREE_ELSEWHERE = [
    ("DynamoDB Streams reads by Lambda", "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CostOptimization_StreamsUsage.html "
     "(read requests made by Lambda-based consumers of DynamoDB Streams are free)"),
    ("EventBridge Scheduler (the sweep's schedule, 2,880 a month)", "AWS Price List for AWSEvents, as mirrored in "
     "https://huggingface.co/datasets/labofsahil/aws-pricing-dataset (\"$0 for the first 14 million scheduled invocations\")"),
]

# A newsroom's month: events per day for a given number of new stories a day. Corrections and
# removals are assumptions, stated in the page; the sweep runs every ReconcileIntervalMinutes (15).
SCENARIOS = (100, 1000)
CORRECTED_SHARE = 0.2
REMOVED_SHARE = 0.01
SWEEPS_PER_DAY = 96
DAYS = 30
# Each SQS-triggered invocation costs its event source mapping at least one ReceiveMessage and one
# DeleteMessageBatch on AWS (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html).
SQS_TRIGGERED = ("ValidateArticleFunction", "ProcessImageFunction", "InvalidateCdnFunction", "RebuildWorkerFunction")
PUT_LIST = ("PutObject", "CopyObject", "ListObjectsV2", "ListObjectVersions", "ListObjects", "CreateMultipartUpload")
FREE_S3 = ("DeleteObject", "DeleteObjects")


def load_cdn() -> tuple[str, dict[str, Any]] | None:
    for mode in ("full", "quick"):
        path = RESULTS / mode / "cdn.json"
        if path.exists():
            return mode, json.loads(path.read_text())
    return None


def per_event(phase: dict[str, Any], memory: dict[str, int]) -> dict[str, float]:
    """Billable units of one event of a phase (its totals divided by its events)."""
    n = max(1, phase["events"])
    units = dict.fromkeys(PRICES, 0.0)
    for operations in phase["calls"].values():
        for operation, count in operations.items():
            service, name = operation.split(":", 1)
            if service == "s3" and name not in FREE_S3:
                units["s3_put_list" if name in PUT_LIST else "s3_get_other"] += count
            elif service == "sqs":
                units["sqs_request"] += count
    for function, invocations in phase["invocations"].items():
        units["lambda_request"] += invocations
        if function in SQS_TRIGGERED:
            units["sqs_request"] += 2 * invocations
    for function, seconds in phase["invocation_seconds"].items():
        units["lambda_gb_second_arm64"] += seconds * memory.get(function, 512) / 1024
    units["dynamodb_read_unit"] = sum(phase["dynamodb_read_units"].values())
    units["dynamodb_write_unit"] = sum(phase["dynamodb_write_units"].values())
    units["eventbridge_event"] = phase["s3_events"]
    units["cloudfront_path"] = phase["invalidation_paths"]
    units["logs_ingested_gb"] = phase["log_bytes"] / 1e9
    return {key: value / n for key, value in units.items()}


def dollars(units: dict[str, float], free: bool) -> dict[str, float]:
    out = {}
    for key, amount in units.items():
        price = PRICES[key]
        billable = max(0.0, amount - price.free_per_month) if free else amount
        out[key] = billable / price.per * price.usd
    return out


def month(per: dict[str, dict[str, float]], stories: int, phases: tuple[str, ...] | None = None) -> dict[str, float]:
    counts = {
        "new": stories * DAYS,
        "corrections": stories * CORRECTED_SHARE * DAYS,
        "removals": stories * REMOVED_SHARE * DAYS,
        "sweeps": SWEEPS_PER_DAY * DAYS,
    }
    total = dict.fromkeys(PRICES, 0.0)
    for phase, count in counts.items():
        if phases is not None and phase not in phases:
            continue
        for key, value in per[phase].items():
            total[key] += value * count
    return total


def _money(x: float) -> str:
    return f"${x:,.2f}" if x >= 0.01 or x == 0 else f"${x:.4f}"


def _price(price: Price) -> str:
    usd = f"{price.usd:.10f}".rstrip("0").rstrip(".")
    return f"${usd} per {price.per:,.0f} {price.unit}" if price.per > 1 else f"${usd} per {price.unit.replace('paths', 'path')}"


def _n(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:,.2f}" if x >= 1 else f"{x:.3g}"


def render(mode: str, data: dict[str, Any]) -> str:
    day = next(d for d in data["days"] if d["mode"] == "paths")
    tags = next((d for d in data["days"] if d["mode"] == "tags"), None)
    memory = day["memory_mb"]
    phases = ["new", "corrections", "removals", "sweeps"]
    per = {p: per_event(day["phases"][p], memory) for p in phases}
    meta = json.loads((RESULTS / mode / "meta.json").read_text())
    cdn_meta = meta["stages"]["cdn"]
    plan = data["plan"]
    lines = [
        "# What pressrun costs on AWS",
        "",
        "<!-- Written by bench/cost.py from bench/results/ and the prices in bench/cost.py. "
        "Re-run `make bench` or `make bench-full` to refresh it. -->",
        "",
        "The monthly bill for a newsroom publishing 100 or 1,000 new stories a day, derived from the AWS calls the",
        "bench counted, per event, on the emulated stack (the handlers of `template.yaml` on moto, `bench/cdn.py`),",
        "multiplied by AWS's published us-east-1 prices. Nothing on this page is guessed except what is marked",
        "as an assumption; what was not measured is listed at the end.",
        "",
        f"Measured by: `{cdn_meta.get('command', meta['command'])}`, stage `cdn` ({cdn_meta['started_at']}, {cdn_meta['seconds']} s, load average "
        f"{' → '.join(str(x[0]) for x in cdn_meta.get('load_average', [])) or 'not recorded'} on {meta['machine']['cores']} cores), "
        f"revision {cdn_meta['revision']}: a site of {plan['size']:,} stories published by `pressrun publish`, then, on the "
        f"emulated stack, {plan['new']} new stories, {plan['corrections']} corrections and {plan['removals']} removals one at a "
        f"time (each drained before the next), {plan['sweeps']} reconciliation sweeps, and a burst of {plan['burst']} corrections "
        f"in one invalidation window; once with `InvalidationMode=paths` (the default) and once with `tags`.",
        "",
        "## Invalidation paths per story (issue 13's goal)",
        "",
        "| event | paths (mode `paths`) | paths (mode `tags`) | goal |",
        "|---|---|---|---|",
    ]
    goals = {"new": "at most 1 on average", "corrections": "at most 5", "removals": "at most 5 (an update)"}
    for phase in ("new", "corrections", "removals"):
        p = day["phases"][phase]
        t = tags["phases"][phase] if tags else None
        each = p["invalidation_paths_each"]
        lines.append(
            f"| {phase} ({p['events']}) | mean {p['invalidation_paths_mean']}, max {max(each) if each else 0} | "
            f"{'mean ' + str(t['invalidation_paths_mean']) + ', max ' + str(max(t['invalidation_paths_each'] or [0])) if t else 'not run'} | "
            f"{goals[phase]}: **{'met' if (p['invalidation_paths_mean'] <= 1 if phase == 'new' else max(each or [0]) <= 5) else 'missed'}** |"
        )
    burst = day["phases"]["burst"]
    lines += [
        "",
        f"A burst of {burst['corrections']} corrections in one window: {burst['create_invalidation_calls']} CreateInvalidation "
        f"call(s), {burst['paths']} paths, {burst['wildcards']} wildcards (mode `paths`)"
        + (f"; mode `tags`: {tags['phases']['burst']['create_invalidation_calls']} call(s), {tags['phases']['burst']['paths']} paths." if tags else "."),
        "",
        "Sample paths of a correction: " + ", ".join(f"`{x}`" for x in day["phases"]["corrections"]["sample_paths"][:4]) + ".",
        "New stories invalidate nothing: their URLs were never served, and listings expire by themselves. The",
        "`Cache-Control` each kind of object was stored with in the site bucket at the end of the day (template",
        f"parameter `ListingFreshnessSeconds` = {day.get('listing_freshness_seconds')}, the functions' `LISTING_FRESHNESS_SECONDS`):",
        "",
        *[f"- {what}: `{value}`" for what, value in day.get("cache_control", {}).items()],
        "",
        "Story pages stay in the CDN (`s-maxage`) until a correction or removal invalidates them; listings, feeds and",
        "sitemaps are refreshed within the freshness window with no invalidation.",
        "",
        "## Per event: what one story costs in calls",
        "",
        "Units per event (the phase's totals divided by its events). Lambda GB-seconds are the measured handler",
        "durations on this machine times each function's configured memory (see the caveats).",
        "",
        "| unit | new story | correction | removal | sweep |",
        "|---|---|---|---|---|",
    ]
    for key, price in PRICES.items():
        lines.append(f"| {price.unit} | " + " | ".join(_n(per[p][key]) for p in phases) + " |")
    lines += [
        "",
        "AWS calls by function for one new story (mode `paths`), as counted:",
        "",
    ]
    new = day["phases"]["new"]
    for function, operations in sorted(new["calls"].items()):
        ops = ", ".join(f"{op} {n / new['events']:.3g}" for op, n in sorted(operations.items()))
        secs = new["invocation_seconds"].get(function, 0) / new["events"]
        lines.append(f"- **{function}** ({new['invocations'].get(function, 0) / new['events']:.3g} invocations, {secs * 1000:.0f} ms): {ops}")
    sweep = day["phases"]["sweeps"]
    lines += [
        "",
        f"One reconciliation sweep as counted (site of {plan['size']:,}, after one uncounted sweep; see the note under the month",
        "table):",
        "",
    ]
    for function, operations in sorted(sweep["calls"].items()):
        ops = ", ".join(f"{op} {n / sweep['events']:.4g}" for op, n in sorted(operations.items()))
        lines.append(f"- **{function}**: {ops}")
    lines += [
        "",
        "## The month",
        "",
        f"Assumptions: {DAYS} days; each day, N new stories, {CORRECTED_SHARE:.0%} of N corrections, {REMOVED_SHARE:.0%} of N removals, and",
        f"{SWEEPS_PER_DAY} reconciliation sweeps (every 15 minutes, `ReconcileIntervalMinutes`' default). \"List\" is every unit at its",
        "price; \"after free tiers\" takes off each service's monthly free allowance (Lambda 1M requests and 400,000",
        "GB-s, SQS 1M requests, CloudFront 1,000 paths), which an account shares with everything else it runs.",
        "",
        "| line | price | " + " | ".join(f"{s:,}/day: units | list | after free tiers" for s in SCENARIOS) + " |",
        "|---|---|" + "---|---|---|" * len(SCENARIOS),
    ]
    months = {s: month(per, s) for s in SCENARIOS}
    bills = {s: (dollars(months[s], False), dollars(months[s], True)) for s in SCENARIOS}
    for key, price in PRICES.items():
        cells = []
        for s in SCENARIOS:
            cells += [_n(months[s][key]), _money(bills[s][0][key]), _money(bills[s][1][key])]
        lines.append(f"| {key} | {_price(price)} | " + " | ".join(cells) + " |")
    sweep_gets = sum(ops.get("s3:GetObject", 0) for ops in sweep["calls"].values()) / max(1, sweep["events"])
    for label, only in (("of which publishing (new, corrections, removals)", ("new", "corrections", "removals")), ("of which sweeps", ("sweeps",))):
        cells = []
        for s in SCENARIOS:
            part = month(per, s, only)
            cells += ["", _money(sum(dollars(part, False).values())), "—"]
        lines.append(f"| {label} | | " + " | ".join(cells) + " |")
    cells = []
    for s in SCENARIOS:
        cells += ["", f"**{_money(sum(bills[s][0].values()))}**", f"**{_money(sum(bills[s][1].values()))}**"]
    lines.append("| **total** | | " + " | ".join(cells) + " |")
    lines += [
        "",
        "**The sweep line is this site's, and not verified as a steady state.** Each counted sweep made "
        f"{_n(sweep_gets)} GetObject calls on a site of {plan['size']:,} stories plus the day's, about one per story page: "
        "the per-run budget (`pressrun.sweep_state.Budget`: 1,100 uploads, 1,100 articles, 2,500 listing entries and "
        "2,500 site keys a sweep) is larger than this site's pages, consistent with each sweep walking all of them; on a larger site a "
        "sweep is capped by the budget, not by the site. Two things may make a real sweep differ: the emulated stack runs "
        f"on a frozen clock (`--now`, {corpus.NOW.date()}) while S3 stamps objects with the real time, and the counted "
        "sweeps ran back to back after one uncounted sweep rather than 15 minutes apart. Publishing itself does not "
        "depend on the sweeps.",
    ]
    issue = 10 * 100 * DAYS
    lines += [
        "",
        f"For scale: issue 13 estimated ~10 paths per story before this work, {issue:,} paths a month at 100 stories a day,",
        f"{_money((issue - 1000) * 0.005)} at $0.005 a path past the free 1,000. Measured now: "
        f"{_n(months[100]['cloudfront_path'])} paths a month at 100 a day ({_money(bills[100][1]['cloudfront_path'])}).",
        "",
        "## Prices and where they were read",
        "",
        f"Read on {READ_ON} from stored copies of the pages (the bench's search corpus). AWS's own pricing pages fill their",
        "tables in the browser, so their stored text carries the rules but often not the figures: where that is so, the",
        "figure is from the second page named, and should be checked against AWS's page before it is relied on.",
        "",
    ]
    for key, price in PRICES.items():
        lines.append(f"- `{key}`: {_price(price)}. {price.source}.")
    lines += ["", "Free, and so not on the bill:", ""]
    lines += [f"- {what}: {source}." for what, source in FREE_ELSEWHERE]
    lines += [
        "",
        "## What this does not measure",
        "",
        "- **Lambda durations are from the emulator**: the handlers ran on this machine's x86 CPU against moto in the same",
        "  process, so each AWS call took microseconds, not the milliseconds of a network round trip; on AWS the functions run",
        "  on arm64 with a CPU share set by their memory. The GB-second line is therefore a proxy. Calls per story are exact.",
        "- **Idle polling**: Lambda's pollers long-poll each SQS queue with an event source mapping (four here) even when",
        "  nothing arrives, and those receives are billed SQS requests; at low traffic Lambda scales them down to as few as",
        "  two (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html). Not counted above: the emulator",
        "  polls on its own schedule, not Lambda's.",
        "- **Lambda's own log lines** (START, END, REPORT per invocation) and CloudWatch metrics and alarms are not counted;",
        "  the log line counts only what the functions wrote.",
        "- **DynamoDB reads are counted as strongly consistent** (an upper bound: eventually consistent reads cost half), and",
        "  an update or delete is charged the size of the item as the day left it.",
        "- **Storage** (S3 and DynamoDB GB-months), **CloudFront requests and data transfer** (which depend on readers, not on",
        "  publishing), rebuilds, images (ProcessImageFunction at 2,048 MB) and KMS are not included.",
        "- **EventBridge**: the price of S3's events on the default bus was not found; $1.00 per million is an upper bound.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    loaded = load_cdn()
    if loaded is None:
        raise SystemExit("no bench/results/*/cdn.json: run `make bench` first")
    mode, data = loaded
    target = DOCS / "cost.md"
    target.write_text(render(mode, data), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
