"""Hostile input to `muralist admin`: every subcommand with random arguments answers with a sentence and an exit code,
never a traceback (hypothesis, in process through typer's runner)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bots.cli import cli

SUBCOMMANDS = [["ban"], ["unban"], ["grant"], ["review"], ["history"], ["export"], ["stats"]]
NASTY = ["#99999999999999999999999", "#1", "console:ada", "discord:", ":", "img:x", "img:abc:99999", "bogus",
         "approve", "--for", "1e20", "99999999999999999999d", "--reason", "x", "--pictures", "100000000000000000000",
         "--tier", "nope", "/dev/null", "/proc/nope/x", "--as", "\x00", "🦊", "-1"]


pytestmark = pytest.mark.usefixtures("in_a_scratch_folder")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return {"MURALIST_DATA_DIR": str(tmp_path_factory.mktemp("admin-fuzz"))}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(words=["review", "img:x", "bogus"])
@example(words=["ban", "#99999999999999999999999", "--for", "1d", "--reason", "x"])
@example(words=["grant", "#1", "--pictures", "100000000000000000000"])
@example(words=["export", "/dev/null"])
@given(words=st.builds(lambda head, tail: head + tail, st.sampled_from(SUBCOMMANDS),
                       st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=20)), max_size=5)))
def test_admin_commands_answer_in_sentences(env: dict[str, str], words: list[str]) -> None:
    result = CliRunner().invoke(cli, ["admin", *words], env=env)
    assert result.exit_code in (0, 1, 2), (words, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), (words, result.exception)
    assert "Traceback" not in result.output, (words, result.output)


def test_export_to_an_unwritable_place_is_one_sentence(env: dict[str, str], tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["admin", "export", "/dev/null"], env=env)
    assert result.exit_code == 2 and "Could not write /dev/null" in result.output
