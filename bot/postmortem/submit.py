"""Storing what the "Add to postmortem" modal submitted, and saying how it went."""

from __future__ import annotations

from typing import Any

from bot.core.runtime import Runtime
from bot.incidents.queries import get_incident
from bot.postmortem.blameless import blame_tip
from bot.postmortem.items import record_action, record_item
from bot.postmortem.modal import ModalEntry
from bot.postmortem.rules import ActionProblem
from bot.slack.mrkdwn import escape_keeping_mentions

LABELS = {
    "summary": "Summary",
    "impact": "Impact",
    "why": "Why",
    "well": "What went well",
    "poorly": "What went poorly",
    "lesson": "Lesson learned",
}


async def store_modal_entry(
    rt: Runtime, entry: ModalEntry, meta: dict[str, Any], user_id: str
) -> str:
    """Store the entry for the incident in the modal's metadata; the answer for the person.

    Failures propagate to the caller's `answer_user`."""
    async with rt.db.session() as session:
        incident = await get_incident(session, int(meta.get("incident_id") or 0))
    if incident is None:
        return ":x: That incident no longer exists; nothing was recorded."
    if entry.action is not None:
        try:
            item = await record_action(rt, incident, entry.action, created_by=user_id)
        except ActionProblem as problem:
            return problem.explained()
        head = (
            f":white_check_mark: Action item #{item.number} of incident #{incident.id} "
            f"({item.priority}, <@{item.owner_id}>, due {item.due_date.isoformat()}): "
            f"{escape_keeping_mentions(item.text)}"
        )
    else:
        _, number = await record_item(
            rt, incident, entry.kind, entry.text, author_id=user_id, category=entry.category
        )
        label = (
            f"Contributing factor F{number} ({entry.category})"
            if entry.kind == "factor"
            else f"Why #{number}"
            if entry.kind == "why"
            else LABELS[entry.kind]
        )
        head = (
            f":white_check_mark: {label} added to the postmortem of incident "
            f"#{incident.id}: “{escape_keeping_mentions(entry.text)}”"
        )
    tip = blame_tip(entry.text)
    return head + (f"\n{tip}" if tip else "")
