"""Block Kit for the nudge (one private message per owner) and the weekly digest.

Within Slack's limits: at most 50 blocks a message, 3000 characters a section's text,
75 characters a button's text, 2000 a button's value, 255 an action_id. A nudge lists up to
MAX_NUDGE_ITEMS items with buttons and counts the rest.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.followthrough.states import ticket_link
from bot.slack.mrkdwn import escape_keeping_mentions
from storage.models.incidents import Incident
from storage.models.postmortem import ActionItem

DONE_ACTION = "followthrough_done"
SNOOZE_ACTION = "followthrough_snooze"
SNOOZE_DAYS = 3
MAX_NUDGE_ITEMS = 15  # 1 header + 2 blocks per item + 1 footer stays under 50 blocks
MAX_SECTION = 3000


def _when(item: ActionItem, today: date) -> str:
    days = (item.due_date - today).days
    if days < 0:
        return f":warning: *overdue* since {item.due_date.isoformat()} ({-days} d)"
    if days == 0:
        return "due *today*"
    return f"due {item.due_date.isoformat()} (in {days} d)"


def _item_text(item: ActionItem, incident: Incident, today: date) -> str:
    link = ticket_link(item.ticket_url)
    text = (
        f"*{item.priority}* {escape_keeping_mentions(item.text)}\n"
        f"{_when(item, today)} · incident #{incident.id}"
        + (f" in <#{incident.channel_id}>" if incident.channel_id else "")
        + f" · item #{item.number}"
        + (f" · {link}" if link else "")
    )
    return _cut(text, MAX_SECTION)


def nudge_message(
    owner_id: str, rows: list[tuple[ActionItem, Incident]], today: date
) -> tuple[str, list[dict[str, Any]]]:
    overdue = sum(1 for a, _ in rows if a.due_date < today)
    summary = (
        f"{len(rows)} of your action items "
        + ("are" if len(rows) > 1 else "is")
        + " overdue or due within 2 days"
        + (f" ({overdue} overdue)" if overdue else "")
    )
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": "nudge_head",
            "text": {
                "type": "mrkdwn",
                "text": f"<@{owner_id}>, {summary}. A fix is done when "
                "it is verified: say how with `/postmortem done <n> <how>` in the war room.",
            },
        }
    ]
    for item, incident in rows[:MAX_NUDGE_ITEMS]:
        blocks.append(
            {
                "type": "section",
                "block_id": f"nudge_item_{item.id}",
                "text": {"type": "mrkdwn", "text": _item_text(item, incident, today)},
            }
        )
        blocks.append(
            {
                "type": "actions",
                "block_id": f"nudge_buttons_{item.id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": DONE_ACTION,
                        "text": {"type": "plain_text", "text": "Done"},
                        "style": "primary",
                        "value": str(item.id),
                    },
                    {
                        "type": "button",
                        "action_id": SNOOZE_ACTION,
                        "text": {"type": "plain_text", "text": f"Snooze {SNOOZE_DAYS} days"},
                        "value": str(item.id),
                    },
                ],
            }
        )
    if len(rows) > MAX_NUDGE_ITEMS:
        more = len(rows) - MAX_NUDGE_ITEMS
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"…and {more} more: `/postmortem actions` in "
                        "each war room lists them.",
                    }
                ],
            }
        )
    return summary, blocks


def p0_message(commander_id: str, item: ActionItem, incident: Incident, today: date) -> str:
    return (
        f"<@{commander_id}>, P0 action item #{item.number} of incident #{incident.id} "
        f"(<@{item.owner_id}>) is overdue: {escape_keeping_mentions(item.text)} "
        f"(due {item.due_date.isoformat()}). A P0 must be done before the next deploy; the "
        "deploy gate blocks until it is done, or `/postmortem waive` in an emergency."
    )


@dataclass
class Counts:
    open: int = 0
    overdue: int = 0
    done: int = 0
    verified: int = 0


def digest_message(
    rows: list[tuple[ActionItem, Incident]], today: date
) -> tuple[str, list[dict[str, Any]]]:
    by_owner: dict[str, Counts] = defaultdict(Counts)
    overdue: list[tuple[ActionItem, Incident]] = []
    for item, incident in rows:
        counts = by_owner[item.owner_id]
        if item.status == "verified":
            counts.verified += 1
        elif item.status == "done":
            counts.done += 1
        else:
            counts.open += 1
            if item.due_date < today:
                counts.overdue += 1
                overdue.append((item, incident))
    title = (
        f"Action items this week: {sum(c.open for c in by_owner.values())} open, "
        f"{len(overdue)} overdue, {sum(c.verified for c in by_owner.values())} verified"
    )
    lines = [
        f"<@{owner}>: {c.open} open, {c.overdue} overdue, {c.done} done (unverified), "
        f"{c.verified} verified"
        for owner, c in sorted(by_owner.items(), key=lambda kv: (-kv[1].overdue, -kv[1].open))
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Weekly action item digest"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}},
    ]
    for chunk in _chunks(lines or ["No action items yet."]):
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
    if overdue:
        items = [
            f"• {_item_text(a, i, today)} · <@{a.owner_id}>".replace("\n", " · ")
            for a, i in overdue
        ]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "*Overdue:*"}})
        for chunk in _chunks(items):
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
    if len(blocks) > 50:
        cut = {"type": "context", "elements": [{"type": "mrkdwn", "text": "…cut to fit."}]}
        blocks = [*blocks[:49], cut]
    return title, blocks


def _chunks(lines: list[str]) -> list[str]:
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = _cut(line, MAX_SECTION)
        if current and len(current) + 1 + len(line) > MAX_SECTION:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
