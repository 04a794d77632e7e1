"""Text command syntax shared by text-first adapters (console, Telegram): ``<prompt> [--flag value]...``.

Prompts contain apostrophes and quotes, so this is not shlex: the prompt is everything before the first ``--flag``,
and each flag's value runs to the next flag.
"""

from __future__ import annotations

import re

from core.domain import GenerationParams
from core.params import InvalidParams
from core.spec import JobSpec

FLAGS = ("negative", "no", "seed", "steps", "size", "ar", "cfg", "count", "style", "sampler", "image", "strength",
         "box", "mask", "model", "style-image", "style-strength")
# Flags that may stand alone: a bare --style-image on a photo's caption (or on a reply to a picture) means "that
# picture"; the adapter fills it in, and core refuses it with a sentence where there is none.
BARE_FLAGS = ("style-image",)
# A phone turns "--" into an em or en dash: "—seed 5" means "--seed 5".
# Only before a known flag name, so a dash in prose ("a fox — in the snow") stays prose.
_DASHED_FLAG = re.compile(r"(^|\s)[\u2014\u2013]\s?(?=(?:" + "|".join(FLAGS) + r")(?:\s|=|$))", re.IGNORECASE)
_FLAG = re.compile(r"(?:^|\s)--([A-Za-z][\w-]*)(?=\s|$|=)=?")


def _as_int(flag: str, raw: str) -> int:
    try:
        return int(raw, 10)
    except ValueError:
        raise InvalidParams("params_flag_int", flag=flag, raw=raw) from None


def _as_float(flag: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise InvalidParams("params_flag_number", flag=flag, raw=raw) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidParams("params_flag_finite", flag=flag)
    return value


def parse_size(raw: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,5})\s*[xX×*]\s*(\d{1,5})", raw)
    if not match:
        raise InvalidParams("params_size_format", raw=raw)
    return int(match.group(1)), int(match.group(2))


def parse_flags(text: str, allowed: tuple[str, ...] = FLAGS,
                bare: tuple[str, ...] = ()) -> tuple[str, dict[str, str]]:
    """(the text before the first flag, {flag: value}; "" for a flag in ``bare`` given without a value). Raises
    :class:`InvalidParams` on unknown or repeated flags."""
    text = _DASHED_FLAG.sub(r"\1--", text)
    matches = list(_FLAG.finditer(text))
    prompt = text[: matches[0].start()] if matches else text
    values: dict[str, str] = {}
    for i, match in enumerate(matches):
        flag = match.group(1).lower()
        if flag not in allowed:
            raise InvalidParams("params_flag_unknown", flag=flag, options=", ".join(f"--{f}" for f in allowed))
        if flag in values:
            raise InvalidParams("params_flag_twice", flag=flag)
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[match.end() : end].strip()
        if not value and flag not in bare:
            raise InvalidParams("params_flag_value", flag=flag)
        values[flag] = value
    return prompt, values


def parse_aspect(raw: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,2})\s*[:xX×/]\s*(\d{1,2})", raw.strip())
    if not match:
        raise InvalidParams("params_ar_format", raw=raw[:20])
    return int(match.group(1)), int(match.group(2))


def parse_imagine(text: str) -> GenerationParams:
    """Parse the argument text of ``/imagine`` (Midjourney habits included: ``--ar 3:2``, ``--no text``). Raises
    :class:`InvalidParams` on unknown or malformed flags."""
    prompt, values = parse_flags(text, bare=BARE_FLAGS)
    width = height = None
    if "size" in values:
        width, height = parse_size(values["size"])
    negative = ", ".join(v for v in (values.get("negative", ""), values.get("no", "")) if v)
    return GenerationParams(
        prompt=prompt.strip(),
        negative_prompt=negative,
        aspect=parse_aspect(values["ar"]) if "ar" in values else None,
        seed=_as_int("seed", values["seed"]) if "seed" in values else None,
        steps=_as_int("steps", values["steps"]) if "steps" in values else None,
        width=width,
        height=height,
        cfg=_as_float("cfg", values["cfg"]) if "cfg" in values else None,
        count=_as_int("count", values["count"]) if "count" in values else 1,
        style=values.get("style", "").lower() or None,
        sampler=values.get("sampler", "").lower() or None,
        image=values.get("image"),
        strength=_as_float("strength", values["strength"]) if "strength" in values else None,
        box=values.get("box"),
        mask=values.get("mask"),
        style_image=values.get("style-image"),
        style_strength=_as_float("style-strength", values["style-strength"]) if "style-strength" in values else None,
    )


def parse_imagine_request(text: str) -> tuple[GenerationParams, str | None]:
    """The parameters and the ``--model`` asked for (None: the default model)."""
    _, values = parse_flags(text, bare=BARE_FLAGS)
    return parse_imagine(text), values.get("model")


# --- the commands on one picture, shared by every text front door (console, Telegram) --------------------------------


def parse_report(text: str) -> tuple[str, int, str] | None:
    """``/report JOB [N] [why]`` → (job, picture index from 0, reason); None when no job is named."""
    parts = text.split(maxsplit=2)
    if not parts:
        return None
    numbered = len(parts) > 1 and parts[1].isdigit() and len(parts[1]) <= 2
    number = int(parts[1]) if numbered else 1
    return parts[0], number - 1, " ".join(parts[2:] if numbered else parts[1:])


def parse_variations(text: str) -> tuple[str, float, int | None]:
    """``/variations PICTURE [--strength X] [--count N]`` → (picture, strength, count; None: not given, the
    facade's usual number). Raises :class:`InvalidParams` on a malformed flag or a missing picture (the ranges are
    core.params' to check)."""
    ref, values = parse_flags(text, ("strength", "count"))
    if not ref.strip():
        raise InvalidParams("params_which_picture")
    strength = _as_float("strength", values["strength"]) if "strength" in values else 0.6
    return ref.strip(), strength, _as_int("count", values["count"]) if "count" in values else None


def parse_upscale(text: str) -> tuple[str, int]:
    """``/upscale PICTURE [--factor 2|4]`` → (picture, factor). Raises :class:`InvalidParams` like
    :func:`parse_variations`."""
    ref, values = parse_flags(text, ("factor",))
    if not ref.strip():
        raise InvalidParams("params_which_picture")
    return ref.strip(), _as_int("factor", values["factor"]) if "factor" in values else 2


def parse_cartoon(text: str) -> tuple[str, str]:
    """``/cartoon PICTURE [what it shows]`` → (picture, prompt); the prompt may be empty (a job's picture keeps its
    own prompt). Raises :class:`InvalidParams` when no picture is named."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        raise InvalidParams("params_which_picture")
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


def imagine_line(spec: JobSpec, model: str, seed: int, count: int) -> str:
    """The ``/imagine`` line that asks for ``spec`` again with ``seed`` and ``count`` (every front door parses it
    with :func:`parse_imagine`). No ``--style``: a style's words are already in the stored prompts, and naming it
    would add them a second time. No ``--image``: an input picture is never named by its place on the server; a style
    reference ends the line as a bare ``--style-image``, for the member to name or attach the picture again."""
    flags = [f"--seed {seed}", f"--steps {spec.steps}", f"--size {spec.width}x{spec.height}", f"--cfg {spec.cfg:g}"]
    if spec.negative_prompt:
        flags.insert(0, f"--negative {spec.negative_prompt}")
    if spec.sampler != "default":
        flags.append(f"--sampler {spec.sampler}")
    if spec.strength is not None:
        flags.append(f"--strength {spec.strength:g}")
    if count != 1:
        flags.append(f"--count {count}")
    flags.append(f"--model {model}")
    if spec.style_image is not None and spec.style_strength is not None:
        flags += [f"--style-strength {spec.style_strength:g}", "--style-image"]
    return " ".join(["/imagine", spec.prompt, *flags])
