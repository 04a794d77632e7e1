"""One member across platforms: finding a user from what a moderator types, and linking a Discord and a Telegram
account (a one-time code) so they share one quota, licence and history — without linking becoming a way around a
ban or a fresh quota."""

from __future__ import annotations

import secrets
from datetime import timedelta

from core.domain import Requester, utc_day
from core.moderation.ports import Accounts, Members, QuotaLedger
from core.moderation.sanctions import Sanctions
from core.moderation.tiers import QuotaTiers
from core.ports import Clock
from safety.moderation import ModerationError

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


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

    def resolve_user(self, spec: str) -> int:
        """'#42' (user id) or 'platform:external_id' (e.g. console:ada, discord:1234) → user id, or a clear error."""
        text = spec.strip()
        if text.startswith("#") and text[1:].isdigit():
            if self.accounts.user_exists(int(text[1:])):
                return int(text[1:])
        elif ":" in text:
            platform, _, external = text.partition(":")
            user = self.members.find_user(platform.strip().lower(), external.strip())
            if user is not None:
                return user
        raise ModerationError(f"No user {spec!r}: use #ID or platform:id (for example console:ada).")

    def accounts_of(self, user_id: int) -> list[tuple[str, str]]:
        """(platform, id on that platform) of every account the user has."""
        return self.accounts.accounts_of(user_id)

    def link_code(self, requester: Requester) -> str:
        user_id = self.members.ensure_user(requester)
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
        now = self.clock.now()
        self.accounts.create_link_code(user_id, requester.platform, code, now=now,
                                       expires_at=now + timedelta(minutes=self.link_code_minutes))
        return (f"Your link code is {code}. Within {self.link_code_minutes} minutes, send /link {code} from your "
                f"account on the other platform to share one quota, licence and history.")

    def redeem_link(self, requester: Requester, code: str) -> str:
        now = self.clock.now()
        found = self.accounts.redeem_link_code(code, now=now)
        if found is None:
            raise ModerationError("That link code is unknown, already used or expired; ask for a new one with /link.")
        target_user, platform = found
        if platform == requester.platform:
            raise ModerationError("Use the code from an account on a different platform.")
        self.members.ensure_user(requester)
        account = self.accounts.account(requester.platform, requester.user_id)
        assert account is not None
        if account.user_id == target_user:
            return "These accounts are already linked."
        for user in (account.user_id, target_user):
            if self.sanctions.ban_status(user).banned:  # linking must not become a way around a ban
                raise ModerationError("A banned account cannot be linked.")
        # Usage so far in this period follows the account, so linking never resets a quota.
        rules, _ = self.tiers.quota_rules(account.user_id)
        used = self.members.quota_status(account.user_id, rules=rules, now=now).used
        if used:
            self.ledger.add_ledger(target_user, used, "linked", now=now, period=utc_day(now))
        self.accounts.move_account(account.id, target_user, "link", now=now)
        return f"Linked: your {requester.platform} account now shares one quota, licence and history."

    def unlink(self, requester: Requester) -> str:
        account = self.accounts.account(requester.platform, requester.user_id)
        original = None if account is None else self.accounts.original_user(account.id)
        if account is None or original is None or original == account.user_id:
            raise ModerationError("This account is not linked to another one.")
        self.accounts.move_account(account.id, original, "unlink", now=self.clock.now())
        return "Unlinked: this account has its own quota again; the shared history stays where it was."
