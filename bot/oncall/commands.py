"""`/oncall`: who is on call now for every schedule (until when, who is next), and
`/oncall <schedule> [days]`: the shifts ahead. Anyone may read; times in the reader's zone."""

from __future__ import annotations

import re
from datetime import timedelta, tzinfo

from bot.core.errors import UserError
from bot.oncall.changes_view import change_lines, changes_footer, load_changes, mark
from bot.oncall.people import shown, slack_ids
from bot.oncall.schedules import now_for_all, oncall_config, shifts_ahead
from bot.oncall.view import now_line, paged, shift_line
from bot.slack.context import CommandContext
from bot.slack.grammar import oncall_command
from bot.slack.text import escape, excerpt, unescape
from bot.timeline.timeparse import zone_label
from bot.timeline.user_zone import user_zone
from storage.types import utcnow

DEFAULT_DAYS = 14
MAX_DAYS = 90
NO_SCHEDULES = (
    "There are no on-call schedules yet: they are written in the `oncall` section of the "
    "configuration file (CONFIG_FILE; see the On call page of the docs)."
)


@oncall_command(
    "",
    usage="[schedule] [days]",
    summary=f"Who is on call now for every schedule; with a schedule, its shifts ahead "
    f"(default {DEFAULT_DAYS} days, at most {MAX_DAYS})",
)
async def show(ctx: CommandContext, args: str) -> None:
    words = unescape(args).split()
    if not words:
        await everyone_now(ctx)
        return
    if len(words) > 2:
        raise UserError("`/oncall` takes a schedule and a number of days: `/oncall payments 30`.")
    config = oncall_config(ctx.rt)
    schedule = config.schedule(words[0])
    if schedule is None:
        known = ", ".join(f"`{escape(s.name)}`" for s in config.schedules)
        raise UserError(
            f"There is no on-call schedule `{excerpt(words[0], 40)}`. "
            + (f"The schedules: {known}." if known else NO_SCHEDULES)
        )
    days = parse_days(words[1]) if len(words) == 2 else DEFAULT_DAYS
    zone, own = await user_zone(ctx.rt, ctx.user_id)
    now = utcnow()
    ahead = await shifts_ahead(ctx.rt, schedule, now, days)
    members = {s.person for s in ahead if s.person}
    ids = await slack_ids(ctx.rt, members)
    names = {m: shown(m, ids) for m in members}
    heading = (
        f"*On call for {escape(schedule.name)}*, the next {days} day{'' if days == 1 else 's'}"
    )
    changes = await load_changes(ctx.rt, schedule.name, now, now + timedelta(days=days), now)
    lines = [shift_line(s, names, zone) + mark(s, changes) for s in ahead]
    gaps = sum(1 for s in ahead if s.person is None)
    footer = _zone_note(zone, own) + (
        f" {gaps} gap{'' if gaps == 1 else 's'}: nobody is on call then." if gaps else ""
    )
    footer += changes_footer(change_lines(changes, zone))
    for blocks in paged(heading, lines, footer):
        await ctx.reply(f"On call for {schedule.name}", blocks=blocks)


async def everyone_now(ctx: CommandContext) -> None:
    config = oncall_config(ctx.rt)
    if not config.schedules:
        await ctx.reply(NO_SCHEDULES)
        return
    zone, own = await user_zone(ctx.rt, ctx.user_id)
    rows = await now_for_all(ctx.rt, utcnow())
    members = {s.person for r in rows for s in (r.now, r.next) if s is not None and s.person}
    ids = await slack_ids(ctx.rt, members)
    names = {m: shown(m, ids) for m in members}
    lines = [now_line(r, names, zone) for r in rows]
    footer = _zone_note(zone, own) + " `/oncall <schedule>` shows a schedule's shifts ahead."
    for blocks in paged("*On call now*", lines, footer):
        await ctx.reply("On call now", blocks=blocks)


def parse_days(word: str) -> int:
    found = re.fullmatch(r"(\d{1,4})d?", word.strip().lower())
    days = int(found.group(1)) if found else 0
    if not 1 <= days <= MAX_DAYS:
        raise UserError(
            f"`{excerpt(word, 20)}` is not a number of days from 1 to {MAX_DAYS}: "
            f"e.g. `/oncall payments 30`."
        )
    return days


def _zone_note(zone: tzinfo, own: bool) -> str:
    label = zone_label(zone)
    if own:
        return f"Times in {label}, your Slack time zone."
    return f"Times in {label}: your Slack profile does not say your time zone."
