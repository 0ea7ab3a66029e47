"""Done means verified: marking items done, verified, reopened or waived, and how an item's
state, ticket and criteria read in Slack. Used by the commands, buttons and webhooks."""

from __future__ import annotations

import logging
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.followthrough.queries import DONE, OPEN, VERIFIED, set_item_state
from bot.postmortem.item_text import ticket_label
from bot.slack.mrkdwn import escape_keeping_mentions
from bot.slack.text import escape
from bot.timeline.queries import add_bot_action
from storage.models.followthrough import ActionTicket
from storage.models.incidents import Incident
from storage.models.postmortem import ActionItem
from storage.models.timeline import EntryKind
from storage.types import utcnow

log = logging.getLogger(__name__)
MAX_VERIFICATION = 2000


def ticket_link(
    url: str | None, external_id: str | None = None, provider: str | None = None
) -> str:
    if not url:
        return ""
    return f"<{url}|{escape(ticket_label(url, external_id, provider))}>"


def state_text(item: ActionItem, today: date) -> str:
    if item.status == VERIFIED:
        how = f": {escape(item.verification)}" if item.verification else ""
        return f":white_check_mark: verified{how}"
    if item.status == DONE:
        return ":ballot_box_with_check: done, unverified"
    if item.waived_at is not None:
        return f":unlock: open, waived for deploys ({escape(item.waived_reason or '')})"
    if item.due_date < today:
        return ":warning: open, overdue"
    return "open"


def action_entries(
    items: list[ActionItem], tickets: dict[int, ActionTicket], *, today: date
) -> list[str]:
    """One entry per item (its lines joined), so a page never splits an item from its notes."""
    return [_entry(a, tickets.get(a.id or 0), today) for a in items]


def _entry(a: ActionItem, ticket: ActionTicket | None, today: date) -> str:
    """An item's head line and its notes, joined."""
    lines = []
    link = ticket_link(a.ticket_url, ticket.external_id if ticket else None)
    head = (
        f"{a.number}. *{a.priority}* {escape_keeping_mentions(a.text)} (<@{a.owner_id}>, due "
        f"{a.due_date.isoformat()}, {state_text(a, today)})" + (f" · {link}" if link else "")
    )
    lines.append(head)
    if a.criteria:
        lines.append(f"      Done when: {escape_keeping_mentions(a.criteria)}")
    elif a.priority in ("P0", "P1"):
        lines.append("      :warning: no acceptance criteria (add `Done when: …`)")
    if ticket is not None and ticket.state == "refused":
        lines.append(f"      :x: ticket not filed: {escape(ticket.error or 'refused')}")
    elif ticket is not None and ticket.state == "pending":
        trouble = f" ({escape(ticket.error)}; retrying)" if ticket.error else ""
        lines.append(f"      :hourglass: ticket being filed{trouble}")
    return "\n".join(lines)


def clean_how(text: str) -> str | None:
    how = " ".join(text.split())
    if len(how) > MAX_VERIFICATION:
        raise UserError(f"Keep the verification under {MAX_VERIFICATION} characters.")
    return how or None


async def mark_done(
    session: AsyncSession, item: ActionItem, by: str, how: str | None, *, source: str = ""
) -> str:
    """Done (unverified) or verified; writes a timeline entry. Returns the new status."""
    if item.status == VERIFIED:
        when = item.verified_at.strftime("%Y-%m-%d %H:%M UTC") if item.verified_at else "earlier"
        raise UserError(f"Action item #{item.number} is already verified (since {when}).")
    if item.status == DONE and how is None:
        when = item.done_at.strftime("%Y-%m-%d %H:%M UTC") if item.done_at else "earlier"
        raise UserError(
            f"Action item #{item.number} is already done (since {when}), not yet verified. "
            f"Say how it was verified: `/postmortem verify {item.number} <how>`."
        )
    status = VERIFIED if how else DONE
    await set_item_state(session, item, status, by=by, verification=how)
    said = (
        f"Action item #{item.number} verified by <@{by}>: {how}"
        if how
        else f"Action item #{item.number} marked done (unverified) by <@{by}>"
    )
    await add_bot_action(
        session, item.incident_id, said + source, actor_id=by, kind=EntryKind.ACTION_ITEM
    )
    return status


async def reopen(session: AsyncSession, item: ActionItem, why: str) -> bool:
    if item.status == OPEN:
        return False
    await set_item_state(session, item, OPEN)
    await add_bot_action(
        session,
        item.incident_id,
        f"Action item #{item.number} reopened: {why}",
        kind=EntryKind.ACTION_ITEM,
    )
    return True


async def ask_owner_to_verify(rt: Runtime, item: ActionItem, incident: Incident) -> None:
    """Privately ask the owner how a fix marked done without a verification was verified."""
    where = f" in <#{incident.channel_id}>" if incident.channel_id else ""
    text = (
        f"Action item #{item.number} of incident #{incident.id} "
        f"({escape_keeping_mentions(item.text)}) is marked done, but not verified. A fix you "
        f"cannot verify is not finished: how was it verified? Run `/postmortem verify "
        f"{item.number} <how>`{where}."
    )
    try:
        await rt.client.chat_postMessage(channel=item.owner_id, text=text)
    except Exception as exc:
        log.warning("could not ask the owner of action item %s to verify: %s", item.id, exc)


def done_answer(item: ActionItem, status: str) -> str:
    text = escape_keeping_mentions(item.text)
    if status == VERIFIED:
        return f":white_check_mark: Action item #{item.number} is verified: {text}"
    return (
        f":ballot_box_with_check: Action item #{item.number} is done, unverified: {text}\n"
        f"A fix you cannot verify is not finished. I asked <@{item.owner_id}> how it was "
        f"verified; anyone can add it with `/postmortem verify {item.number} <how>`."
    )


def now_date() -> date:
    return utcnow().date()
