"""What the operator's log says when a Slack step fails: one line each, with the method, the
incident and Slack's error; never a traceback for an error Slack is expected to give."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.conftest import SIGNING_SECRET, RunningBot
from tests.support.incident_steps import declare_finished
from tests.support.process import free_port
from tests.support.slack_requests import SlackSender


def failure_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


async def test_a_failed_channel_creation_is_one_line_naming_the_incident(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    bot.fake.fail("conversations.create", status=500, times=3)  # the client's two retries too
    await bot.slack.command("declare sev1 Checkout is down")
    answer = await bot.fake.wait_for_response(timeout=20)
    assert "I could not create the incident channel (Slack answered HTTP 500)" in answer["text"]
    assert failure_lines(caplog) == [
        "Slack step failed: conversations.create for incident 1: Slack answered HTTP 500"
    ]
    assert not [r for r in caplog.records if r.exc_info or r.exc_text]


async def test_a_slack_error_code_is_named(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    bot.fake.fail("conversations.setTopic", error="not_in_channel")
    await bot.slack.command("declare sev2 Search is slow")
    await bot.fake.wait_for_response(timeout=20)
    await declare_finished(bot)
    assert failure_lines(caplog) == [
        "Slack step failed: conversations.setTopic for incident 1: Slack answered `not_in_channel`"
    ]
    assert not [r for r in caplog.records if r.exc_info or r.exc_text]


async def test_an_unreachable_response_url_is_one_line(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    gone = f"http://127.0.0.1:{free_port()}/response/gone"  # Slack's side is away too
    sender = SlackSender(bot.url, SIGNING_SECRET, gone)
    try:
        await sender.command("declare sev2 Nobody hears this")
        for _ in range(200):  # up to 10 s for the declare to finish and try to answer
            if any("through response_url" in line for line in failure_lines(caplog)):
                break
            await asyncio.sleep(0.05)
    finally:
        await sender.close()
    [line] = [line for line in failure_lines(caplog) if "response_url" in line]
    assert line == "could not answer /incident through response_url (ClientConnectorError)"
    assert not [r for r in caplog.records if r.exc_info or r.exc_text]
