"""`/oncall swap cancel <number>`: the person who asked withdraws a swap request before it is
answered. The move from pending to cancelled is one conditional update, as an answer's is
(bot/oncall/change_queries.py), so a withdrawal and an Accept pressed at the same moment
cannot both win. The asked person's DM then says it was withdrawn instead of showing the
buttons; an Accept or Decline pressed on an old copy is refused plainly
(bot/oncall/swap_answers.py)."""

from __future__ import annotations

import logging

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.oncall.change_queries import cancel_swap
from bot.slack.answers import tell_user
from bot.slack.blocks import fit, section
from bot.slack.client import slack_error_text
from bot.slack.text import escape, excerpt
from storage.models.oncall import OncallSwapRequest
from storage.types import utcnow

log = logging.getLogger(__name__)
CANCEL_USAGE = "`/oncall swap cancel <number>`: the number the request's answer gave you"


def what(row: OncallSwapRequest) -> str:
    return f"Swap request #{row.id} ({escape(row.schedule)}, {row.day_label})"


async def cancel(rt: Runtime, user: str, word: str) -> str:
    """Withdraw the request numbered `word`, made by `user`; the answer for them."""
    number = word.lstrip("#")
    if not number.isdigit() or len(number) > 12:
        raise UserError(f"`{excerpt(word, 20)}` is not a request's number. {CANCEL_USAGE}.")
    async with rt.db.session() as session:
        row = await session.get(OncallSwapRequest, int(number))
    if row is None or row.requester_id != user:
        # Someone else's request is not theirs to see either.
        raise UserError(f"You have no swap request #{number}: nothing changed.")
    now = utcnow()
    if row.state == "pending" and row.day_end > now:
        async with rt.db.session() as session:
            withdrawn = await cancel_swap(session, int(number), user, now)
        if withdrawn:
            await _tell_target(rt, row)
            return (
                f":leftwards_arrow_with_hook: You withdrew {what(row)}: <@{row.target_id}>'s "
                "request now says so, and your shifts stay yours."
            )
        async with rt.db.session() as session:  # answered a moment ago: read what it is now
            row = await session.get(OncallSwapRequest, int(number)) or row
    raise _not_withdrawable(row)


def _not_withdrawable(row: OncallSwapRequest) -> UserError:
    if row.state == "accepted":
        return UserError(
            f"{what(row)} was accepted already: <@{row.target_id}> is on call for those "
            f"shifts. `/oncall overrides {escape(row.schedule)}` lists them, and removing one "
            "gives that time back."
        )
    if row.state == "declined":
        return UserError(f"{what(row)} was declined already: nothing to withdraw.")
    if row.state == "cancelled":
        return UserError(f"{what(row)} was withdrawn already.")
    if row.state == "undelivered":
        return UserError(f"{what(row)} never reached <@{row.target_id}>: nothing to withdraw.")
    return UserError(f"{what(row)} has expired: the day is over. Nothing to withdraw.")


async def _tell_target(rt: Runtime, row: OncallSwapRequest) -> None:
    """The DM with the buttons says it was withdrawn; when it cannot be changed, a new DM."""
    text = (
        f":leftwards_arrow_with_hook: <@{row.requester_id}> withdrew {what(row)}: nothing "
        "changes, and there is nothing to answer."
    )
    if row.dm_channel and row.dm_ts:
        try:
            await rt.client.chat_update(
                channel=row.dm_channel, ts=row.dm_ts, text=text, blocks=[section(fit(text))]
            )
            return
        except Exception as exc:
            log.info("could not update swap request %s's DM: %s", row.id, slack_error_text(exc))
    await tell_user(rt, row.target_id, None, text)
