"""`pressrun dev`: the stack of template.yaml on a moto server, live, for the AWS CLI and a browser.

The moto server answers on localhost like AWS would, so `aws --endpoint-url ... s3 cp` uploads into
the uploads bucket; the event pump delivers every few hundred milliseconds; the site is served
straight from the site bucket, the way CloudFront serves it (the site's redirects first, read from
RedirectsTable; `/x/` is `/x/index.html`, a missing page is the 404 page), so a page is live as soon
as the pipeline has written it.

Other processes reach moto's server through a small proxy, the advertised endpoint, which tells the
stack what S3 answered them (`s3_events`) and which items they wrote (`item_writes`); this process's
clients talk to moto directly. Until the
folder is loaded the proxy answers 503, so that nothing reaches the buckets unannounced.

The site folder is the one `pressrun publish` keeps: dev starts from it and, on Ctrl-C, leaves what it
did there (`site.LocalSite`, `folder_state`). It holds the folder's lock meanwhile, so a publish into
the same folder waits for it.
"""

from __future__ import annotations

import http.client
import http.server
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from pressrun.aws.redirects import DynamoRedirects
from pressrun.emulator.item_writes import ItemWrites
from pressrun.emulator.s3_events import Answer, ChangeLog, changes_on_the_wire
from pressrun.emulator.site import LocalSite
from pressrun.local.serve import redirect_key
from pressrun.urls import NOT_FOUND, object_key, refused_preview

# How often the pump looks for work: a page is live within about this, plus the pipeline's own time.
POLL_SECONDS = 0.2
# How often the pump looks in on SearchIndexFunction, which keeps its own interval
# (SEARCH_INDEX_INTERVAL_MINUTES): a look when nothing changed is one query.
SEARCH_POLL_SECONDS = 30


class PortTaken(Exception):
    pass


@dataclass
class DevStack:
    site_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    aws_port: int = 5000
    parameters: dict[str, str] = field(default_factory=dict)
    # Site keys that were not written into the folder at the end, since no file inside it can hold them.
    refused: list[str] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)

    def run(self, ready: Callable[[str, str, str], None]) -> None:
        """Serve until `stop`; `ready` hears the AWS endpoint, the uploads bucket and the site's URL.
        A port that is taken raises PortTaken before anything starts."""
        changes, writes = ChangeLog(), ItemWrites()
        try:
            web = _SiteServer((self.host, self.port), _SiteHandler)
            proxy = _AwsProxy((self.host, self.aws_port), _ProxyHandler)
        except OSError as error:
            raise PortTaken(f"{error.strerror} (ports {self.port} and {self.aws_port})") from error
        # The moto server's request log would drown the terminal: the pump polls several times a second.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        moto = ThreadedMotoServer(ip_address=self.host, port=0, verbose=False)
        moto.start()
        proxy.upstream, proxy.changes, proxy.writes = moto.get_host_and_port(), changes, writes
        threading.Thread(target=web.serve_forever, daemon=True).start()
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        site_url = "http://{}:{}".format(*web.server_address[:2])
        endpoint = "http://{}:{}".format(*proxy.server_address[:2])
        try:
            with LocalSite(
                self.site_dir,
                parameters=self.parameters,
                endpoint_url="http://{}:{}".format(*moto.get_host_and_port()),
                changes=changes,
                writes=writes,
            ) as local:
                proxy.is_open = True
                # The web server's own client: boto3 clients are not to be shared across threads.
                session = boto3.session.Session()
                web.reader = _BucketReader(
                    session.client("s3"),
                    local.site_bucket,
                    DynamoRedirects(session.client("dynamodb"), local.stack.physical("RedirectsTable"), None),
                )
                ready(endpoint, local.uploads_bucket, site_url)
                search_due = 0.0
                while not self._stopping.is_set():
                    local.drain()
                    if time.monotonic() >= search_due:
                        local.search()
                        search_due = time.monotonic() + SEARCH_POLL_SECONDS
                    self._stopping.wait(POLL_SECONDS)
                # Whatever arrived since the last round is followed before the site is kept.
                local.drain()
            self.refused = local.refused
        finally:
            for server in (web, proxy):
                server.shutdown()
                server.server_close()
            moto.stop()

    def stop(self) -> None:
        self._stopping.set()


@dataclass
class _BucketReader:
    client: Any
    bucket: str
    # The site's redirects, from the table: moto serves no KeyValueStore for the CDN's copy.
    redirects: DynamoRedirects

    def get(self, key: str) -> tuple[bytes, str] | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return None
            raise
        return response["Body"].read(), response.get("ContentType", "application/octet-stream")


class _AwsProxy(http.server.ThreadingHTTPServer):
    upstream: tuple[str, int]
    changes: ChangeLog
    writes: ItemWrites
    is_open = False


# Hop-by-hop headers (RFC 9110): about one connection, never passed on.
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
}


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    """Passes each request on to moto's server, as it came, and its answer back, as it went."""

    server: _AwsProxy
    # Keep-alive and `Expect: 100-continue`, which the AWS CLI sends with every upload.
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._pass_on()

    do_HEAD = do_PUT = do_POST = do_DELETE = do_GET  # noqa: N815 - http.server's names

    def _pass_on(self) -> None:
        body = self._body()
        if not self.server.is_open:
            self._answer(
                503, "Service Unavailable", [("Retry-After", "1")], b"pressrun dev is loading the site\n"
            )
            return
        sent = {name.lower(): value for name, value in self.headers.items()}
        target = sent.get("x-amz-target", "")
        if target.startswith("DynamoDB_"):
            self.server.writes.saw(target.rpartition(".")[2], json.loads(body or b"{}"))
        headers = {name: value for name, value in self.headers.items() if name.lower() not in _HOP_BY_HOP}
        headers.pop("Expect", None)
        headers["Content-Length"] = str(len(body))
        upstream = http.client.HTTPConnection(*self.server.upstream, timeout=300)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            answer = Answer(
                response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
            )
            answered = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
        finally:
            upstream.close()
        changes_on_the_wire(
            self.server.changes, self.command, self.path, self.headers.get("Host", ""), sent, answer
        )
        self._answer(answer.status, response.reason, answered, answer.body)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _answer(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status, reason)
        for name, value in headers:
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal is for the stack's own messages."""


class _SiteServer(http.server.ThreadingHTTPServer):
    reader: _BucketReader | None = None


class _SiteHandler(http.server.BaseHTTPRequestHandler):
    server: _SiteServer

    def do_GET(self) -> None:
        reader = self.server.reader
        if reader is None:
            self.send_error(503, "the stack is starting")
            return
        raw_path, _, query = self.path.partition("?")
        path = unquote(raw_path)
        # A preview past its expiry answers 404 whatever the bucket or the redirects hold, as the
        # CDN's function does.
        refused = refused_preview(path, datetime.now(UTC))
        moved = None if refused else reader.redirects.target(redirect_key(raw_path))
        if moved is not None:
            self.send_response(301)
            self.send_header("Location", moved + (f"?{query}" if query else ""))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        found = None if refused else reader.get(object_key(path))
        status = 200
        if found is None:
            status = 404
            found = reader.get(object_key(NOT_FOUND)) or (b"not found\n", "text/plain")
        body, content_type = found
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal is for the stack's own messages."""
