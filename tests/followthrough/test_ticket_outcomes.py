"""What is recorded when a tracker files, refuses, fails or is slow, and when it closes or
reopens a ticket: the timeline, the war room, the owner's DM, the webhook's answer, and the
operator's log (with the wait before the next attempt)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.followthrough.flows import retry_delay
from storage.models.followthrough import ActionTicket
from storage.models.incidents import Incident
from tests.conftest import RunningBot, StartBot
from tests.support.fake_github import FakeGitHub, github_delivery
from tests.support.followthrough_helpers import (
    due,
    github_bot,
    github_fixture,  # noqa: F401
    items,
    tickets,
    wait_ticket_state,
)
from tests.support.incident_steps import entries
from tests.support.postmortem_helpers import ask, declare_here

FLOWS = "bot.followthrough.flows"
ITEM = "Add a schema check for config deploys"
SECRET = "It's a Secret to Everybody"


async def _logged(caplog: pytest.LogCaptureFixture, count: int) -> list[str]:
    """The flows' log lines, once there are `count` of them (they follow the database)."""
    deadline = time.monotonic() + 10
    while True:
        lines = [r.getMessage() for r in caplog.records if r.name == FLOWS]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        await asyncio.sleep(0.05)


async def test_a_filed_ticket_is_in_the_timeline_and_the_log(
    start_bot: StartBot, fake_github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await github_bot(start_bot, fake_github)
    await declare_here(bot)
    with caplog.at_level(logging.INFO, logger=FLOWS):
        await ask(bot, f"action P1 <@U222|bob> {due()} {ITEM}. Done when: <@U222|bob> sees it")
        [ticket] = await wait_ticket_state(bot, fake_github, "filed")
        lines = await _logged(caplog, 1)
    [item] = await items(bot)
    assert lines == [f"action item {item.id} filed in GitHub"]
    # The criteria name the owner as the tracker knows them.
    assert "### Acceptance criteria\n\n@\u200du222 sees it" in fake_github.requests[0].body["body"]
    assert fake_github.lists == []  # a first attempt files without looking first
    assert (ticket.attempts, ticket.error, ticket.external_id) == (1, None, "1")
    [entry] = await entries(bot, "ticket")
    assert entry.text == "Action item #1 filed in GitHub: https://github.com/acme/ops/issues/1"


REFUSED = (
    "GitHub said 404 Not Found (Not Found): check GITHUB_REPO (and that GITHUB_TOKEN can see it)"
)


async def test_a_refusal_is_said_in_the_war_room_word_for_word(
    start_bot: StartBot, fake_github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await github_bot(start_bot, fake_github)
    await declare_here(bot)
    fake_github.fail(404)
    posted = len(bot.fake.calls_to("chat.postMessage"))  # the declare's, before
    with caplog.at_level(logging.WARNING, logger=FLOWS):
        await ask(bot, f"action P1 <@U222|bob> {due()} {ITEM}")
        [ticket] = await wait_ticket_state(bot, fake_github, "refused")
        lines = await _logged(caplog, 1)
    [item] = await items(bot)
    assert ticket.error == REFUSED
    assert lines == [f"ticket for action item {item.id} refused: {REFUSED}"]
    said = await bot.fake.wait_for(
        lambda: [
            p for p in bot.fake.calls_to("chat.postMessage")[posted:] if p["channel"] == "C111"
        ],
        what="the refusal in the war room",
    )
    assert [p["text"] for p in said] == [
        f":warning: Ticket for action item #1 not filed: {REFUSED}. Fix the setting, then "
        "`/postmortem ticket 1` files it again."
    ]


async def test_a_war_room_that_cannot_be_told_is_logged(
    start_bot: StartBot, fake_github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await github_bot(start_bot, fake_github)
    await declare_here(bot)
    fake_github.fail(404)
    bot.fake.fail("chat.postMessage", error="channel_not_found", channel="C111")
    with caplog.at_level(logging.WARNING, logger=FLOWS):
        await ask(bot, f"action P1 <@U222|bob> {due()} {ITEM}")
        await wait_ticket_state(bot, fake_github, "refused")
        lines = await _logged(caplog, 2)
    [item] = await items(bot)
    assert lines[0] == f"ticket for action item {item.id} refused: {REFUSED}"
    assert lines[1].startswith("could not tell the war room about a refused ticket: ")
    assert "channel_not_found" in lines[1] and len(lines) == 2


async def test_failures_are_tried_again_after_a_growing_wait(
    start_bot: StartBot, fake_github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await github_bot(start_bot, fake_github)
    await declare_here(bot)
    fake_github.fail(500, times=2)
    with caplog.at_level(logging.WARNING, logger=FLOWS):
        await ask(bot, f"action P1 <@U222|bob> {due()} {ITEM}")
        [ticket] = await wait_ticket_state(bot, fake_github, "filed")
        lines = await _logged(caplog, 2)
    [item] = await items(bot)
    assert lines == [
        f"ticket for action item {item.id} not filed (GitHub answered 500); trying again in 1s",
        f"ticket for action item {item.id} not filed (GitHub answered 500); trying again in 2s",
    ]
    first, second, third = (r.at for r in fake_github.requests)
    assert second - first >= 0.95 and third - second >= 1.95
    assert ticket.attempts == 3


def test_the_wait_doubles_up_to_five_minutes_unless_retry_after_says_longer() -> None:
    waits = [retry_delay(attempts, None) for attempts in range(0, 12)]
    assert waits == [1, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert retry_delay(3, 10.0) == 10.0 and retry_delay(3, 1.5) == 4.0
    assert retry_delay(1, 0.0) == 1.0


async def test_a_tracker_slower_than_half_the_lease_is_tried_again(
    start_bot: StartBot, fake_github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await github_bot(start_bot, fake_github, ticket_claim_lease_seconds=2)
    await declare_here(bot)
    fake_github.delay(1.5)  # the claimer waits 1 s
    with caplog.at_level(logging.WARNING, logger=FLOWS):
        await ask(bot, f"action P1 <@U222|bob> {due()} {ITEM}")
        lines = await _logged(caplog, 1)
        ticket = await _given_back(bot)  # logged first, then written
        fake_github.delay(0)
        await wait_ticket_state(bot, fake_github, "filed")
    [item] = await items(bot)
    assert lines[0] == (
        f"ticket for action item {item.id} not filed (GitHub did not answer in time); "
        "trying again in 1s"
    )
    assert (ticket.state, ticket.error) == ("pending", "GitHub did not answer in time")


async def _given_back(bot: RunningBot) -> ActionTicket:
    """The ticket once a failed attempt has given it back, with why."""
    deadline = time.monotonic() + 10
    while True:
        [ticket] = await tickets(bot)
        if ticket.error or time.monotonic() > deadline:
            return ticket
        await asyncio.sleep(0.05)


async def test_a_tracker_answering_within_half_the_lease_is_filed_at_once(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    bot = await github_bot(start_bot, fake_github, ticket_claim_lease_seconds=30)
    await declare_here(bot)
    fake_github.delay(11)  # within the 15 s the claimer waits (a third of the lease: 10 s)
    await ask(bot, f"action P1 <@U222|bob> {due()} {ITEM}")
    [ticket] = await wait_ticket_state(bot, fake_github, "filed", timeout=20)
    assert (ticket.attempts, len(fake_github.requests), fake_github.lists) == (1, 1, [])


async def _hook(bot: RunningBot, fake: FakeGitHub, action: str) -> Any:
    body, headers = github_delivery(SECRET, "issues", fake.issues_event(1, action))
    async with aiohttp.ClientSession() as session:
        async with session.post(bot.url + "/webhooks/github", data=body, headers=headers) as r:
            assert r.status == 200, await r.text()
            return await r.json()


def _dms(bot: RunningBot) -> list[str]:
    return [p["text"] for p in bot.fake.calls_to("chat.postMessage") if p["channel"] == "U222"]


async def test_closing_and_reopening_in_the_tracker_say_what_changed(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    bot = await github_bot(start_bot, fake_github, github_webhook_secret=SECRET)
    await declare_here(bot)
    await ask(bot, f"action P1 <@U222|bob> {due()} {ITEM}")
    await wait_ticket_state(bot, fake_github, "filed")
    assert await _hook(bot, fake_github, "reopened") == {"item": 1, "result": "already open"}
    assert await _hook(bot, fake_github, "closed") == {"item": 1, "result": "done"}
    asked = (
        f"Action item #1 of incident #1 ({ITEM}) is marked done, but not verified. A fix you "
        "cannot verify is not finished: how was it verified? Run `/postmortem verify 1 <how>`"
    )
    assert await bot.fake.wait_for(lambda: _dms(bot), what="the DM") == [f"{asked} in <#C111>."]
    assert await _hook(bot, fake_github, "closed") == {"item": 1, "result": "already done"}
    assert await _hook(bot, fake_github, "reopened") == {"item": 1, "result": "open"}
    await ask(bot, "verify 1 the check refused a bad config")
    assert await _hook(bot, fake_github, "closed") == {"item": 1, "result": "already verified"}
    assert await _hook(bot, fake_github, "reopened") == {"item": 1, "result": "open"}
    [item] = await items(bot)
    assert (item.status, item.verification, item.verified_at) == ("open", None, None)
    assert [e.text for e in await entries(bot, "action_item")] == [
        "Action item #1 done (unverified): GitHub acme/ops#1 closed by octocat",
        "Action item #1 reopened: GitHub acme/ops#1 reopened by octocat",
        "Action item #1 verified by <@U111>: the check refused a bad config",
        "Action item #1 reopened: GitHub acme/ops#1 reopened by octocat",
    ]
    # An incident with no war room (one brought in by an import): the DM names none.
    async with bot.rt.db.session() as session:
        incident = (await session.exec(select(Incident))).one()
        incident.channel_id = None
        session.add(incident)
    assert await _hook(bot, fake_github, "closed") == {"item": 1, "result": "done"}
    await bot.fake.wait_for(lambda: len(_dms(bot)) == 2, what="the second DM")
    assert _dms(bot) == [f"{asked} in <#C111>.", f"{asked}."]  # none when reopened
