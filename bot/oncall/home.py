"""On call's section of App Home (bot/home/): your next shifts across schedules, in your zone;
nothing for someone in no schedule. Three blocks at most."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.core.runtime import Runtime
from bot.oncall.mine import in_some_schedule, person_zone, shifts_of
from bot.oncall.rules import OVERRIDE
from bot.oncall.schedules import oncall_config
from bot.oncall.view import when
from bot.slack.blocks import context, section
from bot.slack.text import escape
from bot.timeline.timeparse import zone_label

SHOWN = 3
LOOKAHEAD = timedelta(days=60)


async def home_section(rt: Runtime, user_id: str, now: datetime) -> list[dict[str, Any]]:
    if not oncall_config(rt).schedules:
        return []
    # A minute's steps: the view is republished only when it changes.
    now = now.replace(second=0, microsecond=0)
    # The end in whole days, so that "until at least" moves once a day, not each minute.
    end = (now + LOOKAHEAD).replace(hour=0, minute=0)
    mine = await shifts_of(rt, user_id, now, end)
    if not mine and not await in_some_schedule(rt, user_id):
        return []
    zone, own = await person_zone(rt, user_id)
    lines = []
    for item in mine[:SHOWN]:
        shift = item.shift
        layer = "an override" if shift.layer == OVERRIDE else escape(shift.layer or "")
        begins = "*now*" if shift.start <= now else when(shift.start, zone)
        ends = "at least " if shift.end >= end else ""
        lines.append(
            f"• *{escape(item.schedule)}* ({layer}): {begins} until {ends}{when(shift.end, zone)}"
        )
    if not lines:
        lines.append(f"_No shifts in the next {LOOKAHEAD.days} days._")
    label = zone_label(zone)
    note = (
        f"Times in {label}" + ("." if own else ": your Slack profile does not say your zone.")
    ) + " `/oncall <schedule>` shows a schedule's shifts; `/oncall calendar` subscribes."
    return [
        {"type": "header", "text": {"type": "plain_text", "text": "Your next on-call shifts"}},
        section("\n".join(lines)),
        context(note),
    ]
