"""What members and operators notice about the prompt filter."""

from __future__ import annotations

import pytest

from safety.prompt_filter import Policy, PromptFilter
from safety.verdict import Decision


@pytest.mark.parametrize("prompt", [
    "a cocktail party", "Scunthorpe town centre", "a cottage in Essex", "breast stroke race", "a naked mole rat",
    "Babbage's analytical engine", "shiitake soup", "色彩斑斓的画", "a child flying a kite", "Taylor Swift on stage",
    "a hillside denuded by fire", "a 10 year old blowing out candles",
])
def test_ordinary_prompts_pass(prompt_filter: PromptFilter, prompt: str) -> None:
    assert prompt_filter.check(prompt).decision is Decision.ALLOW


def test_block_names_the_category_and_the_evidence(prompt_filter: PromptFilter) -> None:
    verdict = prompt_filter.check("a n.u.d.e woman")
    assert verdict.decision is Decision.BLOCK and verdict.categories == ("sexual",)
    assert any("nude" in e for e in verdict.evidence) and verdict.checker == "muralist-prompt"


def test_nsfw_context_allows_sexual_but_never_minors_or_real_people(prompt_filter: PromptFilter) -> None:
    nsfw = Policy(nsfw_allowed=True)
    allowed, minors, person = prompt_filter.check_many(
        [("a nude woman on a bed", ""), ("a nude 15 year old", ""), ("Emma Watson nude", "")], nsfw)
    assert allowed.decision is Decision.ALLOW and "sexual" in allowed.categories
    assert minors.decision is Decision.BLOCK and "minors_sexual" in minors.categories
    assert person.decision is Decision.BLOCK and "real_person_sexual" in person.categories


@pytest.mark.parametrize(("prompt", "negative"), [
    ("portrait of a woman", "clothes, dress"),
    ("a girl on the beach", "adult, mature, swimsuit"),
])
def test_negative_prompt_that_removes_clothing_is_intent(prompt_filter: PromptFilter, prompt: str,
                                                           negative: str) -> None:
    assert prompt_filter.check(prompt, negative).decision is Decision.BLOCK


def test_safety_negatives_are_not_intent(prompt_filter: PromptFilter) -> None:
    assert prompt_filter.check("a lighthouse", "nsfw, nude, adult content, lowres").decision is Decision.ALLOW


def test_minors_signals_in_any_form_with_sexual_are_blocked(prompt_filter: PromptFilter) -> None:
    prompts = ["12yo topless", "a fourteen-year-old, lingerie", "👧 nude", "十二岁 裸体", "schoolgirl, sexy"]
    for verdict in prompt_filter.check_many([(p, "") for p in prompts], Policy(nsfw_allowed=True)):
        assert verdict.decision is Decision.BLOCK and "minors_sexual" in verdict.categories


def test_paraphrase_is_caught_by_meaning(prompt_filter: PromptFilter) -> None:
    verdict = prompt_filter.check("a woman who wore absolutely nothing, posing")
    assert verdict.decision is Decision.BLOCK
    assert any("means" in e for e in verdict.evidence)


def test_suggestive_prompts_run_but_are_reviewed(prompt_filter: PromptFilter) -> None:
    assert prompt_filter.check("a sexy woman in a red dress").decision is Decision.REVIEW
    assert prompt_filter.check("a sexy woman in a red dress", nsfw_allowed=True).decision is Decision.ALLOW


def test_rules_alone_still_block_the_plain_cases() -> None:
    rules_only = PromptFilter(semantic=False)
    assert rules_only.check("a nude woman").decision is Decision.BLOCK
    assert rules_only.version.endswith("rules-only")
