"""Counting AWS API calls by who made them, service and operation, and timing the handlers.

Every boto3 client, whoever made it, ends in `botocore.client.BaseClient._make_api_call`, so one
patch there sees every call the handlers, the local runner and the local state code make (moto
answers below it, at botocore's `before-send`). Who made a call is a context variable:

- `handler:<Function>` while the local runner is inside a handler (`Runner._invoke` is wrapped);
- `poller` for the runner itself: SQS receive/delete, DynamoDB Streams reads, schedule checks, the
  work Lambda's event source mappings and EventBridge Scheduler do for you in AWS;
- whatever `scope("...")` names around other code (`editor` for the upload, `local-state` for
  restore/mirror/save, `summary` for the CLI summary).

S3 → EventBridge → SQS deliveries happen inside moto, not through botocore, just as in AWS they are
not API calls of yours; they are not counted.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import botocore.client

_scope: contextvars.ContextVar[str] = contextvars.ContextVar("bench_scope", default="poller")


@dataclass
class Recorder:
    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (scope, service, operation)
    handler_seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    invocations: Counter[str] = field(default_factory=Counter)
    invalidations: list[list[str]] = field(default_factory=list)  # the paths of each CreateInvalidation
    # (function, seconds, seconds of them inside moto answering its calls, calls it made, event)
    invocation_log: list[tuple[str, float, float, int, Any]] = field(default_factory=list)
    keep_log: bool = False
    # Time inside moto (the service's side of every call, AWS's time on AWS), all scopes together.
    mock_seconds: float = 0.0

    def reset(self) -> None:
        self.calls.clear()
        self.handler_seconds.clear()
        self.invocations.clear()
        self.invalidations.clear()
        self.invocation_log.clear()

    def total(self, prefix: str) -> int:
        return sum(n for (who, _, _), n in self.calls.items() if who.startswith(prefix))

    def by_operation(self, prefix: str) -> dict[str, int]:
        out: Counter[str] = Counter()
        for (who, service, operation), n in self.calls.items():
            if who.startswith(prefix):
                out[f"{service}:{operation}"] += n
        return dict(sorted(out.items(), key=lambda item: (-item[1], item[0])))

    def by_handler(self) -> dict[str, dict[str, int]]:
        out: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for (who, service, operation), n in self.calls.items():
            if who.startswith("handler:"):
                out[who.removeprefix("handler:")][f"{service}:{operation}"] += n
        return {name: dict(sorted(ops.items())) for name, ops in sorted(out.items())}

    def snapshot(self) -> dict[str, Any]:
        return {
            "handler_calls": self.total("handler:"),
            "handler_calls_by_operation": self.by_operation("handler:"),
            "handler_calls_by_function": self.by_handler(),
            "poller_calls": self.total("poller"),
            "poller_calls_by_operation": self.by_operation("poller"),
            "other_calls": {
                who: self.total(who)
                for who in sorted({w for (w, _, _) in self.calls})
                if not who.startswith(("handler:", "poller"))
            },
            "handler_seconds": dict(sorted(self.handler_seconds.items())),
            "invocations": dict(sorted(self.invocations.items())),
            "invalidation_calls": len(self.invalidations),
            "invalidation_paths": sum(len(paths) for paths in self.invalidations),
            "invalidation_paths_each": [len(paths) for paths in self.invalidations],
        }


RECORDER = Recorder()
_installed = False


@contextlib.contextmanager
def scope(name: str) -> Iterator[None]:
    token = _scope.set(name)
    try:
        yield
    finally:
        _scope.reset(token)


def install() -> Recorder:
    """Patch botocore and the local runner once per process; returns the process-wide recorder."""
    global _installed
    if _installed:
        return RECORDER
    original_call = botocore.client.BaseClient._make_api_call

    def counted_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        service = self.meta.service_model.service_name
        RECORDER.calls[(_scope.get(), service, operation_name)] += 1
        if operation_name == "CreateInvalidation":
            RECORDER.invalidations.append(list(api_params["InvalidationBatch"]["Paths"].get("Items", [])))
        return original_call(self, operation_name, api_params)

    botocore.client.BaseClient._make_api_call = counted_call  # type: ignore[method-assign]

    from moto.core.botocore_stubber import BotocoreStubber

    original_answer = BotocoreStubber.__call__

    def timed_answer(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original_answer(self, event_name, request, **kwargs)
        finally:
            RECORDER.mock_seconds += time.perf_counter() - started

    BotocoreStubber.__call__ = timed_answer  # type: ignore[method-assign]

    from pressrun.emulator import runner

    original_invoke = runner.Runner._invoke

    def timed_invoke(self: Any, function: Any, event: dict[str, Any]) -> Any:
        token = _scope.set(f"handler:{function.name}")
        started, mock_before, calls_before = time.perf_counter(), RECORDER.mock_seconds, RECORDER.calls.total()
        try:
            return original_invoke(self, function, event)
        finally:
            elapsed = time.perf_counter() - started
            _scope.reset(token)
            RECORDER.handler_seconds[function.name] += elapsed
            RECORDER.invocations[function.name] += 1
            if RECORDER.keep_log:
                RECORDER.invocation_log.append(
                    (function.name, elapsed, RECORDER.mock_seconds - mock_before, RECORDER.calls.total() - calls_before, event)
                )

    runner.Runner._invoke = timed_invoke  # type: ignore[method-assign]
    _installed = True
    return RECORDER
