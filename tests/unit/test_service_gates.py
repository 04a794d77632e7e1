"""The gates of submit, in order, on the real repository over a SQLite file: a refusal changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from core.config import Settings
from core.domain import Accepted, GenerationParams, GenerationRequest, QuotaSettings, Rejected, Requester
from core.models_registry import model_spec
from core.service import GenerationService
from core.storage.db import build_engine, ensure_schema, session_factory
from core.storage.models import JobRow, LicenceAcceptance, QuotaLedgerRow, SafetyVerdictRow, User
from core.storage.repositories import SqlJobRepository
from safety.license import get_licence
from safety.prompt_filter import PromptFilter
from tests.fakes import FakeClock, FakeDispatcher

ALICE = Requester("console", "alice", "c1")


@pytest.fixture
def engine(tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    engine = build_engine(Settings(data_dir=tmp_path))
    ensure_schema(engine, auto_migrate=True)
    yield engine
    engine.dispose()


@pytest.fixture
def repo(engine: Engine) -> SqlJobRepository:
    return SqlJobRepository(session_factory(engine))


@pytest.fixture
def dispatcher() -> FakeDispatcher:
    return FakeDispatcher()


@pytest.fixture
def service(repo: SqlJobRepository, dispatcher: FakeDispatcher, prompt_filter: PromptFilter) -> GenerationService:
    spec = model_spec(Settings(model="miniature"))
    return GenerationService(repo, dispatcher, prompt_filter, spec, get_licence(spec.licence_id),
                             QuotaSettings(default_limit=3, max_queued=10), FakeClock())


def imagine(service: GenerationService, prompt: str = "a red fox in the snow", who: Requester = ALICE, **kw: object):  # type: ignore[no-untyped-def]
    return service.submit(GenerationRequest(who, GenerationParams(prompt, **kw)))  # type: ignore[arg-type]


def rows(engine: Engine, column: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(column)).scalars())


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def charged(engine: Engine) -> int:
    """Pictures charged across every reservation and refund."""
    return sum(rows(engine, QuotaLedgerRow.delta))


def nothing_changed(engine: Engine, dispatcher: FakeDispatcher) -> bool:
    return count(engine, JobRow) == 0 and count(engine, QuotaLedgerRow) == 0 and not dispatcher.sent


def test_licence_is_the_first_gate(service: GenerationService, engine: Engine, dispatcher: FakeDispatcher) -> None:
    # Even a request with bad params hears about the licence first, and no user row is created for it.
    outcome = imagine(service, "", width=7)
    assert isinstance(outcome, Rejected) and outcome.code == "licence"
    assert "/license" in outcome.message and "/accept" in outcome.message
    assert nothing_changed(engine, dispatcher) and count(engine, User) == 0


def test_accepting_records_the_current_text_hash(service: GenerationService, engine: Engine) -> None:
    service.accept_licence(ALICE)
    assert rows(engine, LicenceAcceptance.text_sha256) == [get_licence("creativeml-openrail-m").sha256]
    assert service.accept_licence(ALICE).code == "licence_already"
    assert count(engine, LicenceAcceptance) == 1


def test_a_changed_licence_text_asks_again(service: GenerationService, engine: Engine) -> None:
    service.accept_licence(ALICE)
    with engine.begin() as conn:  # the user accepted an older text
        conn.execute(update(LicenceAcceptance).values(text_sha256="0" * 64))
    outcome = imagine(service)
    assert isinstance(outcome, Rejected) and outcome.code == "licence"


def test_bad_params_change_nothing(service: GenerationService, engine: Engine, dispatcher: FakeDispatcher) -> None:
    service.accept_licence(ALICE)
    outcome = imagine(service, width=7)
    assert isinstance(outcome, Rejected) and outcome.code == "params"
    assert nothing_changed(engine, dispatcher)


def test_a_control_character_in_the_prompt_is_a_sentence_and_changes_nothing(
        service: GenerationService, engine: Engine, dispatcher: FakeDispatcher) -> None:
    service.accept_licence(ALICE)
    outcome = imagine(service, "a red fox\x00 in the snow")
    assert isinstance(outcome, Rejected) and outcome.code == "params"
    assert outcome.message == "The prompt contains a control character; remove it and try again."
    assert nothing_changed(engine, dispatcher) and count(engine, SafetyVerdictRow) == 0


def test_blocked_prompt_is_logged_but_costs_nothing(service: GenerationService, engine: Engine,
                                                    dispatcher: FakeDispatcher) -> None:
    service.accept_licence(ALICE)
    outcome = imagine(service, "a naked woman")
    assert isinstance(outcome, Rejected) and outcome.code == "prompt" and "sexual" in outcome.message
    assert nothing_changed(engine, dispatcher)
    assert rows(engine, SafetyVerdictRow.decision) == ["block"]


def test_accepted_job_reserves_quota_and_is_enqueued(service: GenerationService, engine: Engine,
                                                     dispatcher: FakeDispatcher) -> None:
    service.accept_licence(ALICE)
    outcome = imagine(service, count=2)
    assert isinstance(outcome, Accepted) and outcome.ahead == 0
    assert dispatcher.sent == [(outcome.job_id, "muralist.miniature")]
    assert charged(engine) == 2


def test_daily_quota_refuses_with_reset_time(service: GenerationService, engine: Engine,
                                             dispatcher: FakeDispatcher) -> None:
    service.accept_licence(ALICE)
    assert isinstance(imagine(service, count=3), Accepted)
    refused = imagine(service)
    assert isinstance(refused, Rejected) and refused.code == "quota"
    assert "0 of 3 left" in refused.message and "00:00 UTC" in refused.message
    assert count(engine, JobRow) == 1 and len(dispatcher.sent) == 1


def test_quota_is_per_user(service: GenerationService) -> None:
    bob = Requester("console", "bob")
    service.accept_licence(ALICE)
    service.accept_licence(bob)
    assert isinstance(imagine(service, count=3), Accepted)
    assert isinstance(imagine(service, who=bob), Accepted)


def test_broker_down_refunds_and_says_so(service: GenerationService, engine: Engine,
                                         dispatcher: FakeDispatcher) -> None:
    service.accept_licence(ALICE)
    dispatcher.fail_with = ConnectionError("broker unreachable")
    outcome = imagine(service)
    assert isinstance(outcome, Rejected) and outcome.code == "unavailable"
    assert charged(engine) == 0
    assert service.quota(ALICE).used == 0


def test_unknown_model_is_refused(service: GenerationService) -> None:
    service.accept_licence(ALICE)
    outcome = service.submit(GenerationRequest(ALICE, GenerationParams("a fox"), model="sdxl-turbo"))
    assert isinstance(outcome, Rejected) and outcome.code == "model"


def test_licence_full_text_is_offered_only_when_its_hash_matches(repo: SqlJobRepository, dispatcher: FakeDispatcher,
                                                                  prompt_filter: PromptFilter, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import SHARED_LICENCES

    official = SHARED_LICENCES / "creativeml-openrail-m.txt"
    if not official.is_file():
        pytest.skip("the shared reference licence text is not on this machine")
    spec = model_spec(Settings(model="miniature"))
    tampered = tmp_path / "tampered.txt"
    tampered.write_text(official.read_text() + "\nextra clause")
    good = GenerationService(repo, dispatcher, prompt_filter, spec, get_licence(spec.licence_id), QuotaSettings(),
                             licence_file=official)
    bad = GenerationService(repo, dispatcher, prompt_filter, spec, get_licence(spec.licence_id), QuotaSettings(),
                            licence_file=tampered)
    assert str(official) in good.licence_text()
    assert str(tampered) not in bad.licence_text() and bad.licence.url in bad.licence_text()


def test_a_model_no_worker_serves_is_refused_at_submit(repo: SqlJobRepository, engine: Engine,
                                                      dispatcher: FakeDispatcher, prompt_filter: PromptFilter) -> None:
    settings = Settings(models=[{"name": "mini-b", "source": "miniature"}])
    from core.models_registry import model_specs

    specs = model_specs(settings)
    assert list(specs) == ["miniature", "mini-b"] and specs["mini-b"].queue == "muralist.mini-b"
    serving = {"miniature"}
    service = GenerationService(repo, dispatcher, prompt_filter, specs["miniature"],
                                get_licence("creativeml-openrail-m"), QuotaSettings(), FakeClock(), models=specs,
                                served=serving.__contains__)
    service.accept_licence(ALICE)
    refused = service.submit(GenerationRequest(ALICE, GenerationParams("a fox"), model="mini-b"))
    assert isinstance(refused, Rejected) and "No worker is serving the model mini-b" in refused.message
    assert count(engine, JobRow) == 0 and not dispatcher.sent
    serving.add("mini-b")
    accepted = service.submit(GenerationRequest(ALICE, GenerationParams("a fox"), model="mini-b"))
    assert isinstance(accepted, Accepted) and dispatcher.sent == [(accepted.job_id, "muralist.mini-b")]
    assert repo.get_job(accepted.job_id).model == "mini-b"  # type: ignore[union-attr]


@pytest.mark.parametrize(("prompt", "relaxed"), [
    ("a woman in a red dress on a beach", True),  # an adult subject: the NSFW channel's picture bands apply
    ("a 12 year old girl on a beach", False),  # a minor in the picture: the strict bands, whatever the channel says
    ("Taylor Swift on a beach", False),  # a real person: the strict bands too
])
def test_nsfw_channels_relax_pictures_of_adults_only(service: GenerationService, repo: SqlJobRepository,
                                                     prompt: str, relaxed: bool) -> None:
    service.accept_licence(ALICE)
    outcome = service.submit(GenerationRequest(ALICE, GenerationParams(prompt), nsfw_allowed=True))
    assert isinstance(outcome, Accepted)
    assert repo.get_job(outcome.job_id).nsfw_allowed is relaxed  # type: ignore[union-attr]
