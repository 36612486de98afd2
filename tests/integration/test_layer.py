"""The layer `make build` leaves (shared/Makefile): precompiled for python3.13, within 15 MB, without
what the functions never load (docs/performance-history.md, items 6 and 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT

LAYER = ROOT / ".aws-sam" / "build" / "PressrunLayer" / "python"
MB = 1024 * 1024
# A .pyc header starts with its Python's magic number (3.13: 3571), then a flags word (PEP 552):
# bit 0 set = hash-based, bit 1 set = check the source.
PYTHON_313 = (3571).to_bytes(2, "little") + b"\r\n"
UNCHECKED_HASH = 0b01

pytestmark = pytest.mark.skipif(not LAYER.is_dir(), reason="no built layer: run `make build`")


def _files() -> list[Path]:
    return [path for path in LAYER.rglob("*") if path.is_file() and not path.is_symlink()]


def test_the_layer_is_at_most_15_mb_unzipped() -> None:
    size = sum(path.stat().st_size for path in _files())
    assert size <= 15 * MB, f"{size / MB:.2f} MB"
    assert not (LAYER / "boto3").exists()  # the runtime has it


def test_pressrun_is_compiled_for_python_313_and_never_rechecked_against_its_sources() -> None:
    sources = [path for path in (LAYER / "pressrun").rglob("*.py")]
    assert sources
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"
        assert compiled.is_file(), compiled
        header = compiled.read_bytes()[:8]
        assert header[:4] == PYTHON_313, compiled
        assert int.from_bytes(header[4:8], "little") == UNCHECKED_HASH, compiled


def test_dependencies_are_compiled_and_importable_without_their_sources() -> None:
    outside = [path for path in LAYER.rglob("*.py") if path.relative_to(LAYER).parts[0] != "pressrun"]
    assert outside == []
    for module in ("pydantic/__init__", "aws_lambda_powertools/logging/logger", "jinja2/environment"):
        assert (LAYER / f"{module}.pyc").read_bytes()[:4] == PYTHON_313, module


def test_the_layer_leaves_out_the_local_stack_and_pyyamls_c_extension() -> None:
    assert not (LAYER / "pressrun" / "local").exists()
    assert not (LAYER / "pressrun" / "emulator").exists()
    assert not list((LAYER / "yaml").glob("_yaml*.so"))
    assert (LAYER / "pressrun" / "templates" / "article.html").is_file()


def test_the_image_libraries_are_in_the_image_functions_package_and_not_in_the_layer() -> None:
    assert not (LAYER / "PIL").exists()
    assert not (LAYER / "pi_heif").exists()
    package = LAYER.parents[1] / "ProcessImageFunction"
    assert (package / "PIL" / "Image.py").is_file()
    # Built for Lambda's arm64: Pillow's AVIF and WebP codecs are in its wheel.
    assert list((package / "PIL").glob("_avif.cpython-313-aarch64-linux-gnu.so"))
