"""One member across platforms: finding a user from what a moderator types, and linking a Discord and a Telegram
account (a one-time code) so they share one quota, licence and history — without linking becoming a way around a
ban or a fresh quota."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import timedelta

from core.domain import Requester, utc_day
from core.moderation.ports import AccountName, Accounts, Members, QuotaLedger
from core.moderation.refusal import Refusal
from core.moderation.said import Said
from core.moderation.sanctions import Sanctions
from core.moderation.tiers import QuotaTiers
from core.ports import Clock

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_MENTION = re.compile(r"^<@!?(\d{1,20})>$")  # a Discord mention, as typed or pasted
_USERNAME = re.compile(r"^@([A-Za-z0-9_.]{1,64})$")


def member_label(user_id: int, accounts: Sequence[AccountName], platform: str) -> str:
    """How moderators on ``platform`` see a member: their name and a handle they can act on there — a Discord
    mention, a Telegram @username (or telegram:ID when they have none), platform:id elsewhere."""
    here = next((a for a in accounts if a.platform == platform), None)
    named = here if here is not None and here.display_name else next((a for a in accounts if a.display_name), None)
    name = named.display_name if named is not None else None
    if here is not None and platform == "discord":
        handle = f"<@{here.external_id}>"
    elif here is not None and here.username:
        handle = f"@{here.username}"
    elif here is not None or accounts:
        account = here or accounts[0]
        handle = f"{account.platform}:{account.external_id}"
    else:
        handle = f"#{user_id}"
    return f"{name} ({handle})" if name else handle


def member_name(user_id: int, accounts: Sequence[AccountName], platform: str) -> str:
    """Just the name ("Mia"), for lines such as "Approved by Mia"; the label when the platform gave none."""
    here = next((a for a in accounts if a.platform == platform and a.display_name), None)
    named = here or next((a for a in accounts if a.display_name), None)
    return named.display_name if named is not None and named.display_name else member_label(user_id, accounts,
                                                                                              platform)


class Identity:
    def __init__(self, accounts: Accounts, members: Members, ledger: QuotaLedger, sanctions: Sanctions,
                 tiers: QuotaTiers, clock: Clock, link_code_minutes: int = 10) -> None:
        self.accounts = accounts
        self.members = members
        self.ledger = ledger
        self.sanctions = sanctions
        self.tiers = tiers
        self.clock = clock
        self.link_code_minutes = link_code_minutes

    def resolve_user(self, spec: str, platform: str | None = None) -> int:
        """What a moderator types → a user id, or a clear refusal: '#42' (user id), 'platform:external_id'
        (console:ada, discord:1234), a Discord mention '<@1234>', or '@username' (on ``platform`` first)."""
        text = spec.strip()
        user: int | None = None
        if (mention := _MENTION.match(text)) is not None:
            user = self.members.find_user("discord", mention[1])
        elif (handle := _USERNAME.match(text)) is not None:
            found = self.accounts.users_by_username(handle[1], platform) if platform else []
            found = found or self.accounts.users_by_username(handle[1])
            if len(found) > 1:
                raise Refusal("mod_member_ambiguous", who=text[:70])
            user = found[0] if found else None
        elif text.startswith("#") and text[1:].isdigit():
            user = int(text[1:]) if self.accounts.user_exists(int(text[1:])) else None
        elif ":" in text:
            platform_name, _, external = text.partition(":")
            user = self.members.find_user(platform_name.strip().lower(), external.strip())
        if user is None:
            raise Refusal("mod_no_member", who=text[:70])
        return user

    def label(self, user_id: int, platform: str) -> str:
        """The member as moderators on ``platform`` should see them (see :func:`member_label`)."""
        return member_label(user_id, self.accounts.account_names(user_id), platform)

    def name(self, user_id: int, platform: str) -> str:
        return member_name(user_id, self.accounts.account_names(user_id), platform)

    def accounts_of(self, user_id: int) -> list[tuple[str, str]]:
        """(platform, id on that platform) of every account the user has."""
        return self.accounts.accounts_of(user_id)

    def link_code(self, requester: Requester) -> str:
        user_id = self.members.ensure_user(requester)
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
        now = self.clock.now()
        self.accounts.create_link_code(user_id, requester.platform, code, now=now,
                                       expires_at=now + timedelta(minutes=self.link_code_minutes))
        return Said("link_code_issued", link=code, minutes=self.link_code_minutes)

    def redeem_link(self, requester: Requester, code: str) -> str:
        now = self.clock.now()
        found = self.accounts.redeem_link_code(code, now=now)
        if found is None:
            raise Refusal("link_code_unknown")
        target_user, platform = found
        if platform == requester.platform:
            raise Refusal("link_same_platform")
        self.members.ensure_user(requester)
        account = self.accounts.account(requester.platform, requester.user_id)
        assert account is not None
        if account.user_id == target_user:
            return Said("link_already")
        for user in (account.user_id, target_user):
            if self.sanctions.ban_status(user).banned:  # linking must not become a way around a ban
                raise Refusal("link_banned")
        # Usage so far in this period follows the account, so linking never resets a quota.
        rules, _ = self.tiers.quota_rules(account.user_id)
        used = self.members.quota_status(account.user_id, rules=rules, now=now).used
        if used:
            self.ledger.add_ledger(target_user, used, "linked", now=now, period=utc_day(now))
        self.accounts.move_account(account.id, target_user, "link", now=now)
        return Said("link_done", platform=requester.platform)

    def unlink(self, requester: Requester) -> str:
        account = self.accounts.account(requester.platform, requester.user_id)
        original = None if account is None else self.accounts.original_user(account.id)
        if account is None or original is None or original == account.user_id:
            raise Refusal("link_not_linked")
        self.accounts.move_account(account.id, original, "unlink", now=self.clock.now())
        return Said("link_undone")
