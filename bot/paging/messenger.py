"""What the escalator sends: page DMs (CONCURRENT_POSTS at once, ahead of background posts),
the SMS and calls handed to the Twilio sender, and posts in the war rooms. Shared by the due
steps (bot/paging/escalator.py) and the held pages (bot/paging/held_delivery.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from bot.core.priority import for_person
from bot.core.runtime import Runtime
from bot.oncall.escalation import TWILIO_WAYS, Level
from bot.paging import queries
from bot.paging.blocks import page_blocks, page_text
from bot.paging.deliveries import add_deliveries
from bot.paging.twilio_sender import wake_twilio
from bot.slack.client import slack_error_text
from storage.models.incidents import Incident
from storage.models.paging import PageEscalation, PageNotification

log = logging.getLogger(__name__)

CONCURRENT_POSTS = 32


class PageMessenger:
    def __init__(self, rt: Runtime, clock: Callable[[], datetime]) -> None:
        self.rt = rt
        self.clock = clock
        self.gate = asyncio.Semaphore(CONCURRENT_POSTS)

    async def by_twilio(self, pages: list[tuple[Level, list[PageNotification]]]) -> None:
        """These levels' SMS and calls to these people, stored in one transaction, then sent
        by the Twilio sender (a failure there leaves the DM and the other way as they went)."""
        owed = [
            (ways, notes)
            for level, notes in pages
            if notes and (ways := tuple(w for w in level.via if w in TWILIO_WAYS))
        ]
        if not owed:
            return
        added = 0
        async with self.rt.db.session() as session:
            for ways, notes in owed:
                added += await add_deliveries(session, notes, ways)
        if added:
            wake_twilio(self.rt)

    async def post_dm(
        self, user_id: str, incident: Incident, step: PageEscalation
    ) -> tuple[str, str, datetime] | None:
        """The page DM (CONCURRENT_POSTS at once): (channel, ts, when Slack took it), or None
        when Slack refused (recorded on the timeline with the step; the next level still goes)."""
        async with self.gate:
            for_person()  # a page wakes a person: it goes ahead of queued background posts
            try:
                resp = await self.rt.client.chat_postMessage(
                    channel=user_id,
                    text=page_text(incident, step),
                    blocks=page_blocks(incident, step),
                )
            except Exception as exc:
                log.warning("could not page someone by DM: %s", slack_error_text(exc))
                return None
        return str(resp.get("channel") or user_id), str(resp.get("ts")), self.clock()

    async def dm(
        self, note_id: int, user_id: str, incident: Incident, step: PageEscalation
    ) -> bool:
        """One page DM, marked sent once Slack took it."""
        # Its own task: the person's priority it takes stays with that DM.
        taken = await asyncio.ensure_future(self.post_dm(user_id, incident, step))
        if taken is None:
            return False
        async with self.rt.db.session() as session:
            await queries.mark_sent(session, note_id, *taken)
        return True

    async def say(self, incident: Incident, text: str) -> None:
        if not incident.channel_id:
            return
        async with self.gate:
            try:
                await self.rt.client.chat_postMessage(channel=incident.channel_id, text=text)
            except Exception as exc:
                log.warning("could not post in the war room: %s", slack_error_text(exc))
