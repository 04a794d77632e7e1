"""Discord ⇄ core translation, as plain functions over plain data (unit-tested without Discord).

An interaction's options become :class:`GenerationParams`; custom ids of buttons carry the job id, so they work
after a restart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from core.catalogue import language
from core.command_syntax import parse_size
from core.domain import GenerationParams, Requester
from core.params import InvalidParams

PLATFORM = "discord"
PREFIX = "muralist"


def requester(user_id: int, channel_id: int | None, name: str | None = None, interaction_id: int | None = None, *,
              locale: str | None = None, tiers: frozenset[str] = frozenset(), nsfw_channel: bool = False) -> Requester:
    return Requester(PLATFORM, str(user_id), None if channel_id is None else str(channel_id), name,
                     None if interaction_id is None else str(interaction_id), language=language(locale),
                     tiers=tiers, nsfw_chat=nsfw_channel)


def tiers_for(role_ids: Iterable[int], tier_roles: Mapping[str, str]) -> frozenset[str]:
    """Quota tiers a member's roles carry (``MURALIST_DISCORD_TIER_ROLES``: role id → tier name)."""
    return frozenset(tier_roles[str(r)] for r in role_ids if str(r) in tier_roles)


def imagine_params(options: Mapping[str, object]) -> tuple[GenerationParams, str | None]:
    """Slash-command options → (params, model). Discord already typed the numbers; ``size`` is text like '512x512';
    ``image`` is an upload id (the attachment, stored first)."""
    width = height = None
    size = options.get("size")
    if size is not None:
        width, height = parse_size(str(size))
    seed = options.get("seed")
    if seed is not None and not isinstance(seed, int):
        raise InvalidParams("The seed must be a whole number.")
    params = GenerationParams(
        prompt=str(options.get("prompt") or ""),
        negative_prompt=str(options.get("negative") or ""),
        seed=seed,
        steps=_int_or_none(options.get("steps")),
        width=width,
        height=height,
        cfg=_float_or_none(options.get("cfg")),
        count=_int_or_none(options.get("count")) or 1,
        image=str(options["image"]) if options.get("image") else None,
        strength=_float_or_none(options.get("strength")),
    )
    return params, str(options["model"]) if options.get("model") else None


def _int_or_none(value: object) -> int | None:
    return None if value is None else int(str(value))


def _float_or_none(value: object) -> float | None:
    return None if value is None else float(str(value))


def custom_id(action: str, job_id: str, idx: int | None = None) -> str:
    return f"{PREFIX}:{action}:{job_id}" + ("" if idx is None else f":{idx}")
