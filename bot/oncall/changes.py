"""`/oncall override`, `take`, `overrides` and `unoverride`: changing who is on call, each
change recorded (the override's row: who made it and when, who removed it and when).

Full members only (the permission table's `oncall`); beyond that, a member of the schedule
changes their own shifts and an on-call admin anyone's (bot/oncall/may.py). Times are read in
the actor's Slack zone (bot/oncall/when.py) and shown in it."""

from __future__ import annotations

from bot.core.errors import UserError
from bot.oncall.change_notices import Change, on_call_between, tell_change, tell_removed
from bot.oncall.change_queries import add_override, remove_override, upcoming_overrides
from bot.oncall.changes_view import kind_word
from bot.oncall.config import ScheduleDef
from bot.oncall.may import check_may_change, check_may_remove, check_on_call_person, is_admin
from bot.oncall.people import shown, slack_ids
from bot.oncall.schedules import horizon, oncall_config, shifts_ahead
from bot.oncall.view import paged, when
from bot.oncall.when import MAX_SPAN, OVERRIDE_USAGE, read_length, read_span
from bot.slack.context import CommandContext
from bot.slack.grammar import oncall_command
from bot.slack.text import escape, excerpt, parse_user_mention, unescape
from bot.timeline.timeparse import zone_label
from bot.timeline.user_zone import user_zone
from storage.models.oncall import OncallOverride
from storage.types import utcnow

LISTED = 40  # overrides listed in one answer


def schedule_named(ctx: CommandContext, word: str) -> ScheduleDef:
    config = oncall_config(ctx.rt)
    schedule = config.schedule(word)
    if schedule is None:
        known = ", ".join(f"`{escape(s.name)}`" for s in config.schedules) or "none yet"
        raise UserError(
            f"There is no on-call schedule `{excerpt(word, 40)}`. The schedules: {known}."
        )
    return schedule


def person_named(word: str, usage: str) -> str:
    person = parse_user_mention(word)
    if person is None:
        raise UserError(f"`{excerpt(word, 40)}` is not a person: mention them (`@ana`). {usage}.")
    return person


@oncall_command(
    "override",
    usage="<schedule> @someone <from> <until>",
    summary="Put someone on call from a time until another (`sat 09:00`, "
    "`2026-12-24 18:00 Europe/Berlin`, `now`), in your Slack time zone",
)
async def override(ctx: CommandContext, args: str) -> None:
    words = unescape(args).split()
    if len(words) < 4:
        raise UserError(f"Which schedule, who, from when and until when? {OVERRIDE_USAGE}.")
    schedule = schedule_named(ctx, words[0])
    person = person_named(words[1], OVERRIDE_USAGE)
    zone, _ = await user_zone(ctx.rt, ctx.user_id)
    now = utcnow()
    span = read_span(words[2:], zone, now)
    await check_may_change(ctx.rt, ctx.user_id, schedule, person)
    if person != ctx.user_id:  # the actor passed the permission table's check already
        await check_on_call_person(ctx.rt, person)
    before = await on_call_between(ctx.rt, schedule, span.start, span.end)
    async with ctx.rt.db.session() as session:
        row = await add_override(
            session,
            schedule=schedule.name,
            user_id=person,
            start=span.start,
            end=span.end,
            kind="override",
            created_by=ctx.user_id,
        )
    started = " (from now: the start you gave is past)" if span.from_now else ""
    await ctx.reply(
        f":white_check_mark: Override #{row.id}: <@{person}> is on call for "
        f"*{escape(schedule.name)}* {when(span.start, zone)} – {when(span.end, zone)}"
        f"{started}. Times in {zone_label(zone)}. `/oncall unoverride {row.id}` removes it."
    )
    assert row.id is not None
    change = Change(schedule.name, ctx.user_id, person, span.start, span.end, row.id, "override")
    await tell_change(ctx.rt, change, before)


@oncall_command(
    "take",
    usage="<schedule> [duration]",
    summary="Take the current shift now, until its end or for a while (`30m`, `12h`, `2d`)",
)
async def take(ctx: CommandContext, args: str) -> None:
    words = unescape(args).split()
    if not 1 <= len(words) <= 2:
        raise UserError("`/oncall take <schedule> [duration]`, e.g. `/oncall take payments 12h`.")
    schedule = schedule_named(ctx, words[0])
    length = read_length(words[1]) if len(words) == 2 else None
    await check_may_change(ctx.rt, ctx.user_id, schedule)
    now = utcnow()
    ahead = await shifts_ahead(ctx.rt, schedule, now, max(1, horizon(schedule.rules()).days))
    current = ahead[0]
    ids = await slack_ids(ctx.rt, [current.person] if current.person else [])
    zone, _ = await user_zone(ctx.rt, ctx.user_id)
    holder = ids.get(current.person) if current.person else None
    if length is None and holder == ctx.user_id:
        raise UserError(
            f"You are on call for *{escape(schedule.name)}* already, until "
            f"{when(current.end, zone)}. Give a duration to stay on longer: "
            f"`/oncall take {escape(schedule.name)} 12h`."
        )
    end = now + length if length is not None else min(current.end, now + MAX_SPAN)
    instead = shown(current.person, ids) if current.person else "nobody (a gap)"
    before = await on_call_between(ctx.rt, schedule, now, end)
    async with ctx.rt.db.session() as session:
        row = await add_override(
            session,
            schedule=schedule.name,
            user_id=ctx.user_id,
            start=now,
            end=end,
            kind="take",
            created_by=ctx.user_id,
            reason=f"instead of {holder or current.person or 'nobody'}"[:200],
        )
    await ctx.reply(
        f":white_check_mark: Override #{row.id}: you are on call for *{escape(schedule.name)}* "
        f"from now until {when(end, zone)}, instead of {instead}. "
        f"`/oncall unoverride {row.id}` gives it back."
    )
    assert row.id is not None
    await tell_change(
        ctx.rt, Change(schedule.name, ctx.user_id, ctx.user_id, now, end, row.id, "take"), before
    )


@oncall_command(
    "overrides",
    usage="<schedule>",
    summary="The overrides of a schedule in force or to come, with their numbers",
)
async def overrides(ctx: CommandContext, args: str) -> None:
    words = unescape(args).split()
    if len(words) != 1:
        raise UserError("`/oncall overrides <schedule>`, e.g. `/oncall overrides payments`.")
    schedule = schedule_named(ctx, words[0])
    zone, _ = await user_zone(ctx.rt, ctx.user_id)
    async with ctx.rt.db.session() as session:
        rows = await upcoming_overrides(session, schedule.name, utcnow())
    name = escape(schedule.name)
    if not rows:
        await ctx.reply(f"No overrides of *{name}* in force or to come.")
        return
    lines = [
        f"• *#{r.id}* <@{r.user_id}> {when(r.start_at, zone)} – {when(r.end_at, zone)}: "
        f"{kind_word(r)} by <@{r.created_by}>"
        for r in rows[:LISTED]
    ]
    more = f" …and {len(rows) - LISTED} more." if len(rows) > LISTED else ""
    footer = f"Times in {zone_label(zone)}. `/oncall unoverride <number>` removes one.{more}"
    for blocks in paged(f"*Overrides of {name}*, in force or to come", lines, footer):
        await ctx.reply(f"Overrides of {schedule.name}", blocks=blocks)


@oncall_command("unoverride", usage="<number>", summary="Remove an override (its number)")
async def unoverride(ctx: CommandContext, args: str) -> None:
    words = unescape(args).split()
    number = words[0].lstrip("#") if len(words) == 1 else ""
    if not number.isdigit() or len(number) > 12:
        raise UserError(
            "`/oncall unoverride <number>`: the number `/oncall overrides <schedule>` shows."
        )
    now = utcnow()
    async with ctx.rt.db.session() as session:
        row = await session.get(OncallOverride, int(number))
    if row is None:
        raise UserError(f"There is no override #{number}.")
    zone, _ = await user_zone(ctx.rt, ctx.user_id)
    schedule = oncall_config(ctx.rt).schedule(row.schedule)
    if row.removed_at is not None:
        raise UserError(
            f"Override #{number} was removed already, by <@{row.removed_by}> at "
            f"{when(row.removed_at, zone)}."
        )
    if row.end_at <= now:
        raise UserError(f"Override #{number} is over already ({when(row.end_at, zone)}).")
    if schedule is None:
        if not await is_admin(ctx.rt, ctx.user_id):
            raise UserError(
                f"Override #{number} is of `{escape(row.schedule)}`, a schedule no longer in "
                "the configuration file: only an on-call admin may remove it."
            )
    else:
        await check_may_remove(ctx.rt, ctx.user_id, schedule, {row.user_id, row.created_by})
    async with ctx.rt.db.session() as session:
        removed = await remove_override(session, int(number), ctx.user_id, now)
    if not removed:
        raise UserError(f"Override #{number} was removed already, a moment ago.")
    await ctx.reply(
        f":wastebasket: Removed override #{number}: <@{row.user_id}> on "
        f"*{escape(row.schedule)}* {when(row.start_at, zone)} – {when(row.end_at, zone)}. "
        "The rotation covers that time again."
    )
    period = (max(row.start_at, now), row.end_at)
    await tell_removed(ctx.rt, ctx.user_id, row.user_id, row.schedule, int(number), period)
