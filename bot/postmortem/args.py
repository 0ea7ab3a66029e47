"""Parsing the arguments of the /postmortem capture commands. Pure; raises UserError."""

from __future__ import annotations

import re
from datetime import datetime

from bot.core.errors import UserError
from bot.postmortem.rules import ActionDraft, ActionProblem, check_action, parse_due_date
from bot.slack.text import excerpt, parse_user_mention, unescape

FACTOR_KINDS = ("technical", "process", "human", "organizational")
MAX_ITEM_TEXT = 4000
ACTION_USAGE = "`/postmortem action <P0|P1|P2|P3> <@owner> <YYYY-MM-DD> [F<n>:] <text>`"


def _shown(token: str) -> str:
    """A token the person typed, as it may be quoted back to Slack."""
    return excerpt(unescape(token))


def parse_text(args: str, usage: str) -> str:
    """The free text of summary/impact/why/well/poorly/lesson, as the person typed it."""
    text = unescape(args).strip()
    if not text:
        raise UserError(f"Say what to record: `{usage}`.")
    if len(text) > MAX_ITEM_TEXT:
        raise UserError(f"That is {len(text)} characters; keep it under {MAX_ITEM_TEXT}.")
    return text


def parse_factor(args: str) -> tuple[str, str]:
    """`technical Cache TTL was 0` -> ("technical", "Cache TTL was 0")."""
    word, _, rest = args.strip().partition(" ")
    kinds = ", ".join(f"`{k}`" for k in FACTOR_KINDS)
    kind = word.lower()
    if kind == "organisational":
        kind = "organizational"
    if kind not in FACTOR_KINDS:
        shown = f"`{_shown(word)}` is not a kind of factor. " if word else ""
        raise UserError(
            f"{shown}Use `/postmortem factor <kind> <text>` with a kind of {kinds}. "
            "Incidents have several contributing factors; record each one."
        )
    return kind, parse_text(rest, "/postmortem factor <kind> <text>")


def parse_number(args: str, what: str, usage: str) -> int:
    raw = args.strip().lstrip("#")
    if not re.fullmatch(r"\d{1,9}", raw):
        raise UserError(f"Give the number of the {what}: `{usage}`.")
    return int(raw)


def parse_action(args: str, *, now: datetime, factor_count: int) -> ActionDraft:
    """`P1 <@U1|ann> 2026-12-01 F2: Add a p99 alert` -> a checked ActionDraft.

    Raises ActionProblem (a UserError) with the reason; `explained()` adds the guide.
    """
    words = args.strip().split(maxsplit=3)
    if not words:
        raise ActionProblem("text", f"give the priority, owner, due date and text: {ACTION_USAGE}")
    priority = words[0].upper()
    if priority not in ("P0", "P1", "P2", "P3"):
        raise ActionProblem(
            "priority",
            f"`{_shown(words[0])}` is not a priority; start with P0, P1, P2 or P3: {ACTION_USAGE}",
        )
    if len(words) < 2:
        raise ActionProblem("owner", f"an action item needs an owner: {ACTION_USAGE}")
    owner_id = parse_user_mention(words[1])
    if owner_id is None:
        looks_like = words[1].startswith("@")
        raise ActionProblem(
            "owner",
            (
                f"`{_shown(words[1])}` is not a mention Slack resolved; type @ and pick the "
                "owner from the list (it turns blue)."
                if looks_like
                else f"the owner comes second, as an @mention; `{_shown(words[1])}` is not "
                f"one: {ACTION_USAGE}"
            ),
        )
    if len(words) < 3:
        raise ActionProblem("due", f"an action item needs a due date: {ACTION_USAGE}")
    due = parse_due_date(words[2])
    text = unescape(words[3]).strip() if len(words) > 3 else ""
    if not text:
        raise ActionProblem("text", f"say what will be done: {ACTION_USAGE}")
    return check_action(
        priority=priority,
        owner_id=owner_id,
        due=due,
        text=text,
        now=now,
        factor_count=factor_count,
    )
