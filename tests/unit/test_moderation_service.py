"""Bans, strikes, reports, appeals, grants, tiers and linked accounts, end to end on a real SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.app import Muralist
from core.catalogue import render
from core.chat_settings import ChatSettings
from core.config import Settings
from core.delivery import JobWaiter, ModeratorOutcome
from core.domain import Accepted, Decision, GenerationParams, GenerationRequest, QuotaSettings, Rejected, Requester
from core.events import InMemoryEventBus
from core.generation import JobRunner
from core.models_registry import model_spec
from core.moderation import Moderation, build_moderation
from core.moderation.ports import DuplicateReport
from core.moderation.refusal import Refusal
from core.service import GenerationService
from core.storage.db import build_engine, ensure_schema, session_factory
from core.storage.images import LocalImageStore
from core.storage.moderation_repo import SqlModerationRepository
from core.storage.repositories import SqlJobRepository
from core.verification import Verifier
from safety.license import get_licence
from safety.moderation import ModerationError, StrikePolicy
from safety.prompt_filter import PromptFilter
from tests.fakes import FakeClock, FakeDispatcher, FakePipeline, ScriptedChecker

ADA = Requester("console", "ada")
ADA_ON_TELEGRAM = Requester("telegram", "555")
MOD = Requester("console", "mo")
AUTHOR = Requester("telegram", "21", "-100", "Ada", username="ada")
MIA = Requester("telegram", "23", "-1001", "Mia", username="mia")
ADA_ON_DISCORD = Requester("discord", "11", "3001", "Ada D")


@dataclass
class World:
    service: GenerationService
    mod: Moderation
    jobs: SqlJobRepository
    clock: FakeClock
    root: Path
    app: Muralist

    def imagine(self, who: Requester = ADA, prompt: str = "a lighthouse", **kw: object):  # type: ignore[no-untyped-def]
        return self.service.submit(GenerationRequest(who, GenerationParams(prompt, **kw)))  # type: ignore[arg-type]

    def make(self, *decisions: Decision, who: Requester = ADA) -> str:
        outcome = self.imagine(who, count=len(decisions))
        assert isinstance(outcome, Accepted), outcome
        JobRunner(self.jobs, FakePipeline(), ScriptedChecker(list(decisions)), LocalImageStore(self.root / "images"),
                  InMemoryEventBus(), self.clock).run(outcome.job_id)
        self.clock.advance(seconds=30)
        return outcome.job_id

    def uid(self, who: Requester) -> int:
        user = self.jobs.find_user(who.platform, who.user_id)
        assert user is not None
        return user


def open_world(root: Path, prompt_filter: PromptFilter, quota: QuotaSettings) -> tuple[World, Engine]:
    engine = build_engine(Settings(data_dir=root))
    ensure_schema(engine, auto_migrate=True)
    sessions = session_factory(engine)
    jobs = SqlJobRepository(sessions)
    clock = FakeClock()  # 2026-01-01 12:00 UTC
    mod = build_moderation(SqlModerationRepository(sessions), jobs, clock, StrikePolicy(), quota, root / "quarantine")
    spec = model_spec(Settings())
    service = GenerationService(jobs, FakeDispatcher(), prompt_filter, spec, get_licence(spec.licence_id), quota,
                                clock, sanctions=mod.sanctions, quota_tiers=mod.tiers)
    for who in (ADA, MOD, ADA_ON_TELEGRAM, AUTHOR, MIA):
        service.accept_licence(who)
    app = Muralist(service, mod, ChatSettings(sessions), JobWaiter(jobs, InMemoryEventBus()),
                   Verifier(jobs, mod.records, clock))
    return World(service, mod, jobs, clock, root, app), engine


@pytest.fixture
def world(tmp_path: Path, prompt_filter: PromptFilter) -> Iterator[World]:
    opened, engine = open_world(tmp_path, prompt_filter,
                                QuotaSettings(default_limit=4, tiers=(("supporter", 10),), burst_jobs=100))
    yield opened
    engine.dispose()


def test_a_ban_refuses_with_reason_and_end_date_then_expires(world: World) -> None:
    world.mod.sanctions.ban(world.uid(ADA), "admin:test", "2d", "spamming the channel")
    refused = world.imagine()
    assert isinstance(refused, Rejected) and refused.code == "banned"
    assert "spamming the channel" in refused.message and "until 2026-01-03 12:00 UTC" in refused.message
    world.clock.advance(days=2, seconds=1)
    assert isinstance(world.imagine(), Accepted)


def test_hard_blocks_become_strikes_and_three_suspend(world: World) -> None:
    for prompt in ("decapitated head", "a mutilated corpse", "nazi propaganda poster"):
        last = world.imagine(prompt=prompt)
    assert isinstance(last, Rejected) and "suspended until" in last.message
    assert [e.action for e in world.mod.sanctions.history(world.uid(ADA))].count("suspend") == 1
    assert isinstance(world.imagine(), Rejected)
    # A plain sexual block is not a hard category: no strike.
    world.clock.advance(days=2)
    world.imagine(prompt="a nude woman")
    assert sum(e.action == "strike" for e in world.mod.sanctions.history(world.uid(ADA))) == 3


def test_report_goes_to_the_queue_and_remove_quarantines_the_picture(world: World) -> None:
    job = world.make(Decision.ALLOW)
    picture = Path(world.jobs.get_job(job).images[0].path)  # type: ignore[arg-type, union-attr]
    bob = Requester("console", "bob")
    sentence = world.mod.reports.report(world.jobs.ensure_user(bob), job, 0, "not ok")
    assert "reported" in sentence
    (item,) = [i for i in world.mod.review.waiting() if i.kind == "report"]
    with pytest.raises(ModerationError, match="own case"):
        world.mod.review.decide(item.ref, "remove", "admin:ada", world.uid(ADA))
    assert "removed" in world.mod.review.decide(item.ref, "remove", "admin:mo", world.uid(MOD))
    assert not picture.exists() and (world.root / "quarantine" / picture.name).exists()
    assert world.jobs.get_job(job).images[0].path is None  # type: ignore[union-attr]
    assert not [i for i in world.mod.review.waiting() if i.kind == "report"]


def test_review_band_pictures_wait_for_a_moderator(world: World) -> None:
    job = world.make(Decision.REVIEW, Decision.ALLOW)
    assert [i.ref for i in world.mod.review.waiting()] == [f"img:{job}:1"]
    world.mod.review.decide(f"img:{job}:1", "approve", "admin:mo", world.uid(MOD))
    assert world.mod.review.waiting() == []


def test_an_upheld_appeal_of_a_blocked_picture_refunds_it_once(world: World) -> None:
    job = world.make(Decision.BLOCK, Decision.ALLOW)
    assert world.service.quota(ADA).used == 2
    world.mod.reports.appeal(world.uid(ADA), f"{job} 1", "it was a sunset")
    with pytest.raises(ModerationError, match="already appealed"):
        world.mod.reports.appeal(world.uid(ADA), f"{job} 1")
    with pytest.raises(ModerationError, match="no blocked picture 2"):
        world.mod.reports.appeal(world.uid(ADA), f"{job} 2")
    (item,) = world.mod.review.waiting()
    assert "upheld" in world.mod.review.decide(item.ref, "uphold", "admin:mo", world.uid(MOD))
    assert world.service.quota(ADA).used == 1
    assert world.mod.review.waiting() == []


def test_an_upheld_strike_appeal_removes_the_strike(world: World) -> None:
    world.imagine(prompt="decapitated head")
    (strike,) = [e for e in world.mod.sanctions.history(world.uid(ADA)) if e.action == "strike"]
    world.mod.reports.appeal(world.uid(ADA), f"strike {strike.id}", "it was a statue")
    (item,) = world.mod.review.waiting()
    world.mod.review.decide(item.ref, "uphold", "admin:mo", world.uid(MOD))
    world.imagine(prompt="a mutilated corpse")
    world.imagine(prompt="nazi propaganda")
    assert isinstance(world.imagine(), Accepted)  # two live strikes: not suspended


def test_grants_and_tiers_raise_the_quota(world: World) -> None:
    assert isinstance(world.imagine(count=4), Accepted)
    assert isinstance(world.imagine(), Rejected)
    with pytest.raises(ModerationError, match="positive"):
        world.mod.tiers.grant_pictures(world.uid(ADA), -3, "admin:mo")
    world.mod.tiers.grant_pictures(world.uid(ADA), 2, "admin:mo", "contest winner")
    status = world.service.quota(ADA)
    assert (status.used, status.limit, status.granted, status.left) == (4, 4, 2, 2)
    world.mod.tiers.grant_tier(world.uid(ADA), "supporter", "admin:mo", "7d")
    assert world.service.quota(ADA).left == 8 and world.service.quota(ADA).tier == "supporter"
    with pytest.raises(ModerationError, match="No tier"):
        world.mod.tiers.grant_tier(world.uid(ADA), "platinum", "admin:mo")


def test_a_platform_tier_counts_without_an_admin(world: World) -> None:
    assert world.service.quota(MOD, frozenset({"supporter"})).limit == 10
    assert world.service.quota(MOD, frozenset({"unknown-role"})).limit == 4


def test_linking_shares_one_quota_and_ban_and_unlinking_keeps_history(world: World) -> None:
    world.make(Decision.ALLOW, Decision.ALLOW, Decision.ALLOW, who=ADA_ON_TELEGRAM)
    code = world.mod.identity.link_code(ADA).split("code is ")[1].split(".")[0]
    with pytest.raises(ModerationError, match="different platform"):
        world.mod.identity.redeem_link(MOD, code)
    with pytest.raises(ModerationError, match="unknown, already used or expired"):
        world.mod.identity.redeem_link(ADA_ON_TELEGRAM, code)  # a code works once
    code = world.mod.identity.link_code(ADA).split("code is ")[1].split(".")[0]
    assert "Linked" in world.mod.identity.redeem_link(ADA_ON_TELEGRAM, code)
    assert world.uid(ADA) == world.uid(ADA_ON_TELEGRAM)
    assert world.service.quota(ADA).used == 3  # Telegram's pictures today follow the account
    world.mod.sanctions.ban(world.uid(ADA), "admin:mo", "1d", "abuse")
    assert isinstance(world.imagine(ADA_ON_TELEGRAM), Rejected)
    world.mod.sanctions.unban(world.uid(ADA), "admin:mo")
    assert "Unlinked" in world.mod.identity.unlink(ADA_ON_TELEGRAM)
    assert world.uid(ADA) != world.uid(ADA_ON_TELEGRAM)
    with pytest.raises(ModerationError, match="not linked"):
        world.mod.identity.unlink(ADA_ON_TELEGRAM)


def test_expired_link_codes_are_refused(world: World) -> None:
    code = world.mod.identity.link_code(ADA).split("code is ")[1].split(".")[0]
    world.clock.advance(minutes=11)
    with pytest.raises(ModerationError, match="expired"):
        world.mod.identity.redeem_link(ADA_ON_TELEGRAM, code)


def test_unknown_users_are_a_sentence(world: World) -> None:
    with pytest.raises(ModerationError, match="No user"):
        world.mod.identity.resolve_user("discord:nobody")
    assert world.mod.identity.resolve_user("console:ada") == world.uid(ADA)
    assert world.mod.identity.resolve_user(f"#{world.uid(ADA)}") == world.uid(ADA)


def test_bursts_are_slowed_down(tmp_path: Path, prompt_filter: PromptFilter) -> None:
    world, engine = open_world(tmp_path, prompt_filter,
                               QuotaSettings(default_limit=50, max_queued=50, burst_jobs=3, burst_seconds=60))
    service, clock = world.service, world.clock
    outcomes = [service.submit(GenerationRequest(ADA, GenerationParams("a fox"))) for _ in range(4)]
    assert [type(o).__name__ for o in outcomes] == ["Accepted"] * 3 + ["Rejected"]
    assert outcomes[3].code == "rate" and "Try again in 60 seconds" in outcomes[3].message  # type: ignore[union-attr]
    clock.advance(seconds=61)
    assert isinstance(service.submit(GenerationRequest(ADA, GenerationParams("a fox"))), Accepted)
    engine.dispose()


def test_rolling_window_frees_pictures_24_hours_after_they_were_made(tmp_path: Path,
                                                                      prompt_filter: PromptFilter) -> None:
    world, engine = open_world(tmp_path, prompt_filter, QuotaSettings(default_limit=2, max_queued=50,
                                                                      window="rolling"))
    service, clock = world.service, world.clock
    assert isinstance(service.submit(GenerationRequest(ADA, GenerationParams("a fox", count=2))), Accepted)
    clock.advance(hours=13)  # past UTC midnight: a day window would have reset
    refused = service.submit(GenerationRequest(ADA, GenerationParams("a fox")))
    assert isinstance(refused, Rejected) and "12:00 UTC" in refused.message
    clock.advance(hours=11, seconds=1)
    assert isinstance(service.submit(GenerationRequest(ADA, GenerationParams("a fox"))), Accepted)
    engine.dispose()


# --- moderators: who is who, and posts that say what was done -------------------------------------------------------



def _said(outcome: object) -> str:
    assert isinstance(outcome, ModeratorOutcome), outcome
    return "\n".join(render(line) for line in outcome.caption)


def test_moderators_read_names_and_name_members_by_username_mention_or_reply(world: World) -> None:
    world.service.accept_licence(ADA_ON_DISCORD)
    ada, ada_d = world.uid(AUTHOR), world.uid(ADA_ON_DISCORD)
    assert world.mod.identity.label(ada, "telegram") == "Ada (@ada)"
    assert world.mod.identity.label(ada_d, "discord") == "Ada D (<@11>)"
    assert world.mod.identity.label(world.uid(ADA_ON_TELEGRAM), "telegram") == "telegram:555"  # no name, no handle
    assert world.mod.identity.resolve_user("@ADA", "telegram") == ada
    assert world.mod.identity.resolve_user("<@11>") == world.mod.identity.resolve_user("<@!11>") == ada_d
    with pytest.raises(Refusal, match="No user @nobody") as refused:
        world.mod.identity.resolve_user("@nobody", "telegram")
    assert refused.value.code == "mod_no_member"
    # The name follows the member: a new display name shows from their next request on.
    world.imagine(Requester("telegram", "21", "-100", "Ada Lovelace", username="ada"))
    assert world.mod.identity.label(ada, "telegram") == "Ada Lovelace (@ada)"
    banned = world.app.ban(MIA, "@ada", "1d", "spam")
    assert "Ada Lovelace (@ada) is banned until" in banned.message
    # A reply names the member as the platform shows them now.
    assert "Ada (@ada) may make pictures again" in world.app.unban(MIA, AUTHOR).message
    unknown = world.app.ban(MIA, "@nobody", "1d", "spam")
    assert isinstance(unknown, Rejected) and unknown.code == "mod_no_member"
    assert "@nobody" in render(unknown, "zh") and "用户" in render(unknown, "zh")


def test_a_member_reports_a_picture_once(world: World) -> None:
    job = world.make(Decision.ALLOW, who=AUTHOR)
    bob = world.jobs.ensure_user(Requester("console", "bob"))
    assert "reported" in world.mod.reports.report(bob, job, 0, "not ok")
    with pytest.raises(Refusal) as again:
        world.mod.reports.report(bob, job, 0, "really not ok")
    assert again.value.code == "report_duplicate" and str(again.value) == "You already reported this picture."
    # Two presses handled at the same moment both pass the check above: the database keeps one report.
    with pytest.raises(DuplicateReport):
        world.mod.records.add_event("report", f"user:{bob}", now=world.clock.now(), actor_user_id=bob,
                                    target_job_id=job, target_image_idx=0)
    assert "reported" in world.mod.reports.report(world.uid(MOD), job, 0, "")  # another member still may
    assert len([i for i in world.mod.review.waiting() if i.kind == "report"]) == 2


def test_each_decision_edits_the_post_and_pressing_again_changes_nothing(world: World) -> None:
    job = world.make(Decision.REVIEW, Decision.REVIEW, who=AUTHOR)
    desk = world.app.deliveries("telegram", "test")
    assert desk.claim(job) is not None
    desk.mark(job, ["m1", "m2", "m3"])  # two pictures, then the buttons' message

    approved = world.app.decide_picture(MIA, job, 0, "approve")
    assert "by Ada (@ada)" in _said(approved) and "✅ Approved by Mia at 12:" in _said(approved)
    assert isinstance(approved, ModeratorOutcome) and approved.actions == ()
    assert approved.reply.message == f"Picture 1 of job {job} approved."
    public = approved.public
    assert public is not None and (public.kind, public.position, public.posted) == ("unspoiler", 0, 2)
    assert public.still_shown == (0, 1) and public.message_ids == ("m1", "m2", "m3")
    assert public.picture.spoiler is False and not public.picture.filename.startswith("SPOILER_")
    again = world.app.decide_picture(MIA, job, 0, "approve")
    assert isinstance(again, ModeratorOutcome) and again.reply.message == "Already approved by Mia."
    assert again.public is None and again.actions == ()
    decisions = [e.action for e in world.mod.sanctions.history(world.uid(AUTHOR))]
    assert decisions.count("approve") == 1

    removed = world.app.decide_picture(MIA, job, 1, "remove")
    assert isinstance(removed, ModeratorOutcome) and "🗑 Removed by Mia" in _said(removed)
    assert removed.actions == ("ban",)  # the author may still be banned for it
    assert removed.public is not None and (removed.public.kind, removed.public.position) == ("remove", 1)
    assert removed.public.still_shown == (0,)
    assert all(b.idx in (None, 0) for b in removed.public.buttons)  # buttons only for the picture still shown
    assert world.app.decide_picture(MIA, job, 1, "approve").reply.message == "Already removed by Mia."  # type: ignore[union-attr]

    banned = world.app.ban_author(MIA, job, 1, "7d")
    assert isinstance(banned, ModeratorOutcome) and banned.actions == ()
    assert "Ada (@ada) is banned until 2026-01-08" in banned.reply.message
    assert "⛔ Author banned until 2026-01-08" in _said(banned) and "by Mia" in _said(banned)
    refused = world.imagine(AUTHOR)
    # The member reads why they were banned, not where the button was.
    assert isinstance(refused, Rejected) and refused.message.endswith(": picture removed by a moderator.")
    assert world.app.ban_author(MIA, job, 1, "7d").reply.message == "Already banned by Mia."  # type: ignore[union-attr]
    assert "审核" not in render(banned.caption[1], "zh") and "删除" in render(banned.caption[1], "zh")

    history = world.app.member_history("@ada", "telegram")
    assert isinstance(history, tuple)
    lines = [render(line) for line in history]
    assert lines[0] == "Moderation history of Ada (@ada):"
    assert any(" ban by Mia: picture removed by a moderator (until 2026-01-08" in line for line in lines)
    assert any(" approve by Mia" in line for line in lines)


def test_nobody_decides_their_own_picture_from_its_post(world: World) -> None:
    job = world.make(Decision.REVIEW, who=AUTHOR)
    refused = world.app.decide_picture(AUTHOR, job, 0, "approve")
    assert isinstance(refused, Rejected) and "own case" in refused.message
    assert world.app.ban_author(AUTHOR, job, 0, "1d").message.startswith("Moderators cannot")  # type: ignore[union-attr]
    assert world.mod.review.state(job, 0).decision is None  # nothing was removed on the way
