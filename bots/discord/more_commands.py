"""The console's other commands on Discord, so every front door offers the same: /help, /styles, /models, /reroll,
/variations, /upscale, /report, /appeal, /link, /unlink, /prefs for each member's own defaults, and /settings for a
channel's moderators. Like :mod:`bots.discord.commands`, each only translates between Discord and the facade."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands

from bots.discord.buttons import rendered
from bots.discord.commands import upload_attachment
from bots.discord.deps import deps_of, is_moderator, say, who
from bots.discord.localized import described
from bots.listings import help_text, models_text, styles_text
from core.catalogue import render, text
from core.domain import Accepted, Notice, Outcome, Reply, Requester


async def _submitted(interaction: discord.Interaction[Any], outcome: Outcome) -> None:
    """Answer a deferred submit; an accepted job's answer is the reply its progress is drawn into."""
    if isinstance(outcome, Accepted):
        deps_of(interaction).track(outcome, interaction)
    await interaction.edit_original_response(content=rendered(outcome, who(interaction).language))


@app_commands.command(name="help", description=described("cmd_help"))
async def show_help(interaction: discord.Interaction[Any]) -> None:
    await say(interaction, help_text(who(interaction).language, "discord"))


@app_commands.command(name="styles", description=described("cmd_styles"))
async def show_styles(interaction: discord.Interaction[Any]) -> None:
    await say(interaction, await asyncio.to_thread(styles_text, deps_of(interaction).app, who(interaction).language))


@app_commands.command(name="models", description=described("cmd_models"))
async def show_models(interaction: discord.Interaction[Any]) -> None:
    await say(interaction, await asyncio.to_thread(models_text, deps_of(interaction).app, who(interaction).language))


@app_commands.command(name="reroll", description=described("cmd_reroll"))
@app_commands.describe(job=described("opt_job_id"))
async def reroll(interaction: discord.Interaction[Any], job: str) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)  # the gates touch the database
    await _submitted(interaction, await asyncio.to_thread(deps_of(interaction).app.reroll, who(interaction),
                                                          job.strip()))


@app_commands.command(name="variations", description=described("cmd_variations"))
@app_commands.describe(picture=described("opt_picture_ref"), strength=described("opt_variations_strength"),
                       count=described("opt_variations_count"))
async def variations(interaction: discord.Interaction[Any], picture: str, strength: float = 0.6,
                     count: int | None = None) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    outcome = await asyncio.to_thread(deps_of(interaction).app.variations, who(interaction), picture.strip(),
                                      strength=strength, count=count)
    await _submitted(interaction, outcome)


@app_commands.command(name="upscale", description=described("cmd_upscale"))
@app_commands.describe(picture=described("opt_picture_ref"), factor=described("opt_upscale_factor"))
@app_commands.choices(factor=[app_commands.Choice(name="×2", value=2), app_commands.Choice(name="×4", value=4)])
async def upscale(interaction: discord.Interaction[Any], picture: str,
                  factor: app_commands.Choice[int] | None = None) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    outcome = await asyncio.to_thread(deps_of(interaction).app.upscale, who(interaction), picture.strip(),
                                      factor.value if factor else 2)
    await _submitted(interaction, outcome)


async def _picture_ref(interaction: discord.Interaction[Any], lang: str, picture: discord.Attachment | None,
                       job: str | None, usage: str) -> str | None:
    """What a picture command works on — an attachment (which crosses to core only as an upload id) or a job
    reference, exactly one of the two — or None once the deferred answer says why not (``usage``, or the refusal)."""
    ref = (job or "").strip()
    if (picture is None) == (not ref):
        await interaction.edit_original_response(content=text(usage, lang))
        return None
    if picture is None:
        return ref
    upload_id, refusal = await upload_attachment(picture, lang, deps_of(interaction).app.upload)
    if upload_id is None:
        await interaction.edit_original_response(content=refusal)
    return upload_id


@app_commands.command(name="cartoon", description=described("cmd_cartoon"))
@app_commands.describe(picture=described("opt_cartoon_picture"), job=described("opt_picture_job"),
                       prompt=described("opt_cartoon_prompt"))
async def cartoon(interaction: discord.Interaction[Any], picture: discord.Attachment | None = None,
                  job: str | None = None, prompt: str = "") -> None:
    """The "photo to cartoon" preset."""
    await interaction.response.defer(ephemeral=True, thinking=True)
    deps, member = deps_of(interaction), who(interaction)
    ref = await _picture_ref(interaction, member.language, picture, job, "cartoon_usage")
    if ref is None:
        return
    await _submitted(interaction, await asyncio.to_thread(deps.app.cartoon, member, ref, prompt))


@app_commands.command(name="restore", description=described("cmd_restore"))
@app_commands.describe(picture=described("opt_restore_picture"), job=described("opt_picture_job"))
async def restore(interaction: discord.Interaction[Any], picture: discord.Attachment | None = None,
                  job: str | None = None) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    deps, member = deps_of(interaction), who(interaction)
    if not deps.app.restore_available():
        await interaction.edit_original_response(content=text("restore_unconfigured", member.language))
        return
    ref = await _picture_ref(interaction, member.language, picture, job, "restore_usage")
    if ref is None:
        return
    await _submitted(interaction, await asyncio.to_thread(deps.app.restore, member, ref))


@app_commands.command(name="report", description=described("cmd_report"))
@app_commands.describe(job=described("opt_job_id"), number=described("opt_report_number"),
                       reason=described("opt_report_reason"))
async def report(interaction: discord.Interaction[Any], job: str, number: app_commands.Range[int, 1, 99] = 1,
                 reason: str = "") -> None:
    deps, member = deps_of(interaction), who(interaction)
    reply = await asyncio.to_thread(deps.app.report, member, job.strip(), number - 1, reason)
    await say(interaction, render(reply, member.language))
    if isinstance(reply, Notice) and deps.delivery is not None:  # as the Report button does
        await deps.delivery.post_to_moderators(job.strip(), number - 1, "why_report", str(interaction.channel_id))


@app_commands.command(name="appeal", description=described("cmd_appeal"))
@app_commands.describe(target=described("opt_appeal_target"))
async def appeal(interaction: discord.Interaction[Any], target: str) -> None:
    member = who(interaction)
    reply = await asyncio.to_thread(deps_of(interaction).app.appeal, member, target.strip())
    await say(interaction, render(reply, member.language))


@app_commands.command(name="link", description=described("cmd_link"))
@app_commands.describe(code=described("opt_link_code"))
async def link(interaction: discord.Interaction[Any], code: str | None = None) -> None:
    member = who(interaction)
    reply = await asyncio.to_thread(deps_of(interaction).app.link, member, (code or "").strip() or None)
    await say(interaction, render(reply, member.language))


@app_commands.command(name="unlink", description=described("cmd_unlink"))
async def unlink(interaction: discord.Interaction[Any]) -> None:
    member = who(interaction)
    reply = await asyncio.to_thread(deps_of(interaction).app.unlink, member)
    await say(interaction, render(reply, member.language))


# No nsfw here: on Discord an NSFW context is the channel's own age-restricted flag, which Discord asks for.
CHANNEL_SETTINGS = ("others_buttons", "max_steps", "max_count", "max_size", "style", "steps", "size")
MEMBER_SETTINGS = ("style", "sampler", "size", "steps", "negative")


@app_commands.command(name="settings", description=described("cmd_settings"))
@app_commands.describe(setting=described("opt_settings_setting"), value=described("opt_settings_value"))
@app_commands.choices(setting=[app_commands.Choice(name=name, value=name) for name in CHANNEL_SETTINGS])
@app_commands.default_permissions(manage_messages=True)
@app_commands.guild_only()
async def settings(interaction: discord.Interaction[Any], setting: app_commands.Choice[str] | None = None,
                   value: str | None = None) -> None:
    """Hidden from members by ``default_permissions``; anyone who reaches it anyway is refused and audited."""
    deps, member = deps_of(interaction), who(interaction)
    if not is_moderator(interaction):
        refusal = await asyncio.to_thread(deps.app.refuse_non_moderator, member, "/settings")
        await say(interaction, render(refusal, member.language))
        return
    await _show_or_change(interaction, setting, value, deps.app.chat_settings, deps.app.change_chat_setting,
                          "settings_usage")


@app_commands.command(name="prefs", description=described("cmd_prefs"))
@app_commands.describe(setting=described("opt_prefs_setting"), value=described("opt_prefs_value"))
@app_commands.choices(setting=[app_commands.Choice(name=name, value=name) for name in MEMBER_SETTINGS])
async def prefs(interaction: discord.Interaction[Any], setting: app_commands.Choice[str] | None = None,
                value: str | None = None) -> None:
    """Every member, for themself only."""
    app = deps_of(interaction).app
    await _show_or_change(interaction, setting, value, app.preferences, app.change_preference, "prefs_usage")


async def _show_or_change(interaction: discord.Interaction[Any], setting: app_commands.Choice[str] | None,
                          value: str | None, show: Callable[[Requester], Reply],
                          change: Callable[[Requester, str, str], Reply], usage: str) -> None:
    """``/settings`` and ``/prefs``: no arguments show them all, a name and a value change one, anything else gets
    the usage."""
    member = who(interaction)
    reply: Reply
    if setting is None and value is None:
        reply = await asyncio.to_thread(show, member)
    elif setting is None or not (value or "").strip():
        await say(interaction, text(usage, member.language))
        return
    else:
        reply = await asyncio.to_thread(change, member, setting.value, value or "")
    await say(interaction, render(reply, member.language))


MORE_COMMANDS: tuple[app_commands.Command[Any, Any, Any], ...] = (
    show_help, show_styles, show_models, reroll, variations, upscale, cartoon, restore, report, appeal, link, unlink,
    settings, prefs)
