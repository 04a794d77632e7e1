"""SQLAlchemy 2 typed models. Alembic (``migrations/``) owns the schema; this module is its source.

Append-only tables (safety_verdicts, quota_ledger, moderation_events, licence_acceptances) are never updated in
place: history is the point of them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC, so SQLite and PostgreSQL read back the same value."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accounts: Mapped[list[PlatformAccount]] = relationship(back_populates="user")


class PlatformAccount(Base):
    __tablename__ = "platform_accounts"
    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_platform_account"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    # How the platform shows this member (refreshed whenever they use the bot), so moderators read a name instead of
    # "user #4", and can name a member by @username.
    display_name: Mapped[str | None] = mapped_column(String(200))
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    user: Mapped[User] = relationship(back_populates="accounts")


class LicenceAcceptance(Base):
    __tablename__ = "licence_acceptances"
    __table_args__ = (Index("ix_licence_acceptance_lookup", "user_id", "licence_id", "text_sha256"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    licence_id: Mapped[str] = mapped_column(String(64))
    licence_version: Mapped[str] = mapped_column(String(32))
    text_sha256: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(32))
    platform_message_id: Mapped[str | None] = mapped_column(String(64))
    app_version: Mapped[str] = mapped_column(String(32))
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)


class JobRow(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_user_created", "user_id", "created_at"),
        Index("ix_jobs_status", "status"),
    )
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    platform: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str | None] = mapped_column(String(64))
    requester_external_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(200))
    queue: Mapped[str] = mapped_column(String(200))
    prompt: Mapped[str] = mapped_column(Text)
    negative_prompt: Mapped[str] = mapped_column(Text, default="")
    seed: Mapped[int] = mapped_column(BigInteger)
    steps: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    cfg: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)
    nsfw_allowed: Mapped[bool] = mapped_column(default=False)
    prompt_review: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str | None] = mapped_column(String(8))  # the requester's catalogue language: the result's
    kind: Mapped[str] = mapped_column(String(16), default="txt2img")  # txt2img | img2img | inpaint | upscale
    sampler: Mapped[str] = mapped_column(String(16), default="default")
    style: Mapped[str | None] = mapped_column(String(64))
    input_path: Mapped[str | None] = mapped_column(Text)  # the (EXIF-free) input picture of img2img/inpaint/upscale
    mask_box: Mapped[str | None] = mapped_column(String(64))  # "x,y,w,h" to repaint
    mask_path: Mapped[str | None] = mapped_column(Text)  # or a mask picture: white is repainted
    strength: Mapped[float | None] = mapped_column(Float)
    upscale_factor: Mapped[int | None] = mapped_column(Integer)
    style_image_path: Mapped[str | None] = mapped_column(Text)  # the (EXIF-free) style reference (IP-Adapter)
    style_strength: Mapped[float | None] = mapped_column(Float)  # its IP-Adapter scale
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(200))  # the worker process that holds a running job
    enqueued_at: Mapped[datetime | None]  # when the job was last handed to the broker (the reconciler's clock)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    images: Mapped[list[ImageRow]] = relationship(back_populates="job", order_by="ImageRow.idx")


class ImageRow(Base):
    __tablename__ = "images"
    __table_args__ = (UniqueConstraint("job_id", "idx", name="uq_image_job_idx"),
                      UniqueConstraint("mark_id", name="uq_image_mark_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"))
    idx: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str | None] = mapped_column(Text)  # NULL for blocked pictures: they are never written out
    decision: Mapped[str] = mapped_column(String(16))
    nsfw_score: Mapped[float | None] = mapped_column(Float)
    # The invisible provenance mark: its id (12 hex digits, what /verify reads back) and whether one could be embedded
    # ("robust" | "fragile" | "none" = no mark could be embedded).
    mark_id: Mapped[str | None] = mapped_column(String(16))
    mark_status: Mapped[str | None] = mapped_column(String(16))
    # C2PA content credentials: "signed", "no content credentials: REASON", or NULL (no signing certificate set).
    credentials: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    job: Mapped[JobRow] = relationship(back_populates="images")


class SafetyVerdictRow(Base):
    __tablename__ = "safety_verdicts"
    __table_args__ = (Index("ix_verdicts_user_created", "user_id", "created_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(16))  # "prompt" | "image"
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    job_id: Mapped[str | None] = mapped_column(String(16), index=True)
    image_idx: Mapped[int | None] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(16))
    categories: Mapped[list[Any]] = mapped_column(default=list)
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    checker: Mapped[str] = mapped_column(String(64))
    checker_version: Mapped[str] = mapped_column(String(32))
    prompt_text: Mapped[str | None] = mapped_column(Text)  # purged after the retention period (privacy)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuotaLedgerRow(Base):
    __tablename__ = "quota_ledger"
    __table_args__ = (Index("ix_quota_user_period", "user_id", "period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    delta: Mapped[int] = mapped_column(Integer)  # pictures used: +n reserves, -n refunds
    reason: Mapped[str] = mapped_column(String(32))
    job_id: Mapped[str | None] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(10))  # the UTC day the charge counts against, YYYY-MM-DD
    # When the charge counts (a refund carries its reservation's time), for the rolling-window quota.
    charged_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModerationEventRow(Base):
    """Append-only: a decision is never edited, a later event supersedes it (unban after ban, appeal_upheld…)."""

    __tablename__ = "moderation_events"
    __table_args__ = (
        Index("ix_moderation_target_job", "target_job_id", "target_image_idx"),
        # One report per member per picture, even when they double-tap Report (two presses handled at once).
        Index("uq_moderation_one_report", "actor_user_id", "target_job_id", "target_image_idx", unique=True,
              sqlite_where=text("action = 'report'"), postgresql_where=text("action = 'report'")),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(100))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    target_job_id: Mapped[str | None] = mapped_column(String(16))
    target_image_idx: Mapped[int | None] = mapped_column(Integer)
    related_event_id: Mapped[int | None] = mapped_column(Integer)  # the strike/appeal/report this one answers
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LinkCodeRow(Base):
    """One-time codes for joining accounts across platforms; only the hash is stored."""

    __tablename__ = "link_codes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    platform: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class AccountLinkRow(Base):
    """Append-only history of which user a platform account belonged to (link and unlink keep all history)."""

    __tablename__ = "account_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("platform_accounts.id"), index=True)
    from_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(16))  # "link" | "unlink"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeliveryRow(Base):
    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), unique=True)
    platform: Mapped[str] = mapped_column(String(32))
    claimed_by: Mapped[str] = mapped_column(String(100))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    message_ids: Mapped[list[Any]] = mapped_column(default=list)
    # The picture numbers (0-based) the post showed, in order: a moderator's decision edits only that picture.
    pictures: Mapped[list[Any]] = mapped_column(default=list)


class ChatSettingRow(Base):
    """Per-chat settings an operator or a group admin sets (a guild's moderators' channel, a group's policy)."""

    __tablename__ = "chat_settings"
    __table_args__ = (UniqueConstraint("platform", "scope_id", "key", name="uq_chat_setting"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    scope_id: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MemberPreferenceRow(Base):
    """A member's own defaults for /imagine (style, sampler, size, steps, negative), set with /prefs. Keyed by the
    user, not the platform account, so linked accounts share them."""

    __tablename__ = "member_preferences"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_member_preference"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkerRow(Base):
    """Which worker process serves which models, refreshed by a heartbeat: a request for a model nobody serves is
    refused at submit instead of waiting forever."""

    __tablename__ = "workers"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    models: Mapped[list[Any]] = mapped_column(default=list)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)


class WebLoginTokenRow(Base):
    """A one-time sign-in link for the moderation web console: only the token's hash is stored; it is used once
    (``used_at``) and expires. ``chats`` lists the ``platform:chat_id`` the moderator may see; ``admin`` sees all."""

    __tablename__ = "web_login_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(64))
    admin: Mapped[bool] = mapped_column(default=False)
    chats: Mapped[list[Any]] = mapped_column(default=list)
    issued_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WebSessionRow(Base):
    """A signed-in browser: the cookie carries the session id (signed); the database keeps only its hash, the grant
    copied from the link, and when it ends (sign-out sets ``ended_at``)."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("web_login_tokens.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(64))
    admin: Mapped[bool] = mapped_column(default=False)
    chats: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
