"""`pressrun dev`, driven the way a developer drives it: the real AWS CLI in, a real HTTP fetch out."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from pressrun.local.redirects import redirect_of
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

    def stop(self) -> str:
        """Ctrl-C, as a developer stops it; what it printed."""
        self.process.send_signal(signal.SIGINT)
        output, _ = self.process.communicate(timeout=120)
        assert self.process.returncode == 0, output
        return output

    def fetch(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"{self.site_url}{path}", timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def answer_unfollowed(self, path: str) -> tuple[int, str | None]:
        """The status and Location a path answers with, redirects not followed."""
        connection = http.client.HTTPConnection(urllib.parse.urlsplit(self.site_url).netloc, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.getheader("Location")
        finally:
            connection.close()

    def wait_for(self, path: str, status: int, containing: str = "") -> tuple[float, str]:
        """Seconds until `path` answers `status` with a body containing `containing`, and the body."""
        started = time.monotonic()
        while time.monotonic() - started < 30:
            answered, body = self.fetch(path)
            if answered == status and containing in body:
                return time.monotonic() - started, body
            time.sleep(0.05)
        raise AssertionError(f"{path} did not answer {status} with {containing!r} within 30 s")


@contextlib.contextmanager
def running_dev(site_dir: Path) -> Iterator[Dev]:
    """`pressrun dev --site site_dir` on free ports, until the block ends (the caller may stop it)."""
    if not AWS_CLI.is_file():
        pytest.fail(f"the AWS CLI is not at {AWS_CLI}; `make test` installs it")
    command = ["dev", "--site", str(site_dir), "--port", "0", "--aws-port", "0"]
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


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[Dev]:
    with running_dev(tmp_path / "site") as running:
        yield running


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


STORY = "/2025/06/26/letter-from-the-editor/"


def editor_story(
    title: str = "Letter from the editor", day: int = 26, body: str = "Dear readers.", slug: str = ""
) -> bytes:
    # The sample's section: a story in a new one would change every page's header (a rebuild).
    named = f"slug: {slug}\n" if slug else ""
    return f"---\ntitle: {title}\ndate: 2025-06-{day}\ncategories: [Economics]\n{named}---\n{body}\n".encode()


def pressrun(*arguments: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pressrun.cli", *map(str, arguments)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def publish(site_dir: Path, *paths: Path) -> dict[str, object]:
    ran = pressrun("publish", "--site", site_dir, "--json", *paths)
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout)  # type: ignore[no-any-return]


def test_a_story_published_with_publish_is_live_in_dev_and_both_are_there_for_the_next_publish(
    tmp_path: Path,
):
    site_dir, letter, later = tmp_path / "site", tmp_path / "letter.md", tmp_path / "later.md"
    letter.write_bytes(editor_story())
    later.write_bytes(editor_story("Another letter", day=27))
    publish(site_dir, SAMPLE)

    with running_dev(site_dir) as dev:
        assert dev.fetch(ARTICLE)[0] == 200
        dev.aws("s3", "cp", str(letter), f"s3://{dev.uploads_bucket}/incoming/letter.md")
        dev.wait_for(STORY, 200)
        dev.stop()
    again = publish(site_dir, later)
    home = (site_dir / "index.html").read_text()
    unpublished = pressrun("unpublish", "--site", site_dir, "letter.md")

    assert again["failed"] == again["rejected"] == []
    assert [ARTICLE in home, STORY in home, "/2025/06/27/another-letter/" in home] == [True, True, True]
    # The story dev published is publish's to remove, by the name it was uploaded under.
    assert unpublished.returncode == 0, unpublished.stderr
    assert not (site_dir / STORY.strip("/") / "index.html").exists()
    assert ARTICLE in (site_dir / "index.html").read_text()


def test_a_story_uploaded_in_dev_is_there_for_publish_and_both_are_live_in_the_next_dev(tmp_path: Path):
    site_dir, letter = tmp_path / "site", tmp_path / "letter.md"
    letter.write_bytes(editor_story())
    with running_dev(site_dir) as dev:
        dev.aws("s3", "cp", str(SAMPLE), f"s3://{dev.uploads_bucket}/incoming/{SAMPLE.name}")
        dev.wait_for(ARTICLE, 200)
        dev.stop()

    published = publish(site_dir, letter, SAMPLE)
    with running_dev(site_dir) as dev:
        home = dev.wait_for("/", 200)[1]
        served = [dev.fetch(ARTICLE)[0], dev.fetch(STORY)[0]]
        # Re-uploaded in dev, the story published by publish changes: its upload's history carried over.
        dev.aws("s3", "cp", str(letter), f"s3://{dev.uploads_bucket}/incoming/letter.md")
        edited = tmp_path / "edited.md"
        edited.write_bytes(editor_story(body="Dear readers, revised."))
        dev.aws("s3", "cp", str(edited), f"s3://{dev.uploads_bucket}/incoming/letter.md")
        dev.wait_for(STORY, 200, containing="revised")
        dev.stop()

    # The sample's bytes did not change: publish knew it from dev's upload and wrote nothing for it.
    assert [p["source"] for p in published["published"]] == [str(letter), str(SAMPLE)]
    assert published["invalidated"] == []
    assert served == [200, 200]
    assert ARTICLE in home
    assert STORY in home
    assert "revised" in (site_dir / STORY.strip("/") / "index.html").read_text()


def test_redirects_made_by_publish_are_answered_in_dev_and_those_made_in_dev_are_kept(tmp_path: Path):
    site_dir, letter = tmp_path / "site", tmp_path / "letter.md"
    # GIVEN a story publish moved once (its first address redirects)
    letter.write_bytes(editor_story(slug="first-letter"))
    publish(site_dir, letter)
    letter.write_bytes(editor_story(slug="second-letter"))
    publish(site_dir, letter)

    # WHEN dev serves the folder, and the story moves again there
    with running_dev(site_dir) as dev:
        answered = dev.answer_unfollowed("/2025/06/26/first-letter/")
        letter.write_bytes(editor_story(slug="third-letter"))
        dev.aws("s3", "cp", str(letter), f"s3://{dev.uploads_bucket}/incoming/letter.md")
        dev.wait_for("/2025/06/26/third-letter/", 200)
        dev.stop()

    # THEN dev answered publish's redirect, and the folder keeps dev's: every old address, one hop
    assert answered[0] == 301
    assert (answered[1] or "").endswith("/2025/06/26/second-letter/")
    assert redirect_of(site_dir, "/2025/06/26/first-letter/") == "/2025/06/26/third-letter/"
    assert redirect_of(site_dir, "/2025/06/26/second-letter/") == "/2025/06/26/third-letter/"


def test_site_keys_outside_the_folder_put_by_any_client_are_refused_never_written(tmp_path: Path):
    site_dir = tmp_path / "deep" / "site"
    with running_dev(site_dir) as dev:
        s3 = boto3.client(
            "s3",
            endpoint_url=dev.endpoint,
            region_name="us-east-1",
            aws_access_key_id="dev",
            aws_secret_access_key="dev",
        )
        (site_bucket,) = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"] != dev.uploads_bucket]
        for key in ("../escaped.html", "../../deep-escaped.html", "/tmp/absolute.html", ".pressrun/state.db"):
            s3.put_object(Bucket=site_bucket, Key=key, Body=b"<p>not pressrun's</p>")
        s3.put_object(Bucket=site_bucket, Key="kept/inside.html", Body=b"<p>inside</p>")
        output = dev.stop()

    assert not (tmp_path / "deep" / "escaped.html").exists()
    assert not (tmp_path / "deep-escaped.html").exists()
    assert not Path("/tmp/absolute.html").exists()
    assert (site_dir / ".pressrun" / "state.db").read_bytes().startswith(b"SQLite format 3")
    assert (site_dir / "kept" / "inside.html").read_bytes() == b"<p>inside</p>"
    for key in ("../escaped.html", "../../deep-escaped.html", "/tmp/absolute.html", ".pressrun/state.db"):
        assert f"not written: {key}" in output


def test_a_folder_an_earlier_pressrun_dev_kept_in_its_own_format_is_refused_as_publish_refuses_it(
    tmp_path: Path,
):
    earlier = tmp_path / "site" / ".pressrun"
    earlier.mkdir(parents=True)
    (earlier / "state.json").write_text('{"format": 3}')

    ran = pressrun("dev", "--site", tmp_path / "site", "--port", "0", "--aws-port", "0")

    assert ran.returncode == 2
    assert "earlier pressrun" in ran.stderr
