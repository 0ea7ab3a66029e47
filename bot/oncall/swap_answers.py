"""Accept and Decline on a swap request's DM (bot/oncall/swap.py). Accepting writes, in one
transaction with the request's move from pending (a conditional update, so a second press
writes nothing), an override of kind `swap` for each of the requester's shifts left that day;
both people are told. Declining tells the requester. An expired, answered or unknown request
is answered plainly."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.buttons import clicked
from bot.oncall.change_queries import add_override, answer_swap
from bot.oncall.schedules import oncall_config
from bot.oncall.swap import ACCEPT_ACTION, DECLINE_ACTION, shift_lines, shifts_of
from bot.slack.answers import answer_user, tell_user
from bot.slack.blocks import fit, section
from bot.slack.client import slack_error_text
from bot.slack.permissions import authorize
from bot.slack.text import escape
from bot.timeline.user_zone import user_zone
from storage.models.oncall import OncallSwapRequest
from storage.types import utcnow

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    @app.action(ACCEPT_ACTION)
    async def on_accept(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        rt: Runtime = context["runtime"]
        user, channel, value = clicked(body)
        async with rt.in_flight():
            await answer_user(
                rt, user, channel, "Accepting the swap", lambda: accept(rt, user, value)
            )

    @app.action(DECLINE_ACTION)
    async def on_decline(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        rt: Runtime = context["runtime"]
        user, channel, value = clicked(body)
        async with rt.in_flight():
            await answer_user(
                rt, user, channel, "Declining the swap", lambda: decline(rt, user, value)
            )


async def _request(rt: Runtime, user: str, value: str) -> OncallSwapRequest:
    async with rt.db.session() as session:
        row = await session.get(OncallSwapRequest, int(value)) if value.isdigit() else None
    if row is None:
        raise UserError("I can't find that swap request: nothing changed.")
    if row.target_id != user:
        raise UserError(f"That swap request is for <@{row.target_id}>, not you: nothing changed.")
    return row


def _not_pending(row: OncallSwapRequest) -> UserError:
    what = f"Swap request #{row.id} ({escape(row.schedule)}, {row.day_label})"
    if row.state == "accepted":
        return UserError(f"{what} is accepted already: you are on call for those shifts.")
    if row.state == "declined":
        return UserError(f"{what} is declined already: nothing changed.")
    if row.state == "cancelled":
        return UserError(
            f"{what} was withdrawn by <@{row.requester_id}> before you answered: nothing "
            "changed, and there is nothing to answer."
        )
    if row.day_end <= utcnow():
        return UserError(f"{what} has expired: the day is over. Nothing changed.")
    return UserError(f"{what} cannot be answered any more: nothing changed.")


async def accept(rt: Runtime, user: str, value: str) -> str:
    await authorize(rt, f"action:{ACCEPT_ACTION}", user)
    row = await _request(rt, user, value)
    assert row.id is not None
    schedule = oncall_config(rt).schedule(row.schedule)
    if schedule is None:
        raise UserError(
            f"The schedule `{escape(row.schedule)}` is no longer in the configuration file: "
            "nothing changed."
        )
    now = utcnow()
    if row.state != "pending" or row.day_end <= now:
        raise _not_pending(row)
    async with rt.db.session() as session:
        # The move from pending first: a second press finds it moved and writes nothing.
        lost = not await answer_swap(session, row.id, user, "accepted", now)
        mine = (
            []
            if lost
            else await shifts_of(
                session, rt, schedule, row.requester_id, max(row.day_start, now), row.day_end
            )
        )
        if not lost and not mine:  # raising rolls the move back: it stays pending
            raise UserError(
                f"<@{row.requester_id}> has no shifts of *{escape(row.schedule)}* left on "
                f"{row.day_label} any more (the schedule changed): nothing changed."
            )
        for shift in mine:
            await add_override(
                session,
                schedule=schedule.name,
                user_id=user,
                start=shift.start,
                end=shift.end,
                kind="swap",
                created_by=row.requester_id,
                reason=f"swap request #{row.id}, accepted by {user}",
            )
    if lost:  # answered in the meantime (a second press): read what it is now
        again = await _request(rt, user, value)
        raise _not_pending(again)
    zone, _ = await user_zone(rt, user)
    theirs, _ = await user_zone(rt, row.requester_id)
    name = escape(schedule.name)
    await tell_user(
        rt,
        row.requester_id,
        None,
        f":handshake: <@{user}> accepted your swap request #{row.id}: they are on call for "
        f"*{name}* instead of you on {row.day_label}:\n{shift_lines(mine, theirs)}",
    )
    done = (
        f":handshake: You accepted: you are on call for *{name}* instead of "
        f"<@{row.requester_id}> on {row.day_label}:\n{shift_lines(mine, zone)}"
    )
    await _replace_buttons(rt, row, done)
    return done


async def decline(rt: Runtime, user: str, value: str) -> str:
    await authorize(rt, f"action:{DECLINE_ACTION}", user)
    row = await _request(rt, user, value)
    assert row.id is not None
    async with rt.db.session() as session:
        declined = await answer_swap(session, row.id, user, "declined", utcnow())
    if not declined:
        raise _not_pending(await _request(rt, user, value))
    await tell_user(
        rt,
        row.requester_id,
        None,
        f"<@{user}> declined your swap request #{row.id} ({escape(row.schedule)}, "
        f"{row.day_label}): your shifts stay yours.",
    )
    done = f"You declined swap request #{row.id}: <@{row.requester_id}> has been told."
    await _replace_buttons(rt, row, done)
    return done


async def _replace_buttons(rt: Runtime, row: OncallSwapRequest, text: str) -> None:
    """The DM shows the answer instead of the buttons (best effort: the answer stands)."""
    if not (row.dm_channel and row.dm_ts):
        return
    try:
        await rt.client.chat_update(
            channel=row.dm_channel, ts=row.dm_ts, text=text, blocks=[section(fit(text))]
        )
    except Exception as exc:
        log.info("could not update swap request %s's DM: %s", row.id, slack_error_text(exc))
