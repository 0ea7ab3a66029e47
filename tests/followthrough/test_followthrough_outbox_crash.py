"""A bot killed between claiming a ticket and filing it: after the restart the item still gets
exactly one ticket, when the claim's lease runs out."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.conftest import SIGNING_SECRET, StartBot
from tests.support.fake_github import FakeGitHub
from tests.support.fake_slack import FakeSlack
from tests.support.followthrough_helpers import (
    GITHUB_TOKEN,
    due,
    github_fixture,  # noqa: F401
    github_settings,
    tickets,
    wait_ticket_state,
)
from tests.support.process import bot_env, free_port, start_bot_process
from tests.support.slack_requests import SlackSender

LEASE = 6  # the claimer gives up at half of it; the next claim can come when it ends


@pytest.mark.slow  # a bot process killed; its claim's lease runs out
async def test_a_ticket_claimed_by_a_killed_bot_is_filed_once_after_restart(
    database_url: str,
    fake_slack: FakeSlack,
    fake_github: FakeGitHub,
    start_bot: StartBot,
    tmp_path: Path,
) -> None:
    port = free_port()
    env = bot_env(
        database_url,
        fake_slack.base_url,
        port,
        TICKETS="github",
        GITHUB_TOKEN=GITHUB_TOKEN,
        GITHUB_REPO=fake_github.repo,
        GITHUB_API_URL=fake_github.url,
        TICKET_CLAIM_LEASE_SECONDS=str(LEASE),
    )
    proc = await start_bot_process(env, tmp_path / "bot.log")
    sender = SlackSender(f"http://127.0.0.1:{port}", SIGNING_SECRET, fake_slack.response_url())
    try:
        await sender.command("declare --here sev2 Checkout down", channel_id="C111")
        await fake_slack.wait_for_response(1)
        # GitHub hangs: the request never takes effect if its caller goes away (a crash
        # before GitHub got it).
        fake_github.delay(LEASE + 2, lost_if_caller_leaves=True)
        await sender.command(
            f"action P1 <@U222|bob> {due()} Add a schema check for config deploys",
            command="/postmortem",
            channel_id="C111",
            response_key="action",
        )
        await fake_github.wait_for(lambda: fake_github.requests, what="the first bot's attempt")
        claimed_at = time.monotonic()
        proc.kill()
        await asyncio.wait_for(proc.wait(), 30)
    finally:
        await sender.close()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    answer = [r for r in fake_slack.responses if r["_key"] == "action"]
    assert answer and answer[0]["text"].startswith(":white_check_mark:"), answer

    fake_github.delay(0)
    bot = await start_bot(**github_settings(fake_github, ticket_claim_lease_seconds=LEASE))
    [ticket] = await wait_ticket_state(bot, fake_github, "filed", timeout=LEASE + 10)
    waited = time.monotonic() - claimed_at
    assert waited >= LEASE - 1.5, f"claimed again {waited:.1f}s after the first claim"
    # The killed bot's hung request ends too (dropped: its caller is gone); nothing more.
    await fake_github.wait_for(
        lambda: fake_github.answered == 2, timeout=LEASE + 5, what="both requests answered"
    )
    assert len(fake_github.requests) == 2
    assert len(fake_github.issues) == 1
    assert ticket.attempts == 2
    assert [t.state for t in await tickets(bot)] == ["filed"]


@pytest.mark.slow  # a bot process killed; its claim's lease runs out
async def test_a_ticket_github_created_before_the_claimer_died_is_not_filed_twice(
    database_url: str,
    fake_slack: FakeSlack,
    fake_github: FakeGitHub,
    start_bot: StartBot,
    tmp_path: Path,
) -> None:
    """The request reached GitHub and made the issue, but the bot was killed before it heard
    back: the next claimer finds that issue (by the marker in its body) instead of filing a
    second one."""
    port = free_port()
    env = bot_env(
        database_url,
        fake_slack.base_url,
        port,
        TICKETS="github",
        GITHUB_TOKEN=GITHUB_TOKEN,
        GITHUB_REPO=fake_github.repo,
        GITHUB_API_URL=fake_github.url,
        TICKET_CLAIM_LEASE_SECONDS=str(LEASE),
    )
    proc = await start_bot_process(env, tmp_path / "bot.log")
    sender = SlackSender(f"http://127.0.0.1:{port}", SIGNING_SECRET, fake_slack.response_url())
    try:
        await sender.command("declare --here sev2 Checkout down", channel_id="C111")
        await fake_slack.wait_for_response(1)
        fake_github.delay(1.5)  # takes effect even if the caller is gone
        await sender.command(
            f"action P1 <@U222|bob> {due()} Add a schema check for config deploys",
            command="/postmortem",
            channel_id="C111",
            response_key="action",
        )
        await fake_github.wait_for(lambda: fake_github.requests, what="the first bot's attempt")
        proc.kill()
        await asyncio.wait_for(proc.wait(), 30)
    finally:
        await sender.close()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    await fake_github.wait_for(lambda: fake_github.issues, what="the issue made anyway")
    fake_github.delay(0)

    bot = await start_bot(**github_settings(fake_github, ticket_claim_lease_seconds=LEASE))
    [ticket] = await wait_ticket_state(bot, fake_github, "filed", timeout=LEASE + 10)
    assert len(fake_github.issues) == 1 and len(fake_github.requests) == 1
    assert fake_github.lists and fake_github.lists[0]["labels"] == "incident-action"
    assert ticket.external_id == "1" and ticket.url == "https://github.com/acme/ops/issues/1"
    assert ticket.attempts == 2
