"""The alert storm: alert-driven declares beyond ALERT_DECLARES_PER_MINUTE (counted across
replicas in the database) go on one "alert storm" card in the alert channel instead of a war
room each, so a storm neither floods Slack with channels nor holds a person's declare behind
them. Nothing is lost: every group is on that card or its own incident.

A group over the limit is recorded on the current storm card (`storm_card`, its `card_ts` the
card's) before the card is drawn, and is not declared by itself again: a person declares it
from the card's menu (the same action as a triage card's "Declare incident"). The card is
redrawn at most once a second, so 200 groups make a handful of updates, not 200.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import update
from sqlmodel import col, select

from bot.alerts.config import triage_channel
from bot.alerts.sessions import alert_session
from bot.alerts.storm_blocks import MAX_ON_CARD, storm_blocks, storm_text
from bot.core.runtime import Runtime
from bot.slack.client import slack_error_text
from bot.slack.posting import post_message
from bot.slack.rate_limits import count_this_minute
from storage.models.alerts import AlertGroup
from storage.tables import table_of

log = logging.getLogger(__name__)

GROUP = table_of(AlertGroup)
STORM_WHO = "alerts"  # the rate_count row the declares from alerts are counted under
STORM_KIND = "alert_declare"
STORM_CARD_SECONDS = 15 * 60  # a storm card takes new groups this long after it was posted
REDRAW_SECONDS = 1.0


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


class StormCard:
    """Puts groups on the storm card and keeps it drawn; one per worker."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._lock = asyncio.Lock()  # one card at a time in this process
        self._card: tuple[str, str] | None = None  # the card this process adds to
        self._listed = 0  # groups this process put on it
        self._redraws: dict[tuple[str, str], asyncio.Task[None]] = {}

    async def add(self, group: AlertGroup) -> bool:
        """List the group on the current storm card (posting one if there is none). False if
        there is no channel for it, or Slack refused a new card (the group stays owed)."""
        channel = triage_channel(self.rt.settings)
        if channel is None:
            log.warning("alert group %s: no ALERT_CHANNEL or broadcast channel", group.id)
            return False
        async with self._lock:
            card = self._card if self._still_open(channel) else None
            if card is None:
                card = await _current_card(self.rt, channel)
                self._listed = 0
            if card is None:
                try:
                    resp = await post_message(
                        self.rt,
                        channel,
                        text=storm_text([group]),
                        blocks=storm_blocks([group], self.rt.settings.alert_declares_per_minute),
                        unfurl_links=False,
                    )
                except Exception as exc:
                    log.warning("could not post the alert storm card: %s", slack_error_text(exc))
                    return False
                card = (channel, str(resp["ts"]))
            self._card = card
            self._listed += 1
        async with alert_session(self.rt) as session:
            await session.exec(
                update(GROUP)
                .where(GROUP.c.id == group.id)
                .values(storm_card=True, card_channel_id=card[0], card_ts=card[1])
            )
        self.redraw_soon(*card)
        return True

    def _still_open(self, channel: str) -> bool:
        """Whether the card this process adds to takes more (same channel, young, not full);
        another replica's groups make it fuller than `_listed` says, within MAX_ON_CARD's
        margin of Block Kit's limits."""
        card = self._card
        return (
            card is not None
            and card[0] == channel
            and float(card[1]) > time.time() - STORM_CARD_SECONDS
            and self._listed < MAX_ON_CARD
        )

    def redraw_soon(self, channel: str, ts: str) -> None:
        """Redraw the card within REDRAW_SECONDS (once, however many groups asked)."""
        key = (channel, ts)
        if key in self._redraws and not self._redraws[key].done():
            return
        self._redraws[key] = self.rt.spawn(self._redraw(channel, ts), name="alert-storm-card")

    async def _redraw(self, channel: str, ts: str) -> None:
        await asyncio.sleep(REDRAW_SECONDS)
        self._redraws.pop((channel, ts), None)
        async with self.rt.db.session() as session:
            groups = list(
                (
                    await session.exec(
                        select(AlertGroup)
                        .where(AlertGroup.card_ts == ts, col(AlertGroup.storm_card).is_(True))
                        .order_by(col(AlertGroup.id))
                    )
                ).all()
            )
        if not groups:
            return
        try:
            await self.rt.client.chat_update(
                channel=channel,
                ts=ts,
                text=storm_text(groups),
                blocks=storm_blocks(groups, self.rt.settings.alert_declares_per_minute),
            )
        except Exception as exc:
            log.warning("could not redraw the alert storm card: %s", slack_error_text(exc))
            self.redraw_soon(channel, ts)  # it is what lists the groups: try again


async def _current_card(rt: Runtime, channel: str) -> tuple[str, str] | None:
    """The storm card still taking groups in this channel: posted in the last
    STORM_CARD_SECONDS and not full."""
    async with rt.db.session() as session:
        latest = (
            await session.exec(
                select(AlertGroup.card_ts)
                .where(col(AlertGroup.storm_card).is_(True), AlertGroup.card_channel_id == channel)
                .order_by(col(AlertGroup.id).desc())
                .limit(1)
            )
        ).first()
        if latest is None or float(latest) < time.time() - STORM_CARD_SECONDS:
            return None
        listed = (
            await session.exec(
                select(AlertGroup.id).where(
                    AlertGroup.card_ts == latest, col(AlertGroup.storm_card).is_(True)
                )
            )
        ).all()
    return None if len(listed) >= MAX_ON_CARD else (channel, latest)
