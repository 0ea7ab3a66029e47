"""What a subcommand handler gets: who asked, where, and how to answer them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.core.runtime import Runtime
from bot.slack.text import strip_control

log = logging.getLogger(__name__)

Respond = Callable[..., Awaitable[Any]]
MAX_MESSAGE_TEXT = 40_000  # Slack's limit on a message's text


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
        if len(text) > MAX_MESSAGE_TEXT:  # a last resort: every answer is meant to be shorter
            log.warning("an answer to %s was %d characters; cut", self.command, len(text))
            text = text[: MAX_MESSAGE_TEXT - 20] + "… (cut here)"
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
