"""Any Unicode, any length: a verdict, never a crash."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safety.prompt_filter import PromptFilter
from safety.verdict import Decision

RULES_ONLY = PromptFilter(semantic=False)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400), st.text(max_size=100))
def test_rule_stage_never_crashes(prompt: str, negative: str) -> None:
    assert RULES_ONLY.check(prompt, negative).decision in set(Decision)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=200), min_size=1, max_size=8))
def test_full_filter_batches_never_crash(prompt_filter: PromptFilter, prompts: list[str]) -> None:
    verdicts = prompt_filter.check_many([(p, "") for p in prompts])
    assert len(verdicts) == len(prompts)


def test_huge_and_hostile_inputs(prompt_filter: PromptFilter) -> None:
    hostile = ["x" * 100_000, "\u202e" * 5000 + "nude", "\x00\x01\x02 nude \x7f", "🦊" * 20_000,
               "(" * 10_000 + "nude" + ")" * 10_000, "ش" * 50_000, "\ud800".encode("utf-8", "surrogatepass")
               .decode("utf-8", "replace")]
    verdicts = prompt_filter.check_many([(h, h[:1000]) for h in hostile])
    assert [v.decision for v in verdicts][1:3] == [Decision.BLOCK, Decision.BLOCK]
