"""What a subcommand handler gets: who asked, where, and how to answer them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.errors import UserError
from bot.permissions import require_member
from bot.runtime import Runtime
from bot.text import escape, strip_control, unescape
from storage import StorageUnavailable

log = logging.getLogger(__name__)

Respond = Callable[..., Awaitable[Any]]


@dataclass
class CommandContext:
    rt: Runtime
    command: str
    text: str
    user_id: str
    channel_id: str
    respond: Respond
    user_name: str | None = None
    team_id: str | None = None
    trigger_id: str | None = None

    @classmethod
    def from_payload(cls, rt: Runtime, payload: dict[str, Any], respond: Respond) -> CommandContext:
        return cls(
            rt=rt,
            command=payload.get("command", ""),
            text=strip_control(payload.get("text") or ""),
            user_id=payload.get("user_id", ""),
            user_name=payload.get("user_name"),
            channel_id=payload.get("channel_id", ""),
            team_id=payload.get("team_id"),
            trigger_id=payload.get("trigger_id"),
            respond=respond,
        )

    async def reply(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """An ephemeral answer to the person who typed the command."""
        try:
            answer = await self.respond(text=text, blocks=blocks, response_type="ephemeral")
            if getattr(answer, "status_code", 200) >= 400:
                log.warning(
                    "could not answer %s through response_url (HTTP %s)",
                    self.command,
                    answer.status_code,
                )
        except Exception as exc:  # one line: Slack being away is expected, not a bug
            status = getattr(exc, "status", None) or getattr(exc, "status_code", None)
            why = f"HTTP {status}" if status else type(exc).__name__
            log.warning("could not answer %s through response_url (%s)", self.command, why)


async def run_subcommand(ctx: CommandContext) -> None:
    """Resolve and run a subcommand; every failure becomes a plain ephemeral answer."""
    from bot.grammar import registry

    sub, word, rest = registry.resolve(ctx.command, ctx.text)
    if sub is None:
        prefix = (
            f"I don't know `{ctx.command} {escape(unescape(word))}`.\n"
            if word and word != "help"
            else ""
        )
        await ctx.reply(prefix + registry.usage_text(ctx.command))
        return
    try:
        if sub.members_only:
            await require_member(ctx.rt, ctx.user_id)
        await sub.handler(ctx, rest)
    except UserError as exc:
        await ctx.reply(str(exc))
    except StorageUnavailable:
        await ctx.reply(
            ":warning: Storage unavailable, try again in a moment. Nothing was recorded."
        )
    except Exception:
        log.exception("%s %s failed", ctx.command, sub.name)
        await ctx.reply(
            f":x: `{sub.synopsis}` failed unexpectedly. It has been logged; please try again."
        )
