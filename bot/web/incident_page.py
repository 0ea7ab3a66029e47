"""What an incident's page and its postmortem page show, read from the record: the card's
facts, roles and their changes, status updates, the timeline (paged, key events as a filter,
edits and deletions shown as the draft shows them), action items with their tickets and
verification, checklists, alerts and pages, similar incidents (bot/web/incident_extras), and the
postmortem draft rendered from its Markdown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import col

from bot.core.runtime import Runtime
from bot.postmortem.queries import action_items
from bot.postmortem.record import load_incident_record
from bot.postmortem.render import render_postmortem
from bot.postmortem.render.draft import people_in
from bot.timeline.queries import revisions_of_entries
from bot.web.incident_extras import load_response, response_context, similar_incidents
from bot.web.names import display_names
from bot.web.render import markdown_html, when
from bot.web.visibility import Visibility
from storage.models.incidents import OPEN_STATUSES, Incident
from storage.models.timeline import EntryKind, TimelineEntry, TimelineRevision
from storage.types import utcnow

TIMELINE_PAGE = 100
MAX_TIMELINE_PAGE = 10_000
ROLE_KINDS = (EntryKind.ROLE_CHANGE, EntryKind.HANDOFF)
ENTRY_COLUMNS = (
    col(TimelineEntry.id), col(TimelineEntry.kind), col(TimelineEntry.author_id),
    col(TimelineEntry.author_name), col(TimelineEntry.text), col(TimelineEntry.occurred_at),
    col(TimelineEntry.edited_at), col(TimelineEntry.deleted_at), col(TimelineEntry.key_event),
    col(TimelineEntry.deleted_by), col(TimelineEntry.deleted_while_away),
    col(TimelineEntry.external),
)  # fmt: skip


@dataclass(frozen=True)
class TimelineView:
    key_only: bool = False
    page: int = 1


def war_room_link(rt: Runtime, incident: Incident) -> str | None:
    if not incident.channel_id:
        return None
    if rt.team_url:
        return f"{rt.team_url.rstrip('/')}/archives/{incident.channel_id}"
    return f"https://slack.com/app_redirect?channel={incident.channel_id}"


def _entry(
    row: Any,
    tz: ZoneInfo,
    names: dict[str, str] | None = None,
    revisions: list[TimelineRevision] | None = None,
) -> dict[str, Any]:
    """An entry as the postmortem draft shows it: a deleted one as a tombstone (when, by whom,
    or noticed while the bot was away), an edited one with its earlier texts."""
    names = names or {}
    author = names.get(row.author_id or "") or row.author_name or row.author_id or ""
    return {
        "id": row.id,
        "kind": str(row.kind).replace("_", " "),
        "author": author + (" (external, Slack Connect)" if row.external else ""),
        "text": row.text,
        "at": when(row.occurred_at, tz),
        "edited": row.edited_at is not None,
        "edited_at": when(row.edited_at, tz),
        "deleted": row.deleted_at is not None,
        "deleted_at": when(row.deleted_at, tz),
        "deleted_by": names.get(row.deleted_by or "", row.deleted_by or ""),
        "deleted_away": bool(row.deleted_while_away),
        "revisions": [
            {"text": rev.text, "replaced": when(rev.replaced_at, tz)} for rev in revisions or ()
        ],
        "key": bool(row.key_event) and row.deleted_at is None,
    }


async def incident_context(
    rt: Runtime, incident: Incident, view: TimelineView, tz: ZoneInfo, visibility: Visibility
) -> dict[str, Any]:
    incident_id = incident.id or 0
    of_incident = col(TimelineEntry.incident_id) == incident_id
    shown = [of_incident]
    if view.key_only:
        shown.append(col(TimelineEntry.key_event).is_(True))
    order = (col(TimelineEntry.occurred_at), col(TimelineEntry.id))
    async with rt.db.session() as session:
        conn = await session.connection()
        total = (
            await conn.execute(select(func.count()).select_from(TimelineEntry).where(*shown))
        ).scalar()
        page = (
            await conn.execute(
                select(*ENTRY_COLUMNS)
                .where(*shown)
                .order_by(*order)
                .limit(TIMELINE_PAGE)
                .offset((view.page - 1) * TIMELINE_PAGE)
            )
        ).all()
        special = (
            await conn.execute(
                select(*ENTRY_COLUMNS)
                .where(
                    of_incident,
                    col(TimelineEntry.kind).in_([EntryKind.STATUS_UPDATE, *ROLE_KINDS]),
                    col(TimelineEntry.deleted_at).is_(None),
                )
                .order_by(*order)
                .limit(200)
            )
        ).all()
        actions = await action_items(session, incident_id)
        revisions = await revisions_of_entries(session, [r.id for r in page])
    response = await load_response(rt, incident_id)
    ids = {incident.commander_id, incident.communicator_id, *(a.owner_id for a in actions)}
    ids |= {r.author_id for r in [*page, *special]} | {r.deleted_by for r in page}
    ids |= response.people()
    names = await display_names(rt, ids)
    pages = max(1, -(-int(total or 0) // TIMELINE_PAGE))
    return {
        "incident": incident,
        "open": incident.status in OPEN_STATUSES,
        "tags": (incident.tags or "").split(),
        "declared": when(incident.declared_at, tz),
        "mitigated": when(incident.mitigated_at, tz),
        "resolved": when(incident.resolved_at, tz),
        "commander": names.get(incident.commander_id, incident.commander_id),
        "communicator": names.get(incident.communicator_id or "", incident.communicator_id),
        "war_room": war_room_link(rt, incident),
        "updates": [_entry(r, tz, names) for r in special if r.kind == EntryKind.STATUS_UPDATE],
        "role_changes": [_entry(r, tz, names) for r in special if r.kind in ROLE_KINDS],
        "timeline": [_entry(r, tz, names, revisions.get(r.id)) for r in page],
        "timeline_total": int(total or 0),
        "timeline_pages": pages,
        "view": view,
        "actions": [
            {
                "item": a,
                "owner": names.get(a.owner_id, a.owner_id),
                "verified": when(a.verified_at, tz),
            }
            for a in actions
        ],
        **response_context(response, names, tz),
        "similar": await similar_incidents(rt, incident, visibility),
    }


async def postmortem_html(rt: Runtime, incident: Incident) -> Any:
    """The postmortem draft, as `/postmortem draft` writes it, rendered as sanitized HTML."""
    async with rt.db.session() as session:
        record = await load_incident_record(session, incident, all_columns=False)
    names = await display_names(rt, people_in(record))
    cadence = incident.update_interval_seconds or rt.settings.update_interval_seconds
    markdown = render_postmortem(record, now=utcnow(), cadence_seconds=cadence, names=names)
    return markdown_html(markdown)
