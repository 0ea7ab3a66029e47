"""`/incident note`, `/incident log` and `/incident timeline`."""

from __future__ import annotations

from datetime import UTC

from bot.core.errors import UserError
from bot.incidents.lookup import incident_in_channel
from bot.slack.context import CommandContext
from bot.slack.grammar import incident_command
from bot.slack.text import unescape
from bot.timeline.capture_queries import count_stored
from bot.timeline.events import plain
from bot.timeline.queries import add_entry, count_entries, latest_entries
from bot.timeline.render import display_text, render_timeline, when
from bot.timeline.timeparse import parse_log_line, zone_label
from bot.timeline.user_zone import user_zone
from storage.models.timeline import EntryKind
from storage.types import utcnow

DEFAULT_SHOWN = 20
MAX_SHOWN = 100


@incident_command(
    "note",
    usage="<text>",
    summary="Add an entry to the timeline now (\u201cchecked the database, found nothing\u201d)",
)
async def note_command(ctx: CommandContext, args: str) -> None:
    text = plain(unescape(args)).strip()
    if not text:
        raise UserError("What should the note say? `/incident note <text>`.")
    incident = await incident_in_channel(ctx)
    now = utcnow()
    async with ctx.rt.db.session() as session:
        await add_entry(
            session,
            incident.id or 0,
            kind=EntryKind.NOTE,
            text=text,
            author_id=ctx.user_id,
            occurred_at=now,
        )
    count_stored({"note": 1})
    await ctx.reply(f":memo: Noted in incident #{incident.id}'s timeline: {display_text(text)}")


@incident_command(
    "log",
    usage="<time> [zone] <text>",
    summary=(
        "Add something that happened outside Slack, at the time it happened: "
        "`/incident log 03:31 PST deploy 4412 rolled out`, `/incident log 2026-11-26T03:31Z "
        "...` or `/incident log 2026-11-26 03:31 Europe/Berlin ...`. Without a zone, your "
        "Slack time zone. A time without a date is its most recent past occurrence. Times "
        "that daylight saving skips or repeats are refused, not guessed"
    ),
)
async def log_command(ctx: CommandContext, args: str) -> None:
    incident = await incident_in_channel(ctx)
    zone, known = await user_zone(ctx.rt, ctx.user_id)
    line = parse_log_line(plain(unescape(args)), default_zone=zone, now=utcnow())
    async with ctx.rt.db.session() as session:
        await add_entry(
            session,
            incident.id or 0,
            kind=EntryKind.LOG,
            text=line.text,
            author_id=ctx.user_id,
            occurred_at=line.at,
        )
    count_stored({"log": 1})
    read_in = zone_label(line.zone)
    if line.zone is zone and not known:
        read_in += " (I could not read your Slack time zone)"
    await ctx.reply(
        f":spiral_note_pad: Logged for {when(line.at, line.zone)}, read in {read_in}: "
        f"{display_text(line.text)}"
    )


def parse_count(args: str) -> int:
    """`/incident timeline [n]`: how many entries to show."""
    word = args.strip()
    if not word:
        return DEFAULT_SHOWN
    if not (word.isascii() and word.isdigit()) or not 1 <= int(word) <= MAX_SHOWN:
        raise UserError(
            f"`{display_text(unescape(word), 40)}` is not a number of entries; "
            f"give one from 1 to {MAX_SHOWN}, e.g. `/incident timeline 50`."
        )
    return int(word)


@incident_command(
    "timeline",
    usage="[n]",
    summary=(
        f"Show you the last n timeline entries (default {DEFAULT_SHOWN}) in your time zone "
        "with UTC beside them; key events are marked"
    ),
)
async def timeline_command(ctx: CommandContext, args: str) -> None:
    n = parse_count(args)
    incident = await incident_in_channel(ctx)
    async with ctx.rt.db.session() as session:
        entries = await latest_entries(session, incident.id or 0, n)
        total = await count_entries(session, incident.id or 0)
    zone, _known = await user_zone(ctx.rt, ctx.user_id)
    await ctx.reply(
        render_timeline(
            entries,
            zone if _known else UTC,
            title=f"Timeline of incident #{incident.id}",
            total=total,
            key_emoji=ctx.rt.settings.key_event_emoji,
        )
    )
