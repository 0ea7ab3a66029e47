"""`/postmortem draft` and `/postmortem export json`: load the record, render, upload."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.postmortem.export import record_to_json
from bot.postmortem.record import IncidentRecord, load_incident_record
from bot.postmortem.render import document_title, render_postmortem
from bot.slack.client import slack_error_text
from bot.slack.files import Picture, Published, publish_markdown, upload_file, user_names
from storage.models.incidents import Incident
from storage.types import utcnow

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)")
log = logging.getLogger(__name__)


@dataclass
class DraftExtras:
    """What later domains add to the draft (bot.learning: "Seen before", the timeline picture).
    Pictures go beside the Markdown file, which shows them by file name (the canvas by link)."""

    seen_before: list[str] | None = None
    pictures: list[Picture] = field(default_factory=list)
    # Markdown lines for section 8, Response metrics (bot.metrics: the error budget spent).
    metrics_lines: list[str] = field(default_factory=list)
    # Markdown lines after the timeline (bot.status: what was said publicly, and when).
    after_timeline: list[str] = field(default_factory=list)


DraftHook = Callable[[Runtime, IncidentRecord], Awaitable[DraftExtras]]
DRAFT_HOOKS: list[DraftHook] = []
# What later domains add to `/postmortem export json`: top-level keys of the document
# (bot.metrics: `error_budget`); one that fails is logged and left out.
ExportHook = Callable[[Runtime, IncidentRecord], Awaitable[dict[str, Any]]]
EXPORT_HOOKS: list[ExportHook] = []


async def draft_extras(rt: Runtime, record: IncidentRecord) -> DraftExtras:
    """Every hook's additions; one that fails is logged and left out, the draft still comes."""
    merged = DraftExtras()
    for hook in DRAFT_HOOKS:
        try:
            extras = await hook(rt, record)
        except Exception:
            log.exception("draft hook %s failed", getattr(hook, "__name__", hook))
            continue
        if extras.seen_before is not None:
            merged.seen_before = [*(merged.seen_before or []), *extras.seen_before]
        merged.pictures += extras.pictures
        merged.metrics_lines += extras.metrics_lines
        merged.after_timeline += extras.after_timeline
    return merged


async def export_extras(rt: Runtime, record: IncidentRecord) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for hook in EXPORT_HOOKS:
        try:
            merged |= await hook(rt, record)
        except Exception:
            log.exception("export hook %s failed", getattr(hook, "__name__", hook))
    return merged


@dataclass
class DraftOutcome:
    published: Published
    seconds: float
    entries: int


def people_in(record: IncidentRecord) -> set[str]:
    """Everyone the document names: roles, authors, owners, and people mentioned in texts."""
    incident = record.incident
    ids = {incident.commander_id, incident.communicator_id, incident.declared_by}
    for e in record.entries:
        ids.add(e.author_id)
        ids.add(e.deleted_by)
        if "<@" in e.text:
            ids.update(_MENTION.findall(e.text))
    for item in record.items:
        if "<@" in item.text:
            ids.update(_MENTION.findall(item.text))
    for action in record.actions:
        ids.add(action.owner_id)
    return {i for i in ids if i}


async def load_record(rt: Runtime, incident: Incident, *, all_columns: bool) -> IncidentRecord:
    async with rt.db.session() as session:
        return await load_incident_record(session, incident, all_columns=all_columns)


async def draft_postmortem(rt: Runtime, incident: Incident) -> DraftOutcome:
    started = time.monotonic()
    record = await load_record(rt, incident, all_columns=False)
    names = await user_names(rt, people_in(record))
    cadence = incident.update_interval_seconds or rt.settings.update_interval_seconds
    extras = await draft_extras(rt, record)
    picture = "\n\n".join(f"![{p.title}]({p.filename})" for p in extras.pictures) or None
    markdown = render_postmortem(
        record,
        now=utcnow(),
        cadence_seconds=cadence,
        names=names,
        seen_before=extras.seen_before,
        picture=picture,
        metrics_lines=extras.metrics_lines,
        after_timeline=extras.after_timeline,
    )
    published = await publish_markdown(
        rt,
        incident.channel_id or "",
        filename=f"postmortem-incident-{incident.id}.md",
        title=document_title(record),
        markdown=markdown,
        comment=(
            f":memo: Postmortem draft for incident #{incident.id}, written from the record. "
            "Edit it together; it is blameless by design."
        ),
        pictures=extras.pictures,
    )
    return DraftOutcome(published, time.monotonic() - started, len(record.entries))


def draft_message(incident: Incident, outcome: DraftOutcome) -> str:
    p = outcome.published
    if p.file_link is None and p.canvas_link is None:
        raise UserError(
            f":x: I could not put the postmortem draft in this channel: the file upload failed "
            f"({p.file_problem}) and so did the canvas ({p.canvas_problem}). Make sure I am a "
            "member of the channel, then try again."
        )
    lines = [
        f":memo: Postmortem draft for incident #{incident.id} "
        f"({outcome.entries} timeline entries, {outcome.seconds:.1f} s):"
    ]
    if p.canvas_link:
        lines.append(f"• Canvas: {p.canvas_link}")
    else:
        lines.append(f"• No canvas ({p.canvas_problem}); the Markdown file below is the draft.")
    if p.file_link:
        lines.append(f"• Markdown file: {p.file_link}")
    else:
        lines.append(f"• The Markdown file upload failed ({p.file_problem}).")
    for name, link in p.picture_links.items():
        lines.append(f"• Picture `{name}`: {link}")
    for name, problem in p.picture_problems.items():
        lines.append(f"• The picture `{name}` could not be uploaded ({problem}).")
    return "\n".join(lines)


async def export_record(rt: Runtime, incident: Incident) -> str:
    """Upload the whole record as JSON to the channel; returns the link."""
    record = await load_record(rt, incident, all_columns=True)
    document = record_to_json(record, exported_at=utcnow(), extra=await export_extras(rt, record))
    try:
        return await upload_file(
            rt,
            incident.channel_id or "",
            filename=f"incident-{incident.id}-record.json",
            title=f"Incident #{incident.id} record: {' '.join(incident.title.split())}",
            content=document,
            comment=f":floppy_disk: The whole record of incident #{incident.id} as JSON.",
        )
    except Exception as exc:
        raise UserError(
            f":x: I could not upload the export ({slack_error_text(exc)}). Make sure I am a "
            "member of this channel, then try again."
        ) from None
