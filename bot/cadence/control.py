"""People steering the cadence: snoozing a reminder, changing one incident's interval."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

from bot.cadence.prompt import snoozed_message
from bot.cadence.queries import get_prompt, latest_prompt, record_snooze, set_next_prompt
from bot.cadence.rules import cadence_problem, interval_of, snoozed_due
from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.labels import incident_label
from bot.incidents.queries import get_incident, update_incident
from bot.slack.client import slack_error_text
from bot.slack.durations import DurationError, humanize, parse_duration
from bot.slack.text import unescape
from bot.timeline.queries import add_bot_action
from storage.models.incidents import Incident
from storage.models.timeline import EntryKind
from storage.types import utcnow

# A click can beat the bookkeeping of the reminder it is on (milliseconds after the post).
BOOKKEEPING_WAIT_SECONDS = 5.0


async def _wait_for_bookkeeping(rt: Runtime, prompt_id: int) -> None:
    """Until the clicked reminder is recorded as sent: before that, the incident's clock is
    still on the claim's lease (bot.cadence.queries), not on the next reminder a snooze moves."""
    deadline = time.monotonic() + BOOKKEEPING_WAIT_SECONDS
    while time.monotonic() < deadline:
        async with rt.db.session() as session:
            prompt = await get_prompt(session, prompt_id)
        if prompt is None or prompt.sent_at is not None:
            return
        await asyncio.sleep(0.05)


def _clock(at: datetime, now: datetime) -> str:
    return f"{at.strftime('%H:%M:%S UTC')} (in {humanize((at - now).total_seconds())})"


async def snooze(
    rt: Runtime, prompt_id: int, user_id: str, message_ts: str | None = None
) -> tuple[str, list[str]]:
    """Skip the next reminder; recorded on the prompt and in the timeline.

    `message_ts` is the reminder clicked (its row may not have it yet if the click beat the
    bookkeeping). Returns what to tell the person and what failed; refusals raise UserError.
    """
    await _wait_for_bookkeeping(rt, prompt_id)
    now = utcnow()
    async with rt.db.session() as session:
        prompt = await get_prompt(session, prompt_id)
        incident = await get_incident(session, prompt.incident_id) if prompt else None
        if prompt is None or incident is None:
            raise UserError("I can't find that reminder any more.")
        if incident.status == "resolved" or incident.next_prompt_at is None:
            raise UserError(f"{incident_label(incident)} is resolved: no more reminders.")
        if prompt.snoozed_by:
            until = prompt.snoozed_until or now
            raise UserError(
                f"<@{prompt.snoozed_by}> already snoozed this reminder until "
                f"{until.strftime('%H:%M:%S UTC')}."
            )
        latest = await latest_prompt(session, incident.id or 0)
        if latest is not None and latest.id != prompt.id:
            raise UserError("A newer reminder has been posted since this one; snooze that one.")
        interval = interval_of(
            incident.update_interval_seconds, rt.settings.update_interval_seconds
        )
        until = snoozed_due(incident.next_prompt_at, now, interval)
        moved = await set_next_prompt(
            session,
            incident.id or 0,
            expected=incident.next_prompt_at,
            next_due=until,
            unanswered_prompts=0,
        )
        if moved is None:
            raise UserError("The reminder clock moved while you clicked; please try again.")
        await record_snooze(session, prompt_id, user_id, until)
        await add_bot_action(
            session,
            incident.id or 0,
            f"<@{user_id}> snoozed the status-update reminder until "
            + until.strftime("%H:%M:%S UTC"),
            actor_id=user_id,
            kind=EntryKind.SNOOZE,
            occurred_at=now,
        )
    problems: list[str] = []
    message_ts = prompt.message_ts or message_ts
    if incident.channel_id and message_ts:
        text, blocks = snoozed_message(incident, user_id, until, now)
        try:
            await rt.client.chat_update(
                channel=incident.channel_id, ts=message_ts, text=text, blocks=blocks
            )
        except Exception as exc:
            problems.append(f"I could not mark the reminder as snoozed ({slack_error_text(exc)}).")
    return f":zzz: Snoozed. The next reminder comes at {_clock(until, now)}.", problems


def parse_cadence(args: str) -> int:
    try:
        seconds = parse_duration(unescape(args))  # as typed, not as Slack escaped it
    except DurationError as exc:
        raise UserError(f"{exc} For example `/incident cadence 30m`.") from None
    problem = cadence_problem(seconds)
    if problem:
        raise UserError(problem)
    return seconds


def cadence_text(incident: Incident, default_seconds: int) -> str:
    interval = interval_of(incident.update_interval_seconds, default_seconds)
    now = utcnow()
    own = "" if incident.update_interval_seconds else " (the workspace default)"
    text = f"{incident_label(incident)}: a status update every {humanize(interval)}{own}."
    if incident.next_prompt_at:
        text += f" Next reminder at {_clock(max(incident.next_prompt_at, now), now)}."
    return text + " Change it with `/incident cadence <duration>`, e.g. `30m`."


async def change_cadence(rt: Runtime, incident: Incident, seconds: int, actor_id: str) -> str:
    """Set this incident's interval; the next reminder counts from the last update or reminder."""
    now = utcnow()
    async with rt.db.session() as session:
        current = await get_incident(session, incident.id or 0)
        if current is None or current.status == "resolved":
            raise UserError(f"{incident_label(incident)} is resolved; reopen it first.")
        latest = await latest_prompt(session, current.id or 0)
        anchors = [current.last_update_at or current.declared_at]
        if latest is not None:
            anchors.append(latest.sent_at or latest.due_at)
        next_due = max(max(anchors) + timedelta(seconds=seconds), now)
        updated = await update_incident(
            session, current.id or 0, update_interval_seconds=seconds, next_prompt_at=next_due
        )
        await add_bot_action(
            session,
            current.id or 0,
            f"<@{actor_id}> set the status-update cadence to every {humanize(seconds)}",
            actor_id=actor_id,
            kind=EntryKind.CADENCE_CHANGE,
            occurred_at=now,
        )
    return (
        f":stopwatch: Status updates on {incident_label(updated)} are now due every "
        f"{humanize(seconds)}. Next reminder at {_clock(next_due, now)}."
    )
