"""Status, severity, resolve, reopen: each is recorded, shown on the card, said in the channel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.cadence.queries import start_clock, stop_clock
from bot.cadence.rules import interval_of
from bot.checklists.fix_verification import is_verified
from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.labels import incident_label
from bot.incidents.queries import get_incident, update_incident
from bot.response.card import refresh_card
from bot.slack.answers import tell_user
from bot.slack.blocks import sections
from bot.slack.durations import humanize
from bot.slack.mrkdwn import escape_keeping_mentions
from bot.slack.posting import broadcast_channel, post
from bot.slack.text import excerpt, unescape
from bot.timeline.queries import add_bot_action
from storage.models.incidents import OPEN_STATUSES, SEVERITIES, Incident
from storage.models.timeline import EntryKind
from storage.types import utcnow

# Statuses at or past mitigation: the first time one is reached, mitigated_at is stamped.
# Later domains told that an incident was just resolved (paging stops its escalations): each
# only wakes its own durable work, which reads the resolved status from the database.
ResolvedHook = Callable[[Runtime, Incident], None]
RESOLVED_HOOKS: list[ResolvedHook] = []

# Later domains told that an incident's severity changed (paging delivers pages held for quiet
# hours once it turns SEV1/SEV2): each stores what it does before waking its own workers.
SeverityHook = Callable[[Runtime, Incident], Awaitable[None]]
SEVERITY_HOOKS: list[SeverityHook] = []

# Later domains that ask the person who resolved something once the all-clear is out (the
# status page: resolve the public incident too?). Each answers for its own failures.
ResolvedByHook = Callable[[Runtime, Incident, str], Awaitable[None]]
RESOLVED_BY_HOOKS: list[ResolvedByHook] = []

MITIGATED_OR_LATER = ("mitigated", "monitoring", "resolved")


def parse_status(args: str) -> str:
    word = args.strip().lower()
    if not word:
        raise UserError(f"Which status? `/incident status <{'|'.join(OPEN_STATUSES)}>`.")
    if word == "resolved":
        raise UserError(
            "To resolve, use `/incident resolve [summary]`: it also sends the all-clear."
        )
    if word not in OPEN_STATUSES or " " in word:
        raise UserError(
            f"`{excerpt(unescape(args.strip()))}` is not a status. "
            f"Choose one of: {', '.join(f'`{s}`' for s in OPEN_STATUSES)}."
        )
    return word


def parse_severity(args: str) -> str:
    word = args.strip().lower()
    if word.isdigit():
        word = f"sev{word}"
    if word not in SEVERITIES:
        shown = excerpt(unescape(args.strip())) or "nothing"
        raise UserError(
            f"`{shown}` is not a severity. Choose one of: "
            f"{', '.join(f'`{s}`' for s in SEVERITIES)} (SEV1 is the worst)."
        )
    return word


async def set_status(rt: Runtime, incident: Incident, status: str, actor_id: str) -> list[str]:
    if incident.status == status:
        raise UserError(f"{incident_label(incident)} is already *{status}*.")
    now = utcnow()
    values: dict[str, object] = {"status": status}
    if status in MITIGATED_OR_LATER and incident.mitigated_at is None:
        values["mitigated_at"] = now
    async with rt.db.session() as session:
        updated = await update_incident(session, incident.id or 0, **values)
        await add_bot_action(
            session,
            updated.id or 0,
            f"<@{actor_id}> changed the status from {incident.status} to {status}",
            actor_id=actor_id,
            kind=EntryKind.STATUS_CHANGE,
            occurred_at=now,
        )
    return await _announce_change(
        rt, updated, f"<@{actor_id}> set the status to *{status}* (was {incident.status})."
    )


async def set_severity(rt: Runtime, incident: Incident, severity: str, actor_id: str) -> list[str]:
    if incident.severity == severity:
        raise UserError(f"{incident_label(incident)} is already *{severity.upper()}*.")
    async with rt.db.session() as session:
        updated = await update_incident(session, incident.id or 0, severity=severity)
        await add_bot_action(
            session,
            updated.id or 0,
            f"<@{actor_id}> changed the severity from {incident.severity.upper()} "
            f"to {severity.upper()}",
            actor_id=actor_id,
            kind=EntryKind.SEVERITY_CHANGE,
        )
    for hook in SEVERITY_HOOKS:
        await hook(rt, updated)
    return await _announce_change(
        rt,
        updated,
        f"<@{actor_id}> set the severity to *{severity.upper()}* "
        f"(was {incident.severity.upper()}).",
    )


async def resolve(rt: Runtime, incident: Incident, actor_id: str, summary: str) -> list[str]:
    """Resolve: stop the reminders, send the all-clear here and company-wide."""
    now = utcnow()
    async with rt.db.session() as session:
        current = await get_incident(session, incident.id or 0)
        if current is None or current.status == "resolved":
            raise UserError(
                f"{incident_label(incident)} is already resolved. `/incident reopen` if it is back."
            )
        updated = await update_incident(
            session,
            incident.id or 0,
            status="resolved",
            resolved_at=now,
            mitigated_at=current.mitigated_at or now,
            resolution_summary=summary or None,
        )
        updated = await stop_clock(session, updated.id or 0)
        await add_bot_action(
            session,
            updated.id or 0,
            f"<@{actor_id}> resolved the incident" + (f": {summary}" if summary else ""),
            actor_id=actor_id,
            kind=EntryKind.STATUS_CHANGE,
            occurred_at=now,
        )
    for hook in RESOLVED_HOOKS:
        hook(rt, updated)
    lasted = humanize((now - updated.declared_at).total_seconds())
    said = f"\n>{escape_keeping_mentions(summary)}" if summary else ""
    verified = await is_verified(rt, updated.id or 0)
    if not verified:
        said += "\n_Not yet verified: how do we know it is fixed?_"
    problems: list[str] = []
    if updated.channel_id:
        await post(
            rt,
            updated.channel_id,
            f"All clear: incident #{updated.id} is resolved.",
            sections(
                f":white_check_mark: *All clear: {incident_label(updated)} is resolved* "
                f"after {lasted}, by <@{actor_id}>.{said}\n"
                "Update reminders have stopped. Write it up with `/postmortem help`."
            ),
            problems=problems,
        )
    broadcast = broadcast_channel(rt, updated)
    if broadcast:
        await post(
            rt,
            broadcast,
            f"All clear: {incident_label(updated)} is resolved.",
            sections(
                f":white_check_mark: *All clear: {incident_label(updated)} is resolved* "
                f"after {lasted}.{said}"
            ),
            problems=problems,
        )
    for ask in RESOLVED_BY_HOOKS:
        await ask(rt, updated, actor_id)
    if not verified:
        await tell_user(
            rt,
            updated.commander_id,
            updated.channel_id,
            f"{incident_label(updated)} is resolved but not yet verified. When you know the fix "
            "worked, say how: `/incident verify <how we know it is fixed>` (for example, "
            "error rate back under 0.1% for 30 minutes on the dashboard).",
        )
    return problems + await refresh_card(rt, updated)


async def reopen(rt: Runtime, incident: Incident, actor_id: str) -> list[str]:
    """Reopen: back to investigating, and the reminders start again from now."""
    if incident.status != "resolved":
        raise UserError(
            f"{incident_label(incident)} is open ({incident.status}); nothing to reopen."
        )
    now = utcnow()
    interval = interval_of(incident.update_interval_seconds, rt.settings.update_interval_seconds)
    async with rt.db.session() as session:
        updated = await update_incident(
            session,
            incident.id or 0,
            status="investigating",
            resolved_at=None,
            resolution_summary=None,
        )
        updated = await start_clock(session, updated.id or 0, now=now, interval_seconds=interval)
        await add_bot_action(
            session,
            updated.id or 0,
            f"<@{actor_id}> reopened the incident",
            actor_id=actor_id,
            kind=EntryKind.STATUS_CHANGE,
            occurred_at=now,
        )
    problems: list[str] = []
    text = (
        f":rotating_light: <@{actor_id}> reopened {incident_label(updated)}. "
        f"Status: *investigating*. Next status update due in {humanize(interval)}."
    )
    if updated.channel_id:
        await post(rt, updated.channel_id, text, sections(text), problems=problems)
    broadcast = broadcast_channel(rt, updated)
    if broadcast:
        where = f" War room: <#{updated.channel_id}>." if updated.channel_id else ""
        await post(rt, broadcast, text, sections(text + where), problems=problems)
    return problems + await refresh_card(rt, updated)


async def _announce_change(rt: Runtime, incident: Incident, text: str) -> list[str]:
    problems: list[str] = []
    if incident.channel_id:
        await post(rt, incident.channel_id, text, sections(text), problems=problems)
    return problems + await refresh_card(rt, incident)
