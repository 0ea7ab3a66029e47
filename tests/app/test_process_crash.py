"""The real process killed with SIGKILL in the middle of a burst of message events.

After the restart, Slack's retries (every delivery that got no 2xx is sent again, same
event_id, with X-Slack-Retry-Num) and the history backfill at start-up together put every
message of the war room in the timeline, each exactly once.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text

from storage import Database
from tests.conftest import SIGNING_SECRET
from tests.support.fake_slack import FakeSlack
from tests.support.process import bot_env, free_port, start_bot_process
from tests.support.slack_requests import SlackSender
from tests.support.timeline_helpers import WAR_ROOM, clock, event_from

BURST = 300  # messages said in the war room, delivered concurrently
CONCURRENCY = 12  # deliveries in flight at once (Slack delivers events in parallel)
KILL_AFTER = 60  # SIGKILL once this many deliveries were acknowledged
DOWNTIME = 10  # messages said while the bot is down
_event_ids = itertools.count(1)


def message_event(ts: str, n: int) -> dict[str, Any]:
    """From the real payload: a plain channel message, said at `ts`."""
    return event_from(
        "event_message_channel.bolt.json",
        ts=ts,
        event_ts=ts,
        text=f"burst message {n}",
        client_msg_id=f"msg-{n}",
    )


def as_in_history(event: dict[str, Any]) -> dict[str, Any]:
    """The same message as conversations.history returns it (no channel, event_ts, type)."""
    return {k: v for k, v in event.items() if k not in ("channel", "event_ts", "channel_type")}


class Delivery:
    """One event as Slack delivers it: the same event_id on every attempt."""

    def __init__(self, event: dict[str, Any]) -> None:
        self.event = event
        self.event_id = f"EvCrash{next(_event_ids):06d}"
        self.status: int | None = None  # None: the request itself failed (connection lost)

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    async def send(self, sender: SlackSender, retry_num: int | None = None) -> None:
        try:
            resp = await sender.event(self.event, event_id=self.event_id, retry_num=retry_num)
            self.status = resp.status
        except (TimeoutError, aiohttp.ClientError, OSError):
            self.status = None


async def deliver_burst(
    sender: SlackSender, deliveries: list[Delivery], proc: asyncio.subprocess.Process
) -> None:
    """Deliver everything with CONCURRENCY workers; SIGKILL the bot after KILL_AFTER acks.
    Deliveries after the kill fail (connection refused), as they would for Slack."""
    queue = list(reversed(deliveries))
    acked = 0

    async def worker() -> None:
        nonlocal acked
        while queue:
            delivery = queue.pop()
            await delivery.send(sender)
            if delivery.acknowledged:
                acked += 1
                if acked == KILL_AFTER and proc.returncode is None:
                    proc.send_signal(signal.SIGKILL)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def rows_per_ts(database_url: str) -> dict[str, int]:
    db = Database(database_url)
    try:
        async with db.connection() as conn:
            result = await conn.execute(
                text(
                    "SELECT ts, count(*) FROM timeline_entry "
                    "WHERE channel_id = :channel AND ts IS NOT NULL GROUP BY ts"
                ),
                {"channel": WAR_ROOM},
            )
            return {ts: n for ts, n in result.all()}
    finally:
        await db.dispose()


@pytest.mark.slow  # a bot process killed mid-burst, then started again
async def test_sigkill_mid_burst_then_restart_stores_every_message_once(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    port = free_port()
    env = bot_env(database_url, fake_slack.base_url, port)
    log_path = tmp_path / "bot.log"
    proc = await start_bot_process(env, log_path)
    sender = SlackSender(f"http://127.0.0.1:{port}", SIGNING_SECRET, fake_slack.response_url())
    try:
        await sender.command("declare --here sev2 Checkout down", channel_id=WAR_ROOM)
        answer = await fake_slack.wait_for_response(1)
        assert "is declared" in answer["text"], answer

        at = clock()
        burst = [Delivery(message_event(at(1 + n / 1000), n)) for n in range(BURST)]
        await deliver_burst(sender, burst, proc)
        assert await asyncio.wait_for(proc.wait(), 10) == -signal.SIGKILL
        acked = [d for d in burst if d.acknowledged]
        failed = [d for d in burst if not d.acknowledged]
        assert len(acked) >= KILL_AFTER and failed, "the kill must land in the middle"

        # Said while the bot is down; Slack's first attempt fails (connection refused).
        down = [Delivery(message_event(at(2 + n / 1000), BURST + n)) for n in range(DOWNTIME)]
        for delivery in down:
            await delivery.send(sender)
        assert not any(d.acknowledged for d in down)
        # Everything said is in the channel's history, as Slack has it.
        for delivery in burst + down:
            fake_slack.add_message(WAR_ROOM, as_in_history(delivery.event))

        history_calls = len(fake_slack.calls_to("conversations.history"))
        proc = await start_bot_process(env, log_path)  # backfills at start-up
        # Slack's retries reach the new process: every burst delivery that got no 2xx
        # (some of them were stored before the kill, their answer lost), and half of the
        # downtime messages; the other half ran out of retries while the bot was down, so
        # only the history backfill can bring them (the retried half races the backfill).
        retried = failed + down[: DOWNTIME // 2]
        await asyncio.gather(*(d.send(sender, retry_num=1) for d in retried))
        assert all(d.acknowledged for d in retried), [d.status for d in retried]

        expected = {d.event["ts"] for d in burst + down}
        deadline = time.monotonic() + 20
        while True:
            stored = await rows_per_ts(database_url)
            backfilled = len(fake_slack.calls_to("conversations.history")) > history_calls
            if (set(stored) >= expected and backfilled) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # anything still in flight would show up as a double now
        stored = await rows_per_ts(database_url)
    finally:
        await sender.close()
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 30)

    missing = sorted(expected - set(stored), key=float)
    doubled = {ts: n for ts, n in stored.items() if n > 1}
    assert not missing, f"{len(missing)} message(s) lost: {missing[:10]}"
    assert not doubled, f"{len(doubled)} message(s) stored more than once: {list(doubled)[:10]}"
    assert set(stored) == expected  # nothing else (not the bot's own card)
