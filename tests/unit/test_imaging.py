"""The image reader (Pillow behind `PillowCodec`): any bytes give an image or a clear refusal, never
another exception; what it publishes is upright, sRGB, and carries nothing of the original's metadata."""

from __future__ import annotations

import io
import resource
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms

from pressrun.images import CENTRE, ImageRefused, Rendered, plan
from pressrun.imaging import PillowCodec
from pressrun.model import Focus
from tests.pictures import GPS_IFD, encoded, jpeg, png, scene

MAX_PIXELS = 50_000_000
codec = PillowCodec()


def rendered(data: bytes, focus: Focus = CENTRE) -> dict[str, bytes]:
    source = codec.inspect(data, MAX_PIXELS)
    return {out.name: out.body for out in codec.render(data, MAX_PIXELS, plan(source, [focus]))}


def inspect_and_render(data: bytes, max_pixels: int) -> None:
    source = codec.inspect(data, max_pixels)
    list(codec.render(data, max_pixels, plan(source, [CENTRE])))


def refusal(data: bytes, max_pixels: int = MAX_PIXELS) -> str:
    with pytest.raises(ImageRefused) as refused:
        inspect_and_render(data, max_pixels)
    return refused.value.message


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares a size its few bytes could never hold: a decompression bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


# --- bad input: a clear refusal each ------------------------------------------------------------------


def test_a_truncated_jpeg_is_refused_as_damaged():
    data = jpeg(1200, 800)
    assert "damaged or cut short" in refusal(data[: len(data) // 2])


def test_a_png_declaring_100000_by_100000_pixels_is_refused_before_decoding():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    message = refusal(png_declaring(100_000, 100_000))
    assert "100,000 × 100,000" in message
    assert "50 megapixels" in message
    # Nothing was decoded: the process grew by far less than the 30 GB the pixels would take.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024


def test_a_jpg_that_is_really_html_is_refused_as_text():
    assert "HTML" in refusal(b"<!doctype html><html><body><img src=x onerror=alert(1)></body></html>")


def test_an_svg_is_refused_because_it_can_carry_script():
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert "SVG" in refusal(svg)
    assert "script" in refusal(svg)


def test_a_file_of_another_format_is_refused_with_the_formats_accepted():
    assert "JPEG, PNG, WebP, AVIF, GIF" in refusal(encoded(scene(64, 64), "BMP"))


def test_an_empty_file_is_refused():
    assert refusal(b"")


# --- what is published --------------------------------------------------------------------------------


def test_a_published_rendition_keeps_no_exif_gps_xmp_or_profile():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = jpeg(1600, 1000, gps=True, icc=srgb)
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(GPS_IFD)  # the upload did carry a position

    for name, body in rendered(data).items():
        with Image.open(io.BytesIO(body)) as published:
            exif = published.getexif()
            assert not exif.get_ifd(GPS_IFD), name
            assert len(exif) == 0, name
            assert "xmp" not in published.info, name
            assert "XML:com.adobe.xmp" not in published.info, name
            assert "icc_profile" not in published.info, name
            assert "exif" not in published.info, name


def test_orientation_is_applied_so_a_phone_portrait_is_published_upright():
    # Stored landscape, tagged "rotate 90° clockwise to show": readers must get a portrait.
    data = jpeg(1200, 800, orientation=6)
    assert codec.inspect(data, MAX_PIXELS).width == 800
    with Image.open(io.BytesIO(rendered(data)["640.jpg"])) as published:
        assert published.size == (640, 960)


def test_a_picture_tagged_with_a_profile_is_converted_through_it_and_published_untagged():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    red = encoded(Image.new("RGB", (400, 300), (220, 20, 20)), "JPEG", quality=95, icc_profile=srgb)
    with Image.open(io.BytesIO(rendered(red)["320.jpg"])) as published:
        r, g, b = published.convert("RGB").getpixel((160, 120))  # type: ignore[misc]
        assert r > 200
        assert g < 40
        assert b < 40


def test_widths_are_never_upscaled_and_the_source_width_is_the_widest():
    names = rendered(jpeg(700, 500))
    assert {"320.jpg", "640.jpg", "700.jpg", "700.avif", "700.webp"} <= set(names)
    assert not any(name.startswith(("960.", "2048.")) for name in names)


def test_every_format_the_issue_accepts_is_read(tmp_path):
    picture = scene(500, 400)
    for fmt in ("PNG", "WEBP", "AVIF", "GIF", "JPEG"):
        assert codec.inspect(encoded(picture if fmt != "GIF" else picture.convert("P"), fmt), MAX_PIXELS)


def test_a_transparent_png_is_flattened_on_white_for_the_jpeg_fallback():
    with Image.open(io.BytesIO(rendered(png(600, 400, alpha=True))["320.jpg"])) as published:
        assert published.mode == "RGB"


def test_crops_are_the_sizes_previews_ask_for_around_the_focus():
    out = rendered(jpeg(2400, 1600), Focus(x=0.2, y=0.5))
    sizes = {}
    for name in ("og-20-50.jpg", "16x9-20-50.jpg", "4x3-20-50.jpg", "1x1-20-50.jpg"):
        with Image.open(io.BytesIO(out[name])) as crop:
            sizes[name] = crop.size
    assert sizes == {
        "og-20-50.jpg": (1200, 630),
        "16x9-20-50.jpg": (1200, 675),
        "4x3-20-50.jpg": (1200, 900),
        "1x1-20-50.jpg": (1200, 1200),
    }


def test_a_crop_keeps_the_focus_in_view_as_far_as_the_edges_allow():
    source = codec.inspect(jpeg(3000, 1000), MAX_PIXELS)
    square = {c.name: c.box for c in plan(source, [Focus(x=0.9, y=0.5)], renditions=False).crops}
    assert square["1x1-90-50.jpg"] == (2000, 0, 3000, 1000)  # against the right edge
    centred = {c.name: c.box for c in plan(source, [CENTRE], renditions=False).crops}
    assert centred["1x1-50-50.jpg"] == (1000, 0, 2000, 1000)


# --- fuzz -----------------------------------------------------------------------------------------------

_SEEDS = [
    jpeg(64, 48, gps=False),
    png(40, 30),
    encoded(scene(40, 30), "WEBP"),
    encoded(scene(32, 24).convert("P"), "GIF"),
]


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A real image's bytes, cut, flipped or spliced: what reaches a decoder's corners."""
    data = bytearray(draw(st.sampled_from(_SEEDS)))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    cut = draw(st.integers(0, len(data)))
    return bytes(data[:cut]) + draw(st.binary(max_size=64))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=2048), damaged()))
def test_any_bytes_give_an_image_or_a_clear_refusal(data: bytes):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    outputs: list[Rendered] = []
    message = ""
    try:
        source = codec.inspect(data, 1_000_000)
        outputs = list(codec.render(data, 1_000_000, plan(source, [CENTRE])))
    except ImageRefused as refused:
        message = refused.message
    # Either renditions or the words of a refusal, never both and never neither.
    assert bool(message) != bool(outputs)
    assert all(output.body for output in outputs)
    # Bounded: at most a megapixel was ever decoded.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024


def test_the_samples_photos_are_the_ones_the_generator_makes(tmp_path):
    from tests.conftest import ROOT
    from tests.pictures import SAMPLE_PHOTOS, write_samples

    write_samples(tmp_path)
    for name in SAMPLE_PHOTOS:
        assert (tmp_path / name).read_bytes() == (ROOT / "samples" / name).read_bytes(), name
