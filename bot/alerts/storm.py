"""The alert storm: alert-driven declares beyond ALERT_DECLARES_PER_MINUTE (counted across
replicas in the database by declare.py's DeclareLimit) go on one "alert storm" card in the
alert channel instead of a war room each, so a storm neither floods Slack with channels nor
holds a person's declare behind them. Nothing is lost: every group is on that card or its own
incident.

A group over the limit is recorded on the current storm card (`storm_card`, its `card_ts` the
card's) before the card is drawn, and is not declared by itself again: a person declares it
from the card's menu (the same action as a triage card's "Declare incident"). The card is
redrawn at most once a second, so 200 groups make a handful of updates, not 200.

A redraw Slack refuses is tried again, less often each time (REDRAW_BACKOFF_SECONDS), and given
up after REDRAW_TRIES; a card Slack no longer has (deleted, too old to edit) is posted again
with its groups, which move to the new card, so they stay shown; a channel the bot can no
longer post in ends the redraws at once (the groups stay recorded in the database).
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import update
from sqlmodel import col, select

from bot.alerts.config import triage_channel
from bot.alerts.storm_blocks import MAX_ON_CARD, storm_blocks, storm_text
from bot.alerts.transactions import alert_session
from bot.core.runtime import Runtime
from bot.slack.client import slack_error_code, slack_error_text
from bot.slack.posting import post_message
from storage.models.alerts import AlertGroup
from storage.tables import table_of

log = logging.getLogger(__name__)

GROUP = table_of(AlertGroup)
STORM_CARD_SECONDS = 15 * 60  # a storm card takes new groups this long after it was posted
REDRAW_SECONDS = 1.0
REDRAW_TRIES = 12  # a redraw Slack keeps refusing is given up after this many tries
REDRAW_BACKOFF_SECONDS = 60.0  # the longest wait between two tries
CARD_GONE = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
CHANNEL_GONE = frozenset(
    {"channel_not_found", "is_archived", "not_in_channel", "restricted_action"}
)


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

    def redraw_soon(self, channel: str, ts: str, *, tries: int = 0) -> None:
        """Redraw the card within REDRAW_SECONDS (once, however many groups asked); after
        `tries` refused redraws, later and later."""
        key = (channel, ts)
        if key in self._redraws and not self._redraws[key].done():
            return
        wait = min(REDRAW_SECONDS * 2**tries, REDRAW_BACKOFF_SECONDS)
        self._redraws[key] = self.rt.spawn(
            self._redraw(channel, ts, wait, tries), name="alert-storm-card"
        )

    async def _redraw(self, channel: str, ts: str, wait: float, tries: int) -> None:
        await asyncio.sleep(wait)
        self._redraws.pop((channel, ts), None)
        groups = await _groups_on(self.rt, ts)
        if not groups:
            return
        limit = self.rt.settings.alert_declares_per_minute
        try:
            await self.rt.client.chat_update(
                channel=channel,
                ts=ts,
                text=storm_text(groups),
                blocks=storm_blocks(groups, limit),
            )
        except Exception as exc:
            code = slack_error_code(exc)
            log.warning("could not redraw the alert storm card: %s", slack_error_text(exc))
            if code in CHANNEL_GONE:
                self._forget(channel, ts)
            elif code in CARD_GONE:
                await self._post_again(channel, ts, tries)
            elif tries + 1 < REDRAW_TRIES:
                self.redraw_soon(channel, ts, tries=tries + 1)  # it is what lists the groups
            else:
                log.error("gave up redrawing the alert storm card after %d tries", REDRAW_TRIES)

    def _forget(self, channel: str, ts: str) -> None:
        """Stop adding to this card: the next group over the limit starts a new one."""
        if self._card == (channel, ts):
            self._card = None

    async def _post_again(self, channel: str, ts: str, tries: int) -> None:
        """The card is gone from Slack: post it again and move its groups onto the new one."""
        async with self._lock:
            self._forget(channel, ts)
            groups = await _groups_on(self.rt, ts)
            limit = self.rt.settings.alert_declares_per_minute
            try:
                resp = await post_message(
                    self.rt,
                    channel,
                    text=storm_text(groups),
                    blocks=storm_blocks(groups, limit),
                    unfurl_links=False,
                )
            except Exception as exc:
                log.warning("could not post the alert storm card again: %s", slack_error_text(exc))
                if tries + 1 < REDRAW_TRIES and slack_error_code(exc) not in CHANNEL_GONE:
                    self.redraw_soon(channel, ts, tries=tries + 1)
                return
            new_ts = str(resp["ts"])
            async with alert_session(self.rt) as session:
                await session.exec(
                    update(GROUP)
                    .where(GROUP.c.card_ts == ts, GROUP.c.card_channel_id == channel)
                    .values(card_ts=new_ts)
                )
            self._card, self._listed = (channel, new_ts), len(groups)
        self.redraw_soon(channel, new_ts)  # groups added while it was being posted


async def _groups_on(rt: Runtime, ts: str) -> list[AlertGroup]:
    async with rt.db.session() as session:
        return list(
            (
                await session.exec(
                    select(AlertGroup)
                    .where(AlertGroup.card_ts == ts, col(AlertGroup.storm_card).is_(True))
                    .order_by(col(AlertGroup.id))
                )
            ).all()
        )


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
