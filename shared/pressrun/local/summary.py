"""What one run did, for the editor: `pressrun publish --json` prints exactly this."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from pressrun.model import Problem


class Published(BaseModel):
    source: str
    url: str
    categories: list[str]


class Scheduled(BaseModel):
    source: str
    url: str
    at: datetime


class PreviewLink(BaseModel):
    """A draft's or scheduled story's private preview: where it is, and until when."""

    source: str
    url: str
    expires: datetime


class Rejected(BaseModel):
    source: str
    errors: list[Problem]


class Failed(BaseModel):
    """Work that kept failing and was set aside as a dead letter, named as the cloud's queue."""

    queue: str
    sources: list[str]


class Summary(BaseModel):
    published: list[Published] = []
    scheduled: list[Scheduled] = []
    rejected: list[Rejected] = []
    drafts: list[str] = []
    previews: list[PreviewLink] = []
    removed: list[str] = []
    invalidated: list[str] = []
    failed: list[Failed] = []
