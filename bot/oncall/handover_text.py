"""The handover DMs: the incoming person's briefing and the outgoing person's thank-you.
Every piece of text from people (titles, names) is escaped; private incidents are counted,
never named."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from bot.incidents.labels import incident_label
from bot.oncall.view import when
from bot.slack.durations import humanize
from bot.slack.text import escape
from storage.models.incidents import Incident

MAX_LISTED = 10


@dataclass(frozen=True)
class ShiftCounts:
    alerts: int
    pages: int
    night_pages: int  # outside the person's working hours


def briefing(
    schedule: str,
    outgoing: str | None,
    shift_end: datetime,
    zone: tzinfo,
    incidents: Sequence[Incident],
    last_shift: ShiftCounts | None,
    waiting: tuple[int, int],
    late: timedelta,
) -> str:
    """What the incoming person reads. `outgoing` is shown as given (a mention or a name
    already escaped)."""
    lines = [
        f":pager: You are on call for *{escape(schedule)}* now, until "
        f"{when(shift_end, zone)}"
        + (f", taking over from {outgoing}." if outgoing else " (after a gap: nobody was on call).")
    ]
    if late:
        lines.append(
            f"_This comes {humanize(late.total_seconds())} after the handover (the bot was not "
            "running then, or the change was made since)._"
        )
    public = [i for i in incidents if not i.private]
    private = len(incidents) - len(public)
    if not incidents:
        lines.append("*Open incidents:* none.")
    else:
        lines.append(f"*Open incidents:* {len(incidents)}")
        for incident in public[:MAX_LISTED]:
            where = f" in <#{incident.channel_id}>" if incident.channel_id else ""
            lines.append(f"• {incident_label(incident)} ({escape(incident.status)}){where}")
        if len(public) > MAX_LISTED:
            lines.append(f"• and {len(public) - MAX_LISTED} more")
        if private:
            lines.append(
                f"• {private} private incident{'' if private == 1 else 's'} "
                "(not named here; their channels have the details)"
            )
    if last_shift is not None:
        lines.append(
            f"*The last shift:* {_n(last_shift.alerts, 'alert')}, {_n(last_shift.pages, 'page')}."
        )
    groups, pages = waiting
    if groups or pages:
        parts = []
        if groups:
            parts.append(f"{_n(groups, 'alert group')} firing with no incident")
        if pages:
            parts.append(f"{_n(pages, 'page')} not yet delivered")
        lines.append(f"*Still waiting:* {', '.join(parts)}.")
    else:
        lines.append("*Still waiting:* nothing.")
    return "\n".join(lines)


def thanks(
    schedule: str,
    start: datetime | None,
    end: datetime,
    zone: tzinfo,
    counts: ShiftCounts,
    incoming: str,
) -> str:
    since = f" from {when(start, zone)}" if start is not None else ""
    night = (
        f", {counts.night_pages} of them outside your working hours" if counts.night_pages else ""
    )
    return (
        f":pray: Thank you for your shift on *{escape(schedule)}*{since} to {when(end, zone)}: "
        f"{_n(counts.pages, 'page')}{night}. {incoming} has it now. Rest well."
    )


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
