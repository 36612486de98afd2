"""The PingSender contract, on the memory fake and on urllib against a local HTTP server: what is
POSTed arrives as sent, any answer's status comes back, and no answer at all is an OSError."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import pytest

from pressrun.outbound import UrllibPingSender
from pressrun.ports import PingSender
from tests.fakes import ScriptedTarget
from tests.ping_target import ping_target, unused_url


class Target(Protocol):
    url: str

    def answer_with(self, status: int) -> None: ...

    def received(self) -> list[tuple[str, bytes]]:
        """(content type, body) of every POST, in order."""
        ...


@dataclass
class Pair:
    sender: PingSender
    target: Target
    down_url: str


@dataclass
class FakeTarget:
    scripted: ScriptedTarget
    url: str = "https://target.example/ping"

    def answer_with(self, status: int) -> None:
        self.scripted.status = status

    def received(self) -> list[tuple[str, bytes]]:
        return [(content_type, body) for _, body, content_type in self.scripted.requests]


class DownWhenAsked:
    """The fake sender, down for one URL as a dead server is."""

    def __init__(self, scripted: ScriptedTarget, down_url: str) -> None:
        self.scripted, self.down_url = scripted, down_url

    def post(self, url: str, body: bytes, content_type: str) -> int:
        if url == self.down_url:
            raise ConnectionRefusedError(f"{url}: connection refused")
        return self.scripted.post(url, body, content_type)


@dataclass
class LocalServer:
    url: str
    server: object

    def answer_with(self, status: int) -> None:
        self.server.status = status  # type: ignore[attr-defined]

    def received(self) -> list[tuple[str, bytes]]:
        return [(request.content_type, request.body) for request in self.server.received]  # type: ignore[attr-defined]


@pytest.fixture(params=["memory", "urllib_on_a_local_server"])
def pair(request: pytest.FixtureRequest) -> Iterator[Pair]:
    if request.param == "memory":
        scripted = ScriptedTarget()
        yield Pair(
            DownWhenAsked(scripted, "https://down.example/"), FakeTarget(scripted), "https://down.example/"
        )
        return
    with ping_target("/indexnow") as server:
        yield Pair(UrllibPingSender(timeout_seconds=5), LocalServer(server.url, server), unused_url())


def test_a_post_arrives_with_its_body_and_content_type(pair: Pair):
    status = pair.sender.post(pair.target.url, b'{"urlList": []}', "application/json; charset=utf-8")

    assert status == 200
    assert pair.target.received() == [("application/json; charset=utf-8", b'{"urlList": []}')]


@pytest.mark.parametrize("status", [202, 204, 400, 403, 422, 429, 500, 503])
def test_every_answer_comes_back_as_its_status_never_as_an_exception(pair: Pair, status: int):
    pair.target.answer_with(status)

    assert (
        pair.sender.post(pair.target.url, b"hub.mode=publish", "application/x-www-form-urlencoded") == status
    )


def test_a_target_that_is_down_is_an_oserror(pair: Pair):
    with pytest.raises(OSError, match=r"(?i)connection refused"):
        pair.sender.post(pair.down_url, b"x", "text/plain")
