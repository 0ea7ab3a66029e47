"""The buttons of a page DM: Acknowledge and Escalate now (acked first, work after)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.paging.acknowledge import acknowledge_page, escalate_page
from bot.paging.blocks import ACK_ACTION, ESCALATE_ACTION, parse_value
from bot.slack.answers import answer_user
from bot.slack.permissions import authorize


def _pressed(body: dict[str, Any]) -> tuple[str, str | None, tuple[int, int, int]]:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    action = (body.get("actions") or [{}])[0]
    parsed = parse_value(str(action.get("value") or ""))
    if parsed is None:
        raise UserError("That button no longer points at anything I know.")
    return body["user"]["id"], channel, parsed


def register(app: AsyncApp) -> None:
    @app.action(ACK_ACTION)
    async def on_ack(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        rt: Runtime = context["runtime"]
        user_id = body["user"]["id"]
        channel_id = (body.get("channel") or {}).get("id")

        async def work() -> str:
            await authorize(rt, f"action:{ACK_ACTION}", user_id)
            _, _, (escalation_id, _, _) = _pressed(body)
            return await acknowledge_page(rt, escalation_id, user_id)

        async with rt.in_flight():
            await answer_user(rt, user_id, channel_id, "Acknowledging the page", work)

    @app.action(ESCALATE_ACTION)
    async def on_escalate(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        rt: Runtime = context["runtime"]
        user_id = body["user"]["id"]
        channel_id = (body.get("channel") or {}).get("id")

        async def work() -> str:
            await authorize(rt, f"action:{ESCALATE_ACTION}", user_id)
            _, _, (escalation_id, round_, level) = _pressed(body)
            return await escalate_page(rt, escalation_id, round_, level, user_id)

        async with rt.in_flight():
            await answer_user(rt, user_id, channel_id, "Escalating the page", work)
