"""SQL for the moderation web console (:mod:`core.web_console`): sign-in tokens and sessions (hashes only), and the
read-side queries behind its pages, each limited to the chats a moderator may see."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true, update
from sqlalchemy.orm import Session, sessionmaker

from core.storage.models import (
    ImageRow,
    JobRow,
    ModerationEventRow,
    PlatformAccount,
    SafetyVerdictRow,
    User,
    WebLoginTokenRow,
    WebSessionRow,
)
from core.storage.moderation_repo import _event
from core.web_console import AuditFilter, Case, Dashboard, Grant, JobLine
from safety.moderation import Event

_DECIDED = ("approve", "remove")


def _in_scope(grant: Grant) -> ColumnElement[bool]:
    """Jobs of the chats the grant covers (everything for an operator)."""
    if grant.admin:
        return true()
    pairs = [chat.split(":", 1) for chat in sorted(grant.chats)]
    if not pairs:
        return false()
    return or_(*[and_(JobRow.platform == platform, JobRow.chat_id == chat) for platform, chat in pairs])


def _grant(row: WebLoginTokenRow | WebSessionRow) -> Grant:
    return Grant(row.user_id, row.platform, row.external_id, row.admin, frozenset(str(c) for c in row.chats or []))


class SqlWebConsoleRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    # --- sign-in --------------------------------------------------------------------------------------------------

    def add_login_token(self, token_sha256: str, grant: Grant, issued_by: str, *, now: datetime,
                        expires_at: datetime) -> None:
        with self.sessions.begin() as s:
            s.add(WebLoginTokenRow(token_sha256=token_sha256, user_id=grant.user_id, platform=grant.platform,
                                   external_id=grant.external_id, admin=grant.admin, chats=sorted(grant.chats),
                                   issued_by=issued_by[:100], created_at=now, expires_at=expires_at))

    def redeem_login_token(self, token_sha256: str, *, now: datetime) -> tuple[int, Grant] | None:
        """Use a token once: a conditional update, so two browsers racing on one link cannot both sign in."""
        with self.sessions.begin() as s:
            row = s.scalars(select(WebLoginTokenRow).where(WebLoginTokenRow.token_sha256 == token_sha256)).first()
            if row is None or row.used_at is not None or row.expires_at <= now:
                return None
            won = s.scalar(update(WebLoginTokenRow)
                           .where(WebLoginTokenRow.id == row.id, WebLoginTokenRow.used_at.is_(None))
                           .values(used_at=now).returning(WebLoginTokenRow.id))
            return (row.id, _grant(row)) if won is not None else None

    def add_session(self, session_sha256: str, token_id: int, grant: Grant, *, now: datetime,
                    expires_at: datetime) -> None:
        with self.sessions.begin() as s:
            s.add(WebSessionRow(session_sha256=session_sha256, token_id=token_id, user_id=grant.user_id,
                                platform=grant.platform, external_id=grant.external_id, admin=grant.admin,
                                chats=sorted(grant.chats), created_at=now, expires_at=expires_at))

    def session(self, session_sha256: str, *, now: datetime) -> Grant | None:
        with self.sessions() as s:
            row = s.scalars(select(WebSessionRow).where(WebSessionRow.session_sha256 == session_sha256)).first()
            if row is None or row.ended_at is not None or row.expires_at <= now:
                return None
            return _grant(row)

    def end_session(self, session_sha256: str, *, now: datetime) -> None:
        with self.sessions.begin() as s:
            s.execute(update(WebSessionRow).where(WebSessionRow.session_sha256 == session_sha256,
                                                  WebSessionRow.ended_at.is_(None)).values(ended_at=now))

    # --- cases ----------------------------------------------------------------------------------------------------

    def member_name(self, user_id: int) -> str:
        with self.sessions() as s:
            return self._name(s, user_id)

    @staticmethod
    def _name(s: Session, user_id: int) -> str:
        user = s.get(User, user_id)
        account = s.scalars(select(PlatformAccount).where(PlatformAccount.user_id == user_id)
                            .order_by(PlatformAccount.id)).first()
        handle = f"{account.platform}:{account.external_id}" if account else f"#{user_id}"
        return f"{user.display_name} ({handle})" if user is not None and user.display_name else handle

    def awaiting_review(self, grant: Grant, limit: int) -> list[Case]:
        with self.sessions() as s:
            decided = set(s.execute(select(ModerationEventRow.target_job_id, ModerationEventRow.target_image_idx)
                                    .where(ModerationEventRow.action.in_(_DECIDED))).tuples())
            rows = s.execute(select(ImageRow, JobRow).join(JobRow, ImageRow.job_id == JobRow.id)
                             .where(ImageRow.decision.in_(("review", "unchecked")), _in_scope(grant))
                             .order_by(ImageRow.created_at, ImageRow.idx)).all()
            waiting = [(i, j) for i, j in rows if (j.id, i.idx) not in decided][:limit]
            return [self._case(s, i, j) for i, j in waiting]

    def case(self, job_id: str, idx: int) -> Case | None:
        with self.sessions() as s:
            row = s.execute(select(ImageRow, JobRow).join(JobRow, ImageRow.job_id == JobRow.id)
                            .where(ImageRow.job_id == job_id, ImageRow.idx == idx)).first()
            return None if row is None else self._case(s, row[0], row[1])

    def _case(self, s: Session, image: ImageRow, job: JobRow) -> Case:
        verdict = s.scalars(select(SafetyVerdictRow).where(SafetyVerdictRow.subject == "prompt",
                                                           SafetyVerdictRow.job_id == job.id)).first()
        scores = {k: float(v) for k, v in (verdict.scores if verdict else {}).items() if isinstance(v, int | float)}
        return Case(job.id, image.idx, job.user_id, self._name(s, job.user_id), job.platform, job.chat_id,
                    job.prompt, job.negative_prompt, image.nsfw_score, image.decision, image.created_at,
                    image.path is not None or self._quarantined(s, job.id, image.idx) is not None,
                    scores, tuple(str(c) for c in (verdict.categories if verdict else [])))

    @staticmethod
    def _quarantined(s: Session, job_id: str, idx: int) -> str | None:
        removed = s.scalars(select(ModerationEventRow).where(
            ModerationEventRow.action == "remove", ModerationEventRow.target_job_id == job_id,
            ModerationEventRow.target_image_idx == idx).order_by(ModerationEventRow.id.desc())).first()
        kept = (removed.details or {}).get("quarantined") if removed else None
        return str(kept) if kept else None

    def picture_file(self, job_id: str, idx: int) -> str | None:
        """Where a picture's file is: its stored path, or the quarantine copy once a moderator removed it."""
        with self.sessions() as s:
            image = s.scalars(select(ImageRow).where(ImageRow.job_id == job_id, ImageRow.idx == idx)).first()
            if image is None:
                return None
            return image.path or self._quarantined(s, job_id, idx)

    def job_chat(self, job_id: str) -> tuple[str, str | None] | None:
        with self.sessions() as s:
            row = s.execute(select(JobRow.platform, JobRow.chat_id).where(JobRow.id == job_id)).first()
            return None if row is None else (row[0], row[1])

    # --- members --------------------------------------------------------------------------------------------------

    def jobs_of(self, user_id: int, grant: Grant, limit: int) -> list[JobLine]:
        with self.sessions() as s:
            counts = func.count(ImageRow.id)
            rows = s.execute(select(JobRow, counts).outerjoin(ImageRow, ImageRow.job_id == JobRow.id)
                             .where(JobRow.user_id == user_id, _in_scope(grant)).group_by(JobRow.id)
                             .order_by(JobRow.created_at.desc()).limit(limit)).all()
            return [JobLine(j.id, j.status, j.prompt, j.platform, j.chat_id, j.created_at, n) for j, n in rows]

    def member_in_scope(self, user_id: int, grant: Grant) -> bool:
        with self.sessions() as s:
            return s.scalar(select(JobRow.id).where(JobRow.user_id == user_id, _in_scope(grant)).limit(1)) is not None

    # --- audit log ------------------------------------------------------------------------------------------------

    def audit(self, grant: Grant, filters: AuditFilter, limit: int) -> list[Event]:
        """Newest first. A moderator sees what happened in their chats and what they did themselves."""
        query = select(ModerationEventRow).outerjoin(JobRow, JobRow.id == ModerationEventRow.target_job_id)
        if not grant.admin:
            query = query.where(or_(_in_scope(grant), ModerationEventRow.actor == grant.account))
        if filters.action:
            query = query.where(ModerationEventRow.action == filters.action)
        if filters.actor:
            query = query.where(ModerationEventRow.actor == filters.actor)
        if filters.member is not None:
            query = query.where(ModerationEventRow.target_user_id == filters.member)
        if filters.before is not None:
            query = query.where(ModerationEventRow.id < filters.before)
        with self.sessions() as s:
            return [_event(r) for r in s.scalars(query.order_by(ModerationEventRow.id.desc()).limit(limit))]

    # --- dashboard ------------------------------------------------------------------------------------------------

    def dashboard(self, grant: Grant, *, now: datetime) -> Dashboard:
        day_ago, week_ago = now - timedelta(hours=24), now - timedelta(days=7)
        scope = _in_scope(grant)
        with self.sessions() as s:
            created = s.scalars(select(JobRow.created_at).where(JobRow.created_at >= day_ago, scope)).all()
            verdicts = s.execute(select(SafetyVerdictRow.subject, SafetyVerdictRow.decision,
                                        SafetyVerdictRow.categories)
                                 .outerjoin(JobRow, JobRow.id == SafetyVerdictRow.job_id)
                                 .where(SafetyVerdictRow.created_at >= week_ago,
                                        true() if grant.admin else scope)).all()
            ended = dict(s.execute(select(JobRow.status, func.count()).where(
                JobRow.status.in_(("failed", "cancelled")), JobRow.created_at >= week_ago, scope)
                .group_by(JobRow.status)).tuples().all())
            decisions = s.execute(select(ModerationEventRow.created_at, ImageRow.created_at)
                                  .join(ImageRow, and_(ImageRow.job_id == ModerationEventRow.target_job_id,
                                                       ImageRow.idx == ModerationEventRow.target_image_idx))
                                  .join(JobRow, JobRow.id == ImageRow.job_id)
                                  .where(ModerationEventRow.action.in_(_DECIDED),
                                         ModerationEventRow.created_at >= week_ago, scope)).all()
        backlog = len(self.awaiting_review(grant, 10_000))
        hours = [(now - timedelta(hours=h)).replace(minute=0, second=0, microsecond=0) for h in range(23, -1, -1)]
        per_hour = {h: 0 for h in hours}
        for when in created:
            slot = when.replace(minute=0, second=0, microsecond=0)
            if slot in per_hour:
                per_hour[slot] += 1
        by_category: dict[str, dict[str, int]] = {}
        refusals: dict[str, int] = {}
        for subject, decision, categories in verdicts:
            for category in categories or ["nsfw score" if subject == "image" else "none"]:
                counts = by_category.setdefault(f"{subject}: {category}", {})
                counts[decision] = counts.get(decision, 0) + 1
                if decision == "block":
                    refusals[f"{subject} {category}"] = refusals.get(f"{subject} {category}", 0) + 1
        for status, count in ended.items():
            refusals[f"job {status}"] = count
        minutes = [max(0.0, (decided - made).total_seconds() / 60) for decided, made in decisions]
        return Dashboard(sorted(per_hour.items()), by_category, backlog, minutes, refusals)
