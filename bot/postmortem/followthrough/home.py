"""App Home: the open incidents (with your role and a "Declare incident" button), then the
action items you own, in their three states (open with a Done button, done but unverified,
verified), each with its ticket. Published with views.publish when you open the Home tab, and
again (at most once a minute, only when it changed) by home_refresh.

Within Block Kit's limits for a Home view: at most 100 blocks, 3000 characters a section.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.core.runtime import Runtime
from bot.incidents.home_blocks import open_incident_blocks
from bot.incidents.queries import open_incidents
from bot.postmortem.followthrough.home_queries import home_opened
from bot.postmortem.followthrough.messages import DONE_ACTION
from bot.postmortem.followthrough.queries import DONE, OPEN, VERIFIED, items_of_owner
from bot.postmortem.followthrough.states import ticket_link
from bot.slack.mrkdwn import escape_keeping_mentions
from bot.slack.text import escape
from bot.timeline.user_zone import user_zone
from storage import StorageUnavailable
from storage.models.incidents import Incident
from storage.models.postmortem import ActionItem
from storage.types import utcnow

log = logging.getLogger(__name__)
MAX_BLOCKS = 100
MAX_PER_STATE = 20  # 23 blocks of incidents + 2 + 3 x (1 + 20 + 1) = 91 blocks at most
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


def home_view(
    rows: list[tuple[ActionItem, Incident]],
    today: date,
    incident_blocks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    recent = utcnow() - RECENT_VERIFIED
    groups = [
        ("Open", [r for r in rows if r[0].status == OPEN]),
        ("Done, not yet verified", [r for r in rows if r[0].status == DONE]),
        (
            "Verified in the last 30 days",
            [r for r in rows if r[0].status == VERIFIED and (r[0].verified_at or recent) >= recent],
        ),
    ]
    blocks: list[dict[str, Any]] = list(incident_blocks or [])
    blocks += [
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
    return {"type": "home", "blocks": blocks[:MAX_BLOCKS]}


async def build_home(rt: Runtime, user_id: str, now: datetime) -> dict[str, Any]:
    zone: tzinfo = (await user_zone(rt, user_id))[0]
    async with rt.db.session() as session:
        rows = await items_of_owner(session, user_id)
        incidents = await open_incidents(session)
    return home_view(
        rows, now.astimezone(zone).date(), open_incident_blocks(incidents, user_id, now)
    )


def digest(view: dict[str, Any]) -> str:
    """What the view says, in 64 characters: republished only when this changes."""
    return hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()


async def publish_home(rt: Runtime, user_id: str, now: datetime | None = None) -> None:
    """Publish the Home tab now (it was opened), and remember who looks at it."""
    now = now or utcnow()
    view = await build_home(rt, user_id, now)
    await rt.client.views_publish(user_id=user_id, view=view)
    async with rt.db.session() as session:
        await home_opened(session, user_id, now, digest(view))


def register(app: AsyncApp) -> None:
    @app.event("app_home_opened")
    async def on_home_opened(event: dict[str, Any], context: AsyncBoltContext) -> None:
        if event.get("tab") not in (None, "home"):
            return
        rt: Runtime = context["runtime"]
        user_id = event.get("user") or ""
        async with rt.in_flight():
            try:
                await publish_home(rt, user_id)
            except StorageUnavailable:
                return  # the next time the tab is opened
            except Exception as exc:
                log.warning("could not publish App Home for %s: %s", user_id, exc)
