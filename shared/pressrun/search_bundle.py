"""The search indexer: Pagefind, whose binary ships in the `pagefind-bin` wheel (x86-64 and arm64),
driven through its Python API in a temporary folder."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pressrun.urls import object_key


class PagefindIndexer:
    """SearchIndexer on Pagefind. Article pages mark their body `data-pagefind-body`, so Pagefind
    indexes that and leaves the header, navigation and footer out."""

    def __init__(self, language: str = "") -> None:
        # Pagefind reads each page's <html lang>; one language for all keeps a site in one index even
        # if a theme forgets the attribute somewhere.
        self._language = language.split("-")[0].lower()

    def build(self, pages: Sequence[tuple[str, str]]) -> dict[str, bytes]:
        _make_binary_runnable()
        with tempfile.TemporaryDirectory(prefix="pressrun-pagefind-") as folder:
            site, output = Path(folder, "site"), Path(folder, "bundle")
            # The pages are laid out as the site serves them and handed over as one folder: the
            # Python API answers each request it is sent on a poll of a tenth of a second, so adding
            # pages one request each costs that per page, where a folder is one request that
            # Pagefind reads on every core.
            for path, html in pages:
                file = site / object_key(path)
                file.parent.mkdir(parents=True, exist_ok=True)
                file.write_text(html, encoding="utf-8")
            asyncio.run(self._index(site, output))
            return {
                file.relative_to(output).as_posix(): file.read_bytes()
                for file in sorted(output.rglob("*"))
                if file.is_file()
            }

    async def _index(self, site: Path, output: Path) -> None:
        from pagefind.index import IndexConfig, PagefindIndex

        config = IndexConfig(output_path=str(output))
        if self._language:
            config["force_language"] = self._language
        # Leaving the context without an error writes the bundle to `output_path`.
        async with PagefindIndex(config=config) as index:
            await index.add_directory(str(site))


def runnable(binary: Path, scratch: Path) -> Path:
    """The binary itself if it may be run, else a runnable copy of it in `scratch`. `sam build` unpacks
    pagefind-bin's wheel without the binary's execute bit, and Lambda's /var/task is read-only, so the
    function runs a copy in /tmp."""
    if os.access(binary, os.X_OK):
        return binary
    scratch.mkdir(parents=True, exist_ok=True)
    copy = scratch / binary.name
    if not os.access(copy, os.X_OK):
        shutil.copyfile(binary, copy)
        copy.chmod(copy.stat().st_mode | stat.S_IXUSR | stat.S_IRUSR)
    return copy


def _make_binary_runnable() -> None:
    if "PAGEFIND_BINARY_PATH" in os.environ:
        return
    from pagefind.service import get_executable

    found = get_executable()
    if found is None:
        return  # pagefind's own error says what to install when the build starts
    usable = runnable(found, Path(tempfile.gettempdir(), "pressrun-pagefind-bin"))
    if usable != found:
        # The one setting pagefind's Python API reads for where its binary is.
        os.environ["PAGEFIND_BINARY_PATH"] = str(usable)
