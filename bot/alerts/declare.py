"""Opening or joining an incident from an alert group, exactly once per group.

The link from the group to its incident is written in the incident's own transaction and
only if the group has none (bot.alerts.queries.link_incident), so the worker's
auto-declaration, a person's "Declare incident" and "Add to incident" can race and still
give one incident.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.alerts.queries import AlreadyLinked, GroupState, bump_group, link_incident, load_group
from bot.alerts.transactions import alert_session
from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.labels import incident_label
from bot.incidents.queries import get_incident
from bot.incidents.services import service_named
from bot.response.declare import DeclareOutcome, DeclareRequest, Tell, open_war_room, record
from bot.response.declare_args import DeclareArgs
from bot.slack.blocks import section
from bot.slack.posting import post
from bot.slack.rate_limits import count_this_minute
from bot.slack.text import escape
from storage.models.incidents import Incident

BOT_DECLARER = "USISYPHUS"  # when the bot's own user id is not known (auth.test failed)

# Run once an alert group has joined an open incident ("Add to incident"), with the incident's
# id (bot.metrics reads the group's expression). A group that opens an incident needs none:
# the response's DECLARED_HOOKS run then, the group already linked.
JoinedHook = Callable[[Runtime, int], Awaitable[None]]
JOINED_HOOKS: list[JoinedHook] = []


@dataclass(frozen=True)
class AlertPage:
    """An alert group paging its service's on-call as it becomes an incident."""

    service: str
    urgency: str | None  # "high" (critical), "low" (warning, info), None: by the severity
    requested_by: str


# Called in the transaction that records the incident and links its alert group (an
# auto-declared alert, or "Page on-call" on its card), so the page is stored once with the
# incident (a second replica's declare rolls back, page and all); each may return what to run
# once the war room is open. Paging (a later domain) stores the escalation here.
AlertPageHook = Callable[
    [Runtime, AsyncSession, Incident, AlertPage], Awaitable[Callable[[], Awaitable[None]] | None]
]
ALERT_PAGE_HOOKS: list[AlertPageHook] = []
URGENCY = {"critical": "high", "warning": "low", "info": "low"}


# ALERT_DECLARES_PER_MINUTE: over it, the worker puts the group on the storm card (storm.py)
# instead of declaring it.
STORM_WHO = "alerts"  # the rate_count row the declares from alerts are counted under
STORM_KIND = "alert_declare"


class DeclareLimit:
    """ALERT_DECLARES_PER_MINUTE, counted across replicas; once this minute is over the limit,
    the rest of the minute is known to be without asking the database again."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._full_minute = -1

    async def admits(self) -> bool:
        """Count one alert-driven declare; False once this minute's limit is reached."""
        limit = self.rt.settings.alert_declares_per_minute
        if limit <= 0:
            return True
        if self._full_minute == int(time.time() // 60):
            return False
        if await count_this_minute(self.rt, STORM_WHO, STORM_KIND) <= limit:
            return True
        self._full_minute = int(time.time() // 60)
        return False


def alert_service(rt: Runtime, state: GroupState) -> str | None:
    """The service an alert is about: its `service` label, else ALERT_DEFAULT_SERVICE."""
    return state.labels.get("service") or rt.settings.alert_default_service or None


def pages_by_policy(rt: Runtime, state: GroupState) -> str | None:
    """The alert's service, if it names an escalation policy (so paging can page it)."""
    name = alert_service(rt, state)
    service = service_named(rt, name) if name else None
    if service is None or service.escalation_policy is None or not ALERT_PAGE_HOOKS:
        return None
    return service.name


def alert_page(rt: Runtime, state: GroupState, requested_by: str) -> AlertPage | None:
    service = pages_by_policy(rt, state)
    if service is None:
        return None
    urgency = URGENCY.get((state.labels.get("severity") or "").lower())
    return AlertPage(service, urgency, requested_by)


async def _declare(
    rt: Runtime,
    state: GroupState,
    user_id: str,
    channel_id: str | None,
    *,
    commander_id: str | None,
    tell: Tell | None = None,
    page: AlertPage | None = None,
) -> DeclareOutcome:
    """The incident, the group's link to it and its page (if any) in one transaction
    (AlreadyLinked rolls them back), then its war room, read top to bottom here."""
    group = state.group
    req = DeclareRequest(
        args=DeclareArgs(
            title=group.title, severity=group.severity, service=state.labels.get("service")
        ),
        user_id=user_id,
        channel_id=channel_id,
        description=group.description,
        commander_id=commander_id,
        tell=tell,
    )
    async with rt.db.session() as session:
        incident = await record(session, rt, req)
        await link_incident(session, group.id or 0, incident.id or 0)
        after = (
            [await hook(rt, session, incident, page) for hook in ALERT_PAGE_HOOKS] if page else []
        )
    outcome = await open_war_room(rt, incident, req)
    for then in after:
        if then is not None:
            await then()  # the war room is open: page now (stored due shortly anyway)
    return outcome


async def declare_from_alert(rt: Runtime, state: GroupState) -> DeclareOutcome | None:
    """The bot declares (an alert the settings say to declare at once); nobody commands yet.
    None if the group already has an incident."""
    declarer = rt.bot_user_id or BOT_DECLARER
    page = alert_page(rt, state, declarer)
    try:
        return await _declare(rt, state, declarer, None, commander_id="", page=page)
    except AlreadyLinked:
        return None


async def declare_by_person(
    rt: Runtime,
    group_id: int,
    user_id: str,
    channel_id: str | None,
    tell: Tell,
    *,
    page_oncall: bool = False,
) -> DeclareOutcome:
    """ "Declare incident" on a triage card: the person who pressed it declares and commands,
    and is told by `tell` (as soon as the war room exists; see bot.response.declare).
    "Page on-call" (`page_oncall`) does the same and pages the service's escalation policy."""
    async with alert_session(rt) as session:
        state = await load_group(session, group_id)
    if state is None:
        raise UserError("I can't find that alert any more.")
    if state.group.incident_id is not None:
        more = ""
        if page_oncall:
            service = alert_service(rt, state)
            more = f": page from its war room with `/incident page {escape(service or '')}`"
        raise UserError(f"This alert is already incident #{state.group.incident_id}{more}.")
    page = alert_page(rt, state, user_id) if page_oncall else None
    if page_oncall and page is None:
        service = alert_service(rt, state)
        raise UserError(
            f"Service `{escape(service or 'none')}` has no escalation policy to page: declare "
            "the incident and page through `/incident page`."
        )
    try:
        return await _declare(
            rt, state, user_id, channel_id, commander_id=None, tell=tell, page=page
        )
    except AlreadyLinked as exc:
        raise UserError(
            f"Someone was quicker: this alert is incident #{exc.incident_id}."
        ) from None


async def add_to_incident(rt: Runtime, group_id: int, incident_id: int, user_id: str) -> str:
    """ "Add to incident #n": the group joins an open incident; its alerts go on its timeline."""
    async with alert_session(rt) as session:
        incident = await get_incident(session, incident_id)
        state = await load_group(session, group_id)
        if incident is None or state is None:
            raise UserError("I can't find that alert or incident any more.")
        if incident.status == "resolved":
            raise UserError(f"{incident_label(incident)} is resolved; declare a new one instead.")
        try:
            await link_incident(session, group_id, incident_id)
        except AlreadyLinked as exc:
            raise UserError(f"This alert is already incident #{exc.incident_id}.") from None
        await bump_group(session, group_id)
    for hook in JOINED_HOOKS:
        await hook(rt, incident_id)
    if incident.channel_id:
        text = (
            f":rotating_light: <@{user_id}> added the alert *{escape(state.group.title)}* to "
            "this incident; its alerts are on the timeline."
        )
        await post(rt, incident.channel_id, text, [section(text)])
    where = f" (<#{incident.channel_id}>)" if incident.channel_id else ""
    return f"The alert is now part of {incident_label(incident)}{where}."
