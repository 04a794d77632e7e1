"""SQLAlchemy implementation of :class:`core.ports.JobRepository`.

Quota and job row are written in one transaction that first takes a write lock on the user's row (a no-op UPDATE:
a row lock on PostgreSQL, the database write lock on SQLite), so concurrent submits by one user serialise and the
ledger can never be overspent.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.domain import (
    PURGED,
    WORKER_STALE_S,
    ImageRecord,
    Job,
    JobStatus,
    QuotaRules,
    QuotaStatus,
    Requester,
    Verdict,
    next_midnight,
    utc_day,
)
from core.ports import NewJob, QuotaRefusal
from core.storage.job_mapping import spec_columns, spec_from_row
from core.storage.models import (
    DeliveryRow,
    ImageRow,
    JobRow,
    LicenceAcceptance,
    PlatformAccount,
    QuotaLedgerRow,
    SafetyVerdictRow,
    User,
    WorkerRow,
)
from core.verification import MarkedPicture

DAY = timedelta(days=1)
_ACTIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
_JOB_ID_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o/1/l/i: people read these ids aloud


def _bounded(value: str | None, limit: int) -> str | None:
    """A name as a platform sent it, cut to its column (names are chat input too)."""
    return None if value is None else value.strip()[:limit] or None


def new_job_id() -> str:
    return "".join(secrets.choice(_JOB_ID_ALPHABET) for _ in range(10))


def _to_job(row: JobRow, with_images: bool = True) -> Job:
    images = tuple(
        ImageRecord(i.idx, i.seed, i.width, i.height, i.sha256, i.decision, i.nsfw_score, i.path,  # type: ignore[arg-type]
                    i.mark_id, i.mark_status, i.credentials)
        for i in row.images
    ) if with_images else ()
    return Job(
        id=row.id, user_id=row.user_id, platform=row.platform, chat_id=row.chat_id, status=JobStatus(row.status),
        model=row.model, spec=spec_from_row(row), created_at=row.created_at, finished_at=row.finished_at,
        error=row.error, images=images, nsfw_allowed=row.nsfw_allowed, prompt_review=row.prompt_review,
        language=row.language,
    )


class SqlJobRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._accepted: set[tuple[int, str, str]] = set()
        self.sessions = sessions

    # --- users and licences ---------------------------------------------------------------------------------------

    def find_user(self, platform: str, external_id: str) -> int | None:
        with self.sessions() as s:
            return s.scalar(select(PlatformAccount.user_id).where(
                PlatformAccount.platform == platform, PlatformAccount.external_id == external_id))

    def ensure_user(self, requester: Requester) -> int:
        existing = self.find_user(requester.platform, requester.user_id)
        if existing is not None:
            self.remember_names(requester)
            return existing
        try:
            with self.sessions.begin() as s:
                user = User(display_name=requester.display_name)
                s.add(user)
                s.flush()
                s.add(PlatformAccount(platform=requester.platform, external_id=requester.user_id, user_id=user.id,
                                      display_name=_bounded(requester.display_name, 200),
                                      username=_bounded(requester.username, 64)))
                return user.id
        except IntegrityError:  # a concurrent first request by the same member created the account: use theirs
            found = self.find_user(requester.platform, requester.user_id)
            if found is None:
                raise
            return found

    def display_name(self, user_id: int) -> str | None:
        """The name a member had when they first used the bot (how others in a chat know them)."""
        with self.sessions() as s:
            return s.scalar(select(User.display_name).where(User.id == user_id))

    def remember_names(self, requester: Requester) -> None:
        """Keep the account's display name and @username as the platform shows them now (one conditional update:
        nothing is written while they stay the same)."""
        name, username = _bounded(requester.display_name, 200), _bounded(requester.username, 64)
        if name is None and username is None:
            return
        values: dict[str, str] = {}
        changed = []
        if name is not None:
            values["display_name"] = name
            changed.append(PlatformAccount.display_name.is_distinct_from(name))
        if username is not None:
            values["username"] = username
            changed.append(PlatformAccount.username.is_distinct_from(username))
        with self.sessions.begin() as s:
            s.execute(update(PlatformAccount).where(
                PlatformAccount.platform == requester.platform, PlatformAccount.external_id == requester.user_id,
                or_(*changed)).values(**values))

    def record_acceptance(self, user_id: int, requester: Requester, licence_id: str, licence_version: str,
                          text_sha256: str, app_version: str) -> bool:
        with self.sessions.begin() as s:
            # Take the user's row lock first (as create_job does), so twenty simultaneous "Accept" presses record
            # one acceptance, not twenty.
            s.execute(update(User).where(User.id == user_id).values(display_name=User.display_name))
            if s.scalar(select(LicenceAcceptance.id).where(
                    LicenceAcceptance.user_id == user_id, LicenceAcceptance.licence_id == licence_id,
                    LicenceAcceptance.text_sha256 == text_sha256).limit(1)) is not None:
                return False
            s.add(LicenceAcceptance(
                user_id=user_id, licence_id=licence_id, licence_version=licence_version, text_sha256=text_sha256,
                platform=requester.platform, platform_message_id=requester.message_id, app_version=app_version))
            return True

    def has_accepted(self, user_id: int, licence_id: str, text_sha256: str) -> bool:
        # Acceptances are append-only and never withdrawn, so a "yes" can be remembered: every submit asks, and the
        # answer costs a database round trip otherwise. A "no" is always asked again.
        key = (user_id, licence_id, text_sha256)
        if key in self._accepted:
            return True
        with self.sessions() as s:
            found = s.scalar(select(LicenceAcceptance.id).where(
                LicenceAcceptance.user_id == user_id, LicenceAcceptance.licence_id == licence_id,
                LicenceAcceptance.text_sha256 == text_sha256).limit(1)) is not None
        if found:
            if len(self._accepted) >= 100_000:
                self._accepted.clear()
            self._accepted.add(key)
        return found

    @staticmethod
    def _verdict_row(user_id: int | None, verdict: Verdict, prompt: str, job_id: str | None) -> SafetyVerdictRow:
        return SafetyVerdictRow(
            subject="prompt", user_id=user_id, job_id=job_id, decision=verdict.decision.value,
            categories=list(verdict.categories), scores=dict(verdict.scores), evidence=list(verdict.evidence),
            checker=verdict.checker, checker_version=verdict.checker_version, prompt_text=prompt)

    def record_prompt_verdict(self, user_id: int | None, verdict: Verdict, prompt: str, job_id: str | None) -> None:
        with self.sessions.begin() as s:
            s.add(self._verdict_row(user_id, verdict, prompt, job_id))

    # --- jobs and quota -------------------------------------------------------------------------------------------

    @staticmethod
    def _usage(s: Session, user_id: int, rules: QuotaRules, now: datetime) -> tuple[int, int, datetime]:
        """(pictures used, pictures granted, when the quota frees up) in the user's quota window."""
        in_window = (QuotaLedgerRow.charged_at > now - DAY) if rules.window == "rolling" \
            else (QuotaLedgerRow.period == utc_day(now))
        rows = s.execute(select(QuotaLedgerRow.reason, func.sum(QuotaLedgerRow.delta))
                         .where(QuotaLedgerRow.user_id == user_id, in_window)
                         .group_by(QuotaLedgerRow.reason)).tuples().all()
        sums = {False: 0, True: 0}
        for reason, total in rows:
            sums[reason == "grant"] += int(total or 0)
        if rules.window == "rolling":
            oldest = s.scalar(select(func.min(QuotaLedgerRow.charged_at)).where(
                QuotaLedgerRow.user_id == user_id, in_window, QuotaLedgerRow.reason == "reserve"))
            resets = (oldest + DAY) if oldest is not None else now
        else:
            resets = next_midnight(now)
        return sums.get(False, 0), -sums.get(True, 0), resets

    @staticmethod
    def _waiting_jobs(s: Session, user_id: int, now: datetime) -> int:
        """The member's jobs that hold a place under the per-member cap: queued ones, and running ones whose worker
        still beats. A job whose worker died is the reconciler's to repair and must not lock the member out
        meanwhile (its quota stays reserved until it finishes or is refunded)."""
        live = select(WorkerRow.name).where(WorkerRow.last_seen >= now - timedelta(seconds=WORKER_STALE_S))
        return s.scalar(select(func.count()).select_from(JobRow).where(
            JobRow.user_id == user_id,
            (JobRow.status == JobStatus.QUEUED.value)
            | ((JobRow.status == JobStatus.RUNNING.value) & JobRow.worker.in_(live)))) or 0

    def create_job(self, new: NewJob, *, rules: QuotaRules, now: datetime,
                   verdict: tuple[Verdict, str] | None = None) -> str | QuotaRefusal:
        """The job and its quota reservation in one transaction; ``verdict`` (the prompt's verdict and text) is
        recorded in the same one, with the job's id (as before, not when the quota refuses)."""
        period = utc_day(now)
        with self.sessions.begin() as s:
            s.execute(update(User).where(User.id == new.user_id).values(display_name=User.display_name))
            used, granted, resets = self._usage(s, new.user_id, rules, now)
            queued = self._waiting_jobs(s, new.user_id, now)
            if queued >= rules.max_queued:
                return QuotaRefusal(used, rules.daily_limit, queued, resets, "queued", granted)
            recent = s.scalars(select(JobRow.created_at).where(
                JobRow.user_id == new.user_id, JobRow.created_at > now - timedelta(seconds=rules.burst_seconds))
                .order_by(JobRow.created_at)).all()
            if len(recent) >= rules.burst_jobs:
                retry = recent[len(recent) - rules.burst_jobs] + timedelta(seconds=rules.burst_seconds)
                return QuotaRefusal(used, rules.daily_limit, queued, resets, "rate", granted, retry)
            if used + new.spec.count > rules.daily_limit + granted:
                return QuotaRefusal(used, rules.daily_limit, queued, resets, "daily", granted)
            job = JobRow(
                id=new_job_id(), user_id=new.user_id, platform=new.requester.platform, chat_id=new.requester.chat_id,
                requester_external_id=new.requester.user_id, status=JobStatus.QUEUED.value, model=new.model,
                queue=new.queue, nsfw_allowed=new.nsfw_allowed, prompt_review=new.prompt_review, created_at=now,
                enqueued_at=now, language=new.requester.language[:8], **spec_columns(new.spec))
            s.add(job)
            s.add(QuotaLedgerRow(user_id=new.user_id, delta=new.spec.count, reason="reserve", job_id=job.id,
                                 period=period, charged_at=now, created_at=now))
            if verdict is not None:
                s.add(self._verdict_row(new.user_id, verdict[0], verdict[1], job.id))
            return job.id

    def queue_places(self, job_ids: list[str]) -> dict[str, int | None]:
        """Where each job stands: how many jobs are ahead of a queued one (queued in the same model queue before it;
        running jobs are not ahead of anyone), None for a running one; finished and unknown jobs are left out."""
        places: dict[str, int | None] = {}
        with self.sessions() as s:
            for job in s.scalars(select(JobRow).where(JobRow.id.in_(job_ids[:1000]))):
                if job.status == JobStatus.RUNNING.value:
                    places[job.id] = None
                elif job.status == JobStatus.QUEUED.value:
                    # Created earlier, or at the same instant with a smaller id: a strict order, so no two queued
                    # jobs ever hear the same number.
                    earlier = (JobRow.created_at < job.created_at) | \
                        ((JobRow.created_at == job.created_at) & (JobRow.id < job.id))
                    places[job.id] = s.scalar(select(func.count()).select_from(JobRow).where(
                        JobRow.queue == job.queue, JobRow.status == JobStatus.QUEUED.value, earlier)) or 0
        return places

    def fail_job(self, job_id: str, error: str, *, refund: bool, status: JobStatus = JobStatus.FAILED,
                 user_id: int | None = None) -> bool:
        """Fail (or cancel) a job that is still waiting or running, refunding its reservation; False if it already
        finished, or belongs to someone other than ``user_id`` when that is given."""
        with self.sessions.begin() as s:
            query = update(JobRow).where(JobRow.id == job_id, JobRow.status.in_(_ACTIVE))
            if user_id is not None:
                query = query.where(JobRow.user_id == user_id)
            done = s.execute(query.values(status=status.value, error=error[:2000], finished_at=func.now()))
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return False
            if refund:
                reserve = s.scalars(select(QuotaLedgerRow).where(
                    QuotaLedgerRow.job_id == job_id, QuotaLedgerRow.reason == "reserve")).first()
                if reserve is not None:
                    s.add(QuotaLedgerRow(user_id=reserve.user_id, delta=-reserve.delta, reason="refund",
                                         job_id=job_id, period=reserve.period, charged_at=reserve.charged_at))
            return True

    def quota_status(self, user_id: int, *, rules: QuotaRules, now: datetime) -> QuotaStatus:
        with self.sessions() as s:
            used, granted, resets = self._usage(s, user_id, rules, now)
            queued = self._waiting_jobs(s, user_id, now)
        return QuotaStatus(used=used, limit=rules.daily_limit, resets_at=resets, queued_jobs=int(queued),
                           granted=granted, window=rules.window)

    def is_cancelled(self, job_id: str) -> bool:
        with self.sessions() as s:
            return s.scalar(select(JobRow.status).where(JobRow.id == job_id)) == JobStatus.CANCELLED.value

    def get_job(self, job_id: str) -> Job | None:
        with self.sessions() as s:
            row = s.get(JobRow, job_id)
            return None if row is None else _to_job(row)

    def history(self, user_id: int, limit: int) -> list[Job]:
        with self.sessions() as s:
            rows = s.scalars(select(JobRow).where(JobRow.user_id == user_id)
                             .order_by(JobRow.created_at.desc()).limit(limit)).all()
            return [_to_job(r) for r in rows]

    def find_mark(self, mark_id: str) -> MarkedPicture | None:
        """The picture an invisible provenance mark was given to (for /verify)."""
        with self.sessions() as s:
            row = s.execute(select(ImageRow.job_id, ImageRow.idx, ImageRow.created_at, JobRow.user_id, JobRow.platform,
                                   JobRow.chat_id, User.display_name)
                            .join(JobRow, JobRow.id == ImageRow.job_id).join(User, User.id == JobRow.user_id)
                            .where(ImageRow.mark_id == mark_id)).first()
            return None if row is None else MarkedPicture(*row)

    # --- worker side ----------------------------------------------------------------------------------------------

    def start_job(self, job_id: str, now: datetime, worker: str | None = None) -> Job | None:
        """Mark running (held by ``worker``) and return the job; None unless it was queued: a duplicate or redelivered
        message of a job that is running or finished does nothing. A job whose worker died is put back in the queue
        by the reconciler, and only then runs again."""
        with self.sessions.begin() as s:
            claimed = s.execute(update(JobRow).where(JobRow.id == job_id, JobRow.status == JobStatus.QUEUED.value)
                                .values(status=JobStatus.RUNNING.value, attempts=JobRow.attempts + 1, started_at=now,
                                        worker=worker))
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = s.get(JobRow, job_id)
            return None if row is None else _to_job(row, with_images=False)

    def hand_back(self, job_id: str, worker: str | None, now: datetime) -> bool:
        """A running job this worker holds goes back to the queue (the worker is shutting down)."""
        with self.sessions.begin() as s:
            held = JobRow.worker.is_(None) if worker is None else JobRow.worker == worker
            done = s.execute(update(JobRow).where(JobRow.id == job_id, JobRow.status == JobStatus.RUNNING.value, held)
                             .values(status=JobStatus.QUEUED.value, worker=None, enqueued_at=now))
            return bool(done.rowcount == 1)  # type: ignore[attr-defined]

    def finish_job(self, job_id: str, images: list[ImageRecord], verdicts: list[Verdict], now: datetime) -> bool:
        """Store pictures and verdicts and mark done, all or nothing; False if another delivery already finished it."""
        with self.sessions.begin() as s:
            done = s.execute(update(JobRow).where(JobRow.id == job_id, JobRow.status == JobStatus.RUNNING.value)
                             .values(status=JobStatus.DONE.value, finished_at=now))
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return False
            user_id = s.scalar(select(JobRow.user_id).where(JobRow.id == job_id))
            for image, verdict in zip(images, verdicts, strict=True):
                s.add(ImageRow(job_id=job_id, idx=image.index, seed=image.seed, width=image.width,
                               height=image.height, sha256=image.sha256, path=image.path,
                               decision=image.decision.value, nsfw_score=image.nsfw_score, mark_id=image.mark_id,
                               mark_status=image.mark_status, credentials=image.credentials, created_at=now))
                s.add(SafetyVerdictRow(
                    subject="image", user_id=user_id, job_id=job_id, image_idx=image.index,
                    decision=verdict.decision.value, categories=list(verdict.categories), scores=dict(verdict.scores),
                    evidence=list(verdict.evidence), checker=verdict.checker, checker_version=verdict.checker_version,
                    created_at=now))
            return True

    # --- delivery -------------------------------------------------------------------------------------------------

    def claim_delivery(self, job_id: str, platform: str, claimed_by: str, lease_s: float = 300.0) -> bool:
        """Exactly-once delivery. The unique job_id on deliveries lets only the first claimer through; a claim that
        was never marked delivered (the bot died mid-send) may be taken over once its lease has run out."""
        now = datetime.now(UTC)
        try:
            with self.sessions.begin() as s:
                s.add(DeliveryRow(job_id=job_id, platform=platform, claimed_by=claimed_by, claimed_at=now))
            return True
        except IntegrityError:
            pass
        with self.sessions.begin() as s:
            taken = s.execute(update(DeliveryRow).where(
                DeliveryRow.job_id == job_id, DeliveryRow.delivered_at.is_(None),
                DeliveryRow.claimed_at < now - timedelta(seconds=lease_s))
                .values(claimed_by=claimed_by, claimed_at=now)).rowcount  # type: ignore[attr-defined]
        return taken == 1

    def release_delivery(self, job_id: str, claimed_by: str, retry_in_s: float, lease_s: float = 300.0) -> None:
        """A send failed: let the claim lapse in ``retry_in_s`` instead of the whole lease, so the sweep tries again
        soon (with the caller's backoff) rather than minutes later."""
        lapse = datetime.now(UTC) - timedelta(seconds=max(0.0, lease_s - retry_in_s))
        with self.sessions.begin() as s:
            s.execute(update(DeliveryRow).where(DeliveryRow.job_id == job_id, DeliveryRow.claimed_by == claimed_by,
                                                DeliveryRow.delivered_at.is_(None)).values(claimed_at=lapse))

    def mark_delivered(self, job_id: str, message_ids: list[str], now: datetime,
                       pictures: list[int] | None = None) -> None:
        with self.sessions.begin() as s:
            s.execute(update(DeliveryRow).where(DeliveryRow.job_id == job_id)
                      .values(delivered_at=now, message_ids=message_ids, pictures=list(pictures or [])))

    def delivered_message_ids(self, job_id: str) -> list[str]:
        with self.sessions() as s:
            ids = s.scalar(select(DeliveryRow.message_ids).where(DeliveryRow.job_id == job_id))
            return [str(i) for i in ids or []]

    def delivered_pictures(self, job_id: str) -> list[int]:
        """The picture numbers (0-based) a job's public post showed, in the order it showed them."""
        with self.sessions() as s:
            shown = s.scalar(select(DeliveryRow.pictures).where(DeliveryRow.job_id == job_id))
            return [int(i) for i in shown or []]

    def undelivered_jobs(self, platform: str, limit: int = 50, lease_s: float = 300.0) -> list[str]:
        """Finished jobs nobody delivered: never claimed, or claimed by a sender that died (stale lease). This sweep
        catches lost events and restarts."""
        stale = datetime.now(UTC) - timedelta(seconds=lease_s)
        with self.sessions() as s:
            settled = select(DeliveryRow.job_id).where(
                (DeliveryRow.delivered_at.is_not(None)) | (DeliveryRow.claimed_at >= stale))
            return list(s.scalars(select(JobRow.id).where(
                JobRow.platform == platform, JobRow.status.in_(("done", "failed")), JobRow.id.not_in(settled))
                .order_by(JobRow.finished_at).limit(limit)))

    # --- privacy --------------------------------------------------------------------------------------------------

    def purge_prompts(self, older_than_days: int, now: datetime | None = None) -> tuple[int, int]:
        """Blank prompt texts older than the cut-off; decisions, categories and scores are kept (they train and audit
        the filter without the words). Returns (safety log rows, jobs) changed."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=older_than_days)
        with self.sessions.begin() as s:
            verdicts = s.execute(update(SafetyVerdictRow).where(
                SafetyVerdictRow.created_at < cutoff, SafetyVerdictRow.prompt_text.is_not(None))
                .values(prompt_text=None)).rowcount  # type: ignore[attr-defined]
            jobs = s.execute(update(JobRow).where(JobRow.created_at < cutoff, JobRow.prompt != PURGED)
                             .values(prompt=PURGED, negative_prompt="")).rowcount  # type: ignore[attr-defined]
        return int(verdicts), int(jobs)
