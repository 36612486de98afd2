"""`pressrun serve`: the site folder on localhost, answered the way the CDN answers.

A draft's preview (`/preview/<expiry>-<token>/`) answers 404 past its expiry, as the CDN's function
does, whatever else the address holds, and is sent with `Cache-Control: no-store`. Then the site's
redirects (a moved story's old address answers 301 with its new one, query kept, as the CDN's
viewer-request function answers from its KeyValueStore); then `/x/` is `/x/index.html`, `/x`
redirects to `/x/` when it is a folder, a missing page is the site's own `404.html` with status 404,
and nothing hidden is served: not `.pressrun/` (the state, the log, the uploads), not a temp file,
not a link that leads outside the folder. Folders are never listed."""

from __future__ import annotations

import functools
import os
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pressrun.local.redirects import redirect_of
from pressrun.urls import PREVIEW_PREFIX, cache_control, refused_preview

NOT_FOUND_PAGE = "404.html"
# The one hidden folder the web expects sites to serve (RFC 8615).
_WELL_KNOWN = ".well-known"


class SiteHandler(SimpleHTTPRequestHandler):
    def __init__(self, *arguments: Any, directory: str, **keywords: Any) -> None:
        self.root = os.path.realpath(directory)
        super().__init__(*arguments, directory=directory, **keywords)

    def send_head(self) -> BytesIO | Any:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        # An expired preview answers 404 even where a redirect leads from it, as the CDN's function.
        if refused_preview(path, datetime.now(UTC)):
            self.send_error(HTTPStatus.NOT_FOUND)
            return None
        moved = redirect_of(Path(self.root), redirect_key(parts.path))
        if moved is not None:
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", moved + (f"?{parts.query}" if parts.query else ""))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        segments = [segment for segment in path.split("/") if segment]
        if any(segment.startswith(".") and segment != _WELL_KNOWN for segment in segments):
            self.send_error(HTTPStatus.NOT_FOUND)
            return None
        target = os.path.realpath(self.translate_path(self.path))
        if target != self.root and not target.startswith(self.root + os.sep):
            self.send_error(HTTPStatus.NOT_FOUND)
            return None
        return super().send_head()

    def end_headers(self) -> None:
        path = unquote(urlsplit(self.path).path)
        if path.startswith(f"/{PREVIEW_PREFIX}"):
            self.send_header("Cache-Control", cache_control(PREVIEW_PREFIX, 0))
        super().end_headers()

    def list_directory(self, path: str | os.PathLike[str]) -> BytesIO | None:
        self.send_error(HTTPStatus.NOT_FOUND)
        return None

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.root, NOT_FOUND_PAGE)
        if code != HTTPStatus.NOT_FOUND or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(code)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def redirect_key(path: str) -> str:
    """The key a request's path is looked up by, as the CDN's function does: a page's folder path,
    `/x/` for `/x`, so that an old address typed without its slash reaches its new one in one hop."""
    last = path.rsplit("/", 1)[-1]
    return path if path.endswith("/") or "." in last else f"{path}/"


def server(site_dir: Path, port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    handler = functools.partial(SiteHandler, directory=str(site_dir))
    return ThreadingHTTPServer((host, port), handler)
