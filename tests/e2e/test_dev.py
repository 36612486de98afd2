"""`pressrun dev`, driven the way a developer drives it: the real AWS CLI in, a real HTTP fetch out."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE

pytestmark = pytest.mark.e2e

# The AWS CLI pins its own botocore, so `make test` installs it in its own environment.
AWS_CLI = Path(os.environ.get("PRESSRUN_AWS_CLI", ROOT / ".tools" / "awscli" / "bin" / "aws"))
ARTICLE = "/2025/06/25/uk-seeks-trade-ties-with-china-amid-heightened-security-concerns/"
# A developer sees the page within a second or two; shared CI machines get some slack.
LIVE_WITHIN_SECONDS = 5.0


@dataclass
class Dev:
    process: subprocess.Popen[str]
    endpoint: str
    uploads_bucket: str
    site_url: str

    def aws(self, *arguments: str) -> None:
        environment = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "dev",
            "AWS_SECRET_ACCESS_KEY": "dev",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        environment.pop("AWS_ENDPOINT_URL", None)
        subprocess.run(
            [str(AWS_CLI), "--endpoint-url", self.endpoint, *arguments],
            check=True,
            capture_output=True,
            env=environment,
            timeout=60,
        )

    def fetch(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"{self.site_url}{path}", timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def wait_for(self, path: str, status: int, containing: str = "") -> tuple[float, str]:
        """Seconds until `path` answers `status` with a body containing `containing`, and the body."""
        started = time.monotonic()
        while time.monotonic() - started < 30:
            answered, body = self.fetch(path)
            if answered == status and containing in body:
                return time.monotonic() - started, body
            time.sleep(0.05)
        raise AssertionError(f"{path} did not answer {status} with {containing!r} within 30 s")


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[Dev]:
    if not AWS_CLI.is_file():
        pytest.fail(f"the AWS CLI is not at {AWS_CLI}; `make test` installs it")
    command = ["dev", "--site", str(tmp_path / "site"), "--port", "0", "--aws-port", "0"]
    process = subprocess.Popen(
        [sys.executable, "-m", "pressrun.cli", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    banner = ""
    while not banner.rstrip().splitlines()[-1:] or not banner.splitlines()[-1].startswith("site"):
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"pressrun dev stopped before it was ready:\n{banner}")
        banner += line
    endpoint = re.search(r"AWS\s+(http://\S+)", banner)
    bucket = re.search(r"s3://([^/]+)/incoming/", banner)
    site = re.search(r"site\s+(http://\S+?)/\s", banner)
    assert endpoint, banner
    assert bucket, banner
    assert site, banner
    running = Dev(process, endpoint.group(1), bucket.group(1), site.group(1))
    try:
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_an_upload_with_the_aws_cli_is_live_on_the_local_site_within_seconds(dev: Dev, tmp_path: Path):
    dev.aws("s3", "cp", str(SAMPLE), f"s3://{dev.uploads_bucket}/incoming/{SAMPLE.name}")

    seconds, page = dev.wait_for(ARTICLE, 200)

    assert seconds < LIVE_WITHIN_SECONDS
    assert "<title>UK Seeks Trade Ties with China Amid Heightened Security Concerns" in page
    assert dev.wait_for("/", 200, containing=ARTICLE)[0] < LIVE_WITHIN_SECONDS
    assert dev.fetch(f"{ARTICLE}index.html") == (200, page)


def test_removing_the_upload_takes_the_page_down_and_stopping_keeps_the_site(dev: Dev, tmp_path: Path):
    dev.aws("s3", "cp", str(SAMPLE), f"s3://{dev.uploads_bucket}/incoming/{SAMPLE.name}")
    dev.wait_for(ARTICLE, 200)

    dev.aws("s3", "rm", f"s3://{dev.uploads_bucket}/incoming/{SAMPLE.name}")

    seconds, page = dev.wait_for(ARTICLE, 404)
    assert seconds < LIVE_WITHIN_SECONDS
    assert "404" in page or "not found" in page.lower()
    dev.process.send_signal(signal.SIGINT)
    assert dev.process.wait(timeout=60) == 0
    assert (tmp_path / "site" / "index.html").is_file()
    assert not (tmp_path / "site" / ARTICLE.strip("/") / "index.html").exists()
