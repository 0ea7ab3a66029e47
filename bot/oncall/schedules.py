"""The schedules of the configuration file with their overrides: who is on call now and next
for each, and a schedule's shifts ahead (bot/oncall/rules.py does the resolving)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.runtime import Runtime
from bot.oncall.config import ONCALL, OncallConfig, ScheduleDef
from bot.oncall.queries import overrides_between
from bot.oncall.rules import OnCall, Rules, Shift, now_and_next, on_call, timeline, wall_mark
from bot.oncall.view import NowAndNext
from storage import Database

MIN_HORIZON = timedelta(days=2)
MAX_HORIZON = timedelta(days=120)


def oncall_config(rt: Runtime) -> OncallConfig:
    return rt.config.get(ONCALL)


def horizon(rules: Rules) -> timedelta:
    """How far ahead to look for who comes next: two of the longest turns and a day."""
    longest = max(layer.length for layer in rules.layers)
    return min(MAX_HORIZON, max(MIN_HORIZON, 2 * longest + timedelta(days=1)))


async def now_for_all(rt: Runtime, instant: datetime) -> list[NowAndNext]:
    schedules = oncall_config(rt).all_rules
    if not schedules:
        return []
    furthest = instant + max(horizon(r) for r in schedules)
    async with rt.db.session() as session:
        overrides = await overrides_between(session, instant, furthest)
    rows = []
    for rules in schedules:
        span = horizon(rules)
        current, after = now_and_next(rules, overrides.get(rules.name.lower(), []), instant, span)
        rows.append(NowAndNext(rules.name, current, after, instant + span))
    return rows


async def shifts_ahead(
    rt: Runtime, schedule: ScheduleDef, start: datetime, days: int
) -> list[Shift]:
    end = start + timedelta(days=days)
    async with rt.db.session() as session:
        overrides = await overrides_between(session, start, end, [schedule.name])
    found = next(iter(overrides.values()), [])
    return timeline(schedule.rules(), found, start, end)


async def on_call_all(
    db: Database, schedules: Sequence[Rules], instant: datetime
) -> dict[str, OnCall | None]:
    """Who is on call at `instant` for each schedule (the paging code asks for one): one
    column-only query on one connection (the overrides in force then; years of ended ones are
    never read), then the rules, compiled once per loaded file (OncallConfig.all_rules)."""
    async with db.connection(autocommit=True) as conn:
        overrides = await overrides_between(conn, instant, instant + timedelta(microseconds=1))
    walls: dict[ZoneInfo, datetime] = {}  # the wall clock once per zone, not per schedule
    found: dict[str, OnCall | None] = {}
    for r in schedules:
        wall = walls.get(r.zone)
        if wall is None:
            wall = walls[r.zone] = wall_mark(r.zone, instant)
        found[r.name] = on_call(r, overrides.get(r.name.lower(), []), instant, wall)
    return found
