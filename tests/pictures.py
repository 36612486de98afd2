"""Pictures made on the spot, deterministically, for the image tests (and the samples' photos)."""

from __future__ import annotations

import io
import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def scene(width: int, height: int, seed: int = 1) -> Image.Image:
    """A sky, a horizon and a sun, with grain: real enough that encoders work as on a photo."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    tint = Image.new("RGB", (width, height), (40 + seed * 17 % 80, 90, 160))
    image = Image.blend(image, tint, 0.6)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 2 // 3, width, height), fill=(60, 110 + seed * 7 % 60, 50))
    r = max(2, min(width, height) // 8)
    draw.ellipse(
        (width * 2 // 3 - r, height // 4 - r, width * 2 // 3 + r, height // 4 + r), fill=(250, 220, 120)
    )
    # Grain from a seeded generator (Pillow's own noise is not reproducible), softened like a lens's.
    grain = random.Random(seed).randbytes(width * height)
    noise = Image.frombytes("L", (width, height), grain).filter(ImageFilter.GaussianBlur(1)).convert("RGB")
    return Image.blend(image, noise, 0.12)


def jpeg(
    width: int = 1600,
    height: int = 1000,
    *,
    seed: int = 1,
    gps: bool = True,
    orientation: int | None = None,
    icc: bytes | None = None,
    quality: int = 85,
) -> bytes:
    """A JPEG carrying what a phone writes: EXIF with a GPS position (and an orientation, if given)."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Phone 12"
    if orientation:
        exif[ORIENTATION] = orientation
    if gps:
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)})
    buffer = io.BytesIO()
    extra = {"icc_profile": icc} if icc else {}
    scene(width, height, seed).save(buffer, "JPEG", quality=quality, exif=exif, **extra)
    return buffer.getvalue()


def png(width: int = 800, height: int = 600, *, seed: int = 2, alpha: bool = False) -> bytes:
    image = scene(width, height, seed)
    if alpha:
        image = image.convert("RGBA")
        image.putalpha(Image.linear_gradient("L").resize((width, height)))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


# The samples' photos (samples/ and the copy the package ships): small, and the same bytes every time.
SAMPLE_PHOTOS = {
    "harbour-at-dawn.jpg": (1600, 1000, 11),
    "allotment-beds.jpg": (1200, 800, 23),
}


def write_samples(folder: Path) -> None:
    for name, (width, height, seed) in SAMPLE_PHOTOS.items():
        (folder / name).write_bytes(jpeg(width, height, seed=seed, gps=True, quality=60))


if __name__ == "__main__":
    for target in sys.argv[1:]:
        write_samples(Path(target))


def image_story(image: str, focus: str | None = None, title: str = "Harbour") -> bytes:
    """A story naming `image` as its lead photo, relative to its own folder."""
    extra = f"image_focus: {focus}\n" if focus else ""
    return (
        f"---\ntitle: {title}\ndate: 2025-06-26\ncategories: [Local]\nimage: {image}\n"
        f"image_alt: Boats\n{extra}---\nThe harbour reopened.\n"
    ).encode()
