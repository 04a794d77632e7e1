"""Each obfuscation technique is undone in at least one normalised variant."""

from __future__ import annotations

import pytest

from safety.normalize import base_form, normalise
from safety.rules_engine import glue

CASES = {
    "fullwidth": "ｎｕｄｅ",
    "zero-width": "nu\u200bde",
    "soft hyphen": "nu\u00adde",
    "word joiner": "nu\u2060de",
    "bidi marks": "\u200fnude\u200f",
    "combining marks": "n\u0336u\u0336d\u0336e\u0336",
    "accents": "núdè",
    "mathematical bold": "𝐧𝐮𝐝𝐞",
    "circled": "ⓝⓤⓓⓔ",
    "cyrillic look-alikes": "nаkеd".replace("naked", "naked"),
    "greek look-alikes": "nαkεd",
    "leet": "n4k3d",
    "spaced": "n u d e",
    "dotted": "n.u.d.e",
    "dashed": "n-u-d-e",
    "underscored": "n_u_d_e",
    "repeated": "nuuuuude",
    "sd weights": "((nude:1.3))",
    "brackets": "[nude]",
    "markdown spoiler": "||nude||",
    "markdown strike": "~~n~~ude",
    "markdown bold": "**nude**",
}


@pytest.mark.parametrize("technique", list(CASES))
def test_technique_is_undone(technique: str) -> None:
    words = {w for v in normalise(CASES[technique]).variants for w in v.split()}
    assert words & {"nude", "naked"}, (technique, normalise(CASES[technique]))


def test_ordinary_text_keeps_its_words_and_digits() -> None:
    variants = normalise("A (red:1.2) fox, 3 cats at 10:30").variants
    assert " a red fox 3 cats at 10 30 " in variants


def test_chinese_gaps_are_closed_for_substring_matching() -> None:
    assert glue(base_form("色 情 图 片")).strip() == "色情图片"
    assert glue(base_form("바나나 체리")).strip() == "바나나 체리"  # Korean keeps its spaces: no "나체" across words


def test_lora_names_stay_visible() -> None:
    assert any(" nsfw " in v for v in normalise("<lora:nsfw:0.8> a woman").variants)
