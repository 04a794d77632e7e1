"""Telegram HTML: what members typed shows as typed, and a long sentence is cut before it is escaped."""

from __future__ import annotations

from html import unescape

from bots.telegram.formatting import as_html


def test_member_text_is_escaped_and_job_ids_are_code() -> None:
    sent = as_html("<b>x</b> & co — seed 3, job k3v9q2mx7a", 4096, code=["k3v9q2mx7a", "k3v9q2mx7a"])
    assert sent == "&lt;b&gt;x&lt;/b&gt; &amp; co — seed 3, job <code>k3v9q2mx7a</code>"


def test_the_cut_is_made_in_what_the_member_sees_so_no_entity_is_split() -> None:
    sent = as_html("&" * 2000, 1024)
    assert sent == "&amp;" * 1024 and len(unescape(sent)) == 1024  # Telegram counts the text after parsing


def test_only_job_ids_become_code() -> None:
    # A ten-letter word of the prompt is not a job id unless it is the job's; nothing else is ever markup.
    assert as_html("a lighthouse, job abcdefghij", 100, code=["abcdefghij", "<script>", "amp"]) == \
        "a lighthouse, job <code>abcdefghij</code>"
