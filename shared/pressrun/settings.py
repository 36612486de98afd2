"""The one source of settings: environment variables, the same names template.yaml sets."""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated, Self
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from pressrun.invalidation import InvalidationMode


class SiteSettings(BaseSettings):
    """What the domain needs to know about the site: names, address, locale, limits."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    site_name: str = "OpenVoiceNews U.K."
    site_tagline: str = "Transparent. Unbiased. Yours."
    site_url: str = "http://localhost:8000"
    site_language: str = "en-GB"
    site_timezone: str = "Europe/London"
    # The site's sections, comma-separated. Empty means any category is accepted.
    site_categories: Annotated[tuple[str, ...], NoDecode] = ()
    max_upload_bytes: int = Field(default=1024 * 1024, gt=0)
    listing_size: int = Field(default=20, gt=0)
    # URLs per sitemap file; past it, /sitemap.xml becomes an index of numbered sitemaps. The protocol
    # allows 50,000, but a publish rewrites the newest file whole: small files keep that cheap.
    sitemap_size: int = Field(default=1_000, gt=0, le=50_000)
    # How long the CDN and browsers keep listings (home, sections, feeds, sitemaps) before asking
    # again: a new story appears on them within this time without costing an invalidation.
    listing_freshness_seconds: int = Field(default=60, ge=0, le=3600)
    # A folder of templates that replace the built-in ones of the same name.
    theme_dir: str = ""
    # Images: the largest upload read (decided from the event's size first), and the most pixels one
    # may declare, which keeps a small file that decompresses into gigabytes from being decoded.
    max_image_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_image_pixels: int = Field(default=50_000_000, gt=0)
    # The publisher's logo (JSON-LD publisher.logo, the home page's og:image): a path on the site or
    # a URL. The default is the built-in logo (or the theme's logo.png), written with the stylesheet.
    site_logo: str = "/logo.png"
    # A WebSub hub (https://www.w3.org/TR/websub/) the feeds name, so that subscribers hear of a new
    # story when it is published instead of polling. Empty: the feeds name none.
    websub_hub: str = ""
    # IndexNow (pressrun.pings): the endpoint told of every story that goes live, changes or goes,
    # e.g. https://api.indexnow.org/indexnow. Empty: nobody is told. The key proves the site is ours:
    # it is served at /<key>.txt, 8 to 128 letters, digits and dashes.
    indexnow_endpoint: str = ""
    indexnow_key: str = ""
    # How long after a writer asks for a ping its writes are surely made: its timeout and a margin.
    # The ping waits that, and then as long as the CDN takes to serve the change (pings.delay_seconds).
    # 0: no CDN in front of the site (the local engine, the emulated stack), nothing to wait for.
    ping_delay_seconds: int = Field(default=0, ge=0, le=900)
    # The invalidation queue's batching window (template parameter InvalidationWindowSeconds): part of
    # how long a corrected story takes to reach readers, so of how long its ping waits.
    invalidation_window_seconds: int = Field(default=10, ge=0, le=300)
    # Search (pressrun.search): the bundle is built again at most this often, and only when the site
    # changed; a burst of stories costs one build.
    search_index_interval_minutes: int = Field(default=5, ge=1, le=1440)
    # How long a draft's or scheduled story's private preview answers (pressrun.previews). Whole days:
    # the site bucket's lifecycle rule on preview/ expires objects after as many days.
    preview_lifetime_days: int = Field(default=7, ge=1, le=365)

    @field_validator("site_categories", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(name.strip() for name in value.split(",") if name.strip())
        return value

    @field_validator("indexnow_key")
    @classmethod
    def _indexnow_key(cls, value: str) -> str:
        if value and not re.fullmatch(r"[a-zA-Z0-9-]{8,128}", value):
            raise ValueError("an IndexNow key is 8 to 128 letters (a-z, A-Z), digits and dashes")
        return value

    @model_validator(mode="after")
    def _indexnow_needs_a_key(self) -> Self:
        if self.indexnow_endpoint and not self.indexnow_key:
            raise ValueError("INDEXNOW_ENDPOINT needs INDEXNOW_KEY: the key file proves the site is ours")
        return self

    @field_validator("site_url")
    @classmethod
    def _without_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("site_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone, at cold start rather than mid-publish
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.site_timezone)


class StackSettings(SiteSettings):
    """The site plus the names of the stack's resources, as the functions receive them."""

    uploads_bucket: str
    site_bucket: str
    articles_table: str
    slugs_table: str
    index_table: str
    images_table: str
    distribution_id: str
    # `paths` invalidates the changed URLs; `tags` the changed objects' cache tags (the distribution
    # then needs CacheTagConfig, which the template's InvalidationMode parameter turns on with this).
    invalidation_mode: InvalidationMode = "paths"
    editor_alerts_topic: str
    # Only the scheduling function is given these: they name the function that schedules call.
    schedule_group: str = ""
    scheduler_role_arn: str = ""
    release_function_arn: str = ""
    schedule_dead_letter_arn: str = ""
    # Only the rebuild function is given it: where it queues the jobs of a full re-render.
    rebuild_queue_url: str = ""
    # Only the functions that write to the site bucket are given it: where they ask for invalidations.
    invalidation_queue_url: str = ""
    # Given with it: how long each request waits in the queue, longer than the function may run, so
    # that the invalidation is made after every write of the invocation that asked (SQS's DelaySeconds,
    # at most 15 minutes).
    invalidation_delay_seconds: int = Field(default=0, ge=0, le=900)
    # Only the functions that keep the site's redirects are given these: the table that knows who points
    # where, and the CloudFront KeyValueStore the viewer-request function reads (empty where there is
    # no CloudFront: `pressrun dev`).
    redirects_table: str = ""
    redirect_store_arn: str = ""
    # Only the validator is given it: where it asks the image function for crops at an article's focus.
    image_queue_url: str = ""
    # Only the functions whose writes readers are told of (pressrun.pings) are given it: where they
    # queue the pings, and the function that sends them.
    ping_queue_url: str = ""
    # Only the reconciliation sweep is given it: the stream consumers' on-failure destination.
    stream_failure_queue_url: str = ""
    # Only the release function is given it: Powertools idempotency records, keyed by article version.
    idempotency_table: str = ""
    # For local runs and tests: the time the pipeline takes as now (`pressrun publish --now`).
    pressrun_now: AwareDatetime | None = None


@cache
def stack_settings() -> StackSettings:
    """Read once per cold start."""
    return StackSettings()  # pydantic-settings fills the required fields from the environment


@cache
def site_settings() -> SiteSettings:
    return SiteSettings()
