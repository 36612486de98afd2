"""Images editors upload beside their articles: what each is, its renditions, and who waits for it.

An image upload is judged from its bytes (`ImageCodec`, Pillow in `pressrun.imaging`), rendered into
content-addressed, immutable site objects, and recorded in the images table (newest S3 sequencer
wins, as for articles). An article that names an image not ready yet is refused for now and waits on
the image's record, like a slug waiter; when the image becomes ready its waiters are tried again
through the normal ingest code path, and when it is replaced the articles that use it are judged
again, so their pages and listing cards take the new renditions.

    media/<hash>/<width>.<avif|webp|jpg>     widths 320 … 2048, never wider than the source
    media/<hash>/<shape>-<focus>.jpg         og (1200x630), 16x9, 4x3, 1x1, around a focus point

`<hash>` is the SHA-256 of the source's bytes and the recipe's version: a new file, or a new recipe,
gets new addresses, so nothing published under `media/` ever changes and none of it is invalidated.
"""

from __future__ import annotations

import hashlib
import math
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict

from pressrun.model import Focus, ImageRef, ImageUse, Waiter

if TYPE_CHECKING:
    from pressrun.ports import ImageRepository

INCOMING = "incoming/"
MEDIA = "media/"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".avif", ".gif", ".heic", ".heif")
WIDTHS = (320, 640, 960, 1280, 1600, 2048)
FORMATS = ("avif", "webp", "jpg")
# Changes whenever what a rendition is made of changes (sizes, crops, encoder settings in imaging):
# every image then gets new addresses, and pages move to them as they are rendered again.
RECIPE_VERSION = "1"
# Crops: social previews (og:image, 1200x630) and the JSON-LD shapes Google's Article guidance asks
# for, each at least CROP_WIDTH wide when the source allows.
CROP_WIDTH = 1200
CROP_SHAPES: tuple[tuple[str, int, int], ...] = (
    ("og", 1200, 630),
    ("16x9", 16, 9),
    ("4x3", 4, 3),
    ("1x1", 1, 1),
)
_CONTENT_TYPES = {"avif": "image/avif", "webp": "image/webp", "jpg": "image/jpeg"}


class ImageRefused(Exception):
    """An upload that is no usable image, with the reason worded for the editor."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def is_image_key(key: str) -> bool:
    """Routed to the image function by its name (any case); what it is, the bytes decide."""
    return key.lower().endswith(IMAGE_SUFFIXES)


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def image_key(source_key: str, written: str) -> str:
    """The upload key an article's image path names: relative to the article's own folder, or to
    `incoming/` when it starts with '/'. `ValueError` with the editor's words when it cannot be one."""
    path = unquote(written.strip())
    if _SCHEME.match(path) or path.startswith("//"):
        raise ValueError(
            f"'{written}' is an image on another site; upload the image beside the article and name it by"
            " its file name (pages load only the site's own images)"
        )
    if not path or path.endswith("/"):
        raise ValueError(f"'{written}' names no image file")
    base = INCOMING if path.startswith("/") else posixpath.dirname(source_key) + "/"
    key = posixpath.normpath(base + path.lstrip("/"))
    if not key.startswith(INCOMING) or "\\" in path or "\0" in path:
        raise ValueError(f"'{written}' points outside the uploads folder")
    if not is_image_key(key):
        raise ValueError(f"'{written}' is not an image file name; name a {', '.join(IMAGE_SUFFIXES)} file")
    return key


def content_type_of(extension: str) -> str:
    return _CONTENT_TYPES[extension]


def source_hash(data: bytes) -> str:
    """The address of an image's renditions: its bytes and the recipe they were made with."""
    digest = hashlib.sha256(data)
    digest.update(f"\0recipe {RECIPE_VERSION}".encode())
    return digest.hexdigest()[:32]


def media_key(digest: str, name: str) -> str:
    return f"{MEDIA}{digest}/{name}"


# --- focus and crops ---------------------------------------------------------------------------------


CENTRE = Focus()


def crop_name(shape: str, focus: Focus) -> str:
    return f"{shape}-{focus.tag}.jpg"


@dataclass(frozen=True)
class CropSpec:
    """One crop: the box of the source it shows (in the source's upright pixels) and its size."""

    name: str
    box: tuple[int, int, int, int]
    size: tuple[int, int]


def crop_spec(shape: str, ratio: tuple[int, int], source: tuple[int, int], focus: Focus) -> CropSpec:
    """The largest box of the ratio that fits the source, centred on the focus as far as the edges
    allow, scaled to CROP_WIDTH (never up)."""
    width, height = source
    aspect = ratio[0] / ratio[1]
    box_w, box_h = (
        (height * aspect, float(height)) if width / height > aspect else (float(width), width / aspect)
    )
    left = min(max(focus.x * width - box_w / 2, 0.0), width - box_w)
    top = min(max(focus.y * height - box_h / 2, 0.0), height - box_h)
    out_w = max(1, min(CROP_WIDTH, math.floor(box_w)))
    out_h = max(1, round(out_w / aspect))
    box = (round(left), round(top), round(left + box_w), round(top + box_h))
    return CropSpec(name=crop_name(shape, focus), box=box, size=(out_w, out_h))


def rendition_widths(width: int) -> tuple[int, ...]:
    """The standard widths below the source's, and the source's own up to the widest: never upscaled."""
    return tuple(sorted({w for w in WIDTHS if w < width} | {min(width, WIDTHS[-1])}))


class SourceImage(BaseModel):
    """What a file is, read from its header: its format and its upright size."""

    model_config = ConfigDict(frozen=True)

    format: str
    width: int
    height: int


class Recipe(BaseModel):
    """What to make of one source: renditions at `widths` in `formats`, and `crops`. `decode_at` is
    the least size the source must be decoded at for all of it (None: its full size)."""

    model_config = ConfigDict(frozen=True)

    width: int
    height: int
    widths: tuple[int, ...] = ()
    formats: tuple[str, ...] = FORMATS
    crops: tuple[CropSpec, ...] = ()
    decode_at: tuple[int, int] | None = None

    def sizes(self) -> list[tuple[int, int]]:
        return [(w, max(1, round(w * self.height / self.width))) for w in self.widths]


def plan(source: SourceImage, focuses: Iterable[Focus], renditions: bool = True) -> Recipe:
    """The renditions (unless only crops are wanted) and every crop shape at each focus."""
    size = (source.width, source.height)
    crops = tuple(
        crop_spec(shape, (rw, rh), size, focus)
        for focus in dict.fromkeys(focuses)
        for shape, rw, rh in CROP_SHAPES
    )
    widths = rendition_widths(source.width) if renditions else ()
    # Every output's pixels must come from at least as many source pixels: the widest rendition, and
    # each crop's box scaled to its output.
    scale = max(
        [w / source.width for w in widths]
        + [min(1.0, crop.size[0] / (crop.box[2] - crop.box[0])) for crop in crops]
        + [0.0]
    )
    decode_at = None
    if 0 < scale < 1:
        decode_at = (math.ceil(source.width * scale), math.ceil(source.height * scale))
    return Recipe(width=source.width, height=source.height, widths=widths, crops=crops, decode_at=decode_at)


class Rendered(BaseModel):
    """One output of a recipe: its file name under `media/<hash>/`, bytes and type."""

    model_config = ConfigDict(frozen=True)

    name: str
    body: bytes
    content_type: str


# --- the images table ----------------------------------------------------------------------------------

ImageStatus = Literal["ready", "rejected", "removed", "missing"]


class Retired(BaseModel):
    model_config = ConfigDict(frozen=True)

    hash: str
    since: datetime


class ImageRecord(BaseModel):
    """One image upload as the images table holds it.

    `missing` is the placeholder an article makes when it names an image that was never uploaded:
    it holds the article's waiter until the image comes. Every write is conditional on `revision`,
    so waiters added while the image is being processed are never lost.
    """

    model_config = ConfigDict(frozen=True)

    source_key: str
    source_version: str | None = None
    # The padded S3 sequencer of the newest event recorded ('' for a placeholder).
    sequencer: str = ""
    status: ImageStatus
    format: str = ""
    hash: str = ""
    width: int = 0
    height: int = 0
    # The widths written under media/<hash>/, and the focus points whose crops are written.
    widths: tuple[int, ...] = ()
    crops: tuple[str, ...] = ()
    # Focus points articles asked for that have no crops yet.
    wanted: tuple[str, ...] = ()
    # Why the newest upload was refused.
    problem: str = ""
    # Uploads of articles refused while they waited for this image: tried again when it is ready.
    waiters: tuple[Waiter, ...] = ()
    # Waiters the write that made the image ready took over, kept with it until they have been tried,
    # so that a redelivered event finishes trying them if the first attempt failed part-way.
    pending_waiters: tuple[Waiter, ...] = ()
    # Articles whose records use this image: judged again when it is replaced or removed.
    users: tuple[str, ...] = ()
    # Earlier versions' renditions (their hashes, and since when no version of the image has them):
    # pages may still show them until their articles are judged again; the sweep removes them once no
    # article shows them any more and MEDIA_GRACE has passed.
    retired: tuple[Retired, ...] = ()
    revision: int = 0
    changed_at: datetime | None = None

    @property
    def is_ready(self) -> bool:
        return self.status == "ready"

    @property
    def has_renditions(self) -> bool:
        """Ready and its renditions in place (the sweep removes those nothing shows any more)."""
        return self.is_ready and bool(self.widths)

    def use(self, focus: Focus) -> ImageUse:
        return ImageUse(
            key=self.source_key,
            hash=self.hash,
            width=self.width,
            height=self.height,
            widths=self.widths,
            focus=focus.tag,
        )


# --- what an article needs of its images -----------------------------------------------------------------


@dataclass(frozen=True)
class Wait:
    """An image an article cannot be published without yet, and why, for its report."""

    ref: ImageRef
    record: ImageRecord | None

    @property
    def needs_crops(self) -> bool:
        return self.record is not None and self.record.is_ready

    def message(self) -> str:
        where = f"'{self.ref.written}' ({self.ref.key})"
        record = self.record
        if record is None or record.status in ("missing", "removed"):
            return (
                f"{where} is not uploaded yet; this article waits for it and goes live by itself once it is"
            )
        if record.status == "rejected":
            return (
                f"{where} was refused: {record.problem}. This article waits for a good upload of it and"
                " goes live by itself then"
            )
        return f"{where} is being prepared; this article waits for it and goes live by itself in a moment"


def resolve(refs: Iterable[ImageRef], images: ImageRepository) -> tuple[list[ImageUse], list[Wait]]:
    """What each image gives the article now: its use, or why the article has to wait for it."""
    uses: list[ImageUse] = []
    waits: list[Wait] = []
    for ref in refs:
        record = images.current(ref.key)
        focus = ref.focus or CENTRE
        if record is not None and record.has_renditions and (not ref.lead or focus.tag in record.crops):
            uses.append(record.use(focus))
        else:
            waits.append(Wait(ref, record))
    return uses, waits


# Writes to one image's record race only with other deliveries for it; a few tries settle them.
_ATTEMPTS = 5


class ImageKeptChanging(Exception):
    """The image's record kept changing while it was written; the message goes back to the queue."""


def update_image(
    images: ImageRepository, key: str, change: Callable[[ImageRecord | None], ImageRecord | None]
) -> ImageRecord | None:
    """Apply `change` to the record as read, conditionally on it, until the write holds; the record
    as written (None when `change` wanted nothing written)."""
    for _ in range(_ATTEMPTS):
        current = images.current(key)
        wanted = change(current)
        if wanted is None:
            return None
        if images.save(wanted, current):
            return wanted.model_copy(update={"revision": (current.revision if current else 0) + 1})
    raise ImageKeptChanging(f"{key} kept changing while it was written")


def wait_for(images: ImageRepository, wait: Wait, waiter: Waiter) -> bool:
    """Queue the article's upload on the image, and the focus it needs crops at; whether the image
    is ready and has renditions or crops to make for it, which the image function is then asked to do."""
    focus = (wait.ref.focus or CENTRE).tag

    def change(current: ImageRecord | None) -> ImageRecord | None:
        base = current or ImageRecord(source_key=wait.ref.key, status="missing")
        waiters = (*(w for w in base.waiters if w.source_key != waiter.source_key), waiter)
        wanted = base.wanted
        if wait.ref.lead and focus not in base.crops and focus not in wanted:
            wanted = (*wanted, focus)
        if waiters == base.waiters and wanted == base.wanted:
            return None
        return base.model_copy(update={"waiters": waiters, "wanted": wanted})

    written = update_image(images, wait.ref.key, change) or images.current(wait.ref.key)
    return written is not None and written.is_ready and (bool(written.wanted) or not written.widths)


def add_user(images: ImageRepository, image_key: str, source_key: str) -> None:
    """Note that an article's record uses the image, before that record is written: a replaced image
    then finds every article to judge again (a user noted for a write that did not happen is
    harmless: judged again, it changes nothing, and is dropped)."""

    def change(current: ImageRecord | None) -> ImageRecord | None:
        if current is None or source_key in current.users:
            return None
        return current.model_copy(update={"users": (*current.users, source_key)})

    update_image(images, image_key, change)


def drop_user(images: ImageRepository, image_key: str, source_key: str) -> None:
    def change(current: ImageRecord | None) -> ImageRecord | None:
        if current is None or source_key not in current.users:
            return None
        return current.model_copy(update={"users": tuple(u for u in current.users if u != source_key)})

    update_image(images, image_key, change)


def finished(images: ImageRepository, key: str, tried: Iterable[Waiter]) -> None:
    """Forget the pending waiters that have been tried; waiters queued meanwhile stay queued."""
    done = set(tried)

    def change(current: ImageRecord | None) -> ImageRecord | None:
        if current is None or not done & set(current.pending_waiters):
            return None
        pending = tuple(w for w in current.pending_waiters if w not in done)
        return current.model_copy(update={"pending_waiters": pending})

    update_image(images, key, change)


# How long renditions nothing shows any more stay: pages and feeds cached before their article changed
# (a reader's browser, a feed reader, a crawler's queue) may still ask for them for a while.
MEDIA_GRACE = timedelta(days=1)


def unshown(record: ImageRecord, shown: set[str], now: datetime, grace: timedelta) -> list[str]:
    """The hashes of this image's renditions that no article's record shows (`shown`: every hash the
    records of its users show) and that have been so for the grace period: the current version's when
    the image was removed, or nobody has used it since it changed, and every retired one's."""
    candidates = [(retired.hash, retired.since) for retired in record.retired]
    if record.hash and record.widths and record.changed_at is not None:
        candidates.append((record.hash, record.changed_at))
    return [digest for digest, since in candidates if digest not in shown and since <= now - grace]


def forget_renditions(images: ImageRepository, key: str, removed: set[str]) -> None:
    """Note that these hashes' renditions are gone: an article that names the image later waits
    while its renditions are made again (the validator asks for them)."""

    def change(current: ImageRecord | None) -> ImageRecord | None:
        if current is None:
            return None
        update: dict[str, object] = {"retired": tuple(r for r in current.retired if r.hash not in removed)}
        if current.hash in removed:
            update |= {"widths": (), "crops": ()}
        return current.model_copy(update=update)

    update_image(images, key, change)
