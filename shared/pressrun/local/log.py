"""The run's log, `.pressrun/functions.log`: one JSON object a line, as CloudWatch would hold the
functions' logs, with the upload each line is about as its correlation id."""

from __future__ import annotations

import json
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO


class StepLog:
    def __init__(self, path: Path | None = None, *, to: TextIO | None = None) -> None:
        self._file: TextIO | None = path.open("a", encoding="utf-8") if path is not None else to

    def info(self, step: str, correlation_id: str, message: str, **extra: Any) -> None:
        self._write("INFO", step, correlation_id, message, extra)

    def error(self, step: str, correlation_id: str, message: str, error: BaseException, **extra: Any) -> None:
        trace = "".join(traceback.format_exception(error))
        self._write(
            "ERROR", step, correlation_id, message, {**extra, "error": repr(error), "exception": trace}
        )

    def _write(self, level: str, step: str, correlation_id: str, message: str, extra: dict[str, Any]) -> None:
        if self._file is None:
            return
        line = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": level,
            "step": step,
            "correlation_id": correlation_id,
            "message": message,
            **extra,
        }
        self._file.write(json.dumps(line, default=str, ensure_ascii=False) + "\n")

    def add(self, lines: str) -> None:
        """Lines another process logged, in its name."""
        if self._file is not None:
            self._file.write(lines)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> StepLog:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
