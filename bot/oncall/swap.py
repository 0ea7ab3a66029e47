"""`/oncall swap <schedule> @someone <date>`: ask someone, in a DM with Accept and Decline, to
take your shifts of that day (the day in your Slack zone). The request is stored first; nothing
changes until they accept (bot/oncall/swap_answers.py)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.oncall.changes import person_named, schedule_named
from bot.oncall.config import ScheduleDef
from bot.oncall.may import check_may_change, check_on_call_person
from bot.oncall.people import slack_ids
from bot.oncall.queries import overrides_between
from bot.oncall.rules import Shift, timeline
from bot.oncall.schedules import oncall_config
from bot.oncall.swap_cancel import CANCEL_USAGE, cancel
from bot.oncall.view import when
from bot.oncall.when import read_day
from bot.slack.blocks import context, fit, section
from bot.slack.client import slack_error_text
from bot.slack.context import CommandContext
from bot.slack.grammar import oncall_command
from bot.slack.text import escape, unescape
from bot.timeline.user_zone import user_zone
from storage.models.oncall import OncallSwapRequest
from storage.types import utcnow

log = logging.getLogger(__name__)
ACCEPT_ACTION = "oncall_swap_accept"
DECLINE_ACTION = "oncall_swap_decline"
LISTED = 24  # shifts listed in a request (an hourly rotation has 24 a day)
SWAP_USAGE = (
    "`/oncall swap <schedule> @someone <date>`, e.g. `/oncall swap payments @ana sat`; "
    "`/oncall swap cancel <number>` withdraws one"
)


async def shifts_of(
    session: AsyncSession,
    rt: Runtime,
    schedule: ScheduleDef,
    person: str,
    start: datetime,
    end: datetime,
) -> list[Shift]:
    """`person`'s shifts of `schedule` within [start, end), cut to it (overrides applied;
    members written as emails compared by their Slack ID)."""
    if end <= start:
        return []
    found = await overrides_between(session, start, end, [schedule.name])
    ahead = timeline(schedule.rules(), next(iter(found.values()), []), start, end)
    ids = await slack_ids(rt, {s.person for s in ahead if s.person})
    return [s for s in ahead if s.person and ids.get(s.person) == person]


def shift_lines(shifts: Sequence[Shift], zone: tzinfo) -> str:
    lines = [f"• {when(s.start, zone)} – {when(s.end, zone)}" for s in shifts[:LISTED]]
    if len(shifts) > LISTED:
        lines.append(f"…and {len(shifts) - LISTED} more")
    return "\n".join(lines)


@oncall_command(
    "swap",
    usage="<schedule> @someone <date> | cancel <number>",
    summary="Ask someone to take your shifts of a day (`today`, `sat`, `2026-12-24`): "
    "they get Accept and Decline; `cancel <number>` withdraws your request before they answer",
)
async def swap(ctx: CommandContext, args: str) -> None:
    words = unescape(args).split()
    if words and words[0].lower() == "cancel" and oncall_config(ctx.rt).schedule("cancel") is None:
        if len(words) != 2:
            raise UserError(f"Which request? {CANCEL_USAGE}.")
        await ctx.reply(await cancel(ctx.rt, ctx.user_id, words[1]))
        return
    if len(words) != 3:
        raise UserError(f"Which schedule, who, and which day? {SWAP_USAGE}.")
    schedule = schedule_named(ctx, words[0])
    target = person_named(words[1], SWAP_USAGE)
    if target == ctx.user_id:
        raise UserError("A swap is with someone else: mention who should take your shifts.")
    zone, _ = await user_zone(ctx.rt, ctx.user_id)
    now = utcnow()
    day_start, day_end, day = read_day(words[2], zone, now)
    await check_may_change(ctx.rt, ctx.user_id, schedule)
    label = f"{day:%a %Y-%m-%d}"
    async with ctx.rt.db.session() as session:
        mine = await shifts_of(session, ctx.rt, schedule, ctx.user_id, max(day_start, now), day_end)
    if not mine:
        raise UserError(
            f"You have no shifts of *{escape(schedule.name)}* left on {label} (your time zone), "
            "so there is nothing to swap."
        )
    await check_on_call_person(ctx.rt, target)
    async with ctx.rt.db.session() as session:
        request = OncallSwapRequest(
            schedule=schedule.name,
            requester_id=ctx.user_id,
            target_id=target,
            day_start=day_start,
            day_end=day_end,
            day_label=label,
        )
        session.add(request)
        await session.flush()
        assert request.id is not None
        request_id = request.id
    problem = await _ask(ctx.rt, request_id, ctx.user_id, target, schedule.name, label, mine)
    if problem:
        async with ctx.rt.db.session() as session:
            row = await session.get(OncallSwapRequest, request_id)
            if row is not None:
                row.state, row.answered_at = "undelivered", utcnow()
        raise UserError(
            f"I could not send <@{target}> the request ({problem}), so nothing changed. "
            "Please try again."
        )
    await ctx.reply(
        f":incoming_envelope: Swap request #{request_id}: I asked <@{target}> to take your "
        f"shifts of *{escape(schedule.name)}* on {label}:\n{shift_lines(mine, zone)}\n"
        "Nothing changes until they accept; you will be told either way. "
        f"`/oncall swap cancel {request_id}` withdraws it until then."
    )


async def _ask(
    rt: Runtime,
    request_id: int,
    requester: str,
    target: str,
    schedule: str,
    label: str,
    shifts: Sequence[Shift],
) -> str | None:
    """The DM with the buttons; its channel and ts stored (the answer replaces the buttons).
    Returns what went wrong, or None."""
    zone, _ = await user_zone(rt, target)
    text = (
        f"<@{requester}> asks you to take their on-call shifts of *{escape(schedule)}* on "
        f"{label}:\n{shift_lines(shifts, zone)}"
    )
    try:
        opened = await rt.client.conversations_open(users=target)
        channel = str((opened.get("channel") or {}).get("id") or target)
        posted = await rt.client.chat_postMessage(
            channel=channel, text=text, blocks=request_blocks(request_id, text)
        )
    except Exception as exc:
        log.info("could not send swap request %d: %s", request_id, slack_error_text(exc))
        return slack_error_text(exc)
    async with rt.db.session() as session:
        row = await session.get(OncallSwapRequest, request_id)
        if row is not None:
            row.dm_channel, row.dm_ts = str(posted.get("channel") or channel), posted.get("ts")
    return None


def request_blocks(request_id: int, text: str) -> list[dict[str, Any]]:
    def button(label: str, action_id: str, style: str | None) -> dict[str, Any]:
        element: dict[str, Any] = {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": label},
            "value": str(request_id),
        }
        if style:
            element["style"] = style
        return element

    return [
        section(fit(text)),
        {
            "type": "actions",
            "block_id": f"oncall_swap_{request_id}",
            "elements": [
                button("Accept", ACCEPT_ACTION, "primary"),
                button("Decline", DECLINE_ACTION, None),
            ],
        },
        context("Nothing changes until you accept. Times in your Slack time zone."),
    ]
