"""Images through the pipeline, in memory: an article waits for its image and goes live when it lands;
a replaced image re-renders the pages that show it; crops at an article's focus are asked for."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pressrun.follow import follow_article_change
from pressrun.images import MEDIA
from pressrun.imaging import PillowCodec
from pressrun.ingest import Change, Intake, Outcome, Upload, report_key
from pressrun.media import ImageLimits, ImageOutcome, ImageRequest, process_image, process_request
from pressrun.settings import SiteSettings
from tests.fakes import (
    MemoryArticles,
    MemoryImages,
    MemoryIndex,
    MemoryRedirects,
    MemorySite,
    MemoryUploads,
    RecordingAlerts,
    RecordingImageRequests,
    RecordingScheduler,
)
from tests.pictures import jpeg

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
SITE = SiteSettings(site_url="https://news.example.com")


def story(image: str = "hero.jpg", focus: str | None = None, body: str = "The body.") -> bytes:
    extra = f"image_focus: {focus}\n" if focus else ""
    return (
        "---\ntitle: Harbour Reopens\ndate: 2026-02-27\ncategories: [Local]\n"
        f"image: {image}\n"
        "image_alt: Boats in the harbour\nimage_caption: The harbour at dawn\n"
        "image_credit: A. Photographer\n"
        f"{extra}---\n{body}\n"
    ).encode()


@dataclass
class Newsroom:
    uploads: MemoryUploads = field(default_factory=MemoryUploads)
    articles: MemoryArticles = field(default_factory=MemoryArticles)
    images: MemoryImages = field(default_factory=MemoryImages)
    site: MemorySite = field(default_factory=MemorySite)
    index: MemoryIndex = field(default_factory=MemoryIndex)
    alerts: RecordingAlerts = field(default_factory=RecordingAlerts)
    requests: RecordingImageRequests = field(default_factory=RecordingImageRequests)
    sequencer: int = 0

    def intake(self) -> Intake:
        return Intake(self.uploads, self.articles, SITE, self.alerts, NOW, self.images, self.requests)

    def upload(self, key: str, data: bytes) -> Upload:
        self.sequencer += 1
        version = f"v{self.sequencer}"
        self.uploads.add(key, data, version_id=version)
        return Upload(
            bucket="uploads",
            key=key,
            version_id=version,
            sequencer=f"{self.sequencer:04X}",
            change=Change.CREATED,
            event_time=NOW,
            size=len(data),
        )

    def article(self, key: str, data: bytes) -> Outcome:
        before = self.articles.current(key)
        outcome = self.intake().accept(self.upload(key, data))
        self.follow(key, before)
        return outcome

    def image(self, key: str, data: bytes) -> ImageOutcome:
        before = {k: self.articles.current(k) for k in self.articles.records}
        outcome = process_image(self.upload(key, data), **self._image_ports())
        for k, old in before.items():
            self.follow(k, old)
        return outcome

    def requested(self) -> None:
        before = {k: self.articles.current(k) for k in self.articles.records}
        for key in self.requests.requested:
            process_request(ImageRequest(image=key), **self._image_ports())
        self.requests.requested.clear()
        for k, old in before.items():
            self.follow(k, old)

    def _image_ports(self) -> dict[str, object]:
        return {
            "uploads": self.uploads,
            "images": self.images,
            "site_store": self.site,
            "codec": PillowCodec(),
            "alerts": self.alerts,
            "intake": self.intake(),
            "limits": ImageLimits(max_bytes=SITE.max_image_bytes, max_pixels=SITE.max_image_pixels),
            "now": NOW,
        }

    def follow(self, key: str, old: object) -> None:
        new = self.articles.current(key)
        if new != old:
            follow_article_change(
                old,  # type: ignore[arg-type]
                new,
                uploads=self.uploads,
                site_store=self.site,
                index=self.index,
                scheduler=RecordingScheduler(),
                articles=self.articles,
                redirects=MemoryRedirects(),
                site=SITE,
                now=NOW,
            )

    def page(self) -> str:
        return self.site.objects["2026/02/27/harbour-reopens/index.html"].decode()


def test_an_article_whose_image_is_not_uploaded_yet_waits_and_goes_live_when_it_lands():
    room = Newsroom()
    # GIVEN an article naming an image nobody has uploaded
    assert room.article("incoming/harbour.md", story()) is Outcome.REJECTED
    report = room.uploads.reports[report_key("incoming/harbour.md")].decode()
    assert "'hero.jpg' (incoming/hero.jpg) is not uploaded yet" in report
    assert "waits" in report
    assert "waits for its images" in room.alerts.sent[-1][1]
    # WHEN the image lands
    assert room.image("incoming/hero.jpg", jpeg(1600, 1000)) is ImageOutcome.READY
    # THEN the article is live, with its figure, and its report is gone
    record = room.articles.current("incoming/harbour.md")
    assert record is not None
    assert record.is_live
    assert record.image is not None
    assert report_key("incoming/harbour.md") not in room.uploads.reports
    page = room.page()
    assert f"/media/{record.image.hash}/1600.avif" in page
    assert 'fetchpriority="high"' in page


def test_an_image_uploaded_first_is_used_at_once():
    room = Newsroom()
    room.image("incoming/hero.jpg", jpeg(1600, 1000))
    assert room.article("incoming/harbour.md", story()) is Outcome.PUBLISHED
    hash_ = room.images.current("incoming/hero.jpg").hash  # type: ignore[union-attr]
    assert f"media/{hash_}/og-50-50.jpg" in room.site.objects


def test_renditions_are_written_under_content_addressed_keys_and_never_upscaled():
    room = Newsroom()
    room.image("incoming/small.jpg", jpeg(700, 400))
    hash_ = room.images.current("incoming/small.jpg").hash  # type: ignore[union-attr]
    written = sorted(k.removeprefix(f"{MEDIA}{hash_}/") for k in room.site.objects)
    assert "700.avif" in written
    assert "700.webp" in written
    assert "700.jpg" in written
    assert not any(k.startswith("960.") for k in written)


def test_a_replaced_image_re_renders_the_pages_that_show_it():
    room = Newsroom()
    room.image("incoming/hero.jpg", jpeg(1600, 1000, seed=1))
    room.article("incoming/harbour.md", story())
    first = room.articles.current("incoming/harbour.md").image.hash  # type: ignore[union-attr]

    room.image("incoming/hero.jpg", jpeg(1600, 1000, seed=5))

    second = room.articles.current("incoming/harbour.md").image.hash  # type: ignore[union-attr]
    assert second != first
    assert f"/media/{second}/" in room.page()
    assert f"/media/{first}/" not in room.page()
    (entry,) = room.index.entries("site")
    assert entry.image is not None
    assert entry.image.hash == second


def test_an_article_with_its_own_focus_waits_for_its_crops_then_goes_live():
    room = Newsroom()
    room.image("incoming/hero.jpg", jpeg(2400, 1600))
    assert room.article("incoming/harbour.md", story(focus="0.2,0.5")) is Outcome.REJECTED
    assert room.requests.requested == ["incoming/hero.jpg"]
    room.requested()
    record = room.articles.current("incoming/harbour.md")
    assert record is not None
    assert record.is_live
    assert record.image is not None
    assert record.image.focus == "20-50"
    assert f"media/{record.image.hash}/og-20-50.jpg" in room.site.objects


def test_a_bad_image_is_reported_and_its_waiters_keep_waiting():
    room = Newsroom()
    room.article("incoming/harbour.md", story())
    assert room.image("incoming/hero.jpg", b"<html>not a photo</html>") is ImageOutcome.REJECTED
    assert "HTML" in room.uploads.reports[report_key("incoming/hero.jpg")].decode()
    assert room.alerts.sent
    assert room.alerts.sent[-1][0] == "incoming/hero.jpg"
    assert not any(key.startswith(MEDIA) for key in room.site.objects)
    assert room.articles.current("incoming/harbour.md").status == "rejected"  # type: ignore[union-attr]
    # A good upload of it then publishes the article.
    room.image("incoming/hero.jpg", jpeg(1200, 800))
    assert room.articles.current("incoming/harbour.md").is_live  # type: ignore[union-attr]
    assert report_key("incoming/hero.jpg") not in room.uploads.reports


def test_an_image_one_byte_over_the_limit_is_refused_from_its_size_alone():
    room = Newsroom()
    data = jpeg(400, 300)
    upload = room.upload("incoming/big.jpg", data).model_copy(update={"size": SITE.max_image_bytes + 1})
    room.uploads.objects.clear()  # not read: there would be nothing to read
    assert process_image(upload, **room._image_ports()) is ImageOutcome.REJECTED
    assert (
        "is 20,971,521 bytes; the limit is 20,971,520 bytes"
        in room.uploads.reports[report_key("incoming/big.jpg")].decode()
    )


def test_an_older_event_of_an_image_never_replaces_a_newer_one():
    room = Newsroom()
    old = room.upload("incoming/hero.jpg", jpeg(800, 600, seed=1))
    room.image("incoming/hero.jpg", jpeg(800, 600, seed=2))
    newest = room.images.current("incoming/hero.jpg")
    assert process_image(old, **room._image_ports()) is ImageOutcome.STALE
    assert room.images.current("incoming/hero.jpg") == newest


def test_an_external_image_url_is_refused():
    room = Newsroom()
    assert (
        room.article("incoming/harbour.md", story(image="https://elsewhere.example/x.jpg"))
        is Outcome.REJECTED
    )
    assert "another site" in room.uploads.reports[report_key("incoming/harbour.md")].decode()


def sweep_media(room: Newsroom, now: datetime) -> dict[str, int]:
    from pressrun.reconcile import Sweep
    from tests.fakes import MemoryFailedBatches, MemoryJournal

    sweep = Sweep(
        room.uploads,
        room.articles,
        room.index,
        room.site,
        RecordingScheduler(),
        MemoryJournal(),
        MemoryFailedBatches(),
        room.alerts,
        MemoryRedirects(),
        SITE,
        now,
        images=room.images,
    )
    sweep._collect_media(room.images, "")
    return sweep.checked


def test_renditions_nothing_shows_any_more_are_removed_by_the_sweep_after_the_grace_period():
    room = Newsroom()
    room.image("incoming/hero.jpg", jpeg(1600, 1000, seed=1))
    room.article("incoming/harbour.md", story())
    first = room.images.current("incoming/hero.jpg").hash  # type: ignore[union-attr]
    room.image("incoming/hero.jpg", jpeg(1600, 1000, seed=2))
    second = room.images.current("incoming/hero.jpg").hash  # type: ignore[union-attr]

    # Within the grace period nothing goes; the page may still be cached with the old picture.
    sweep_media(room, NOW)
    assert any(key.startswith(f"media/{first}/") for key in room.site.objects)

    # A day on, the old version's renditions go; the new ones, which the page shows, stay.
    checked = sweep_media(room, NOW + timedelta(days=2))
    assert checked["renditions removed"] > 0
    assert not any(key.startswith(f"media/{first}/") for key in room.site.objects)
    assert any(key.startswith(f"media/{second}/") for key in room.site.objects)


def test_unpublishing_the_only_article_that_shows_an_image_removes_its_renditions_in_time():
    room = Newsroom()
    room.image("incoming/hero.jpg", jpeg(1600, 1000))
    room.article("incoming/harbour.md", story())
    digest = room.images.current("incoming/hero.jpg").hash  # type: ignore[union-attr]
    before = room.articles.current("incoming/harbour.md")
    room.sequencer += 1
    room.intake().accept(
        Upload(
            bucket="uploads",
            key="incoming/harbour.md",
            version_id=None,
            sequencer=f"{room.sequencer:04X}",
            change=Change.DELETE_MARKER,
            event_time=NOW,
        )
    )
    room.follow("incoming/harbour.md", before)

    sweep_media(room, NOW + timedelta(days=2))

    assert not any(key.startswith(f"media/{digest}/") for key in room.site.objects)
    # Named again later, the image's renditions are made again while the article waits for them.
    assert room.article("incoming/harbour-2.md", story().replace(b"Harbour Reopens", b"Harbour Again")) is (
        Outcome.REJECTED
    )
    assert room.requests.requested == ["incoming/hero.jpg"]
    room.requested()
    assert room.articles.current("incoming/harbour-2.md").is_live  # type: ignore[union-attr]
    assert any(key.startswith(f"media/{digest}/") for key in room.site.objects)
