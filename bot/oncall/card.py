"""Who is on call for an incident's service, on its card: response's CARD_HOOKS call this each
time the card is posted or refreshed, so the card says who is on call then. The service is the
incident's (`--service` on declare, or the alert's `service` label); its schedule the service
catalog's `oncall`. Nothing is shown for an incident without one."""

from __future__ import annotations

from typing import Any

from bot.core.runtime import Runtime
from bot.incidents.services import service_named
from bot.oncall.people import shown, slack_ids
from bot.oncall.queries import overrides_between
from bot.oncall.rules import OVERRIDE, now_and_next
from bot.oncall.schedules import horizon, oncall_config
from bot.oncall.slack_dates import slack_time
from bot.slack.blocks import context
from bot.slack.text import escape
from storage.models.incidents import Incident
from storage.types import utcnow


async def oncall_card_blocks(rt: Runtime, incident: Incident) -> list[dict[str, Any]]:
    """`On call for checkout: @ana until Today 18:00 (payments, primary)`: one context block,
    or none."""
    if not incident.service:
        return []
    service = service_named(rt, incident.service)
    if service is None or not service.oncall:
        return []
    schedule = oncall_config(rt).schedule(service.oncall)
    if schedule is None:  # the configuration checks prevent this; never a broken card
        return []
    rules = schedule.rules()
    now = utcnow()
    span = horizon(rules)
    async with rt.db.session() as session:
        overrides = await overrides_between(session, now, now + span, [schedule.name])
    found = next(iter(overrides.values()), [])
    current, after = now_and_next(rules, found, now, span)
    where = f"`/oncall {escape(schedule.name)}`"
    if current.person is None:
        until = f" until {slack_time(current.end)}" if after is not None else ""
        text = f":warning: *On call for {escape(service.name)}*: nobody{until} (a gap in {where})"
        return [context(text)]
    ids = await slack_ids(rt, [current.person])
    layer = "an override" if current.layer == OVERRIDE else escape(current.layer or "")
    until = "until at least" if current.end >= now + span else "until"
    text = (
        f":pager: *On call for {escape(service.name)}*: {shown(current.person, ids)} "
        f"{until} {slack_time(current.end)} ({escape(schedule.name)}, {layer}; {where})"
    )
    return [context(text)]
