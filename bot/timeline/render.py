"""Timeline entries as Slack text lines: time in the reader's zone with UTC beside it.

Every stored text is escaped (nobody can ping `@channel` through the timeline); user and
channel references (`<@U123>`, `<#C123|name>`) are then given back, so they read as names.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, tzinfo

from bot.slack.mrkdwn import link
from bot.slack.text import escape
from bot.timeline.timeparse import format_local, zone_label
from storage.models.timeline import EntryKind, TimelineEntry

MAX_TEXT = 200  # characters of each entry's text in the ephemeral view

_REFERENCE = re.compile(r"&lt;([@#][UWC][A-Z0-9]+(?:\|[^&<>]{0,80})?)&gt;")

# How each kind of entry reads; {who} is the author.
KIND_LABELS: dict[str, str] = {
    EntryKind.MESSAGE: "{who}",
    EntryKind.THREAD_REPLY: "↳ {who} in a thread",
    EntryKind.THREAD_BROADCAST: "↳ {who} in a thread, also sent to the channel",
    EntryKind.FILE_SHARE: "{who} shared a file",
    EntryKind.BOT_MESSAGE: "{who} (bot)",
    EntryKind.BOT_ACTION: ":robot_face: bot",
    EntryKind.NOTE: ":memo: {who} noted",
    EntryKind.LOG: ":spiral_note_pad: {who} logged",
    EntryKind.STATUS_UPDATE: ":mega: status update by {who}",
    EntryKind.ROLE_CHANGE: ":robot_face: role change",
    EntryKind.STATUS_CHANGE: ":robot_face: status change",
    EntryKind.SEVERITY_CHANGE: ":robot_face: severity change",
    EntryKind.HANDOFF: ":robot_face: handoff",
    EntryKind.CADENCE_CHANGE: ":robot_face: update cadence",
    EntryKind.PROMPT: ":alarm_clock: update prompt",
    EntryKind.SNOOZE: ":zzz: prompt snoozed by {who}",
    EntryKind.ALERT: ":rotating_light: alert",
    EntryKind.PAGE: ":pager: page",
    EntryKind.VERIFICATION: ":white_check_mark: verification by {who}",
    EntryKind.CHECKLIST: ":clipboard: checklist",
    EntryKind.RUNBOOK: ":book: runbook",
    EntryKind.COPIED: ":pushpin: {who}, copied in",
    EntryKind.WAR_ROOM: ":robot_face: war room",
}


def display_text(text: str, limit: int | None = MAX_TEXT) -> str:
    """Escape user text for Slack, keep user and channel references, shorten it."""
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return _REFERENCE.sub(r"<\1>", escape(text))


def author_of(entry: TimelineEntry) -> str:
    if entry.kind == EntryKind.BOT_MESSAGE and entry.author_name:
        return f"*{escape(entry.author_name)}*"
    if entry.author_id and entry.author_id[0] in "UW":
        return f"<@{entry.author_id}>"
    if entry.author_name:
        return f"*{escape(entry.author_name)}*"
    return "someone"


def when(moment: datetime, zone: tzinfo) -> str:
    """`2026-11-26 04:31 CET (03:31 UTC)`; the UTC date too when it is another day."""
    local = format_local(moment, zone)
    if local.endswith(" UTC"):
        return local
    utc = format_local(moment, UTC)
    same_day = local[:10] == utc[:10]
    return f"{local} ({utc[11:] if same_day else utc})"


def files_text(files_json: str | None) -> str:
    if not files_json:
        return ""
    try:
        files = json.loads(files_json)
    except ValueError:
        return ""
    shown = []
    for f in files:
        name = escape(f.get("name") or f.get("title") or "a file")
        kind = f" ({escape(f['type'])})" if f.get("type") else ""
        shown.append(link(f.get("permalink"), name) + kind)
    return " ".join(shown)


def render_entry(entry: TimelineEntry, zone: tzinfo, key_emoji: str = "pushpin") -> str:
    """One line of the timeline view."""
    head = when(entry.occurred_at, zone)
    label = KIND_LABELS.get(entry.kind, f"{escape(entry.kind)} by {{who}}")
    label = label.format(who=author_of(entry) + (" (external)" if entry.external else ""))
    key = f":{key_emoji.strip(':')}: " if entry.key_event else ""
    if entry.deleted_at is not None:
        deleted = when(entry.deleted_at, zone)
        if entry.deleted_while_away:
            gone = f"deleted while the bot was away (noticed {deleted})"
            return f"• {key}`{head}` {label}: _message {gone}_"
        return f"• {key}`{head}` {label}: _message deleted at {deleted}_"
    body = display_text(entry.text)
    attached = files_text(entry.files)
    if attached:
        body = f"{attached} {body}".strip()
    edited = " _(edited)_" if entry.edited_at is not None else ""
    separator = ": " if body else ""
    link = getattr(entry, "permalink", None)
    original = f" <{link}|(original)>" if link and "|" not in link and ">" not in link else ""
    return f"• {key}`{head}` {label}{separator}{body}{edited}{original}"


def render_timeline(
    entries: list[TimelineEntry], zone: tzinfo, *, title: str, total: int, key_emoji: str
) -> str:
    if not entries:
        return f"*{title}*: nothing in the timeline yet."
    head = (
        f"*{title}*: the last {len(entries)} of {total} entries, "
        f"times in {zone_label(zone)} with UTC beside them."
    )
    if len(entries) == total:
        head = f"*{title}*: all {total} entries, times in {zone_label(zone)} with UTC beside them."
    return "\n".join([head, *(render_entry(e, zone, key_emoji) for e in entries)])
