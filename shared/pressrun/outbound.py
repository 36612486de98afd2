"""HTTP out of the stack, with the standard library alone: the pings' sender (`PingSender`), the same
on Lambda and in the local engine. No HTTP library is worth its cold start for one POST a batch."""

from __future__ import annotations

import urllib.error
import urllib.request

# A target slower than this is as good as down: the job goes back to the queue and is tried again.
TIMEOUT_SECONDS = 10
USER_AGENT = "pressrun (+https://github.com/pressrun)"


class UrllibPingSender:
    def __init__(self, timeout_seconds: float = TIMEOUT_SECONDS) -> None:
        self._timeout = timeout_seconds

    def post(self, url: str, body: bytes, content_type: str) -> int:
        if not url.startswith(("https://", "http://")):
            # urllib would also open file:// and ftp:// URLs; a ping goes to a web server or nowhere.
            raise OSError(f"not an HTTP URL: {url!r}")
        headers = {"Content-Type": content_type, "User-Agent": USER_AGENT}
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 (scheme checked above)
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as error:  # an answer, if not a happy one
            return int(error.code)
