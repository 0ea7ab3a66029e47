"""Whether the bot may call Slack at all, and what Slack's answers say about a channel.

Every Web API call goes through the client (bot/slack/client.py), which reports here:
- an answer `invalid_auth`, `token_revoked` or `account_inactive` (or a `tokens_revoked` /
  `app_uninstalled` event) suspends access: from then on calls fail at once, without reaching
  Slack, with that reason. It is logged once. `auth.test` is tried again with backoff, and the
  first success lifts the suspension and runs the resume hooks (backfill of the gap). Nothing
  scheduled is lost meanwhile: reminders and other work stay due in the database.
- an answer `is_archived`, `not_in_channel` or `channel_not_found` about a channel is passed
  to the channel hooks (the response domain: an archived or left war room).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.core.runtime import Runtime
from storage.types import utcnow

log = logging.getLogger(__name__)

# Slack's answers that mean the token no longer works (docs: "Errors" of every method).
AUTH_ERRORS = frozenset({"invalid_auth", "token_revoked", "account_inactive", "not_authed"})
# Answers about the channel a call named: the war room was archived, or the bot is not in it.
CHANNEL_ERRORS = frozenset({"is_archived", "not_in_channel", "channel_not_found"})
# auth.test while suspended: first after this long, doubling up to the cap.
FIRST_CHECK_SECONDS = 2.0
MAX_CHECK_SECONDS = 300.0

# (channel id, Slack's error code, when the call failed)
ChannelHook = Callable[[str, str, datetime], Coroutine[Any, Any, None]]
ResumeHook = Callable[[datetime], Awaitable[None]]  # (suspended since)
Spawn = Callable[[Coroutine[Any, Any, Any], str], Any]


class _Refused:
    """A response-like object for a call refused without reaching Slack."""

    status_code = 200

    def __init__(self, error: str) -> None:
        self.headers: dict[str, str] = {}
        self.data = {"ok": False, "error": error}

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]


class SlackSuspended(SlackApiError):
    """A call not made because Slack access is suspended (the token does not work)."""


@dataclass
class SlackAccess:
    suspended: str | None = None  # Slack's reason (token_revoked, ...) while suspended
    since: datetime | None = None
    check_seconds: float = FIRST_CHECK_SECONDS
    max_check_seconds: float = MAX_CHECK_SECONDS
    channel_hooks: list[ChannelHook] = field(default_factory=list)
    resume_hooks: list[ResumeHook] = field(default_factory=list)
    spawn: Spawn | None = None
    check: Callable[[], Awaitable[Any]] | None = None  # auth.test, set by the client
    _watcher: asyncio.Task[Any] | None = None

    def refuse(self, method: str) -> SlackSuspended:
        reason = self.suspended or "invalid_auth"
        return SlackSuspended(
            f"not calling Slack ({method}): access suspended, {reason}", _Refused(reason)
        )

    def suspend(self, reason: str) -> None:
        """Stop calling Slack; logged once per suspension. Starts the auth.test checks."""
        if self.suspended is not None:
            return
        self.suspended, self.since = reason, utcnow()
        log.error(
            "Slack refused the bot token (%s): not calling Slack until auth.test works again",
            reason,
        )
        if self.spawn is not None and self.check is not None:
            self._watcher = self.spawn(self._watch(), "slack-auth-watch")

    async def _watch(self) -> None:
        delay = self.check_seconds
        while self.suspended is not None:
            await asyncio.sleep(delay)
            try:
                assert self.check is not None
                await self.check()
            except Exception as exc:
                log.debug("auth.test still failing: %s", type(exc).__name__)
                delay = min(delay * 2, self.max_check_seconds)
                continue
            await self.resume()

    async def resume(self) -> None:
        since = self.since or utcnow()
        self.suspended, self.since = None, None
        log.warning("Slack accepts the bot token again: resuming, backfilling since %s", since)
        for hook in self.resume_hooks:
            try:
                await hook(since)
            except Exception:
                log.exception("resume hook failed")

    def channel_trouble(self, channel: str, error: str) -> None:
        if self.spawn is None:
            return
        seen = utcnow()  # the hooks run later: a failure is as old as its call
        for hook in self.channel_hooks:
            self.spawn(hook(channel, error, seen), f"channel-trouble:{channel}")


def access_of(client: Any) -> SlackAccess:
    """The access state of a client (a plain AsyncWebClient in some tests: a fresh one)."""
    access = getattr(client, "access", None)
    if not isinstance(access, SlackAccess):
        access = SlackAccess()
        client.access = access
    return access


def channel_of_call(kwargs: dict[str, Any]) -> str | None:
    for part in ("json", "data", "params"):
        values = kwargs.get(part)
        if isinstance(values, dict):
            channel = values.get("channel") or values.get("channel_id")
            if isinstance(channel, str):
                return channel
    return None


def install_access(rt: Runtime) -> None:
    """Let the access state spawn its watcher and hooks as the runtime's background work."""
    access = access_of(rt.client)
    access.spawn = lambda work, name: rt.spawn(work, name=name)
    access.check = rt.client.auth_test
