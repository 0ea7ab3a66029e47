"""Runbook links on the card: `/incident runbook <url> [title]`, or an alert's runbook_url."""

from __future__ import annotations

from urllib.parse import urlparse

from bot.checklists.card_refresh import refresh_card
from bot.checklists.queries import runbook_exists
from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.slack.text import escape
from bot.timeline.queries import add_bot_action
from storage.models.checklists import IncidentRunbook
from storage.models.incidents import Incident
from storage.models.timeline import EntryKind

USAGE = "`/incident runbook <url> [title]`"
MAX_URL = 2000
MAX_TITLE = 80


def parse_runbook(args: str) -> tuple[str, str | None]:
    """(url, title) from `<url> [title]`; Slack sends links as `<url>` or `<url|label>`."""
    words = args.strip()
    if not words:
        raise UserError(f"Which runbook? {USAGE}")
    first, _, rest = words.partition(" ")
    if first.startswith("<") and first.endswith(">"):
        first = first[1:-1].split("|", 1)[0]
    url = first.replace("&amp;", "&")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UserError(f"`{escape(url[:200])}` is not an http(s) link. {USAGE}")
    if len(url) > MAX_URL:
        raise UserError(f"That link is {len(url)} characters; keep it to {MAX_URL}.")
    title = rest.strip().replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return url, (title[:MAX_TITLE] or None)


async def add_runbook(
    rt: Runtime, incident: Incident, url: str, title: str | None, actor_id: str | None
) -> list[str]:
    """Link a runbook on the card (once per URL) and record it; return what failed.

    `actor_id` None: added by the bot (an alert's runbook_url annotation)."""
    async with rt.db.session() as session:
        if await runbook_exists(session, incident.id or 0, url):
            raise UserError("That runbook is already linked on the card.")
        session.add(
            IncidentRunbook(incident_id=incident.id or 0, url=url, title=title, added_by=actor_id)
        )
        who = f"<@{actor_id}>" if actor_id else "The alert"
        await add_bot_action(
            session,
            incident.id or 0,
            f"{who} linked a runbook: {title + ' ' if title else ''}{url}",
            actor_id=actor_id,
            kind=EntryKind.RUNBOOK,
        )
    return await refresh_card(rt, incident)
