"""Follow-through's section of App Home (bot/home/): the action items you own, in their three
states (open with a Done button, done but unverified, verified), each with its ticket."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from bot.core.runtime import Runtime
from bot.followthrough.messages import DONE_ACTION
from bot.followthrough.queries import DONE, OPEN, VERIFIED, items_of_owner
from bot.followthrough.states import ticket_link
from bot.slack.mrkdwn import escape_keeping_mentions
from bot.slack.text import escape
from bot.timeline.user_zone import user_zone
from storage.models.incidents import Incident
from storage.models.postmortem import ActionItem
from storage.types import utcnow

MAX_PER_STATE = 20  # 2 + 3 x (1 + 20 + 1) = 68 blocks at most, after the incidents' 23
RECENT_VERIFIED = timedelta(days=30)


def _line(item: ActionItem, incident: Incident, today: date) -> str:
    link = ticket_link(item.ticket_url)
    where = f"<#{incident.channel_id}>" if incident.channel_id else f"incident #{incident.id}"
    due = item.due_date.isoformat()
    if item.status == OPEN and item.due_date < today:
        due = f":warning: overdue since {due}"
    else:
        due = f"due {due}"
    extra = ""
    if item.status == VERIFIED and item.verification:
        extra = f"\n_Verified:_ {escape(item.verification)}"
    elif item.status == DONE:
        extra = f"\nHow was it verified? `/postmortem verify {item.number} <how>` in {where}"
    elif item.criteria:
        extra = f"\n_Done when:_ {escape_keeping_mentions(item.criteria)}"
    text = (
        f"*{item.priority}* {escape_keeping_mentions(item.text)}\n{due} · item #{item.number} "
        f"of {where}" + (f" · {link}" if link else "") + extra
    )
    return text[:2999]


def action_item_blocks(
    rows: list[tuple[ActionItem, Incident]], today: date
) -> list[dict[str, Any]]:
    recent = utcnow() - RECENT_VERIFIED
    groups = [
        ("Open", [r for r in rows if r[0].status == OPEN]),
        ("Done, not yet verified", [r for r in rows if r[0].status == DONE]),
        (
            "Verified in the last 30 days",
            [r for r in rows if r[0].status == VERIFIED and (r[0].verified_at or recent) >= recent],
        ),
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Your action items"}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "A fix you cannot verify is not finished: close items with "
                    "`/postmortem done <n> <how it was verified>` in their war room.",
                }
            ],
        },
    ]
    for title, group in groups:
        blocks.append(
            {"type": "header", "text": {"type": "plain_text", "text": f"{title} ({len(group)})"}}
        )
        if not group:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "_None._"}})
        for item, incident in group[:MAX_PER_STATE]:
            section: dict[str, Any] = {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _line(item, incident, today)},
            }
            if item.status == OPEN:
                section["accessory"] = {
                    "type": "button",
                    "action_id": DONE_ACTION,
                    "text": {"type": "plain_text", "text": "Done"},
                    "value": str(item.id),
                }
            blocks.append(section)
        if len(group) > MAX_PER_STATE:
            more = len(group) - MAX_PER_STATE
            blocks.append(
                {"type": "context", "elements": [{"type": "mrkdwn", "text": f"…and {more} more."}]}
            )
    return blocks


async def home_section(rt: Runtime, user_id: str, now: datetime) -> list[dict[str, Any]]:
    """Dated in the owner's own time zone (overdue since their today)."""
    zone: tzinfo = (await user_zone(rt, user_id))[0]
    async with rt.db.session() as session:
        rows = await items_of_owner(session, user_id)
    return action_item_blocks(rows, now.astimezone(zone).date())
