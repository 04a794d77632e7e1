"""Style presets: a data file of named styles (prompt prefix/suffix, negative additions, default steps/cfg)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

STYLES_FILE = Path(__file__).with_name("styles.json")


@dataclass(frozen=True)
class Style:
    name: str
    description: str
    prefix: str
    suffix: str
    negative: str
    steps: int | None
    cfg: float | None

    def apply(self, prompt: str, negative: str) -> tuple[str, str]:
        styled_negative = ", ".join(p for p in (negative, self.negative) if p)
        return f"{self.prefix}{prompt}{self.suffix}", styled_negative


@lru_cache(maxsize=4)
def load_styles(path: Path = STYLES_FILE) -> dict[str, Style]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {name: Style(name, v.get("description", ""), v.get("prefix", ""), v.get("suffix", ""),
                        v.get("negative", ""), v.get("steps"), v.get("cfg")) for name, v in raw.items()}
