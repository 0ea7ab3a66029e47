"""Paging our own on-call over real HTTP: `/incident page` of a service with an escalation
policy DMs level 1, no acknowledgement pages level 2 at `ack_within`, Acknowledge there stops
it (once, however often pressed), resolving cancels, and the timeline shows each step."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.paging.escalator import Escalator
from tests.conftest import StartBot
from tests.paging.helpers import (
    escalations,
    level_pending,
    page_entries,
    pages_to,
    press,
    said_in,
    start_paging_bot,
    told,
    wait_for_page,
)
from tests.support.incident_steps import declare, run


async def test_no_ack_pages_the_next_level_and_an_ack_there_stops_it(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start_paging_bot(start_bot, tmp_path)
    channel = await declare(bot, "Checkout returns 500s")
    answer = await run(bot, "page checkout the cart &lt;b&gt; is down", channel)
    assert "Paging *checkout* by escalation policy *payments* (2 levels)" in answer["text"]
    started = time.monotonic()
    [first] = await wait_for_page(bot, "U222")
    assert "Incident #1: Checkout returns 500s" in first["text"]
    assert "SEV2" in first["text"] and f"<#{channel}>" in first["text"]
    assert "the cart &lt;b&gt; is down" in first["text"]  # the message, escaped
    await bot.fake.wait_for(
        lambda: any("Paged <@U222>" in t for t in said_in(bot, channel)), what="the mention"
    )
    assert pages_to(bot, "U333") == []  # level 2 waits for ack_within

    [second] = await wait_for_page(bot, "U333")
    assert time.monotonic() - started >= 1.8  # not before ack_within (2s)
    # Someone the page was not sent to cannot acknowledge it (nor be let into the room).
    bot.fake.add_user("U444")
    await press(bot, second, "paging_acknowledge", "U444")
    await bot.fake.wait_for(
        lambda: any("not sent to you" in t for t in told(bot, "U444")), what="the refusal"
    )
    assert (await escalations(bot))[0].status == "active"
    await press(bot, second, "paging_acknowledge", "U333")
    await bot.fake.wait_for(
        lambda: any("<@U333> acknowledged the page" in t for t in said_in(bot, channel)),
        what="the acknowledgement in the war room",
    )
    invites = bot.fake.done("conversations.invite")
    assert any(i["channel"] == channel and "U333" in i["users"] for i in invites)
    # Both DMs now say who acknowledged, at a time in the reader's zone.
    updates = await bot.fake.wait_for(
        lambda: len(bot.fake.calls_to("chat.update")) >= 2 and bot.fake.calls_to("chat.update"),
        what="the DMs updated",
    )
    assert all("Acknowledged by <@U333> at " in str(u["blocks"]) for u in updates)
    assert any(" CET" in str(u["blocks"]) for u in updates)  # U222 in Berlin
    assert any(" EST" in str(u["blocks"]) for u in updates)  # U333 in New York
    await bot.fake.wait_for(lambda: told(bot, "U333"), what="the answer to the acker")
    assert "Acknowledged: paging stopped" in told(bot, "U333")[0]

    # Past the second level's ack_within: nothing more (no "nobody answered").
    await asyncio.sleep(2.3)
    escalator = Escalator.of(bot.rt)
    assert escalator is not None
    await escalator.run_now()
    assert not any("Nobody acknowledged" in t for t in said_in(bot, channel))
    assert len(pages_to(bot, "U222")) == 1 and len(pages_to(bot, "U333")) == 1
    [esc] = await escalations(bot)
    assert (esc.status, esc.acked_by) == ("acknowledged", "U333")
    steps = await page_entries(bot)
    assert steps[0].startswith("<@U111> paged checkout by escalation policy payments")
    assert "Paged <@U222> (payments, level 1 of 2)" in steps[1]
    assert "Paged <@U333> (payments, level 2 of 2)" in steps[2]
    assert steps[3].startswith("<@U333> acknowledged the page of checkout, ")
    assert len(steps) == 4


async def test_acknowledge_pressed_twice_is_one_acknowledgement(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start_paging_bot(start_bot, tmp_path, first="1m")
    channel = await declare(bot)
    await run(bot, "page checkout", channel)
    [page] = await wait_for_page(bot, "U222")
    await asyncio.gather(
        press(bot, page, "paging_acknowledge", "U222"),
        press(bot, page, "paging_acknowledge", "U222"),
    )
    answers = await bot.fake.wait_for(
        lambda: len(told(bot, "U222")) >= 2 and told(bot, "U222"), what="two answers"
    )
    assert sum("Acknowledged: paging stopped" in a for a in answers) == 1
    assert sum("already acknowledged by <@U222>" in a for a in answers) == 1
    acks = [e for e in await page_entries(bot) if "acknowledged the page" in e]
    assert len(acks) == 1
    acked = [t for t in said_in(bot, channel) if "acknowledged the page" in t]
    assert len(acked) == 1


async def test_escalate_now_pages_the_next_level_at_once_and_only_once(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start_paging_bot(start_bot, tmp_path, first="10m", second="10m")
    channel = await declare(bot)
    await run(bot, "page checkout", channel)
    [page] = await wait_for_page(bot, "U222")
    await level_pending(bot, 1)
    await press(bot, page, "paging_escalate", "U222")
    await wait_for_page(bot, "U333")
    await press(bot, page, "paging_escalate", "U222")  # pressed again on the same DM
    await bot.fake.wait_for(
        lambda: any("already gone on" in t for t in told(bot, "U222")), what="the refusal"
    )
    assert len(pages_to(bot, "U333")) == 1
    assert any("<@U222> escalated the page" in e for e in await page_entries(bot))


async def test_nobody_answers_the_commander_and_the_war_room_are_told(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start_paging_bot(start_bot, tmp_path, first="1s", second="1s")
    channel = await declare(bot)
    await run(bot, "page checkout", channel)
    await wait_for_page(bot, "U333", timeout=10)
    loud = await bot.fake.wait_for(
        lambda: [t for t in said_in(bot, channel) if "Nobody acknowledged the page" in t],
        what="the war room told",
    )
    assert "<@U111>" in loud[0]  # the commander (the declarer), mentioned
    await bot.fake.wait_for(
        lambda: any("Nobody acknowledged" in t for t in said_in(bot, "U111")),
        what="the commander told by DM",
    )
    [esc] = await escalations(bot)
    assert esc.status == "exhausted"


async def test_resolving_cancels_the_escalation(start_bot: StartBot, tmp_path: Path) -> None:
    bot = await start_paging_bot(start_bot, tmp_path, first="2s")
    channel = await declare(bot)
    await run(bot, "page checkout", channel)
    [page] = await wait_for_page(bot, "U222")
    await level_pending(bot, 1)
    await run(bot, "resolve fixed", channel)
    for _ in range(100):  # cancelled at once, not at the next step's due time
        if [e.status for e in await escalations(bot)] == ["cancelled"]:
            break
        await asyncio.sleep(0.02)
    [esc] = await escalations(bot)
    assert esc.status == "cancelled"
    await asyncio.sleep(2.3)
    escalator = Escalator.of(bot.rt)
    assert escalator is not None
    await escalator.run_now()
    assert pages_to(bot, "U333") == []
    assert any("stopped: the incident is resolved" in e for e in await page_entries(bot))
    await press(bot, page, "paging_acknowledge", "U222")
    await bot.fake.wait_for(
        lambda: any("the incident is resolved" in t for t in told(bot, "U222")), what="told"
    )


async def test_bad_inputs_are_answered(start_bot: StartBot, tmp_path: Path) -> None:
    bot = await start_paging_bot(start_bot, tmp_path)
    channel = await declare(bot)
    for args in ("page search it is slow", "page nosuch", "page"):
        answer = await run(bot, args, channel)
        assert "Paging is not set up" in answer["text"], answer
        assert "escalation_policy" in answer["text"]
    assert await escalations(bot) == []


async def test_a_dm_slack_refuses_is_said_and_the_next_level_still_goes(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start_paging_bot(start_bot, tmp_path, first="1s", second="10m")
    channel = await declare(bot)
    bot.fake.fail("chat.postMessage", error="user_disabled", channel="U222")
    await run(bot, "page checkout", channel)
    await wait_for_page(bot, "U333")
    assert pages_to(bot, "U222") == []
    steps = await page_entries(bot)
    assert any("Slack refused the DM to <@U222>" in s for s in steps), steps
    assert any("Slack refused the DM to <@U222>" in t for t in said_in(bot, channel))


async def test_repeat_goes_through_the_levels_again(start_bot: StartBot, tmp_path: Path) -> None:
    bot = await start_paging_bot(start_bot, tmp_path, first="1s", second="1s", repeat=1)
    channel = await declare(bot)
    await run(bot, "page checkout", channel)
    await wait_for_page(bot, "U333", count=2, timeout=15)
    await bot.fake.wait_for(
        lambda: any("Nobody acknowledged the page" in t for t in said_in(bot, channel)),
        what="nobody answered, after two rounds",
    )
    assert len(pages_to(bot, "U222")) == 2 and len(pages_to(bot, "U333")) == 2
    steps = await page_entries(bot)
    assert "level 1 of 2, round 1 of 2" in steps[1]
    assert "level 2 of 2, round 2 of 2" in steps[4]
