"""Moderation, quota grants and tiers, and one identity across platforms — the service moderators, the admin CLI and
members' commands (/report, /appeal, /link) call. Rules live in :mod:`safety.moderation`; state is the append-only
event history in the database."""

from __future__ import annotations

import logging
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from core.domain import QuotaRules, QuotaSettings, Requester, utc_day
from core.ports import Clock
from core.storage.moderation_repo import ReviewImage, SqlModerationRepository
from core.storage.repositories import SqlJobRepository
from safety.moderation import (
    HARD_PROMPT_CATEGORIES,
    SYSTEM,
    BanStatus,
    Event,
    ModerationError,
    StrikePolicy,
    active_strikes,
    ban_status,
    check_appeal,
    check_not_own_case,
    open_items,
    parse_duration,
    should_suspend,
)

log = logging.getLogger(__name__)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class ReviewItem:
    ref: str  # what a moderator types to decide it: "img:JOB:N", or the event id of a report/appeal
    kind: str  # "picture" | "report" | "appeal"
    user_id: int | None
    summary: str


class ModerationService:
    def __init__(self, repo: SqlModerationRepository, jobs: SqlJobRepository, clock: Clock,
                 policy: StrikePolicy, quota: QuotaSettings, quarantine_dir: Path, link_code_minutes: int = 10) -> None:
        self.repo = repo
        self.jobs = jobs
        self.clock = clock
        self.policy = policy
        self.quota = quota
        self.quarantine_dir = quarantine_dir
        self.link_code_minutes = link_code_minutes

    # --- who ------------------------------------------------------------------------------------------------------

    def resolve_user(self, spec: str) -> int:
        """'#42' (user id) or 'platform:external_id' (e.g. console:ada, discord:1234) → user id, or a clear error."""
        text = spec.strip()
        if text.startswith("#") and text[1:].isdigit():
            if self.repo.user_exists(int(text[1:])):
                return int(text[1:])
        elif ":" in text:
            platform, _, external = text.partition(":")
            user = self.jobs.find_user(platform.strip().lower(), external.strip())
            if user is not None:
                return user
        raise ModerationError(f"No user {spec!r}: use #ID or platform:id (for example console:ada).")

    def record_denied(self, actor: str, what: str) -> None:
        """Someone without the right tried a moderator's action: kept in the audit log."""
        self.repo.add_event("denied", actor, now=self.clock.now(), reason=f"not a moderator: {what}")

    # --- bans and strikes -----------------------------------------------------------------------------------------

    def ban_status(self, user_id: int, events: list[Event] | None = None) -> BanStatus:
        """``events``: the user's history when the caller already has it (submit reads it once for ban and tier)."""
        return ban_status(self.repo.events_for_user(user_id) if events is None else events, self.clock.now())

    def ban(self, user_id: int, actor: str, duration: str, reason: str, actor_user_id: int | None = None) -> str:
        check_not_own_case(actor_user_id, user_id)
        if not reason.strip():
            raise ModerationError("Say why: a ban needs a reason the member will see.")
        length = parse_duration(duration)
        now = self.clock.now()
        until = None if length is None else now + length
        self.repo.add_event("ban", actor, now=now, actor_user_id=actor_user_id, target_user_id=user_id,
                            reason=reason.strip(), expires_at=until)
        return f"User #{user_id} is banned " + ("permanently." if until is None
                                                 else f"until {until:%Y-%m-%d %H:%M} UTC.")

    def unban(self, user_id: int, actor: str, reason: str = "", actor_user_id: int | None = None) -> str:
        check_not_own_case(actor_user_id, user_id)
        if not self.ban_status(user_id).banned:
            raise ModerationError(f"User #{user_id} is not banned.")
        self.repo.add_event("unban", actor, now=self.clock.now(), actor_user_id=actor_user_id,
                            target_user_id=user_id, reason=reason or None)
        return f"User #{user_id} may make pictures again."

    def strike_for_prompt(self, user_id: int, categories: tuple[str, ...], prompt: str) -> dict[str, str] | None:
        """A prompt blocked for a hard category is a strike; enough strikes in the window suspend automatically.
        Returns the suspension's values (catalogue ``suspended``) when they were suspended."""
        hard = sorted(set(categories) & HARD_PROMPT_CATEGORIES)
        if not hard:
            return None
        now = self.clock.now()
        self.repo.add_event("strike", SYSTEM, now=now, target_user_id=user_id, reason=", ".join(hard),
                            details={"prompt": prompt[:500]})
        history = self.repo.events_for_user(user_id)
        if not should_suspend(history, now, self.policy):
            return None
        until = now + self.policy.suspension
        strikes = len(active_strikes(history, now, self.policy))
        reason = f"{strikes} blocked prompts in {self.policy.window.days} days"
        self.repo.add_event("suspend", SYSTEM, now=now, target_user_id=user_id, reason=reason, expires_at=until)
        return {"until": f"{until:%Y-%m-%d %H:%M}", "reason": reason}

    # --- members: reports and appeals -----------------------------------------------------------------------------

    def report(self, reporter_user_id: int, job_id: str, image_idx: int, reason: str) -> str:
        image = self.repo.image(job_id, image_idx)
        if image is None or image.path is None:
            raise ModerationError(f"There is no delivered picture {image_idx + 1} in job {job_id}.")
        event_id = self.repo.add_event("report", f"user:{reporter_user_id}", now=self.clock.now(),
                                       actor_user_id=reporter_user_id, target_user_id=image.user_id,
                                       target_job_id=job_id, target_image_idx=image_idx,
                                       reason=reason.strip()[:500] or None)
        return f"Thank you: picture {image_idx + 1} of job {job_id} is reported (#{event_id}); a moderator will look."

    def appeal(self, user_id: int, target: str, reason: str = "") -> str:
        """``target``: 'JOB N' for a blocked picture, or 'strike ID'."""
        parts = target.split()
        now = self.clock.now()
        history = self.repo.all_events(("appeal",))
        if len(parts) == 2 and parts[0].lower() == "strike" and parts[1].lstrip("#").isdigit():
            strike = self.repo.event(int(parts[1].lstrip("#")))
            if strike is None or strike.action != "strike":
                raise ModerationError(f"There is no strike #{parts[1].lstrip('#')}.")
            check_appeal(history, appellant_user_id=user_id, target_owner_id=strike.target_user_id or -1,
                         key=(None, None, strike.id))
            event_id = self.repo.add_event("appeal", f"user:{user_id}", now=now, actor_user_id=user_id,
                                           target_user_id=user_id, related_event_id=strike.id, reason=reason or None)
        elif len(parts) in (1, 2) and (len(parts) == 1 or parts[1].isdigit()):
            job_id, idx = parts[0], (int(parts[1]) - 1 if len(parts) == 2 else 0)
            image = self.repo.image(job_id, idx)
            if image is None or image.decision != "block":
                raise ModerationError(f"Job {job_id} has no blocked picture {idx + 1} to appeal.")
            check_appeal(history, appellant_user_id=user_id, target_owner_id=image.user_id, key=(job_id, idx, None))
            event_id = self.repo.add_event("appeal", f"user:{user_id}", now=now, actor_user_id=user_id,
                                           target_user_id=user_id, target_job_id=job_id, target_image_idx=idx,
                                           reason=reason or None)
        else:
            raise ModerationError("Appeal a blocked picture with /appeal JOB [N], or a strike with /appeal strike ID.")
        return f"Your appeal #{event_id} is filed; a moderator will decide."

    # --- moderators: the review queue -----------------------------------------------------------------------------

    def review_queue(self, limit: int = 50) -> list[ReviewItem]:
        items = [ReviewItem(f"img:{i.job_id}:{i.image_idx + 1}", "picture", i.user_id,
                            f"job {i.job_id} picture {i.image_idx + 1}, nsfw {i.nsfw_score or 0:.2f}, "
                            f"prompt {i.prompt[:60]!r}") for i in self.repo.images_awaiting_review(limit)]
        for event in open_items(self.repo.all_events(("report", "appeal", "approve", "remove", "appeal_upheld",
                                                      "appeal_denied", "dismiss"))).values():
            what = (f"strike #{event.related_event_id}" if event.related_event_id
                    else f"job {event.target_job_id} picture {(event.target_image_idx or 0) + 1}")
            items.append(ReviewItem(str(event.id), event.action, event.target_user_id,
                                    f"{event.action} of {what}: {event.reason or '(no reason given)'}"))
        return items[:limit]

    def decide(self, ref: str, decision: str, actor: str, actor_user_id: int | None = None, note: str = "") -> str:
        decision = decision.lower()
        now = self.clock.now()
        if ref.startswith("img:"):
            _, job_id, number = ref.split(":", 2)
            image = self._image(job_id, int(number) - 1)
            return self._decide_picture(image, decision, actor, actor_user_id, note, None, now)
        event = self.repo.event(int(ref)) if ref.isdigit() else None
        if event is None or event.action not in ("report", "appeal") or event.id not in open_items(
                self.repo.all_events()):
            raise ModerationError(f"There is no open report or appeal {ref!r} (see `muralist admin review`).")
        if event.action == "report":
            image = self._image(event.target_job_id or "", event.target_image_idx or 0)
            return self._decide_picture(image, decision, actor, actor_user_id, note, event.id, now)
        check_not_own_case(actor_user_id, event.target_user_id)
        if decision not in ("uphold", "deny"):
            raise ModerationError("An appeal is decided with uphold or deny.")
        action = "appeal_upheld" if decision == "uphold" else "appeal_denied"
        if decision == "uphold" and event.related_event_id is not None:
            # Upholding a strike appeal removes the strike: the answer's related_event_id points at the strike.
            self.repo.add_event(action, actor, now=now, actor_user_id=actor_user_id,
                                target_user_id=event.target_user_id, related_event_id=event.related_event_id,
                                reason=note or None, details={"appeal": event.id})
            self.repo.add_event("dismiss", actor, now=now, actor_user_id=actor_user_id,
                                target_user_id=event.target_user_id, related_event_id=event.id)
            return f"Appeal #{event.id} upheld: the strike is removed."
        self.repo.add_event(action, actor, now=now, actor_user_id=actor_user_id, target_user_id=event.target_user_id,
                            target_job_id=event.target_job_id, target_image_idx=event.target_image_idx,
                            related_event_id=event.id, reason=note or None)
        if decision == "uphold" and event.target_user_id is not None:
            reserve = self.repo.reservation(event.target_job_id or "")
            self.repo.add_ledger(event.target_user_id, -1, "appeal", now=now, job_id=event.target_job_id,
                                 period=reserve.period if reserve else utc_day(now),
                                 charged_at=reserve.charged_at if reserve else now)
            return f"Appeal #{event.id} upheld: the picture's quota is refunded."
        return f"Appeal #{event.id} denied."

    def _image(self, job_id: str, idx: int) -> ReviewImage:
        image = self.repo.image(job_id, idx)
        if image is None:
            raise ModerationError(f"Job {job_id} has no picture {idx + 1}.")
        return image

    def _decide_picture(self, image: ReviewImage, decision: str, actor: str, actor_user_id: int | None, note: str,
                        report_id: int | None, now: datetime) -> str:
        check_not_own_case(actor_user_id, image.user_id)
        if decision not in ("approve", "remove"):
            raise ModerationError("A picture is decided with approve or remove (or ban the user with `ban`).")
        details: dict[str, object] = {"nsfw_score": image.nsfw_score, "automatic": image.decision}
        if decision == "remove" and image.path:
            # Taken out of circulation but kept for the moderation export (training better classifiers).
            self.quarantine_dir.mkdir(parents=True, exist_ok=True)
            kept = self.quarantine_dir / Path(image.path).name
            if Path(image.path).exists():
                shutil.move(image.path, kept)
            details["quarantined"] = str(kept)
            self.repo.set_image_path(image.job_id, image.image_idx, None)
        self.repo.add_event(decision, actor, now=now, actor_user_id=actor_user_id, target_user_id=image.user_id,
                            target_job_id=image.job_id, target_image_idx=image.image_idx, related_event_id=report_id,
                            reason=note or None, details=details)
        verb = "approved" if decision == "approve" else "removed"
        return f"Picture {image.image_idx + 1} of job {image.job_id} {verb}."

    # --- quota: tiers and grants ----------------------------------------------------------------------------------

    def grant_pictures(self, user_id: int, pictures: int, actor: str, reason: str = "",
                       actor_user_id: int | None = None) -> str:
        check_not_own_case(actor_user_id, user_id)
        if pictures <= 0:
            raise ModerationError("A grant must be a positive number of pictures.")
        now = self.clock.now()
        self.repo.add_ledger(user_id, -pictures, "grant", now=now, period=utc_day(now))
        self.repo.add_event("grant_quota", actor, now=now, actor_user_id=actor_user_id, target_user_id=user_id,
                            reason=reason or None, details={"pictures": pictures})
        return f"User #{user_id} gets {pictures} extra pictures for the current quota period."

    def grant_tier(self, user_id: int, tier: str, actor: str, duration: str = "permanent",
                   actor_user_id: int | None = None) -> str:
        check_not_own_case(actor_user_id, user_id)
        names = dict(self.quota.tiers)
        if tier not in names:
            raise ModerationError(f"No tier {tier!r}; tiers: {', '.join(names) or '(none configured)'}.")
        length = parse_duration(duration)
        now = self.clock.now()
        self.repo.add_event("grant_tier", actor, now=now, actor_user_id=actor_user_id, target_user_id=user_id,
                            reason=tier, expires_at=None if length is None else now + length)
        return f"User #{user_id} is in tier {tier} ({names[tier]} pictures a day)."

    def quota_rules(self, user_id: int | None, platform_tiers: frozenset[str] = frozenset(),
                    events: list[Event] | None = None) -> tuple[QuotaRules, str]:
        """The user's rules: the best of their platform tiers (roles, chat membership) and admin-granted tiers."""
        held = set(platform_tiers)
        if user_id is not None:
            now = self.clock.now()
            history = self.repo.events_for_user(user_id) if events is None else events
            held |= {e.reason or "" for e in history
                     if e.action == "grant_tier" and (e.expires_at is None or e.expires_at > now)}
        return self.quota.rules_for(held)

    # --- identity -------------------------------------------------------------------------------------------------

    def link_code(self, requester: Requester) -> str:
        user_id = self.jobs.ensure_user(requester)
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
        now = self.clock.now()
        self.repo.create_link_code(user_id, requester.platform, code, now=now,
                                   expires_at=now + timedelta(minutes=self.link_code_minutes))
        return (f"Your link code is {code}. Within {self.link_code_minutes} minutes, send /link {code} from your "
                f"account on the other platform to share one quota, licence and history.")

    def redeem_link(self, requester: Requester, code: str) -> str:
        now = self.clock.now()
        found = self.repo.redeem_link_code(code, now=now)
        if found is None:
            raise ModerationError("That link code is unknown, already used or expired; ask for a new one with /link.")
        target_user, platform = found
        if platform == requester.platform:
            raise ModerationError("Use the code from an account on a different platform.")
        self.jobs.ensure_user(requester)
        account = self.repo.account(requester.platform, requester.user_id)
        assert account is not None
        if account.user_id == target_user:
            return "These accounts are already linked."
        for user in (account.user_id, target_user):
            if self.ban_status(user).banned:  # linking must not become a way around a ban
                raise ModerationError("A banned account cannot be linked.")
        # Usage so far in this period follows the account, so linking never resets a quota.
        rules, _ = self.quota_rules(account.user_id)
        used = self.jobs.quota_status(account.user_id, rules=rules, now=now).used
        if used:
            self.repo.add_ledger(target_user, used, "linked", now=now, period=utc_day(now))
        self.repo.move_account(account.id, target_user, "link", now=now)
        return f"Linked: your {requester.platform} account now shares one quota, licence and history."

    def unlink(self, requester: Requester) -> str:
        account = self.repo.account(requester.platform, requester.user_id)
        original = None if account is None else self.repo.original_user(account.id)
        if account is None or original is None or original == account.user_id:
            raise ModerationError("This account is not linked to another one.")
        self.repo.move_account(account.id, original, "unlink", now=self.clock.now())
        return "Unlinked: this account has its own quota again; the shared history stays where it was."

    # --- history --------------------------------------------------------------------------------------------------

    def history(self, user_id: int) -> list[Event]:
        return self.repo.events_for_user(user_id)
