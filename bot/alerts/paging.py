"""`/incident page [service] [message]`: what to page, and storing the page before it is sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.alerts.config import DEFAULT_SERVICE, PAGE_SEVERITY, pagerduty_services
from bot.alerts.page_queries import add_page
from bot.alerts.transactions import alert_session
from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.core.settings import Settings
from bot.slack.text import escape, unescape
from bot.timeline.queries import add_bot_action
from storage.models.incidents import Incident
from storage.models.timeline import EntryKind

USAGE = "/incident page [--urgent] <service> [message]"

# `/incident page` asks these first (paging, a later domain, pages services with an escalation
# policy itself): (runtime, incident, the arguments, who) -> the answer, or None to leave the
# page to PagerDuty.
PageHook = Callable[[Runtime, Incident, str, str], Awaitable[str | None]]
PAGE_HOOKS: list[PageHook] = []


URGENT = "--urgent"


@dataclass(frozen=True)
class PageRequest:
    service: str
    message: str
    urgent: bool = False  # `--urgent`: PagerDuty severity critical; past quiet hours (paging)


def take_urgent(text: str) -> tuple[str, bool]:
    """`--urgent` before the service or right after it: the rest, and whether it was there."""
    words = text.split(" ")
    for index in (0, 1):
        if len(words) > index and words[index].lower() == URGENT:
            return " ".join(words[:index] + words[index + 1 :]).strip(), True
    return text, False


def parse_page(args: str, settings: Settings) -> PageRequest:
    services = pagerduty_services(settings)
    default = settings.pagerduty_routing_key is not None
    if not services and not default:
        raise UserError(
            "Paging is not set up: give the service an `escalation_policy` in CONFIG_FILE, "
            "or configure PAGERDUTY_SERVICES (name=routingkey,...) or PAGERDUTY_ROUTING_KEY."
        )
    text, urgent = take_urgent(unescape(args).strip())
    word, _, rest = text.partition(" ")
    if word.lower() in services:
        return PageRequest(word.lower(), rest.strip(), urgent)
    if default:
        return PageRequest(DEFAULT_SERVICE, text, urgent)
    known = ", ".join(f"`{escape(s)}`" for s in sorted(services))
    if not word:
        raise UserError(f"Which service? `{USAGE}`. Configured: {known}.")
    raise UserError(f"I can't page `{escape(word[:60])}`: it is not configured. Services: {known}.")


def dedup_key(incident: Incident, service: str) -> str:
    return f"sisyphus-{incident.id}-{service}"


def page_summary(incident: Incident, message: str) -> str:
    summary = f"[{incident.severity.upper()}] Incident #{incident.id}: {incident.title}"
    return f"{summary} — {message}" if message else summary


async def store_page(rt: Runtime, incident: Incident, req: PageRequest, user_id: str) -> int:
    """Record the page and its timeline entry; the sender sends it from there."""
    async with alert_session(rt) as session:
        event = await add_page(
            session,
            incident_id=incident.id or 0,
            service=req.service,
            action="trigger",
            dedup_key=dedup_key(incident, req.service),
            summary=page_summary(incident, req.message),
            severity="critical" if req.urgent else PAGE_SEVERITY.get(incident.severity, "error"),
            requested_by=user_id,
        )
        said = f": {req.message}" if req.message else ""
        await add_bot_action(
            session,
            incident.id or 0,
            f"<@{user_id}> paged {req.service} through PagerDuty{said}",
            actor_id=user_id,
            kind=EntryKind.PAGE,
        )
    return event.id or 0
