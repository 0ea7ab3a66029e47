"""`/incident handoff`: the commander hands over, and the record briefs the next person."""

from __future__ import annotations

from datetime import datetime

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.labels import incident_label
from bot.response.roles import assign_role, one_person_doing_both
from bot.slack.blocks import sections
from bot.slack.durations import humanize
from bot.slack.mrkdwn import escape_keeping_mentions, shorten
from bot.slack.posting import post
from bot.slack.text import mention
from bot.timeline.status_text import open_questions_in
from bot.timeline.summaries import latest_entry_of_kind, recent_entries
from storage.models.incidents import Incident
from storage.models.timeline import EntryKind, TimelineEntry
from storage.types import utcnow

# Entries the bot writes about itself; "what has been tried" is everything else.
BOT_KINDS = (
    EntryKind.BOT_ACTION,
    EntryKind.PROMPT,
    EntryKind.SNOOZE,
    EntryKind.STATUS_UPDATE,
    EntryKind.ROLE_CHANGE,
    EntryKind.STATUS_CHANGE,
    EntryKind.SEVERITY_CHANGE,
    EntryKind.HANDOFF,
    EntryKind.CADENCE_CHANGE,
)
TRIED_ENTRIES = 6
QUESTION_SCAN = 40
QUESTIONS_SHOWN = 3


async def hand_off(rt: Runtime, incident: Incident, new_commander: str, actor_id: str) -> list[str]:
    if actor_id != incident.commander_id:
        raise UserError(
            f"Only the commander ({mention(incident.commander_id)}) can hand off. To name a new "
            "commander without them, use `/incident commander @someone`."
        )
    if new_commander == actor_id:
        raise UserError("You are already the commander; hand off to someone else.")
    change = await assign_role(
        rt, incident, "commander", new_commander, actor_id, kind=EntryKind.HANDOFF
    )
    async with rt.db.session() as session:
        last_update = await latest_entry_of_kind(session, incident.id or 0, EntryKind.STATUS_UPDATE)
        human = await recent_entries(
            session, incident.id or 0, exclude_kinds=BOT_KINDS, limit=QUESTION_SCAN
        )
    text = handoff_summary(change.incident, actor_id, last_update, human, utcnow())
    if change.incident.channel_id:
        await post(
            rt,
            change.incident.channel_id,
            f"Handoff: <@{new_commander}> is now the commander of incident #{incident.id}.",
            sections(text),
            problems=change.problems,
        )
    return change.problems


def handoff_summary(
    incident: Incident,
    previous: str,
    last_update: TimelineEntry | None,
    human_entries: list[TimelineEntry],
    now: datetime,
) -> str:
    """The briefing: status, last update, what has been tried, open questions (all escaped)."""
    age = humanize((now - incident.declared_at).total_seconds())
    lines = [
        f":handshake: *Handoff:* <@{previous}> handed command of {incident_label(incident)} "
        f"to <@{incident.commander_id}>.",
        f"*Status:* {incident.status} · {incident.severity.upper()} · open for {age} · "
        f"communicator {mention(incident.communicator_id)}",
    ]
    if last_update is not None:
        ago = humanize((now - last_update.occurred_at).total_seconds())
        lines.append(
            f"*Last update* ({ago} ago, by {mention(last_update.author_id)}):\n>"
            + escape_keeping_mentions(shorten(last_update.text, 500))
        )
    else:
        lines.append("*Last update:* none yet. Post one soon: `/incident update <text>`.")
    tried = human_entries[-TRIED_ENTRIES:]
    if tried:
        lines.append("*What has been tried and said lately:*")
        lines += [_entry_line(e) for e in tried]
    else:
        lines.append("*What has been tried:* nothing is recorded yet.")
    questions = _open_questions(last_update, human_entries)
    if questions:
        lines.append("*Open questions:*")
        lines += [f"• {escape_keeping_mentions(shorten(q, 200))}" for q in questions]
    else:
        lines.append("*Open questions:* none recorded.")
    suggestion = one_person_doing_both(incident)
    if suggestion:
        lines.append(suggestion)
    return "\n".join(lines)


def _entry_line(entry: TimelineEntry) -> str:
    when = entry.occurred_at.strftime("%H:%M")
    who = f"{mention(entry.author_id)}: " if entry.author_id else ""
    return f"• {when} {who}{escape_keeping_mentions(shorten(entry.text, 200))}"


def _open_questions(last_update: TimelineEntry | None, entries: list[TimelineEntry]) -> list[str]:
    questions: list[str] = []
    unknown = open_questions_in(last_update.text) if last_update is not None else None
    if unknown:
        questions.append(unknown)
    asked = [e.text for e in entries if "?" in e.text]
    questions += asked[-QUESTIONS_SHOWN:]
    return questions
