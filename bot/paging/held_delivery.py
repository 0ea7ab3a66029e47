"""Delivering held pages (bot/paging/held.py) when their time comes: each claimed once across
replicas, then the DM, the SMS and call, the timeline and the war room, and the level's
`ack_within` counted from the delivery."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.core.runtime import Runtime
from bot.incidents.queries import get_incident
from bot.oncall.schedules import oncall_config
from bot.paging import held
from bot.paging.messenger import PageMessenger
from bot.slack.durations import humanize
from bot.slack.text import escape
from bot.timeline.queries import add_bot_action
from storage.models.paging import PageEscalation, PageNotification
from storage.models.timeline import EntryKind


async def deliver_due_holds(
    rt: Runtime,
    sender: PageMessenger,
    now: datetime,
    lease: timedelta,
    stopping: Callable[[], bool],
) -> None:
    """Every hold due by `now` that this replica claims (a lease of `lease`), one at a time."""
    async with rt.db.session() as session:
        holds = await held.due_holds(session, now)
    for note in holds:
        if stopping():
            return
        async with rt.db.session() as session:
            claimed = await held.claim_hold(session, note, now, lease)
        if claimed:
            await _deliver(rt, sender, note, now)


async def _deliver(
    rt: Runtime, sender: PageMessenger, note: PageNotification, now: datetime
) -> None:
    """A page held for quiet hours, due now: the DM, the timeline and the war room, and the
    level's `ack_within` counted from now."""
    async with rt.db.session() as session:
        esc = await session.get(PageEscalation, note.escalation_id)
        incident = await get_incident(session, esc.incident_id) if esc else None
    policy = oncall_config(rt).policy(esc.policy) if esc else None
    if esc is None or incident is None or policy is None:
        return
    level = policy.levels[note.level] if 0 <= note.level < len(policy.levels) else None
    as_paged = esc.model_copy(update={"round": note.round, "level": note.level})
    sent = await sender.dm(note.id or 0, note.user_id, incident, as_paged)
    if not sent:
        said = f"Slack refused the held page to <@{note.user_id}>"
    else:
        wait = humanize(level.ack_within.total_seconds()) if level else "no time"
        said = (
            f"Paged <@{note.user_id}> ({escape(policy.name)}, level {note.level + 1} of "
            f"{len(policy.levels)}), held for quiet hours until now: waiting {wait} for an ack"
        )
    if level is not None:  # the SMS and call go even when Slack refused the DM
        await sender.by_twilio([(level, [note])])
    async with rt.db.session() as session:
        if not sent:
            await held.drop_hold(session, note.id or 0)
        elif level is not None:
            pending = held.pending_after(policy.step(note.round, note.level), note.round)
            await held.pull_forward(session, esc, pending, now + level.ack_within)
        await add_bot_action(session, esc.incident_id, said, kind=EntryKind.PAGE)
    await sender.say(incident, f":pager: {said}.")
