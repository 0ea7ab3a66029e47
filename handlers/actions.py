"""Buttons: "Post update" (card and reminders) opens the update form; "Snooze" on reminders."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.cadence_control import snooze
from bot.errors import UserError
from bot.notify import STORAGE_DOWN, answer_user, tell_user
from bot.runtime import Runtime
from bot.slack_client import slack_error_text
from bot.status_updates import update_form_for
from bot.update_buttons import POST_UPDATE_ACTION, SNOOZE_ACTION
from storage import StorageUnavailable

log = logging.getLogger(__name__)


def _where(body: dict[str, Any]) -> tuple[str, str | None, str]:
    """(user, channel, the button's value) of a block_actions payload."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    value = ((body.get("actions") or [{}])[0]).get("value") or ""
    return body["user"]["id"], channel, value


def register(app: AsyncApp) -> None:
    @app.action(POST_UPDATE_ACTION)
    async def on_post_update(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        rt = context["runtime"]
        async with rt.in_flight():
            await _open_update_form(rt, body)

    @app.action(SNOOZE_ACTION)
    async def on_snooze(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        rt = context["runtime"]
        async with rt.in_flight():
            await _snooze(rt, body)


async def _open_update_form(rt: Runtime, body: dict[str, Any]) -> None:
    user_id, channel_id, value = _where(body)
    try:
        view = await update_form_for(rt, int(value) if value.isdigit() else 0)
        await rt.client.views_open(trigger_id=body.get("trigger_id") or "", view=view)
    except UserError as exc:
        await tell_user(rt, user_id, channel_id, str(exc))
    except StorageUnavailable:
        await tell_user(rt, user_id, channel_id, STORAGE_DOWN)
    except Exception as exc:
        log.warning("could not open the update form", exc_info=True)
        await tell_user(
            rt,
            user_id,
            channel_id,
            f"I could not open the update form ({slack_error_text(exc)}). "
            "Post it with `/incident update <text>` instead.",
        )


async def _snooze(rt: Runtime, body: dict[str, Any]) -> None:
    user_id, channel_id, value = _where(body)

    async def work() -> str:
        if not value.isdigit():
            raise UserError("I can't find that reminder any more.")
        message_ts = (body.get("container") or {}).get("message_ts")
        text, problems = await snooze(rt, int(value), user_id, message_ts)
        if problems:
            text += "\n" + "\n".join(f"• {p}" for p in problems)
        return text

    await answer_user(rt, user_id, channel_id, "Snoozing the reminder", work)
