"""What follow-through adds when an action item is stored: for a ticketed priority, a pending
ticket in the same transaction (bot/postmortem/capture.py calls it through NEW_ACTION_HOOKS)."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.runtime import Runtime
from bot.followthrough.outbox import enqueue_for, kick
from storage.models import ActionItem


async def queue_ticket(
    rt: Runtime, session: AsyncSession, item: ActionItem
) -> Callable[[], None] | None:
    """Called in the transaction that stores the item. If a ticket was queued, returns what to
    run once the transaction has committed: waking the outbox to file it now."""
    if await enqueue_for(rt, session, item):
        return lambda: kick(rt)
    return None
