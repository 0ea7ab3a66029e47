"""Answering people: the one way every entry point (slash command, button, form) turns the outcome
of its work, or its failure, into plain words for the person who asked."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from storage import StorageUnavailable

log = logging.getLogger(__name__)

STORAGE_DOWN = ":warning: Storage unavailable, try again in a moment. Nothing was recorded."

Say = Callable[[str], Awaitable[None]]


async def answered(what: str, work: Callable[[], Awaitable[str | None]], say: Say) -> None:
    """Run `work` and `say` its answer, or what went wrong: no failure goes unanswered.

    A UserError carries its own words; a database that did not answer means nothing was
    recorded; anything else is logged and told as an unexpected failure of `what`.
    """
    try:
        text = await work()
    except UserError as exc:
        text = str(exc)
    except StorageUnavailable:
        text = STORAGE_DOWN
    except Exception:
        log.exception("%s failed", what)
        text = f":x: {what} failed unexpectedly. It has been logged; please try again."
    if text:
        await say(text)


async def tell_user(rt: Runtime, user_id: str, channel_id: str | None, text: str) -> None:
    """Ephemeral in the channel if possible, else a direct message, else a log line."""
    if channel_id:
        try:
            await rt.client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
            return
        except Exception:
            log.info("ephemeral to %s in %s failed; trying a DM", user_id, channel_id)
    try:
        await rt.client.chat_postMessage(channel=user_id, text=text)
    except Exception:
        log.warning("could not tell user %s (%d characters)", user_id, len(text))


async def answer_user(
    rt: Runtime,
    user_id: str,
    channel_id: str | None,
    what: str,
    work: Callable[[], Awaitable[str | None]],
) -> None:
    """`answered` for buttons and forms, which have no response_url: told by ephemeral or DM."""

    async def say(text: str) -> None:
        await tell_user(rt, user_id, channel_id, text)

    await answered(what, work, say)
