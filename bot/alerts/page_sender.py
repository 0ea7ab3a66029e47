"""Sending pages: PagerDuty Events API v2 events, from the database, exactly once.

Each event is claimed (bot.alerts.page_queries.claim_event) before it is sent. PagerDuty
answers 202 when it took the event; 429 (throttled) and 5xx or no answer are retried with
backoff (Retry-After when given); any other answer is a refusal. Refusals, and giving up,
are said in the war room: a page never fails silently. Resolving an incident queues a
resolve for each of its pages.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from bot.alerts.config import routing_key
from bot.alerts.page_queries import (
    claim_event,
    due_events,
    pages_to_resolve,
    queue_resolve,
    sent_pages,
    settle_event,
)
from bot.alerts.transactions import alert_session
from bot.core.runtime import Runtime
from bot.core.worker import Worker
from bot.incidents.queries import get_incident, update_incident
from bot.response.card import refresh_card
from bot.slack.blocks import fit, section
from bot.slack.posting import post
from bot.slack.text import escape
from bot.timeline.queries import add_bot_action
from storage import StorageUnavailable
from storage.models.alerts import PageEvent
from storage.models.incidents import Incident
from storage.models.timeline import EntryKind
from storage.types import utcnow

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
POLL_JOB_ID = "pages-poll"
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 6  # about a minute of retries (1, 2, 4, 8, 16 s) before giving up
MAX_BACKOFF_SECONDS = 30.0
TIMEOUT = aiohttp.ClientTimeout(total=10)


class PageSender(Worker):
    kind = POLL_JOB_ID
    name = "page sender"

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt)
        self._session: aiohttp.ClientSession | None = None

    def interval_seconds(self) -> float:
        return POLL_SECONDS

    async def start(self, rt: Runtime) -> None:
        self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        await super().start(rt)

    async def stop(self, rt: Runtime) -> None:
        await super().stop(rt)
        if self._session is not None:
            await self._session.close()

    async def run_once(self, now: datetime) -> None:
        """Send what is due (a page asked for during a run is sent by the run after it)."""
        async with alert_session(self.rt) as session:
            opened = await pages_to_resolve(session)
        for page in opened:
            async with alert_session(self.rt) as session:
                await queue_resolve(session, page)
        async with alert_session(self.rt) as session:
            due = await due_events(session)
        await asyncio.gather(*(self._send_one(event_id) for event_id in due))

    async def _send_one(self, event_id: int) -> None:
        try:
            async with alert_session(self.rt) as session:
                event = await claim_event(session, event_id, self.instance, LEASE)
            if event is None:
                return
            await self._send(event)
        except StorageUnavailable:
            return  # the lease runs out and the event is due again
        except Exception:
            log.exception("page event %s failed", event_id)

    async def _send(self, event: PageEvent) -> None:
        async with alert_session(self.rt) as session:
            incident = await get_incident(session, event.incident_id)
        assert incident is not None
        key = routing_key(self.rt.settings, event.service)
        if key is None:
            await self._give_up(event, incident, "no routing key is configured for it any more")
            return
        body = _event_body(self.rt, event, incident, key)
        status, retry_after, detail = await self._post(body)
        if status == 202:
            await self._sent(event, incident)
        elif status == 429 or status >= 500 or status == 0:
            if event.attempts >= MAX_ATTEMPTS:
                await self._give_up(event, incident, f"PagerDuty did not take it ({detail})")
                return
            backoff = retry_after or min(MAX_BACKOFF_SECONDS, 2.0 ** (event.attempts - 1))
            async with alert_session(self.rt) as session:
                await settle_event(
                    session,
                    event.id or 0,
                    self.instance,
                    state="pending",
                    error=detail,
                    retry_at=utcnow() + timedelta(seconds=backoff),
                )
            log.warning("page %s: %s; retrying in %.0f s", event.id, detail, backoff)
            if event.attempts == 1 and event.event_action == "trigger" and incident.channel_id:
                text = (
                    f":hourglass: PagerDuty has not taken the page to *{escape(event.service)}* "
                    f"yet ({escape(detail)}). I keep trying."
                )
                await post(self.rt, incident.channel_id, text, [section(fit(text))])
        else:
            await self._give_up(event, incident, f"PagerDuty refused it ({detail})")

    async def _post(self, body: dict[str, Any]) -> tuple[int, float | None, str]:
        """(HTTP status or 0 for no answer, Retry-After seconds, a short description)."""
        assert self._session is not None
        url = self.rt.settings.pagerduty_events_url
        try:
            async with self._session.post(url, json=body) as resp:
                text = (await resp.text())[:300]
                retry_after = _seconds(resp.headers.get("Retry-After"))
                return resp.status, retry_after, f"HTTP {resp.status}{_message(text)}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return 0, None, f"no answer: {type(exc).__name__}"

    async def _sent(self, event: PageEvent, incident: Incident) -> None:
        async with alert_session(self.rt) as session:
            if not await settle_event(session, event.id or 0, self.instance, state="sent"):
                return
            if event.event_action == "resolve":
                await add_bot_action(
                    session,
                    incident.id or 0,
                    f"Page to {event.service} resolved in PagerDuty",
                    kind=EntryKind.PAGE,
                )
                return
            sent = await sent_pages(session, incident.id or 0)
            paged = _paged_line(sent)
            incident = await update_incident(session, incident.id or 0, paged=paged)
        if incident.channel_id:
            who = f" (asked by <@{event.requested_by}>)" if event.requested_by else ""
            text = f":pager: Paged *{escape(event.service)}* through PagerDuty{who}."
            await post(self.rt, incident.channel_id, text, [section(fit(text))])
            await refresh_card(self.rt, incident, topic=False)

    async def _give_up(self, event: PageEvent, incident: Incident, why: str) -> None:
        async with alert_session(self.rt) as session:
            if not await settle_event(
                session, event.id or 0, self.instance, state="failed", error=why
            ):
                return
            await add_bot_action(
                session,
                incident.id or 0,
                f"Page to {event.service} ({event.event_action}) failed: {why}",
                kind=EntryKind.PAGE,
            )
        log.warning("page %s to %s failed: %s", event.id, event.service, why)
        if incident.channel_id:
            what = "page" if event.event_action == "trigger" else "resolve of the page"
            text = (
                f":x: The {what} to *{escape(event.service)}* did not go through: "
                f"{escape(why)}. Call them another way."
            )
            await post(self.rt, incident.channel_id, text, [section(fit(text))])


def _event_body(rt: Runtime, event: PageEvent, incident: Incident, key: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "routing_key": key,
        "event_action": event.event_action,
        "dedup_key": event.dedup_key,
    }
    if event.event_action != "trigger":
        return body
    body["payload"] = {
        "summary": event.summary[:1024],
        "source": "sisyphus",
        "severity": event.severity,
        "custom_details": {"incident": incident.id, "requested_by": event.requested_by},
    }
    body["client"] = "Sisyphus"
    if incident.channel_id:
        base = (rt.team_url or "https://slack.com/").rstrip("/")
        href = (
            f"{base}/archives/{incident.channel_id}"
            if rt.team_url
            else f"https://slack.com/app_redirect?channel={incident.channel_id}"
        )
        name = f"#{incident.channel_name}" if incident.channel_name else "the war room"
        body["links"] = [{"href": href, "text": f"War room {name}"}]
        body["client_url"] = href
    return body


def _paged_line(sent: list[PageEvent]) -> str:
    seen: dict[str, str] = {}
    for page in sent:
        at = page.sent_at.strftime("%H:%M UTC") if page.sent_at else ""
        seen.setdefault(page.service, at)
    return "*Paged:* " + ", ".join(f"{escape(s)} ({at})" for s, at in seen.items())


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, min(float(value), 300.0)) if value else None
    except ValueError:
        return None


def _message(text: str) -> str:
    try:
        body = json.loads(text)
    except ValueError:
        return ""
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        errors = body.get("errors")
        extra = f": {'; '.join(map(str, errors))[:200]}" if isinstance(errors, list) else ""
        return f" {body['message'][:100]}{extra}"
    return ""
