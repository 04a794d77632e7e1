"""The slash commands: members' commands, and the moderators' ``/mod`` group (hidden from members by
``default_permissions`` and checked again in ``interaction_check``, as discord.py's examples do). Each command only
translates between Discord and the facade."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import discord
from discord import app_commands

from bots.discord.buttons import AcceptButton, rendered
from bots.discord.deps import deps_of, is_moderator, say, who
from bots.discord.localized import described
from bots.discord.translate import PLATFORM, imagine_params, requester
from bots.discord.voice import hear, said
from bots.downloads import read_picture
from core.catalogue import render, text
from core.chat_settings import MOD_CHANNEL
from core.domain import Accepted, Notice, Rejected
from core.params import SAMPLERS, InvalidParams


@app_commands.command(name="imagine", description=described("cmd_imagine"))
@app_commands.describe(**{option: described(f"opt_imagine_{option}") for option in (
    "prompt", "negative", "size", "steps", "seed", "count", "cfg", "image", "strength", "model", "style", "sampler",
    "style_image", "style_strength", "voice")})
@app_commands.choices(sampler=[app_commands.Choice(name=name, value=name) for name in SAMPLERS])
async def imagine(interaction: discord.Interaction[Any], prompt: str | None = None, negative: str | None = None,
                  size: str | None = None, steps: int | None = None, seed: int | None = None,
                  count: int | None = None, cfg: float | None = None, image: discord.Attachment | None = None,
                  strength: float | None = None, model: str | None = None, style: str | None = None,
                  sampler: app_commands.Choice[str] | None = None, style_image: discord.Attachment | None = None,
                  style_strength: float | None = None, voice: discord.Attachment | None = None) -> None:
    # Defer first: Discord drops interactions not answered within 3 seconds, and the gates touch the database.
    await interaction.response.defer(ephemeral=True, thinking=True)
    deps, member = deps_of(interaction), who(interaction)
    if voice is not None:
        # The prompt is what was said. Flags typed in the prompt box still apply: they are parsed around a stand-in
        # prompt, so nothing in the transcript is ever read as a flag (as the console's --voice).
        prompt = f"voice {prompt or ''}"
    options: dict[str, object] = {"prompt": prompt, "negative": negative, "size": size, "steps": steps,
                                  "seed": seed, "count": count, "cfg": cfg, "strength": strength, "model": model,
                                  "style": style, "sampler": sampler.value if sampler else None,
                                  "style_strength": style_strength}
    try:
        params, model_name = imagine_params(options)
    except InvalidParams as exc:  # before any download: a typo should not cost a 20 MB transfer
        await interaction.edit_original_response(content=render(exc, member.language))
        return
    if (style_image is not None or params.style_image is not None) and not deps.app.style_available():
        await interaction.edit_original_response(content=text("style_unconfigured", member.language))
        return
    heard_line = ""
    if voice is not None:
        heard = await hear(deps, member, voice)
        if not isinstance(heard, Notice):
            await interaction.edit_original_response(content=said(heard, member.language))
            return
        heard_line = render(heard, member.language)[:1000] + "\n"
        await interaction.edit_original_response(content=heard_line)  # what was heard, before anything is made
        params = replace(params, prompt=str(heard.values["text"]))
    uploads: dict[str, str] = {}  # an attachment option wins over the same flag typed in the prompt
    for attachment, field in ((image, "image"), (style_image, "style_image")):
        if attachment is not None:
            upload_id, refusal = await upload_attachment(attachment, member.language, deps.app.upload)
            if upload_id is None:
                await interaction.edit_original_response(content=refusal)
                return
            uploads[field] = upload_id
    params = replace(params, image=uploads.get("image", params.image),
                     style_image=uploads.get("style_image", params.style_image))
    outcome = await asyncio.to_thread(deps.app.imagine, member, params, model_name)
    if isinstance(outcome, Accepted):
        deps.track(outcome, interaction)
    await interaction.edit_original_response(content=heard_line + rendered(outcome, member.language))


@imagine.autocomplete("style")
async def style_names(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    """The presets whose name or description matches what is typed (Discord shows at most 25)."""
    typed = current.lower()
    styles = await asyncio.to_thread(deps_of(interaction).app.styles)
    return [app_commands.Choice(name=f"{name} — {description}"[:100], value=name) for name, description in styles
            if typed in name.lower() or typed in description.lower()][:25]


@imagine.autocomplete("model")
async def model_names(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    models = await asyncio.to_thread(deps_of(interaction).app.models)
    return [app_commands.Choice(name=m.name, value=m.name) for m in models if current.lower() in m.name.lower()][:25]


async def upload_attachment(image: discord.Attachment, lang: str,
                  upload: Callable[[bytes], str | Rejected]) -> tuple[str | None, str]:
    """(upload id, or None and the sentence saying why)."""
    data, refusal = await _read(image, lang)
    if data is None:
        return None, refusal
    stored = await asyncio.to_thread(upload, data)
    return (None, render(stored, lang)) if isinstance(stored, Rejected) else (stored, "")


async def _read(image: discord.Attachment, lang: str) -> tuple[bytes | None, str]:
    """(the attachment's bytes, or None and the sentence saying why), bounded by the bytes actually read: the size
    Discord states is only a first check."""
    got = await read_picture(image.url, image.size, lang, f"attachment {image.id}")
    return (None, got) if isinstance(got, str) else (got, "")


@app_commands.command(name="verify", description=described("cmd_verify"))
@app_commands.describe(picture=described("opt_verify_picture"))
async def verify(interaction: discord.Interaction[Any], picture: discord.Attachment) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)  # reading the mark takes a moment
    member = who(interaction)
    data, refusal = await _read(picture, member.language)
    if data is None:
        await interaction.edit_original_response(content=refusal)
        return
    reply = await asyncio.to_thread(deps_of(interaction).app.verify, member, data)
    await interaction.edit_original_response(content=render(reply, member.language))


@app_commands.command(name="license", description=described("cmd_license"))
async def license_command(interaction: discord.Interaction[Any]) -> None:
    member = who(interaction)
    view = discord.ui.View(timeout=None)
    view.add_item(AcceptButton(interaction.user.id, member.language))
    licence = await asyncio.to_thread(deps_of(interaction).app.licence_text)
    await interaction.response.send_message(licence[:1900], view=view, ephemeral=True)


@app_commands.command(name="accept", description=described("cmd_accept"))
async def accept(interaction: discord.Interaction[Any]) -> None:
    member = who(interaction)
    reply = await asyncio.to_thread(deps_of(interaction).app.accept_licence, member)
    await say(interaction, render(reply, member.language))


@app_commands.command(name="quota", description=described("cmd_quota"))
async def quota(interaction: discord.Interaction[Any]) -> None:
    member = who(interaction)
    reply = await asyncio.to_thread(deps_of(interaction).app.quota, member)
    await say(interaction, render(reply, member.language))


@app_commands.command(name="cancel", description=described("cmd_cancel"))
@app_commands.describe(job=described("opt_job_id"))
async def cancel(interaction: discord.Interaction[Any], job: str) -> None:
    member = who(interaction)
    reply = await asyncio.to_thread(deps_of(interaction).app.cancel, member, job.strip())
    await say(interaction, render(reply, member.language))


@app_commands.command(name="history", description=described("cmd_history"))
async def history(interaction: discord.Interaction[Any]) -> None:
    member = who(interaction)
    jobs = await asyncio.to_thread(deps_of(interaction).app.history, member, 10)
    lines = [f"`{j.id}` {j.created_at:%Y-%m-%d %H:%M} {text(f'job_status_{j.status.value}', member.language)} — "
             f"{j.prompt[:80]}" for j in jobs]
    await say(interaction, "\n".join(lines) or text("history_empty", member.language))


@app_commands.default_permissions(manage_messages=True)
class ModGroup(app_commands.Group):
    """Moderator tools. Discord hides them from members without Manage Messages; a configured moderator role is
    let through, and anyone else who reaches them anyway is refused and audited."""

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if is_moderator(interaction):
            return True
        member = who(interaction)
        command = interaction.command.qualified_name if interaction.command else "mod"
        refusal = await asyncio.to_thread(deps_of(interaction).app.refuse_non_moderator, member, f"/{command}")
        await say(interaction, render(refusal, member.language))
        return False

    @app_commands.command(name="setup", description=described("cmd_mod_setup"))
    @app_commands.describe(channel=described("opt_mod_setup_channel"))
    async def setup(self, interaction: discord.Interaction[Any], channel: discord.TextChannel) -> None:
        if interaction.guild_id is None:
            return
        moderator = who(interaction)
        await asyncio.to_thread(deps_of(interaction).app.set_chat_setting, moderator, str(interaction.guild_id),
                                MOD_CHANNEL, str(channel.id))
        await say(interaction, text("mod_channel_set", moderator.language, where=channel.mention))

    @app_commands.command(name="ban", description=described("cmd_mod_ban"))
    @app_commands.describe(user=described("opt_member"), duration=described("opt_ban_duration"),
                           reason=described("opt_ban_reason"))
    async def ban(self, interaction: discord.Interaction[Any], user: discord.User, duration: str,
                  reason: str) -> None:
        moderator = who(interaction)
        reply = await asyncio.to_thread(deps_of(interaction).app.ban, moderator, _member(user), duration, reason)
        await say(interaction, render(reply, moderator.language))

    @app_commands.command(name="unban", description=described("cmd_mod_unban"))
    @app_commands.describe(user=described("opt_member"))
    async def unban(self, interaction: discord.Interaction[Any], user: discord.User) -> None:
        moderator = who(interaction)
        reply = await asyncio.to_thread(deps_of(interaction).app.unban, moderator, _member(user))
        await say(interaction, render(reply, moderator.language))

    @app_commands.command(name="web", description=described("cmd_mod_web"))
    async def web(self, interaction: discord.Interaction[Any]) -> None:
        # Ephemeral: only the moderator sees the link. It shows the cases of the channel it was asked in.
        moderator = who(interaction)
        chats = [f"discord:{interaction.channel_id}"] if interaction.channel_id is not None else []
        reply = await asyncio.to_thread(deps_of(interaction).app.web_link, moderator, chats)
        await say(interaction, render(reply, moderator.language))

    @app_commands.command(name="history", description=described("cmd_mod_history"))
    @app_commands.describe(user=described("opt_member"))
    async def history(self, interaction: discord.Interaction[Any], user: discord.User) -> None:
        moderator = who(interaction)
        lines = await asyncio.to_thread(deps_of(interaction).app.member_history, _member(user), PLATFORM)
        if isinstance(lines, Rejected):
            await say(interaction, render(lines, moderator.language))
            return
        await say(interaction, "\n".join(render(line, moderator.language) for line in lines))


def _member(user: discord.User) -> Any:
    return requester(user.id, None, user.display_name, username=user.name)


MEMBER_COMMANDS: tuple[app_commands.Command[Any, Any, Any], ...] = (
    imagine, license_command, accept, quota, history, cancel, verify)
