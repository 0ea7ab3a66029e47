"""Key events: a message with the key-event reaction (`:pushpin:` by default) or pinned.

Each reaction (per person) and the pin is a separate mark; the message stays a key event
until the last mark is gone, so one person removing their reaction does not unmark what
someone else marked. Marks are only kept for incident channels.
"""

from __future__ import annotations

from typing import Any

from bot.core.runtime import Runtime
from bot.timeline.events import as_dict, as_list, slack_id, slack_ts
from bot.timeline.marks import add_marks, entry_exists, remove_mark
from bot.timeline.queries import capturing_incident


def is_key_reaction(reaction: Any, key_emoji: str) -> bool:
    """`pushpin` and `pushpin::skin-tone-3` both count; the setting may be given as `:pushpin:`."""
    if not isinstance(reaction, str) or not reaction:
        return False
    return reaction.split("::", 1)[0] == key_emoji.strip(":")


async def record_reaction(rt: Runtime, event: dict[str, Any], *, added: bool) -> str:
    item = as_dict(event.get("item"))
    if not is_key_reaction(event.get("reaction"), rt.settings.key_event_emoji):
        return "not the key-event emoji"
    channel, ts = slack_id(item.get("channel")), slack_ts(item.get("ts"))
    if item.get("type") != "message" or not channel or not ts:
        return "not a message"
    user = slack_id(event.get("user")) or ""
    return await _mark(rt, channel, ts, "reaction", user, added=added)


async def record_pin(rt: Runtime, event: dict[str, Any], *, added: bool) -> str:
    item = as_dict(event.get("item"))
    channel = slack_id(item.get("channel")) or slack_id(event.get("channel_id"))
    ts = slack_ts(as_dict(item.get("message")).get("ts")) or slack_ts(item.get("ts"))
    if item.get("type") != "message" or not channel or not ts:
        return "not a message"
    return await _mark(rt, channel, ts, "pin", "", added=added)


async def _mark(
    rt: Runtime, channel_id: str, ts: str, source: str, user_id: str, *, added: bool
) -> str:
    async with rt.db.session() as session:
        if not added:
            await remove_mark(session, channel_id, ts, source, user_id)
            return "unmarked"
        known = await entry_exists(session, channel_id, ts)
        if not known and await capturing_incident(session, channel_id) is None:
            return "not an incident channel"
        mark = {"channel_id": channel_id, "message_ts": ts, "source": source, "user_id": user_id}
        await add_marks(session, [mark])
    return "marked"


def marks_in_history(message: dict[str, Any], channel_id: str, key_emoji: str) -> list[dict]:
    """The marks a message read from history carries: key reactions and a pin here."""
    ts = slack_ts(message.get("ts"))
    if not ts:
        return []
    base = {"channel_id": channel_id, "message_ts": ts}
    marks = [
        {**base, "source": "reaction", "user_id": user}
        for reaction in map(as_dict, as_list(message.get("reactions")))
        if is_key_reaction(reaction.get("name"), key_emoji)
        for user in filter(None, map(slack_id, as_list(reaction.get("users"))))
    ]
    if channel_id in as_list(message.get("pinned_to")):
        marks.append({**base, "source": "pin", "user_id": ""})
    return marks
