"""Progress on a terminal, in stories: what a run is doing while it does it. Nothing at all when the
output is a file or a pipe, so logs and `--json` stay clean."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from pressrun.local.dispatcher import Progress

LABELS = {
    "upload": "reading stories",
    "article": "publishing stories",
    "release": "releasing stories",
    "rebuild": "rebuilding stories",
    "membership": "listings",
}


@contextmanager
def on_terminal() -> Iterator[Progress | None]:
    if not sys.stderr.isatty():
        yield None
        return
    # Loaded only for a terminal: a pipe or a test pays nothing for it. Without the `local` extra
    # there is no rich, and no progress either.
    try:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bars
    except ImportError:
        yield None
        return

    with Bars(
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bars:
        tasks: dict[str, object] = {}

        def tell(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(LABELS.get(stage, stage), total=total)
            bars.update(tasks[stage], completed=done, total=total)  # type: ignore[arg-type]

        yield tell
