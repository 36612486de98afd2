"""`pressrun`: publish, check and serve a site on this machine, with the same code the cloud runs."""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pressrun.ingest import check_file
from pressrun.model import InvalidArticle, problem_line
from pressrun.settings import SiteSettings

if TYPE_CHECKING:
    from pressrun.emulator.site import Summary

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
DEFAULT_SITE_URL = "http://localhost:8000"


class UsageError(Exception):
    pass


def _files(paths: Sequence[str]) -> Iterator[tuple[str, Path]]:
    """(upload name, file) for each file named or found in a folder named; hidden files are skipped."""
    for given in paths:
        path = Path(given)
        if path.is_file():
            yield path.name, path
        elif path.is_dir():
            for file in sorted(path.rglob("*")):
                relative = file.relative_to(path)
                if file.is_file() and not any(part.startswith(".") for part in relative.parts):
                    yield relative.as_posix(), file
        else:
            raise UsageError(f"{given}: no such file or folder")


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an ISO time such as 2025-06-26T06:00:00+01:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check(arguments: argparse.Namespace) -> int:
    site = SiteSettings()
    now = datetime.now(UTC)
    rejected = False
    for name, file in _files(arguments.paths):
        try:
            # As the pipeline decides: from the size first, so a huge file is never read.
            check_file(name, file.stat().st_size, file.read_bytes, site, now)
        except InvalidArticle as invalid:
            rejected = True
            for problem in invalid.problems:
                print(problem_line(str(file), problem))
        else:
            print(f"{file}: ok")
    return EXIT_REJECTED if rejected else EXIT_OK


def publish(arguments: argparse.Namespace) -> int:
    from pressrun.emulator.site import LocalSite  # moto loads only for the commands that run the stack

    files = list(_files(arguments.paths))
    if not files and arguments.now is None:
        what = (
            f"in {' '.join(arguments.paths)}"
            if arguments.paths
            else "given; name files, or --now to let time pass"
        )
        raise UsageError(f"no files to publish {what}")
    site_dir = Path(arguments.site)
    with LocalSite(
        site_dir, arguments.site_url, now=arguments.now, chaos=arguments.chaos, seed=arguments.seed
    ) as local:
        for name, file in files:
            local.upload(name, file.read_bytes(), source=str(file))
        local.drain()
        summary = local.summary()
    if arguments.json:
        print(summary.model_dump_json(exclude={"removed"}))
    else:
        _print_summary(summary, site_dir)
    return EXIT_REJECTED if summary.rejected or summary.failed else EXIT_OK


def unpublish(arguments: argparse.Namespace) -> int:
    from pressrun.emulator.site import LocalSite

    site_dir = Path(arguments.site)
    with LocalSite(site_dir, arguments.site_url, now=arguments.now) as local:
        missing = [name for name in arguments.names if not local.remove(name)]
        local.drain()
        summary = local.summary()
    if arguments.json:
        print(summary.model_dump_json(include={"removed", "invalidated", "failed"}))
    else:
        _print_summary(summary, site_dir)
    for name in missing:
        print(f"{name}: no such upload", file=sys.stderr)
    return EXIT_REJECTED if missing or summary.failed else EXIT_OK


def redrive(arguments: argparse.Namespace) -> int:
    from pressrun.emulator.site import LocalSite

    site_dir = Path(arguments.site)
    with LocalSite(site_dir, arguments.site_url, now=arguments.now) as local:
        moved = local.redrive()
        summary = local.summary()
    if arguments.json:
        print(
            json.dumps(
                {"redriven": moved, **summary.model_dump(mode="json", include={"invalidated", "failed"})}
            )
        )
    else:
        for queue, count in sorted(moved.items()):
            print(f"redriven   {count} messages from {queue}")
        if not moved:
            print("redriven   nothing: the dead-letter queues are empty")
        _print_summary(summary, site_dir)
    return EXIT_REJECTED if summary.failed else EXIT_OK


def rebuild(arguments: argparse.Namespace) -> int:
    from pressrun.emulator.site import LocalSite

    site_dir = Path(arguments.site)
    if not (site_dir / ".pressrun").is_dir():
        raise UsageError(f"{site_dir} holds no published site; run pressrun publish first")

    def progress(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        print(
            f"\rrebuilding [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="", file=sys.stderr
        )

    with LocalSite(site_dir, arguments.site_url, now=arguments.now) as local:
        jobs = local.rebuild(progress)
        summary = local.summary()
    print(file=sys.stderr)
    if arguments.json:
        print(summary.model_dump_json(include={"invalidated", "failed"}))
    else:
        print(f"rebuilt    {jobs} jobs; {len(summary.invalidated)} paths changed and were invalidated")
        _print_summary(summary, site_dir)
    return EXIT_REJECTED if summary.failed else EXIT_OK


def dev(arguments: argparse.Namespace) -> int:
    from pressrun.emulator.dev import DevStack, PortTaken

    stack = DevStack(Path(arguments.site), port=arguments.port, aws_port=arguments.aws_port)

    def ready(endpoint: str, uploads_bucket: str, site_url: str) -> None:
        print(f"AWS        {endpoint}  (any credentials; region us-east-1)")
        print(f"upload     aws --endpoint-url {endpoint} s3 cp story.md s3://{uploads_bucket}/incoming/")
        print(f"site       {site_url}/  (live; Ctrl-C stops and keeps the site in {arguments.site})")
        sys.stdout.flush()

    def stop(signal_number: int, frame: object) -> None:
        stack.stop()

    # Stop between deliveries, so the site and its state are saved as after a publish.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        stack.run(ready)
    except PortTaken as error:
        raise UsageError(f"cannot listen: {error}; choose others with --port and --aws-port") from None
    return EXIT_OK


def _print_summary(summary: Summary, site_dir: Path) -> None:
    for published in summary.published:
        print(f"published  {published.source} → {published.url}")
    for scheduled in summary.scheduled:
        print(f"scheduled  {scheduled.source} → {scheduled.url} at {scheduled.at.isoformat()}")
    for draft in summary.drafts:
        print(f"draft      {draft} (recorded, not public)")
    for removed in summary.removed:
        print(f"removed    {removed}")
    for rejected in summary.rejected:
        print(f"rejected   {rejected.source}")
        for problem in rejected.errors:
            line = f" (line {problem.line})" if problem.line else ""
            print(f"             {problem.field}{line}: {problem.message}")
    for failed in summary.failed:
        print(f"FAILED     {', '.join(failed.sources)}: kept failing, set aside in {failed.queue}")
        print(f"             see {site_dir}/.pressrun/functions.log")
    if summary.invalidated:
        print(f"invalidated {len(summary.invalidated)} paths: {' '.join(summary.invalidated)}")
    print(f"site       {site_dir}/index.html  (or: pressrun serve {site_dir})")


def serve(arguments: argparse.Namespace) -> int:
    directory = Path(arguments.site)
    if not directory.is_dir():
        raise UsageError(f"{directory}: no such folder; run pressrun publish first")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    with http.server.ThreadingHTTPServer(("127.0.0.1", arguments.port), handler) as server:
        print(f"serving {directory} on http://127.0.0.1:{arguments.port}/ (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pressrun", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def site_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--site", default="site", help="the site folder (default: ./site)")
        command.add_argument(
            "--site-url",
            default=os.environ.get("SITE_URL", DEFAULT_SITE_URL),
            help=f"the site's base URL for links and feeds (default: $SITE_URL or {DEFAULT_SITE_URL})",
        )
        command.add_argument("--json", action="store_true", help="print the summary as one JSON object")
        command.add_argument(
            "--now",
            type=_moment,
            help="take this ISO time as now: later articles are scheduled, earlier schedules fire",
        )

    publishing = commands.add_parser("publish", help="publish articles through the whole local pipeline")
    site_options(publishing)
    publishing.add_argument("paths", nargs="*", metavar="PATH", help="article files or folders of them")
    publishing.add_argument(
        "--chaos",
        type=float,
        default=0.0,
        metavar="RATE",
        help="fail this fraction of the functions' AWS calls",
    )
    publishing.add_argument("--seed", type=int, default=0, help="the seed that makes --chaos reproducible")
    publishing.set_defaults(run=publish)

    redriving = commands.add_parser(
        "redrive", help="move dead-lettered messages back once the cause is fixed"
    )
    site_options(redriving)
    redriving.set_defaults(run=redrive)

    removing = commands.add_parser("unpublish", help="delete uploads and let the removal flow through")
    site_options(removing)
    removing.add_argument("names", nargs="+", metavar="NAME", help="upload names, as publish named them")
    removing.set_defaults(run=unpublish)

    rebuilding = commands.add_parser("rebuild", help="re-render every page, after a template change")
    site_options(rebuilding)
    rebuilding.set_defaults(run=rebuild)

    developing = commands.add_parser(
        "dev", help="run the stack live on localhost: a moto server for the AWS CLI, and the site"
    )
    developing.add_argument("--site", default="site", help="where the site is kept when it stops")
    developing.add_argument("--port", type=int, default=8000, help="the site's port (default: 8000)")
    developing.add_argument("--aws-port", type=int, default=5000, help="the AWS endpoint's (default: 5000)")
    developing.set_defaults(run=dev)

    checking = commands.add_parser("check", help="validate articles without publishing them")
    checking.add_argument("paths", nargs="+", metavar="PATH")
    checking.set_defaults(run=check)

    serving = commands.add_parser("serve", help="serve the site folder on localhost")
    serving.add_argument("site", nargs="?", default="site")
    serving.add_argument("--port", type=int, default=8000)
    serving.set_defaults(run=serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    try:
        code: int = arguments.run(arguments)
    except UsageError as error:
        parser.error(str(error))  # exits with 2
    return code


if __name__ == "__main__":
    sys.exit(main())
