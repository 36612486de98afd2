"""`pressrun dev`: the stack of template.yaml on a moto server, live, for the AWS CLI and a browser.

The moto server answers on localhost like AWS would, so `aws --endpoint-url ... s3 cp` uploads into
the uploads bucket; the event pump delivers every few hundred milliseconds; the site is served
straight from the site bucket, the way CloudFront serves it (`/x/` is `/x/index.html`, a missing page
is the 404 page), so a page is live as soon as the pipeline has written it.
"""

from __future__ import annotations

import http.server
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from pressrun.emulator.site import LocalSite
from pressrun.urls import NOT_FOUND, object_key

# How often the pump looks for work: a page is live within about this, plus the pipeline's own time.
POLL_SECONDS = 0.2


class PortTaken(Exception):
    pass


@dataclass
class DevStack:
    site_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    aws_port: int = 5000
    parameters: dict[str, str] = field(default_factory=dict)
    _moto: ThreadedMotoServer = field(init=False)
    _web: _SiteServer = field(init=False)
    _stopping: threading.Event = field(default_factory=threading.Event)

    def run(self, ready: Callable[[str, str, str], None]) -> None:
        """Serve until `stop`; `ready` hears the AWS endpoint, the uploads bucket and the site's URL.
        A port that is taken raises PortTaken before anything starts."""
        try:
            # moto's server thread would wait forever on a port it cannot bind: find out here instead.
            with socket.socket() as probe:
                probe.bind((self.host, self.aws_port))
            self._web = _SiteServer((self.host, self.port), _SiteHandler)
        except OSError as error:
            raise PortTaken(f"{error.strerror} (ports {self.port} and {self.aws_port})") from error
        threading.Thread(target=self._web.serve_forever, daemon=True).start()
        site_url = "http://{}:{}".format(*self._web.server_address[:2])
        # The moto server's request log would drown the terminal: the pump polls several times a second.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._moto = ThreadedMotoServer(ip_address=self.host, port=self.aws_port, verbose=False)
        self._moto.start()
        endpoint = "http://{}:{}".format(*self._moto.get_host_and_port())
        try:
            with LocalSite(
                self.site_dir, site_url, parameters=self.parameters, endpoint_url=endpoint
            ) as local:
                # The web server's own client: boto3 clients are not to be shared across threads.
                self._web.reader = _BucketReader(boto3.session.Session().client("s3"), local.site_bucket)
                ready(endpoint, local.uploads_bucket, site_url)
                while not self._stopping.is_set():
                    local.drain()
                    self._stopping.wait(POLL_SECONDS)
        finally:
            self._web.shutdown()
            self._web.server_close()
            self._moto.stop()

    def stop(self) -> None:
        self._stopping.set()


@dataclass
class _BucketReader:
    client: Any
    bucket: str

    def get(self, key: str) -> tuple[bytes, str] | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return None
            raise
        return response["Body"].read(), response.get("ContentType", "application/octet-stream")


class _SiteServer(http.server.ThreadingHTTPServer):
    reader: _BucketReader | None = None


class _SiteHandler(http.server.BaseHTTPRequestHandler):
    server: _SiteServer

    def do_GET(self) -> None:
        reader = self.server.reader
        if reader is None:
            self.send_error(503, "the stack is starting")
            return
        path = unquote(self.path.split("?", 1)[0])
        found = reader.get(object_key(path))
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
