"""Buttons of the alert cards: Declare incident, Add to incident #n, Resolve (after all
alerts resolved), and Take command on the card of an incident declared from an alert."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.alerts.blocks import ADD_TO_INCIDENT_ACTION, DECLARE_ACTION, PAGE_ACTION, RESOLVE_ACTION
from bot.alerts.declare import add_to_incident, declare_by_person
from bot.alerts.install import worker_for
from bot.alerts.take_command import take_command
from bot.alerts.transactions import alert_session
from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.authorize import authorize_on_incident
from bot.incidents.queries import get_incident
from bot.response.card import CLAIM_COMMAND_ACTION
from bot.response.lifecycle import resolve
from bot.slack.answers import answer_user, tell_user
from bot.slack.permissions import authorize

log = logging.getLogger(__name__)


def _who(body: dict[str, Any]) -> tuple[str, str | None, str, str | None]:
    """(user, channel, the action's value or selected option, team) of a block_actions."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    action = (body.get("actions") or [{}])[0]
    value = action.get("value") or (action.get("selected_option") or {}).get("value") or ""
    team = (body.get("team") or {}).get("id")
    return body["user"]["id"], channel, str(value), team


def _number(value: str) -> int:
    if not value.isdigit():
        raise UserError("That button no longer points at anything I know.")
    return int(value)


def register(app: AsyncApp) -> None:
    @app.action(DECLARE_ACTION)
    async def on_declare(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        rt: Runtime = context["runtime"]
        user_id, channel_id, value, _ = _who(body)

        async def tell(text: str) -> None:
            await tell_user(rt, user_id, channel_id, text)

        async def work() -> None:
            await authorize(rt, f"action:{DECLARE_ACTION}", user_id)
            await declare_by_person(rt, _number(value), user_id, channel_id, tell)
            _kick(rt, value)

        async with rt.in_flight():
            await answer_user(rt, user_id, channel_id, "Declaring from the alert", work)

    @app.action(PAGE_ACTION)
    async def on_page(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        rt: Runtime = context["runtime"]
        user_id, channel_id, value, _ = _who(body)

        async def tell(text: str) -> None:
            await tell_user(rt, user_id, channel_id, text)

        async def work() -> None:
            # Paging declares: it needs the right to page and to declare.
            await authorize(rt, f"action:{PAGE_ACTION}", user_id)
            await authorize(rt, f"action:{DECLARE_ACTION}", user_id)
            outcome = await declare_by_person(
                rt, _number(value), user_id, channel_id, tell, page_oncall=True
            )
            _kick(rt, value)
            room = outcome.incident.channel_id
            where = f" <#{room}> says" if room else " Its timeline says"
            await tell(
                f"Paging the on-call of incident #{outcome.incident.id}:{where} who is paged "
                "and who acknowledges."
            )

        async with rt.in_flight():
            await answer_user(rt, user_id, channel_id, "Paging the on-call", work)

    @app.action(ADD_TO_INCIDENT_ACTION)
    async def on_add(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        rt: Runtime = context["runtime"]
        user_id, channel_id, value, _ = _who(body)

        async def work() -> str:
            await authorize(rt, f"action:{ADD_TO_INCIDENT_ACTION}", user_id)
            group, _, incident = value.partition(":")
            answer = await add_to_incident(rt, _number(group), _number(incident), user_id)
            _kick(rt, group)
            return answer

        async with rt.in_flight():
            await answer_user(rt, user_id, channel_id, "Adding the alert to the incident", work)

    @app.action(CLAIM_COMMAND_ACTION)
    async def on_take(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        rt: Runtime = context["runtime"]
        user_id, channel_id, value, _ = _who(body)

        async def work() -> str:
            await authorize_on_incident(
                rt, f"action:{CLAIM_COMMAND_ACTION}", user_id, _number(value)
            )
            return await take_command(rt, _number(value), user_id)

        async with rt.in_flight():
            await answer_user(rt, user_id, channel_id, "Taking command", work)

    @app.action(RESOLVE_ACTION)
    async def on_resolve(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        rt: Runtime = context["runtime"]
        user_id, channel_id, value, _ = _who(body)

        async def work() -> str:
            await authorize_on_incident(rt, f"action:{RESOLVE_ACTION}", user_id, _number(value))
            async with alert_session(rt) as session:
                incident = await get_incident(session, _number(value))
            if incident is None:
                raise UserError("I can't find that incident any more.")
            problems = await resolve(rt, incident, user_id, "")
            answer = f"You resolved incident #{incident.id}."
            if problems:
                answer += "\nWhat did not work:\n" + "\n".join(f"• {p}" for p in problems)
            return answer

        async with rt.in_flight():
            await answer_user(rt, user_id, channel_id, "Resolving", work)


def _kick(rt: Runtime, group: str) -> None:
    worker = worker_for(rt)
    if worker is not None and group.isdigit():
        worker.kick(int(group))
