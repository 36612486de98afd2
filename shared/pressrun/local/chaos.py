"""Chaos mode (`pressrun publish --chaos RATE --seed N`): a fraction of the adapters' calls fail before
they do anything, as a throttled or failing AWS call would, so that the dispatcher's retries, dead
letters and `pressrun redrive` can be watched. Seeded: the same seed fails the same calls."""

from __future__ import annotations

import random
from typing import Any, TypeVar

T = TypeVar("T")

# What the services answer when overloaded or failing, named as their AWS counterparts would be.
_FAILURES = ("Throttling", "InternalError", "ServiceUnavailable", "SlowDown")


class InjectedFault(Exception):
    """A transient failure chaos mode made up; retrying the call may well succeed."""


class Chaos:
    def __init__(self, rate: float, seed: int) -> None:
        if not 0 <= rate < 1:
            raise ValueError("the chaos rate is a fraction of calls, from 0 up to (not including) 1")
        self.rate = rate
        self.seed = seed
        self.injected = 0
        self._random = random.Random(seed)  # noqa: S311 - reproducible faults, not secrets

    def maybe_fail(self, call: str) -> None:
        if self.rate and self._random.random() < self.rate:
            self.injected += 1
            raise InjectedFault(f"{self._random.choice(_FAILURES)} (injected by chaos mode) in {call}")

    def wrap(self, adapter: T) -> T:
        """The adapter, its public methods failing at the chaos rate."""
        if not self.rate:
            return adapter
        return _Faulty(adapter, self)  # type: ignore[return-value]


class _Faulty:
    def __init__(self, adapter: object, chaos: Chaos) -> None:
        self._adapter = adapter
        self._chaos = chaos

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._adapter, name)
        if name.startswith("_") or not callable(attribute):
            return attribute
        label = f"{type(self._adapter).__name__}.{name}"

        def call(*arguments: Any, **keywords: Any) -> Any:
            self._chaos.maybe_fail(label)
            return attribute(*arguments, **keywords)

        return call
