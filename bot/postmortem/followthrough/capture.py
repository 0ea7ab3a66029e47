"""What follow-through adds when an action item is stored: its acceptance criteria, its
prevention class, and (for ticketed priorities) a pending ticket in the same transaction."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.runtime import Runtime
from bot.postmortem.followthrough.content import MAX_CRITERIA, prevention_class_of, split_criteria
from bot.postmortem.followthrough.outbox import enqueue_for, kick
from storage.models.postmortem import ActionItem


def split_item_text(text: str) -> tuple[str, str | None]:
    """(the item's text, its acceptance criteria) from `<text> Done when: <criteria>`."""
    body, criteria = split_criteria(text)
    if criteria and len(criteria) > MAX_CRITERIA:
        criteria = criteria[:MAX_CRITERIA]
    return body, criteria


async def annotate_new_item(
    rt: Runtime,
    session: AsyncSession,
    item: ActionItem,
    *,
    criteria: str | None,
    prevention_class: str | None = None,
) -> bool:
    """Called in the transaction that stores the item. True if a ticket was queued (then
    call `kick(rt)` once the transaction has committed)."""
    item.criteria = criteria
    item.prevention_class = prevention_class or prevention_class_of(item.text)
    session.add(item)
    await session.flush()
    return await enqueue_for(rt, session, item)


__all__ = ["annotate_new_item", "kick", "split_item_text"]
