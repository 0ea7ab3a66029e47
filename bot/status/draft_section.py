"""The postmortem draft's "Said publicly" (the postmortem's DRAFT_HOOKS): every publication to
the status page for this incident, oldest first, when and in which words, with the states it
gave; nothing when the incident was never published."""

from __future__ import annotations

import json

from sqlmodel import col, select

from bot.core.runtime import Runtime
from bot.postmortem.markdown import block, inline
from bot.postmortem.record import IncidentRecord
from bot.postmortem.render.common import when
from bot.postmortem.render.draft import DraftExtras
from bot.status.config import status_page
from bot.status.documents import STATE_WORDS, STATUS_WORDS
from bot.status.queries import public_incident_of
from storage.models.status_page import PublicUpdate

INDENT = "  "


async def said_publicly(rt: Runtime, record: IncidentRecord) -> DraftExtras:
    if status_page(rt) is None:  # no page, nothing published: not even a lookup
        return DraftExtras()
    async with rt.db.session() as session:
        public = await public_incident_of(session, record.incident.id or 0)
        if public is None:
            return DraftExtras()
        updates = (
            await session.exec(
                select(PublicUpdate)
                .where(PublicUpdate.public_incident_id == public.id)
                .order_by(col(PublicUpdate.id))
            )
        ).all()
    base = (rt.settings.web_base_url or "").rstrip("/")
    lines = [
        "",
        "### Said publicly",
        "",
        f"On the status page as “{inline(public.name)}” "
        f"({base}/status/incidents/{public.public_id}), {len(updates)} "
        f"publication{'s' if len(updates) != 1 else ''}, oldest first:",
        "",
    ]
    for u in updates:
        states = ", ".join(
            f"{inline(a['name'])}: {STATE_WORDS.get(a['new_status'], a['new_status']).lower()}"
            for a in json.loads(u.affected)
        )
        head = f"- **{when(u.created_at)}** · {STATUS_WORDS.get(u.status, u.status)}"
        if states:
            head += f" ({states})"
        lines.append(f"{head}: {block(u.body, INDENT)}")
    return DraftExtras(after_timeline=lines)
