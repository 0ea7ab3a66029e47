"""What the card shows besides the incident row: checklist progress, runbooks, verification."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.checklists.queries import latest_verification
from storage.models.checklists import ChecklistItem, IncidentRunbook


@dataclass(frozen=True)
class CardFacts:
    checklist_done: int = 0
    checklist_total: int = 0
    runbooks: tuple[tuple[str, str | None], ...] = ()
    verification: str | None = None  # the latest `/incident verify` entry's text


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
