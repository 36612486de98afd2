"""`pressrun`: publish, check and serve a site on this machine, with the same code the cloud runs."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pressrun.images import ImageRefused, is_image_key
from pressrun.ingest import check_file
from pressrun.model import InvalidArticle, Problem, problem_line
from pressrun.settings import SiteSettings

if TYPE_CHECKING:
    from pressrun.local.site import LocalSite
    from pressrun.local.summary import Summary

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
# What a shell reports for a process ended by SIGPIPE (128 + 13), as `yes | head` does.
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE
# Site settings a command may be given; remembered by the site once given (pressrun.local.remembered).
SETTING_FLAGS = {
    "site_url": "the site's base URL for links and feeds (default: $SITE_URL or http://localhost:8000)",
    "site_name": "the site's name (default: $SITE_NAME)",
    "site_tagline": "the line under the name (default: $SITE_TAGLINE)",
    "site_language": "the language of its pages, such as en-GB (default: $SITE_LANGUAGE)",
    "site_timezone": "the zone that dates articles, such as Europe/London (default: $SITE_TIMEZONE)",
    "site_categories": "its sections, comma-separated; empty accepts any (default: $SITE_CATEGORIES)",
}


class UsageError(Exception):
    pass


class _VersionAction(argparse.Action):
    """argparse's version action, looking the version up only when asked: importlib.metadata is not
    worth loading on every run."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("pressrun")
        except PackageNotFoundError:
            found = "unknown"
        print(f"{parser.prog} {found}")
        parser.exit()


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


def _check_image(file: Path, site: SiteSettings) -> None:
    """Raise `InvalidArticle` (one problem) if the image function would refuse the file."""
    from pressrun.imaging import PillowCodec

    size = file.stat().st_size
    if size > site.max_image_bytes:
        message = f"is {size:,} bytes; the limit is {site.max_image_bytes:,} bytes (MAX_IMAGE_BYTES)"
        raise InvalidArticle([Problem(field="file", message=message)])
    try:
        PillowCodec().inspect(file.read_bytes(), site.max_image_pixels)
    except ImageRefused as refused:
        raise InvalidArticle([Problem(field="file", message=refused.message)]) from None


def check(arguments: argparse.Namespace) -> int:
    site = SiteSettings()
    now = datetime.now(UTC)
    rejected = False
    for name, file in _files(arguments.paths):
        try:
            # As the pipeline decides: from the size first, so a huge file is never read.
            if is_image_key(name):
                _check_image(file, site)
            else:
                check_file(name, file.stat().st_size, file.read_bytes, site, now)
        except InvalidArticle as invalid:
            rejected = True
            for problem in invalid.problems:
                print(problem_line(str(file), problem))
        else:
            print(f"{file}: ok")
    return EXIT_REJECTED if rejected else EXIT_OK


@contextlib.contextmanager
def _site(
    arguments: argparse.Namespace,
    *,
    create: bool = False,
    may_change_settings: bool = False,
    chaos: float = 0.0,
    seed: int = 0,
) -> Iterator[LocalSite]:
    """The site of `--site`, open for one run, on a terminal with its progress shown."""
    from pressrun.local.folder import FolderRefused
    from pressrun.local.progress import on_terminal
    from pressrun.local.remembered import SettingsConflict, given_settings
    from pressrun.local.site import LocalSite

    given = given_settings({name: getattr(arguments, name) for name in SETTING_FLAGS})
    with on_terminal() as progress:
        try:
            site = LocalSite(
                Path(arguments.site),
                given,
                now=arguments.now,
                chaos=chaos,
                seed=seed,
                create=create,
                may_change_settings=may_change_settings,
                progress=progress,
            )
            site.__enter__()
        except (FolderRefused, SettingsConflict) as refused:
            raise UsageError(str(refused)) from None
        try:
            yield site
        except BaseException as error:
            site.__exit__(type(error), error, error.__traceback__)
            raise
        else:
            site.__exit__(None, None, None)


def publish(arguments: argparse.Namespace) -> int:
    files = list(_files(arguments.paths))
    if not files and arguments.now is None:
        what = (
            f"in {' '.join(arguments.paths)}"
            if arguments.paths
            else "given; name files, or --now to let time pass"
        )
        raise UsageError(f"no files to publish {what}")
    with _site(arguments, create=True, chaos=arguments.chaos, seed=arguments.seed) as local:
        for name, file in files:
            local.upload(name, file, source=str(file))
        local.drain()
        local.search()
        summary = local.summary()
    if arguments.json:
        print(summary.model_dump_json(exclude={"removed"}))
    else:
        _print_summary(summary, Path(arguments.site))
    return EXIT_REJECTED if summary.rejected or summary.failed else EXIT_OK


def unpublish(arguments: argparse.Namespace) -> int:
    missing: dict[str, list[str]] = {}
    with _site(arguments) as local:
        for name in arguments.names:
            if local.remove(name) is None:
                missing[name] = local.suggestions(name)
        local.drain()
        local.search()
        summary = local.summary()
    if arguments.json:
        print(summary.model_dump_json(include={"removed", "invalidated", "failed"}))
    else:
        _print_summary(summary, Path(arguments.site))
    for name, closest in missing.items():
        hint = f"; did you mean {' or '.join(repr(c) for c in closest)}?" if closest else ""
        print(f"{name}: no such upload{hint}", file=sys.stderr)
    return EXIT_REJECTED if missing or summary.failed else EXIT_OK


def redrive(arguments: argparse.Namespace) -> int:
    with _site(arguments) as local:
        moved = local.redrive()
        local.search()
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
        _print_summary(summary, Path(arguments.site))
    return EXIT_REJECTED if summary.failed else EXIT_OK


def reconcile(arguments: argparse.Namespace) -> int:
    with _site(arguments) as local:
        report = local.reconcile()
        local.search()
        summary = local.summary()
    if arguments.json:
        drift = [item.model_dump(mode="json") for item in report.drift]
        print(
            json.dumps(
                {
                    "checked": report.checked,
                    "drift": drift,
                    "repaired": len(drift),
                    **summary.model_dump(mode="json", include={"invalidated", "failed"}),
                }
            )
        )
    else:
        checked = ", ".join(f"{count} {what}" for what, count in sorted(report.checked.items()))
        print(f"checked    {checked}")
        for item in report.drift:
            print(f"repaired   {item.kind}: {item.subject}")
        if not report.drift:
            print("in step    nothing to repair")
        _print_summary(summary, Path(arguments.site))
    return EXIT_REJECTED if summary.failed else EXIT_OK


def rebuild(arguments: argparse.Namespace) -> int:
    with _site(arguments, may_change_settings=True) as local:
        for change in local.settings_changed:
            print(f"setting    {change}", file=sys.stderr)
        stories, listings = local.rebuild()
        local.search()
        summary = local.summary()
    if arguments.json:
        print(summary.model_dump_json(include={"invalidated", "failed"}))
    else:
        print(
            f"rebuilt    {stories} stories and {listings} listings;"
            f" {len(summary.invalidated)} paths changed and were invalidated"
        )
        _print_summary(summary, Path(arguments.site))
    return EXIT_REJECTED if summary.failed else EXIT_OK


def dev(arguments: argparse.Namespace) -> int:
    from pressrun.emulator.dev import DevStack, PortTaken
    from pressrun.local.folder import FolderRefused
    from pressrun.local.remembered import SettingsConflict

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
    except (FolderRefused, SettingsConflict) as refused:
        raise UsageError(str(refused)) from None
    for key in stack.refused:
        print(f"not written: {key} (a site key no file inside {arguments.site} can hold)")
    return EXIT_OK


def _print_summary(summary: Summary, site_dir: Path) -> None:
    for published in summary.published:
        print(f"published  {published.source} → {published.url}")
    for scheduled in summary.scheduled:
        print(f"scheduled  {scheduled.source} → {scheduled.url} at {scheduled.at.isoformat()}")
    for draft in summary.drafts:
        print(f"draft      {draft} (recorded, not public)")
    for preview in summary.previews:
        print(f"preview    {preview.source} → {preview.url} until {preview.expires.isoformat()}")
    for removed in summary.removed:
        print(f"removed    {removed}")
    for rejected in summary.rejected:
        print(f"rejected   {rejected.source}")
        for problem in rejected.errors:
            line = f" (line {problem.line})" if problem.line else ""
            print(f"             {problem.field}{line}: {problem.message}")
    if summary.rejected:
        print(f"reports    {site_dir}/.pressrun/reports/  (one per rejected upload)")
    for failed in summary.failed:
        print(f"FAILED     {', '.join(failed.sources)}: kept failing, set aside in {failed.queue}")
        print(f"             see {site_dir}/.pressrun/functions.log; fix the cause, then pressrun redrive")
    if summary.invalidated:
        print(f"invalidated {len(summary.invalidated)} paths: {' '.join(summary.invalidated)}")
    print(f"site       pressrun serve {site_dir}")


def serve(arguments: argparse.Namespace) -> int:
    from pressrun.local.serve import server

    directory = Path(arguments.site)
    if not directory.is_dir():
        raise UsageError(f"{directory}: no such folder; run pressrun publish first")
    try:
        listening = server(directory, arguments.port)
    except OSError as error:
        raise UsageError(
            f"cannot listen on port {arguments.port}: {error.strerror}; choose another with --port"
        ) from None
    with listening:
        port = listening.server_address[1]
        print(f"serving {directory} on http://127.0.0.1:{port}/ (Ctrl-C stops)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            listening.serve_forever()
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pressrun", description=__doc__)
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show the version and exit")
    commands = parser.add_subparsers(dest="command", required=True)

    def site_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--site", default="site", help="the site folder (default: ./site)")
        for name, help_text in SETTING_FLAGS.items():
            command.add_argument(
                f"--{name.replace('_', '-')}",
                dest=name,
                default=None,
                help=f"{help_text}; remembered by the site once given",
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
        help="fail this fraction of the pipeline's storage calls, to watch retries and dead letters",
    )
    publishing.add_argument("--seed", type=int, default=0, help="the seed that makes --chaos reproducible")
    publishing.set_defaults(run=publish)

    redriving = commands.add_parser("redrive", help="retry what was set aside as dead letters, once fixed")
    site_options(redriving)
    redriving.set_defaults(run=redrive)

    removing = commands.add_parser("unpublish", help="delete uploads and let the removal flow through")
    site_options(removing)
    removing.add_argument(
        "names",
        nargs="+",
        metavar="NAME",
        help="upload names or the files they came from, as publish named them",
    )
    removing.set_defaults(run=unpublish)

    rebuilding = commands.add_parser(
        "rebuild", help="re-render every page, after a theme change or to change a remembered setting"
    )
    site_options(rebuilding)
    rebuilding.set_defaults(run=rebuild)

    reconciling = commands.add_parser(
        "reconcile", help="compare uploads, records, index and pages, and repair what drifted"
    )
    site_options(reconciling)
    reconciling.set_defaults(run=reconcile)

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

    serving = commands.add_parser("serve", help="serve the site folder on localhost, as the CDN would")
    serving.add_argument("site", nargs="?", default="site")
    serving.add_argument("--port", type=int, default=8000)
    serving.set_defaults(run=serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    try:
        code: int = arguments.run(arguments)
        sys.stdout.flush()
    except UsageError as error:
        parser.error(str(error))  # exits with 2
    except BrokenPipeError:
        # The reader went away (`pressrun publish … | head`): stop quietly, as a Unix tool does. The
        # work was done and committed before anything was printed.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return code


if __name__ == "__main__":
    sys.exit(main())
