"""/settings and /prefs behind the facade: show and change a chat's settings (its admins: the adapter has checked)
and a member's own defaults (anyone, for themself only); and what a submit in a chat reads of both."""

from __future__ import annotations

from core.chat_policy import (
    CHAT_DEFAULTS,
    CHAT_LIMITS,
    MEMBER_DEFAULTS,
    BadValue,
    ServiceLimits,
    limits_of,
    normalised,
    shown,
)
from core.chat_settings import NSFW_ALLOWED, OTHERS_BUTTONS, OTHERS_BUTTONS_VALUES, ChatSettings
from core.domain import ChatLimits, Notice, Rejected, Reply, Requester
from core.ports import JobRepository
from core.preferences import MemberPreferences

# The older settings keep their stored keys (the name typed → the key, its values); the rest are stored by name.
CHOICES = {"others_buttons": (OTHERS_BUTTONS, OTHERS_BUTTONS_VALUES), "nsfw": (NSFW_ALLOWED, ("on", "off"))}


class SettingsDesk:
    def __init__(self, chats: ChatSettings, preferences: MemberPreferences, users: JobRepository,
                 service: ServiceLimits) -> None:
        self._chats = chats
        self._preferences = preferences
        self._users = users
        self.service = service

    # --- what a submit reads ----------------------------------------------------------------------------------------

    def chat(self, who: Requester) -> dict[str, str]:
        return self._chats.all(who.platform, who.chat_id) if who.chat_id is not None else {}

    def limits(self, who: Requester) -> ChatLimits:
        return limits_of(self.chat(who))

    def mine(self, who: Requester) -> dict[str, str]:
        user_id = self._users.find_user(who.platform, who.user_id)
        return {} if user_id is None else self._preferences.all(user_id)

    # --- /settings: a chat's admins ---------------------------------------------------------------------------------

    def show_chat(self, who: Requester, nsfw: bool, others_buttons: str) -> Notice:
        return Notice("chat_settings", {
            "nsfw": "on" if nsfw else "off", "others_buttons": others_buttons,
            **shown(self.chat(who), CHAT_LIMITS + CHAT_DEFAULTS),
            "top_steps": self.service.max_steps, "top_count": self.service.max_count,
            "top_size": self.service.max_side})

    def change_chat(self, actor: Requester, name: str, value: str) -> Reply:
        """``/settings NAME VALUE`` in the actor's chat; ``off`` unsets a limit or a default. An unknown name gets the
        usage, a bad value the sentence that says which values it takes; either way nothing changes."""
        name = name.strip().lower()
        if actor.chat_id is None or name not in (*CHOICES, *CHAT_LIMITS, *CHAT_DEFAULTS):
            return Rejected("settings_usage")
        by = f"{actor.platform}:{actor.user_id}"
        if name in CHOICES:
            key, values = CHOICES[name]
            choice = value.strip().lower()
            if choice not in values:
                return Rejected("setting_value", {"message": "setting_choice", "name": name,
                                                  "choices": ", ".join(values)})
            self._chats.set(actor.platform, actor.chat_id, key, choice, by)
            return Notice("chat_setting_set", {"name": name, "value": choice})
        try:
            stored = normalised(name, value, self.service)
        except BadValue as exc:
            return exc.refusal
        if stored is None:
            self._chats.clear(actor.platform, actor.chat_id, name)
            return Notice("chat_setting_unset", {"name": name})
        self._chats.set(actor.platform, actor.chat_id, name, stored, by)
        return Notice("chat_setting_set", {"name": name, "value": stored})

    # --- /prefs: every member, for themself ---------------------------------------------------------------------

    def show_mine(self, who: Requester) -> Notice:
        return Notice("prefs_show", shown(self.mine(who), MEMBER_DEFAULTS))

    def change_mine(self, who: Requester, name: str, value: str) -> Reply:
        """``/prefs NAME VALUE``: the member's own default for /imagine; ``off`` unsets it. Checked against the
        service's limits now, and against a chat's limits when it is used (chats differ)."""
        name = name.strip().lower()
        if name not in MEMBER_DEFAULTS:
            return Rejected("prefs_usage")
        try:
            stored = normalised(name, value, self.service)
        except BadValue as exc:
            return exc.refusal
        user_id = self._users.ensure_user(who)
        if stored is None:
            self._preferences.clear(user_id, name)
            return Notice("pref_unset", {"name": name})
        self._preferences.set(user_id, name, stored)
        return Notice("pref_set", {"name": name, "value": stored})
