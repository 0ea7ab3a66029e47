"""A revoked token or an uninstall: the bot stops calling Slack, says so on /healthz, logs it
once, keeps checking auth.test, and resumes without a restart, backfilling the gap."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import aiohttp
import pytest
from sqlmodel import select

from bot.slack.access import access_of
from storage.models.incidents import Incident
from storage.types import utcnow
from tests.conftest import RunningBot
from tests.support.timeline_helpers import WAR_ROOM, declare_here, entries, wait_until


async def health(bot: RunningBot) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as s, s.get(bot.url + "/healthz") as r:
        return r.status, await r.json()


def reminders(bot: RunningBot) -> list[dict]:
    return [
        p
        for p in bot.fake.calls_to("chat.postMessage")
        if p.get("channel") == WAR_ROOM and "status update" in str(p.get("text", "")).lower()
    ]


async def make_due(bot: RunningBot) -> None:
    async with bot.rt.db.session() as session:
        row = (await session.exec(select(Incident))).one()
        row.next_prompt_at = utcnow() - timedelta(seconds=1)
        session.add(row)


async def test_revoked_token_pauses_everything_and_resumes_without_restart(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await declare_here(bot)
    access = access_of(bot.rt.client)
    access.check_seconds = 0.2  # the first auth.test check, instead of 2s; it doubles from there
    bot.fake.revoke("token_revoked")
    await make_due(bot)
    await bot.fake.wait_for(lambda: access.suspended, what="access suspended")
    assert len(reminders(bot)) == 1  # the one attempt that met token_revoked
    status, body = await health(bot)
    assert status == 503 and body["database"] == "ok"
    assert body["slack"].startswith("token_revoked")

    # While suspended, commands still answer (response_url is not the Web API), calls that
    # would reach Slack are refused here, and only auth.test goes out.
    await bot.fake.wait_for_call("auth.test", 3)  # start-up, then the checks with backoff
    start = len(bot.fake.calls)
    await bot.fake.wait_for_call("auth.test", 4)
    assert {c.method for c in bot.fake.calls[start:]} == {"auth.test"}
    said = f"{time.time():.6f}"
    bot.fake.add_message(WAR_ROOM, {"type": "message", "user": "U333", "text": "x", "ts": said})

    bot.fake.restore()
    await wait_until(lambda: entries(bot, ts=said), what="the gap backfilled")
    await bot.fake.wait_for(lambda: len(reminders(bot)) == 2, what="the reminder, not lost")
    assert await health(bot) == (200, {"status": "ok", "database": "ok", "slack": "ok"})
    refused = [r for r in caplog.records if "Slack refused the bot token" in r.getMessage()]
    assert len(refused) == 1  # logged once, not per call
    assert "xoxb" not in caplog.text


@pytest.mark.parametrize("event", ["tokens_revoked", "app_uninstalled"])
async def test_tokens_revoked_and_app_uninstalled_events_suspend_at_once(
    bot: RunningBot, event: str
) -> None:
    access = access_of(bot.rt.client)
    access.check_seconds = 0.2
    bot.fake.revoke("invalid_auth")
    payload: dict[str, object] = {"type": event}
    if event == "tokens_revoked":
        payload["tokens"] = {"oauth": [], "bot": ["UBOT"]}
    await bot.slack.event(payload)
    await bot.fake.wait_for(lambda: access.suspended, what="access suspended")
    status, body = await health(bot)
    assert status == 503 and body["slack"].startswith(event)
    before = len(bot.fake.calls_to("chat.postMessage"))
    await bot.slack.command("declare sev2 Checkout down", channel_id="C111")
    answer = await bot.fake.wait_for_response(1)
    assert f"Slack refused the bot's token, `{event}`" in answer["text"]
    assert len(bot.fake.calls_to("chat.postMessage")) == before
    bot.fake.restore()
    await wait_until(_ok(bot), what="resumed")


def _ok(bot: RunningBot):
    async def check() -> bool:
        return (await health(bot))[0] == 200

    return check


async def test_revoking_only_user_tokens_leaves_the_bot_working(bot: RunningBot) -> None:
    user_only = {"type": "tokens_revoked", "tokens": {"oauth": ["U111"], "bot": []}}
    await bot.slack.event(user_only)
    await declare_here(bot)  # every Slack call of the declaration goes out
    assert access_of(bot.rt.client).suspended is None
    assert await health(bot) == (200, {"status": "ok", "database": "ok", "slack": "ok"})
