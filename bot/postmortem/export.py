"""The whole incident record as JSON (no lock-in), and back.

Every stored column of every row is exported: the incident, its timeline, the earlier texts
of edited entries, update prompts, postmortem items and action items. Times are ISO 8601
with their UTC offset; dates are YYYY-MM-DD. `record_from_json` reads a document back into
the same table models, so an export can be checked or re-imported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.postmortem.record import IncidentRecord
from storage.models.cadence import UpdatePrompt
from storage.models.incidents import Incident
from storage.models.postmortem import ActionItem, PostmortemItem
from storage.models.timeline import TimelineEntry, TimelineRevision

FORMAT = "sisyphus.incident-record"
VERSION = 1


@dataclass
class ParsedRecord:
    incident: Incident
    timeline: list[TimelineEntry] = field(default_factory=list)
    revisions: list[TimelineRevision] = field(default_factory=list)
    update_prompts: list[UpdatePrompt] = field(default_factory=list)
    postmortem_items: list[PostmortemItem] = field(default_factory=list)
    action_items: list[ActionItem] = field(default_factory=list)


def _encode(value: Any) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot export {type(value).__name__}")


def record_to_json(
    record: IncidentRecord, *, exported_at: datetime, extra: dict[str, Any] | None = None
) -> str:
    """The whole record; `extra`: later domains' top-level keys (ignored by the import)."""
    document = {
        **(extra or {}),
        "format": FORMAT,
        "version": VERSION,
        "exported_at": exported_at,
        "incident": record.incident.model_dump(),
        "timeline": [row._asdict() for row in record.entries],
        "revisions": [row._asdict() for row in record.revisions],
        "update_prompts": [p.model_dump() for p in record.prompts],
        "postmortem_items": [i.model_dump() for i in record.items],
        "action_items": [a.model_dump() for a in record.actions],
    }
    # No indent: only then does the json module use its C encoder (seconds for 50,000 entries).
    return json.dumps(document, default=_encode, ensure_ascii=False)


def record_from_json(text: str) -> ParsedRecord:
    """Parse an export back into table models. Raises ValueError on a foreign document."""
    document = json.loads(text)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError("not a Sisyphus incident record")
    if document.get("version") != VERSION:
        raise ValueError(f"unsupported record version {document.get('version')!r}")
    return ParsedRecord(
        incident=Incident.model_validate(document["incident"]),
        timeline=[TimelineEntry.model_validate(e) for e in document["timeline"]],
        revisions=[TimelineRevision.model_validate(r) for r in document["revisions"]],
        update_prompts=[UpdatePrompt.model_validate(p) for p in document["update_prompts"]],
        postmortem_items=[PostmortemItem.model_validate(i) for i in document["postmortem_items"]],
        action_items=[ActionItem.model_validate(a) for a in document["action_items"]],
    )
