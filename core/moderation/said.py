"""What a moderation action says it did: the English sentence itself (a ``str``, so the operator's CLI prints it and
tests compare it as before) that also names its catalogue entry, so a chat says it in the reader's language."""

from __future__ import annotations

from core.catalogue import said


class Said(str):
    code: str
    values: dict[str, object]

    def __new__(cls, code: str, **values: object) -> Said:
        sentence = super().__new__(cls, said(code, "en", values))
        sentence.code, sentence.values = code, values
        return sentence
