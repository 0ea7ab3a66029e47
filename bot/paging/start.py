"""`/incident page <service>` for a service with an escalation policy: the escalation stored
(with its timeline entry) before anyone is paged, then the escalator woken."""

from __future__ import annotations

from bot.alerts.paging import take_urgent
from bot.core.runtime import Runtime
from bot.incidents.services import service_named
from bot.oncall.schedules import oncall_config
from bot.slack.text import escape, unescape
from bot.timeline.queries import add_bot_action
from storage.models.incidents import Incident
from storage.models.paging import PageEscalation
from storage.models.timeline import EntryKind
from storage.types import utcnow

MAX_MESSAGE = 500


async def page_by_policy(rt: Runtime, incident: Incident, args: str, user_id: str) -> str | None:
    """The answer to `/incident page`, or None when the service has no policy (PagerDuty's)."""
    text, urgent = take_urgent(unescape(args).strip())
    word, _, rest = text.partition(" ")
    service = service_named(rt, word) if word else None
    if service is None or service.escalation_policy is None:
        return None
    policy = oncall_config(rt).policy(service.escalation_policy)
    if policy is None:  # the loader checks this; a policy removed while running is refused
        return f"Service `{escape(service.name)}` names no escalation policy I know."
    message = rest.strip()[:MAX_MESSAGE]
    now = utcnow()
    async with rt.db.session() as session:
        session.add(
            PageEscalation(
                incident_id=incident.id or 0,
                service=service.name,
                policy=policy.name,
                message=message,
                requested_by=user_id,
                due_at=now,
                urgent=urgent,
            )
        )
        said = f": {escape(message)}" if message else ""
        await add_bot_action(
            session,
            incident.id or 0,
            f"<@{user_id}> paged {escape(service.name)} by escalation policy "
            f"{escape(policy.name)}{' (urgent)' if urgent else ''}{said}",
            actor_id=user_id,
            kind=EntryKind.PAGE,
        )
    from bot.paging.escalator import Escalator

    escalator = Escalator.of(rt)
    if escalator is not None:
        escalator.wake()
    levels = len(policy.levels)
    return (
        f"Paging *{escape(service.name)}* by escalation policy *{escape(policy.name)}* "
        f"{'(urgent: past quiet hours) ' if urgent else ''}"
        f"({levels} level{'' if levels == 1 else 's'}): I'll say here who is paged and who "
        "acknowledges."
    )
