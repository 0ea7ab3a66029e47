"""What `python -m bot check` says of each schedule: the gaps of the next 4 weeks, when nobody
is on call by the file's rules (overrides, made in Slack, are not counted). A gap is a warning,
not a failure: a schedule may mean to leave nights or weekends to nobody."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.oncall.config import OncallConfig
from bot.oncall.rules import gaps, timeline
from bot.timeline.timeparse import format_local

AHEAD = timedelta(weeks=4)
LISTED = 3  # gaps written out on the line; the rest counted


@dataclass(frozen=True)
class ScheduleGaps:
    schedule: str
    count: int
    text: str  # one line


def schedule_gaps(config: OncallConfig, now: datetime) -> list[ScheduleGaps]:
    out = []
    for schedule in config.schedules:
        rules = schedule.rules()
        found = gaps(timeline(rules, [], now, now + AHEAD))
        if not found:
            out.append(ScheduleGaps(schedule.name, 0, "someone is on call all of the next 4 weeks"))
            continue
        spans = [
            f"{format_local(g.start, rules.zone)} – {format_local(g.end, rules.zone)}"
            for g in found[:LISTED]
        ]
        more = f" and {len(found) - LISTED} more" if len(found) > LISTED else ""
        plural = "" if len(found) == 1 else "s"
        out.append(
            ScheduleGaps(
                schedule.name,
                len(found),
                f"{len(found)} gap{plural} in the next 4 weeks, when nobody is on call "
                f"(a warning, not a failure): {'; '.join(spans)}{more}",
            )
        )
    return out
