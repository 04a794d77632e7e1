"""The gates of submit, in order, with in-memory fakes: a refusal changes nothing."""

from __future__ import annotations

import pytest

from core.config import Settings
from core.domain import Accepted, GenerationParams, GenerationRequest, Rejected, Requester
from core.fakes import FakeClock, FakeDispatcher, FakeRepository
from core.models_registry import model_spec
from core.service import GenerationService, Limits
from safety.license import get_licence
from safety.prompt_filter import PromptFilter

ALICE = Requester("console", "alice", "c1")


@pytest.fixture
def repo() -> FakeRepository:
    return FakeRepository()


@pytest.fixture
def dispatcher() -> FakeDispatcher:
    return FakeDispatcher()


@pytest.fixture
def service(repo: FakeRepository, dispatcher: FakeDispatcher, prompt_filter: PromptFilter) -> GenerationService:
    spec = model_spec(Settings(model="miniature"))
    return GenerationService(repo, dispatcher, prompt_filter, spec, get_licence(spec.licence_id),
                             Limits(daily_images=3, max_queued_jobs=10), FakeClock())


def imagine(service: GenerationService, prompt: str = "a red fox in the snow", who: Requester = ALICE, **kw: object):  # type: ignore[no-untyped-def]
    return service.submit(GenerationRequest(who, GenerationParams(prompt, **kw)))  # type: ignore[arg-type]


def nothing_changed(repo: FakeRepository, dispatcher: FakeDispatcher) -> bool:
    return not repo.jobs and not repo.ledger and not dispatcher.sent


def test_licence_is_the_first_gate(service: GenerationService, repo: FakeRepository,
                                   dispatcher: FakeDispatcher) -> None:
    # Even a request with bad params hears about the licence first, and no user row is created for it.
    outcome = imagine(service, "", width=7)
    assert isinstance(outcome, Rejected) and outcome.code == "licence"
    assert "/license" in outcome.message and "/accept" in outcome.message
    assert nothing_changed(repo, dispatcher) and not repo.accounts


def test_accepting_records_the_current_text_hash(service: GenerationService, repo: FakeRepository) -> None:
    service.accept_licence(ALICE)
    assert [a.sha256 for a in repo.acceptances] == [get_licence("creativeml-openrail-m").sha256]
    assert service.accept_licence(ALICE).code == "licence_already"
    assert len(repo.acceptances) == 1


def test_a_changed_licence_text_asks_again(service: GenerationService, repo: FakeRepository) -> None:
    service.accept_licence(ALICE)
    repo.acceptances[0].sha256 = "0" * 64  # the user accepted an older text
    outcome = imagine(service)
    assert isinstance(outcome, Rejected) and outcome.code == "licence"


def test_bad_params_change_nothing(service: GenerationService, repo: FakeRepository,
                                   dispatcher: FakeDispatcher) -> None:
    service.accept_licence(ALICE)
    outcome = imagine(service, width=7)
    assert isinstance(outcome, Rejected) and outcome.code == "params"
    assert nothing_changed(repo, dispatcher)


def test_a_control_character_in_the_prompt_is_a_sentence_and_changes_nothing(
        service: GenerationService, repo: FakeRepository, dispatcher: FakeDispatcher) -> None:
    service.accept_licence(ALICE)
    outcome = imagine(service, "a red fox\x00 in the snow")
    assert isinstance(outcome, Rejected) and outcome.code == "params"
    assert outcome.message == "The prompt contains a control character; remove it and try again."
    assert nothing_changed(repo, dispatcher) and not repo.prompt_verdicts


def test_blocked_prompt_is_logged_but_costs_nothing(service: GenerationService, repo: FakeRepository,
                                                    dispatcher: FakeDispatcher) -> None:
    service.accept_licence(ALICE)
    outcome = imagine(service, "a naked woman")
    assert isinstance(outcome, Rejected) and outcome.code == "prompt" and "sexual" in outcome.message
    assert nothing_changed(repo, dispatcher)
    assert [v.decision for _, v, _, _ in repo.prompt_verdicts] == ["block"]


def test_accepted_job_reserves_quota_and_is_enqueued(service: GenerationService, repo: FakeRepository,
                                                     dispatcher: FakeDispatcher) -> None:
    service.accept_licence(ALICE)
    outcome = imagine(service, count=2)
    assert isinstance(outcome, Accepted) and outcome.position == 1
    assert dispatcher.sent == [(outcome.job_id, "muralist.miniature")]
    assert sum(d for _, d, *_ in repo.ledger) == 2


def test_daily_quota_refuses_with_reset_time(service: GenerationService, repo: FakeRepository,
                                             dispatcher: FakeDispatcher) -> None:
    service.accept_licence(ALICE)
    assert isinstance(imagine(service, count=3), Accepted)
    refused = imagine(service)
    assert isinstance(refused, Rejected) and refused.code == "quota"
    assert "0 of 3 left" in refused.message and "00:00 UTC" in refused.message
    assert len(repo.jobs) == 1 and len(dispatcher.sent) == 1


def test_quota_is_per_user(service: GenerationService) -> None:
    bob = Requester("console", "bob")
    service.accept_licence(ALICE)
    service.accept_licence(bob)
    assert isinstance(imagine(service, count=3), Accepted)
    assert isinstance(imagine(service, who=bob), Accepted)


def test_broker_down_refunds_and_says_so(service: GenerationService, repo: FakeRepository,
                                         dispatcher: FakeDispatcher) -> None:
    service.accept_licence(ALICE)
    dispatcher.fail_with = ConnectionError("broker unreachable")
    outcome = imagine(service)
    assert isinstance(outcome, Rejected) and outcome.code == "unavailable"
    assert sum(d for _, d, *_ in repo.ledger) == 0
    assert service.quota(ALICE).used == 0


def test_unknown_model_is_refused(service: GenerationService) -> None:
    service.accept_licence(ALICE)
    outcome = service.submit(GenerationRequest(ALICE, GenerationParams("a fox"), model="sdxl-turbo"))
    assert isinstance(outcome, Rejected) and outcome.code == "model"


def test_licence_full_text_is_offered_only_when_its_hash_matches(repo: FakeRepository, dispatcher: FakeDispatcher,
                                                                  prompt_filter: PromptFilter, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import SHARED_LICENCES

    official = SHARED_LICENCES / "creativeml-openrail-m.txt"
    if not official.is_file():
        pytest.skip("the shared reference licence text is not on this machine")
    spec = model_spec(Settings(model="miniature"))
    tampered = tmp_path / "tampered.txt"
    tampered.write_text(official.read_text() + "\nextra clause")
    good = GenerationService(repo, dispatcher, prompt_filter, spec, get_licence(spec.licence_id), Limits(),
                             licence_file=official)
    bad = GenerationService(repo, dispatcher, prompt_filter, spec, get_licence(spec.licence_id), Limits(),
                            licence_file=tampered)
    assert str(official) in good.licence_text()
    assert str(tampered) not in bad.licence_text() and bad.licence.url in bad.licence_text()


def test_a_model_no_worker_serves_is_refused_at_submit(repo: FakeRepository, dispatcher: FakeDispatcher,
                                                      prompt_filter: PromptFilter) -> None:
    settings = Settings(models=[{"name": "mini-b", "source": "miniature"}])
    from core.models_registry import model_specs

    specs = model_specs(settings)
    assert list(specs) == ["miniature", "mini-b"] and specs["mini-b"].queue == "muralist.mini-b"
    serving = {"miniature"}
    service = GenerationService(repo, dispatcher, prompt_filter, specs["miniature"],
                                get_licence("creativeml-openrail-m"), Limits(), FakeClock(), models=specs,
                                served=serving.__contains__)
    service.accept_licence(ALICE)
    refused = service.submit(GenerationRequest(ALICE, GenerationParams("a fox"), model="mini-b"))
    assert isinstance(refused, Rejected) and "No worker is serving the model mini-b" in refused.message
    assert not repo.jobs and not dispatcher.sent
    serving.add("mini-b")
    accepted = service.submit(GenerationRequest(ALICE, GenerationParams("a fox"), model="mini-b"))
    assert isinstance(accepted, Accepted) and dispatcher.sent == [(accepted.job_id, "muralist.mini-b")]
    assert repo.jobs[accepted.job_id].model == "mini-b"


@pytest.mark.parametrize(("prompt", "relaxed"), [
    ("a woman in a red dress on a beach", True),  # an adult subject: the NSFW channel's picture bands apply
    ("a 12 year old girl on a beach", False),  # a minor in the picture: the strict bands, whatever the channel says
    ("Taylor Swift on a beach", False),  # a real person: the strict bands too
])
def test_nsfw_channels_relax_pictures_of_adults_only(service: GenerationService, repo: FakeRepository,
                                                     prompt: str, relaxed: bool) -> None:
    service.accept_licence(ALICE)
    outcome = service.submit(GenerationRequest(ALICE, GenerationParams(prompt), nsfw_allowed=True))
    assert isinstance(outcome, Accepted)
    assert repo.get_job(outcome.job_id).nsfw_allowed is relaxed  # type: ignore[union-attr]
