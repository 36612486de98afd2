"""Smoke test of a deployed stack: publish one sample article through the real pipeline, check the site
around it, then remove it; or, with --read-only, check the site as it is without publishing anything.

    python infra/smoke_test.py --bucket BUCKET --site-url URL --failure-queues URLS samples/a-story.md
    python infra/smoke_test.py --read-only --site-url URL --failure-queues URLS

It uploads a copy of the sample to incoming/ under a unique name, with a unique `slug:` added to its front
matter and its date set to now, so that the published address is known in advance
(/<yyyy>/<mm>/<dd>/<slug>/, dated on the site's clock) and the story is the newest on the site. It polls
that address until it answers 200 with the article's title in the page; then polls the home page, the
page of the sample's first category and the feed until each lists the article; checks the headers of
each (no S3 internals such as x-amz-meta-*, a Cache-Control, the security headers) and that the
address without its trailing slash redirects to it. Then it deletes the upload (a delete marker: the
pipeline unpublishes it) and polls until the page is gone. The upload is deleted whatever happens, also
on a time-out, Ctrl-C or SIGTERM. Every wait is bounded.

--read-only (for production, where a test story must not appear): the home page, the feed, the sitemap
and a category page linked from the home page answer 200 with the right headers, the category page's
address without its slash redirects, and a missing page answers 404.

Either way, last, every queue named by --failure-queues (the stack's FailureQueueUrls output: the
dead-letter queues and the stream failure queue) must be empty.

Needs only the standard library and boto3, and AWS credentials allowed to put and delete objects under
incoming/ (and, for a clearer failure, to read rejected/) in the uploads bucket, and to read the
failure queues' attributes (sqs:GetQueueAttributes).

Exit codes:
    0  the article was published, served and removed (or, read-only, the site is as it should be)
    1  the article was not served in time, or the pipeline rejected it (its report is printed)
    2  usage error: bad arguments, or a sample the smoke test cannot use
    3  the article was served, but still served after its upload was deleted
    4  an AWS call failed (credentials, permissions, bucket name)
    5  the site around the article is wrong: a listing or the feed never showed it, S3's internal
       headers reached the reader, a security header or Cache-Control was missing, or an address
       without its trailing slash did not redirect
    6  a dead-letter queue or the stream failure queue holds messages
  130  interrupted (the upload is still deleted)
"""

from __future__ import annotations

import argparse
import functools
import html
import http.client
import os
import re
import secrets
import signal
import sys
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import boto3
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

EXIT_OK = 0
EXIT_NOT_SERVED = 1
EXIT_USAGE = 2
EXIT_STILL_SERVED = 3
EXIT_AWS = 4
EXIT_SITE = 5
EXIT_FAILED_WORK = 6
EXIT_INTERRUPTED = 130

INCOMING = "incoming/"
REJECTED = "rejected/"
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG_LENGTH = 80
REQUEST_TIMEOUT_SECONDS = 10.0
MAX_PAGE_BYTES = 5 * 1024 * 1024
_FENCE = "---"
_MISSING_CODES = {"404", "NoSuchKey"}
_DENIED_CODES = {"403", "AccessDenied"}
# What S3 says about its objects, which the distribution's response headers policy removes
# (x-amz-cf-* are CloudFront's own and stay).
INTERNAL_HEADERS = frozenset(
    {
        "x-amz-version-id",
        "x-amz-server-side-encryption",
        "x-amz-server-side-encryption-bucket-key-enabled",
        "x-amz-storage-class",
        "x-amz-expiration",
        "x-amz-id-2",
        "x-amz-request-id",
    }
)
INTERNAL_HEADER_PREFIX = "x-amz-meta-"
SECURITY_HEADERS = (
    "strict-transport-security",
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
)


class SmokeTestError(Exception):
    """A problem with the arguments or the sample: exit code 2."""


class Interrupted(BaseException):
    """SIGTERM (a cancelled CI job): unwinds like Ctrl-C so the upload is still deleted."""


@dataclass(frozen=True)
class Sample:
    text: str
    title: str
    day: date
    category: str  # the slug of its first category


@dataclass(frozen=True)
class Response:
    status: int  # 0 when nothing answered
    headers: dict[str, str]  # names lower-cased
    body: str  # or, when nothing answered, why


# --- The sample ------------------------------------------------------------------------------------


def _scalar(value: str) -> str:
    """A one-line YAML scalar as the front matter writes it: bare, or in single or double quotes."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        quote, value = value[0], value[1:-1]
        return value.replace("''", "'") if quote == "'" else value.replace('\\"', '"')
    return value.split(" #", 1)[0].strip()


def _front_matter(text: str) -> tuple[list[str], int]:
    """The front matter's lines, and the index of its closing fence in text.splitlines()."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != _FENCE:
        raise SmokeTestError("the sample must start with YAML front matter (a '---' line)")
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == _FENCE:
            return lines[1:index], index
    raise SmokeTestError("the sample's front matter has no closing '---' line")


def _fields(front_matter: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in front_matter:
        match = re.match(r"^([A-Za-z_]+)\s*:\s*(.*)$", line)
        if match:
            fields[match.group(1).lower()] = _scalar(match.group(2))
    return fields


def published_day(value: str, zone: ZoneInfo, now: datetime) -> date:
    """The day in the article's URL: its date on the site's clock (a bare date is midnight there)."""
    try:
        moment = datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=zone)
    except ValueError:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise SmokeTestError(
                f"the sample's date {value!r} is not an ISO date or time; the smoke test needs one"
                " to know the article's address"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
    if moment > now:
        raise SmokeTestError(f"the sample is dated {value}, in the future: it would be scheduled, not live")
    return moment.astimezone(zone).date()


def read_sample(path: Path, zone: ZoneInfo, now: datetime) -> Sample:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise SmokeTestError(f"cannot read the sample {path}: {error}") from None
    fields = _fields(_front_matter(text)[0])
    title = " ".join(fields.get("title", "").split())
    if not title:
        raise SmokeTestError("the sample has no title in its front matter")
    if fields.get("draft", "").lower() in {"true", "yes"} or fields.get("status", "").lower() == "draft":
        raise SmokeTestError("the sample is a draft: it would never be published")
    if "date" not in fields:
        raise SmokeTestError("the sample has no date in its front matter")
    published_day(fields["date"], zone, now)
    categories = _list(fields.get("categories", fields.get("category", "")))
    if not categories or not category_slug(categories[0]):
        raise SmokeTestError("the sample has no category in its front matter")
    # Dated now, whatever the sample says: the story is then the newest, so the home page, its
    # category's page and the feed must list it.
    return Sample(
        text=with_field(text, "date", now.isoformat(timespec="seconds")),
        title=title,
        day=now.astimezone(zone).date(),
        category=category_slug(categories[0]),
    )


def _list(value: str) -> list[str]:
    """A one-line YAML list (`[Economics, World]`) or a comma-separated value, as its items."""
    inner = value.strip().removeprefix("[").removesuffix("]")
    return [item for item in (_scalar(part) for part in inner.split(",")) if item]


def category_slug(name: str) -> str:
    """The category's address segment, made as pressrun makes it (pressrun.model.slugify)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def with_field(text: str, name: str, value: str) -> str:
    """The sample with its front matter's field (if any) replaced by this value."""
    _, closing = _front_matter(text)
    lines = text.splitlines()
    pattern = re.compile(rf"^{re.escape(name)}\s*:", re.IGNORECASE)
    head = [line for line in lines[1:closing] if not pattern.match(line)]
    return "\n".join([lines[0], *head, f"{name}: {value}", *lines[closing:]]) + "\n"


def with_slug(text: str, slug: str) -> str:
    """The sample with its front matter's slug (if any) replaced by this one."""
    return with_field(text, "slug", slug)


def unique_slug() -> str:
    """smoke-<run id>-<attempt>-<random> in GitHub Actions, smoke-<UTC time>-<random> elsewhere."""
    run_id = os.environ.get("GITHUB_RUN_ID", "")
    attempt = os.environ.get("GITHUB_RUN_ATTEMPT", "1")
    stamp = f"{run_id}-{attempt}" if run_id else datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    slug = re.sub(r"[^a-z0-9]+", "-", f"smoke-{stamp}-{secrets.token_hex(4)}".lower()).strip("-")
    if not SLUG_PATTERN.match(slug) or len(slug) > MAX_SLUG_LENGTH:
        raise SmokeTestError(f"could not make a valid slug (got {slug!r})")
    return slug


def article_path(slug: str, day: date) -> str:
    return f"/{day:%Y/%m/%d}/{slug}/"


def check_site_url(value: str) -> str:
    parsed = urllib.parse.urlsplit(value.strip())
    if parsed.scheme not in {"https", "http"} or not parsed.netloc:
        raise SmokeTestError(
            f"--site-url must be an http(s) URL (https://d123.cloudfront.net), not {value!r}"
        )
    return value.strip().rstrip("/")


# --- Output ----------------------------------------------------------------------------------------


def note(message: str) -> None:
    print(f"smoke test: {message}", flush=True)


def fail(message: str, code: int) -> int:
    if os.environ.get("GITHUB_ACTIONS") == "true":
        # An annotation on the run; workflow commands need %, CR and LF escaped.
        escaped = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        print(f"::error title=Smoke test::{escaped}", file=sys.stderr, flush=True)
    else:
        print(f"smoke test: error: {message}", file=sys.stderr, flush=True)
    return code


# --- The site and the bucket -----------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the 3xx then surfaces as an HTTPError, with its headers


def get(url: str, *, follow_redirects: bool = True) -> Response:
    """A GET, redirects followed unless told otherwise; an error status is an answer too."""
    if urllib.parse.urlsplit(url).scheme not in {"https", "http"}:
        raise SmokeTestError(f"refusing to fetch {url!r}")
    request = urllib.request.Request(url, headers={"User-Agent": "pressrun-smoke-test"})  # noqa: S310 (checked above)
    opener = urllib.request.build_opener() if follow_redirects else urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
            status = int(response.status)
            headers = {name.lower(): value for name, value in response.headers.items()}
            body = bytes(response.read(MAX_PAGE_BYTES))
    except urllib.error.HTTPError as error:
        return Response(error.code, {name.lower(): value for name, value in error.headers.items()}, "")
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        return Response(0, {}, str(error))
    return Response(status, headers, body.decode("utf-8", errors="replace"))


def fetch(url: str) -> tuple[int, str]:
    """(status, body) of a GET; status 0 when nothing answered."""
    response = get(url)
    return response.status, response.body


def header_problems(url: str, headers: dict[str, str]) -> list[str]:
    """What is wrong with the headers a reader gets: S3's internals, or a missing header."""
    leaked = sorted(
        name for name in headers if name in INTERNAL_HEADERS or name.startswith(INTERNAL_HEADER_PREFIX)
    )
    missing = [name for name in ("cache-control", *SECURITY_HEADERS) if name not in headers]
    return [f"{url}: S3's {name} header reached the reader" for name in leaked] + [
        f"{url}: no {name} header" for name in missing
    ]


def redirect_problems(url: str) -> list[str]:
    """An address without its trailing slash must be sent (301) to the one with it."""
    response = get(url.rstrip("/"), follow_redirects=False)
    location = response.headers.get("location", "")
    target = urllib.parse.urljoin(url, location) if location else ""
    if response.status != 301 or target.split("?")[0] != url:
        return [f"{url.rstrip('/')}: HTTP {response.status} to {target or 'nowhere'}, not a 301 to {url}"]
    return []


def page_problems(url: str, status: int = 200) -> list[str]:
    """The page answers with this status and, when it is 200, the headers a reader should get."""
    response = get(url)
    if response.status != status:
        return [f"{url}: HTTP {response.status or 'no answer'}, not {status}"]
    return header_problems(url, response.headers) if status == 200 else []


def lists(url: str, path: str) -> bool:
    """Whether the listing (a page or a feed) at url links to the article at path."""
    response = get(url)
    return response.status == 200 and path in response.body


def failure_queue_problems(sqs: SQSClient, urls: list[str]) -> list[str]:
    """Messages waiting in any of the stack's dead-letter queues or its stream failure queue."""
    problems = []
    for url in urls:
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        waiting = sum(int(value) for value in attributes.values())
        if waiting:
            problems.append(f"{url} holds {waiting} message(s): see docs/operations.md, then redrive")
    return problems


def serves_article(url: str, title: str) -> tuple[bool, str]:
    """Whether the URL answers 200 with the title in the page, and what it did answer."""
    status, body = fetch(url)
    if status == 0:
        return False, f"no answer ({body})"
    if status != 200:
        return False, f"HTTP {status}"
    if title not in " ".join(html.unescape(body).split()):
        return False, "HTTP 200, but the title is not in the page"
    return True, "HTTP 200 with the title"


def wait_for(check: Callable[[], bool], timeout: float, interval: float) -> bool:
    """Call check every interval seconds until it is true or timeout seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(interval, remaining))


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class Upload:
    """The smoke test's one upload, and the rejection report the pipeline may write beside it."""

    def __init__(self, s3: S3Client, bucket: str, name: str) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.key = INCOMING + name
        self.report_key = f"{REJECTED}{name}.report.json"
        self._can_read_reports = True

    def put(self, body: bytes) -> None:
        self.s3.put_object(
            Bucket=self.bucket, Key=self.key, Body=body, ContentType="text/markdown; charset=utf-8"
        )

    def rejection_report(self) -> str | None:
        """The pipeline's report if it rejected the upload; None while there is none (or it is unreadable)."""
        if not self._can_read_reports:
            return None
        try:
            response = self.s3.get_object(Bucket=self.bucket, Key=self.report_key)
        except ClientError as error:
            if _error_code(error) in _DENIED_CODES:
                self._can_read_reports = False
                note(f"cannot read {self.report_key} (access denied); a rejection will show as a time-out")
            elif _error_code(error) not in _MISSING_CODES:
                note(f"could not look for a rejection report: {error}")
            return None
        except BotoCoreError as error:
            note(f"could not look for a rejection report: {error}")
            return None
        return response["Body"].read().decode("utf-8", errors="replace")

    def delete(self) -> bool:
        """Delete the upload (a delete marker: the pipeline unpublishes it) and any rejection report."""
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=self.key)
        except (BotoCoreError, ClientError) as error:
            fail(f"could not delete s3://{self.bucket}/{self.key}: {error}; delete it by hand", EXIT_AWS)
            return False
        note(f"deleted s3://{self.bucket}/{self.key}")
        try:
            self.s3.head_object(Bucket=self.bucket, Key=self.report_key)
        except (BotoCoreError, ClientError):
            return True  # no report (the usual case), or not ours to read: nothing to tidy
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=self.report_key)
        except (BotoCoreError, ClientError) as error:
            note(f"could not delete the report {self.report_key}: {error}")
        return True


# --- The test --------------------------------------------------------------------------------------


class Rejected(Exception):
    """The pipeline refused the upload and wrote a report beside it."""

    def __init__(self, report: str) -> None:
        super().__init__(report)
        self.report = report


def wait_until_published(upload: Upload, url: str, title: str, timeout: float, interval: float) -> bool:
    started = time.monotonic()

    def published() -> bool:
        report = upload.rejection_report()
        if report is not None:
            raise Rejected(report)
        served, answer = serves_article(url, title)
        note(f"{time.monotonic() - started:5.0f}s  {url}: {answer}")
        return served

    return wait_for(published, timeout, interval)


def wait_until_removed(url: str, title: str, timeout: float, interval: float) -> bool:
    started = time.monotonic()

    def removed() -> bool:
        served, answer = serves_article(url, title)
        note(f"{time.monotonic() - started:5.0f}s  {url}: {answer}")
        return not served

    return wait_for(removed, timeout, interval)


def problems_around(
    article: str, sample: Sample, site_url: str, timeout: float, interval: float
) -> list[str]:
    """The newest story must reach the home page, its category's page and the feed (within timeout
    seconds: listings are cached for ListingFreshnessSeconds); each page must carry the headers a
    reader should get; the article's address without its slash must redirect to it."""
    path = urllib.parse.urlsplit(article).path
    listings = {
        "home page": f"{site_url}/",
        "category page": f"{site_url}/category/{sample.category}/",
        "feed": f"{site_url}/feed.xml",
    }
    deadline = time.monotonic() + timeout
    problems = []
    for name, listing in listings.items():
        remaining = max(deadline - time.monotonic(), interval)
        if wait_for(functools.partial(lists, listing, path), remaining, interval):
            note(f"the {name} lists the article")
        else:
            problems.append(f"the {name} {listing} did not list {path} within {timeout:g}s")
    for page in [article, *listings.values()]:
        problems += page_problems(page)
    return problems + redirect_problems(article)


def problems_read_only(site_url: str) -> list[str]:
    """The site as readers find it, without publishing: pages, headers, a redirect, the 404 page."""
    problems = []
    for path in ("/", "/feed.xml", "/sitemap.xml"):
        problems += page_problems(site_url + path)
    linked = re.findall(
        rf'href="(?:{re.escape(site_url)})?(/category/[a-z0-9-]+/)"', get(f"{site_url}/").body
    )
    if linked:
        category = site_url + linked[0]
        problems += page_problems(category) + redirect_problems(category)
    else:
        problems.append(f"{site_url}/ links to no category page")
    return problems + page_problems(f"{site_url}/smoke-test-{secrets.token_hex(4)}/", status=404)


def finish(problems: list[str], failure_queues: str) -> int:
    """Report what was wrong with the site, then check that nothing was set aside."""
    for problem in problems:
        fail(problem, EXIT_SITE)
    urls = [url.strip() for url in failure_queues.split(",") if url.strip()]
    if not urls:
        note("no --failure-queues given: the dead-letter queues were not checked")
    try:
        waiting = failure_queue_problems(boto3.client("sqs"), urls) if urls else []
    except (BotoCoreError, ClientError) as error:
        return fail(f"could not read the failure queues: {error}", EXIT_AWS)
    for problem in waiting:
        fail(problem, EXIT_FAILED_WORK)
    if problems:
        return EXIT_SITE
    if waiting:
        return EXIT_FAILED_WORK
    note(f"{len(urls)} failure queue(s) empty" if urls else "done")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    try:
        zone = ZoneInfo(args.site_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return fail(f"unknown time zone {args.site_timezone!r}", EXIT_USAGE)
    try:
        site_url = check_site_url(args.site_url)
        if args.read_only:
            note(f"checking {site_url} without publishing")
            return finish(problems_read_only(site_url), args.failure_queues)
        if args.sample is None:
            raise SmokeTestError("name a sample to publish, or check the site --read-only")
        sample = read_sample(args.sample, zone, datetime.now(UTC))
        slug = unique_slug()
    except SmokeTestError as error:
        return fail(str(error), EXIT_USAGE)
    if not args.bucket:
        return fail("--bucket is empty (is the stack's UploadsBucketName output missing?)", EXIT_USAGE)

    upload = Upload(boto3.client("s3"), args.bucket, f"{slug}.md")
    url = site_url + article_path(slug, sample.day)
    note(f"uploading {args.sample} as s3://{upload.bucket}/{upload.key}")
    note(f"expecting {url} to serve {sample.title!r} within {args.timeout:g}s")
    try:
        upload.put(with_slug(sample.text, slug).encode("utf-8"))
    except (BotoCoreError, ClientError) as error:
        return fail(f"could not upload to s3://{upload.bucket}/{upload.key}: {error}", EXIT_AWS)
    except BaseException:
        upload.delete()  # interrupted mid-upload: the object may exist
        raise

    try:
        published = wait_until_published(upload, url, sample.title, args.timeout, args.interval)
        problems = problems_around(url, sample, site_url, args.timeout, args.interval) if published else []
    except Rejected as rejected:
        upload.delete()
        print(rejected.report, file=sys.stderr)
        return fail(
            f"the pipeline rejected the sample; its report {upload.report_key} is above", EXIT_NOT_SERVED
        )
    except BaseException:
        upload.delete()  # a time-out of the job, Ctrl-C, SIGTERM, a bug: never leave the article behind
        raise
    deleted = upload.delete()
    if not published:
        return fail(f"{url} did not serve the article within {args.timeout:g}s", EXIT_NOT_SERVED)
    note(f"published: {url}")
    if not deleted:
        return EXIT_AWS
    if not args.no_verify_removal:
        if not wait_until_removed(url, sample.title, args.removal_timeout, args.interval):
            return fail(
                f"{url} still served the article {args.removal_timeout:g}s after its upload was deleted",
                EXIT_STILL_SERVED,
            )
        note("removed: the page is gone")
    return finish(problems, args.failure_queues)


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0 < number <= 3600:
        raise argparse.ArgumentTypeError(f"{value!r} is not between 0 and 3600 seconds")
    return number


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        description="Publish a sample article through a deployed stack, check it and the site around it are"
        " served as they should be, remove it; or check the site --read-only.",
        epilog="Exit codes: 0 ok, 1 not served in time or rejected, 2 usage, 3 still served after removal,"
        " 4 AWS call failed, 5 the site around it is wrong, 6 a failure queue holds messages,"
        " 130 interrupted.",
    )
    cli.add_argument(
        "sample", type=Path, nargs="?", help="a Markdown article with YAML front matter, e.g. samples/*.md"
    )
    cli.add_argument("--bucket", default="", help="the stack's UploadsBucketName output")
    cli.add_argument(
        "--site-url", required=True, help="the stack's SiteUrl output, e.g. https://d123.cloudfront.net"
    )
    cli.add_argument(
        "--read-only",
        action="store_true",
        help="publish nothing: check the home page, feed, sitemap, a category page and the 404 page",
    )
    cli.add_argument(
        "--failure-queues",
        default="",
        help="the stack's FailureQueueUrls output (comma-separated): each must be empty at the end",
    )
    cli.add_argument(
        "--site-timezone",
        default="Europe/London",
        help="the stack's SiteTimezone parameter, which dates URLs (default: %(default)s)",
    )
    cli.add_argument(
        "--timeout", type=_positive, default=300.0, help="seconds to wait for the page (default: %(default)g)"
    )
    cli.add_argument(
        "--removal-timeout",
        type=_positive,
        default=300.0,
        help="seconds to wait for the page to go after the upload is deleted (default: %(default)g)",
    )
    cli.add_argument(
        "--interval", type=_positive, default=10.0, help="seconds between polls (default: %(default)g)"
    )
    cli.add_argument(
        "--no-verify-removal",
        action="store_true",
        help="delete the upload, but do not wait for the page to go",
    )
    return cli


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Interrupted


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)  # exits 2 on a usage error
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return run(args)
    except (KeyboardInterrupt, Interrupted):
        return fail("interrupted (the upload's deletion is reported above)", EXIT_INTERRUPTED)


if __name__ == "__main__":
    sys.exit(main())
