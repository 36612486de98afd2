"""pressrun as people install it: a wheel in a fresh virtual environment, outside the checkout, run
from another folder, with the templates, style and samples it ships."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e


def test_a_wheel_installed_in_a_fresh_environment_publishes_its_samples_from_any_folder(tmp_path: Path):
    # GIVEN pressrun built as a wheel and installed, alone, into a new environment
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("pressrun-*.whl")
    environment = tmp_path / "environment"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(environment)], check=True, timeout=120)
    python = environment / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # Its dependencies come from this environment's libraries (no network in the test); pressrun
    # itself does not: this environment has it as an editable install, which a path does not load.
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site_packages, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environment_only = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}

    def pressrun(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(environment / "bin" / "pressrun"), *arguments],
            cwd=elsewhere,
            capture_output=True,
            text=True,
            env=environment_only,
            timeout=300,
            check=False,
        )

    installed = subprocess.run(
        [str(python), "-c", "import pressrun, pathlib; print(pathlib.Path(pressrun.__file__).parent)"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env=environment_only,
        check=True,
    ).stdout.strip()
    assert Path(installed).is_relative_to(environment)

    # WHEN it publishes the samples it ships, from a folder far from the checkout
    version = pressrun("--version")
    published = pressrun("publish", "--site", "news", str(Path(installed) / "samples"))

    # THEN the site is there, styled, with every sample
    assert version.stdout.startswith("pressrun 0."), version.stderr
    assert published.returncode == 0, published.stderr
    assert published.stdout.count("published  ") == 6  # the author profile is no story
    site = elsewhere / "news"
    assert "UK Seeks Trade Ties with China" in (site / "index.html").read_text()
    assert (site / "style.css").stat().st_size > 0
    # The samples' photos and the built-in logo ship in the package too.
    assert (site / "logo.png").stat().st_size > 0
    assert list((site / "media").glob("*/640.avif"))
