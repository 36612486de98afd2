"""Pillow, behind the domain's `ImageCodec` port: what an uploaded file is, and its renditions.

Only this module imports Pillow, and only the image function (and `pressrun publish`) imports this
module: Pillow is in the image function's own package, never in the shared layer.

Everything is decided from the bytes, never from the name. Before a pixel is decoded, the header
says the format and the size: only the formats the issue accepts are let in (Pillow would otherwise
try every plugin it has), and a size past `max_pixels` is refused there, so a small file declaring a
huge image costs nothing. A JPEG that only needs smaller renditions is decoded at a reduced scale
(`draft`), which saves most of the memory and time of a camera's full-size photo.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from functools import cache

from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

from pressrun.images import (
    ImageRefused,
    Recipe,
    Rendered,
    SourceImage,
    content_type_of,
)

# Pillow's names of the formats accepted (README: the editor's contract). HEIF is there only when a
# HEIF reader is installed (pi-heif, which registers itself with Pillow).
_ACCEPTED = ("JPEG", "PNG", "WEBP", "AVIF", "GIF", "HEIF")
_NAMES = "JPEG, PNG, WebP, AVIF, GIF or HEIC"
# How far into the file markup is looked for: a text file starts with it, after a BOM or blanks.
_SNIFF = 1024
# Encoder settings. A rendition's bytes depend only on the source's and on these (RECIPE_VERSION in
# pressrun.images changes with them), so the same upload always makes the same files.
_JPEG = {"quality": 82, "optimize": True, "progressive": True, "subsampling": "4:2:0"}
_WEBP = {"quality": 80, "method": 4}
# AVIF at this quality looks like the JPEG above at well under half its size; `speed` trades encoding
# time for size (0 slowest, 10 fastest): the lead image's renditions must be ready in seconds.
_AVIF = {"quality": 60, "speed": 8}
_FLATTEN_ON = (255, 255, 255)


def _heif_registered() -> bool:
    try:
        from pi_heif import register_heif_opener  # type: ignore[import-untyped]
    except ImportError:
        return False
    register_heif_opener()
    return True


@cache
def _formats() -> tuple[str, ...]:
    # pi-heif is optional: without it a HEIC upload is refused like any unknown format.
    return _ACCEPTED if _heif_registered() else tuple(f for f in _ACCEPTED if f != "HEIF")


def heic_supported() -> bool:
    return "HEIF" in _formats()


def _markup(data: bytes) -> str | None:
    """What a text file that is no image is, when it is markup: SVG is refused for what it can carry."""
    head = data[:_SNIFF].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head.startswith(b"<"):
        return None
    if b"<svg" in head:
        return "an SVG drawing"
    return "HTML or XML text"


class PillowCodec:
    """`ImageCodec` on Pillow. Every failure of a file is an `ImageRefused` with words for the editor;
    a decoder's own exception never leaves this class (a fuzz test holds it to that)."""

    def inspect(self, data: bytes, max_pixels: int) -> SourceImage:
        with self._opened(data, max_pixels) as image:
            width, height = image.size
            # EXIF orientations 5 to 8 turn the picture a quarter: its displayed size is the other way.
            if _orientation(image) in (5, 6, 7, 8):
                width, height = height, width
            return SourceImage(format=str(image.format), width=width, height=height)

    def render(self, data: bytes, max_pixels: int, recipe: Recipe) -> Iterator[Rendered]:
        with self._opened(data, max_pixels) as image:
            picture = self._decoded(image, recipe)
        yield from _renditions(picture, recipe)

    # --- inside -----------------------------------------------------------------------------------

    def _opened(self, data: bytes, max_pixels: int) -> _Opened:
        return _Opened(data, max_pixels)

    def _decoded(self, image: Image.Image, recipe: Recipe) -> Image.Image:
        """The picture upright, in sRGB, without any metadata, at the smallest scale the recipe allows."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                return self._load(image, recipe)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
            raise ImageRefused(_too_many_pixels(None, Image.MAX_IMAGE_PIXELS or 0)) from error
        except MemoryError:
            raise
        except Exception as error:
            raise ImageRefused(_corrupt(error)) from error

    def _load(self, image: Image.Image, recipe: Recipe) -> Image.Image:
        if image.format == "JPEG" and recipe.decode_at is not None:
            # Reads 1/2, 1/4 or 1/8 of the pixels straight from the JPEG's blocks, never below the
            # size asked for. (The size is the stored one: orientation is applied after.)
            stored = recipe.decode_at
            if _orientation(image) in (5, 6, 7, 8):
                stored = (stored[1], stored[0])
            image.draft("RGB", stored)
        image.seek(0)  # an animated GIF or WebP: its first frame
        image.load()
        return _in_srgb(ImageOps.exif_transpose(image))


class _Opened:
    """Image.open with the checks that come before any decoding, as a context manager."""

    def __init__(self, data: bytes, max_pixels: int) -> None:
        self._data = data
        self._max_pixels = max_pixels
        self._image: Image.Image | None = None

    def __enter__(self) -> Image.Image:
        what = _markup(self._data)
        if what is not None:
            why = "SVG can carry script, so it is never published" if "SVG" in what else "upload the image"
            raise ImageRefused(f"is {what}, not a photo; {why}")
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            with warnings.catch_warnings():
                # The header is read with Pillow's guard off, so that the refusal can say the size the
                # file declares (checked below, before any pixel is decoded); the guard is then set to
                # the site's limit for decoding, where some formats find further frames or tiles.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                Image.MAX_IMAGE_PIXELS = None
                image = Image.open(io.BytesIO(self._data), formats=_formats())
        except UnidentifiedImageError as error:
            raise ImageRefused(f"is not an image pressrun reads; upload a {_NAMES} file") from error
        except MemoryError:
            raise
        except Exception as error:
            raise ImageRefused(_corrupt(error)) from error
        finally:
            Image.MAX_IMAGE_PIXELS = self._max_pixels
        self._image = image
        width, height = image.size
        if width < 1 or height < 1:
            image.close()
            raise ImageRefused("has no pixels")
        if width * height > self._max_pixels:
            image.close()
            raise ImageRefused(_too_many_pixels((width, height), self._max_pixels))
        return image

    def __exit__(self, *_: object) -> None:
        if self._image is not None:
            self._image.close()


def _orientation(image: Image.Image) -> int:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a damaged EXIF block warns as it is read
            return int(image.getexif().get(0x0112, 1))
    except Exception:
        # An unreadable EXIF block is no reason to refuse the picture: it is shown as stored.
        return 1


def _too_many_pixels(size: tuple[int, int] | None, limit: int) -> str:
    declared = f"declares {size[0]:,} × {size[1]:,} pixels" if size else "declares more pixels than allowed"
    return f"{declared}; the limit is {limit / 1e6:g} megapixels (MAX_IMAGE_PIXELS)"


def _corrupt(error: Exception) -> str:
    detail = str(error).strip() or type(error).__name__
    return f"is damaged or cut short ({detail[:120]}); export it again and upload it again"


@cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _in_srgb(image: Image.Image) -> Image.Image:
    """RGB (or RGBA where the picture has transparency), its colours converted to sRGB from the
    profile it carries, and nothing else of what it carried: EXIF (GPS included), XMP, comments and
    the profile itself are gone, since browsers take untagged pictures as sRGB."""
    alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    mode = "RGBA" if alpha else "RGB"
    profile = image.info.get("icc_profile")
    converted: Image.Image | None = None
    if profile and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            output = mode if image.mode != "L" else "RGB"
            converted = ImageCms.profileToProfile(image, source, _srgb(), outputMode=output)
        except (ImageCms.PyCMSError, OSError, ValueError):
            converted = None  # a profile lcms cannot read: the pixels are taken as they are
    if converted is None:
        if image.mode == "I;16" or image.mode.startswith("I"):
            image = image.point(lambda value: value / 256).convert("L")
        converted = image.convert(mode)
    clean = converted if converted is not image else converted.copy()
    clean.info = {}
    return clean


def _renditions(picture: Image.Image, recipe: Recipe) -> Iterator[Rendered]:
    # Largest first, each made from the one before: a 320 px rendition is not resampled from 24 MP.
    current = picture
    for width, height in sorted(recipe.sizes(), reverse=True):
        current = current.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        current.info = {}
        for extension in recipe.formats:
            yield Rendered(
                name=f"{width}.{extension}",
                body=_encode(current, extension),
                content_type=content_type_of(extension),
            )
    for crop in recipe.crops:
        # Cropped from the decoded picture in its own coordinates (it may be a reduced draft).
        scale = picture.width / recipe.width
        box = tuple(round(edge * scale) for edge in crop.box)
        cut = picture.resize(crop.size, Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)  # type: ignore[arg-type]
        cut.info = {}
        yield Rendered(name=crop.name, body=_encode(cut, "jpg"), content_type=content_type_of("jpg"))


def _encode(image: Image.Image, extension: str) -> bytes:
    buffer = io.BytesIO()
    if extension == "jpg":
        flat = image
        if image.mode == "RGBA":
            flat = Image.new("RGB", image.size, _FLATTEN_ON)
            flat.paste(image, mask=image.getchannel("A"))
        flat.save(buffer, "JPEG", **_JPEG)
    elif extension == "webp":
        image.save(buffer, "WEBP", **_WEBP)
    elif extension == "avif":
        image.save(buffer, "AVIF", **_AVIF)
    else:
        raise ValueError(f"no encoder for {extension!r}")
    return buffer.getvalue()
