"""Discord ⇄ core translation, as plain functions over plain data (unit-tested without Discord).

An interaction's options become :class:`GenerationParams`; custom ids of buttons carry the job id, so they work
after a restart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from core.catalogue import language
from core.command_syntax import parse_imagine_request, parse_size
from core.domain import GenerationParams, Requester
from core.params import InvalidParams

PLATFORM = "discord"
PREFIX = "muralist"


def requester(user_id: int, channel_id: int | None, name: str | None = None, interaction_id: int | None = None, *,
              locale: str | None = None, tiers: frozenset[str] = frozenset(), nsfw_channel: bool = False,
              username: str | None = None) -> Requester:
    return Requester(PLATFORM, str(user_id), None if channel_id is None else str(channel_id), name,
                     None if interaction_id is None else str(interaction_id), language=language(locale),
                     tiers=tiers, nsfw_chat=nsfw_channel, username=username)


def tiers_for(role_ids: Iterable[int], tier_roles: Mapping[str, str]) -> frozenset[str]:
    """Quota tiers a member's roles carry (``MURALIST_DISCORD_TIER_ROLES``: role id → tier name)."""
    return frozenset(tier_roles[str(r)] for r in role_ids if str(r) in tier_roles)


def imagine_params(options: Mapping[str, object]) -> tuple[GenerationParams, str | None]:
    """Slash-command options → (params, model). Flags typed inside the prompt ("a fox --seed 3 --ar 3:2 --no text",
    as Midjourney users type them) are parsed like on every other front door; an explicit slash option wins over the
    same flag typed in the prompt. ``image`` and ``style_image`` are upload ids (the attachments, stored first)."""
    typed, typed_model = parse_imagine_request(str(options.get("prompt") or ""))
    explicit: dict[str, object] = {}
    size = options.get("size")
    if size is not None:
        explicit["width"], explicit["height"] = parse_size(str(size))
        explicit["aspect"] = None
    seed = options.get("seed")
    if seed is not None and not isinstance(seed, int):
        raise InvalidParams("params_seed_whole")
    for name, value in (("seed", seed), ("steps", _int_or_none(options.get("steps"))),
                        ("cfg", _float_or_none(options.get("cfg"))), ("count", _int_or_none(options.get("count"))),
                        ("strength", _float_or_none(options.get("strength"))),
                        ("style_strength", _float_or_none(options.get("style_strength"))),
                        ("image", str(options["image"]) if options.get("image") else None),
                        ("style_image", str(options["style_image"]) if options.get("style_image") else None)):
        if value is not None:
            explicit[name] = value
    negative = ", ".join(n for n in (typed.negative_prompt, str(options.get("negative") or "")) if n)
    for name in ("style", "sampler"):  # lower case, as the text front doors read --style and --sampler
        if options.get(name):
            explicit[name] = str(options[name]).strip().lower()
    model = str(options["model"]) if options.get("model") else typed_model
    return replace(typed, negative_prompt=negative, **explicit), model  # type: ignore[arg-type]


def _int_or_none(value: object) -> int | None:
    return None if value is None else int(str(value))


def _float_or_none(value: object) -> float | None:
    return None if value is None else float(str(value))


def custom_id(action: str, job_id: str, idx: int | None = None) -> str:
    return f"{PREFIX}:{action}:{job_id}" + ("" if idx is None else f":{idx}")
