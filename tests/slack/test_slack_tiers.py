"""Slack's rate-limit tiers: the fake enforces them as Slack documents; the bot's client paces
itself per method and per channel so it rarely meets a 429, and honours Retry-After."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from bot.core.metrics import SLACK_RATE_LIMITED
from bot.core.priority import for_person
from bot.slack.tiers import METHOD_TIERS
from tests.conftest import RunningBot
from tests.project.test_manifest import methods_used
from tests.support.fake_slack import FakeSlack


async def raw_call(fake: FakeSlack, method: str, **params: str) -> tuple[int, dict, str | None]:
    """One call without any client-side pacing or retries (what an impolite client does)."""
    async with aiohttp.ClientSession() as s, s.post(fake.base_url + method, data=params) as r:
        return r.status, await r.json(), r.headers.get("Retry-After")


async def test_the_fake_enforces_tiers_and_the_per_channel_post_limit(
    fake_slack: FakeSlack,
) -> None:
    for channel in ("C111", "CBROADCAST"):
        fake_slack.invite_bot(channel)  # the bot was invited: Slack lets it post there
    # conversations.setTopic is Tier 2: 20+ a minute (the fake allows one more).
    answers = [
        await raw_call(fake_slack, "conversations.setTopic", channel="C111", topic=str(i))
        for i in range(23)
    ]
    assert [a[0] for a in answers[:21]] == [200] * 21
    status, body, retry_after = answers[21]
    assert (status, body) == (429, {"ok": False, "error": "ratelimited"})
    assert retry_after is not None and int(retry_after) >= 1
    # chat.postMessage: about one a second per channel, short bursts; other channels unaffected.
    posts = [await raw_call(fake_slack, "chat.postMessage", channel="C111") for _ in range(6)]
    assert [p[0] for p in posts] == [200, 200, 200, 200, 429, 429]
    assert (await raw_call(fake_slack, "chat.postMessage", channel="CBROADCAST"))[0] == 200
    assert ("chat.postMessage", "C111") in fake_slack.rate_limited


def test_every_method_the_bot_calls_has_a_tier() -> None:
    called = {m.replace("_", ".") for m in methods_used()}
    # files_upload_v2 is slack_sdk's wrapper around these two
    called = called - {"files.upload.v2"} | {
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    }
    assert called - METHOD_TIERS.keys() == set()


async def test_the_client_paces_posts_per_channel_instead_of_meeting_429s(
    bot: RunningBot,
) -> None:
    for channel in ("C111", "CBROADCAST"):
        bot.fake.invite_bot(channel)  # the bot was invited: Slack lets it post there
    start = time.monotonic()
    await asyncio.gather(
        *(bot.rt.client.chat_postMessage(channel="C111", text=f"n{i}") for i in range(7))
    )
    took = time.monotonic() - start
    assert bot.fake.rate_limited == []  # paced, not refused
    assert took >= 3.5  # 7 posts, a burst of 3, then one a second
    # Other channels go meanwhile: not held behind C111's pace.
    start = time.monotonic()
    await bot.rt.client.chat_postMessage(channel="CBROADCAST", text="x")
    assert time.monotonic() - start < 1


async def test_the_client_honours_retry_after(bot: RunningBot) -> None:
    before = SLACK_RATE_LIMITED.labels("users.info")._value.get()
    bot.fake.fail("users.info", status=429, retry_after=1)
    start = time.monotonic()
    resp = await bot.rt.client.users_info(user="U111")
    assert resp["ok"] and time.monotonic() - start >= 1
    assert SLACK_RATE_LIMITED.labels("users.info")._value.get() == before + 1


async def _posts_in_order(
    bot: RunningBot, person_after: float
) -> tuple[list[str], list[asyncio.Task]]:
    """Six background posts in one channel (a burst of 3 goes, three wait for the pace), then,
    `person_after` seconds later, a person's post in the same channel: the order they went."""
    bot.fake.invite_bot("C111")
    order: list[str] = []

    async def post(label: str) -> None:
        await bot.rt.client.chat_postMessage(channel="C111", text=label)
        order.append(label)

    background = [bot.rt.spawn(post(f"bg{i}"), name=f"bg{i}") for i in range(6)]
    await asyncio.sleep(person_after)

    async def person() -> None:
        for_person()  # as Bolt's middleware marks what someone just did
        await post("person")

    await asyncio.create_task(person())
    await asyncio.gather(*background)
    return order, background


async def test_a_persons_call_goes_ahead_of_queued_background_calls(bot: RunningBot) -> None:
    order, _ = await _posts_in_order(bot, person_after=0.3)
    # The burst, then the person (ahead of the three background posts queued before it), then
    # the background work, all of it.
    assert order == ["bg0", "bg1", "bg2", "person", "bg3", "bg4", "bg5"]
    assert bot.fake.rate_limited == []


async def test_background_work_that_waited_long_enough_goes_first(bot: RunningBot) -> None:
    """No starvation: a background call queued longer than a person's head start goes first."""
    bot.rt.client.pacer.person_head_start = 1.0
    order, _ = await _posts_in_order(bot, person_after=1.6)
    # bg3 went at 1 s; bg4 and bg5 had waited 1.6 s, more than the head start: before it.
    assert order == ["bg0", "bg1", "bg2", "bg3", "bg4", "bg5", "person"]
    assert bot.fake.rate_limited == []
