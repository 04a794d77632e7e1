from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from safety.license import get_licence, render, verified_text
from tests.conftest import SHARED_LICENCES

OFFICIAL = SHARED_LICENCES / "creativeml-openrail-m.txt"


def test_metadata_and_summary_are_shipped() -> None:
    lic = get_licence("creativeml-openrail-m")
    assert lic.length == 14385 and len(lic.sha256) == 64
    text = render(lic)
    assert lic.url in text and "/accept" in text and "minors" in text


@pytest.mark.skipif(not OFFICIAL.is_file(), reason="the shared reference licence text is not on this machine")
def test_official_text_is_used_only_when_its_hash_matches(tmp_path: Path) -> None:
    lic = get_licence("creativeml-openrail-m")
    good = tmp_path / "licence.txt"
    shutil.copy(OFFICIAL, good)
    text = verified_text(lic, good)
    assert text is not None and len(text.encode()) == lic.length
    tampered = tmp_path / "tampered.txt"
    tampered.write_bytes(OFFICIAL.read_bytes().replace(b"minors", b"adults", 1))
    assert verified_text(lic, tampered) is None


def test_missing_text_file_falls_back_to_the_url(tmp_path: Path) -> None:
    assert verified_text(get_licence("creativeml-openrail-m"), tmp_path / "nope.txt") is None
