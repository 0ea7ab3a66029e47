"""App Home, and the nudge's buttons: Done (done, unverified: its owner is asked how it
was verified) and Snooze (no nudge about that item for 3 days)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.followthrough.messages import DONE_ACTION, SNOOZE_ACTION, SNOOZE_DAYS
from bot.followthrough.queries import snooze_item
from bot.followthrough.states import ask_owner_to_verify, mark_done
from bot.slack.answers import answer_user
from bot.slack.client import slack_error_text
from bot.slack.mrkdwn import escape_keeping_mentions
from bot.slack.permissions import authorize
from storage.models.incidents import Incident
from storage.models.postmortem import ActionItem
from storage.types import utcnow

log = logging.getLogger(__name__)

# Called after a Done pressed on App Home, to show it done there at once (bot/home/ plugs in).
HOME_PRESSED_HOOKS: list[Callable[[Runtime, str], Awaitable[None]]] = []


def _where(body: dict[str, Any]) -> tuple[str, str | None, str]:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    value = ((body.get("actions") or [{}])[0]).get("value") or ""
    return body["user"]["id"], channel, value


def register(app: AsyncApp) -> None:
    @app.action(DONE_ACTION)
    async def on_done(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        rt: Runtime = context["runtime"]
        user, channel, value = _where(body)
        async with rt.in_flight():
            await answer_user(
                rt, user, channel, "Marking the item done", lambda: _done(rt, user, value)
            )
            if (body.get("view") or {}).get("type") == "home":
                await _republish_home(rt, user)  # pressed on App Home: show it done now

    @app.action(SNOOZE_ACTION)
    async def on_snooze(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        rt: Runtime = context["runtime"]
        user, channel, value = _where(body)
        async with rt.in_flight():
            await answer_user(
                rt, user, channel, "Snoozing the item", lambda: _snooze(rt, user, value)
            )


async def _republish_home(rt: Runtime, user: str) -> None:
    for republish in HOME_PRESSED_HOOKS:
        try:
            await republish(rt, user)
        except Exception as exc:
            log.warning("could not republish App Home after Done: %s", slack_error_text(exc))


async def _done(rt: Runtime, user: str, value: str) -> str:
    await authorize(rt, f"action:{DONE_ACTION}", user)
    async with rt.db.session() as session:
        item = await session.get(ActionItem, int(value)) if value.isdigit() else None
        if item is None:
            raise UserError("I can't find that action item any more.")
        incident = await session.get(Incident, item.incident_id)
        status = await mark_done(session, item, user, None, source=" (from a nudge)")
    if incident is not None and user != item.owner_id:
        await ask_owner_to_verify(rt, item, incident)
    return (
        f":ballot_box_with_check: Action item #{item.number} of incident #{item.incident_id} is "
        f"{status}, unverified: {escape_keeping_mentions(item.text)}\nA fix you cannot verify is "
        f"not finished: say how with `/postmortem verify {item.number} <how>` in "
        + (f"<#{incident.channel_id}>." if incident and incident.channel_id else "its war room.")
    )


async def _snooze(rt: Runtime, user: str, value: str) -> str:
    await authorize(rt, f"action:{SNOOZE_ACTION}", user)
    until = utcnow() + timedelta(days=SNOOZE_DAYS)
    async with rt.db.session() as session:
        item = await snooze_item(session, int(value), until) if value.isdigit() else None
        if item is None:
            raise UserError("I can't find that action item any more.")
    return (
        f":zzz: No nudges about action item #{item.number} until "
        f"{until.strftime('%Y-%m-%d %H:%M UTC')}: {escape_keeping_mentions(item.text)}"
    )
