"""The `add_to_timeline` message shortcut: any message, from any channel, copied into an open
incident's timeline as a key event, with its author, its own time and a permalink.

One open incident: copied at once. Several: a form asks which. A message already in a war
room's timeline is marked as a key event there instead of copied twice.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.authorize import authorize_on_incident
from bot.incidents.labels import incident_label, plain_label
from bot.incidents.queries import get_incident, open_incidents
from bot.slack.client import slack_error_text
from bot.slack.text import strip_control
from bot.timeline.marks import add_marks
from bot.timeline.queries import ENTRY
from storage.models.incidents import Incident
from storage.models.timeline import EntryKind
from storage.tables import run_select
from storage.types import utcnow

log = logging.getLogger(__name__)

COPY_SHORTCUT = "add_to_timeline"
PICK_CALLBACK = "add_to_timeline_pick"
MARK_SOURCE = "shortcut"
MAX_TEXT_IN_FORM = 1500  # private_metadata holds at most 3000 characters
MAX_PICK = 100  # options of a static_select


@dataclass(frozen=True)
class CopiedMessage:
    channel_id: str
    ts: str
    author_id: str | None
    text: str

    @classmethod
    def from_shortcut(cls, body: dict[str, Any]) -> CopiedMessage:
        message = body.get("message") or {}
        return cls(
            channel_id=(body.get("channel") or {}).get("id") or "",
            ts=message.get("ts") or body.get("message_ts") or "",
            author_id=message.get("user") or message.get("bot_id"),
            text=strip_control(message.get("text") or ""),
        )

    def occurred_at(self) -> datetime:
        try:
            return datetime.fromtimestamp(float(self.ts), UTC)
        except ValueError:
            return utcnow()


async def candidates(rt: Runtime, channel_id: str) -> list[Incident]:
    """Open incidents the message may go to: the public ones, and the one whose war room
    this is (a private incident is not shown to people outside it)."""
    async with rt.db.session() as session:
        found = await open_incidents(session)
    return [i for i in found if not i.private or i.channel_id == channel_id]


def pick_form(incidents: list[Incident], message: CopiedMessage) -> dict[str, Any]:
    options = [
        {
            "text": {"type": "plain_text", "text": plain_label(i.id, i.title)[:75]},
            "value": str(i.id),
        }
        for i in sorted(incidents, key=lambda i: -(i.id or 0))[:MAX_PICK]
    ]
    text = message.text
    if len(text) > MAX_TEXT_IN_FORM:
        text = text[: MAX_TEXT_IN_FORM - 1] + "…"
    meta = {"c": message.channel_id, "t": message.ts, "u": message.author_id, "x": text}
    preview = message.text[:280] + ("…" if len(message.text) > 280 else "")
    return {
        "type": "modal",
        "callback_id": PICK_CALLBACK,
        "private_metadata": json.dumps(meta)[:3000],
        "title": {"type": "plain_text", "text": "Add to timeline"},
        "submit": {"type": "plain_text", "text": "Add"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "incident",
                "label": {"type": "plain_text", "text": "Which incident?"},
                "element": {"type": "static_select", "action_id": "value", "options": options},
            },
            {
                "type": "context",
                "elements": [{"type": "plain_text", "text": preview or "(no text)"}],
            },
        ],
    }


def read_pick(view: dict[str, Any]) -> tuple[int | None, CopiedMessage | None]:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        message = CopiedMessage(meta["c"], meta["t"], meta.get("u"), meta.get("x") or "")
    except (ValueError, KeyError, TypeError):
        message = None
    values = view.get("state", {}).get("values", {})
    chosen = (values.get("incident", {}).get("value", {}).get("selected_option") or {}).get(
        "value"
    ) or ""
    return (int(chosen) if chosen.isdigit() else None), message


async def copy_message(rt: Runtime, incident_id: int, message: CopiedMessage, actor_id: str) -> str:
    """Copy (or mark) the message in the incident's timeline; return what to tell the person."""
    await authorize_on_incident(rt, f"shortcut:{COPY_SHORTCUT}", actor_id, incident_id)
    if not message.channel_id or not message.ts:
        raise UserError("Slack did not say which message that was; please try again.")
    async with rt.db.session() as session:
        incident = await get_incident(session, incident_id)
    if incident is None or incident.status == "resolved":
        raise UserError("That incident is not open any more; nothing was added.")
    permalink: str | None = None
    try:
        resp = await rt.client.chat_getPermalink(channel=message.channel_id, message_ts=message.ts)
        permalink = resp.get("permalink")
    except Exception as exc:
        log.info("no permalink for a copied message: %s", slack_error_text(exc))
    async with rt.db.session() as session:
        row = (
            await run_select(
                session,
                select(ENTRY.c.incident_id).where(
                    ENTRY.c.channel_id == message.channel_id, ENTRY.c.ts == message.ts
                ),
            )
        ).first()
        if row is not None and row[0] != incident.id:
            raise UserError(
                f"That message is already in the timeline of incident #{row[0]}; "
                "a message goes into one timeline."
            )
        if row is None:
            dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
            insert: Any = pg_insert(ENTRY) if dialect == "postgresql" else sqlite_insert(ENTRY)
            await session.exec(
                insert.values(
                    incident_id=incident.id,
                    kind=EntryKind.COPIED,
                    channel_id=message.channel_id,
                    ts=message.ts,
                    author_id=message.author_id,
                    text=message.text,
                    occurred_at=message.occurred_at(),
                    recorded_at=utcnow(),
                    key_event=False,
                    permalink=permalink,
                ).on_conflict_do_nothing(index_elements=["channel_id", "ts"])
            )
        await add_marks(
            session,
            [
                {
                    "channel_id": message.channel_id,
                    "message_ts": message.ts,
                    "source": MARK_SOURCE,
                    "user_id": actor_id,
                }
            ],
        )
    where = f" (<{permalink}|the message>)" if permalink else ""
    verb = "marked as a key event in" if row is not None else "added as a key event to"
    return f":pushpin: {verb.capitalize()} the timeline of {incident_label(incident)}{where}."


async def shortcut_pressed(rt: Runtime, body: dict[str, Any]) -> str | None:
    """One open incident: copy now. Several: open the form. None: say so."""
    message = CopiedMessage.from_shortcut(body)
    user_id = body["user"]["id"]
    found = await candidates(rt, message.channel_id)
    if not found:
        raise UserError(
            "No incident is open, so there is no timeline to add to. "
            "Declare one with `/incident declare <title>`."
        )
    here = next((i for i in found if i.channel_id == message.channel_id), None)
    if here is not None or len(found) == 1:
        return await copy_message(rt, (here or found[0]).id or 0, message, user_id)
    try:
        await rt.client.views_open(
            trigger_id=body.get("trigger_id") or "", view=pick_form(found, message)
        )
    except Exception as exc:
        raise UserError(
            f"I could not open the form to pick the incident ({slack_error_text(exc)})."
        ) from exc
    return None
