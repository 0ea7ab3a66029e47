"""What an imported record may hold: each value as the bot itself would have stored it.

An import file is input from outside, like a slash command: a value the product would never
have written (a status `pwned`, `private: "yes"`, a title of two million characters, a user id
with `<!channel>` in it, a child row naming another incident) is refused, with the field and
the reason, before anything is written. The limits are the product's own constants (the
declare form's title, the action-item rules, the postmortem capture, the cadence bounds), so
the two cannot drift apart; texts the product takes from Slack or an alert as they come are
bounded by the largest request the bot accepts.

Slack ids follow the patterns of Slack's Web API spec (slack_web_openapi_v2.json,
`defs_user_id` `^[UW][A-Z0-9]{2,}$`, `defs_channel_id`/`defs_channel` for `C`, `G`, `D`,
`defs_team` `^T[A-Z0-9]{2,}$`, `defs_bot_id` for `B`): letters and digits only, so an id can
never carry a mention, a link or mrkdwn into a message that names it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, get_args

from sqlmodel import SQLModel

from bot.cadence.rules import cadence_problem
from bot.followthrough.queries import DONE, OPEN, VERIFIED
from bot.followthrough.states import MAX_VERIFICATION
from bot.learning.search import SHOWN as SIMILAR_SHOWN
from bot.learning.tags import MAX_TAGS, TAG
from bot.postmortem.args import FACTOR_KINDS, MAX_ITEM_TEXT
from bot.postmortem.item_text import MAX_CRITERIA, PREVENTION_CLASSES
from bot.postmortem.items import ITEM_KINDS
from bot.postmortem.rules import MAX_TEXT as MAX_ACTION_TEXT
from bot.postmortem.rules import PRIORITIES
from bot.response.declare_args import MAX_TITLE
from bot.response.war_room import ARCHIVED, REMOVED
from bot.slack.mrkdwn import safe_url
from storage.models import (
    SEVERITIES,
    STATUSES,
    ActionItem,
    EntryKind,
    Incident,
    PostmortemItem,
    TimelineEntry,
    TimelineRevision,
    UpdatePrompt,
)

# PostgreSQL's `integer` ends at 2^31 - 1. A row id this high or lower leaves the sequence
# 147 million more rows to number; one nearer the end would leave the bot unable to declare
# after a few (and 2^31 - 1 itself could not be followed at all).
MAX_ID = 2_000_000_000
# Incidents end sooner: SQLite's search index packs the incident id into the top 29 bits of
# a 63-bit rowid (storage.search_index), so 2^29 - 1 is the last incident it can index. This
# leaves 36 million declares after the highest one imported, on either database.
MAX_INCIDENT_ID = 500_000_000
MAX_ACTION_NUMBER = 100_000
MAX_UNANSWERED = 1_000_000
# Texts the bot stores as Slack or an alert sends them (messages, descriptions, summaries):
# never more than one request to the bot may carry (bot.app.web's MAX_BODY_BYTES, 1 MiB).
MAX_FREE_TEXT = 1024 * 1024
MAX_NAME = 256  # a bot's or app's display name on the timeline
MAX_PAGED = 3000  # Slack's limit for a mrkdwn text object

USER = re.compile(r"[UW][A-Z0-9]{2,31}", re.ASCII)
USER_OR_BOT = re.compile(r"[UWB][A-Z0-9]{2,31}", re.ASCII)
CHANNEL = re.compile(r"[CGD][A-Z0-9]{2,31}", re.ASCII)
TEAM = re.compile(r"T[A-Z0-9]{2,31}", re.ASCII)
# Slack's `defs_ts` is 10 digits, a dot, 6 digits; older and test messages have fewer.
TS = re.compile(r"[0-9]{1,16}\.[0-9]{1,16}", re.ASCII)
EVENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}", re.ASCII)
CHANNEL_NAME = re.compile(r"[\w-]{1,80}")  # Slack: lowercase letters, digits, - and _
INSTANCE = re.compile(r"[^\s<>&|]{1,64}")  # who claimed a prompt (host:pid:id), never posted
# Who a reminder asked, cut at 128 characters when stored; nobody ("") while nobody commands.
MENTIONED = re.compile(r"(?:[UW][A-Z0-9]*(?:,[UW][A-Z0-9]*)*)?", re.ASCII)

Rule = Callable[[Any], str | None]


def _pattern(regex: re.Pattern[str], what: str) -> Rule:
    def rule(value: Any) -> str | None:
        return None if regex.fullmatch(value) else f"is not {what}"

    return rule


def _one_of(choices: Any, what: str = "one of") -> Rule:
    allowed = tuple(choices)
    shown = ", ".join(f"`{c}`" for c in allowed)

    def rule(value: Any) -> str | None:
        return None if value in allowed else f"must be {what} {shown}"

    return rule


def _text(limit: int, *, required: bool = False) -> Rule:
    def rule(value: Any) -> str | None:
        if required and not value.strip():
            return "is empty"
        if len(value) > limit:
            return f"is {len(value):,} characters; at most {limit:,}"
        return None

    return rule


def _between(low: int, high: int) -> Rule:
    def rule(value: Any) -> str | None:
        return None if low <= value <= high else f"must be from {low:,} to {high:,}"

    return rule


def _commander(value: Any) -> str | None:
    # "" is an incident the bot declared from an alert, which nobody commands yet.
    return None if value == "" or USER.fullmatch(value) else "is not a Slack user id (U… or W…)"


def _cadence(value: Any) -> str | None:
    return cadence_problem(value)


def _url(value: Any) -> str | None:
    return None if safe_url(value) else "is not an http(s) link the bot would show"


def _paged(value: Any) -> str | None:
    """What the paging sender writes: "*Paged:* " and the escaped services (no `<` or `>`)."""
    if not value.startswith("*Paged:* ") or "<" in value or ">" in value:
        return "is not a line the paging sender writes (`*Paged:* service (HH:MM UTC)`)"
    return _text(MAX_PAGED)(value)


def _tags(value: Any) -> str | None:
    tags = value.split()
    if len(tags) > MAX_TAGS:
        return f"has {len(tags)} tags; at most {MAX_TAGS}"
    if not all(TAG.fullmatch(t) for t in tags):
        return "holds a tag that is not a lowercase slug (letters, digits, dashes)"
    return None


def _similar(value: Any) -> str | None:
    """The card's similar past incidents, as bot.learning.search stores them."""
    try:
        found = json.loads(value)
    except ValueError:
        return "is not JSON"
    if not isinstance(found, list) or len(found) > SIMILAR_SHOWN:
        return f"is not a JSON list of at most {SIMILAR_SHOWN} incidents"
    for past in found:
        if not isinstance(past, dict) or set(past) - {"id", "title", "channel_id", "date"}:
            return "holds something other than {id, title, channel_id, date}"
        number, title, channel, day = (past.get(k) for k in ("id", "title", "channel_id", "date"))
        if type(number) is not int or not 1 <= number <= MAX_INCIDENT_ID:
            return "holds an incident id out of range"
        if not isinstance(title, str) or len(title) > MAX_TITLE:
            return f"holds a title that is not text of at most {MAX_TITLE} characters"
        if channel is not None and not (isinstance(channel, str) and CHANNEL.fullmatch(channel)):
            return "holds a channel that is not a Slack channel id"
        if not isinstance(day, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            return "holds a date that is not YYYY-MM-DD"
    return None


def _files(value: Any) -> str | None:
    try:
        found = json.loads(value)
    except ValueError:
        return "is not JSON"
    if not isinstance(found, list) or not all(isinstance(f, dict) for f in found):
        return "is not a JSON list of files"
    return _text(MAX_FREE_TEXT)(value)


_user = _pattern(USER, "a Slack user id (U… or W…)")
_channel = _pattern(CHANNEL, "a Slack channel id (C…, G… or D…)")
_ts = _pattern(TS, "a Slack message ts (digits.digits)")
_free = _text(MAX_FREE_TEXT)
_id = _between(1, MAX_ID)

# Field rules, by table; every field not listed is checked for its type (and NUL) only.
RULES: dict[type, dict[str, Rule]] = {
    Incident: {
        "id": _between(1, MAX_INCIDENT_ID),
        "title": _text(MAX_TITLE, required=True),
        "description": _free,
        "severity": _one_of(SEVERITIES),
        "status": _one_of(STATUSES),
        "team_id": _pattern(TEAM, "a Slack team id (T…)"),
        "channel_id": _channel,
        "channel_name": _pattern(CHANNEL_NAME, "a Slack channel name"),
        "declared_in_channel_id": _channel,
        "declared_by": _user,
        "commander_id": _commander,
        "communicator_id": _user,
        "resolution_summary": _free,
        "card_ts": _ts,
        "announcement_channel_id": _channel,
        "announcement_ts": _ts,
        "update_interval_seconds": _cadence,
        "unanswered_prompts": _between(0, MAX_UNANSWERED),
        "paged": _paged,
        "war_room_state": _one_of((ARCHIVED, REMOVED)),
        "tags": _tags,
        "similar": _similar,
        "published_channel_id": _channel,
        "published_ts": _ts,
        "service": _text(80),
    },
    TimelineEntry: {
        "id": _id,
        "kind": _one_of(e.value for e in EntryKind),
        "channel_id": _channel,
        "ts": _ts,
        "thread_ts": _ts,
        "author_id": _pattern(USER_OR_BOT, "a Slack user or bot id (U…, W… or B…)"),
        "author_name": _text(MAX_NAME),
        "text": _free,
        "files": _files,
        "deleted_by": _user,
        "event_id": _pattern(EVENT_ID, "a Slack event id"),
        "permalink": _url,
    },
    TimelineRevision: {"id": _id, "text": _free},
    UpdatePrompt: {
        "id": _id,
        "claimed_by": _pattern(INSTANCE, "an instance name"),
        "message_ts": _ts,
        "mentioned": _pattern(MENTIONED, "Slack user ids separated by commas"),
        "snoozed_by": _user,
    },
    PostmortemItem: {
        "id": _id,
        "kind": _one_of(ITEM_KINDS),
        "category": _one_of(FACTOR_KINDS),
        "text": _text(MAX_ITEM_TEXT, required=True),
        "author_id": _user,
    },
    ActionItem: {
        "id": _id,
        "number": _between(1, MAX_ACTION_NUMBER),
        "priority": _one_of(PRIORITIES),
        "owner_id": _user,
        "text": _text(MAX_ACTION_TEXT, required=True),
        "status": _one_of((OPEN, DONE, VERIFIED)),
        "created_by": _user,
        "criteria": _text(MAX_CRITERIA),
        "prevention_class": _one_of(PREVENTION_CLASSES),
        "verification": _text(MAX_VERIFICATION),
        "verified_by": _user,
        "ticket_url": _url,
        "waived_by": _user,
        "waived_reason": _free,
    },
}


def _json_type(annotation: Any) -> tuple[type, bool]:
    """(the Python type a column holds, whether it may be null) from a model annotation."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    nullable = bool(get_args(annotation)) and len(args) < len(get_args(annotation))
    return (args[0] if args else annotation), nullable


def _typed(kind: type, value: Any) -> str | None:
    """Why `value` (from JSON) is not a `kind`, or None: no coercion, so `"yes"` is no bool
    and `"5"` no number."""
    if kind is bool:
        return None if isinstance(value, bool) else "must be true or false"
    if kind is int:
        return None if type(value) is int else "must be a whole number"
    if kind is str:
        if not isinstance(value, str):
            return "must be text"
        return "holds a NUL character" if "\x00" in value else None
    if kind is datetime:
        if not isinstance(value, str):
            return "must be a time (ISO 8601)"
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return "is not a time (ISO 8601, with its UTC offset)"
        return "has no UTC offset" if moment.tzinfo is None else None
    if kind is date:
        if not isinstance(value, str):
            return "must be a date (YYYY-MM-DD)"
        try:
            date.fromisoformat(value)
        except ValueError:
            return "is not a date (YYYY-MM-DD)"
        return None
    return None


_COLUMNS: dict[type[SQLModel], list[tuple[str, type, bool, bool]]] = {}


def _columns(model: type[SQLModel]) -> list[tuple[str, type, bool, bool]]:
    """(name, type, nullable, required) of each of a table's columns."""
    if model not in _COLUMNS:
        out = []
        for name, field in model.model_fields.items():
            kind, nullable = _json_type(field.annotation)
            out.append((name, kind, nullable, field.is_required()))
        _COLUMNS[model] = out
    return _COLUMNS[model]


def row_problems(model: type, row: Any) -> list[tuple[str, str]]:
    """(field, reason) for each value of one row that the bot would not have stored."""
    if not isinstance(row, dict):
        return [("", "is not a JSON object")]
    problems: list[tuple[str, str]] = []
    rules = RULES.get(model, {})
    known = set()
    for name, kind, nullable, required in _columns(model):
        known.add(name)
        if name not in row:
            if required or name == "id":
                why = ": every row keeps its id" if name == "id" else ""
                problems.append((name, f"is missing{why}"))
            continue
        value = row[name]
        if value is None:
            if not nullable or name == "id":
                problems.append((name, "must not be null"))
            continue
        reason = _typed(kind, value)
        if reason is None and name in rules:
            reason = rules[name](value)
        if reason is not None:
            problems.append((name, reason))
    problems.extend((name, "is not a field of this row") for name in row if name not in known)
    return problems
