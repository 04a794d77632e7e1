"""Persistent buttons: their custom ids carry the job id, so they keep working after a restart (discord.py
DynamicItem). Each callback only translates: the decision is made in ``core``."""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

import discord

from bots.discord.deps import channel_language, deps_of, is_moderator, say, who
from bots.discord.translate import custom_id
from core.catalogue import render, text
from core.domain import Accepted, Notice, Rejected, Reply
from core.params import MAX_PROMPT_CHARS

BAN_CHOICES = ("1d", "7d", "30d", "permanent")  # each labelled by its catalogue code ban_choice_<duration>
# A modal's text box holds at most 4000 characters (Discord's limit); the prompt limit is checked in core.
PROMPT_BOX_LIMIT = min(4000, MAX_PROMPT_CHARS)


def rendered(reply: Reply, lang: str) -> str:
    """A reply for Discord: an accepted job says where its pictures will appear."""
    if isinstance(reply, Accepted):
        return f"{render(reply, lang)} {text('posted_here', lang)}"
    return render(reply, lang)


class MemberButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                   template=r"^muralist:(?P<action>reroll|variations|upscale|restore|report|info|edit|delete)"
                            r":(?P<job>[a-z0-9]{1,16})"
                            r"(?::(?P<idx>\d{1,2}))?$"):
    def __init__(self, action: str, job_id: str, idx: int | None = None, label: str | None = None,
                 row: int | None = None) -> None:
        style = discord.ButtonStyle.primary if action == "reroll" else discord.ButtonStyle.secondary
        super().__init__(discord.ui.Button(label=label or action.title(), style=style,
                                           custom_id=custom_id(action, job_id, idx)), row=row)
        self.action, self.job_id, self.idx = action, job_id, idx

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str]) -> MemberButton:
        return cls(match["action"], match["job"], int(match["idx"]) if match["idx"] else None)

    @classmethod
    def labelled(cls, action: str, job_id: str, idx: int | None, single: bool, lang: str, row: int) -> MemberButton:
        # With several pictures a row of full labels would be cut off on a phone: a short label and the number.
        label = text(f"button_{action}", lang) if single or idx is None \
            else text(f"button_{action}_short", lang, number=idx + 1)
        return cls(action, job_id, idx, label=label, row=row)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        deps, member = deps_of(interaction), who(interaction)
        if self.action == "edit":
            await self._edit(interaction)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        if self.action == "delete":
            await self._delete(interaction)
            return
        # Info is answered privately like every other member button: only the presser reads it.
        reply = await asyncio.to_thread(deps.app.act_on_result, member, self.action, self.job_id, self.idx)
        if isinstance(reply, Accepted):
            deps.track(reply, interaction)
        # Info repeats the prompt in its /imagine line: a long prompt would pass Discord's 2000 characters.
        await interaction.edit_original_response(content=rendered(reply, member.language)[:1900])
        if self.action == "report" and isinstance(reply, Notice) and deps.delivery is not None:
            await deps.delivery.post_to_moderators(self.job_id, self.idx or 0, "why_report",
                                                   str(interaction.channel_id))


    async def _edit(self, interaction: discord.Interaction[Any]) -> None:
        """🖋: a form with the job's prompt in it; nothing is made (or charged) until it is sent."""
        member = who(interaction)
        asked = await asyncio.to_thread(deps_of(interaction).app.edit_prompt, member, self.job_id)
        if not isinstance(asked, Notice):
            await say(interaction, render(asked, member.language))
            return
        await interaction.response.send_modal(EditPromptModal(self.job_id, str(asked.values["prompt"]),
                                                              member.language))

    async def _delete(self, interaction: discord.Interaction[Any]) -> None:
        """❌: the picture's author or a moderator takes it out of the result message; anyone else is told so."""
        deps, member = deps_of(interaction), who(interaction)
        outcome = await asyncio.to_thread(deps.app.delete_picture, member, self.job_id, self.idx or 0,
                                          moderator=is_moderator(interaction))
        if isinstance(outcome, Rejected):
            await interaction.edit_original_response(content=render(outcome, member.language))
            return
        await interaction.edit_original_response(content=render(outcome.reply, member.language))
        if outcome.public is not None and deps.delivery is not None:
            await deps.delivery.change_public_post(outcome.public)


class EditPromptModal(discord.ui.Modal):
    """The 🖋 form: the prompt, ready to edit. Sending it makes a new job with every other parameter of the old one,
    charged to whoever sent it. A modal lives in this process only: after a restart the member presses 🖋 again."""

    def __init__(self, job_id: str, prompt: str, lang: str) -> None:
        super().__init__(title=text("edit_modal_title", lang)[:45], timeout=900,
                         custom_id=f"muralist:edit_modal:{job_id}")
        self.job_id = job_id
        self.prompt: discord.ui.TextInput[EditPromptModal] = discord.ui.TextInput(
            label=text("edit_modal_label", lang)[:45], style=discord.TextStyle.paragraph, custom_id="prompt",
            default=prompt[:PROMPT_BOX_LIMIT], max_length=PROMPT_BOX_LIMIT, required=True)
        self.add_item(self.prompt)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:  # type: ignore[override]
        deps, member = deps_of(interaction), who(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await asyncio.to_thread(deps.app.edit_and_rerun, member, self.job_id, self.prompt.value)
        if isinstance(reply, Accepted):
            deps.track(reply, interaction)
        await interaction.edit_original_response(content=rendered(reply, member.language))


class AcceptButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"^muralist:accept:(?P<user>\d{1,20})$"):
    """Personal: only the member the licence was shown to may press it."""

    def __init__(self, user_id: int, lang: str = "en") -> None:
        super().__init__(discord.ui.Button(label=text("button_accept", lang), style=discord.ButtonStyle.success,
                                           custom_id=f"muralist:accept:{user_id}"))
        self.user_id = user_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str]) -> AcceptButton:
        return cls(int(match["user"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        member = who(interaction)
        if interaction.user.id != self.user_id:
            await say(interaction, text("not_for_you", member.language))
            return
        reply = await asyncio.to_thread(deps_of(interaction).app.accept_licence, member)
        await say(interaction, render(reply, member.language))


class ModButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                template=r"^muralist:mod_(?P<action>approve|remove|ban|ban_1d|ban_7d|ban_30d|ban_permanent):"
                         r"(?P<job>[a-z0-9]{1,16}):(?P<idx>\d{1,2})(?::(?P<post>\d{1,20}))?$"):
    """Approve, Remove and Ban… under a moderators' post. Ban… opens a private choice of durations whose buttons
    carry the post's message id (``post``), so the choice can edit the post it came from."""

    def __init__(self, action: str, job_id: str, idx: int, lang: str = "en", post: int | None = None) -> None:
        labels = {"approve": (text("button_approve", lang), discord.ButtonStyle.success),
                  "remove": (text("button_remove", lang), discord.ButtonStyle.danger),
                  "ban": (text("button_ban", lang), discord.ButtonStyle.danger)}
        duration = action.removeprefix("ban_")
        label, style = labels.get(action, (text(f"ban_choice_{duration}", lang) if duration in BAN_CHOICES
                                           else action, discord.ButtonStyle.danger))
        suffix = "" if post is None else f":{post}"
        super().__init__(discord.ui.Button(label=label, style=style,
                                           custom_id=f"muralist:mod_{action}:{job_id}:{idx}{suffix}"))
        self.action, self.job_id, self.idx, self.post = action, job_id, idx, post

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str]) -> ModButton:
        return cls(match["action"], match["job"], int(match["idx"]), post=int(match["post"]) if match["post"] else None)

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Only moderators; everyone else is refused, and the attempt is written to the audit log."""
        if is_moderator(interaction):
            return True
        member = who(interaction)
        refusal = await asyncio.to_thread(deps_of(interaction).app.refuse_non_moderator, member,
                                          f"button {self.action} on {self.job_id}")
        await say(interaction, render(refusal, member.language))
        return False

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        deps, moderator = deps_of(interaction), who(interaction)
        if self.action == "ban":
            view = discord.ui.View(timeout=None)
            post = interaction.message.id if interaction.message is not None else None
            for key in BAN_CHOICES:
                view.add_item(ModButton(f"ban_{key}", self.job_id, self.idx, moderator.language, post=post))
            await interaction.response.send_message(text("ban_how_long", moderator.language), view=view,
                                                    ephemeral=True)
            return
        if self.action.startswith("ban_"):
            outcome = await asyncio.to_thread(deps.app.ban_author, moderator, self.job_id, self.idx,
                                              self.action.removeprefix("ban_"))
        else:
            outcome = await asyncio.to_thread(deps.app.decide_picture, moderator, self.job_id, self.idx, self.action)
        if isinstance(outcome, Rejected):
            await say(interaction, render(outcome, moderator.language))
            return
        # The post is read by every moderator, not only the one who pressed: the channel's language, as when posted.
        lang = channel_language(interaction)
        caption = "\n".join(render(line, lang) for line in outcome.caption)[:1900]
        kept = moderator_view(self.job_id, self.idx, outcome.actions, lang)
        reply = render(outcome.reply, moderator.language)
        if self.action.startswith("ban_"):
            # The private choice of durations becomes the answer; the post it came from is edited in the channel.
            await interaction.response.edit_message(content=reply, view=None)
            if self.post is not None and interaction.channel is not None:
                with contextlib.suppress(discord.HTTPException):  # the post was deleted meanwhile
                    await interaction.channel.get_partial_message(self.post).edit(  # type: ignore[union-attr]
                        content=caption, view=kept, allowed_mentions=discord.AllowedMentions.none())
        else:
            await interaction.response.edit_message(content=caption, view=kept,
                                                    allowed_mentions=discord.AllowedMentions.none())
            await interaction.followup.send(reply[:1900], ephemeral=True)
        if outcome.public is not None and deps.delivery is not None:
            await deps.delivery.change_public_post(outcome.public)


def moderator_view(job_id: str, idx: int, actions: tuple[str, ...], lang: str) -> discord.ui.View | None:
    """The buttons a moderators' post offers (after a decision, only those still worth pressing); None: none."""
    if not actions:
        return None
    view = discord.ui.View(timeout=None)
    for action in actions:
        view.add_item(ModButton(action, job_id, idx, lang))
    return view
