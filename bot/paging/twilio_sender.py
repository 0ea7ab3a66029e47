"""Sending pages by SMS and voice call: each stored delivery (bot/paging/deliveries.py) claimed
once across replicas, then sent through Twilio (bot/paging/twilio.py) and settled.

Woken when the escalator stores deliveries, and run every CHECK_SECONDS (a replica missing the
wake, or one taking over an expired lease, finds them due). Twilio answering 429 or 5xx, or
unreachable, is tried again with a backoff for up to RETRY_FOR. A failure is recorded on the row,
on the timeline and in the war room, without the number; the person's other ways (the Slack DM
first of all) go regardless. The number is read from the on-call file at the moment of
sending, never stored, and logged only masked.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import aiohttp

from bot.core.runtime import Runtime
from bot.core.worker import Worker
from bot.incidents.queries import get_incident
from bot.oncall.people import slack_ids
from bot.oncall.schedules import oncall_config
from bot.paging import deliveries, twilio
from bot.slack.client import slack_error_text
from bot.slack.text import escape
from bot.timeline.queries import add_bot_action
from storage import StorageUnavailable
from storage.models.incidents import Incident
from storage.models.paging import PageDelivery, PageEscalation
from storage.models.timeline import EntryKind
from storage.types import utcnow

log = logging.getLogger(__name__)

JOB_ID = "paging-twilio"
CHECK_SECONDS = 5.0
LEASE = timedelta(minutes=1)
# Twilio answering 429 or 5xx, or not reachable: tried again, waiting about as long as the
# delivery has already waited (2 s, 4 s, 8 s... at most a minute, or 429's Retry-After), for
# up to RETRY_FOR after it was stored; then it is a failure, said as a refusal is.
RETRY_FOR = timedelta(minutes=10)
RETRY_MIN_SECONDS = 2.0
RETRY_MAX_SECONDS = 60.0
WAY_NAMES = {"slack": "Slack", "sms": "SMS", "call": "call"}


async def phone_of(rt: Runtime, user_id: str) -> str | None:
    """The person's number in `oncall.people`: under their user ID, or under an email that
    Slack knows as them."""
    people = oncall_config(rt).people
    person = people.get(user_id)
    if person is not None and person.phone:
        return person.phone
    emails = [m for m, p in people.items() if "@" in m and p.phone]
    if emails:
        ids = await slack_ids(rt, emails)
        for member in emails:
            if ids.get(member) == user_id:
                return people[member].phone
    return None


class TwilioSender(Worker):
    kind = JOB_ID
    name = "twilio page sender"

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt)
        self._http: aiohttp.ClientSession | None = None

    def interval_seconds(self) -> float:
        return CHECK_SECONDS

    async def start(self, rt: Runtime) -> None:
        self._http = aiohttp.ClientSession(timeout=twilio.TIMEOUT)
        await super().start(rt)

    async def stop(self, rt: Runtime) -> None:
        await super().stop(rt)
        if self._http is not None:
            await self._http.close()

    async def run_once(self, now: datetime) -> None:
        async with self.rt.db.session() as session:
            due = await deliveries.due_deliveries(session, now)
        await asyncio.gather(*(self._one(d, now) for d in due))

    async def _one(self, delivery: PageDelivery, now: datetime) -> None:
        try:
            async with self.rt.db.session() as session:
                won = await deliveries.claim_delivery(
                    session, delivery.id or 0, self.instance, now, LEASE
                )
            if won and not self.stopping:
                await self._send(delivery)
        except StorageUnavailable:
            return  # the lease runs out and the delivery is due again
        except Exception:
            log.exception("page delivery %s failed", delivery.id)

    async def _send(self, delivery: PageDelivery) -> None:
        async with self.rt.db.session() as session:
            esc = await session.get(PageEscalation, delivery.escalation_id)
            incident = await get_incident(session, esc.incident_id) if esc else None
        if esc is None or incident is None:
            return
        way = WAY_NAMES.get(delivery.way, delivery.way)
        settings = self.rt.settings
        number = await phone_of(self.rt, delivery.user_id)
        if number is None:
            sent = twilio.Sent(error="no phone number in the on-call file")
        elif settings.twilio_unset() or self._http is None:
            sent = twilio.Sent(error="Twilio is not configured (TWILIO_* settings)")
        else:
            sent = await self._post(delivery, number, incident, esc)
        if sent.error is not None and sent.retryable and await self._retry(delivery, sent):
            return
        async with self.rt.db.session() as session:
            mine = await deliveries.settle(
                session, delivery.id or 0, self.instance, utcnow(), sent.sid, sent.error
            )
            if not mine:
                return
            if sent.error is None:
                said = f"Paged <@{delivery.user_id}> by {way} too (Twilio)"
            else:
                said = f"The page by {way} to <@{delivery.user_id}> failed: {escape(sent.error)}"
            await add_bot_action(session, esc.incident_id, said, kind=EntryKind.PAGE)
        if sent.error is None:
            log.info("paged by %s: %s", delivery.way, twilio.mask(number or ""))
            return
        log.warning(
            "page by %s to %s failed: %s", delivery.way, twilio.mask(number or ""), sent.error
        )
        if incident.channel_id:
            try:
                await self.rt.client.chat_postMessage(
                    channel=incident.channel_id,
                    text=f":warning: {said}. The other ways of the page still went.",
                )
            except Exception as exc:
                log.warning("could not post in the war room: %s", slack_error_text(exc))

    async def _retry(self, delivery: PageDelivery, sent: twilio.Sent) -> bool:
        """Due again after a backoff, unless it has been tried for RETRY_FOR already."""
        now = utcnow()
        waited = (now - delivery.created_at).total_seconds()
        if now - delivery.created_at >= RETRY_FOR:
            return False
        delay = min(RETRY_MAX_SECONDS, max(RETRY_MIN_SECONDS, waited))
        delay = max(delay, min(sent.retry_after or 0.0, RETRY_MAX_SECONDS))
        at = now + timedelta(seconds=delay)
        async with self.rt.db.session() as session:
            mine = await deliveries.retry_later(
                session, delivery.id or 0, self.instance, at, sent.error or ""
            )
        if mine:
            log.warning("page by %s: %s; trying again in %.0f s", delivery.way, sent.error, delay)
            self.at(at, f"retry:{delivery.id}", self.wake)
        return mine

    async def _post(
        self, delivery: PageDelivery, number: str, incident: Incident, esc: PageEscalation
    ) -> twilio.Sent:
        assert self._http is not None
        settings = self.rt.settings
        assert settings.twilio_from is not None
        form = {"To": number, "From": settings.twilio_from}
        if delivery.way == "sms":
            async with self.rt.db.session() as session:
                ways = {d.way for d in await deliveries.of_escalation(session, esc.id or 0)}
            form["Body"] = twilio.sms_body(incident, esc.service, with_call="call" in ways)
            return await twilio.post(self._http, settings, "Messages", form)
        action = twilio.gather_url(settings, delivery.token)
        form["Twiml"] = twilio.call_twiml(incident, esc.service, action)
        return await twilio.post(self._http, settings, "Calls", form)


def wake_twilio(rt: Runtime) -> None:
    sender = TwilioSender.of(rt)
    if sender is not None:
        sender.wake()


def install_twilio(rt: Runtime) -> None:
    sender = TwilioSender(rt)
    rt.startup_hooks.append(sender.start)
    rt.shutdown_hooks.append(sender.stop)
