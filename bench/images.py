"""The image function's work on a camera's photo: time to make every rendition, and peak memory.

    .venv/bin/python bench/images.py [--runs 3] [--json]

A 24-megapixel JPEG (6000 x 4000, as a full-frame camera writes it, with EXIF and a GPS position) is
made deterministically with Pillow: a scene, plus grain from a seeded generator, at two strengths:

- `photo`: grain softened as a lens and a camera's noise reduction leave it;
- `noisy`: raw grain at every pixel, the worst case for the encoders (AVIF above all).

Each case runs in a fresh child process (the handler's imports, a warm-up on a small picture, then the
photo, read from a file as the function reads its upload) and reports the median over the runs of the
time `PillowCodec` takes to inspect the photo and make every output of its recipe (AVIF, WebP and
JPEG at every width up to 2048, and the four crops at the centre), and the child's peak RSS
(ru_maxrss). A 24-megapixel PNG of the same scene is measured too: PNG has no reduced decoding, so it
shows what a source decoded at full size costs (a 50-megapixel one, at MAX_IMAGE_PIXELS, about twice).

This machine is not Lambda: the numbers are for comparing, and the estimate for Lambda's arm64 is
stated as an estimate where they are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT = 6000, 4000

CHILD = r"""
import io, json, random, resource, sys, time
sys.path.insert(0, sys.argv[1])
from PIL import Image, ImageDraw, ImageFilter
from pressrun.images import CENTRE, plan
from pressrun.imaging import PillowCodec

kind, path = sys.argv[2], sys.argv[3]

def scene(w, h, blur):
    image = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    image = Image.blend(image, Image.new("RGB", (w, h), (70, 90, 160)), 0.6)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, h * 2 // 3, w, h), fill=(60, 120, 50))
    r = min(w, h) // 8
    draw.ellipse((w * 2 // 3 - r, h // 4 - r, w * 2 // 3 + r, h // 4 + r), fill=(250, 220, 120))
    grain = Image.frombytes("L", (w, h), random.Random(7).randbytes(w * h))
    if blur:
        grain = grain.filter(ImageFilter.GaussianBlur(blur))
    return Image.blend(image, grain.convert("RGB"), 0.18)

def source(kind, w, h):
    exif = Image.Exif()
    exif[0x010F] = "Camera"
    exif.get_ifd(0x8825).update({1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)})
    picture = scene(w, h, 0 if kind == "noisy" else 1.2)
    buffer = io.BytesIO()
    if kind == "png":
        picture.save(buffer, "PNG", compress_level=1)
    else:
        picture.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()

codec = PillowCodec()
def run(data):
    started = time.perf_counter()
    info = codec.inspect(data, 50_000_000)
    outputs = list(codec.render(data, 50_000_000, plan(info, [CENTRE])))
    return time.perf_counter() - started, outputs

if kind == "make":
    for name in ("photo", "noisy", "png"):
        with open(f"{path}/{name}", "wb") as file:
            file.write(source(name, int(sys.argv[4]), int(sys.argv[5])))
    sys.exit(0)
run(source("photo", 800, 600))  # warm-up: codecs loaded, as on a warm Lambda
with open(f"{path}/{kind}", "rb") as file:
    data = file.read()
seconds, outputs = run(data)
print(json.dumps({
    "kind": kind,
    "source_bytes": len(data),
    "seconds": seconds,
    "outputs": len(outputs),
    "output_bytes": sum(len(o.body) for o in outputs),
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def measure(kind: str, runs: int, sources: Path) -> dict[str, object]:
    results = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(ROOT / "shared"), kind, str(sources)],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    seconds = [float(r["seconds"]) for r in results]
    return {
        **results[0],
        "seconds": statistics.median(seconds),
        "seconds_all": seconds,
        "peak_mb": max(float(r["peak_mb"]) for r in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    machine = {
        "machine": platform.machine(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "pillow": __import__("PIL").__version__,
    }
    with tempfile.TemporaryDirectory() as sources:
        # Made in a process of their own, so that making them weighs on no measured peak.
        command = [
            sys.executable,
            "-c",
            CHILD,
            str(ROOT / "shared"),
            "make",
            sources,
            str(WIDTH),
            str(HEIGHT),
        ]
        subprocess.run(command, check=True)
        cases = [measure(kind, arguments.runs, Path(sources)) for kind in ("photo", "noisy", "png")]
    if arguments.json:
        print(json.dumps({"machine": machine, "cases": cases}, indent=2))
        return
    print(f"{WIDTH}x{HEIGHT} ({WIDTH * HEIGHT / 1e6:.0f} MP) on {machine}")
    for case in cases:
        print(
            f"  {case['kind']:>6}: {case['seconds']:.2f} s (median of {arguments.runs}), "
            f"peak {case['peak_mb']:.0f} MB, {case['outputs']} outputs, "
            f"source {int(case['source_bytes']) / 2**20:.1f} MiB"
            f" -> {int(case['output_bytes']) / 2**20:.2f} MiB"
        )


if __name__ == "__main__":
    main()
