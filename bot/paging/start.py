"""`/incident page <service>` for a service with an escalation policy, and an alert becoming
an incident (auto-declared, or "Page on-call" on its triage card): the escalation stored (with
its timeline entry) before anyone is paged, then the escalator woken."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.alerts.declare import AlertPage
from bot.alerts.paging import take_urgent
from bot.core.runtime import Runtime
from bot.incidents.services import service_named
from bot.oncall.schedules import oncall_config
from bot.paging import queries
from bot.slack.text import escape, unescape
from bot.timeline.queries import add_bot_action
from storage.models.incidents import Incident
from storage.models.paging import PageEscalation
from storage.models.timeline import EntryKind
from storage.types import utcnow

MAX_MESSAGE = 500
# An alert's page is stored with its incident, due this long after, and brought forward once
# the war room is open (so the page names it); a declarer that dies in between leaves the page
# to any replica's escalator then: late, never lost.
WAR_ROOM_GRACE = timedelta(seconds=30)


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


async def page_from_alert(
    rt: Runtime, session: AsyncSession, incident: Incident, page: AlertPage
) -> Callable[[], Awaitable[None]] | None:
    """ALERT_PAGE_HOOKS: in the transaction recording the incident from the alert, its
    service's escalation stored (a `critical` alert urgent, `warning`/`info` low urgency)."""
    service = service_named(rt, page.service)
    policy = (
        oncall_config(rt).policy(service.escalation_policy)
        if service is not None and service.escalation_policy
        else None
    )
    if service is None or policy is None:
        return None
    esc = PageEscalation(
        incident_id=incident.id or 0,
        service=service.name,
        policy=policy.name,
        message="",
        requested_by=page.requested_by,
        due_at=utcnow() + WAR_ROOM_GRACE,
        urgent=page.urgency == "high",
        low_urgency=page.urgency == "low",
    )
    session.add(esc)
    await session.flush()
    how = {"high": " (critical: urgent)", "low": " (low urgency: quiet hours apply)"}
    await add_bot_action(
        session,
        incident.id or 0,
        f"<@{page.requested_by}> paged {escape(service.name)} by escalation policy "
        f"{escape(policy.name)} from the alert{how.get(page.urgency or '', '')}",
        actor_id=page.requested_by,
        kind=EntryKind.PAGE,
    )
    escalation_id = esc.id

    async def now() -> None:
        async with rt.db.session() as session:
            await queries.bring_forward(session, escalation_id or 0, utcnow())
        _wake(rt)

    return now


def _wake(rt: Runtime) -> None:
    from bot.paging.escalator import Escalator

    escalator = Escalator.of(rt)
    if escalator is not None:
        escalator.wake()
