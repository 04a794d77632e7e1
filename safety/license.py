"""Model licences: shipped metadata, our own plain-language summary, and a hash check for the official text.

The official text is not shipped (it is the licensor's document). An operator may point ``MURALIST_LICENCE_TEXT_PATH``
at a local copy; it is used only if its sha256 matches the metadata, so users always accept exactly the text the
hash names.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Licence:
    id: str
    name: str
    version: str  # the licence's own date
    url: str
    sha256: str  # of the official text; acceptance is recorded against this
    length: int
    summary: str


_OPENRAIL_M_SUMMARY = """\
In plain words (our summary, not legal advice; the official text governs):
- You may use, share and build on the pictures and the model, including commercially, if you keep these rules.
- You may not use it to break the law, to harm minors in any way, or to create content that exploits them.
- You may not create or spread false information meant to harm others, or impersonate people without consent.
- You may not use it to defame, harass, or discriminate against people or groups.
- You may not generate or share personal information about individuals to harm them.
- No fully automated decisions that hurt people's legal rights; no medical advice presented as professional.
- You are responsible for the pictures you make and how you use them.
- If you share the model, you must pass on these same use restrictions."""

LICENCES: dict[str, Licence] = {
    "creativeml-openrail-m": Licence(
        id="creativeml-openrail-m",
        name="CreativeML Open RAIL-M",
        version="2022-08-22",
        url="https://huggingface.co/spaces/CompVis/stable-diffusion-license",
        sha256="be351ebe7ac01bcdbb018639aadcfd38f136b7dc3f2a3d4d3a24db51d1b210ef",
        length=14385,
        summary=_OPENRAIL_M_SUMMARY,
    ),
}


class UnknownLicence(KeyError):
    pass


def get_licence(licence_id: str) -> Licence:
    try:
        return LICENCES[licence_id]
    except KeyError:
        raise UnknownLicence(f"No licence metadata for {licence_id!r}; known: {', '.join(LICENCES)}") from None


def verified_text(licence: Licence, path: Path | None) -> str | None:
    """The official text from ``path`` if it is exactly the text the metadata names; otherwise None (and a warning)."""
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        log.warning("licence text %s unreadable (%s); showing the official URL instead", path, exc)
        return None
    digest = hashlib.sha256(data).hexdigest()
    if digest != licence.sha256:
        log.warning("licence text %s has sha256 %s, expected %s; not used", path, digest, licence.sha256)
        return None
    return data.decode("utf-8")


def render(licence: Licence) -> str:
    return (
        f"{licence.name} ({licence.version})\n{licence.summary}\n"
        f"Official text: {licence.url} (sha256 {licence.sha256[:12]}…)\n"
        "Type /accept to accept it and start making pictures."
    )
