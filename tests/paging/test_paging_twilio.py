"""Paging by SMS and voice call through Twilio, over real HTTP against tests/support/fake_twilio.py:
a level's `via: [slack, sms, call]` sends the DM, the SMS and the call with the right fields; a
signed keypress of 1 acknowledges as the Slack button does (once), while an unsigned or wrongly
signed one is refused with 403; Twilio failing on the SMS leaves the DM delivered and the
failure recorded (without the number); two replicas send one SMS and one call; and the file's
phones and Twilio's settings are checked at start-up, with the line."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import select

from bot.core.config_file import ConfigFileError
from bot.paging.escalator import Escalator
from bot.paging.twilio_sender import TwilioSender
from storage.models.paging import PageDelivery
from storage.tables import table_of
from storage.types import utcnow
from tests.app.test_check_command import full_env, healthy, run_check
from tests.conftest import RunningBot, StartBot
from tests.paging.helpers import escalations, page_entries, pages_to, said_in, wait_for_page
from tests.support.fake_slack import FakeSlack
from tests.support.fake_twilio import FROM, FakeTwilio
from tests.support.incident_steps import declare, run
from tests.support.timeline_helpers import wait_until

__all__ = ["healthy"]  # the fixture, from the check's own tests

PUBLIC = "https://sisyphus.example.com"
PHONE_222 = "+15555550100"
PHONE_333 = "+15555550111"
CONFIG = """\
services:
  - name: checkout
    escalation_policy: payments
oncall:
  people:
    U222: {{phone: "{phone}"}}
    U333: {{phone: "{phone_333}"}}
  schedules:
    - name: payments
      time_zone: Europe/Berlin
      layers:
        - name: primary
          members: [U222]
          rotation: weekly
          start: "2026-01-01T09:00"
  escalation_policies:
    - name: payments
      levels:
        - notify: {{schedule: payments}}
          ack_within: {first}
          via: {via}
        - notify: {{users: [U333]}}
          ack_within: 10m
"""


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    fake = FakeTwilio()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def write_config(
    tmp_path: Path, via: str = "[slack, sms, call]", first: str = "2s", phone: str = PHONE_222
) -> Path:
    path = tmp_path / "sisyphus.yml"
    path.write_text(CONFIG.format(via=via, first=first, phone=phone, phone_333=PHONE_333))
    return path


async def start_twilio_bot(
    start_bot: StartBot, tmp_path: Path, twilio: FakeTwilio, **kw: Any
) -> RunningBot:
    path = write_config(tmp_path, **kw)
    bot = await start_bot(config_file=str(path), **twilio.settings(web_base_url=PUBLIC))
    for user in ("U222", "U333"):
        bot.fake.add_user(user, tz="Europe/Berlin")
    return bot


async def deliveries(bot: RunningBot) -> list[PageDelivery]:
    async with bot.rt.db.session() as session:
        return list((await session.exec(select(PageDelivery))).all())


async def test_a_level_by_sms_and_call_reaches_twilio_with_the_right_fields(
    start_bot: StartBot, tmp_path: Path, twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    bot = await start_twilio_bot(start_bot, tmp_path, twilio, first="10m")
    channel = await declare(bot, "Checkout <returns> 500s & worse")
    await run(bot, "page checkout", channel)
    await wait_for_page(bot, "U222")  # the Slack DM, as before
    [sms] = await twilio.wait_for(lambda: twilio.messages(PHONE_222), what="the SMS")
    [call] = await twilio.wait_for(lambda: twilio.calls(PHONE_222), what="the call")
    assert sms["From"] == FROM and call["From"] == FROM
    body = sms["Body"]
    assert "incident #1" in body and "SEV2" in body and "checkout" in body
    assert "Checkout <returns> 500s & worse" in body  # a text message: as typed
    assert "press 1 on the call" in body and "Acknowledge in your Slack DM" in body
    twiml = call["Twiml"]
    assert '<Gather numDigits="1" action="https://sisyphus.example.com/paging/twilio/' in twiml
    assert "Checkout &lt;returns&gt; 500s &amp; worse" in twiml  # escaped for XML
    assert "severity S E V 2" in twiml and "Press 1 to acknowledge" in twiml
    assert "5555550100" not in twiml.split("action=")[1]  # an opaque id, never the number

    async def all_sent() -> list[PageDelivery]:
        rows = await deliveries(bot)
        return rows if len(rows) == 2 and all(r.status == "sent" for r in rows) else []

    rows = await wait_until(all_sent, timeout=20, what="both deliveries sent")
    assert sorted((r.way, r.status, r.user_id) for r in rows) == [
        ("call", "sent", "U222"),
        ("sms", "sent", "U222"),
    ]
    assert all(r.sid and r.sid[:2] in ("SM", "CA") for r in rows)

    # The escalator writes its own line once the DMs are out, in a transaction of its own:
    # the Twilio sender may settle the SMS and call before it.
    async def the_three_lines() -> list[str]:
        steps = await page_entries(bot)
        said = [
            any("Paged <@U222>" in s and "by Slack, SMS, call" in s for s in steps),
            any("Paged <@U222> by SMS too" in s for s in steps),
            any("Paged <@U222> by call too" in s for s in steps),
        ]
        return steps if all(said) else []

    steps = await wait_until(the_three_lines, timeout=20, what="the page's three lines")
    assert any("Paged <@U222>" in s and "by Slack, SMS, call" in s for s in steps)
    assert any("Paged <@U222> by SMS too" in s for s in steps)
    assert any("Paged <@U222> by call too" in s for s in steps)
    assert "5555550100" not in caplog.text  # never a whole number in the log...
    assert "+1555****0100" in caplog.text  # ...only masked
    assert "Checkout <returns>" not in caplog.text  # nor the message's text


async def test_a_signed_keypress_acknowledges_once_and_stops_the_escalation(
    start_bot: StartBot, tmp_path: Path, twilio: FakeTwilio
) -> None:
    bot = await start_twilio_bot(start_bot, tmp_path, twilio, first="2s")
    channel = await declare(bot)
    await run(bot, "page checkout", channel)
    [call] = await twilio.wait_for(lambda: twilio.calls(PHONE_222), what="the call")
    other = await twilio.press(call, "2", bot.url)  # not 1: nothing changes
    assert other.status == 200 and other.content_type == "text/xml"
    assert (await escalations(bot))[0].status == "active"
    pressed = await twilio.press(call, "1", bot.url)
    assert pressed.status == 200
    assert (await escalations(bot))[0].status == "acknowledged"
    again = await twilio.press(call, "1", bot.url)  # pressed twice: one acknowledgement
    assert again.status == 200
    [esc] = await escalations(bot)
    assert (esc.status, esc.acked_by) == ("acknowledged", "U222")
    steps = await page_entries(bot)
    acks = [s for s in steps if "acknowledged the page" in s]
    assert len(acks) == 1 and "<@U222> acknowledged the page of checkout by phone" in acks[0]
    await bot.fake.wait_for(
        lambda: any("<@U222> acknowledged the page" in t for t in said_in(bot, channel)),
        what="the acknowledgement in the war room",
    )
    await asyncio.sleep(2.3)  # level 2's ack_within has passed: nobody else is paged
    await Escalator.of(bot.rt).run_now()  # type: ignore[union-attr]  # started with the bot
    assert pages_to(bot, "U333") == [] and twilio.messages(PHONE_333) == []


async def test_an_unsigned_or_wrongly_signed_keypress_is_refused(
    start_bot: StartBot, tmp_path: Path, twilio: FakeTwilio
) -> None:
    bot = await start_twilio_bot(start_bot, tmp_path, twilio, first="10m")
    channel = await declare(bot)
    await run(bot, "page checkout", channel)
    [call] = await twilio.wait_for(lambda: twilio.calls(PHONE_222), what="the call")
    unsigned = await twilio.press(call, "1", bot.url, signed=False)
    assert unsigned.status == 403
    wrong = await twilio.press(call, "1", bot.url, auth_token="not-the-auth-token-at-all")
    assert wrong.status == 403
    assert (await escalations(bot))[0].status == "active"
    assert not any("acknowledged" in s for s in await page_entries(bot))


async def test_twilio_failing_on_the_sms_still_delivers_slack_and_records_it(
    start_bot: StartBot, tmp_path: Path, twilio: FakeTwilio
) -> None:
    twilio.fail(
        400, code=21211, message=f"The 'To' number {PHONE_222} is not a valid phone number."
    )
    bot = await start_twilio_bot(start_bot, tmp_path, twilio, via="[slack, sms]", first="10m")
    channel = await declare(bot)
    await run(bot, "page checkout", channel)
    await wait_for_page(bot, "U222")
    failed = await bot.fake.wait_for(
        lambda: [t for t in said_in(bot, channel) if "The page by SMS" in t], what="the failure"
    )
    assert "failed: Twilio answered 400 (error 21211" in failed[0]
    assert PHONE_222 not in failed[0] and "+1555****0100" in failed[0]
    [row] = await deliveries(bot)
    assert row.status == "failed" and row.error and PHONE_222 not in row.error
    steps = await page_entries(bot)
    assert any("The page by SMS to <@U222> failed" in s for s in steps)
    assert twilio.calls() == []  # this level does not call
    assert [r.status for r in twilio.received] == [400]  # tried once: a refusal is final


async def test_twilio_busy_or_down_is_tried_again_until_the_sms_goes(
    start_bot: StartBot, tmp_path: Path, twilio: FakeTwilio
) -> None:
    twilio.fail(429, code=20429, message="Too Many Requests", retry_after=1)
    twilio.fail(503, code=20503, message="Service unavailable")
    bot = await start_twilio_bot(start_bot, tmp_path, twilio, via="[slack, sms]", first="10m")
    channel = await declare(bot)
    await run(bot, "page checkout", channel)
    await wait_for_page(bot, "U222")
    [sms] = await twilio.wait_for(lambda: twilio.messages(PHONE_222), timeout=30, what="the SMS")
    assert "incident #1" in sms["Body"]
    assert [r.status for r in twilio.received] == [429, 503, 201]  # tried until it went
    gaps = [b.at - a.at for a, b in zip(twilio.received, twilio.received[1:], strict=False)]
    assert all(gap >= 0.9 for gap in gaps)  # waited between tries (Retry-After: 1, then 2 s)

    async def sent() -> list[PageDelivery]:
        rows = await deliveries(bot)
        return rows if [r.status for r in rows] == ["sent"] else []

    [row] = await wait_until(sent, timeout=20, what="the delivery settled")
    assert row.sid and row.sid.startswith("SM")
    steps = await wait_until(
        lambda: _lines(bot, "Paged <@U222> by SMS too"), timeout=20, what="the SMS line"
    )
    assert not [s for s in steps if "failed" in s]  # the tries before are not a failure
    assert not [t for t in said_in(bot, channel) if "The page by SMS" in t]


async def _lines(bot: RunningBot, text: str) -> list[str]:
    steps = await page_entries(bot)
    return steps if any(text in s for s in steps) else []


async def test_two_replicas_send_one_sms_and_one_call(
    start_bot: StartBot, tmp_path: Path, twilio: FakeTwilio
) -> None:
    one = await start_twilio_bot(start_bot, tmp_path, twilio, first="10m")
    two = await start_twilio_bot(start_bot, tmp_path, twilio, first="10m")
    channel = await declare(one)
    await run(two, "page checkout", channel)
    for _ in range(3):
        await asyncio.gather(
            *(Escalator.of(b.rt).run_now() for b in (one, two)),  # type: ignore[union-attr]  # started with the bot
            *(TwilioSender.of(b.rt).run_now() for b in (one, two)),  # type: ignore[union-attr]  # started with the bot
        )
    await twilio.wait_for(lambda: twilio.messages() and twilio.calls(), what="both")
    for _ in range(3):
        await asyncio.gather(
            *(TwilioSender.of(b.rt).run_now() for b in (one, two))  # type: ignore[union-attr]  # started with the bot
        )
    assert len(twilio.messages()) == 1 and len(twilio.calls()) == 1
    assert len(twilio.received) == 2
    assert len(pages_to(one, "U222")) == 1


def load(tmp_path: Path, twilio: FakeTwilio | None, **kw: Any) -> list[str]:
    from bot.core.settings import load_settings
    from handlers.config_sections import load_configuration

    path = write_config(tmp_path, **kw)
    more = twilio.settings(web_base_url=PUBLIC) if twilio else {}
    settings = load_settings(
        slack_bot_token="xoxb-1-2-abc",
        slack_signing_secret="s" * 32,
        config_file=str(path),
        _env_file=None,
        **more,
    )
    try:
        load_configuration(settings)
    except ConfigFileError as exc:
        return exc.problems
    return []


def test_phones_and_twilio_settings_are_checked_with_the_line(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    assert load(tmp_path, twilio) == []
    label = f"CONFIG_FILE {tmp_path / 'sisyphus.yml'}"
    assert load(tmp_path, None) == [
        f"{label}, line 21: escalation policy `payments`, level 1 pages by sms and call, but "
        "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM, WEB_BASE_URL are not set"
    ]
    text = write_config(tmp_path).read_text().replace('    U222: {phone: "+15555550100"}\n', "")
    (tmp_path / "sisyphus.yml").write_text(text)
    from bot.core.settings import load_settings
    from handlers.config_sections import load_configuration

    settings = load_settings(
        slack_bot_token="xoxb-1-2-abc",
        slack_signing_secret="s" * 32,
        config_file=str(tmp_path / "sisyphus.yml"),
        _env_file=None,
        **twilio.settings(web_base_url=PUBLIC),
    )
    with pytest.raises(ConfigFileError) as refused:
        load_configuration(settings)
    assert refused.value.problems == [
        f"{label}, line 20: escalation policy `payments`, level 1 pages by sms and call, but "
        "U222 has no `phone` in `oncall.people`"
    ]


async def test_check_says_when_a_policy_pages_by_sms_without_twilio(
    database_url: str, healthy: FakeSlack, tmp_path: Path
) -> None:
    path = write_config(tmp_path)
    code, lines = await run_check(full_env(database_url, healthy, CONFIG_FILE=str(path)), tmp_path)
    assert code == 1, lines
    assert (
        f"[FAIL] config file: CONFIG_FILE {path}, line 21: escalation policy `payments`, level 1 "
        "pages by sms and call, but TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM, "
        "WEB_BASE_URL are not set"
    ) in lines
    assert not any("5555550100" in line for line in lines)


async def test_an_sms_held_by_a_killed_replica_goes_once_its_lease_runs_out(
    start_bot: StartBot, tmp_path: Path, twilio: FakeTwilio
) -> None:
    one = await start_twilio_bot(start_bot, tmp_path, twilio, via="[slack, sms]", first="10m")
    two = await start_twilio_bot(start_bot, tmp_path, twilio, via="[slack, sms]", first="10m")
    twilio.fail(503, code=20503, message="Service unavailable")  # the first try: no SMS
    channel = await declare(one)
    await run(one, "page checkout", channel)
    await twilio.wait_for(lambda: twilio.received, what="the first try")
    # As if a replica had claimed it and died before Twilio answered: its lease still holds...
    now = utcnow()
    async with one.rt.db.session() as session:
        await session.exec(
            update(table_of(PageDelivery)).values(
                status="pending", claimed_by="dead-replica", lease_until=now + timedelta(seconds=1)
            )
        )
    senders = [TwilioSender.of(b.rt) for b in (one, two)]
    await asyncio.gather(*(s.run_now() for s in senders if s))
    assert twilio.messages() == []  # ...so nobody sends it yet
    await asyncio.sleep(1.1)
    for _ in range(3):
        await asyncio.gather(*(s.run_now() for s in senders if s))
    assert len(twilio.messages(PHONE_222)) == 1  # late, never lost; and once
    [row] = await deliveries(one)
    assert row.status == "sent" and row.claimed_by != "dead-replica"
