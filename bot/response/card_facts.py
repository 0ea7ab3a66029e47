"""What the card shows besides the incident row: checklist progress, runbooks, verification,
and what later domains add through CARD_HOOKS (bot.oncall: who is on call for its service)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.checklists.queries import latest_verification
from bot.core.runtime import Runtime
from storage.models.checklists import ChecklistItem, IncidentRunbook
from storage.models.incidents import Incident

log = logging.getLogger(__name__)

# Each renders its part of the card, each time the card is posted or refreshed (so it is
# current), as at most MAX_HOOK_BLOCKS section or context blocks within Block Kit's limits.
CardHook = Callable[[Runtime, Incident], Awaitable[list[dict[str, Any]]]]
CARD_HOOKS: list[CardHook] = []
MAX_HOOK_BLOCKS = 3  # the card's own blocks leave room for these


@dataclass(frozen=True)
class CardFacts:
    checklist_done: int = 0
    checklist_total: int = 0
    runbooks: tuple[tuple[str, str | None], ...] = ()
    verification: str | None = None  # the latest `/incident verify` entry's text
    extra: tuple[dict[str, Any], ...] = ()  # the later domains' blocks (CARD_HOOKS)


async def card_facts(session: AsyncSession, incident_id: int) -> CardFacts:
    total = (
        await session.exec(select(func.count()).where(ChecklistItem.incident_id == incident_id))
    ).one()
    done = (
        await session.exec(
            select(func.count()).where(
                ChecklistItem.incident_id == incident_id, col(ChecklistItem.done_at).is_not(None)
            )
        )
    ).one()
    runbooks = (
        await session.exec(
            select(IncidentRunbook)
            .where(IncidentRunbook.incident_id == incident_id)
            .order_by(col(IncidentRunbook.id))
        )
    ).all()
    verified = await latest_verification(session, incident_id)
    return CardFacts(
        done, total, tuple((r.url, r.title) for r in runbooks), verified.text if verified else None
    )


async def hooked_blocks(rt: Runtime, incident: Incident) -> tuple[dict[str, Any], ...]:
    """The later domains' blocks for the card; a failing hook is logged and left out (the card
    matters more)."""
    blocks: list[dict[str, Any]] = []
    for hook in CARD_HOOKS:
        try:
            blocks += await hook(rt, incident)
        except Exception:
            log.exception("card hook %s failed", getattr(hook, "__name__", hook))
    return tuple(blocks[:MAX_HOOK_BLOCKS])
