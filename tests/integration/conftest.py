"""Handlers on moto. The stack comes from template.yaml through the local stack, never redeclared here."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from pressrun import runtime
from pressrun.emulator.runner import LambdaContext
from pressrun.emulator.stack import LocalFunction, LocalStack
from tests.conftest import ROOT


@dataclass
class Stack:
    local: LocalStack

    def function(self, name: str) -> LocalFunction:
        return next(f for f in self.local.functions if f.name == name)

    def invoke(self, name: str, event: dict[str, Any]) -> Any:
        function = self.function(name)
        # Each function runs with its own environment, as Lambda gives it.
        os.environ.update(function.environment)
        runtime.reset()
        return function.handler(event, LambdaContext(function.name, function.memory, function.timeout))

    @property
    def uploads_bucket(self) -> str:
        return self.local.physical("UploadsBucket")

    @property
    def site_bucket(self) -> str:
        return self.local.physical("SiteBucket")

    def client(self, service: str) -> Any:
        return self.local.client(service)

    def site_keys(self) -> set[str]:
        listing = self.client("s3").list_objects_v2(Bucket=self.site_bucket)
        return {item["Key"] for item in listing.get("Contents", [])}

    def site_page(self, key: str) -> str:
        return str(self.client("s3").get_object(Bucket=self.site_bucket, Key=key)["Body"].read().decode())


@pytest.fixture
def stack_parameters() -> dict[str, str]:
    """Template parameters beyond the defaults; a test overrides it with pytest.mark.parametrize."""
    return {}


@pytest.fixture
def stack(clean_environment: None, stack_parameters: dict[str, str]) -> Iterator[Stack]:
    local = LocalStack(ROOT, parameters={"SiteUrl": "https://news.example.org", **stack_parameters})
    local.start()
    local.connect()
    # The functions' environment, as Lambda would set it from the template's Globals.
    os.environ.update(local.functions[0].environment)
    runtime.reset()
    try:
        yield Stack(local)
    finally:
        local.stop()
        runtime.reset()
