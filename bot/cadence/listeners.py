"""The cadence's Slack listener: the "Snooze" button on a reminder."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.cadence.control import snooze
from bot.cadence.queries import get_prompt
from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.authorize import authorize_on_incident
from bot.incidents.buttons import SNOOZE_ACTION, clicked
from bot.slack.answers import answer_user


def register(app: AsyncApp) -> None:
    @app.action(SNOOZE_ACTION)
    async def on_snooze(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        rt = context["runtime"]
        async with rt.in_flight():
            await _snooze(rt, body)


async def _snooze(rt: Runtime, body: dict[str, Any]) -> None:
    user_id, channel_id, value = clicked(body)

    async def work() -> str:
        if not value.isdigit():
            raise UserError("I can't find that reminder any more.")
        async with rt.db.session() as session:
            prompt = await get_prompt(session, int(value))
        incident_id = prompt.incident_id if prompt is not None else None
        await authorize_on_incident(rt, f"action:{SNOOZE_ACTION}", user_id, incident_id)
        message_ts = (body.get("container") or {}).get("message_ts")
        text, problems = await snooze(rt, int(value), user_id, message_ts)
        if problems:
            text += "\n" + "\n".join(f"• {p}" for p in problems)
        return text

    await answer_user(rt, user_id, channel_id, "Snoozing the reminder", work)
