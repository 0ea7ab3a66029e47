"""Acknowledge and Escalate now, pressed on a page DM: each takes effect once however many
times it is pressed, or on however many replicas (conditional updates in queries.py)."""

from __future__ import annotations

import logging

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.queries import get_incident
from bot.oncall.schedules import oncall_config
from bot.paging import queries
from bot.paging.blocks import acked_blocks, page_text
from bot.slack.client import slack_error_code, slack_error_text
from bot.slack.durations import humanize
from bot.slack.text import escape
from bot.timeline.queries import add_bot_action
from bot.timeline.user_zone import user_zone
from storage.models.incidents import Incident
from storage.models.paging import NOBODY_ANSWERED, PageEscalation
from storage.models.timeline import EntryKind
from storage.types import utcnow

log = logging.getLogger(__name__)

OVER = {
    "acknowledged": "This page was already acknowledged by <@{acked_by}>.",
    "exhausted": "This page is over: nobody acknowledged it in time; the commander was told.",
    "cancelled": "This page was stopped: the incident is resolved.",
}


async def _escalation(rt: Runtime, escalation_id: int) -> tuple[PageEscalation, Incident]:
    async with rt.db.session() as session:
        esc = await session.get(PageEscalation, escalation_id)
        incident = await get_incident(session, esc.incident_id) if esc else None
    if esc is None or incident is None:
        raise UserError("That page no longer points at anything I know.")
    return esc, incident


async def _paged(rt: Runtime, esc: PageEscalation, user_id: str) -> None:
    """Only a person this escalation paged may acknowledge or escalate it (a private incident
    is not shown to anyone else, nor its room opened to them)."""
    async with rt.db.session() as session:
        paged = {n.user_id for n in await queries.notifications(session, esc.id or 0)}
    if user_id not in paged:
        raise UserError("This page was not sent to you, so it is not yours to answer.")


def _over(esc: PageEscalation) -> str:
    return OVER.get(esc.status, "This page is over.").format(acked_by=esc.acked_by)


async def acknowledge_page(rt: Runtime, escalation_id: int, user_id: str) -> str:
    """The Acknowledge button: what to tell the person who pressed it."""
    _, said = await acknowledge(rt, escalation_id, user_id)
    return said


async def acknowledge(
    rt: Runtime, escalation_id: int, user_id: str, how: str = ""
) -> tuple[bool, str]:
    """Acknowledge once, however many presses or replicas: (this one won, what to tell them).
    `how`: said on the timeline after the acknowledgement (" by phone")."""
    esc, incident = await _escalation(rt, escalation_id)
    await _paged(rt, esc, user_id)
    now = utcnow()
    after = humanize((now - esc.created_at).total_seconds())
    async with rt.db.session() as session:
        won = await queries.acknowledge(session, escalation_id, user_id, now)
        if won:
            await add_bot_action(
                session,
                esc.incident_id,
                f"<@{user_id}> acknowledged the page of {escape(esc.service)}{how}, "
                f"{after} after it",
                actor_id=user_id,
                kind=EntryKind.PAGE,
            )
    if not won:
        esc, _ = await _escalation(rt, escalation_id)
        return False, _over(esc)
    esc, _ = await _escalation(rt, escalation_id)
    room = incident.channel_id
    if room:
        try:
            await rt.client.conversations_invite(channel=room, users=user_id)
        except Exception as exc:
            if slack_error_code(exc) != "already_in_channel":
                log.warning("could not invite the acknowledger: %s", slack_error_text(exc))
        try:
            await rt.client.chat_postMessage(
                channel=room,
                text=f":white_check_mark: <@{user_id}> acknowledged the page of "
                f"*{escape(esc.service)}*, {after} after it. Paging stopped.",
            )
        except Exception as exc:
            log.warning("could not post in the war room: %s", slack_error_text(exc))
    await _update_dms(rt, esc, incident)
    where = f" I've added you to <#{room}>." if room else ""
    return True, f"Acknowledged: paging stopped, and the war room knows you're on it.{where}"


async def _update_dms(rt: Runtime, esc: PageEscalation, incident: Incident) -> None:
    """Every DM of this escalation: acknowledged by whom, at what time in the reader's zone."""
    async with rt.db.session() as session:
        sent = [n for n in await queries.notifications(session, esc.id or 0) if n.ts]
    assert esc.acked_at is not None
    for note in sent:
        zone, _ = await user_zone(rt, note.user_id)
        when = esc.acked_at.astimezone(zone).strftime("%H:%M %Z")
        try:
            await rt.client.chat_update(
                channel=note.channel_id or note.user_id,
                ts=note.ts or "",
                text=page_text(incident, esc),
                blocks=acked_blocks(incident, esc, when),
            )
        except Exception as exc:
            log.warning("could not update a page DM: %s", slack_error_text(exc))


async def escalate_page(
    rt: Runtime, escalation_id: int, round_: int, level: int, user_id: str
) -> str:
    esc, _ = await _escalation(rt, escalation_id)
    await _paged(rt, esc, user_id)
    if esc.status != "active":
        return _over(esc)
    policy = oncall_config(rt).policy(esc.policy)
    if policy is None or not 0 <= level < len(policy.levels):
        raise UserError("That page no longer points at anything I know.")
    if (esc.round, esc.level) == (round_, level):
        return "This level's page is still going out: press Escalate now again in a moment."
    pending = policy.step(round_, level) or (round_, NOBODY_ANSWERED)
    async with rt.db.session() as session:
        won = await queries.escalate_now(session, escalation_id, pending, utcnow())
        if won:
            await add_bot_action(
                session,
                esc.incident_id,
                f"<@{user_id}> escalated the page of {escape(esc.service)} to the next level now",
                actor_id=user_id,
                kind=EntryKind.PAGE,
            )
    if not won:
        return "This page has already gone on to the next level."
    from bot.paging.escalator import Escalator

    escalator = Escalator.of(rt)
    if escalator is not None:
        escalator.wake()
    return "Escalating to the next level now."
