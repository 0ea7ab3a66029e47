"""Reading Slack message events (and history messages) into timeline facts. Pure: no I/O.

Slack sends one `message` event type with many subtypes. What becomes a timeline entry:
plain messages (`message`), replies in a thread (`thread_reply`, linked by `thread_ts`),
replies also sent to the channel (`thread_broadcast`), file shares (`file_share`: name, type
and link, never the bytes) and messages from other bots and integrations (`bot_message`).
Channel housekeeping (joins, topic changes, ...) is not part of the record and is skipped.
Edits (`message_changed`) and deletions (`message_deleted`) change an existing entry.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.slack.text import unescape
from storage.models.timeline import EntryKind

# Subtypes that are something someone said; everything else (channel_join, channel_topic,
# pinned_item, message_replied, ...) is housekeeping and stays out of the timeline.
SAID_SUBTYPES = frozenset({None, "me_message", "thread_broadcast", "file_share", "bot_message"})

_TS = re.compile(r"\d{1,10}(?:\.\d{1,6})?", re.ASCII)  # matched whole (fullmatch)
_ID = re.compile(r"^[A-Z0-9]{1,32}$", re.ASCII)  # Slack ids: channels, users, bots, teams


@dataclass(frozen=True)
class SlackMessage:
    channel_id: str
    ts: str
    kind: str
    text: str
    occurred_at: datetime
    author_id: str | None = None
    author_name: str | None = None
    thread_ts: str | None = None
    files: str | None = None  # JSON list of {"name", "title", "type", "permalink"}
    team: str | None = None  # the author's workspace (Slack Connect: another organisation's)


@dataclass(frozen=True)
class MessageEdit:
    channel_id: str
    ts: str
    text: str
    edited_at: datetime
    message: SlackMessage | None  # the whole edited message, to store it if we never saw it
    previous_text: str | None = None  # the text before the edit, when Slack sends it


@dataclass(frozen=True)
class MessageDeletion:
    channel_id: str
    ts: str
    deleted_at: datetime
    message: SlackMessage  # what was deleted, as far as Slack says (for a tombstone)


def ts_to_datetime(ts: str) -> datetime:
    """Slack's `1596183880.004200` -> an aware UTC datetime, exact to the microsecond."""
    seconds, _, fraction = ts.partition(".")
    micros = int((fraction + "000000")[:6]) if fraction else 0
    return datetime.fromtimestamp(int(seconds), UTC).replace(microsecond=micros)


def datetime_to_ts(moment: datetime) -> str:
    """The inverse of ts_to_datetime, for `oldest=` in history calls."""
    return f"{int(moment.timestamp())}.{moment.microsecond:06d}"


def read_message(event: dict[str, Any], channel_id: str | None = None) -> SlackMessage | None:
    """A message event or history message -> SlackMessage, or None if it is not a message."""
    subtype = event.get("subtype")
    channel = slack_id(channel_id or event.get("channel"))
    ts = slack_ts(event.get("ts"))
    if not (subtype is None or isinstance(subtype, str)) or subtype not in SAID_SUBTYPES:
        return None
    if not channel or not ts:
        return None
    thread_ts = slack_ts(event.get("thread_ts"))
    in_thread = thread_ts is not None and thread_ts != ts
    is_bot = subtype == "bot_message" or bool(event.get("bot_id"))
    files = _file_facts(as_list(event.get("files")))
    if subtype == "thread_broadcast":
        kind = EntryKind.THREAD_BROADCAST
    elif is_bot:
        kind = EntryKind.BOT_MESSAGE
    elif subtype == "file_share" or files:
        kind = EntryKind.FILE_SHARE
    elif in_thread:
        kind = EntryKind.THREAD_REPLY
    else:
        kind = EntryKind.MESSAGE
    return SlackMessage(
        channel_id=channel,
        ts=ts,
        kind=kind,
        text=_text_of(event, is_bot),
        occurred_at=ts_to_datetime(ts),
        author_id=slack_id(event.get("user")) or slack_id(event.get("bot_id")),
        author_name=_bot_name(event) if is_bot else None,
        thread_ts=thread_ts if in_thread or subtype == "thread_broadcast" else None,
        files=json.dumps(files) if files else None,
        team=slack_id(event.get("user_team")) or slack_id(event.get("team")),
    )


def read_edit(event: dict[str, Any]) -> MessageEdit | None:
    """A `message_changed` event -> the new text of the message it changed."""
    message = as_dict(event.get("message"))
    previous = as_dict(event.get("previous_message"))
    channel = slack_id(event.get("channel"))
    ts = slack_ts(message.get("ts")) or slack_ts(previous.get("ts"))
    if not channel or not ts:
        return None
    edited_ts = (
        slack_ts(as_dict(message.get("edited")).get("ts"))
        or slack_ts(event.get("ts"))
        or slack_ts(event.get("event_ts"))
        or ts
    )
    whole = read_message({**message, "ts": ts}, channel)
    return MessageEdit(
        channel_id=channel,
        ts=ts,
        text=whole.text if whole else unescape(plain(message.get("text"))),
        edited_at=ts_to_datetime(edited_ts),
        message=whole,
        previous_text=unescape(plain(previous["text"])) if "text" in previous else None,
    )


def read_deletion(event: dict[str, Any]) -> MessageDeletion | None:
    """A `message_deleted` event -> which message went, and when."""
    previous = as_dict(event.get("previous_message"))
    channel = slack_id(event.get("channel"))
    ts = slack_ts(event.get("deleted_ts")) or slack_ts(previous.get("ts"))
    if not channel or not ts:
        return None
    when = slack_ts(event.get("ts")) or slack_ts(event.get("event_ts")) or ts
    message = read_message({**previous, "ts": ts}, channel) or SlackMessage(
        channel_id=channel, ts=ts, kind=EntryKind.MESSAGE, text="", occurred_at=ts_to_datetime(ts)
    )
    return MessageDeletion(
        channel_id=channel, ts=ts, deleted_at=ts_to_datetime(when), message=message
    )


def _text_of(event: dict[str, Any], is_bot: bool) -> str:
    text = plain(event.get("text"))
    if not text and is_bot:
        # Alerting and deploy integrations often post attachments only.
        parts = []
        for attachment in as_list(event.get("attachments")):
            a = as_dict(attachment)
            part = plain(a.get("fallback")) or plain(a.get("title")) or plain(a.get("text"))
            if part:
                parts.append(part)
        text = "\n".join(parts)
    return unescape(text)


def _bot_name(event: dict[str, Any]) -> str | None:
    return (
        plain(event.get("username")) or plain(as_dict(event.get("bot_profile")).get("name")) or None
    )


def _file_facts(files: list[Any]) -> list[dict[str, str | None]]:
    """Name, type and link of each shared file; the bytes stay in Slack."""
    facts = []
    for f in map(as_dict, files):
        facts.append(
            {
                "name": plain(f.get("name")) or None,
                "title": plain(f.get("title")) or None,
                "type": plain(f.get("pretty_type") or f.get("filetype") or f.get("mimetype"))
                or None,
                "permalink": plain(f.get("permalink")) or None,
            }
        )
    return facts


# Payloads are read defensively: a field of the wrong type or shape makes the event
# "not a message" rather than an error (Slack would retry an error forever).
def slack_ts(value: Any) -> str | None:
    return value if isinstance(value, str) and _TS.fullmatch(value) else None


def slack_id(value: Any) -> str | None:
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


def plain(value: Any) -> str:
    """A text field as stored: a string without NUL characters (PostgreSQL refuses them)."""
    return value.replace("\x00", "") if isinstance(value, str) else ""


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def is_external(msg: SlackMessage, home_team: str | None) -> bool | None:
    """Said by someone of another organisation (Slack Connect)? None when it cannot be told."""
    if not msg.team or not home_team:
        return None
    return msg.team != home_team


def entry_row(
    incident_id: int,
    msg: SlackMessage,
    event_id: str | None = None,
    *,
    home_team: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The timeline_entry columns for a Slack message; `home_team` is the bot's workspace."""
    return {
        "incident_id": incident_id,
        "kind": msg.kind,
        "channel_id": msg.channel_id,
        "ts": msg.ts,
        "thread_ts": msg.thread_ts,
        "author_id": msg.author_id,
        "author_name": msg.author_name,
        "text": msg.text,
        "files": msg.files,
        "occurred_at": msg.occurred_at,
        "event_id": event_id,
        "edited_at": None,
        "deleted_at": None,
        "external": is_external(msg, home_team),
        **extra,
    }
