"""How we know it is fixed: `/incident verify <how>` is a timeline entry, shown on the card.

Resolving never waits for it (no form forced at 3am); an incident resolved without one says
"not yet verified" in the all-clear, its commander is asked privately, and the draft flags it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.checklists.card_refresh import refresh_card
from bot.checklists.queries import latest_verification
from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.slack.context import CommandContext
from bot.slack.mrkdwn import escape_keeping_mentions
from bot.slack.posting import post
from bot.timeline.queries import add_bot_action
from storage.models.incidents import Incident
from storage.models.timeline import EntryKind

MAX_VERIFICATION = 1000
WATCH_FLAG = "--watch"
# `/incident verify --watch [window] [name or promql]`: a later domain (bot.metrics) watches
# the expression and records the verification itself (`record_observed_verification`). It
# returns the answer to the person; none installed: the flag is refused.
WatchHook = Callable[[CommandContext, Incident, str], Awaitable[str]]
WATCH_HOOKS: list[WatchHook] = []
USAGE = (
    "`/incident verify <how we know it is fixed>`, for example: "
    "`/incident verify error rate back under 0.1% for 30 minutes on the dashboard`"
)


def parse_verification(text: str) -> str:
    how = text.strip()
    if not how:
        raise UserError(f"How do you know it is fixed? {USAGE}")
    if len(how) > MAX_VERIFICATION:
        raise UserError(
            f"That is {len(how)} characters; keep the verification to {MAX_VERIFICATION}. "
            "Nothing was recorded."
        )
    return how


async def record_verification(
    rt: Runtime, incident: Incident, actor_id: str, how: str
) -> list[str]:
    """Record it, say it in the war room, show it on the card; return what failed."""
    async with rt.db.session() as session:
        await add_bot_action(
            session,
            incident.id or 0,
            f"<@{actor_id}> verified the fix: {how}",
            actor_id=actor_id,
            kind=EntryKind.VERIFICATION,
        )
    problems: list[str] = []
    if incident.channel_id:
        text = f":white_check_mark: <@{actor_id}> verified the fix: {escape_keeping_mentions(how)}"
        await post(
            rt,
            incident.channel_id,
            text,
            [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
            problems=problems,
        )
    return problems + await refresh_card(rt, incident)


async def record_observed_verification(rt: Runtime, incident: Incident, text: str) -> list[str]:
    """A verification the bot observed (`verified by Prometheus: ...`): on the timeline, in
    the war room and on the card, exactly as a typed one."""
    async with rt.db.session() as session:
        await add_bot_action(
            session, incident.id or 0, text, actor_id=rt.bot_user_id, kind=EntryKind.VERIFICATION
        )
    problems: list[str] = []
    if incident.channel_id:
        shown = f":white_check_mark: {escape_keeping_mentions(text)}"
        await post(
            rt,
            incident.channel_id,
            shown,
            [{"type": "section", "text": {"type": "mrkdwn", "text": shown}}],
            problems=problems,
        )
    return problems + await refresh_card(rt, incident)


async def is_verified(rt: Runtime, incident_id: int) -> bool:
    async with rt.db.session() as session:
        return await latest_verification(session, incident_id) is not None
