"""Whatever text reaches the prompt filter gets a verdict: lone surrogates (from a pipe, from JSON's "\\ud800"
escapes, from an undecodable byte read with surrogateescape) included, with the full filter, meaning stage and all."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safety.prompt_filter import PromptFilter
from safety.verdict import Decision


def test_lone_surrogates_get_a_verdict(prompt_filter: PromptFilter) -> None:
    verdict = prompt_filter.check("a red fox \ud800 in the snow \udfff", "\udcff blurry, \ud83d")
    assert verdict.decision is Decision.ALLOW


def test_a_surrogate_inside_a_word_does_not_hide_it(prompt_filter: PromptFilter) -> None:
    # Dropped, not replaced: "n?ude" would read as no word at all.
    verdicts = prompt_filter.check_many([("a n\ud800ude woman", ""), ("a n\udcffude woman", ""), ("a fox", "")])
    assert [v.decision for v in verdicts] == [Decision.BLOCK, Decision.BLOCK, Decision.ALLOW]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=st.characters(categories=["Cs", "L", "Zs", "P"]), max_size=120), min_size=1,
                max_size=6))
def test_any_text_with_surrogates_gets_a_verdict_in_a_batch(prompt_filter: PromptFilter, prompts: list[str]) -> None:
    verdicts = prompt_filter.check_many([(p, p[::-1]) for p in prompts])
    assert len(verdicts) == len(prompts) and all(v.decision in set(Decision) for v in verdicts)
