"""Telling one person something privately when there is no response_url (modals, buttons)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.errors import UserError
from bot.runtime import Runtime
from storage import StorageUnavailable

log = logging.getLogger(__name__)


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
        log.warning("could not tell user %s: %s", user_id, text[:80])


STORAGE_DOWN = ":warning: Storage unavailable, try again in a moment. Nothing was recorded."


async def answer_user(
    rt: Runtime,
    user_id: str,
    channel_id: str | None,
    what: str,
    work: Callable[[], Awaitable[str | None]],
) -> None:
    """Run `work` for a button or form; tell the person its answer, or what went wrong.

    Like run_subcommand for slash commands: no failure goes unanswered. `what` names the
    action in the answer ("Posting your update").
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
        await tell_user(rt, user_id, channel_id, text)
