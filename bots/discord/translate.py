"""Discord ⇄ core translation, as plain functions over plain data (unit-tested without Discord).

An interaction's options become a :class:`GenerationRequest`; an :class:`Outcome` or a finished :class:`Job`
becomes message text and file names. Custom ids of buttons carry the job id, so they work after a restart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.command_syntax import parse_size
from core.domain import Accepted, GenerationParams, GenerationRequest, Outcome, Requester
from core.params import InvalidParams

PLATFORM = "discord"
PREFIX = "muralist"
_CUSTOM_ID = re.compile(rf"^{PREFIX}:(?P<action>[a-z_]+):(?P<job>[a-z0-9]{{1,16}})(?::(?P<idx>\d{{1,2}}))?$")
MEMBER_ACTIONS = ("reroll", "variations", "upscale", "report")  # all served by the core
MOD_ACTIONS = ("mod_approve", "mod_remove", "mod_ban")


def requester(user_id: int, channel_id: int | None, name: str | None = None,
              interaction_id: int | None = None) -> Requester:
    return Requester(PLATFORM, str(user_id), None if channel_id is None else str(channel_id), name,
                     None if interaction_id is None else str(interaction_id))


def tiers_for(role_ids: Iterable[int], tier_roles: Mapping[str, str]) -> frozenset[str]:
    """Quota tiers a member's roles carry (``MURALIST_DISCORD_TIER_ROLES``: role id → tier name)."""
    return frozenset(tier_roles[str(r)] for r in role_ids if str(r) in tier_roles)


def imagine_request(who: Requester, options: Mapping[str, object], *, nsfw_channel: bool,
                    tiers: frozenset[str] = frozenset()) -> GenerationRequest:
    """Slash-command options → request. Discord already typed the numbers; ``size`` is text like '512x512'."""
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
        cfg=float(options["cfg"]) if options.get("cfg") is not None else None,  # type: ignore[arg-type]
        count=_int_or_none(options.get("count")) or 1,
        image=str(options["image"]) if options.get("image") else None,
        strength=float(options["strength"]) if options.get("strength") is not None else None,  # type: ignore[arg-type]
    )
    model = str(options["model"]) if options.get("model") else None
    return GenerationRequest(who, params, model, nsfw_allowed=nsfw_channel, tiers=tiers)


def _int_or_none(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def outcome_message(outcome: Outcome) -> str:
    if isinstance(outcome, Accepted):
        return f"{outcome.message} The pictures will be posted in this channel."
    return outcome.message


def custom_id(action: str, job_id: str, idx: int | None = None) -> str:
    return f"{PREFIX}:{action}:{job_id}" + ("" if idx is None else f":{idx}")


@dataclass(frozen=True)
class ButtonPress:
    action: str
    job_id: str
    idx: int | None


def parse_custom_id(value: str) -> ButtonPress | None:
    match = _CUSTOM_ID.match(value)
    if match is None or match["action"] not in (*MEMBER_ACTIONS, *MOD_ACTIONS, "accept"):
        return None
    return ButtonPress(match["action"], match["job"], int(match["idx"]) if match["idx"] else None)
