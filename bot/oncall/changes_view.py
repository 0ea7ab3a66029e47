"""How changes to a schedule show in `/oncall <schedule>`: each shift an override gives is
marked with its number, kind and who made it, and a footer lists the recent changes (who,
when, what), made or removed. Times in the reader's zone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from bot.core.runtime import Runtime
from bot.oncall.change_queries import recent_changes, upcoming_overrides
from bot.oncall.rules import OVERRIDE, Shift
from bot.oncall.view import when
from bot.slack.text import escape
from storage.models.oncall import OncallOverride

RECENT = timedelta(days=14)
CHANGES_SHOWN = 5
KIND_WORDS = {"override": "override", "take": "taken", "swap": "swap"}


@dataclass(frozen=True)
class Changes:
    in_force: list[OncallOverride]  # not removed, overlapping the shifts shown
    recent: list[OncallOverride]


async def load_changes(
    rt: Runtime, schedule: str, start: datetime, end: datetime, now: datetime
) -> Changes:
    async with rt.db.session() as session:
        recent = await recent_changes(session, schedule, now - RECENT, CHANGES_SHOWN)
        rows = await upcoming_overrides(session, schedule, start)
    return Changes([r for r in rows if r.start_at < end], recent)


def kind_word(row: OncallOverride) -> str:
    return KIND_WORDS.get(row.kind, escape(row.kind))


def mark(shift: Shift, changes: Changes) -> str:
    """` · override #12 by <@U1>` for a shift an override gives (the newest covering its
    start, as the rules pick), else nothing."""
    if shift.layer != OVERRIDE:
        return ""
    covering = [o for o in changes.in_force if o.start_at <= shift.start < o.end_at]
    if not covering:
        return ""
    row = max(covering, key=lambda o: o.id or 0)
    return f" · {kind_word(row)} #{row.id} by <@{row.created_by}>"


def change_lines(changes: Changes, zone: tzinfo) -> list[str]:
    """The recent changes, newest first: made, and removed."""
    events: list[tuple[datetime, str]] = []
    for row in changes.recent:
        span = f"{when(row.start_at, zone)} – {when(row.end_at, zone)}"
        what = f"{kind_word(row)} #{row.id}"
        events.append(
            (
                row.created_at,
                f"• {when(row.created_at, zone)}: <@{row.created_by}> made {what}: "
                f"<@{row.user_id}> on call {span}",
            )
        )
        if row.removed_at is not None:
            events.append(
                (
                    row.removed_at,
                    f"• {when(row.removed_at, zone)}: <@{row.removed_by}> removed {what} "
                    f"(<@{row.user_id}>, {span})",
                )
            )
    events.sort(key=lambda e: e[0], reverse=True)
    return [text for _, text in events[:CHANGES_SHOWN]]


def changes_footer(lines: Sequence[str]) -> str:
    if not lines:
        return ""
    return f"\n*Changes* (the last {RECENT.days} days, newest first):\n" + "\n".join(lines)
