"""A chat's limits and defaults (``/settings``, for its admins) and a member's own defaults (``/prefs``): the names,
the values each takes, how a request is filled in from them, and how a job is held to the limits.

Precedence, as members expect it: a flag they type wins; then their own default; then the chat's default; then the
style's or the model's. A chat's limit wins over all of them: what the member asked for (by a flag or by their own
default) beyond it is refused with one sentence, while what nobody asked for (the model's default size, a style's
steps, the chat's own default) is quietly lowered to fit. Stdlib and core rules only: no storage here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from core.command_syntax import parse_size
from core.domain import ChatLimits, GenerationParams, JobSpec, Rejected
from core.params import MAX_COUNT, MAX_PROMPT_CHARS, MIN_SIDE, SAMPLERS, InvalidParams
from core.styles import load_styles

# What a chat's admins may change with /settings NAME VALUE (nsfw and others_buttons are kept under their
# historical stored keys, see core.chat_settings; the rest are stored under their own names).
CHAT_LIMITS = ("max_steps", "max_count", "max_size")
CHAT_DEFAULTS = ("style", "steps", "size")
# What a member may set for themself with /prefs NAME VALUE.
MEMBER_DEFAULTS = ("style", "sampler", "size", "steps", "negative")
UNSET_WORDS = ("off", "none")  # "/settings max_steps off": back to the service's own limit or the model's default
UNSET_SHOWN = "—"


@dataclass(frozen=True)
class ServiceLimits:
    """The service's own limits across its models: no chat setting or member default may go beyond them."""

    max_steps: int
    max_side: int
    max_count: int = MAX_COUNT
    max_prompt_chars: int = MAX_PROMPT_CHARS


class BadValue(ValueError):
    """A value a setting does not take; ``refusal`` is the one sentence that says which values it does."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message)
        self.refusal = Rejected("setting_value", {"message": message, **values})


def normalised(name: str, raw: str, service: ServiceLimits) -> str | None:
    """The value to store for setting ``name`` (None: unset it). Raises :class:`BadValue`."""
    value = raw.strip()
    if value.lower() in UNSET_WORDS:
        return None
    if name in ("max_steps", "steps"):
        return str(_number(name, value, 1, service.max_steps))
    if name == "max_count":
        return str(_number(name, value, 1, service.max_count))
    if name == "max_size":
        side = _number(name, value, MIN_SIDE, service.max_side, message="setting_side")
        if side % 8:
            raise BadValue("setting_side", name=name, low=MIN_SIDE, high=service.max_side)
        return str(side)
    if name == "size":
        width, height = _size(value, service)
        return f"{width}x{height}"
    if name == "style":
        styles = load_styles()
        if value.lower() not in styles:
            raise BadValue("setting_choice", name=name, choices=", ".join(styles))
        return value.lower()
    if name == "sampler":
        if value.lower() not in SAMPLERS:
            raise BadValue("setting_choice", name=name, choices=", ".join(SAMPLERS))
        return value.lower()
    if name == "negative":
        if len(value) > service.max_prompt_chars or any(ord(ch) < 32 for ch in value):
            raise BadValue("setting_text", name=name, high=service.max_prompt_chars)
        return value
    raise ValueError(f"unknown setting {name!r}")


def _number(name: str, value: str, low: int, high: int, message: str = "setting_number") -> int:
    if not value.isdigit() or len(value) > 6 or not low <= int(value) <= high:
        raise BadValue(message, name=name, low=low, high=high)
    return int(value)


def _size(value: str, service: ServiceLimits) -> tuple[int, int]:
    """``WxH``, or one number for a square."""
    try:
        width, height = parse_size(value) if not value.isdigit() else (int(value), int(value))
    except InvalidParams:
        width = height = 0
    if not all(MIN_SIDE <= side <= service.max_side and side % 8 == 0 for side in (width, height)):
        raise BadValue("setting_size", low=MIN_SIDE, high=service.max_side)
    return width, height


def limits_of(stored: Mapping[str, str]) -> ChatLimits:
    """A chat's limits from its stored settings (values were checked when they were set)."""
    def number(key: str) -> int | None:
        value = stored.get(key)
        return int(value) if value and value.isdigit() else None
    return ChatLimits(max_steps=number("max_steps"), max_count=number("max_count"), max_size=number("max_size"))


def fill_defaults(params: GenerationParams, mine: Mapping[str, str], chat: Mapping[str, str],
                  limits: ChatLimits) -> tuple[GenerationParams, frozenset[str]]:
    """``params`` with what the member left out filled from their own defaults (``mine``), then the chat's; and the
    names the member's defaults filled (a limit refuses those with a sentence that says it was their default). The
    chat's defaults are lowered to its limits here: the chat asked for them, not the member."""
    if params.upscale is not None or params.restore:
        return params, frozenset()  # enlarging or restoring a picture: nothing to default
    changes: dict[str, object] = {}
    defaulted: set[str] = set()
    if params.style is None and (style := mine.get("style") or chat.get("style")):
        changes["style"] = style
        if "style" in mine:
            defaulted.add("style")
    if params.sampler is None and "sampler" in mine:
        changes["sampler"] = mine["sampler"]
        defaulted.add("sampler")
    if not params.negative_prompt.strip() and "negative" in mine:
        changes["negative_prompt"] = mine["negative"]
        defaulted.add("negative")
    if params.steps is None:
        if "steps" in mine:
            changes["steps"] = int(mine["steps"])
            defaulted.add("steps")
        elif "steps" in chat:
            changes["steps"] = min(int(chat["steps"]), limits.max_steps or int(chat["steps"]))
    # A size only for a picture made from words alone in no shape of the member's (--ar): an input picture keeps
    # its own proportions.
    if params.width is None and params.height is None and params.aspect is None and params.image is None:
        if "size" in mine:
            changes["width"], changes["height"] = parse_size(mine["size"])
            defaulted.add("size")
        elif "size" in chat:
            changes["width"], changes["height"] = _within(*parse_size(chat["size"]), limits.max_size)
    return replace(params, **changes), frozenset(defaulted)  # type: ignore[arg-type]


def hold_to_limits(asked: GenerationParams, spec: JobSpec, limits: ChatLimits,
                   defaulted: frozenset[str] = frozenset()) -> JobSpec | Rejected:
    """The checked ``spec`` within the chat's ``limits``, or the one sentence that refuses it. ``asked``: the
    request as the member (or their defaults, named in ``defaulted``) gave it. Enlarging and restoring faces run no
    diffusion steps and keep their picture's proportions: the limits are on making pictures."""
    if spec.kind in ("upscale", "restore"):
        return spec
    if limits.max_count is not None and spec.count > limits.max_count:
        return _over("count", spec.count, limits.max_count, defaulted)
    if limits.max_steps is not None and spec.steps > limits.max_steps:
        if asked.steps is not None:
            return _over("steps", spec.steps, limits.max_steps, defaulted)
        spec = replace(spec, steps=limits.max_steps)
    if limits.max_size is not None and max(spec.width, spec.height) > limits.max_size:
        # A box is measured on the picture as it is: it cannot be shrunk with it.
        if asked.width is not None or asked.height is not None or spec.box is not None:
            return _over("size", f"{spec.width}x{spec.height}", limits.max_size, defaulted)
        width, height = _within(spec.width, spec.height, limits.max_size)
        spec = replace(spec, width=width, height=height)
    return spec


def _over(name: str, asked: object, limit: int, defaulted: frozenset[str]) -> Rejected:
    if name in defaulted:
        return Rejected("chat_limit", {"message": "limit_default", "name": name, "asked": asked, "limit": limit})
    return Rejected("chat_limit", {"message": f"limit_{name}", "asked": asked, "limit": limit})


def _within(width: int, height: int, longest: int | None) -> tuple[int, int]:
    """``width`` × ``height`` scaled down, in its proportions, so its longest side is at most ``longest`` (each
    side a multiple of 8, as the model's grid needs)."""
    if longest is None or max(width, height) <= longest:
        return width, height
    scale = longest / max(width, height)
    return (max(MIN_SIDE, int(width * scale) // 8 * 8), max(MIN_SIDE, int(height * scale) // 8 * 8))


def shown(stored: Mapping[str, str], names: tuple[str, ...]) -> dict[str, object]:
    """Settings as /settings and /prefs list them: unset ones as a dash."""
    return {name: stored.get(name) or UNSET_SHOWN for name in names}
